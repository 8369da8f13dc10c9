//! What a build remembers for the next one, kept beside the output folder (in its state
//! folder, `.output.briefing/memory`): for every page it rendered, a fingerprint of what
//! the page's template was given, and the size, time and inode of the file it left in the
//! output folder. A page whose template would be given the same values, in the same theme,
//! by the same program, is the same page: when the file is still the one the last build
//! left there, the next build keeps it without rendering it again.
//!
//! The memory is checked, never trusted: it is written whole or not at all, carries a
//! checksum of its bytes (a damaged file is forgotten), names the program and theme that made
//! it (another program or theme forgets it), and each file it vouches for must still have
//! the size, inode, modification time and status-change time it had: a file written,
//! replaced or touched since, by anything, is rendered again (its status-change time cannot
//! be set back by hand). Forgetting costs a render, never a wrong page.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// A fingerprint: the 128-bit XXH3 hash of what a template was given, and the template's
/// name. Like the fingerprints of a compiler's incremental builds, it is not made to resist
/// a forger, only chance: the site's writers could publish any page they like anyway.
pub type Key = [u8; 16];

/// The name of the memory in the state folder.
pub const FILE: &str = "memory";

/// The version of the memory's format and of what a fingerprint covers: changing either
/// makes every memory stale.
const FORMAT: u32 = 1;

/// How a file in the output folder looked when a build left it there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    len: u64,
    /// Modification time, in nanoseconds since 1970.
    modified: u64,
    inode: u64,
    /// Status-change time, in nanoseconds since 1970 (none where the system has none).
    changed: i64,
}

impl Stamp {
    pub fn of(meta: &fs::Metadata) -> Stamp {
        #[cfg(unix)]
        let (inode, changed) = {
            use std::os::unix::fs::MetadataExt as _;
            (
                meta.ino(),
                meta.ctime().wrapping_mul(1_000_000_000) + meta.ctime_nsec(),
            )
        };
        #[cfg(not(unix))]
        let (inode, changed) = (0, 0);
        let modified = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as u64);
        Stamp {
            len: meta.len(),
            modified,
            inode,
            changed,
        }
    }

    /// The stamp of the plain file at `path`, if there is one.
    pub fn read(path: &Path) -> Option<Stamp> {
        let meta = fs::symlink_metadata(path).ok()?;
        meta.is_file().then(|| Stamp::of(&meta))
    }
}

/// The fingerprint of a page in the making: each value its template is given, by name.
pub struct Fingerprint {
    feed: Feed,
    /// A value could not be written: the page has no fingerprint.
    failed: bool,
}

impl Default for Fingerprint {
    fn default() -> Self {
        Fingerprint {
            feed: Feed {
                hash: Box::default(),
                buffer: Vec::with_capacity(FEED_BUFFER),
            },
            failed: false,
        }
    }
}

/// Bytes gathered before they go into the hash: serde writes a few at a time.
const FEED_BUFFER: usize = 4096;

/// Takes the compact binary form (postcard's) of values into the hash: strings with their
/// lengths, so no two different values read the same, and nothing to escape.
struct Feed {
    hash: Box<xxhash_rust::xxh3::Xxh3>,
    buffer: Vec<u8>,
}

impl Feed {
    fn flush(&mut self) {
        self.hash.update(&self.buffer);
        self.buffer.clear();
    }
}

impl postcard::ser_flavors::Flavor for &mut Feed {
    type Output = ();

    fn try_push(&mut self, byte: u8) -> postcard::Result<()> {
        self.buffer.push(byte);
        if self.buffer.len() >= FEED_BUFFER {
            self.flush();
        }
        Ok(())
    }

    fn try_extend(&mut self, bytes: &[u8]) -> postcard::Result<()> {
        if self.buffer.len() + bytes.len() > FEED_BUFFER {
            self.flush();
        }
        if bytes.len() >= FEED_BUFFER {
            self.hash.update(bytes);
        } else {
            self.buffer.extend_from_slice(bytes);
        }
        Ok(())
    }

    fn finalize(self) -> postcard::Result<()> {
        Ok(())
    }
}

impl Fingerprint {
    /// Adds a value given to the template under `name`: every field, in order.
    pub fn add<T: Serialize + ?Sized>(&mut self, name: &str, value: &T) {
        use postcard::ser_flavors::Flavor as _;
        let mut feed = &mut self.feed;
        let _ = feed.try_extend(&(name.len() as u64).to_le_bytes());
        let _ = feed.try_extend(name.as_bytes());
        self.failed |= postcard::serialize_with_flavor(value, &mut self.feed).is_err();
    }

    /// Adds values given to the template under `name` by their own fingerprints (made once
    /// for many pages); one that has none leaves the page without one.
    pub fn add_keys(&mut self, name: &str, keys: &[Option<Key>]) {
        let keys: Option<Vec<Key>> = keys.iter().copied().collect();
        match keys {
            Some(keys) => self.add(name, &keys),
            None => self.failed = true,
        }
    }

    /// The key of a page made with `template` from the values added; none when a value could
    /// not be written (the page is then always rendered).
    pub fn finish(mut self, template: &str) -> Option<Key> {
        self.add("template", template);
        self.feed.flush();
        (!self.failed).then(|| self.feed.hash.digest128().to_le_bytes())
    }
}

/// What makes every fingerprint mean the same page: this program, the memory's format, and
/// the theme's fingerprint (its templates and interface strings).
pub fn identity(theme: &Key) -> Key {
    // A program built again (a new version under development) is another program.
    let program = std::env::current_exe()
        .ok()
        .and_then(|p| Stamp::read(&p))
        .map_or((0, 0, 0), |s| (s.len, s.modified, s.inode));
    key_of(&[
        env!("CARGO_PKG_VERSION").as_bytes(),
        &FORMAT.to_le_bytes(),
        &program.0.to_le_bytes(),
        &program.1.to_le_bytes(),
        &program.2.to_le_bytes(),
        theme,
    ])
}

/// One page remembered.
#[derive(Debug, Clone, Copy)]
struct Entry {
    key: Key,
    stamp: Stamp,
}

/// What the last build into an output folder remembered, for this build to check.
#[derive(Debug)]
pub struct Memory {
    output: PathBuf,
    identity: Key,
    pages: HashMap<String, Entry>,
    /// The plain files the output folder holds as this build begins, with their stamps:
    /// the only files a page can be kept in.
    found: HashMap<String, Stamp>,
    /// The fingerprints of links to notes, by note, as this build makes them.
    links: OnceLock<Vec<OnceLock<Option<Key>>>>,
    /// What the last build learned of the search index, and the state folder it is kept in.
    index: Option<(Shelf, PathBuf)>,
}

/// The memory as written: each page's path, fingerprint and stamp (a vector read, a slice
/// written).
#[derive(Serialize, Deserialize)]
struct Written<P = Vec<(String, Key, Stamp)>> {
    format: u32,
    identity: Key,
    pages: P,
}

impl Memory {
    /// The memory kept in `state` for the output folder `output`, made by the program and
    /// theme of `identity`; empty when there is none, or none to trust.
    pub fn load(state: &Path, output: &Path, identity: Key) -> Memory {
        let pages = read_checked(&state.join(FILE))
            .and_then(|text| postcard::from_bytes::<Written>(&text).ok())
            .filter(|w| w.format == FORMAT && w.identity == identity)
            .map(|w| {
                w.pages
                    .into_iter()
                    .map(|(path, key, stamp)| (path, Entry { key, stamp }))
                    .collect()
            })
            .unwrap_or_default();
        Memory {
            pages,
            ..Memory::new(output, identity)
        }
    }

    /// Takes what the last build learned of the search index, kept in `state` (whatever the
    /// output folder holds: it does not depend on it), and keeps what this one learns there.
    pub fn with_index(self, state: &Path) -> Memory {
        let index = Shelf::load(state, INDEX, self.identity);
        Memory {
            index: Some((index, state.to_path_buf())),
            ..self
        }
    }

    /// A memory of nothing, for the output folder `output`.
    pub fn new(output: &Path, identity: Key) -> Memory {
        Memory {
            output: output.to_path_buf(),
            identity,
            pages: HashMap::new(),
            found: HashMap::new(),
            links: OnceLock::new(),
            index: None,
        }
    }

    /// What the last build learned of the search index (see `search::recall`).
    pub fn index(&self) -> Option<&Shelf> {
        self.index.as_ref().map(|(shelf, _)| shelf)
    }

    /// Keeps what this build learned of the search index for the next; what cannot be
    /// written is counted again.
    pub fn keep_index(&self, learned: Vec<Shelved>) {
        if let Some((shelf, state)) = &self.index {
            let _ = shelf.save(state, learned);
        }
    }

    /// Whether it remembers nothing: every page is rendered, and fingerprinted on the way.
    pub fn is_empty(&self) -> bool {
        self.pages.is_empty()
    }

    /// The file at `path` in the output folder, when the last build made it from the
    /// fingerprint `key` and it is still the file that build left: its stamp.
    pub fn kept(&self, path: &str, key: &Key) -> Option<Stamp> {
        let entry = self.pages.get(path)?;
        if entry.key != *key {
            return None;
        }
        let now = *self.found.get(path)?;
        (now == entry.stamp).then_some(now)
    }

    /// Takes what the output folder holds as this build begins: its plain files, by path,
    /// with their stamps.
    pub fn survey(&mut self, found: HashMap<String, Stamp>) {
        self.found = found;
    }

    /// The plain files the output folder held as this build began, with their stamps.
    pub fn found(&self) -> &HashMap<String, Stamp> {
        &self.found
    }

    /// The fingerprint of the link to note `i` of `notes`, made by `make` the first time.
    pub fn link_key(
        &self,
        i: usize,
        notes: usize,
        make: impl FnOnce() -> Option<Key>,
    ) -> Option<Key> {
        let links = self
            .links
            .get_or_init(|| (0..notes).map(|_| OnceLock::new()).collect());
        *links.get(i)?.get_or_init(make)
    }

    /// The file a kept page is in.
    pub fn file(&self, path: &str) -> PathBuf {
        self.output.join(path)
    }

    /// Writes what this build learned (every page it made, with its key and the stamp of
    /// its file) as the memory for the next one: whole, or not at all.
    pub fn save(&self, state: &Path, learned: &[(String, Key, Stamp)]) -> std::io::Result<()> {
        let written = Written {
            format: FORMAT,
            identity: self.identity,
            pages: learned,
        };
        write_checked(state, FILE, &written, learned.len() * 96)
    }
}

/// What a build learned of each note: the note as its text reads, by a key of that text
/// (and of the settings and program that read it), kept for the next build, which then
/// reads a note again only when its file changed. Written whole with its checksum; a
/// damaged or foreign shelf is forgotten.
pub struct Shelf {
    /// Its file's name in the state folder.
    name: &'static str,
    identity: Key,
    /// The shelf's file as read.
    bytes: Vec<u8>,
    /// Where each entry's bytes are in `bytes`.
    entries: HashMap<Key, std::ops::Range<usize>>,
}

impl std::fmt::Debug for Shelf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Shelf({}, {} entries)", self.name, self.entries.len())
    }
}

/// The name of the note shelf in the state folder.
pub const NOTES: &str = "notes";

/// The name of the shelf of rendered notes (all but their texts: see
/// `markdown::Rendered`) in the state folder.
pub const BODIES: &str = "bodies";

/// The name of the shelf of the search index's word counts in the state folder.
pub const INDEX: &str = "index";

/// The files of the memory in the state folder: each written whole as `<name>.new`, then
/// renamed.
pub const FILES: [&str; 5] = [FILE, NOTES, BODIES, PHONES, INDEX];

/// The shelf as written: its entries read as borrowed slices of the file, written as
/// [`Bytes`] (the same bytes).
#[derive(Serialize, Deserialize)]
struct Stored<E> {
    format: u32,
    identity: Key,
    entries: E,
}

/// Bytes written in one piece (serde's `serialize_bytes`) rather than one value at a time,
/// as a slice of `u8` is: the same bytes in postcard, without a call per byte.
pub struct Bytes<'a>(pub &'a [u8]);

impl Serialize for Bytes<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(self.0)
    }
}

/// What a build learned under a key, for the next: what the shelf held already, or new.
pub enum Shelved {
    Again(Key),
    New(Key, Vec<u8>),
}

impl Shelf {
    /// The shelf `name` kept in `state` for settings and program of `identity`; empty when
    /// there is none to trust.
    pub fn load(state: &Path, name: &'static str, identity: Key) -> Shelf {
        let bytes = read_checked(&state.join(name)).unwrap_or_default();
        let entries = match postcard::from_bytes::<Stored<Vec<(Key, &[u8])>>>(&bytes) {
            Ok(s) if s.format == FORMAT && s.identity == identity => {
                let base = bytes.as_ptr() as usize;
                (s.entries.iter())
                    .map(|(key, b)| {
                        let start = b.as_ptr() as usize - base;
                        (*key, start..start + b.len())
                    })
                    .collect()
            }
            _ => HashMap::new(),
        };
        Shelf {
            name,
            identity,
            bytes,
            entries,
        }
    }

    /// What was learned under `key`.
    pub fn get(&self, key: &Key) -> Option<&[u8]> {
        let range = self.entries.get(key)?;
        self.bytes.get(range.clone())
    }

    /// Keeps `learned` as the shelf for the next build, whole or not at all; nothing is
    /// written when it holds what the shelf already held.
    pub fn save(&self, state: &Path, learned: Vec<Shelved>) -> std::io::Result<()> {
        if learned.len() == self.entries.len()
            && learned.iter().all(|s| matches!(s, Shelved::Again(_)))
        {
            return Ok(());
        }
        let entries = (learned.iter())
            .filter_map(|s| match s {
                Shelved::Again(key) => Some((*key, Bytes(self.get(key)?))),
                Shelved::New(key, bytes) => Some((*key, Bytes(bytes))),
            })
            .collect::<Vec<_>>();
        let stored = Stored {
            format: FORMAT,
            identity: self.identity,
            entries,
        };
        let size = (learned.iter())
            .map(|s| match s {
                Shelved::Again(key) => self.entries.get(key).map_or(0, |r| r.len()),
                Shelved::New(_, bytes) => bytes.len(),
            })
            .sum::<usize>();
        write_checked(state, self.name, &stored, size + 24 * learned.len())
    }
}

/// The name of the telephone numbers read by earlier builds, in the state folder.
pub const PHONES: &str = "phones";

/// The numbers as written.
#[derive(Serialize, Deserialize)]
struct Phones {
    format: u32,
    identity: Key,
    known: Vec<crate::contact::Known>,
}

/// The identity of what this program reads of a telephone number: its numbering plans are
/// the program's own.
fn phones_identity() -> Key {
    identity(&key_of(&[PHONES.as_bytes()]))
}

/// The telephone numbers this program read in earlier builds into `state`, for
/// [`crate::contact::recall`]; none when they cannot be trusted.
pub fn recall_phones(state: &Path) -> Vec<crate::contact::Known> {
    read_checked(&state.join(PHONES))
        .and_then(|bytes| postcard::from_bytes::<Phones>(&bytes).ok())
        .filter(|p| p.format == FORMAT && p.identity == phones_identity())
        .map(|p| p.known)
        .unwrap_or_default()
}

/// Keeps the numbers read so far in `state`, if some were read since the last time.
pub fn keep_phones(state: &Path) -> std::io::Result<()> {
    let Some(known) = crate::contact::learned() else {
        return Ok(());
    };
    let phones = Phones {
        format: FORMAT,
        identity: phones_identity(),
        known,
    };
    write_checked(state, PHONES, &phones, 4096)
}

/// Writes `value` (in postcard's form, after its XXH3-128 checksum) as the file `name` of
/// `state`: whole, by a rename of `<name>.new`, or not at all; then the old file is removed
/// too (what cannot be written is the same as nothing remembered). `size` is about how many
/// bytes that takes: the file is made in one buffer of that size.
fn write_checked(
    state: &Path,
    name: &str,
    value: &impl Serialize,
    size: usize,
) -> std::io::Result<()> {
    let written = write_new(state, name, value, size);
    if written.is_err() {
        let _ = fs::remove_file(state.join(name));
    }
    written
}

fn write_new(state: &Path, name: &str, value: &impl Serialize, size: usize) -> std::io::Result<()> {
    let mut file = Vec::with_capacity(16 + size + size / 8);
    file.extend_from_slice(&[0; 16]);
    let mut file = postcard::to_extend(value, file).map_err(std::io::Error::other)?;
    let sum = xxhash_rust::xxh3::xxh3_128(&file[16..]).to_le_bytes();
    file[..16].copy_from_slice(&sum);
    let new = state.join(format!("{name}.new"));
    fs::write(&new, &file)?;
    fs::rename(&new, state.join(name))
}

/// What [`write_checked`] wrote at `path`, if its checksum holds.
fn read_checked(path: &Path) -> Option<Vec<u8>> {
    let mut bytes = fs::read(path).ok()?;
    let (sum, text) = bytes.split_at_checked(16)?;
    if sum != xxhash_rust::xxh3::xxh3_128(text).to_le_bytes() {
        return None;
    }
    bytes.drain(..16);
    Some(bytes)
}

/// The key of what `parts` hold, in order: XXH3-128, each part with its length.
pub fn key_of(parts: &[&[u8]]) -> Key {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    for part in parts {
        h.update(&(part.len() as u64).to_le_bytes());
        h.update(part);
    }
    h.digest128().to_le_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> Key {
        let mut f = Fingerprint::default();
        f.add("page", text);
        f.finish("briefing.html").unwrap()
    }

    #[test]
    fn a_page_is_kept_only_while_its_file_and_fingerprint_are_the_same() {
        let dir = std::env::temp_dir().join(format!("briefing-memory-{}", std::process::id()));
        let (state, output) = (dir.join("state"), dir.join("output"));
        fs::create_dir_all(&state).unwrap();
        fs::create_dir_all(&output).unwrap();
        fs::write(output.join("a.html"), "<p>a</p>").unwrap();
        let stamp = Stamp::read(&output.join("a.html")).unwrap();
        let identity = [7u8; 16];
        let memory = Memory::load(&state, &output, identity);
        assert!(memory.is_empty());
        memory
            .save(&state, &[("a.html".into(), key("a"), stamp)])
            .unwrap();

        let found = |stamp| HashMap::from([("a.html".to_string(), stamp)]);
        let mut memory = Memory::load(&state, &output, identity);
        // Nothing in the output folder: nothing kept.
        assert_eq!(memory.kept("a.html", &key("a")), None);
        memory.survey(found(stamp));
        assert_eq!(memory.kept("a.html", &key("a")), Some(stamp));
        // Another fingerprint, another program or theme, a file changed by hand, a damaged
        // memory: rendered again.
        assert_eq!(memory.kept("a.html", &key("b")), None);
        assert!(Memory::load(&state, &output, [8u8; 16]).is_empty());
        fs::write(output.join("a.html"), "<p>b</p>").unwrap();
        let changed = Stamp::read(&output.join("a.html")).unwrap();
        if changed != stamp {
            memory.survey(found(changed));
            assert_eq!(memory.kept("a.html", &key("a")), None);
        }
        let mut bytes = fs::read(state.join(FILE)).unwrap();
        let last = bytes.len() - 3;
        bytes[last] ^= 1;
        fs::write(state.join(FILE), bytes).unwrap();
        assert!(Memory::load(&state, &output, identity).is_empty());
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_fingerprint_covers_names_values_and_the_template() {
        let mut a = Fingerprint::default();
        a.add("title", "Border");
        let mut b = Fingerprint::default();
        b.add("titl", "eBorder");
        assert_ne!(a.finish("t.html"), b.finish("t.html"));
        assert_ne!(key("a"), {
            let mut f = Fingerprint::default();
            f.add("page", "a");
            f.finish("page.html").unwrap()
        });
        assert_eq!(key("a"), key("a"));
    }
}
