//! The one place that writes the built site to disk: into a staging folder beside the output
//! folder, then swapped in, so a failed build leaves the previous output exactly as it was.

use std::collections::HashSet;
use std::fs;
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

use rayon::prelude::*;

use crate::error::{Diagnostic, display_path};
use crate::render::{Body, OutputFile};

/// The file that marks a folder as written by briefing, so it may be replaced.
pub const MARKER: &str = ".briefing-output";

const MARKER_TEXT: &str =
    "This folder is written by `briefing build`; each build replaces what is in it.\n";

/// Refuses output folders whose replacement would delete the user's own files.
pub fn check_target(output: &Path, root: &Path) -> Result<PathBuf, Diagnostic> {
    let refuse = |why: String| {
        Diagnostic::error(format!(
            "refusing to write the site into {}: {why}",
            display_path(output)
        ))
        .help("choose an empty or new folder with --output, e.g. --output output")
    };
    let absolute =
        absolute(output).map_err(|e| refuse(format!("cannot resolve the path ({e})")))?;
    let root = absolute_existing(root);
    if absolute.parent().is_none() {
        return Err(refuse("it is the root of the file system".into()));
    }
    if let Some(home) = std::env::var_os("HOME").map(PathBuf::from)
        && absolute_existing(&home) == absolute
    {
        return Err(refuse("it is your home folder".into()));
    }
    if root.starts_with(&absolute) {
        return Err(refuse(
            "it holds the site itself (site.yaml and content/)".into(),
        ));
    }
    for protected in ["content", "themes", "site.yaml", ".git"] {
        if absolute.starts_with(root.join(protected)) {
            return Err(refuse(format!("it is inside the site's {protected}")));
        }
    }
    if absolute.exists() {
        if !absolute.is_dir() {
            return Err(refuse("it is a file, not a folder".into()));
        }
        let empty = fs::read_dir(&absolute)
            .map_err(|e| refuse(format!("cannot read it ({e})")))?
            .next()
            .is_none();
        if !empty && !absolute.join(MARKER).is_file() {
            return Err(refuse(format!(
                "it is not empty and was not written by briefing (it has no {MARKER} file), so replacing it could delete your files"
            )));
        }
    }
    Ok(absolute)
}

/// The absolute form of a path that may not exist yet, with `..` and symlinks of the
/// existing part resolved.
fn absolute(path: &Path) -> io::Result<PathBuf> {
    let path = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()?.join(path)
    };
    let mut existing = path.clone();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.file_name(), existing.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name.to_os_string());
                existing = parent.to_path_buf();
            }
            _ => break,
        }
    }
    let mut out = existing.canonicalize()?;
    for name in rest.into_iter().rev() {
        if name == ".." {
            out.pop();
        } else if name != "." {
            out.push(name);
        }
    }
    Ok(out)
}

fn absolute_existing(path: &Path) -> PathBuf {
    absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

fn fail(what: &str, path: &Path, e: io::Error) -> Diagnostic {
    Diagnostic::error(format!("cannot {what} {}: {e}", display_path(path)))
        .help("check the free disk space and that you may write to the output folder's parent")
}

/// The new site, written beside the output folder and moved in only once every file of it
/// is written: a failed build leaves the output folder exactly as it was.
///
/// A file whose bytes are already in the output folder is not written again: it keeps its
/// inode and its modification time (so an upload tool sends only what changed), and the file
/// system is spared creating and deleting tens of thousands of files on every build.
pub struct Staging {
    staging: PathBuf,
    output: PathBuf,
    old: PathBuf,
    /// Whether there is a previous output to update; otherwise the staging folder becomes it.
    update: bool,
    /// The plain files of the previous output (the marker aside), reached through real
    /// folders only: the only files a build may leave in place.
    existing: HashSet<String>,
    /// Anything else in it that is not a folder (symbolic links): removed at the end.
    others: Vec<String>,
    /// What [`Staging::write`] has written so far; it may be called from several threads.
    written: Mutex<Written>,
}

#[derive(Default)]
struct Written {
    /// Every file of the new site.
    paths: HashSet<String>,
    /// The files written into the staging folder because the output lacks them or differs.
    changed: Vec<String>,
}

impl Staging {
    /// Creates the staging folder beside `output` (checked with [`check_target`]).
    pub fn create(output: &Path) -> Result<Staging, Diagnostic> {
        let parent = output
            .parent()
            .ok_or_else(|| Diagnostic::error("the output folder has no parent folder"))?;
        fs::create_dir_all(parent).map_err(|e| fail("create", parent, e))?;
        let name = output
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "output".into());
        let staging = parent.join(format!(".{name}.staging"));
        let old = parent.join(format!(".{name}.old"));
        for leftover in [&staging, &old] {
            remove_own(leftover).map_err(|e| fail("remove the leftover folder", leftover, e))?;
        }
        fs::create_dir(&staging).map_err(|e| fail("create", &staging, e))?;
        let update = fs::symlink_metadata(output).is_ok_and(|m| m.is_dir())
            && fs::read_dir(output).is_ok_and(|mut d| d.next().is_some());
        let (existing, others) = if update {
            survey(output).map_err(|e| {
                let _ = remove_own(&staging);
                fail("read the previous output in", output, e)
            })?
        } else {
            Default::default()
        };
        let s = Staging {
            staging,
            output: output.to_path_buf(),
            old,
            update,
            existing,
            others,
            written: Mutex::default(),
        };
        if let Err(e) = fs::write(s.staging.join(MARKER), MARKER_TEXT) {
            s.abort();
            return Err(fail("write to", output, e));
        }
        Ok(s)
    }

    /// Writes some files of the new site (those the output folder does not already hold).
    pub fn write(&self, files: &[OutputFile]) -> Result<(), Diagnostic> {
        for f in files {
            let safe = Path::new(&f.path)
                .components()
                .all(|c| matches!(c, Component::Normal(_)));
            if !safe || f.path.is_empty() || f.path == MARKER {
                return Err(Diagnostic::error(format!(
                    "refusing to write outside the output folder: {}",
                    f.path
                )));
            }
        }
        let changed: Vec<&OutputFile> = if self.update {
            files
                .par_iter()
                .filter(|f| {
                    !(self.existing.contains(&f.path) && holds(&self.output.join(&f.path), &f.body))
                })
                .collect()
        } else {
            files.iter().collect()
        };
        fill(&self.staging, &changed)?;
        let mut written = self.written.lock().unwrap_or_else(|e| e.into_inner());
        written.paths.extend(files.iter().map(|f| f.path.clone()));
        written
            .changed
            .extend(changed.iter().map(|f| f.path.clone()));
        Ok(())
    }

    /// Gives up: the staging folder goes, the output folder stays as it was.
    pub fn abort(self) {
        let _ = remove_own(&self.staging);
    }

    /// Puts the new site in place of the old one.
    pub fn commit(mut self) -> Result<(), Diagnostic> {
        let written = std::mem::take(self.written.get_mut().unwrap_or_else(|e| e.into_inner()));
        if !self.update {
            if self.output.exists() {
                // An empty folder: it makes way for the staging folder.
                fs::remove_dir(&self.output).map_err(|e| fail("replace", &self.output, e))?;
            }
            return fs::rename(&self.staging, &self.output).map_err(|e| {
                let _ = remove_own(&self.staging);
                fail("move into place", &self.output, e)
            });
        }
        let stale: Vec<PathBuf> = self
            .existing
            .iter()
            .filter(|p| !written.paths.contains(*p))
            .chain(&self.others)
            .map(PathBuf::from)
            .collect();
        if self.movable_in_place(&written.changed) {
            self.update_in_place(&written.changed, &stale)
        } else {
            self.swap(written)
        }
    }

    /// Whether every changed file can be renamed into the output folder: each folder on its
    /// way is a real folder (not a file or a symbolic link) or not there yet, and the file's
    /// own place is not a folder.
    fn movable_in_place(&self, changed: &[String]) -> bool {
        let mut seen: HashSet<&str> = HashSet::new();
        for path in changed {
            if fs::symlink_metadata(self.output.join(path)).is_ok_and(|m| m.is_dir()) {
                return false;
            }
            let mut dir = path.as_str();
            while let Some((parent, _)) = dir.rsplit_once('/') {
                if !seen.insert(parent) {
                    break;
                }
                match fs::symlink_metadata(self.output.join(parent)) {
                    Ok(m) if !m.is_dir() => return false,
                    _ => {}
                }
                dir = parent;
            }
        }
        true
    }

    /// Moves the changed files into the output folder and removes the files no longer built.
    fn update_in_place(self, changed: &[String], stale: &[PathBuf]) -> Result<(), Diagnostic> {
        let moved = (|| -> Result<(), Diagnostic> {
            create_parents(&self.output, changed.iter().map(String::as_str))?;
            if !self.output.join(MARKER).is_file() {
                fs::write(self.output.join(MARKER), MARKER_TEXT)
                    .map_err(|e| fail("write to", &self.output, e))?;
            }
            changed.par_iter().try_for_each(|p| {
                let target = self.output.join(p);
                fs::rename(self.staging.join(p), &target)
                    .map_err(|e| fail("move into place", &target, e))
            })
        })();
        let _ = remove_own(&self.staging);
        moved?;
        for path in stale {
            let path = self.output.join(path);
            fs::remove_file(&path).map_err(|e| fail("remove the stale", &path, e))?;
            // Folders left empty go too, up to the output folder itself.
            let mut dir = path.parent();
            while let Some(d) = dir {
                if d == self.output || fs::remove_dir(d).is_err() {
                    break;
                }
                dir = d.parent();
            }
        }
        Ok(())
    }

    /// The careful way, for outputs whose shape changed (a folder where a file now goes, or a
    /// symbolic link): the files that did not change are linked (or copied) into the staging
    /// folder, which then replaces the output folder whole.
    fn swap(self, written: Written) -> Result<(), Diagnostic> {
        let Staging {
            staging,
            output,
            old,
            ..
        } = self;
        let Written { paths, changed } = written;
        let changed: HashSet<String> = changed.into_iter().collect();
        let same: Vec<&String> = paths.iter().filter(|p| !changed.contains(*p)).collect();
        if let Err(e) = create_parents(&staging, same.iter().map(|p| p.as_str())) {
            let _ = remove_own(&staging);
            return Err(e);
        }
        let linked = same.par_iter().try_for_each(|p| {
            let target = staging.join(p.as_str());
            let source = output.join(p.as_str());
            fs::hard_link(&source, &target).or_else(|_| fs::copy(&source, &target).map(|_| ()))
        });
        if let Err(e) = linked {
            let _ = remove_own(&staging);
            return Err(fail("carry over the unchanged files of", &output, e));
        }
        fs::rename(&output, &old).map_err(|e| {
            let _ = remove_own(&staging);
            fail("move aside the previous", &output, e)
        })?;
        if let Err(e) = fs::rename(&staging, &output) {
            let _ = fs::rename(&old, &output);
            let _ = remove_own(&staging);
            return Err(fail("move into place", &output, e));
        }
        remove_own(&old).map_err(|e| fail("remove the previous output in", &old, e))
    }
}

/// Whether the file at `path` (a plain file, not a link) already holds exactly `body`.
fn holds(path: &Path, body: &Body) -> bool {
    let Ok(meta) = fs::symlink_metadata(path) else {
        return false;
    };
    if !meta.is_file() {
        return false;
    }
    let bytes: &[u8] = match body {
        Body::Bytes(b) => b,
        Body::Static(b) => b,
        Body::File(source) => {
            return fs::metadata(source).is_ok_and(|s| {
                s.len() == meta.len() && same_contents(source, path).unwrap_or(false)
            });
        }
    };
    meta.len() == bytes.len() as u64 && fs::read(path).is_ok_and(|old| old == bytes)
}

/// Compares two files of equal length a block at a time.
fn same_contents(a: &Path, b: &Path) -> io::Result<bool> {
    let (mut a, mut b) = (fs::File::open(a)?, fs::File::open(b)?);
    let (mut x, mut y) = (vec![0u8; 64 * 1024], vec![0u8; 64 * 1024]);
    loop {
        let n = a.read(&mut x)?;
        if n == 0 {
            return Ok(b.read(&mut y)? == 0);
        }
        b.read_exact(&mut y[..n])?;
        if x[..n] != y[..n] {
            return Ok(false);
        }
    }
}

/// The previous output's plain files and its other entries that are not folders (symbolic
/// links), as paths relative to it with `/` between names. Symbolic links are never followed.
fn survey(output: &Path) -> io::Result<(HashSet<String>, Vec<String>)> {
    let mut files = HashSet::new();
    let mut others = Vec::new();
    for entry in walkdir::WalkDir::new(output).min_depth(1) {
        let entry = entry.map_err(io::Error::other)?;
        let kind = entry.file_type();
        if kind.is_dir() {
            continue;
        }
        let relative = entry
            .path()
            .strip_prefix(output)
            .map_err(io::Error::other)?;
        let key = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        if kind.is_file() {
            if key != MARKER {
                files.insert(key);
            }
        } else {
            others.push(key);
        }
    }
    Ok((files, others))
}

/// Removes a folder only if it carries our marker (or does not exist).
fn remove_own(dir: &Path) -> io::Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    if !dir.join(MARKER).is_file() {
        return Err(io::Error::other(format!(
            "{} exists and was not written by briefing; remove or rename it yourself",
            display_path(dir)
        )));
    }
    fs::remove_dir_all(dir)
}

/// Creates the folders under `root` that the files at `paths` go into, each once.
fn create_parents<'a>(root: &Path, paths: impl Iterator<Item = &'a str>) -> Result<(), Diagnostic> {
    let mut dirs: Vec<&str> = paths
        .filter_map(|p| p.rsplit_once('/').map(|(d, _)| d))
        .collect();
    dirs.sort_unstable();
    dirs.dedup();
    for d in dirs {
        let dir = root.join(d);
        fs::create_dir_all(&dir).map_err(|e| fail("create", &dir, e))?;
    }
    Ok(())
}

fn fill(staging: &Path, files: &[&OutputFile]) -> Result<(), Diagnostic> {
    create_parents(staging, files.iter().map(|f| f.path.as_str()))?;
    files.par_iter().try_for_each(|f| {
        let target = staging.join(&f.path);
        let result = match &f.body {
            Body::Bytes(b) => fs::write(&target, b),
            Body::Static(b) => fs::write(&target, b),
            Body::File(source) => fs::copy(source, &target).map(|_| ()),
        };
        result.map_err(|e| {
            let what = match &f.body {
                Body::File(source) => format!("cannot copy {}: {e}", display_path(source)),
                _ => format!("cannot write {}: {e}", display_path(&target)),
            };
            Diagnostic::error(what)
        })
    })
}
