//! Content loading: files under `content/` become [`Note`]s, checked and paired into translations.

use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use indexmap::IndexMap;
use rayon::prelude::*;
use serde::{Deserialize, Deserializer};
use walkdir::WalkDir;

use crate::config::{Config, Entity};
use crate::contact::Contact;
use crate::dates::{When, parse_when};
use crate::error::{Diagnostic, display_path, line_col, read_text};
use crate::paths::{CONTENT_DIR, is_ignored};
use crate::safety::{self, UrlUse};
use crate::yaml;

/// The two kinds of note, each a folder of `content/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
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
#[derive(Debug, Clone)]
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
#[derive(Debug, Clone)]
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
    /// The full text of the file, for error snippets.
    pub text: String,
    /// Byte offset of the Markdown body in `text`.
    pub body_start: usize,
    pub assets: Vec<BundleAsset>,
    /// The files of the note's folder its page offers under "Downloads", in this order, when
    /// it says (`downloads: [programme.pdf, delegation.jpg]`); otherwise every file of the
    /// folder but the images shown in its text.
    pub downloads: Option<Vec<String>>,
    /// What links to this note and its files resolve against, as a number: made on first use,
    /// once `assets` is set.
    link_key: std::sync::OnceLock<u64>,
}

impl Note {
    pub fn body(&self) -> &str {
        &self.text[self.body_start..]
    }

    /// The 1-based line of a top-level front matter key (`tags:`), for pointing at it.
    pub fn line_of_key(&self, key: &str) -> Option<usize> {
        // The front matter with its `---` lines: their keys count lines from the file's top.
        yaml::key_location(&self.text[..self.body_start], &[key]).map(|(line, _)| line)
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
    let content_dir = config.root.join(CONTENT_DIR);
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let mut markdown = Vec::new();
    let mut others = Vec::new();
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

    // Note folders: folders that hold an index.md or index.<lang>.md.
    let bundles: Vec<String> = markdown
        .iter()
        .filter_map(|(_, rel)| {
            let (dir, name) = rel.rsplit_once('/')?;
            (name == "index.md" || (name.starts_with("index.") && name.matches('.').count() == 2))
                .then(|| dir.to_string())
        })
        .collect();

    let parsed: Vec<Parsed> = markdown
        .par_iter()
        .map(|(path, rel)| match unchanged.get(rel.as_str()) {
            Some(note) => {
                let mut note = (*note).clone();
                note.assets.clear();
                Ok((note, Vec::new()))
            }
            None => parse_note(config, path, rel),
        })
        .collect();
    let mut notes = Vec::new();
    let mut failed = HashSet::new();
    for (result, (_, rel)) in parsed.into_iter().zip(&markdown) {
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

    notes.sort_by(|a, b| a.content_rel.cmp(&b.content_rel));
    let notes: Vec<Arc<Note>> = notes.into_iter().map(Arc::new).collect();
    check_pairs(&notes, &mut errors);
    // A doubtful number of site.yaml's contacts, once for the site rather than once a note.
    errors.extend(
        config
            .contacts
            .values()
            .filter_map(|c| c.phone_doubt.clone()),
    );
    errors.extend(warnings);
    Content {
        notes,
        loose_assets,
        diagnostics: errors,
        failed,
    }
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

/// Reads a note from its text: `path` is its file, `rel` its path under content/.
/// Every problem is an error naming the file; nothing in the text can make it panic.
pub fn parse_note_text(config: &Config, path: &Path, rel: &str, text: String) -> Parsed {
    let shown_path = shown(config, path);
    let text = match text.strip_prefix('\u{feff}') {
        Some(t) => t.to_string(),
        None => text,
    };
    let section = section_of(rel).unwrap_or(Section::Briefings);
    let err =
        |message: String, help: String| Diagnostic::error(message).file(&shown_path).help(help);
    let names = file_name(config, rel)
        .map_err(|help| vec![err("unknown language suffix in the file name".into(), help)])?;
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
        errors: mut key_errors,
        bad_keys,
    } = yaml::parse_each::<RawFront>(front, &text, first_line, &shown_path)?;
    if let Some((offset, c)) = safety::forbidden_char(&text[body_start..]) {
        let (line, column) = line_col(&text, body_start + offset);
        return Err(vec![
            Diagnostic::error(format!(
                "the text holds an invisible control character, {}",
                safety::describe_char(c)
            ))
            .file(&shown_path)
            .at(&text, line, column, 1)
            .help(safety::CHAR_HELP),
        ]);
    }

    let mut errors = std::mem::take(&mut key_errors);
    let mut warnings = Vec::new();
    let is_bad = |key: &str| bad_keys.iter().any(|k| k == key);
    // Points at a key of the front matter.
    let at = |path: &[&str], d: Diagnostic| match yaml::key_location(front, path) {
        Some((line, column)) => {
            let width = path.last().map_or(1, |k| k.len());
            d.at(&text, line + first_line - 1, column, width)
        }
        None => d.at(&text, first_line - 1, 1, 3),
    };

    for (key, message, help) in limit_problems(&raw) {
        errors.push(at(&[key], err(message, help)));
    }
    let title = raw.title.map(|t| t.0).filter(|t| !t.trim().is_empty());
    if title.is_none() && !is_bad("title") {
        errors.push(at(
            &["title"],
            err(
                "this note has no title".into(),
                "add a line `title: …` with the headline to the front matter".into(),
            ),
        ));
    }
    let tz = config.timezone.as_ref();
    let mut when = |key: &str, value: Option<Text>| -> Option<When> {
        let value = value?;
        match parse_when(&value.0, tz) {
            Ok(w) => Some(w),
            Err(help) => {
                errors.push(at(&[key], err(format!("invalid {key}"), help)));
                None
            }
        }
    };
    let date = when("date", raw.date.clone());
    let updated = when("updated", raw.updated);
    let embargo = when("embargo", raw.embargo);
    let (event, event_errors) = match raw.event {
        Some(e) => {
            let mut errs = Vec::new();
            let mut ev = |key: &str, value: Option<Text>| -> Option<When> {
                let value = value?;
                parse_when(&value.0, tz)
                    .map_err(|help| {
                        errs.push(at(
                            &["event", key],
                            err(format!("invalid event {key}"), help),
                        ))
                    })
                    .ok()
            };
            let start = ev("start", e.start);
            let end = ev("end", e.end);
            if let (Some(s), Some(e)) = (&start, &end)
                && e.timestamp < s.timestamp
            {
                errs.push(at(
                    &["event", "end"],
                    err(
                        format!(
                            "the event ends ({}) before it starts ({})",
                            e.date, s.date
                        ),
                        "check the two dates: `end` is the last day of the event, on or after `start`".into(),
                    ),
                ));
            }
            (
                Some(Event {
                    start,
                    end,
                    locations: e.locations.into_iter().map(|l| l.0).collect(),
                }),
                errs,
            )
        }
        None => (None, Vec::new()),
    };
    errors.extend(event_errors);
    // A static page needs no date: it is not listed by date anywhere.
    let undated = raw.date.is_none() && section == Section::Pages;
    let date = date.or_else(|| {
        undated.then(|| When {
            timestamp: jiff::Timestamp::UNIX_EPOCH,
            date: jiff::civil::date(1970, 1, 1),
            rfc3339: "1970-01-01T00:00:00Z".to_string(),
        })
    });
    if raw.date.is_none() && !undated && !is_bad("date") {
        errors.push(at(
            &["date"],
            err(
                "this note has no date".into(),
                "add a line `date: YYYY-MM-DD` (the publication date) to the front matter".into(),
            ),
        ));
    }

    // Folder form: index.<lang>.md in a folder named after the note.
    let (default_slug, bundle, key_base) = if names.stem == "index" {
        let dir = rel.rsplit_once('/').map_or("", |(d, _)| d);
        let folder = dir.rsplit('/').next().unwrap_or(dir);
        (folder.to_string(), Some(dir.to_string()), dir.to_string())
    } else {
        let dir = rel.rsplit_once('/').map_or("", |(d, _)| d);
        (names.stem.clone(), None, format!("{dir}/{}", names.stem))
    };
    let slug = match raw.slug {
        Some(s) => {
            if !valid_slug(&s.0) {
                errors.push(at(
                    &["slug"],
                    err(format!("invalid slug `{}`", s.0), slug_help(&s.0)),
                ));
            } else if let Some(problem) = safety::portable_name_problem(&s.0) {
                errors.push(at(
                    &["slug"],
                    err(
                        format!("invalid slug: {problem}"),
                        format!("choose another slug, e.g. `{}-note`", s.0),
                    ),
                ));
            }
            s.0
        }
        None => {
            if !valid_slug(&default_slug) {
                let what = if bundle.is_some() { "folder" } else { "file" };
                errors.push(err(
                    format!("the {what} name `{default_slug}` cannot be used in a URL"),
                    format!(
                        "{}; rename the {what}, or set `slug:` in the front matter",
                        slug_help(&default_slug)
                    ),
                ));
            }
            default_slug
        }
    };
    let translation_key = match raw.translation_key {
        Some(k) => format!("{}#{}", section.dir(), k.0),
        None => key_base,
    };

    // A `project:` or `funder:` value, resolved through its registry in site.yaml.
    let mut resolve = |key: &str, value: Option<serde_yaml::Value>, registry| match entity(
        &value?,
        registry,
        &names.lang,
    ) {
        Ok((e, warning)) => {
            if let Some((message, help)) = warning {
                warnings.push(at(
                    &[key],
                    Diagnostic::warning(message).file(&shown_path).help(help),
                ));
            }
            Some(e)
        }
        Err(help) => {
            errors.push(at(&[key], err(format!("invalid {key}"), help)));
            None
        }
    };
    let project = resolve("project", raw.project, &config.projects);
    let funder = match raw.funder {
        Some(v) => resolve("funder", Some(v), &config.funders),
        None => project
            .as_ref()
            .and_then(|p| p.funder.as_ref())
            .and_then(|k| config.funders.get(k))
            .cloned(),
    };

    let mut contacts = Vec::new();
    let mut unreachable = Vec::new();
    for (i, entry) in raw.contacts.into_iter().enumerate() {
        let c = match entry {
            RawContactEntry::Inline(c) => c,
            RawContactEntry::Key(key) => {
                match config.contacts.get(&key) {
                    Some(known) => {
                        contacts.push(known.in_language(&names.lang, &config.default_language))
                    }
                    None => {
                        let known: Vec<&str> = config.contacts.keys().map(String::as_str).collect();
                        let help = if known.is_empty() {
                            "site.yaml has no contacts yet: add this one under `contacts:` there, or write it here with name:, email: and phone:".to_string()
                        } else {
                            let close = yaml::closest(&key, &known)
                                .map_or(String::new(), |k| format!("did you mean `{k}`? "));
                            format!("{close}the contacts of site.yaml are: {}", known.join(", "))
                        };
                        let d = err(format!("unknown contact `{key}`"), help);
                        // Point at the line that names it, in a list or as an item.
                        let front = &text[..body_start];
                        let line = front.lines().position(|l| {
                            let l = l.trim_start();
                            l.strip_prefix("- ").is_some_and(|v| v.trim() == key)
                                || (l.starts_with("contacts:") && l.contains(key.as_str()))
                        });
                        errors.push(match line {
                            Some(n) => {
                                let column = front
                                    .lines()
                                    .nth(n)
                                    .and_then(|l| l.find(key.as_str()))
                                    .map_or(1, |c| c + 1);
                                d.at(&text, n + 1, column, key.chars().count())
                            }
                            None => at(&["contacts"], d),
                        });
                    }
                }
                continue;
            }
        };
        let Some(name) = c.name.map(|n| n.0).filter(|n| !n.trim().is_empty()) else {
            errors.push(at(
                &["contacts"],
                err(
                    format!("contact {} has no name", i + 1),
                    "give every contact a `name:`".into(),
                ),
            ));
            continue;
        };
        // A contact nobody could reach is an error, in check and build alike; the note still
        // loads, so that its other problems are reported too.
        let front = &text[..body_start];
        // Points a problem at the contact's `key: value` line.
        let place = |key: &str, value: &str, d: Diagnostic| {
            let needle = format!("{key}: ");
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
                    d.at(&text, line + 1, column, key.len())
                }
                None => at(&["contacts"], d),
            }
        };
        let mut bad = |key: &str, value: &str, (why, help): crate::contact::Problem| {
            let d = err(
                format!("the contact {name} has an invalid {key}: `{value}`: {why}"),
                help,
            );
            unreachable.push(place(key, value, d));
        };
        let email = c.email.as_ref().map(|e| e.0.trim()).and_then(|email| {
            crate::contact::email(email)
                .map_err(|problem| bad("email", email, problem))
                .ok()
        });
        let phone = c.phone.as_ref().map(|p| p.0.trim()).and_then(|phone| {
            let (number, doubt) = crate::contact::phone(phone, config.phone_region)
                .map_err(|problem| bad("phone", phone, problem))
                .ok()?;
            if let Some(doubt) = doubt {
                let d = Diagnostic::warning(format!(
                    "the phone of the contact {name}, `{phone}`, {doubt}"
                ))
                .file(shown_path.clone())
                .help("check the number with the person; it is published as it is".to_string());
                warnings.push(place("phone", phone, d));
            }
            Some(number)
        });
        if crate::contact::is_placeholder(&name, phone.as_ref().map(|p| p.tel.as_str())) {
            let d = Diagnostic::warning(format!(
                "the contact {name} is still the example that `briefing new` wrote"
            ))
            .file(shown_path.clone())
            .help("write the real contact's name, email and phone, or delete the contact");
            warnings.push(place("name", &name, d));
        }
        contacts.push(Contact {
            name,
            role: c.role.map(|t| t.0),
            organisation: c.organisation.map(|t| t.0),
            email,
            phone,
        });
    }

    let languages = raw.languages.map(|list| {
        let list: Vec<String> = list.into_iter().map(|l| l.0.trim().to_string()).collect();
        let known: Vec<&str> = config.languages.iter().map(|l| l.code.as_str()).collect();
        for code in &list {
            if !known.contains(&code.as_str()) {
                errors.push(at(
                    &["languages"],
                    err(
                        format!("`{code}` is not a language of this site"),
                        format!("list some of the site's languages: {}", known.join(", ")),
                    ),
                ));
            }
        }
        if !list.contains(&names.lang) {
            errors.push(at(
                &["languages"],
                err(
                    format!(
                        "this note is in `{}`, which its `languages:` does not list",
                        names.lang
                    ),
                    format!("add `{}` to the list, or rename the file", names.lang),
                ),
            ));
        }
        list
    });

    let nav_keys = [
        ("nav_label", raw.nav_label.is_some()),
        ("nav_order", raw.nav_order.is_some()),
    ];
    if section != Section::Pages {
        for (key, _) in nav_keys.into_iter().filter(|(_, set)| *set) {
            errors.push(at(
                &[key],
                err(
                    format!("`{key}` is for static pages, which are in the site navigation; a briefing is not"),
                    "delete the line, or move the file to content/pages/ if it is a static page".into(),
                ),
            ));
        }
    }

    let mut aliases = Vec::new();
    for a in raw.aliases {
        if let Some(problem) = a.0.split('/').find_map(safety::portable_name_problem) {
            errors.push(at(
                &["aliases"],
                err(
                    format!("invalid alias: {problem}"),
                    "write the old URL path with letters, digits and hyphens, e.g. /2015/10/old-name/".into(),
                ),
            ));
        } else if !a.0.starts_with('/')
            || a.0.split('/').any(|s| s == ".." || s == ".")
            || a.0.contains('\\')
        {
            errors.push(at(
                &["aliases"],
                err(
                    format!("invalid alias `{}`", a.0),
                    "an alias is an old URL path of the site, starting with /, e.g. /2015/10/old-name/".into(),
                ),
            ));
        } else {
            aliases.push(a.0);
        }
    }

    if !errors.is_empty() {
        errors.extend(unreachable);
        // In the order of the file, as the officer reads it.
        errors.sort_by_key(|d| d.line);
        return Err(errors);
    }
    let (Some(title), Some(date)) = (title, date) else {
        return Err(errors);
    };
    warnings.extend(unreachable);
    let note = Note {
        section,
        lang: names.lang,
        source: path.to_path_buf(),
        shown: shown_path.clone(),
        content_rel: rel.to_string(),
        bundle,
        translation_key,
        slug,
        title,
        subtitle: nonempty(raw.subtitle),
        dateline: nonempty(raw.dateline),
        date,
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
        aliases,
        languages,
        nav_label: nonempty(raw.nav_label),
        nav_order: raw.nav_order,
        downloads: raw
            .downloads
            .map(|list| list.into_iter().map(|t| t.0).collect()),
        text: text.clone(),
        body_start,
        assets: Vec::new(),
        link_key: Default::default(),
    };
    Ok((note, warnings))
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
    let mut by_key: HashMap<(&str, &str), &Note> = HashMap::new();
    let mut by_slug: HashMap<(Section, &str, &str), &Note> = HashMap::new();
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
