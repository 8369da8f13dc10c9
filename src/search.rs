//! The search index: Pagefind, with Chinese word segmentation, over the published briefings.

use std::time::{Duration, Instant};

use pagefind::api::PagefindIndex;
use pagefind::options::PagefindServiceConfig;

use crate::content::Section;
use crate::error::Diagnostic;
use crate::render::{Body, OutputFile};
use crate::site::Site;

/// The folder of the index and its scripts under the output folder.
pub const SEARCH_DIR: &str = "pagefind";

/// Indexes the briefing pages among `files` (published briefings only: drafts and notes under
/// embargo are never in the index) and returns the index's files, and how long it took.
pub fn index(site: &Site, files: &[OutputFile]) -> Result<(Vec<OutputFile>, Duration), Diagnostic> {
    let started = Instant::now();
    let by_path: std::collections::HashMap<&str, &OutputFile> =
        files.iter().map(|f| (f.path.as_str(), f)).collect();
    let pages: Vec<(String, String, String)> = site
        .notes
        .iter()
        .enumerate()
        .filter(|(i, n)| n.section == Section::Briefings && site.is_published(*i) && !n.draft)
        .filter(|(_, n)| n.embargo.as_ref().is_none_or(|e| e.timestamp <= site.now))
        .filter_map(|(_, n)| {
            let path = format!("{}index.html", n.path());
            let file = by_path.get(path.as_str())?;
            let Body::Bytes(bytes) = &file.body else {
                return None;
            };
            let html = String::from_utf8_lossy(bytes);
            let lang = site
                .config
                .language(&n.lang)
                .map_or(n.lang.as_str(), |l| &l.html_lang);
            Some((
                lang.to_string(),
                site.config.link(&n.path()),
                indexed_part(&html, lang),
            ))
        })
        .collect();

    // One index per language, built side by side; their files are merged below.
    let mut by_language: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for (lang, url, html) in pages {
        match by_language.iter_mut().find(|(l, _)| *l == lang) {
            Some((_, list)) => list.push((url, html)),
            None => by_language.push((lang, vec![(url, html)])),
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Diagnostic::error(format!("cannot start the search indexer: {e}")))?;
    let parts = runtime.block_on(async {
        let tasks: Vec<_> = by_language
            .into_iter()
            .map(|(_, pages)| {
                tokio::spawn(async move {
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
                })
            })
            .collect();
        let mut parts = Vec::new();
        for task in tasks {
            parts.push(task.await.map_err(|e| e.to_string()).and_then(|r| r));
        }
        parts
    });
    let mut synthetic: Vec<pagefind::api::SyntheticFile> = Vec::new();
    let mut entry: Option<serde_json::Value> = None;
    for part in parts {
        for file in part.map_err(fail)? {
            if file.filename == std::path::Path::new("pagefind-entry.json") {
                let value: serde_json::Value =
                    serde_json::from_slice(&file.contents).map_err(fail)?;
                match entry.as_mut() {
                    None => entry = Some(value),
                    Some(merged) => {
                        if let (Some(all), Some(more)) = (
                            merged["languages"].as_object_mut(),
                            value["languages"].as_object(),
                        ) {
                            all.extend(more.clone());
                        }
                    }
                }
            } else if !synthetic.iter().any(|f| f.filename == file.filename) {
                synthetic.push(file);
            }
        }
    }
    if let Some(entry) = entry {
        synthetic.push(pagefind::api::SyntheticFile {
            filename: "pagefind-entry.json".into(),
            contents: serde_json::to_vec(&entry).map_err(fail)?,
        });
    }
    let out = synthetic
        .into_iter()
        .map(|f| OutputFile {
            path: format!("{SEARCH_DIR}/{}", crate::error::display_path(&f.filename)),
            body: Body::Bytes(f.contents),
            from: None,
        })
        .collect();
    Ok((out, started.elapsed()))
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
