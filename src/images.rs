//! Images for the web. A raster file is published without the metadata that could locate or
//! identify a person (its pixels kept byte for byte), and an image shown in a note's text also
//! gets resized copies, with lossy WebP twins when those are smaller, for a `srcset`.
//!
//! The work is cached in one folder (`<site>/.briefing-cache/images`), keyed by each image's
//! content and by the settings that shape the output, so that a rebuild spends no time on
//! images that did not change: the folder's manifest remembers each source's length,
//! modification time and hash, so an unchanged photo is not even read, and what each key's
//! folder holds, so a stat of each cached file is all it takes to trust it. Every file is
//! written under a temporary name and renamed into place, so a build killed half-way leaves
//! nothing half-written that a later build would trust.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Cursor};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::UNIX_EPOCH;

use fast_image_resize::Resizer;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageEncoder, ImageFormat, ImageReader, Limits};
use img_parts::jpeg::{Jpeg, JpegSegment, markers};
use img_parts::png::Png;
use img_parts::riff::RiffContent;
use img_parts::webp::{CHUNK_EXIF, CHUNK_VP8X, CHUNK_XMP, WebP};
use img_parts::{Bytes, ImageEXIF, ImageICC};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The version of this module's output: changing it makes every cached file stale.
const VERSION: u32 = 1;

/// The manifest's name in the cache folder.
const MANIFEST: &str = "manifest.json";

/// The most pixels an image may have to be decoded and resized.
const MAX_PIXELS: u64 = 100_000_000;

/// The most memory the decoder may take for one image (a 100-megapixel 16-bit RGBA image).
const MAX_ALLOC: u64 = 1 << 30;

/// The PNG chunks that carry text or EXIF: authors, comments, places, cameras.
const PNG_REMOVED: [[u8; 4]; 4] = [*b"eXIf", *b"tEXt", *b"zTXt", *b"iTXt"];

/// The XMP flag of a WebP VP8X chunk, which img-parts leaves as it is.
const VP8X_XMP: u8 = 0b0000_0100;

/// The bytes of a source image, never through a symbolic link: a photo swapped for a link to
/// a file outside the site after the site was read is refused, not published.
fn read_source(path: &Path) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    let mut bytes = Vec::new();
    options.open(path)?.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// The image cache of the site at `root`: `<root>/.briefing-cache/images`, beside the site's
/// files and outside the output folder, which each build replaces.
pub fn cache_dir(root: &Path) -> PathBuf {
    root.join(".briefing-cache").join("images")
}

/// Settings from site.yaml's `images:` (the caller builds this).
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// The widths, in pixels, that an image shown in a note's text is resized to.
    pub widths: Vec<u32>,
    /// The quality of JPEG and WebP copies, from 1 to 100.
    pub quality: u8,
    /// The size in bytes above which the caller warns that a file is heavy to download.
    pub max_size: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            widths: vec![480, 960, 1600],
            quality: 80,
            max_size: 5_000_000,
        }
    }
}

/// Whether a file name is a raster image this module handles: .jpg .jpeg (.jpe .jfif .jif)
/// .png .webp (any case).
pub fn is_raster(name: &str) -> bool {
    Format::from_name(name).is_some()
}

/// What kind of image some bytes are, by their first bytes, whatever the file is named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One this module cleans.
    Cleaned(Format),
    Gif,
    Tiff,
    /// AVIF, HEIC or another image of the ISO media file format: its name.
    Heif(&'static str),
    JpegXl,
    /// Not an image, or one that carries no metadata (BMP, ICO).
    Other,
}

/// The kind of image `bytes` start with.
pub fn sniff(bytes: &[u8]) -> Kind {
    if let Some(format) = Format::of(bytes) {
        return Kind::Cleaned(format);
    }
    if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        return Kind::Gif;
    }
    if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        return Kind::Tiff;
    }
    if bytes.starts_with(&[0xFF, 0x0A]) || bytes.starts_with(b"\0\0\0\x0CJXL ") {
        return Kind::JpegXl;
    }
    if bytes.get(4..8) == Some(b"ftyp") {
        let brand = bytes.get(8..12).unwrap_or_default();
        let name = match brand {
            b"avif" | b"avis" => Some("AVIF"),
            b"heic" | b"heix" | b"hevc" | b"hevx" | b"heim" | b"heis" | b"mif1" | b"msf1" => {
                Some("HEIC")
            }
            _ => None,
        };
        if let Some(name) = name {
            return Kind::Heif(name);
        }
    }
    Kind::Other
}

/// The kind of image the file at `path` is, by its first bytes; None if it cannot be read.
pub fn sniff_file(path: &Path) -> Option<Kind> {
    use std::io::Read as _;
    let mut head = [0u8; 16];
    let read = fs::File::open(path).ok()?.read(&mut head).ok()?;
    Some(sniff(&head[..read]))
}

/// Why an image published as it is (a theme's file, an image written into a note as a
/// `data:` URL, a GIF) would give away where, when or with what it was made: it carries
/// metadata this module cannot take out of a file it does not rewrite. None for an image
/// without any, or bytes that are no image.
pub fn metadata_problem(bytes: &[u8]) -> Option<String> {
    match sniff(bytes) {
        Kind::Cleaned(format) => {
            let cleaned = inspect(bytes, format)
                .and_then(|(_, _, orientation)| {
                    strip(Bytes::copy_from_slice(bytes), format, orientation)
                });
            match cleaned {
                Ok(cleaned) if cleaned.as_ref() == bytes => None,
                Ok(_) => Some(format!(
                    "this {} image carries EXIF, XMP or IPTC data or comments, which can tell where it was taken, when and with which camera",
                    format.name()
                )),
                // What cannot be read cannot be shown to carry nothing.
                Err(_) => Some(format!(
                    "this {} image cannot be read, so what it carries cannot be checked",
                    format.name()
                )),
            }
        }
        Kind::Gif => gif_has_metadata(bytes).then(|| {
            "this GIF image carries a comment or XMP data, which can tell where and by whom it was made".to_string()
        }),
        Kind::Tiff => Some("briefing cannot take the data about where, when and by whom it was made out of a TIFF image".into()),
        Kind::Heif(name) => Some(format!("briefing cannot take the data about where, when and with which camera it was made out of an {name} image")),
        Kind::JpegXl => Some("briefing cannot take the data about where, when and with which camera it was made out of a JPEG XL image".into()),
        Kind::Other => None,
    }
}

/// Whether a GIF holds a comment or an application block of XMP, read block by block.
/// A file it cannot follow to its end counts as holding some.
fn gif_has_metadata(bytes: &[u8]) -> bool {
    // Skips a run of data sub-blocks from `at`; where the next block starts.
    let sub_blocks = |mut at: usize| -> Option<usize> {
        loop {
            let len = usize::from(*bytes.get(at)?);
            at += 1;
            if len == 0 {
                return Some(at);
            }
            at += len;
        }
    };
    let colour_table = |flags: u8| {
        if flags & 0x80 != 0 {
            3 << ((flags & 0x07) + 1)
        } else {
            0
        }
    };
    let Some(&flags) = bytes.get(10) else {
        return true;
    };
    let mut at = 13 + colour_table(flags);
    loop {
        let Some(&block) = bytes.get(at) else {
            return true;
        };
        let next = match block {
            // The trailer, with nothing appended after it.
            0x3B => return at + 1 < bytes.len(),
            0x21 => match bytes.get(at + 1) {
                Some(0xFE) => return true,
                // Application blocks: only looping (NETSCAPE2.0, ANIMEXTS1.0) and a colour
                // profile (ICCRGBG1012) are not about the picture's making; XMP, IPTC (MGKIPTC)
                // and any other are.
                Some(0xFF) => {
                    let known = [b"NETSCAPE2.0", b"ANIMEXTS1.0", b"ICCRGBG1012"];
                    let id = bytes.get(at + 3..at + 14);
                    if bytes.get(at + 2) != Some(&11)
                        || !known.iter().any(|k| id == Some(k.as_slice()))
                    {
                        return true;
                    }
                    sub_blocks(at + 2)
                }
                Some(_) => sub_blocks(at + 2),
                None => None,
            },
            0x2C => bytes
                .get(at + 9)
                .and_then(|&flags| sub_blocks(at + 10 + colour_table(flags) + 1)),
            _ => None,
        };
        match next {
            Some(next) => at = next,
            None => return true,
        }
    }
}

/// The raster formats this module reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Format {
    Jpeg,
    Png,
    Webp,
}

impl Format {
    /// The file name extension that files of this format are written with.
    pub fn extension(self) -> &'static str {
        self.facts().0
    }

    /// Its name in a sentence: `JPEG`.
    pub fn name(self) -> &'static str {
        self.facts().2
    }

    /// The media type that files of this format are served with.
    pub fn mime(self) -> &'static str {
        self.facts().1
    }

    /// Its extension, media type, name in a sentence, and the image crate's name for it.
    fn facts(self) -> (&'static str, &'static str, &'static str, ImageFormat) {
        match self {
            Format::Jpeg => ("jpg", "image/jpeg", "JPEG", ImageFormat::Jpeg),
            Format::Png => ("png", "image/png", "PNG", ImageFormat::Png),
            Format::Webp => ("webp", "image/webp", "WebP", ImageFormat::WebP),
        }
    }

    /// The format a file name's extension promises.
    fn from_name(name: &str) -> Option<Format> {
        let (_, extension) = name.rsplit_once('.')?;
        match extension.to_ascii_lowercase().as_str() {
            "jpg" | "jpeg" | "jpe" | "jfif" | "jif" => Some(Format::Jpeg),
            "png" => Some(Format::Png),
            "webp" => Some(Format::Webp),
            _ => None,
        }
    }

    /// The format of a file's content, by its first bytes.
    fn of(bytes: &[u8]) -> Option<Format> {
        let found = image::guess_format(bytes).ok()?;
        [Format::Jpeg, Format::Png, Format::Webp]
            .into_iter()
            .find(|format| format.facts().3 == found)
    }
}

/// A raster file as it is published: identifying metadata removed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cleaned {
    /// The file to publish: the source itself (as an absolute path) when it had nothing to
    /// remove, else a copy in the cache.
    pub file: PathBuf,
    /// The width as displayed: orientation applied, so a portrait photo stored landscape with
    /// Orientation=6 reports its portrait size.
    pub width: u32,
    /// The height as displayed, like `width`.
    pub height: u32,
    /// The format of `file`, which is the source's.
    pub format: Format,
    /// The size in bytes of `file`.
    pub size: u64,
}

/// One resized copy of an image.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Variant {
    /// Its width in pixels.
    pub width: u32,
    /// Its height in pixels, in the original's proportions.
    pub height: u32,
    /// Its format: the original's, or WebP.
    pub format: Format,
    /// The file, in the cache.
    pub file: PathBuf,
    /// The size in bytes of `file`.
    pub size: u64,
}

/// An image shown in a note's text, ready for srcset.
#[derive(Debug, Clone)]
pub struct Picture {
    /// The published original.
    pub original: Cleaned,
    /// Resized copies in the original's format, narrowest first. Widths: each configured width
    /// smaller than the original's (displayed) width, plus the original's own width when it is
    /// smaller than the largest configured width and some configured width is smaller still
    /// (so a 1200-px photo gets 480, 960, 1200; a 3000-px one 480, 960, 1600; a 300-px one
    /// none). Re-encoded: pixels only, orientation applied, with no metadata but the
    /// original's colour profile.
    pub variants: Vec<Variant>,
    /// The same widths in lossy WebP, present only when every WebP copy is smaller than its
    /// counterpart in `variants`; empty otherwise, and empty when the original is WebP (then
    /// `variants` are already WebP).
    pub webp: Vec<Variant>,
}

/// The image cache of one build. It is shared by the threads that render notes, often asked
/// for the same file by two at once (two language versions of a note), and does the work for
/// each file once.
pub struct Images {
    dir: PathBuf,
    settings: Settings,
    /// What of the settings and of this module shapes the output, in each key.
    fingerprint: String,
    manifest: Mutex<Manifest>,
    changed: AtomicBool,
    /// Per absolute source path, the results of this value's work.
    memo: Mutex<FxHashMap<PathBuf, Arc<Memo>>>,
    decoded: AtomicUsize,
    hashed: AtomicUsize,
}

/// A cleaned file and its key, the folder of its content in the cache.
type Done = (Cleaned, String);

#[derive(Default)]
struct Memo {
    clean: OnceLock<Result<Done, String>>,
    picture: OnceLock<Result<Arc<Picture>, String>>,
}

/// What the cache folder holds, in `manifest.json`.
#[derive(Default, Serialize, Deserialize)]
struct Manifest {
    version: u32,
    /// Per absolute source path, what it held when it was last read.
    sources: BTreeMap<String, Seen>,
    /// Per key, what its folder holds.
    entries: BTreeMap<String, Entry>,
}

#[derive(Clone, PartialEq, Serialize, Deserialize)]
struct Seen {
    len: u64,
    /// Nanoseconds since 1970.
    mtime: u64,
    hash: String,
}

/// What a key's folder holds, with file names relative to it.
#[derive(Clone, Serialize, Deserialize)]
struct Entry {
    /// The published original; an empty file name stands for the source itself.
    original: Cleaned,
    /// The resized copies and their WebP twins, once a picture was asked for.
    picture: Option<(Vec<Variant>, Vec<Variant>)>,
}

impl Images {
    /// A cache rooted at `dir` (created on first write; `<site>/.briefing-cache/images` in
    /// practice). Loads its manifest if present; a missing, unreadable or old-version manifest
    /// is an empty one (never an error).
    pub fn new(dir: PathBuf, settings: Settings) -> Images {
        let manifest = fs::read(dir.join(MANIFEST))
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Manifest>(&bytes).ok())
            .filter(|manifest| manifest.version == VERSION)
            .unwrap_or(Manifest {
                version: VERSION,
                ..Manifest::default()
            });
        let mut widths = settings.widths.clone();
        widths.sort_unstable();
        widths.dedup();
        let shape = format!("{VERSION} {widths:?} {}", settings.quality);
        Images {
            fingerprint: hex(&Sha256::digest(shape.as_bytes()))[..8].to_string(),
            dir,
            settings,
            manifest: Mutex::new(manifest),
            changed: AtomicBool::new(false),
            memo: Mutex::default(),
            decoded: AtomicUsize::new(0),
            hashed: AtomicUsize::new(0),
        }
    }

    /// The published form of any raster file (downloads, press-kit photos): metadata removed.
    /// Errors are plain sentences about the file's content, e.g. "it is not a JPEG image,
    /// though its name ends in .jpg"; the caller adds the file name.
    pub fn clean(&self, source: &Path) -> Result<Cleaned, String> {
        let (path, memo) = self.memo(source)?;
        let done = memo.clean.get_or_init(|| self.clean_now(&path));
        done.clone().map(|(cleaned, _)| cleaned)
    }

    /// The resized copies of an image shown in a note's text (also cleans the original).
    pub fn picture(&self, source: &Path) -> Result<Arc<Picture>, String> {
        let (path, memo) = self.memo(source)?;
        let picture = memo.picture.get_or_init(|| {
            let done = memo.clean.get_or_init(|| self.clean_now(&path)).clone()?;
            self.picture_now(&path, done).map(Arc::new)
        });
        picture.clone()
    }

    /// Writes the manifest when it changed (atomically: temp file + rename). Errors are
    /// returned as a sentence; the caller turns them into a warning.
    pub fn save(&self) -> Result<(), String> {
        if !self.changed.swap(false, Ordering::SeqCst) {
            return Ok(());
        }
        let path = self.dir.join(MANIFEST);
        let json = serde_json::to_vec(&*lock(&self.manifest)).map_err(io::Error::other);
        json.and_then(|json| write_atomic(&path, &json))
            .map_err(|e| {
                self.changed.store(true, Ordering::SeqCst);
                format!(
                    "cannot write the image cache's manifest {}: {e}",
                    path.display()
                )
            })
    }

    /// How many images this value decoded and re-encoded (resize work), and how many files it
    /// hashed, so that a test can check that a rebuild with an unchanged photo did neither.
    pub fn work_done(&self) -> (usize, usize) {
        let count = |counter: &AtomicUsize| counter.load(Ordering::SeqCst);
        (count(&self.decoded), count(&self.hashed))
    }

    /// The memo of a source, by its absolute path.
    fn memo(&self, source: &Path) -> Result<(PathBuf, Arc<Memo>), String> {
        let path = std::path::absolute(source).map_err(cannot_read)?;
        let memo = lock(&self.memo).entry(path.clone()).or_default().clone();
        Ok((path, memo))
    }

    /// The key of an image's content under this value's settings: its folder in the cache.
    fn key(&self, hash: &str) -> String {
        format!("{hash}-{}", self.fingerprint)
    }

    fn clean_now(&self, path: &Path) -> Result<Done, String> {
        let named = Format::from_name(&path.to_string_lossy())
            .ok_or("it is not a JPEG, PNG or WebP image")?;
        let meta = fs::symlink_metadata(path).map_err(cannot_read)?;
        let mtime = meta
            .modified()
            .ok()
            .and_then(|time| time.duration_since(UNIX_EPOCH).ok())
            .and_then(|since| u64::try_from(since.as_nanos()).ok());
        let id = path.to_string_lossy().into_owned();
        let known = lock(&self.manifest)
            .sources
            .get(&id)
            .filter(|seen| Some(seen.mtime) == mtime && seen.len == meta.len())
            .map(|seen| seen.hash.clone());
        if let Some(hash) = known
            && let Some(done) = self.cached(path, &self.key(&hash), named)
        {
            return done;
        }

        let bytes = Bytes::from(read_source(path).map_err(cannot_read)?);
        self.hashed.fetch_add(1, Ordering::SeqCst);
        let hash = hex(&Sha256::digest(&bytes))[..32].to_string();
        if let Some(mtime) = mtime {
            let (len, hash) = (bytes.len() as u64, hash.clone());
            let seen = Seen { len, mtime, hash };
            if lock(&self.manifest).sources.insert(id, seen.clone()) != Some(seen) {
                self.changed.store(true, Ordering::SeqCst);
            }
        }
        let key = self.key(&hash);
        if let Some(done) = self.cached(path, &key, named) {
            return done;
        }
        let found = Format::of(&bytes);
        if found != Some(named) {
            return Err(misnamed(path, named, found));
        }
        let (width, height, orientation) = inspect(&bytes, named)?;
        let cleaned = strip(bytes.clone(), named, orientation)?;
        let mut original = Cleaned {
            file: PathBuf::new(),
            width,
            height,
            format: named,
            size: cleaned.len() as u64,
        };
        if cleaned != bytes {
            original.file = PathBuf::from(format!("original.{}", named.extension()));
            self.write(&key, &original.file, &cleaned)?;
        }
        let mut manifest = lock(&self.manifest);
        // Resized copies made before may still be there: picture() checks them.
        let picture = manifest.entries.get(&key).and_then(|e| e.picture.clone());
        let entry = Entry {
            original: original.clone(),
            picture,
        };
        manifest.entries.insert(key.clone(), entry);
        self.changed.store(true, Ordering::SeqCst);
        Ok((self.published(path, &key, original), key))
    }

    /// The cleaned original of `key` when the manifest describes it and its file is there, or
    /// the error of a file whose content is not the format its name promises.
    fn cached(&self, path: &Path, key: &str, named: Format) -> Option<Result<Done, String>> {
        let original = lock(&self.manifest).entries.get(key)?.original.clone();
        if original.format != named {
            return Some(Err(misnamed(path, named, Some(original.format))));
        }
        let copied = !original.file.as_os_str().is_empty();
        if copied && !self.holds(key, &original.file, original.size) {
            return None;
        }
        Some(Ok((self.published(path, key, original), key.to_string())))
    }

    /// A cleaned original as the manifest records it, with the full path of its file.
    fn published(&self, path: &Path, key: &str, mut original: Cleaned) -> Cleaned {
        original.file = match original.file.as_os_str().is_empty() {
            true => path.to_path_buf(),
            false => self.dir.join(key).join(&original.file),
        };
        original
    }

    fn picture_now(&self, path: &Path, (original, key): Done) -> Result<Picture, String> {
        let cached = lock(&self.manifest)
            .entries
            .get(&key)
            .and_then(|entry| entry.picture.clone())
            .filter(|(variants, webp)| {
                let mut files = variants.iter().chain(webp);
                files.all(|v| self.holds(&key, &v.file, v.size))
            });
        let (variants, webp) = match cached {
            Some(picture) => picture,
            None => {
                let bytes = read_source(path).map_err(cannot_read)?;
                self.decoded.fetch_add(1, Ordering::SeqCst);
                let picture = self.resize(&bytes, original.format, &key)?;
                if let Some(entry) = lock(&self.manifest).entries.get_mut(&key) {
                    entry.picture = Some(picture.clone());
                    self.changed.store(true, Ordering::SeqCst);
                }
                picture
            }
        };
        let full = |v: Variant| Variant {
            file: self.dir.join(&key).join(&v.file),
            ..v
        };
        Ok(Picture {
            original,
            variants: variants.into_iter().map(full).collect(),
            webp: webp.into_iter().map(full).collect(),
        })
    }

    /// Decodes an image and writes its resized copies and their WebP twins into the folder of
    /// `key`, returning them with file names relative to it.
    fn resize(
        &self,
        bytes: &[u8],
        format: Format,
        key: &str,
    ) -> Result<(Vec<Variant>, Vec<Variant>), String> {
        let (image, icc) = decode(bytes, format)?;
        let quality = self.settings.quality.clamp(1, 100);
        let mut resizer = Resizer::new();
        let mut copies = Vec::new();
        for width in widths(&self.settings.widths, image.width()) {
            let height = height_for(width, image.width(), image.height());
            let mut resized = None;
            if width != image.width() {
                let mut smaller = DynamicImage::new(width, height, image.color());
                resizer
                    .resize(&image, &mut smaller, None)
                    .map_err(|e| format!("it cannot be resized: {e}"))?;
                resized = Some(smaller);
            }
            let copy = resized.as_ref().unwrap_or(&image);
            let main = encode(copy, format, quality, icc.as_deref())?;
            let webp = match format {
                Format::Webp => None,
                _ => Some(encode(copy, Format::Webp, quality, icc.as_deref())?),
            };
            copies.push((width, height, main, webp));
        }
        let twins = copies
            .iter()
            .all(|(.., main, webp)| webp.as_ref().is_some_and(|webp| webp.len() < main.len()));
        let (mut variants, mut webps) = (Vec::new(), Vec::new());
        for (width, height, main, webp) in copies {
            let store = |format: Format, bytes: &[u8]| {
                let file = PathBuf::from(format!("{width}.{}", format.extension()));
                self.write(key, &file, bytes)?;
                let size = bytes.len() as u64;
                Ok::<_, String>(Variant {
                    width,
                    height,
                    format,
                    file,
                    size,
                })
            };
            variants.push(store(format, &main)?);
            if let Some(webp) = webp.filter(|_| twins) {
                webps.push(store(Format::Webp, &webp)?);
            }
        }
        Ok((variants, webps))
    }

    /// Whether the folder of `key` holds `file` with `size` bytes. A name from the manifest
    /// that is not a plain file name is never followed out of the folder.
    fn holds(&self, key: &str, file: &Path, size: u64) -> bool {
        let plain = file.file_name() == Some(file.as_os_str());
        let path = self.dir.join(key).join(file);
        plain && fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() == size)
    }

    /// Writes `file` into the folder of `key`, atomically.
    fn write(&self, key: &str, file: &Path, bytes: &[u8]) -> Result<(), String> {
        let path = self.dir.join(key).join(file);
        write_atomic(&path, bytes).map_err(|e| {
            format!(
                "it cannot be written to the image cache {}: {e}",
                path.display()
            )
        })
    }
}

/// Locks a mutex; a thread that panicked while holding it left nothing half-done that matters.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn cannot_read(e: io::Error) -> String {
    format!("it cannot be read: {e}")
}

fn unreadable(e: impl std::fmt::Display) -> String {
    format!("it cannot be read as an image: {e}")
}

/// The error for a file whose content is not the format its name promises.
fn misnamed(path: &Path, named: Format, found: Option<Format>) -> String {
    let extension = path.extension().unwrap_or_default().to_string_lossy();
    match found {
        Some(found) => format!(
            "it is a {} image, though its name ends in .{extension}; name it .{}",
            found.facts().2,
            found.extension()
        ),
        None => {
            let named = named.facts().2;
            format!("it is not a {named} image, though its name ends in .{extension}")
        }
    }
}

/// The displayed size and the orientation of an image, from its headers.
fn inspect(bytes: &[u8], format: Format) -> Result<(u32, u32, Orientation), String> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format.facts().3);
    reader.no_limits();
    let mut decoder = reader.into_decoder().map_err(unreadable)?;
    let (width, height) = decoder.dimensions();
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    Ok(match orientation {
        Orientation::Rotate90
        | Orientation::Rotate270
        | Orientation::Rotate90FlipH
        | Orientation::Rotate270FlipH => (height, width, orientation),
        _ => (width, height, orientation),
    })
}

/// The file without its identifying metadata, and with a minimal EXIF holding only the
/// orientation when that is not the normal one, so the image still displays upright.
fn strip(bytes: Bytes, format: Format, orientation: Orientation) -> Result<Bytes, String> {
    let exif = match orientation {
        Orientation::NoTransforms => None,
        _ => Some(Bytes::from(orientation_exif(orientation)?)),
    };
    match format {
        Format::Jpeg => {
            let mut jpeg = Jpeg::from_bytes(bytes).map_err(unreadable)?;
            let segments = jpeg.segments_mut();
            segments.retain(|s| !removable(s.marker(), s.contents()));
            // The first scan holds the rest of the file: later scans and any segments between
            // them, the end of the image, and whatever follows it.
            if let Some(scan) = segments.iter_mut().find(|s| s.has_entropy()) {
                let encoded = scan.clone().encoder().bytes();
                let rest = encoded.slice(scan.len()..);
                let kept = jpeg_rest(&rest);
                if kept.len() != rest.len() {
                    let contents = scan.contents().clone();
                    *scan = JpegSegment::new_with_entropy(scan.marker(), contents, kept.into());
                }
            }
            if exif.is_some() {
                jpeg.set_exif(exif);
            }
            Ok(jpeg.encoder().bytes())
        }
        Format::Png => {
            let mut png = Png::from_bytes(bytes).map_err(unreadable)?;
            png.chunks_mut()
                .retain(|c| !PNG_REMOVED.contains(&c.kind()));
            if exif.is_some() {
                png.set_exif(exif);
            }
            Ok(png.encoder().bytes())
        }
        Format::Webp => {
            let mut webp = WebP::from_bytes(bytes).map_err(unreadable)?;
            webp.remove_chunks_by_id(CHUNK_XMP);
            // Also brings the ICC and EXIF flags of the VP8X chunk in line, or drops the
            // chunk when nothing needs it any more.
            if exif.is_some() || webp.has_chunk(CHUNK_EXIF) {
                webp.set_exif(exif);
            }
            if let Some(vp8x) = webp.chunks_mut().iter_mut().find(|c| c.id() == CHUNK_VP8X)
                && let RiffContent::Data(data) = vp8x.content_mut()
                && data.first().is_some_and(|flags| flags & VP8X_XMP != 0)
            {
                let mut flags = data.to_vec();
                flags[0] &= !VP8X_XMP;
                *data = flags.into();
            }
            Ok(webp.encoder().bytes())
        }
    }
}

/// Whether a JPEG segment is metadata to remove: every APPn segment but APP0 (JFIF), APP2
/// with a colour profile and APP14 (Adobe's colour transform, needed to decode), and comments.
/// APP1 holds EXIF and XMP, APP13 Photoshop's IPTC, APP2 also MPF's list of other images.
fn removable(marker: u8, contents: &[u8]) -> bool {
    match marker {
        markers::APP0 | markers::APP14 => false,
        markers::APP2 => !contents.starts_with(b"ICC_PROFILE\0"),
        markers::APP1..=markers::APP15 | markers::COM => true,
        _ => false,
    }
}

/// The part of a JPEG after its first scan header without metadata segments, and ending with
/// the end of the image: what follows it (other images listed by MPF, each with its own EXIF,
/// or anything appended) is dropped. A part it cannot follow is kept as it is.
fn jpeg_rest(data: &[u8]) -> Vec<u8> {
    let mut kept = Vec::with_capacity(data.len());
    let (mut start, mut i) = (0, 0);
    while i + 1 < data.len() {
        if data[i] != 0xFF {
            i += 1;
            continue;
        }
        let marker = data[i + 1];
        match marker {
            // Fill bytes.
            0xFF => i += 1,
            // Escaped 0xFF in entropy-coded data, restarts, and the other markers without a
            // length.
            0x00 | 0x01 | markers::RST0..=markers::RST7 | markers::SOI => i += 2,
            markers::EOI => {
                kept.extend_from_slice(&data[start..i + 2]);
                return kept;
            }
            _ => {
                let Some(len) = data
                    .get(i + 2..i + 4)
                    .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
                    .filter(|&len| len >= 2 && i + 2 + len <= data.len())
                else {
                    break;
                };
                let end = i + 2 + len;
                if removable(marker, &data[i + 4..end]) {
                    kept.extend_from_slice(&data[start..i]);
                    start = end;
                }
                i = end;
            }
        }
    }
    kept.extend_from_slice(&data[start..]);
    kept
}

/// A minimal EXIF block (a TIFF header and one IFD) holding only the orientation.
fn orientation_exif(orientation: Orientation) -> Result<Vec<u8>, String> {
    let field = exif::Field {
        tag: exif::Tag::Orientation,
        ifd_num: exif::In::PRIMARY,
        value: exif::Value::Short(vec![u16::from(orientation.to_exif())]),
    };
    let mut writer = exif::experimental::Writer::new();
    writer.push_field(&field);
    let mut exif = Cursor::new(Vec::new());
    writer
        .write(&mut exif, false)
        .map_err(|e| format!("its orientation cannot be written: {e}"))?;
    Ok(exif.into_inner())
}

/// The widths of the resized copies of an image `width` pixels wide.
fn widths(configured: &[u32], width: u32) -> Vec<u32> {
    let mut widths: Vec<u32> = configured
        .iter()
        .copied()
        .filter(|&w| w > 0 && w < width)
        .collect();
    if !widths.is_empty() && configured.iter().any(|&w| w > width) {
        widths.push(width);
    }
    widths.sort_unstable();
    widths.dedup();
    widths
}

/// The height of a copy `w` pixels wide of an image `width` × `height`, in proportion.
fn height_for(w: u32, width: u32, height: u32) -> u32 {
    let h = (u64::from(w) * u64::from(height) + u64::from(width) / 2) / u64::from(width.max(1));
    u32::try_from(h).unwrap_or(u32::MAX).max(1)
}

/// The pixels of an image, orientation applied, in 8-bit RGB (RGBA when it has alpha), and
/// its colour profile.
fn decode(bytes: &[u8], format: Format) -> Result<(DynamicImage, Option<Vec<u8>>), String> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format.facts().3);
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(unreadable)?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(format!(
            "it is too large to resize: {width}×{height} pixels; export it at most 10,000 \
             pixels wide"
        ));
    }
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    // The copies are RGB: a profile for other colours (CMYK, grey) would misdescribe them.
    let icc = decoder.icc_profile().ok().flatten();
    let icc = icc.filter(|icc| icc.get(16..20) == Some(b"RGB "));
    let mut image = DynamicImage::from_decoder(decoder).map_err(unreadable)?;
    image.apply_orientation(orientation);
    let image = if image.color().has_alpha() && format != Format::Jpeg {
        DynamicImage::ImageRgba8(image.into_rgba8())
    } else {
        DynamicImage::ImageRgb8(image.into_rgb8())
    };
    Ok((image, icc))
}

/// An 8-bit RGB or RGBA image in `format`, with the colour profile if there is one (it says
/// how to show the pixels and nothing about who took them).
fn encode(
    image: &DynamicImage,
    format: Format,
    quality: u8,
    icc: Option<&[u8]>,
) -> Result<Vec<u8>, String> {
    let (width, height, color) = (image.width(), image.height(), image.color().into());
    let mut out = Vec::new();
    let written = match format {
        Format::Jpeg => with_profile(JpegEncoder::new_with_quality(&mut out, quality), icc)
            .write_image(image.as_bytes(), width, height, color),
        Format::Png => with_profile(PngEncoder::new(&mut out), icc).write_image(
            image.as_bytes(),
            width,
            height,
            color,
        ),
        Format::Webp => {
            let encoder = match image.color().has_alpha() {
                true => webp::Encoder::from_rgba(image.as_bytes(), width, height),
                false => webp::Encoder::from_rgb(image.as_bytes(), width, height),
            };
            let webp = encoder
                .encode_simple(false, f32::from(quality))
                .map_err(|e| format!("it cannot be encoded as WebP: {e:?}"))?;
            let Some(icc) = icc else {
                return Ok(webp.to_vec());
            };
            let mut webp = WebP::from_bytes(Bytes::copy_from_slice(&webp)).map_err(unreadable)?;
            webp.set_icc_profile(Some(Bytes::copy_from_slice(icc)));
            return Ok(webp.encoder().bytes().to_vec());
        }
    };
    written.map_err(|e| format!("it cannot be encoded as {}: {e}", format.facts().2))?;
    Ok(out)
}

/// An encoder that writes the colour profile, if there is one and the format can hold it.
fn with_profile<E: ImageEncoder>(mut encoder: E, icc: Option<&[u8]>) -> E {
    if let Some(icc) = icc {
        let _ = encoder.set_icc_profile(icc.to_vec());
    }
    encoder
}

/// Writes a file by writing a temporary one beside it and renaming that into place, so that
/// the file is never seen half-written, even by a build running at the same time.
fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return Err(io::Error::other("not a file path"));
    };
    fs::create_dir_all(dir)?;
    let temporary = dir.join(format!(
        ".{}.{}-{}.tmp",
        name.to_string_lossy(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    ));
    let written = fs::write(&temporary, bytes).and_then(|()| fs::rename(&temporary, path));
    if written.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    written
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use image::{GenericImageView, Rgb, RgbImage, Rgba, RgbaImage};
    use img_parts::png::PngChunk;
    use img_parts::riff::RiffChunk;

    use super::*;

    const SERIAL: &str = "SERIAL-4242-SECRET";
    const XMP: &str = "<x:xmpmeta xmlns:x='adobe:ns:meta/'>secret-xmp-place</x:xmpmeta>";

    /// A smooth gradient (red across, green down), so that JPEGs stay small.
    fn gradient(width: u32, height: u32) -> RgbImage {
        RgbImage::from_fn(width, height, |x, y| {
            Rgb([(x * 255 / width) as u8, (y * 255 / height) as u8, 128])
        })
    }

    fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let mut out = Vec::new();
        let image = gradient(width, height);
        JpegEncoder::new_with_quality(&mut out, 90)
            .write_image(
                image.as_raw(),
                width,
                height,
                image::ExtendedColorType::Rgb8,
            )
            .unwrap();
        out
    }

    /// EXIF with a place, a camera serial number and an orientation.
    fn exif_block(orientation: u16) -> Vec<u8> {
        let rational = |num| exif::Rational { num, denom: 1 };
        let fields = [
            exif::Field {
                tag: exif::Tag::Orientation,
                ifd_num: exif::In::PRIMARY,
                value: exif::Value::Short(vec![orientation]),
            },
            exif::Field {
                tag: exif::Tag::BodySerialNumber,
                ifd_num: exif::In::PRIMARY,
                value: exif::Value::Ascii(vec![SERIAL.as_bytes().to_vec()]),
            },
            exif::Field {
                tag: exif::Tag::GPSLatitudeRef,
                ifd_num: exif::In::PRIMARY,
                value: exif::Value::Ascii(vec![b"N".to_vec()]),
            },
            exif::Field {
                tag: exif::Tag::GPSLatitude,
                ifd_num: exif::In::PRIMARY,
                value: exif::Value::Rational(vec![rational(51), rational(30), rational(26)]),
            },
        ];
        let mut writer = exif::experimental::Writer::new();
        for field in &fields {
            writer.push_field(field);
        }
        let mut out = Cursor::new(Vec::new());
        writer.write(&mut out, false).unwrap();
        out.into_inner()
    }

    /// A JPEG with EXIF (place, serial, `orientation`), XMP, a comment, and a trailer.
    fn jpeg_with_metadata(width: u32, height: u32, orientation: u16) -> Vec<u8> {
        let mut jpeg = Jpeg::from_bytes(jpeg(width, height).into()).unwrap();
        jpeg.set_exif(Some(exif_block(orientation).into()));
        let xmp = format!("http://ns.adobe.com/xap/1.0/\0{XMP}");
        let segments = jpeg.segments_mut();
        segments.insert(1, JpegSegment::new_with_contents(markers::APP1, xmp.into()));
        let comment = Bytes::from_static(b"taken by Jane Doe");
        segments.insert(2, JpegSegment::new_with_contents(markers::COM, comment));
        let mut out = jpeg.encoder().bytes().to_vec();
        out.extend_from_slice(format!("trailer {SERIAL}").as_bytes());
        out
    }

    /// A GIF of one pixel, with `extension` (a whole extension block) before its image.
    fn gif(extension: &[u8]) -> Vec<u8> {
        let mut out = b"GIF89a\x01\x00\x01\x00\x80\x00\x00".to_vec();
        out.extend_from_slice(&[0, 0, 0, 255, 255, 255]);
        out.extend_from_slice(extension);
        out.extend_from_slice(b"\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00\x3b");
        out
    }

    #[test]
    fn metadata_is_found_in_every_kind_of_image() {
        assert_eq!(sniff(&jpeg(8, 8)), Kind::Cleaned(Format::Jpeg));
        assert_eq!(metadata_problem(&jpeg(8, 8)), None);
        let why = metadata_problem(&jpeg_with_metadata(8, 8, 1)).unwrap();
        assert!(why.contains("this JPEG image carries EXIF"), "{why}");

        let netscape = b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00";
        assert_eq!(sniff(&gif(netscape)), Kind::Gif);
        assert_eq!(metadata_problem(&gif(b"")), None);
        assert_eq!(metadata_problem(&gif(netscape)), None);
        let comment = b"\x21\xfe\x0ataken here\x00";
        assert!(
            metadata_problem(&gif(comment))
                .unwrap()
                .contains("GIF image carries a comment")
        );
        let xmp = b"\x21\xff\x0bXMP DataXMP\x05<x:x>\x00";
        assert!(metadata_problem(&gif(xmp)).is_some());
        let iptc = b"\x21\xff\x0bMGKIPTC0000\x05abcde\x00";
        assert!(metadata_problem(&gif(iptc)).is_some());
        let mut appended = gif(b"");
        appended.extend_from_slice(b"GPS 48.2N");
        assert!(metadata_problem(&appended).is_some());
        // An image that cannot be read cannot be shown to be clean.
        assert!(
            metadata_problem(&jpeg(8, 8)[..40])
                .unwrap()
                .contains("cannot be read")
        );
        // Cut short: it cannot be read to its end.
        assert!(metadata_problem(&gif(b"")[..20]).is_some());

        assert_eq!(sniff(b"II*\0\x08\0\0\0"), Kind::Tiff);
        assert!(
            metadata_problem(b"MM\0*\0\0\0\x08")
                .unwrap()
                .contains("TIFF")
        );
        assert_eq!(sniff(b"\0\0\0\x1cftypavif\0\0\0\0"), Kind::Heif("AVIF"));
        assert_eq!(sniff(b"\0\0\0\x18ftypheic\0\0\0\0"), Kind::Heif("HEIC"));
        assert_eq!(sniff(b"\0\0\0\x18ftypisom\0\0\0\0"), Kind::Other);
        assert_eq!(sniff(b"%PDF-1.7"), Kind::Other);
        assert!(is_raster("scan.JFIF") && is_raster("x.jpe"));
    }

    fn contains(haystack: &[u8], needle: &str) -> bool {
        haystack
            .windows(needle.len())
            .any(|w| w == needle.as_bytes())
    }

    fn assert_no_secrets(bytes: &[u8]) {
        for secret in [SERIAL, "secret-xmp-place", "Jane Doe", "xmpmeta"] {
            assert!(!contains(bytes, secret), "{secret} is still there");
        }
    }

    fn exif_of(bytes: &[u8]) -> Option<exif::Exif> {
        exif::Reader::new()
            .read_from_container(&mut Cursor::new(bytes))
            .ok()
    }

    fn setup(files: &[(&str, Vec<u8>)]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes) in files {
            fs::write(dir.path().join(name), bytes).unwrap();
        }
        let cache = dir.path().join(".briefing-cache/images");
        (dir, cache)
    }

    fn sizes(variants: &[Variant]) -> Vec<(u32, u32)> {
        variants.iter().map(|v| (v.width, v.height)).collect()
    }

    fn check_files(variants: &[Variant]) {
        for v in variants {
            let bytes = fs::read(&v.file).unwrap();
            assert_eq!(bytes.len() as u64, v.size);
            let decoded = image::load_from_memory(&bytes).unwrap();
            assert_eq!(decoded.dimensions(), (v.width, v.height));
            assert_eq!(Format::of(&bytes), Some(v.format));
        }
    }

    #[test]
    fn images_are_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Images>();
    }

    #[test]
    fn raster_names() {
        for name in ["a.jpg", "b.JPEG", "c.Png", "d.webp", "dir.x/e.jpg"] {
            assert!(is_raster(name), "{name}");
        }
        for name in ["a.gif", "b.svg", "jpg", "dir.jpg/readme", "c.pdf"] {
            assert!(!is_raster(name), "{name}");
        }
    }

    #[test]
    fn widths_follow_the_original() {
        let configured = [480, 960, 1600];
        assert_eq!(widths(&configured, 3000), [480, 960, 1600]);
        assert_eq!(widths(&configured, 1600), [480, 960]);
        assert_eq!(widths(&configured, 1200), [480, 960, 1200]);
        assert_eq!(widths(&configured, 500), [480, 500]);
        assert!(widths(&configured, 480).is_empty());
        assert!(widths(&configured, 300).is_empty());
        assert_eq!(height_for(480, 2000, 1000), 240);
        assert_eq!(height_for(480, 1000, 3), 1);
    }

    #[test]
    fn a_large_jpeg_gets_three_widths() {
        let (dir, cache) = setup(&[("photo.jpg", jpeg(2000, 1000))]);
        let source = dir.path().join("photo.jpg");
        let images = Images::new(cache.clone(), Settings::default());
        let picture = images.picture(&source).unwrap();
        let original = &picture.original;
        assert_eq!((original.width, original.height), (2000, 1000));
        assert_eq!(original.format, Format::Jpeg);
        // Nothing to remove: the source itself is published.
        assert_eq!(original.file, source);
        assert_eq!(original.size, fs::metadata(&source).unwrap().len());
        assert_eq!(
            sizes(&picture.variants),
            [(480, 240), (960, 480), (1600, 800)]
        );
        check_files(&picture.variants);
        if !picture.webp.is_empty() {
            assert_eq!(sizes(&picture.webp), sizes(&picture.variants));
            check_files(&picture.webp);
            for (webp, jpeg) in picture.webp.iter().zip(&picture.variants) {
                assert!(webp.size < jpeg.size);
                assert_eq!(webp.format, Format::Webp);
            }
        }
        for v in picture.variants.iter().chain(&picture.webp) {
            assert!(v.file.starts_with(&cache));
        }
        assert_eq!(images.work_done(), (1, 1));
    }

    #[test]
    fn identifying_metadata_is_removed_and_orientation_kept() {
        let source_bytes = jpeg_with_metadata(1200, 600, 6);
        // The test's own file does carry what must go.
        assert!(contains(&source_bytes, SERIAL) && contains(&source_bytes, "secret-xmp-place"));
        let (dir, cache) = setup(&[("portrait.jpg", source_bytes.clone())]);
        let source = dir.path().join("portrait.jpg");
        let images = Images::new(cache.clone(), Settings::default());
        let picture = images.picture(&source).unwrap();

        let original = &picture.original;
        assert!(original.file.starts_with(&cache));
        assert_eq!((original.width, original.height), (600, 1200));
        let cleaned = fs::read(&original.file).unwrap();
        assert_eq!(cleaned.len() as u64, original.size);
        assert_no_secrets(&cleaned);
        let exif = exif_of(&cleaned).unwrap();
        let fields: Vec<_> = exif.fields().map(|f| f.tag).collect();
        assert_eq!(fields, [exif::Tag::Orientation]);
        let orientation = exif.get_field(exif::Tag::Orientation, exif::In::PRIMARY);
        assert_eq!(orientation.unwrap().value.get_uint(0), Some(6));
        let parsed = Jpeg::from_bytes(cleaned.clone().into()).unwrap();
        let kinds: Vec<u8> = parsed.segments().iter().map(|s| s.marker()).collect();
        assert!(!kinds.contains(&markers::COM));
        assert_eq!(kinds.iter().filter(|&&m| m == markers::APP1).count(), 1);
        // The pixels are the source's, byte for byte.
        let scan = |bytes: &[u8]| {
            let jpeg = Jpeg::from_bytes(Bytes::copy_from_slice(bytes)).unwrap();
            let sos = jpeg.segments().iter().find(|s| s.has_entropy()).unwrap();
            let encoded = sos.clone().encoder().bytes();
            let end = encoded.windows(2).rposition(|w| w == [0xFF, 0xD9]).unwrap();
            encoded[..end].to_vec()
        };
        assert_eq!(scan(&cleaned), scan(&source_bytes));
        assert!(cleaned.ends_with(&[0xFF, 0xD9]));

        assert_eq!(sizes(&picture.variants), [(480, 960), (600, 1200)]);
        check_files(&picture.variants);
        check_files(&picture.webp);
        for v in picture.variants.iter().chain(&picture.webp) {
            let bytes = fs::read(&v.file).unwrap();
            assert_no_secrets(&bytes);
            assert!(exif_of(&bytes).is_none(), "{} has EXIF", v.file.display());
            // Portrait pixels: the stored red gradient (across) now runs down.
            let pixels = image::load_from_memory(&bytes).unwrap().to_rgb8();
            let (top, bottom) = (
                pixels.get_pixel(v.width / 2, 2),
                pixels.get_pixel(v.width / 2, v.height - 3),
            );
            assert!(top[0] < 20 && bottom[0] > 235, "{top:?} {bottom:?}");
        }
        for v in &picture.variants {
            let bytes = fs::read(&v.file).unwrap();
            assert!(Jpeg::from_bytes(bytes.into()).unwrap().exif().is_none());
        }
    }

    #[test]
    fn small_images_get_fewer_widths() {
        let (dir, cache) = setup(&[("small.jpg", jpeg(300, 200)), ("mid.jpg", jpeg(1200, 800))]);
        let images = Images::new(cache, Settings::default());
        let small = images.picture(&dir.path().join("small.jpg")).unwrap();
        assert!(small.variants.is_empty() && small.webp.is_empty());
        assert_eq!((small.original.width, small.original.height), (300, 200));
        let mid = images.picture(&dir.path().join("mid.jpg")).unwrap();
        assert_eq!(sizes(&mid.variants), [(480, 320), (960, 640), (1200, 800)]);
        check_files(&mid.variants);
    }

    #[test]
    fn a_rebuild_reuses_the_cache() {
        let (dir, cache) = setup(&[("photo.jpg", jpeg_with_metadata(700, 400, 1))]);
        let source = dir.path().join("photo.jpg");
        let first = Images::new(cache.clone(), Settings::default());
        let before = first.picture(&source).unwrap();
        assert_eq!(first.work_done(), (1, 1));
        first.save().unwrap();
        assert!(cache.join(MANIFEST).is_file());

        let second = Images::new(cache.clone(), Settings::default());
        let after = second.picture(&source).unwrap();
        assert_eq!(second.work_done(), (0, 0));
        assert_eq!(after.original.file, before.original.file);
        assert_eq!(after.original.size, before.original.size);
        assert_eq!(sizes(&after.variants), sizes(&before.variants));
        let files = |p: &Picture| -> Vec<(PathBuf, u64)> {
            p.variants
                .iter()
                .chain(&p.webp)
                .map(|v| (v.file.clone(), v.size))
                .collect()
        };
        assert_eq!(files(&after), files(&before));
        // Nothing changed, so nothing to write.
        second.save().unwrap();

        let settings = Settings {
            quality: 60,
            ..Settings::default()
        };
        let other_quality = Images::new(cache.clone(), settings);
        let redone = other_quality.picture(&source).unwrap();
        // The hash is known, but the new key's files are not there: the file is read (and
        // hashed again, as every file read is) and decoded.
        assert_eq!(other_quality.work_done(), (1, 1));
        assert_ne!(files(&redone), files(&before));
        other_quality.save().unwrap();

        fs::write(&source, jpeg(800, 400)).unwrap();
        let changed = Images::new(cache.clone(), Settings::default());
        let new = changed.picture(&source).unwrap();
        assert_eq!(changed.work_done(), (1, 1));
        assert_eq!(new.original.width, 800);
        // The manifest of an older version of this module is an empty one.
        fs::write(
            cache.join(MANIFEST),
            br#"{"version":0,"sources":{},"entries":{}}"#,
        )
        .unwrap();
        let old = Images::new(cache, Settings::default());
        old.picture(&source).unwrap();
        assert_eq!(old.work_done(), (1, 1));
    }

    #[test]
    fn misnamed_and_unreadable_files() {
        let png = {
            let mut out = Vec::new();
            PngEncoder::new(&mut out)
                .write_image(
                    gradient(10, 10).as_raw(),
                    10,
                    10,
                    image::ExtendedColorType::Rgb8,
                )
                .unwrap();
            out
        };
        let (dir, cache) = setup(&[
            ("text.jpg", b"Not a photo at all.\n".to_vec()),
            ("png.jpg", png),
            ("broken.png", b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec()),
        ]);
        let images = Images::new(cache, Settings::default());
        let text = images.clean(&dir.path().join("text.jpg")).unwrap_err();
        assert_eq!(text, "it is not a JPEG image, though its name ends in .jpg");
        let picture = images.picture(&dir.path().join("text.jpg")).unwrap_err();
        assert_eq!(picture, text);
        let png = images.clean(&dir.path().join("png.jpg")).unwrap_err();
        assert!(
            png.starts_with("it is a PNG image, though its name ends in .jpg"),
            "{png}"
        );
        let broken = images.clean(&dir.path().join("broken.png")).unwrap_err();
        assert!(
            broken.starts_with("it cannot be read as an image: "),
            "{broken}"
        );
        let missing = images.clean(&dir.path().join("missing.png")).unwrap_err();
        assert!(missing.starts_with("it cannot be read: "), "{missing}");
    }

    #[test]
    fn huge_images_are_refused_before_decoding() {
        // A PNG that claims 20,000 × 10,000 pixels and holds none.
        let mut header = Vec::new();
        header.extend_from_slice(&20_000u32.to_be_bytes());
        header.extend_from_slice(&10_000u32.to_be_bytes());
        header.extend_from_slice(&[8, 2, 0, 0, 0]);
        let mut png = Png::from_bytes(Bytes::from_static(b"\x89PNG\r\n\x1a\n")).unwrap();
        for (kind, contents) in [(*b"IHDR", header), (*b"IDAT", vec![]), (*b"IEND", vec![])] {
            png.chunks_mut().push(PngChunk::new(kind, contents.into()));
        }
        let (dir, cache) = setup(&[("bomb.png", png.encoder().bytes().to_vec())]);
        let images = Images::new(cache, Settings::default());
        let source = dir.path().join("bomb.png");
        // Publishing it as a download needs no decoding.
        let cleaned = images.clean(&source).unwrap();
        assert_eq!((cleaned.width, cleaned.height), (20_000, 10_000));
        let error = images.picture(&source).unwrap_err();
        assert_eq!(
            error,
            "it is too large to resize: 20000×10000 pixels; export it at most 10,000 pixels wide"
        );
    }

    #[test]
    fn png_text_chunks_go_and_alpha_stays() {
        let (width, height) = (1000, 500);
        let image = RgbaImage::from_fn(width, height, |x, y| {
            let alpha = if x < width / 2 { 255 } else { 0 };
            Rgba([(x * 255 / width) as u8, (y * 255 / height) as u8, 90, alpha])
        });
        let mut plain = Vec::new();
        PngEncoder::new(&mut plain)
            .write_image(
                image.as_raw(),
                width,
                height,
                image::ExtendedColorType::Rgba8,
            )
            .unwrap();
        let mut png = Png::from_bytes(plain.into()).unwrap();
        let text = PngChunk::new(*b"tEXt", Bytes::from_static(b"Author\0Jane Doe"));
        png.chunks_mut().insert(1, text);
        png.set_exif(Some(exif_block(1).into()));
        let (dir, cache) = setup(&[("logo.png", png.encoder().bytes().to_vec())]);
        let images = Images::new(cache, Settings::default());
        let picture = images.picture(&dir.path().join("logo.png")).unwrap();
        let cleaned = fs::read(&picture.original.file).unwrap();
        assert_no_secrets(&cleaned);
        let cleaned = Png::from_bytes(cleaned.into()).unwrap();
        assert!(cleaned.chunk_by_type(*b"tEXt").is_none());
        assert!(cleaned.exif().is_none());
        assert_eq!(
            sizes(&picture.variants),
            [(480, 240), (960, 480), (1000, 500)]
        );
        check_files(&picture.variants);
        for v in picture.variants.iter().chain(&picture.webp) {
            let decoded = image::open(&v.file).unwrap();
            assert!(decoded.color().has_alpha(), "{}", v.file.display());
            let rgba = decoded.to_rgba8();
            assert_eq!(rgba.get_pixel(2, 2)[3], 255);
            assert_eq!(rgba.get_pixel(v.width - 3, 2)[3], 0);
        }
    }

    #[test]
    fn webp_metadata_goes_and_flags_follow() {
        let image = RgbaImage::from_fn(600, 300, |x, y| {
            Rgba([(x * 255 / 600) as u8, (y * 255 / 300) as u8, 60, 200])
        });
        let encoded = webp::Encoder::from_rgba(image.as_raw(), 600, 300).encode(80.0);
        let mut webp = WebP::from_bytes(Bytes::copy_from_slice(&encoded)).unwrap();
        let xmp = RiffChunk::new(CHUNK_XMP, RiffContent::Data(XMP.into()));
        webp.chunks_mut().push(xmp);
        webp.set_exif(Some(exif_block(1).into()));
        if let Some(RiffContent::Data(data)) = webp
            .chunks_mut()
            .iter_mut()
            .find(|c| c.id() == CHUNK_VP8X)
            .map(RiffChunk::content_mut)
        {
            let mut flags = data.to_vec();
            flags[0] |= VP8X_XMP;
            *data = flags.into();
        }
        let source = webp.encoder().bytes().to_vec();
        assert!(contains(&source, SERIAL));
        let (dir, cache) = setup(&[("photo.webp", source)]);
        let images = Images::new(cache, Settings::default());
        let picture = images.picture(&dir.path().join("photo.webp")).unwrap();
        let cleaned = fs::read(&picture.original.file).unwrap();
        assert_no_secrets(&cleaned);
        let cleaned = WebP::from_bytes(cleaned.into()).unwrap();
        assert!(!cleaned.has_chunk(CHUNK_EXIF) && !cleaned.has_chunk(CHUNK_XMP));
        let vp8x = cleaned.chunk_by_id(CHUNK_VP8X).unwrap();
        let flags = vp8x.content().data().unwrap()[0];
        // Alpha still, EXIF and XMP no more.
        assert_eq!(flags, 0b0001_0000);
        assert!(image::load_from_memory(&fs::read(&picture.original.file).unwrap()).is_ok());
        assert_eq!(sizes(&picture.variants), [(480, 240), (600, 300)]);
        assert!(picture.webp.is_empty());
        assert!(picture.variants.iter().all(|v| v.format == Format::Webp));
        check_files(&picture.variants);
    }

    #[test]
    fn damaged_cache_files_are_recreated() {
        let (dir, cache) = setup(&[("photo.jpg", jpeg_with_metadata(700, 400, 3))]);
        let source = dir.path().join("photo.jpg");
        let first = Images::new(cache.clone(), Settings::default());
        let picture = first.picture(&source).unwrap();
        first.save().unwrap();
        fs::remove_file(&picture.variants[0].file).unwrap();
        fs::write(&picture.variants[1].file, b"half a file").unwrap();
        fs::remove_file(&picture.original.file).unwrap();

        let second = Images::new(cache.clone(), Settings::default());
        let again = second.picture(&source).unwrap();
        assert_eq!(second.work_done(), (1, 1));
        check_files(&again.variants);
        assert_eq!(
            fs::metadata(&again.original.file).unwrap().len(),
            again.original.size
        );

        // An unreadable manifest is an empty one: the work is done again, not refused.
        fs::write(cache.join(MANIFEST), b"{ not json").unwrap();
        let third = Images::new(cache.clone(), Settings::default());
        third.picture(&source).unwrap();
        assert_eq!(third.work_done(), (1, 1));
        third.save().unwrap();
        let manifest: Manifest =
            serde_json::from_slice(&fs::read(cache.join(MANIFEST)).unwrap()).unwrap();
        assert_eq!(manifest.version, VERSION);
    }

    #[test]
    fn threads_asking_for_one_file_share_the_work() {
        let (dir, cache) = setup(&[("photo.jpg", jpeg(700, 400))]);
        let source = dir.path().join("photo.jpg");
        let images = Images::new(cache, Settings::default());
        let (a, b) = std::thread::scope(|s| {
            let a = s.spawn(|| images.picture(&source).unwrap());
            let b = s.spawn(|| images.picture(&source).unwrap());
            (a.join().unwrap(), b.join().unwrap())
        });
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(images.work_done(), (1, 1));
        assert_eq!(images.clean(&source).unwrap().file, a.original.file);
    }
}
