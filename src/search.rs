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
    let pages: Vec<(String, String)> = site
        .notes
        .iter()
        .enumerate()
        .filter(|(i, n)| n.section == Section::Briefings && site.is_published(*i) && !n.draft)
        .filter(|(_, n)| n.embargo.as_ref().is_none_or(|e| e.timestamp <= site.now))
        .filter_map(|(_, n)| {
            let path = format!("{}index.html", n.path());
            let file = files.iter().find(|f| f.path == path)?;
            match &file.body {
                Body::Bytes(b) => Some((
                    site.config.link(&n.path()),
                    String::from_utf8_lossy(b).into_owned(),
                )),
                _ => None,
            }
        })
        .collect();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Diagnostic::error(format!("cannot start the search indexer: {e}")))?;
    let synthetic = runtime.block_on(async {
        let config = PagefindServiceConfig::builder()
            .keep_index_url(false)
            .build();
        let mut index = PagefindIndex::new(Some(config)).map_err(fail)?;
        for (url, html) in pages {
            index
                .add_html_file(None, Some(url), html)
                .await
                .map_err(fail)?;
        }
        index.get_files().await.map_err(fail)
    })?;
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

fn fail(e: impl std::fmt::Display) -> Diagnostic {
    Diagnostic::error(format!("the search index could not be built: {e}"))
        .help("set `search: false` in site.yaml to build without search, and report this problem")
}
