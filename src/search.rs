//! The search index: Pagefind, with Chinese word segmentation, over the published briefings.

use std::collections::BTreeMap;
use std::time::Instant;

use pagefind::api::PagefindIndex;
use pagefind::options::PagefindServiceConfig;

use crate::SearchReport;
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
    let mut years: BTreeMap<i16, Vec<usize>> = Default::default();
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
    let lang = site.config.html_lang(&site.notes[i].lang);
    Some(indexed_part(&String::from_utf8_lossy(html), lang))
}

/// The pages of one part in one language: address and indexed text.
type Pages = Vec<(String, String)>;

/// A unit of work: one part of the index in one language.
struct Unit {
    part: usize,
    /// The notes' language code (`en`).
    lang: String,
    pages: Pages,
    fingerprint: String,
}

/// The index's files, and what building it took.
pub struct Indexed {
    /// The files of the parts built now (and of the interface).
    pub files: Vec<OutputFile>,
    /// The files of the parts whose briefings did not change: they stay in the output folder
    /// as they are.
    pub kept: Vec<String>,
    pub report: SearchReport,
}

/// The file in each part's folder that says what the part was built from (see [`Stamp`]).
const STAMP: &str = ".briefing-index";

/// What a part was built from: Pagefind's version and, per language, a fingerprint of the
/// briefings' addresses and texts and of the program, what the language adds to the part's
/// `pagefind-entry.json`, and its files with their sizes.
#[derive(serde::Serialize, serde::Deserialize, Default)]
struct Stamp {
    version: String,
    languages: BTreeMap<String, LanguageStamp>,
}

#[derive(serde::Serialize, serde::Deserialize, Clone)]
struct LanguageStamp {
    fingerprint: String,
    entry: serde_json::Map<String, serde_json::Value>,
    files: BTreeMap<String, u64>,
}

impl Stamp {
    /// The stamp of the part in folder `dir` (`pagefind/2016/`) of the previous output.
    fn read(staging: &Staging, dir: &str) -> Option<Stamp> {
        let previous = staging.previous()?;
        let stamp = format!("{dir}{STAMP}");
        if !staging.has(&stamp) || !staging.has(&format!("{dir}pagefind-entry.json")) {
            return None;
        }
        serde_json::from_slice(&std::fs::read(previous.join(&stamp)).ok()?).ok()
    }
}

impl LanguageStamp {
    /// Whether the language's files are in the previous output as the stamp lists them.
    fn files_there(&self, staging: &Staging, dir: &str) -> bool {
        let Some(previous) = staging.previous() else {
            return false;
        };
        self.files.iter().all(|(name, size)| {
            let path = format!("{dir}{name}");
            staging.has(&path)
                && std::fs::symlink_metadata(previous.join(&path)).is_ok_and(|m| m.len() == *size)
        })
    }
}

/// Builds the index from the indexed notes' texts (from [`page_text`]). The output folder of
/// the last build (that `staging` updates) keeps a part's language whose fingerprint still
/// matches its stamp: only what changed is indexed again.
pub fn index(
    site: &Site,
    mut texts: std::collections::HashMap<usize, String>,
    staging: &Staging,
) -> Result<Indexed, Diagnostic> {
    let started = Instant::now();
    let shards = shards(site);
    let dir = |part: usize| format!("{}/", shards[part].key);
    let mut units: Vec<Unit> = Vec::new();
    for (part, shard) in shards.iter().enumerate() {
        let first = units.len();
        for &i in &shard.notes {
            let Some(text) = texts.remove(&i) else {
                continue;
            };
            let n = &site.notes[i];
            let page = (site.config.link(&n.path()), text);
            match units[first..].iter_mut().find(|u| u.lang == n.lang) {
                Some(unit) => unit.pages.push(page),
                None => units.push(Unit {
                    part,
                    lang: n.lang.clone(),
                    pages: vec![page],
                    fingerprint: String::new(),
                }),
            }
        }
    }
    let program = program();
    for unit in &mut units {
        unit.fingerprint = fingerprint(&program, &shards[unit.part].key, &unit.lang, &unit.pages);
    }

    // What the last build left that still fits.
    let stamps: Vec<Option<Stamp>> = (0..shards.len())
        .map(|part| Stamp::read(staging, &format!("{SEARCH_DIR}/{}", dir(part))))
        .collect();
    let mut reuse: Vec<Option<LanguageStamp>> = units
        .iter()
        .map(|u| {
            let stamp = stamps[u.part].as_ref()?.languages.get(&u.lang)?;
            (stamp.fingerprint == u.fingerprint
                && stamp.files_there(staging, &format!("{SEARCH_DIR}/{}", dir(u.part))))
            .then(|| stamp.clone())
        })
        .collect();

    // An empty index gives Pagefind's version, the interface's files and, for a site with
    // nothing to find yet, the index the search page loads. Languages indexed by another
    // version are indexed again.
    let mut files: BTreeMap<String, Vec<u8>> = Default::default();
    let blank = match run(vec![Vec::new()])?.pop() {
        Some(files) => files.map_err(fail)?,
        None => Vec::new(),
    };
    let blank_entry: serde_json::Value = blank
        .iter()
        .find(|f| f.filename == std::path::Path::new("pagefind-entry.json"))
        .map(|f| serde_json::from_slice(&f.contents))
        .transpose()
        .map_err(fail)?
        .unwrap_or_default();
    let version = blank_entry["version"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    for file in blank {
        let name = crate::error::display_path(&file.filename);
        if shards.is_empty() || INTERFACE_FILES.contains(&name.as_str()) {
            files.insert(name, file.contents);
        }
    }
    for (u, unit) in units.iter().enumerate() {
        if stamps[unit.part]
            .as_ref()
            .is_some_and(|s| s.version != version)
        {
            reuse[u] = None;
        }
    }

    let fresh: Vec<usize> = (0..units.len()).filter(|&u| reuse[u].is_none()).collect();
    let results = run(fresh
        .iter()
        .map(|&u| std::mem::take(&mut units[u].pages))
        .collect())?;
    // The stamps of the languages built now.
    let mut built: Vec<Option<LanguageStamp>> = (0..units.len()).map(|_| None).collect();
    for (&u, result) in fresh.iter().zip(results) {
        let prefix = dir(units[u].part);
        let mut languages = serde_json::Map::new();
        let mut listed = BTreeMap::new();
        for file in result.map_err(fail)? {
            let name = crate::error::display_path(&file.filename);
            if INTERFACE_FILES.contains(&name.as_str()) {
                continue;
            }
            if name == "pagefind-entry.json" {
                let entry: serde_json::Value =
                    serde_json::from_slice(&file.contents).map_err(fail)?;
                languages = entry["languages"].as_object().cloned().unwrap_or_default();
                continue;
            }
            listed.insert(name.clone(), file.contents.len() as u64);
            files.insert(format!("{prefix}{name}"), file.contents);
        }
        built[u] = Some(LanguageStamp {
            fingerprint: units[u].fingerprint.clone(),
            entry: languages,
            files: listed,
        });
    }

    // Each part: left whole, or its entry file and stamp written again from its languages,
    // built now or kept.
    let mut kept = Vec::new();
    let mut reused = 0;
    for (part, previous) in stamps.iter().enumerate() {
        let prefix = dir(part);
        let members: Vec<usize> = (0..units.len())
            .filter(|&u| units[u].part == part)
            .collect();
        for &u in &members {
            if let Some(stamp) = &reuse[u] {
                kept.extend(
                    stamp
                        .files
                        .keys()
                        .map(|name| format!("{SEARCH_DIR}/{prefix}{name}")),
                );
            }
        }
        let whole = members.iter().all(|&u| reuse[u].is_some())
            && previous
                .as_ref()
                .is_some_and(|s| s.languages.len() == members.len());
        if whole {
            reused += 1;
            kept.push(format!("{SEARCH_DIR}/{prefix}pagefind-entry.json"));
            kept.push(format!("{SEARCH_DIR}/{prefix}{STAMP}"));
            continue;
        }
        let mut stamp = Stamp {
            version: version.clone(),
            ..Default::default()
        };
        for &u in &members {
            if let Some(language) = reuse[u].take().or_else(|| built[u].take()) {
                stamp.languages.insert(units[u].lang.clone(), language);
            }
        }
        // The entry file names every language of the part; the rest of it is the same for
        // every index of this Pagefind.
        let mut entry = blank_entry.clone();
        let mut all = serde_json::Map::new();
        for language in stamp.languages.values() {
            all.extend(language.entry.clone());
        }
        entry["languages"] = serde_json::Value::Object(all);
        files.insert(
            format!("{prefix}pagefind-entry.json"),
            serde_json::to_vec(&entry).map_err(fail)?,
        );
        files.insert(
            format!("{prefix}{STAMP}"),
            serde_json::to_vec_pretty(&stamp).map_err(fail)?,
        );
    }
    // A file that a kept language shares with one built now (`pagefind.js`) is written, not kept.
    kept.retain(|path| {
        !path
            .strip_prefix(&format!("{SEARCH_DIR}/"))
            .is_some_and(|p| files.contains_key(p))
    });
    kept.sort();
    kept.dedup();

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
        report: SearchReport {
            took: started.elapsed(),
            parts: shards.len(),
            reused,
        },
    })
}

/// What identifies this program for [`fingerprint`]: its version, and the size and time of its
/// file, so that another build of briefing indexes afresh.
type Program = (&'static str, Option<(u64, Option<std::time::SystemTime>)>);

fn program() -> Program {
    let file = std::env::current_exe()
        .and_then(std::fs::metadata)
        .map(|m| (m.len(), m.modified().ok()))
        .ok();
    (env!("CARGO_PKG_VERSION"), file)
}

/// A fingerprint of one part in one language: its key, its pages' addresses and texts, and
/// this program.
fn fingerprint(program: &Program, key: &str, lang: &str, pages: &Pages) -> String {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut out = String::new();
    for seed in [0u8, 1] {
        let mut h = DefaultHasher::new();
        (seed, program, key, lang, pages).hash(&mut h);
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out
}

/// Indexes each list of pages with Pagefind, two at a time, the biggest first so both cores
/// stay busy; the results come back in the order of the lists.
fn run(
    lists: Vec<Pages>,
) -> Result<Vec<Result<Vec<pagefind::api::SyntheticFile>, String>>, Diagnostic> {
    if lists.is_empty() {
        return Ok(Vec::new());
    }
    let count = lists.len();
    let mut order: Vec<(usize, Pages)> = lists.into_iter().enumerate().collect();
    order.sort_by_key(|(_, pages)| std::cmp::Reverse(pages.len()));
    let queue = std::sync::Arc::new(std::sync::Mutex::new(
        order.into_iter().collect::<std::collections::VecDeque<_>>(),
    ));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Diagnostic::error(format!("cannot start the search indexer: {e}")))?;
    let done = runtime.block_on(async {
        let lanes: Vec<_> = (0..2)
            .map(|_| {
                let queue = queue.clone();
                tokio::spawn(async move {
                    let mut done = Vec::new();
                    loop {
                        let next = queue.lock().ok().and_then(|mut q| q.pop_front());
                        let Some((n, pages)) = next else { break };
                        done.push((n, index_unit(pages).await));
                    }
                    done
                })
            })
            .collect();
        let mut all = Vec::new();
        for lane in lanes {
            all.push(lane.await.map_err(|e| e.to_string()));
        }
        all
    });
    let mut results: Vec<Result<Vec<pagefind::api::SyntheticFile>, String>> =
        (0..count).map(|_| Err("not indexed".to_string())).collect();
    for lane in done {
        for (n, result) in lane.map_err(fail)? {
            results[n] = result;
        }
    }
    Ok(results)
}

/// One Pagefind index of one part in one language.
async fn index_unit(pages: Pages) -> Result<Vec<pagefind::api::SyntheticFile>, String> {
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
