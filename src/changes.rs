//! The site's own files watched for changes, for `serve` and `deploy --watch`: site.yaml,
//! content/ and themes/ (also when those folders appear after the start), never the output
//! folder nor an editor's temporary files.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use notify::{EventKind, RecursiveMode};

use crate::error::{Diagnostic, Log};
use crate::paths::{CONTENT_DIR, SITE_FILE, THEMES_DIR, is_ignored};

const FOLDERS: [&str; 2] = [CONTENT_DIR, THEMES_DIR];

/// Starts watching the site at `root`; each message is a batch of changed files (absolute,
/// sorted, once each), sent once no event came for `quiet`. Watching lasts as long as the
/// receiver.
pub fn watch(
    root: &Path,
    quiet: Duration,
    log: Log,
) -> Result<mpsc::Receiver<Vec<PathBuf>>, Diagnostic> {
    let fail =
        |e: notify::Error| Diagnostic::error(format!("cannot watch the site for changes: {e}"));
    // Events name absolute paths.
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let (events, rx) = mpsc::channel();
    let mut debouncer =
        notify_debouncer_full::new_debouncer(quiet, Some(Duration::from_millis(2)), events)
            .map_err(fail)?;
    // The root itself only for site.yaml and for content/ or themes/ appearing.
    debouncer
        .watch(&root, RecursiveMode::NonRecursive)
        .map_err(fail)?;
    let mut watched = Vec::new();
    for dir in FOLDERS.map(|d| root.join(d)) {
        if dir.is_dir() {
            debouncer
                .watch(&dir, RecursiveMode::Recursive)
                .map_err(fail)?;
            watched.push(dir);
        }
    }
    let (tx, changes) = mpsc::channel();
    std::thread::spawn(move || {
        while let Ok(result) = rx.recv() {
            for dir in FOLDERS.map(|d| root.join(d)) {
                if !watched.contains(&dir)
                    && dir.is_dir()
                    && debouncer.watch(&dir, RecursiveMode::Recursive).is_ok()
                {
                    watched.push(dir);
                }
            }
            let mut paths: Vec<PathBuf> = Vec::new();
            let mut collect = |r: notify_debouncer_full::DebounceEventResult| match r {
                // Reading a file is an event too (a build reads them): only writes count.
                Ok(events) => paths.extend(
                    events
                        .into_iter()
                        .filter(|e| {
                            matches!(
                                e.event.kind,
                                EventKind::Create(_)
                                    | EventKind::Modify(_)
                                    | EventKind::Remove(_)
                                    | EventKind::Any
                            )
                        })
                        .flat_map(|e| e.event.paths)
                        .filter(|p| of_the_site(&root, p)),
                ),
                Err(errors) => {
                    for e in errors {
                        log(format!("Watching failed: {e}"));
                    }
                }
            };
            collect(result);
            while let Ok(more) = rx.try_recv() {
                collect(more);
            }
            paths.sort();
            paths.dedup();
            if !paths.is_empty() && tx.send(paths).is_err() {
                return;
            }
        }
    });
    Ok(changes)
}

/// site.yaml, or a file under content/ or themes/ that is not an editor's temporary file.
fn of_the_site(root: &Path, path: &Path) -> bool {
    let Ok(rel) = path.strip_prefix(root) else {
        return false;
    };
    let mut parts = rel.components().map(|c| c.as_os_str().to_str());
    let first = parts.next().flatten();
    if first == Some(SITE_FILE) {
        return rel.components().count() == 1;
    }
    FOLDERS.iter().any(|d| first == Some(*d))
        && !rel.components().any(|c| is_ignored(c.as_os_str().to_str()))
}
