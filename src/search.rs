//! The search index: Pagefind, with Chinese word segmentation, over the published briefings.

use std::time::{Duration, Instant};

use pagefind::api::PagefindIndex;
use pagefind::options::PagefindServiceConfig;

use crate::content::Section;
use crate::error::Diagnostic;
use crate::output::Staging;
use crate::render::{Body, OutputFile};
use crate::site::Site;

/// The folder of the index and its scripts under the output folder.
pub const SEARCH_DIR: &str = "pagefind";

/// The most notes in one part of the index. Pagefind holds a part whole in memory while it
/// builds it (about 0.35 MB a page) and its cost per page grows with the part's size.
const SHARD_NOTES: usize = 1000;

/// The scripts and styles of Pagefind's interface: written once, in [`SEARCH_DIR`] itself.
const INTERFACE_FILES: &[&str] = &[
    "pagefind-ui.js",
    "pagefind-ui.css",
    "pagefind-modular-ui.js",
    "pagefind-modular-ui.css",
    "pagefind-component-ui.js",
    "pagefind-component-ui.css",
    "pagefind-highlight.js",
];

/// One part of the index: the indexed briefings of one year (of some months when a year has
/// more than [`SHARD_NOTES`]), in every language. Each part is a Pagefind bundle of its own in
/// `pagefind/<key>/`; the search page merges them. Parts are built side by side, two at a
/// time, and a new note changes only its year's part.
pub struct Shard {
    pub key: String,
    pub notes: Vec<usize>,
}

/// Whether a note goes into the index: a published briefing, neither a draft nor under embargo.
pub fn indexed(site: &Site, i: usize) -> bool {
    let n = &site.notes[i];
    n.section == Section::Briefings
        && site.is_published(i)
        && !n.draft
        && n.embargo.as_ref().is_none_or(|e| e.timestamp <= site.now)
}

/// The parts of the index, newest first.
pub fn shards(site: &Site) -> Vec<Shard> {
    let mut years: std::collections::BTreeMap<i16, Vec<usize>> = Default::default();
    for i in (0..site.notes.len()).filter(|&i| indexed(site, i)) {
        years
            .entry(site.notes[i].date.date.year())
            .or_default()
            .push(i);
    }
    let mut shards = Vec::new();
    for (year, mut notes) in years.into_iter().rev() {
        notes.sort_by(|&a, &b| {
            let (x, y) = (&site.notes[a], &site.notes[b]);
            (x.date.timestamp, x.path()).cmp(&(y.date.timestamp, y.path()))
        });
        let parts = notes.len().div_ceil(SHARD_NOTES);
        let mut chunks: Vec<Shard> = notes
            .chunks(SHARD_NOTES)
            .enumerate()
            .map(|(k, chunk)| Shard {
                key: if parts == 1 {
                    year.to_string()
                } else {
                    format!("{year}-{}", k + 1)
                },
                notes: chunk.to_vec(),
            })
            .collect();
        chunks.reverse();
        shards.extend(chunks);
    }
    shards
}

/// The links to the parts' bundles, newest first, for the search page; with nothing indexed,
/// the empty bundle in [`SEARCH_DIR`] itself.
pub fn bundle_links(site: &Site) -> Vec<String> {
    let links: Vec<String> = shards(site)
        .iter()
        .map(|s| site.config.link(&format!("{SEARCH_DIR}/{}/", s.key)))
        .collect();
    if links.is_empty() {
        vec![site.config.link(&format!("{SEARCH_DIR}/"))]
    } else {
        links
    }
}

/// What the index reads of note `i`'s rendered page, if the note is indexed.
pub fn page_text(site: &Site, i: usize, html: &[u8]) -> Option<String> {
    if !indexed(site, i) {
        return None;
    }
    let n = &site.notes[i];
    let lang = site
        .config
        .language(&n.lang)
        .map_or(n.lang.as_str(), |l| &l.html_lang);
    Some(indexed_part(&String::from_utf8_lossy(html), lang))
}

/// The pages of one part in one language: address and indexed text.
type Pages = Vec<(String, String)>;

/// What Pagefind made of a unit of work (one part in one language), by part number.
type UnitFiles = (usize, Result<Vec<pagefind::api::SyntheticFile>, String>);

/// The index's files, and what building it took.
pub struct Indexed {
    /// The files of the parts built now (and of the interface).
    pub files: Vec<OutputFile>,
    /// The files of the parts whose briefings did not change: they stay in the output folder
    /// as they are.
    pub kept: Vec<String>,
    pub took: Duration,
    pub parts: usize,
    pub reused: usize,
}

/// The file in each part's folder that says what the part was built from: a fingerprint of
/// its briefings' texts, Pagefind's version, and the part's files with their sizes.
const STAMP: &str = ".briefing-index";

/// Builds the index from the indexed notes' texts (from [`page_text`]). A part whose
/// fingerprint matches the stamp of the same part in the output folder of the last build (that
/// `staging` updates) is not built again.
pub fn index(
    site: &Site,
    texts: &std::collections::HashMap<usize, String>,
    staging: &Staging,
) -> Result<Indexed, Diagnostic> {
    let started = Instant::now();
    let shards = shards(site);
    // Each part's pages, per language, and its fingerprint.
    let mut parts: Vec<(Vec<Pages>, String)> = Vec::new();
    for shard in &shards {
        let mut by_language: Vec<(&str, Vec<(String, String)>)> = Vec::new();
        for &i in &shard.notes {
            let Some(text) = texts.get(&i) else { continue };
            let n = &site.notes[i];
            let page = (site.config.link(&n.path()), text.clone());
            match by_language.iter_mut().find(|(l, _)| *l == n.lang) {
                Some((_, list)) => list.push(page),
                None => by_language.push((&n.lang, vec![page])),
            }
        }
        let languages: Vec<Vec<(String, String)>> =
            by_language.into_iter().map(|(_, pages)| pages).collect();
        let print = fingerprint(&shard.key, &languages);
        parts.push((languages, print));
    }
    let mut reusable: Vec<Option<Stamp>> = (0..shards.len())
        .map(|s| {
            Stamp::read(
                staging,
                &format!("{SEARCH_DIR}/{}/", shards[s].key),
                &parts[s].1,
            )
        })
        .collect();
    let interface_there = INTERFACE_FILES
        .iter()
        .all(|f| staging.has(&format!("{SEARCH_DIR}/{f}")));
    if !interface_there && let Some(first) = reusable.first_mut() {
        // The interface's files come with a part built now.
        *first = None;
    }

    let mut files: std::collections::BTreeMap<String, Vec<u8>> = Default::default();
    let mut versions: Vec<String> = Vec::new();
    let mut built = vec![false; shards.len()];
    let mut round = |wanted: Vec<usize>| -> Result<Vec<String>, Diagnostic> {
        let mut units: Vec<(usize, Pages)> = Vec::new();
        for s in wanted {
            built[s] = true;
            units.extend(parts[s].0.iter().map(|pages| (s, pages.clone())));
        }
        if shards.is_empty() {
            // Nothing to find yet; the scripts still go out, so the search page works.
            units.push((usize::MAX, Vec::new()));
        }
        merge(&shards, run(units)?, &mut files)
    };
    versions.extend(round(
        (0..shards.len())
            .filter(|&s| reusable[s].is_none())
            .collect(),
    )?);
    // Parts built with another Pagefind than the one of this build are built again.
    if let Some(version) = versions.first().cloned() {
        let stale: Vec<usize> = (0..shards.len())
            .filter(|&s| {
                reusable[s]
                    .as_ref()
                    .is_some_and(|stamp| stamp.version != version)
            })
            .collect();
        for &s in &stale {
            reusable[s] = None;
        }
        if !stale.is_empty() {
            round(stale)?;
        }
    }

    let mut kept = Vec::new();
    for (s, stamp) in reusable.iter().enumerate() {
        if let Some(stamp) = stamp {
            let dir = format!("{SEARCH_DIR}/{}/", shards[s].key);
            kept.push(format!("{dir}{STAMP}"));
            kept.extend(stamp.files.iter().map(|f| format!("{dir}{f}")));
        }
    }
    if !built.iter().any(|b| *b) && !shards.is_empty() {
        kept.extend(INTERFACE_FILES.iter().map(|f| format!("{SEARCH_DIR}/{f}")));
    }
    for (s, shard) in shards.iter().enumerate().filter(|(s, _)| built[*s]) {
        let dir = format!("{}/", shard.key);
        let mut stamp = format!("{}\n{}\n", parts[s].1, versions.first().map_or("", |v| v));
        for (path, contents) in files.range(dir.clone()..) {
            let Some(name) = path.strip_prefix(&dir) else {
                break;
            };
            stamp.push_str(&format!("{} {name}\n", contents.len()));
        }
        files.insert(format!("{dir}{STAMP}"), stamp.into_bytes());
    }
    let files = files
        .into_iter()
        .map(|(path, contents)| OutputFile {
            path: format!("{SEARCH_DIR}/{path}"),
            body: Body::Bytes(contents),
            from: None,
        })
        .collect();
    Ok(Indexed {
        files,
        kept,
        took: started.elapsed(),
        parts: shards.len(),
        reused: reusable.iter().filter(|r| r.is_some()).count(),
    })
}

/// What a part's stamp says, when it matches the part as it is now and its files are there.
struct Stamp {
    version: String,
    files: Vec<String>,
}

impl Stamp {
    /// The stamp of the part in folder `dir` (`pagefind/2016/`) of the previous output, if it
    /// matches `fingerprint` and the part's files are there as it lists them.
    fn read(staging: &Staging, dir: &str, fingerprint: &str) -> Option<Stamp> {
        let previous = staging.previous()?;
        let stamp = format!("{dir}{STAMP}");
        if !staging.has(&stamp) {
            return None;
        }
        let text = std::fs::read_to_string(previous.join(&stamp)).ok()?;
        let mut lines = text.lines();
        if lines.next()? != fingerprint {
            return None;
        }
        let version = lines.next()?.to_string();
        let mut files = Vec::new();
        for line in lines {
            let (size, name) = line.split_once(' ')?;
            let path = format!("{dir}{name}");
            if !staging.has(&path) {
                return None;
            }
            let meta = std::fs::symlink_metadata(previous.join(&path)).ok()?;
            if meta.len().to_string() != size {
                return None;
            }
            files.push(name.to_string());
        }
        Some(Stamp { version, files })
    }
}

/// A fingerprint of a part: its key, its pages' addresses and texts, and this program (its
/// version, and the size and time of its file, so that another build of briefing indexes
/// afresh).
fn fingerprint(key: &str, languages: &[Vec<(String, String)>]) -> String {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let program = std::env::current_exe()
        .and_then(std::fs::metadata)
        .map(|m| (m.len(), m.modified().ok()))
        .ok();
    let mut out = String::new();
    for seed in [0u8, 1] {
        let mut h = DefaultHasher::new();
        (seed, env!("CARGO_PKG_VERSION"), program, key, languages).hash(&mut h);
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out
}

/// Runs the units of work (one part in one language), two at a time, the biggest first so
/// both cores stay busy.
fn run(mut units: Vec<(usize, Pages)>) -> Result<Vec<UnitFiles>, Diagnostic> {
    if units.is_empty() {
        return Ok(Vec::new());
    }
    units.sort_by_key(|(_, pages)| std::cmp::Reverse(pages.len()));
    let queue = std::sync::Arc::new(std::sync::Mutex::new(
        units.into_iter().collect::<std::collections::VecDeque<_>>(),
    ));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Diagnostic::error(format!("cannot start the search indexer: {e}")))?;
    Ok(runtime.block_on(async {
        let lanes: Vec<_> = (0..2)
            .map(|_| {
                let queue = queue.clone();
                tokio::spawn(async move {
                    let mut done = Vec::new();
                    loop {
                        let next = queue.lock().ok().and_then(|mut q| q.pop_front());
                        let Some((shard, pages)) = next else { break };
                        done.push((shard, index_unit(pages).await));
                    }
                    done
                })
            })
            .collect();
        let mut all = Vec::new();
        for lane in lanes {
            match lane.await {
                Ok(done) => all.extend(done),
                Err(e) => all.push((usize::MAX, Err(e.to_string()))),
            }
        }
        all
    }))
}

/// Puts the units' files in place: each part's in its folder, with the entry files of its
/// languages merged into one; the interface's once, in [`SEARCH_DIR`]. Returns the Pagefind
/// versions the entry files name.
fn merge(
    shards: &[Shard],
    results: Vec<UnitFiles>,
    files: &mut std::collections::BTreeMap<String, Vec<u8>>,
) -> Result<Vec<String>, Diagnostic> {
    let mut entries: std::collections::BTreeMap<String, serde_json::Value> = Default::default();
    for (shard, result) in results {
        let dir = shards
            .get(shard)
            .map_or(String::new(), |s| format!("{}/", s.key));
        for file in result.map_err(fail)? {
            let name = crate::error::display_path(&file.filename);
            if INTERFACE_FILES.contains(&name.as_str()) {
                files.entry(name).or_insert(file.contents);
            } else if name == "pagefind-entry.json" {
                let value: serde_json::Value =
                    serde_json::from_slice(&file.contents).map_err(fail)?;
                match entries.get_mut(&dir) {
                    None => {
                        entries.insert(dir.clone(), value);
                    }
                    Some(merged) => {
                        if let (Some(all), Some(more)) = (
                            merged["languages"].as_object_mut(),
                            value["languages"].as_object(),
                        ) {
                            all.extend(more.clone());
                        }
                    }
                }
            } else {
                files.entry(format!("{dir}{name}")).or_insert(file.contents);
            }
        }
    }
    let mut versions = Vec::new();
    for (dir, entry) in entries {
        if let Some(v) = entry["version"].as_str() {
            versions.push(v.to_string());
        }
        files.insert(
            format!("{dir}pagefind-entry.json"),
            serde_json::to_vec(&entry).map_err(fail)?,
        );
    }
    Ok(versions)
}

/// One Pagefind index of one part in one language.
async fn index_unit(
    pages: Vec<(String, String)>,
) -> Result<Vec<pagefind::api::SyntheticFile>, String> {
    let config = PagefindServiceConfig::builder()
        .keep_index_url(false)
        .build();
    let mut index = PagefindIndex::new(Some(config)).map_err(|e| e.to_string())?;
    for (url, html) in pages {
        index
            .add_html_file(None, Some(url), html)
            .await
            .map_err(|e| e.to_string())?;
    }
    index.get_files().await.map_err(|e| e.to_string())
}

/// What the indexer reads of a page: the part marked `data-pagefind-body` (the briefing, as
/// the theme marks it) in a document of the page's language; the whole page if none is marked.
fn indexed_part(html: &str, lang: &str) -> String {
    let Some(marker) = html.find("data-pagefind-body") else {
        return html.to_string();
    };
    let start = html[..marker].rfind('<').unwrap_or(0);
    let tag = html[start + 1..]
        .split(|c: char| c.is_whitespace() || c == '>')
        .next()
        .unwrap_or("");
    let close = format!("</{tag}>");
    let end = html[marker..]
        .rfind(&close)
        .map_or(html.len(), |i| marker + i + close.len());
    format!(
        "<!DOCTYPE html><html lang=\"{lang}\"><body>{}</body></html>",
        &html[start..end]
    )
}

fn fail(e: impl std::fmt::Display) -> Diagnostic {
    Diagnostic::error(format!("the search index could not be built: {e}"))
        .help("set `search: false` in site.yaml to build without search, and report this problem")
}
