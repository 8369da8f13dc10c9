//! The site's own files watched for changes, for `serve` and `deploy --watch`: site.yaml,
//! content/ and themes/ (also when those folders appear after the start), never the output
//! folder nor an editor's temporary files.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use notify::{Event, EventKind, RecursiveMode, Watcher};

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
    let site = root.clone();
    // Reading a file is an event too, and a build reads every note: only writes to the
    // site's files go on, the rest is dropped as it comes (a queue of 20,000 reads, looked
    // through at every tick, made a debouncer slower than the reading itself).
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<Event>| {
        let batch = event.map(|e| {
            if is_write(&e.kind) {
                e.paths
                    .into_iter()
                    .filter(|p| of_the_site(&site, p))
                    .collect()
            } else {
                Vec::new()
            }
        });
        if !matches!(&batch, Ok(paths) if paths.is_empty()) {
            let _ = events.send(batch);
        }
    })
    .map_err(fail)?;
    // The root itself only for site.yaml and for content/ or themes/ appearing.
    watcher
        .watch(&root, RecursiveMode::NonRecursive)
        .map_err(fail)?;
    let mut watched = Vec::new();
    for dir in FOLDERS.map(|d| root.join(d)) {
        if dir.is_dir() {
            watcher
                .watch(&dir, RecursiveMode::Recursive)
                .map_err(fail)?;
            watched.push(dir);
        }
    }
    let (tx, changes) = mpsc::channel();
    std::thread::spawn(move || {
        while let Ok(first) = rx.recv() {
            let mut paths: Vec<PathBuf> = Vec::new();
            let mut collect = |batch: notify::Result<Vec<PathBuf>>| match batch {
                Ok(batch) => paths.extend(batch),
                Err(e) => log(format!("Watching failed: {e}")),
            };
            collect(first);
            // An editor's save is several events: the batch ends once they stop for `quiet`.
            while let Ok(more) = rx.recv_timeout(quiet) {
                collect(more);
            }
            for dir in FOLDERS.map(|d| root.join(d)) {
                if !watched.contains(&dir)
                    && dir.is_dir()
                    && watcher.watch(&dir, RecursiveMode::Recursive).is_ok()
                {
                    watched.push(dir);
                }
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

/// An event that changes a file: made, written, renamed or removed (not read).
fn is_write(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_) | EventKind::Any
    )
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn reading_the_site_is_no_change_and_a_save_is_one_batch_naming_the_file() {
        let site = tempfile::tempdir().unwrap();
        let root = site.path().canonicalize().unwrap();
        let note = root.join("content/briefings/visit/index.en.md");
        std::fs::create_dir_all(note.parent().unwrap()).unwrap();
        std::fs::write(&note, "---\ntitle: A visit\n---\n").unwrap();
        std::fs::write(root.join("site.yaml"), "title: Press\n").unwrap();
        let changes = watch(&root, Duration::from_millis(50), Arc::new(|_| {})).unwrap();

        for _ in 0..20 {
            std::fs::read(&note).unwrap();
            std::fs::read(root.join("site.yaml")).unwrap();
        }
        assert_eq!(changes.recv_timeout(Duration::from_millis(300)).ok(), None);

        // An editor's swap file beside the note is not the site's.
        std::fs::write(note.with_file_name(".index.en.md.swp"), "x").unwrap();
        std::fs::write(&note, "---\ntitle: A visit to Beijing\n---\n").unwrap();
        let batch = changes.recv_timeout(Duration::from_secs(5)).unwrap();
        assert_eq!(batch, vec![note.clone()]);
        assert_eq!(changes.recv_timeout(Duration::from_millis(300)).ok(), None);
    }
}
