//! Content loading: files under `content/` become [`Note`]s, checked and paired into translations.

use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use indexmap::IndexMap;
use jiff::tz::TimeZone;
use rayon::prelude::*;
use serde::{Deserialize, Deserializer, Serialize};
use walkdir::WalkDir;

use crate::config::{Config, Entity};
use crate::contact::Contact;
use crate::dates::{When, parse_when};
use crate::error::{Diagnostic, display_path, line_col, read_bytes, read_text, utf8_text};
use crate::memory::{Shelf, Shelved};
use crate::paths::{CONTENT_DIR, is_ignored};
use crate::safety::{self, UrlUse};
use crate::yaml;

/// The two kinds of note, each a folder of `content/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Section {
    Briefings,
    Pages,
}

impl Section {
    pub fn dir(self) -> &'static str {
        match self {
            Section::Briefings => "briefings",
            Section::Pages => "pages",
        }
    }

    /// The site path of a note of this section: `en/briefings/<slug>/` or `en/<slug>/`.
    pub fn path(self, lang: &str, slug: &str) -> String {
        match self {
            Section::Briefings => crate::urls::briefing(lang, slug),
            Section::Pages => crate::urls::page(lang, slug),
        }
    }
}

/// The activity a note is about.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Event {
    pub start: Option<When>,
    pub end: Option<When>,
    pub locations: Vec<String>,
}

/// A file beside a note in its folder, copied next to the note's page.
#[derive(Debug, Clone)]
pub struct BundleAsset {
    /// Path inside the note folder, with forward slashes: `photos/delegation.jpg`.
    pub rel: String,
    pub source: PathBuf,
    /// Size in bytes.
    pub size: u64,
}

/// A file of `content/` that belongs to no note folder; copied to the same path under output.
#[derive(Debug, Clone)]
pub struct LooseAsset {
    /// Path under `content/`, with forward slashes: `briefings/map.png`.
    pub rel: String,
    pub source: PathBuf,
}

/// One language version of a briefing or page.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Note {
    pub section: Section,
    pub lang: String,
    /// The file on disk.
    pub source: PathBuf,
    /// The file as the user knows it: `content/briefings/x/index.en.md`.
    pub shown: PathBuf,
    /// The source file path under `content/`, with forward slashes.
    pub content_rel: String,
    /// The note folder under `content/` (folder form only), with forward slashes.
    pub bundle: Option<String>,
    pub translation_key: String,
    pub slug: String,
    pub title: String,
    pub subtitle: Option<String>,
    pub dateline: Option<String>,
    /// The publication date; for a static page written without one, the start of 1970 (see
    /// `undated`).
    pub date: When,
    /// A static page written without `date:`: it has no publication date to show or list.
    pub undated: bool,
    pub updated: Option<When>,
    /// The summary written in front matter, if any.
    pub summary: Option<String>,
    pub project: Option<Entity>,
    pub funder: Option<Entity>,
    pub event: Option<Event>,
    pub contacts: Vec<Contact>,
    pub tags: Vec<String>,
    pub embargo: Option<When>,
    pub draft: bool,
    pub aliases: Vec<String>,
    /// The languages the note is meant for (`languages: [en]`), when it says; a note for one
    /// language is then not missing its translation.
    pub languages: Option<Vec<String>>,
    /// A static page's short label in the site navigation (default: its title).
    pub nav_label: Option<String>,
    /// A static page's place in the site navigation: lower first; pages without one follow,
    /// by slug.
    pub nav_order: Option<i64>,
    /// The full text of the file (see [`Note::text`]).
    #[serde(skip)]
    text: NoteText,
    /// Byte offset of the Markdown body in `text`.
    pub body_start: usize,
    /// Set once every file of content/ is known.
    #[serde(skip)]
    pub assets: Vec<BundleAsset>,
    /// The files of the note's folder its page offers under "Downloads", in this order, when
    /// it says (`downloads: [programme.pdf, delegation.jpg]`); otherwise every file of the
    /// folder but the images shown in its text.
    pub downloads: Option<Vec<String>>,
    /// What links to this note and its files resolve against, as a number: made on first use,
    /// once `assets` is set.
    #[serde(skip)]
    link_key: std::sync::OnceLock<u64>,
    /// The key of its path and text, when a build read it (the note shelf's key).
    #[serde(skip)]
    pub text_key: Option<crate::memory::Key>,
}

/// A note's text, as read with the note; or, for a note the notes' shelf remembered, read
/// again from its file the first time something asks for it (a snippet for an error, its body
/// rendered again for a feed): a build that changes a few notes of 10,000 then holds the text
/// of those few, not 100 MB it does not use.
#[derive(Debug, Default)]
struct NoteText {
    text: OnceLock<String>,
    /// The file no longer held what the build read: the note has no text, and the run that
    /// asked for it fails ([`Note::changed_while_read`]).
    changed: AtomicBool,
}

impl Clone for NoteText {
    fn clone(&self) -> Self {
        NoteText {
            text: self.text.clone(),
            changed: AtomicBool::new(self.changed.load(Ordering::Relaxed)),
        }
    }
}

impl Note {
    /// The full text of the file, for the body and for error snippets.
    pub fn text(&self) -> &str {
        self.text.text.get_or_init(|| self.read_again())
    }

    /// The text of a remembered note, read from its file again: only if it is still the text
    /// the build read (its key), or else none, the note marked as changed.
    fn read_again(&self) -> String {
        let again = std::fs::read(&self.source)
            .ok()
            .filter(|bytes| self.text_key == Some(text_key(&self.content_rel, bytes)));
        match again.and_then(|bytes| String::from_utf8(bytes).ok()) {
            Some(text) => without_bom(text),
            None => {
                self.text.changed.store(true, Ordering::Relaxed);
                String::new()
            }
        }
    }

    /// Whether the note's file changed between the moment the build read it and the moment
    /// it read it again for its text: whatever was made from it may mix the two, so nothing
    /// of the run that asked may be published.
    pub fn changed_while_read(&self) -> bool {
        self.text.changed.load(Ordering::Relaxed)
    }

    pub fn body(&self) -> &str {
        self.text().get(self.body_start..).unwrap_or_default()
    }

    /// The front matter with its `---` lines.
    pub fn front(&self) -> &str {
        self.text().get(..self.body_start).unwrap_or_default()
    }

    /// The 1-based line of a top-level front matter key (`tags:`), for pointing at it.
    pub fn line_of_key(&self, key: &str) -> Option<usize> {
        // Its keys count lines from the file's top.
        yaml::key_location(self.front(), &[key]).map(|(line, _)| line)
    }

    /// A fingerprint of what links to this note resolve against: its file, language, URL,
    /// pairing and files.
    pub fn link_key(&self) -> u64 {
        *self.link_key.get_or_init(|| {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            (
                &self.content_rel,
                &self.lang,
                &self.slug,
                &self.translation_key,
                self.section,
            )
                .hash(&mut h);
            for a in &self.assets {
                a.rel.hash(&mut h);
            }
            h.finish()
        })
    }

    /// The site path of a file of the note's folder, published once for all its versions:
    /// `briefings/x/photo.jpg`.
    pub fn asset_path(&self, asset: &BundleAsset) -> String {
        match &self.bundle {
            Some(b) => crate::urls::content_file(&format!("{b}/{}", asset.rel)),
            None => crate::urls::content_file(&asset.rel),
        }
    }

    /// The site path of the note's page: `en/briefings/<slug>/`.
    pub fn path(&self) -> String {
        self.section.path(&self.lang, &self.slug)
    }
}

/// Everything `content/` holds.
#[derive(Debug, Default)]
pub struct Content {
    pub notes: Vec<Arc<Note>>,
    pub loose_assets: Vec<LooseAsset>,
    /// Errors and warnings; the notes above are those that loaded without error.
    pub diagnostics: Vec<Diagnostic>,
    /// Markdown files (paths under content/) that could not be loaded: their errors are above.
    pub failed: HashSet<String>,
}

/// Loads and checks every file under `<root>/content`. Every error is collected, not only the
/// first: the notes that loaded are kept, so later stages can report their errors too.
pub fn load(config: &Config) -> Content {
    load_reusing(config, &HashMap::new())
}

/// Loads `content/` like [`load`], taking the notes in `unchanged` (by path under content/)
/// as they are instead of reading their files again.
pub fn load_reusing(config: &Config, unchanged: &HashMap<&str, &Note>) -> Content {
    load_with(config, walk(config), unchanged, None).0
}

/// What a build learned of each note it read: the key of its text, and the note.
pub type Learned = Vec<Shelved>;

/// What a build keeps of one note it read.
type Kept = Option<Shelved>;

/// Loads `content/` like [`load`], taking each note whose text the shelf holds as a build
/// read it before, rather than reading its front matter again; and what to keep of every
/// note for the next build. The shelf is asked for once content/ is walked: it may be read
/// meanwhile.
pub fn load_remembering(
    config: &Config,
    shelf: impl FnOnce() -> Shelf,
) -> (Content, Learned, Shelf) {
    let walked = walk(config);
    let shelf = shelf();
    let (content, learned) = load_with(config, walked, &HashMap::new(), Some(&shelf));
    (content, learned, shelf)
}

fn load_with(
    config: &Config,
    walked: Walked,
    unchanged: &HashMap<&str, &Note>,
    shelf: Option<&Shelf>,
) -> (Content, Learned) {
    let Walked {
        markdown,
        others,
        mut errors,
        mut warnings,
    } = walked;

    // Note folders: folders that hold an index.md or index.<lang>.md.
    let bundles: Vec<String> = markdown
        .iter()
        .filter_map(|(_, rel)| {
            let (dir, name) = rel.rsplit_once('/')?;
            (name == "index.md" || (name.starts_with("index.") && name.matches('.').count() == 2))
                .then(|| dir.to_string())
        })
        .collect();

    let parsed: Vec<(Parsed, Kept)> = markdown
        .par_iter()
        .map(|(path, rel)| match unchanged.get(rel.as_str()) {
            Some(note) => {
                let mut note = (*note).clone();
                note.assets.clear();
                (Ok((note, Vec::new())), None)
            }
            None => match shelf {
                Some(shelf) => parse_remembered(config, path, rel, shelf),
                None => (parse_note(config, path, rel), None),
            },
        })
        .collect();
    // A note is large: moved once into a vector of the right size, not again as it grows.
    let mut notes = Vec::with_capacity(parsed.len());
    let mut failed = HashSet::new();
    let mut learned = Vec::with_capacity(parsed.len());
    for ((result, kept), (_, rel)) in parsed.into_iter().zip(&markdown) {
        learned.extend(kept);
        match result {
            Ok((note, w)) => {
                notes.push(note);
                warnings.extend(w);
            }
            Err(e) => {
                errors.extend(e);
                failed.insert(rel.clone());
            }
        }
    }

    errors.extend(
        others
            .par_iter()
            .filter_map(|(source, rel, _)| check_file(config, source, rel))
            .collect::<Vec<_>>(),
    );
    let loose_assets = attach_files(&mut notes, others, &bundles);

    notes.sort_by(|a, b| a.content_rel.cmp(&b.content_rel));
    let notes: Vec<Arc<Note>> = notes.into_iter().map(Arc::new).collect();
    check_pairs(&notes, &mut errors);
    // A doubtful number of site.yaml's contacts and a language written in part, once for the
    // site rather than once a note.
    errors.extend(
        config
            .contacts
            .values()
            .filter_map(|c| c.phone_doubt.clone()),
    );
    errors.extend(
        config
            .languages
            .iter()
            .filter_map(|l| l.locale_fallback.clone()),
    );
    errors.extend(warnings);
    let content = Content {
        notes,
        loose_assets,
        diagnostics: errors,
        failed,
    };
    (content, learned)
}

/// The files of content/, in name order: the notes, the other files (with their sizes), and
/// what is wrong with names and folders.
#[derive(Default)]
struct Walked {
    markdown: Vec<(PathBuf, String)>,
    others: Vec<(PathBuf, String, u64)>,
    errors: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
}

/// Walks content/, never following a link, taking no hidden or temporary file.
fn walk(config: &Config) -> Walked {
    crate::contact::warm_up();
    let content_dir = config.root.join(CONTENT_DIR);
    let mut walked = Walked::default();
    let Walked {
        markdown,
        others,
        errors,
        warnings,
    } = &mut walked;
    if content_dir.is_dir() {
        let walker = WalkDir::new(&content_dir)
            .follow_links(false)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !is_ignored(e.file_name().to_str()));
        for entry in walker {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    let path = e.path().map(|p| shown(config, p)).unwrap_or_default();
                    errors.push(
                        Diagnostic::error(format!("cannot read this folder entry: {e}"))
                            .file(path)
                            .help("check that the file or folder exists and that you may read it"),
                    );
                    continue;
                }
            };
            if entry.depth() == 0 {
                continue;
            }
            let rel = entry
                .path()
                .strip_prefix(&content_dir)
                .unwrap_or(entry.path());
            let Some(rel_str) = rel.to_str() else {
                errors.push(
                    Diagnostic::error("this file name is not valid UTF-8")
                        .file(shown(config, entry.path()))
                        .help("rename the file using letters, digits and hyphens"),
                );
                continue;
            };
            let rel_str = rel_str.replace('\\', "/");
            if let Some(problem) = entry
                .file_name()
                .to_str()
                .and_then(safety::portable_name_problem)
            {
                errors.push(
                    Diagnostic::error(format!("this name cannot be published: {problem}"))
                        .file(shown(config, entry.path()))
                        .help("rename it with letters, digits, hyphens and dots, e.g. programme-2015.pdf"),
                );
                continue;
            }
            if entry.path_is_symlink() {
                warnings.push(
                    Diagnostic::warning("symbolic link not followed")
                        .file(shown(config, entry.path()))
                        .help("briefing reads only real files inside content/; copy the file here instead"),
                );
                continue;
            }
            if entry.file_type().is_dir() {
                if entry.depth() == 1 && section_of(&rel_str).is_none() {
                    errors.push(unknown_section(config, entry.path()));
                }
                continue;
            }
            if entry.depth() == 1 {
                errors.push(
                    Diagnostic::error("a file directly in content/ belongs to no section")
                        .file(shown(config, entry.path()))
                        .help("move it into content/briefings/ (briefing notes) or content/pages/ (static pages)"),
                );
                continue;
            }
            if section_of(&rel_str).is_none() {
                continue; // reported once for its folder
            }
            if rel_str.ends_with(".md") {
                markdown.push((entry.path().to_path_buf(), rel_str));
            } else {
                let size = entry.metadata().map_or(0, |m| m.len());
                others.push((entry.path().to_path_buf(), rel_str, size));
            }
        }
    }
    walked
}

/// Gives each file beside notes to the notes of its folder (the innermost note folder that
/// holds it); the files in no note folder are the loose files of content/.
fn attach_files(
    notes: &mut [Note],
    others: Vec<(PathBuf, String, u64)>,
    bundles: &[String],
) -> Vec<LooseAsset> {
    let mut loose_assets = Vec::new();
    for (source, rel, size) in others {
        let bundle = bundles
            .iter()
            .filter(|b| rel.starts_with(&format!("{b}/")))
            .max_by_key(|b| b.len());
        match bundle {
            Some(b) => {
                let inner = rel[b.len() + 1..].to_string();
                for note in notes.iter_mut().filter(|n| n.bundle.as_deref() == Some(b)) {
                    note.assets.push(BundleAsset {
                        rel: inner.clone(),
                        source: source.clone(),
                        size,
                    });
                }
            }
            None => loose_assets.push(LooseAsset { rel, source }),
        }
    }
    loose_assets
}

/// Reads again only the notes at `changed` (paths under content/), keeping the others as they
/// are, when each of them is a note that still exists: the common case of a note saved in an
/// editor. None when a file was created, removed or is not a note: load everything then.
pub fn reparse(
    config: &Config,
    notes: &[Arc<Note>],
    loose_assets: &[LooseAsset],
    changed: &HashSet<String>,
) -> Option<Content> {
    let mut notes = notes.to_vec();
    let mut errors = Vec::new();
    let mut failed = HashSet::new();
    // The notes were loaded without a pair error: one can come only from a note that changed
    // what it pairs by.
    let mut repaired = false;
    for rel in changed {
        let i = notes.iter().position(|n| n.content_rel == *rel)?;
        let path = config.root.join(CONTENT_DIR).join(rel);
        if !path.is_file() {
            return None;
        }
        match parse_note(config, &path, rel) {
            Ok((mut note, warnings)) => {
                let old = &notes[i];
                repaired |= (&note.translation_key, &note.lang, note.section, &note.slug)
                    != (&old.translation_key, &old.lang, old.section, &old.slug);
                note.assets = old.assets.clone();
                notes[i] = Arc::new(note);
                errors.extend(warnings);
            }
            Err(e) => {
                errors.extend(e);
                failed.insert(rel.clone());
            }
        }
    }
    notes.retain(|n| !failed.contains(&n.content_rel));
    if repaired {
        check_pairs(&notes, &mut errors);
    }
    Some(Content {
        notes,
        loose_assets: loose_assets.to_vec(),
        diagnostics: errors,
        failed,
    })
}

/// Why a file of content/ cannot be published as it is: a page a browser would run scripts
/// from (unless the site allows raw HTML), or an SVG image with a script or a reference to
/// another site.
fn check_file(config: &Config, source: &Path, rel: &str) -> Option<Diagnostic> {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    if safety::is_program_file(name) || safety::is_compressed_active_file(name) {
        return Some(
            Diagnostic::error("this file cannot be published: a web server may run it as a program, or send it as a page unchecked")
                .file(shown(config, source))
                .help("to offer it for download, put it in a .zip archive; if it is a document, save it as a PDF"),
        );
    }
    if safety::is_active_file(name) && config.raw_html != crate::config::RawHtml::Allow {
        return Some(
            Diagnostic::error("a web page or XML file cannot be published from content/: it could run a script on the site")
                .file(shown(config, source))
                .help("publish it as a PDF, or as a note (a .md file); a site whose authors are all trusted may allow such files with `markdown: { raw_html: allow }` in site.yaml"),
        );
    }
    if !name.to_ascii_lowercase().ends_with(".svg") {
        return image_problem(source, name).map(|(message, help)| {
            Diagnostic::error(message)
                .file(shown(config, source))
                .help(help)
        });
    }
    let shown_path = shown(config, source);
    let text = match read_text(source, &shown_path) {
        Ok(t) => t,
        Err(d) => return Some(d),
    };
    let (why, offset) = safety::check_svg(&text).err()?;
    let (line, column) = line_col(&text, offset.min(text.len()));
    Some(
        Diagnostic::error(format!("this SVG image cannot be published: {why}"))
            .file(shown_path)
            .at(&text, line, column, 1)
            .help("export the image again as a plain SVG without scripts, links or interactivity (in Inkscape: Save As, Optimized SVG), or as a PNG"),
    )
}

/// Why a file that is an image, whatever its name, cannot be published as it is: a JPEG, PNG
/// or WebP named otherwise would be published without its metadata removed; a GIF, TIFF,
/// AVIF or HEIC image carrying such data cannot have it removed. The message and the help.
fn image_problem(source: &Path, name: &str) -> Option<(String, String)> {
    match crate::images::sniff_file(source)? {
        crate::images::Kind::Other => None,
        crate::images::Kind::Cleaned(format) if !crate::images::is_raster(name) => Some((
            format!(
                "this file is a {} image, though its name does not say so",
                format.name()
            ),
            format!(
                "rename it to end in .{}: images are published with the data about where, when and with which camera they were taken removed, which needs the right name",
                format.extension()
            ),
        )),
        crate::images::Kind::Cleaned(_) => None,
        _ => {
            let bytes = std::fs::read(source).ok()?;
            crate::images::metadata_problem(&bytes).map(|why| {
                (
                    format!("this image cannot be published: {why}"),
                    "save it again as a JPEG or PNG image (briefing removes that data from those), or with an editor's \"export for web\", which leaves it out".to_string(),
                )
            })
        }
    }
}

fn section_of(rel: &str) -> Option<Section> {
    match rel.split('/').next()? {
        "briefings" => Some(Section::Briefings),
        "pages" => Some(Section::Pages),
        _ => None,
    }
}

fn unknown_section(config: &Config, path: &Path) -> Diagnostic {
    Diagnostic::error("content/ has a folder that is not a section")
        .file(shown(config, path))
        .help("notes go in content/briefings/ and static pages in content/pages/; move or rename this folder")
}

/// A path as the user knows it: relative to the site root.
fn shown(config: &Config, path: &Path) -> PathBuf {
    path.strip_prefix(&config.root)
        .unwrap_or(path)
        .to_path_buf()
}

/// A front matter scalar read as text: `2015` and `true` are accepted where text is expected.
#[derive(Debug, Clone)]
struct Text(String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        match serde_yaml::Value::deserialize(d)? {
            serde_yaml::Value::String(s) => Ok(Text(s)),
            serde_yaml::Value::Number(n) => Ok(Text(n.to_string())),
            serde_yaml::Value::Bool(b) => Ok(Text(b.to_string())),
            serde_yaml::Value::Sequence(_) => {
                Err(D::Error::custom("expected a single value, found a list"))
            }
            serde_yaml::Value::Mapping(_) => Err(D::Error::custom(
                "expected a single value, found keys and values",
            )),
            _ => Err(D::Error::custom("expected a value")),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFront {
    title: Option<Text>,
    subtitle: Option<Text>,
    dateline: Option<Text>,
    date: Option<Text>,
    updated: Option<Text>,
    summary: Option<Text>,
    project: Option<serde_yaml::Value>,
    funder: Option<serde_yaml::Value>,
    event: Option<RawEvent>,
    #[serde(default)]
    contacts: Vec<RawContactEntry>,
    #[serde(default)]
    tags: Vec<Text>,
    embargo: Option<Text>,
    draft: Option<bool>,
    slug: Option<Text>,
    translation_key: Option<Text>,
    #[serde(default)]
    aliases: Vec<Text>,
    languages: Option<Vec<Text>>,
    nav_label: Option<Text>,
    nav_order: Option<i64>,
    downloads: Option<Vec<Text>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvent {
    start: Option<Text>,
    end: Option<Text>,
    #[serde(default)]
    locations: Vec<Text>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawContact {
    name: Option<Text>,
    role: Option<Text>,
    #[serde(alias = "organization")]
    organisation: Option<Text>,
    email: Option<Text>,
    phone: Option<Text>,
}

/// One entry of `contacts:`: the key of a contact of site.yaml, or a contact written out.
enum RawContactEntry {
    Key(String),
    Inline(RawContact),
}

impl<'de> Deserialize<'de> for RawContactEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Entry;
        impl<'de> serde::de::Visitor<'de> for Entry {
            type Value = RawContactEntry;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("the key of a contact of site.yaml, or a contact with name:")
            }
            fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<Self::Value, E> {
                Ok(RawContactEntry::Key(key.trim().to_string()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<Self::Value, A::Error> {
                // Read in place, so that an unknown key inside is reported at its own line.
                RawContact::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(RawContactEntry::Inline)
            }
        }
        d.deserialize_any(Entry)
    }
}

/// The note's language and form, read from its file name.
struct FileName {
    lang: String,
    /// `index` for the folder form, the stem for the flat form.
    stem: String,
}

fn file_name(config: &Config, rel: &str) -> Result<FileName, String> {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let base = name.strip_suffix(".md").unwrap_or(name);
    match base.rsplit_once('.') {
        Some((stem, suffix)) => {
            if config.language(suffix).is_none() {
                return Err(format!(
                    "the language suffix `.{suffix}` is not a language of this site (languages: {}); rename the file to {stem}.{}.md, or add `{suffix}` under languages in site.yaml",
                    config
                        .languages
                        .iter()
                        .map(|l| l.code.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    config.default_language
                ));
            }
            Ok(FileName {
                lang: suffix.to_string(),
                stem: stem.to_string(),
            })
        }
        None => Ok(FileName {
            lang: config.default_language.clone(),
            stem: base.to_string(),
        }),
    }
}

/// Checks a slug: lowercase ASCII letters, digits and hyphens.
pub fn valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && !slug.starts_with('-')
        && !slug.ends_with('-')
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A slug made from any text: `Study Tour 2015` → `study-tour-2015`.
pub fn slugify(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

/// Splits a note's text into (front matter YAML, its first line, body offset).
fn split_front_matter(text: &str) -> Result<(&str, usize, usize), (String, String, usize)> {
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().unwrap_or("");
    if first.trim_end() != "---" {
        return Err((
            "this note does not start with front matter".into(),
            "begin the file with a line `---`, then title: and date:, then another line `---`, then the text".into(),
            1,
        ));
    }
    let yaml_start = first.len();
    let mut offset = yaml_start;
    for line in lines {
        if line.trim_end() == "---" {
            return Ok((&text[yaml_start..offset], 2, offset + line.len()));
        }
        offset += line.len();
    }
    Err((
        "the front matter is not closed".into(),
        "add a line `---` after the last front matter line, before the text of the note".into(),
        1,
    ))
}

/// A note and its other problems (warnings, and errors that leave it loaded, such as a contact
/// nobody could reach), or the errors that stop it loading.
pub type Parsed = Result<(Note, Vec<Diagnostic>), Vec<Diagnostic>>;

fn parse_note(config: &Config, path: &Path, rel: &str) -> Parsed {
    let shown_path = shown(config, path);
    let text = read_text(path, &shown_path).map_err(|d| vec![d])?;
    parse_note_text(config, path, rel, text)
}

/// Reads a note, taking what `shelf` holds of the same text (as a build read it before, with
/// its warnings) rather than reading its front matter again; with what to keep of it for
/// the next build.
fn parse_remembered(config: &Config, path: &Path, rel: &str, shelf: &Shelf) -> (Parsed, Kept) {
    let shown_path = shown(config, path);
    let bytes = match read_bytes(path, &shown_path) {
        Ok(bytes) => bytes,
        Err(d) => return (Err(vec![d]), None),
    };
    let key = text_key(rel, &bytes);
    // Its text is read again if it is asked for (see `NoteText`).
    if let Some(kept) = shelf.get(&key)
        && let Ok((mut note, warnings)) = postcard::from_bytes::<(Note, Vec<Diagnostic>)>(kept)
    {
        note.text_key = Some(key);
        return (Ok((note, warnings)), Some(Shelved::Again(key)));
    }
    let text = match utf8_text(bytes, &shown_path) {
        Ok(text) => text,
        Err(d) => return (Err(vec![d]), None),
    };
    let mut parsed = parse_note_text(config, path, rel, text);
    if let Ok((note, _)) = &mut parsed {
        note.text_key = Some(key);
    }
    let kept = match &parsed {
        Ok(read) => postcard::to_allocvec(read)
            .ok()
            .map(|bytes| Shelved::New(key, bytes)),
        Err(_) => None,
    };
    (parsed, kept)
}

/// The key of a note's file (`rel`, its path under content/) as read: the notes' shelf's,
/// and what a text read again must still have.
fn text_key(rel: &str, bytes: &[u8]) -> crate::memory::Key {
    crate::memory::key_of(&[rel.as_bytes(), bytes])
}

/// A text without the byte order mark some editors write first.
fn without_bom(text: String) -> String {
    match text.strip_prefix('\u{feff}') {
        Some(t) => t.to_string(),
        None => text,
    }
}

/// Reads a note from its text: `path` is its file, `rel` its path under content/.
/// Every problem is an error naming the file; nothing in the text can make it panic.
pub fn parse_note_text(config: &Config, path: &Path, rel: &str, text: String) -> Parsed {
    let shown_path = shown(config, path);
    let text = without_bom(text);
    let section = section_of(rel).unwrap_or(Section::Briefings);
    let names = file_name(config, rel).map_err(|help| {
        vec![
            Diagnostic::error("unknown language suffix in the file name")
                .file(&shown_path)
                .help(help),
        ]
    })?;
    let (front, first_line, body_start) = split_front_matter(&text).map_err(|(m, h, line)| {
        vec![
            Diagnostic::error(m)
                .file(&shown_path)
                .help(h)
                .at(&text, line, 1, 3),
        ]
    })?;
    // Every key's problem is reported at once; the keys that read well are still checked.
    let yaml::Lenient {
        value: raw,
        errors,
        bad_keys,
    } = yaml::parse_each::<RawFront>(front, &text, first_line, &shown_path)?;
    if let Some(d) = forbidden_char(&text, body_start, &shown_path) {
        return Err(vec![d]);
    }
    let mut r = Reading {
        text: &text,
        front,
        first_line,
        body_start,
        shown: &shown_path,
        bad_keys: &bad_keys,
        errors,
        warnings: Vec::new(),
        unreachable: Vec::new(),
    };
    let read = read_front(&mut r, config, raw, section, &names, rel);
    let Reading {
        mut errors,
        mut warnings,
        unreachable,
        ..
    } = r;
    if !errors.is_empty() {
        errors.extend(unreachable);
        // In the order of the file, as the officer reads it.
        errors.sort_by_key(|d| d.line);
        return Err(errors);
    }
    let Some(read) = read else {
        return Err(errors);
    };
    warnings.extend(unreachable);
    let note = Note {
        section,
        lang: names.lang,
        source: path.to_path_buf(),
        shown: shown_path,
        content_rel: rel.to_string(),
        bundle: read.bundle,
        translation_key: read.translation_key,
        slug: read.slug,
        title: read.title,
        subtitle: read.subtitle,
        dateline: read.dateline,
        date: read.date,
        undated: read.undated,
        updated: read.updated,
        summary: read.summary,
        project: read.project,
        funder: read.funder,
        event: read.event,
        contacts: read.contacts,
        tags: read.tags,
        embargo: read.embargo,
        draft: read.draft,
        aliases: read.aliases,
        languages: read.languages,
        nav_label: read.nav_label,
        nav_order: read.nav_order,
        downloads: read.downloads,
        text: NoteText {
            text: OnceLock::from(text.clone()),
            changed: AtomicBool::new(false),
        },
        body_start,
        assets: Vec::new(),
        link_key: Default::default(),
        text_key: None,
    };
    Ok((note, warnings))
}

/// An invisible control character in the body of a note: an error at its place.
fn forbidden_char(text: &str, body_start: usize, shown: &Path) -> Option<Diagnostic> {
    let (offset, c) = safety::forbidden_char(&text[body_start..])?;
    let (line, column) = line_col(text, body_start + offset);
    Some(
        Diagnostic::error(format!(
            "the text holds an invisible control character, {}",
            safety::describe_char(c)
        ))
        .file(shown)
        .at(text, line, column, 1)
        .help(safety::CHAR_HELP),
    )
}

/// A note's front matter as it is read: where each key is written, and what is wrong so far.
struct Reading<'a> {
    text: &'a str,
    /// The front matter, between its `---` lines.
    front: &'a str,
    /// The line of the file the front matter starts on.
    first_line: usize,
    body_start: usize,
    shown: &'a Path,
    /// The keys YAML could not read, already reported.
    bad_keys: &'a [String],
    errors: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
    /// Contacts no one could reach: errors, in check and build alike, though the note loads.
    unreachable: Vec<Diagnostic>,
}

impl Reading<'_> {
    fn err(&self, message: impl Into<String>, help: impl Into<String>) -> Diagnostic {
        Diagnostic::error(message.into())
            .file(self.shown)
            .help(help.into())
    }

    /// Points a problem at a key of the front matter (`path`: the key, under its parents).
    fn at(&self, path: &[&str], d: Diagnostic) -> Diagnostic {
        match yaml::key_location(self.front, path) {
            Some((line, column)) => {
                let width = path.last().map_or(1, |k| k.len());
                d.at(self.text, line + self.first_line - 1, column, width)
            }
            None => d.at(self.text, self.first_line - 1, 1, 3),
        }
    }

    /// An error at a key.
    fn error(&mut self, path: &[&str], message: impl Into<String>, help: impl Into<String>) {
        let d = self.at(path, self.err(message, help));
        self.errors.push(d);
    }

    fn is_bad(&self, key: &str) -> bool {
        self.bad_keys.iter().any(|k| k == key)
    }

    /// A date or datetime at `path`, or its error (`what`: the key as messages name it).
    fn when(
        &mut self,
        path: &[&str],
        what: &str,
        value: Option<Text>,
        tz: Option<&TimeZone>,
    ) -> Option<When> {
        match parse_when(&value?.0, tz) {
            Ok(w) => Some(w),
            Err(help) => {
                self.error(path, format!("invalid {what}"), help);
                None
            }
        }
    }

    /// The front matter above the body.
    fn front_matter(&self) -> &str {
        &self.text[..self.body_start]
    }
}

/// What a note's front matter says, read and checked.
struct Read {
    title: String,
    subtitle: Option<String>,
    dateline: Option<String>,
    date: When,
    undated: bool,
    updated: Option<When>,
    summary: Option<String>,
    project: Option<Entity>,
    funder: Option<Entity>,
    event: Option<Event>,
    contacts: Vec<Contact>,
    tags: Vec<String>,
    embargo: Option<When>,
    draft: bool,
    slug: String,
    bundle: Option<String>,
    translation_key: String,
    aliases: Vec<String>,
    languages: Option<Vec<String>>,
    nav_label: Option<String>,
    nav_order: Option<i64>,
    downloads: Option<Vec<String>>,
}

/// Reads every key of the front matter, each problem into `r`; None where the title or the
/// date is missing.
fn read_front(
    r: &mut Reading,
    config: &Config,
    raw: RawFront,
    section: Section,
    names: &FileName,
    rel: &str,
) -> Option<Read> {
    for (key, message, help) in limit_problems(&raw) {
        r.error(&[key], message, help);
    }
    let title = raw.title.map(|t| t.0).filter(|t| !t.trim().is_empty());
    if title.is_none() && !r.is_bad("title") {
        r.error(
            &["title"],
            "this note has no title",
            "add a line `title: …` with the headline to the front matter",
        );
    }
    let tz = config.timezone.as_ref();
    let written_date = raw.date.is_some();
    let date = r.when(&["date"], "date", raw.date, tz);
    let updated = r.when(&["updated"], "updated", raw.updated, tz);
    let embargo = r.when(&["embargo"], "embargo", raw.embargo, tz);
    let event = raw.event.map(|e| event(r, e, tz));
    let (date, undated) = date_or_none(r, date, written_date, section);
    let (slug, bundle, translation_key) =
        slug_and_key(r, raw.slug, raw.translation_key, section, names, rel);
    let (project, funder) = project_and_funder(r, config, raw.project, raw.funder, &names.lang);
    let contacts = contacts(r, config, raw.contacts, &names.lang);
    let languages = raw
        .languages
        .map(|list| languages(r, config, list, &names.lang));
    if section != Section::Pages {
        for (key, set) in [
            ("nav_label", raw.nav_label.is_some()),
            ("nav_order", raw.nav_order.is_some()),
        ] {
            if set {
                r.error(
                    &[key],
                    format!("`{key}` is for static pages, which are in the site navigation; a briefing is not"),
                    "delete the line, or move the file to content/pages/ if it is a static page",
                );
            }
        }
    }
    let aliases = aliases(r, raw.aliases);
    Some(Read {
        title: title?,
        subtitle: nonempty(raw.subtitle),
        dateline: nonempty(raw.dateline),
        date: date?,
        undated,
        updated,
        summary: nonempty(raw.summary),
        project,
        funder,
        event,
        contacts,
        tags: raw.tags.into_iter().map(|t| t.0).collect(),
        embargo,
        draft: raw.draft.unwrap_or(false),
        slug,
        bundle,
        translation_key,
        aliases,
        languages,
        nav_label: nonempty(raw.nav_label),
        nav_order: raw.nav_order,
        downloads: raw
            .downloads
            .map(|list| list.into_iter().map(|t| t.0).collect()),
    })
}

/// The event's dates, checked to end on or after they start, and its places.
fn event(r: &mut Reading, e: RawEvent, tz: Option<&TimeZone>) -> Event {
    let start = r.when(&["event", "start"], "event start", e.start, tz);
    let end = r.when(&["event", "end"], "event end", e.end, tz);
    if let (Some(s), Some(e)) = (&start, &end)
        && e.timestamp < s.timestamp
    {
        r.error(
            &["event", "end"],
            format!("the event ends ({}) before it starts ({})", e.date, s.date),
            "check the two dates: `end` is the last day of the event, on or after `start`",
        );
    }
    Event {
        start,
        end,
        locations: e.locations.into_iter().map(|l| l.0).collect(),
    }
}

/// The note's date; a static page needs none (it is not listed by date anywhere), and gets
/// the start of 1970, with `undated` set.
fn date_or_none(
    r: &mut Reading,
    date: Option<When>,
    written: bool,
    section: Section,
) -> (Option<When>, bool) {
    let undated = !written && section == Section::Pages;
    if !written && !undated && !r.is_bad("date") {
        r.error(
            &["date"],
            "this note has no date",
            "add a line `date: YYYY-MM-DD` (the publication date) to the front matter",
        );
    }
    let date = date.or_else(|| {
        undated.then(|| When {
            timestamp: jiff::Timestamp::UNIX_EPOCH,
            date: jiff::civil::date(1970, 1, 1),
            rfc3339: "1970-01-01T00:00:00Z".to_string(),
        })
    });
    (date, undated)
}

/// The note's slug (its own, or its folder's or file's name), its folder in the folder form
/// (`index.<lang>.md`), and the key its translations share.
fn slug_and_key(
    r: &mut Reading,
    slug: Option<Text>,
    translation_key: Option<Text>,
    section: Section,
    names: &FileName,
    rel: &str,
) -> (String, Option<String>, String) {
    let dir = rel.rsplit_once('/').map_or("", |(d, _)| d);
    let (default_slug, bundle, key_base) = if names.stem == "index" {
        let folder = dir.rsplit('/').next().unwrap_or(dir);
        (folder.to_string(), Some(dir.to_string()), dir.to_string())
    } else {
        (names.stem.clone(), None, format!("{dir}/{}", names.stem))
    };
    let slug = match slug {
        Some(s) => {
            if !valid_slug(&s.0) {
                r.error(
                    &["slug"],
                    format!("invalid slug `{}`", s.0),
                    slug_help(&s.0),
                );
            } else if let Some(problem) = safety::portable_name_problem(&s.0) {
                r.error(
                    &["slug"],
                    format!("invalid slug: {problem}"),
                    format!("choose another slug, e.g. `{}-note`", s.0),
                );
            }
            s.0
        }
        None => {
            if !valid_slug(&default_slug) {
                let what = if bundle.is_some() { "folder" } else { "file" };
                let d = r.err(
                    format!("the {what} name `{default_slug}` cannot be used in a URL"),
                    format!(
                        "{}; rename the {what}, or set `slug:` in the front matter",
                        slug_help(&default_slug)
                    ),
                );
                r.errors.push(d);
            }
            default_slug
        }
    };
    let translation_key = match translation_key {
        Some(k) => format!("{}#{}", section.dir(), k.0),
        None => key_base,
    };
    (slug, bundle, translation_key)
}

/// The `project:` and `funder:`, resolved through their registries in site.yaml; without a
/// `funder:`, the project's funder.
fn project_and_funder(
    r: &mut Reading,
    config: &Config,
    project: Option<serde_yaml::Value>,
    funder: Option<serde_yaml::Value>,
    lang: &str,
) -> (Option<Entity>, Option<Entity>) {
    let mut resolve =
        |key: &str, value: serde_yaml::Value, registry| match entity(&value, registry, lang) {
            Ok((e, warning)) => {
                if let Some((message, help)) = warning {
                    let d = r.at(
                        &[key],
                        Diagnostic::warning(message).file(r.shown).help(help),
                    );
                    r.warnings.push(d);
                }
                Some(e)
            }
            Err(help) => {
                r.error(&[key], format!("invalid {key}"), help);
                None
            }
        };
    let project = project.and_then(|v| resolve("project", v, &config.projects));
    let funder = match funder {
        Some(v) => resolve("funder", v, &config.funders),
        None => project
            .as_ref()
            .and_then(|p| p.funder.as_ref())
            .and_then(|k| config.funders.get(k))
            .cloned(),
    };
    (project, funder)
}

/// The contacts, written in the note or named from site.yaml's, each checked: a number or
/// address no one could reach is an error, a doubtful number or an example contact left in
/// a warning.
fn contacts(
    r: &mut Reading,
    config: &Config,
    entries: Vec<RawContactEntry>,
    lang: &str,
) -> Vec<Contact> {
    let mut contacts = Vec::new();
    for (i, entry) in entries.into_iter().enumerate() {
        match entry {
            RawContactEntry::Key(key) => match config.contacts.get(&key) {
                Some(known) => contacts.push(known.in_language(lang, &config.default_language)),
                None => unknown_contact(r, config, &key),
            },
            RawContactEntry::Inline(c) => {
                let Some(name) = c.name.clone().map(|n| n.0).filter(|n| !n.trim().is_empty())
                else {
                    r.error(
                        &["contacts"],
                        format!("contact {} has no name", i + 1),
                        "give every contact a `name:`",
                    );
                    continue;
                };
                contacts.push(contact(r, config, c, name));
            }
        }
    }
    contacts
}

/// The error of a contact key site.yaml does not have, at the line that names it.
fn unknown_contact(r: &mut Reading, config: &Config, key: &str) {
    let known: Vec<&str> = config.contacts.keys().map(String::as_str).collect();
    let help = if known.is_empty() {
        "site.yaml has no contacts yet: add this one under `contacts:` there, or write it here with name:, email: and phone:".to_string()
    } else {
        let close =
            yaml::closest(key, &known).map_or(String::new(), |k| format!("did you mean `{k}`? "));
        format!("{close}the contacts of site.yaml are: {}", known.join(", "))
    };
    let d = r.err(format!("unknown contact `{key}`"), help);
    // Point at the line that names it, in a list or as an item.
    let front = r.front_matter();
    let line = front.lines().position(|l| {
        let l = l.trim_start();
        l.strip_prefix("- ").is_some_and(|v| v.trim() == key)
            || (l.starts_with("contacts:") && l.contains(key))
    });
    let d = match line {
        Some(n) => {
            let column = front
                .lines()
                .nth(n)
                .and_then(|l| l.find(key))
                .map_or(1, |c| c + 1);
            d.at(r.text, n + 1, column, key.chars().count())
        }
        None => r.at(&["contacts"], d),
    };
    r.errors.push(d);
}

/// A contact written in the note, its email address and telephone number checked.
fn contact(r: &mut Reading, config: &Config, c: RawContact, name: String) -> Contact {
    // Points a problem at the contact's `key: value` line.
    let place = |r: &Reading, key: &str, value: &str, d: Diagnostic| {
        let needle = format!("{key}: ");
        let front = r.front_matter();
        match front
            .lines()
            .position(|l| l.contains(&needle) && l.contains(value))
        {
            Some(line) => {
                let column = front
                    .lines()
                    .nth(line)
                    .and_then(|l| l.find(&needle))
                    .map_or(1, |c| c + 1);
                d.at(r.text, line + 1, column, key.len())
            }
            None => r.at(&["contacts"], d),
        }
    };
    let bad = |r: &mut Reading, key: &str, value: &str, (why, help): crate::contact::Problem| {
        let d = r.err(
            format!("the contact {name} has an invalid {key}: `{value}`: {why}"),
            help,
        );
        let d = place(r, key, value, d);
        r.unreachable.push(d);
    };
    let email = c.email.as_ref().map(|e| e.0.trim()).and_then(|email| {
        crate::contact::email(email)
            .map_err(|problem| bad(r, "email", email, problem))
            .ok()
    });
    let phone = c.phone.as_ref().map(|p| p.0.trim()).and_then(|phone| {
        let (number, doubt) = crate::contact::phone(phone, config.phone_region)
            .map_err(|problem| bad(r, "phone", phone, problem))
            .ok()?;
        if let Some(doubt) = doubt {
            let d = Diagnostic::warning(format!(
                "the phone of the contact {name}, `{phone}`, {doubt}"
            ))
            .file(r.shown)
            .help("check the number with the person; it is published as it is".to_string());
            let d = place(r, "phone", phone, d);
            r.warnings.push(d);
        }
        Some(number)
    });
    if crate::contact::is_placeholder(&name, phone.as_ref().map(|p| p.tel.as_str())) {
        let d = Diagnostic::warning(format!(
            "the contact {name} is still the example that `briefing new` wrote"
        ))
        .file(r.shown)
        .help("write the real contact's name, email and phone, or delete the contact");
        let d = place(r, "name", &name, d);
        r.warnings.push(d);
    }
    Contact {
        name,
        role: c.role.map(|t| t.0),
        organisation: c.organisation.map(|t| t.0),
        email,
        phone,
    }
}

/// A note's `languages:`: languages of the site, its own among them.
fn languages(r: &mut Reading, config: &Config, list: Vec<Text>, lang: &str) -> Vec<String> {
    let list: Vec<String> = list.into_iter().map(|l| l.0.trim().to_string()).collect();
    let known: Vec<&str> = config.languages.iter().map(|l| l.code.as_str()).collect();
    for code in &list {
        if !known.contains(&code.as_str()) {
            r.error(
                &["languages"],
                format!("`{code}` is not a language of this site"),
                format!("list some of the site's languages: {}", known.join(", ")),
            );
        }
    }
    if !list.iter().any(|l| l == lang) {
        r.error(
            &["languages"],
            format!("this note is in `{lang}`, which its `languages:` does not list"),
            format!("add `{lang}` to the list, or rename the file"),
        );
    }
    list
}

/// Old URL paths of the note, each checked to be a plain path of the site.
fn aliases(r: &mut Reading, raw: Vec<Text>) -> Vec<String> {
    let mut aliases = Vec::new();
    for a in raw {
        if let Some(problem) = a.0.split('/').find_map(safety::portable_name_problem) {
            r.error(
                &["aliases"],
                format!("invalid alias: {problem}"),
                "write the old URL path with letters, digits and hyphens, e.g. /2015/10/old-name/",
            );
        } else if !a.0.starts_with('/')
            || a.0.split('/').any(|s| s == ".." || s == ".")
            || a.0.contains('\\')
        {
            r.error(
                &["aliases"],
                format!("invalid alias `{}`", a.0),
                "an alias is an old URL path of the site, starting with /, e.g. /2015/10/old-name/",
            );
        } else {
            aliases.push(a.0);
        }
    }
    aliases
}

/// What in front matter is over a limit: a list with too many items (each tag and alias is
/// a page of its own, and every listing of the note repeats its tags), or a value too long
/// (one message per key: a list of a thousand over-long items needs one). The key to point
/// at, the message and the help.
fn limit_problems(raw: &RawFront) -> Vec<(&'static str, String, String)> {
    let mut problems = Vec::new();
    let counted = [
        ("tags", raw.tags.len(), 50),
        ("aliases", raw.aliases.len(), 100),
        ("contacts", raw.contacts.len(), 20),
        ("downloads", raw.downloads.as_ref().map_or(0, Vec::len), 500),
        (
            "event",
            raw.event.as_ref().map_or(0, |e| e.locations.len()),
            50,
        ),
    ];
    for (key, count, max) in counted {
        if count > max {
            let what = if key == "event" {
                "event locations"
            } else {
                key
            };
            problems.push((
                key,
                format!("this note has {count} {what}; a note may have at most {max}"),
                format!("keep the {what} that matter to readers: each one is repeated on the note's pages and listings"),
            ));
        }
    }
    let mut too_long = std::collections::HashSet::new();
    for (key, value, max) in limited_fields(raw) {
        let length = value.chars().count();
        if length > max && too_long.insert(key) {
            problems.push((
                key,
                format!(
                    "the value of `{key}` is {length} characters long; at most {max} are allowed"
                ),
                format!("shorten it: `{key}` is shown in one line of pages and listings"),
            ));
        }
    }
    problems
}

/// The front matter values that have a length limit, with the front matter key to point at
/// and the largest number of characters allowed. Each is repeated on many pages (listings,
/// feeds, the search index), so a limit keeps a build's memory in proportion to the site.
fn limited_fields(raw: &RawFront) -> Vec<(&'static str, &str, usize)> {
    type Field<'a> = (&'static str, &'a str, usize);
    fn one<'a>(key: &'static str, value: &'a Option<Text>, max: usize) -> Option<Field<'a>> {
        value.as_ref().map(|v| (key, v.0.as_str(), max))
    }
    fn each<'a>(key: &'static str, values: &'a [Text], max: usize) -> Vec<Field<'a>> {
        values.iter().map(|v| (key, v.0.as_str(), max)).collect()
    }
    let mut fields: Vec<(&'static str, &str, usize)> = [
        one("title", &raw.title, 1_000),
        one("subtitle", &raw.subtitle, 1_000),
        one("dateline", &raw.dateline, 200),
        one("summary", &raw.summary, 5_000),
        one("slug", &raw.slug, 100),
        one("translation_key", &raw.translation_key, 200),
        one("nav_label", &raw.nav_label, 100),
    ]
    .into_iter()
    .flatten()
    .collect();
    fields.extend(each("tags", &raw.tags, 100));
    fields.extend(each("aliases", &raw.aliases, 500));
    if let Some(e) = &raw.event {
        fields.extend(each("event", &e.locations, 200));
    }
    for c in raw.contacts.iter().filter_map(|c| match c {
        RawContactEntry::Inline(c) => Some(c),
        RawContactEntry::Key(_) => None,
    }) {
        for v in [&c.name, &c.role, &c.organisation, &c.email, &c.phone] {
            fields.extend(one("contacts", v, 500));
        }
    }
    fields
}

fn nonempty(t: Option<Text>) -> Option<String> {
    t.map(|t| t.0).filter(|t| !t.trim().is_empty())
}

fn slug_help(slug: &str) -> String {
    let suggestion = slugify(slug);
    let rule = "a slug uses only lowercase ASCII letters (a–z), digits and hyphens";
    if suggestion.is_empty() {
        format!("{rule}, e.g. study-tour-2015")
    } else {
        format!("{rule}, e.g. `{suggestion}`")
    }
}

type Warning = (String, String);

/// Reads a `project:` or `funder:` value: a registry key, a name, or `{ name, url }`.
fn entity(
    value: &serde_yaml::Value,
    registry: &IndexMap<String, Entity>,
    lang: &str,
) -> Result<(Entity, Option<Warning>), String> {
    use serde_yaml::Value;
    let keys = || {
        if registry.is_empty() {
            "site.yaml has none".to_string()
        } else {
            format!(
                "keys in site.yaml: {}",
                registry.keys().cloned().collect::<Vec<_>>().join(", ")
            )
        }
    };
    let shape = || {
        format!(
            "write a key of site.yaml ({}), a name, or {{ name: …, url: … }}",
            keys()
        )
    };
    match value {
        Value::String(s) => {
            if let Some(e) = registry.get(s) {
                return Ok((e.clone(), None));
            }
            let warning = valid_slug(s).then(|| {
                (
                    format!("`{s}` is not a key in site.yaml, so it is shown as the name itself"),
                    format!("if you meant a registry entry, use one of the {}", keys()),
                )
            });
            let mut names = IndexMap::new();
            names.insert(lang.to_string(), s.clone());
            Ok((
                Entity {
                    key: None,
                    names,
                    url: None,
                    funder: None,
                },
                warning,
            ))
        }
        Value::Mapping(m) => {
            let mut names = IndexMap::new();
            let mut url = None;
            for (k, v) in m {
                match (k.as_str(), v) {
                    (Some("name"), Value::String(n)) => {
                        names.insert(lang.to_string(), n.clone());
                    }
                    (Some("name"), Value::Mapping(per_lang)) => {
                        for (l, n) in per_lang {
                            if let (Some(l), Some(n)) = (l.as_str(), n.as_str()) {
                                names.insert(l.to_string(), n.to_string());
                            }
                        }
                    }
                    (Some("url"), Value::String(u)) => {
                        safety::check_url(u, UrlUse::Link)
                            .map_err(|m| format!("{m}: {}", safety::URL_HELP))?;
                        url = Some(u.clone())
                    }
                    (Some(other), _) => {
                        return Err(format!("unknown key `{other}` here: {}", shape()));
                    }
                    _ => return Err(shape()),
                }
            }
            if names.is_empty() {
                return Err(format!("the `name:` is missing: {}", shape()));
            }
            Ok((
                Entity {
                    key: None,
                    names,
                    url,
                    funder: None,
                },
                None,
            ))
        }
        _ => Err(shape()),
    }
}

/// Two versions of one note in one language, or two notes with one slug, are errors.
fn check_pairs(notes: &[Arc<Note>], errors: &mut Vec<Diagnostic>) {
    let mut by_key: HashMap<(&str, &str), &Note> = HashMap::with_capacity(notes.len());
    let mut by_slug: HashMap<(Section, &str, &str), &Note> = HashMap::with_capacity(notes.len());
    for note in notes {
        if let Some(other) = by_key.insert((&note.translation_key, &note.lang), note) {
            errors.push(
                Diagnostic::error(format!(
                    "two notes are the `{}` version of the same note: {} and {}",
                    note.lang,
                    display_path(&other.shown),
                    display_path(&note.shown)
                ))
                .file(&note.shown)
                .help("keep one of the two files, or give one of them another translation_key"),
            );
        }
        if let Some(other) = by_slug.insert((note.section, &note.lang, &note.slug), note)
            && other.translation_key != note.translation_key
        {
            errors.push(
                Diagnostic::error(format!(
                    "two `{}` notes have the slug `{}`: {} and {}",
                    note.lang,
                    note.slug,
                    display_path(&other.shown),
                    display_path(&note.shown)
                ))
                .file(&note.shown)
                .help("give one of them another `slug:` in its front matter, or rename its file or folder"),
            );
        }
    }
}

/// Resolves `target` (a link written in `from_dir`, both under content/) to a path under content/.
/// None when the link leaves content/.
pub fn resolve_relative(from_dir: &str, target: &str) -> Option<String> {
    let mut parts: Vec<&str> = from_dir.split('/').filter(|s| !s.is_empty()).collect();
    for comp in Path::new(target).components() {
        match comp {
            Component::Normal(s) => parts.push(s.to_str()?),
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::CurDir => {}
            _ => return None,
        }
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert!(valid_slug("2015-10-study-tour"));
        for bad in ["", "..", "a/b", "has space", "中文", "Upper", "-x", "x-"] {
            assert!(!valid_slug(bad), "{bad}");
        }
        assert_eq!(slugify("Study Tour 2015!"), "study-tour-2015");
    }

    #[test]
    fn relative_links_stay_inside_content() {
        assert_eq!(
            resolve_relative("briefings/a", "../visa.en.md").as_deref(),
            Some("briefings/visa.en.md")
        );
        assert_eq!(resolve_relative("briefings", "../../etc/passwd"), None);
    }
}
