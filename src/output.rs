//! The one place that writes the built site to disk: into a staging folder beside the output
//! folder, then swapped in, so a failed build leaves the previous output exactly as it was.

use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

use rayon::prelude::*;

use crate::error::{Diagnostic, display_path};
use crate::render::{Body, OutputFile};

/// The file that marks a folder as written by briefing, so it may be replaced.
pub const MARKER: &str = ".briefing-output";

const MARKER_TEXT: &str =
    "This folder is written by `briefing build`; each build replaces all of it.\n";

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

/// The new site, written file by file beside the output folder and swapped in at the end:
/// nothing of it is seen in the output folder unless every file was written.
pub struct Staging {
    staging: PathBuf,
    output: PathBuf,
    old: PathBuf,
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
        let s = Staging {
            staging,
            output: output.to_path_buf(),
            old,
        };
        if let Err(e) = fs::write(s.staging.join(MARKER), MARKER_TEXT) {
            s.abort();
            return Err(fail("write to", output, e));
        }
        Ok(s)
    }

    /// Writes some files of the new site.
    pub fn write(&self, files: &[OutputFile]) -> Result<(), Diagnostic> {
        fill(&self.staging, files)
    }

    /// Gives up: the staging folder goes, the output folder stays as it was.
    pub fn abort(self) {
        let _ = remove_own(&self.staging);
    }

    /// Swaps the new site in for the old one.
    pub fn commit(self) -> Result<(), Diagnostic> {
        let Staging {
            staging,
            output,
            old,
        } = self;
        if output.exists() {
            fs::rename(&output, &old).map_err(|e| {
                let _ = remove_own(&staging);
                fail("move aside the previous", &output, e)
            })?;
            if let Err(e) = fs::rename(&staging, &output) {
                let _ = fs::rename(&old, &output);
                let _ = remove_own(&staging);
                return Err(fail("move into place", &output, e));
            }
            remove_own(&old).map_err(|e| fail("remove the previous output in", &old, e))?;
        } else {
            fs::rename(&staging, &output).map_err(|e| {
                let _ = remove_own(&staging);
                fail("move into place", &output, e)
            })?;
        }
        Ok(())
    }
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

fn fill(staging: &Path, files: &[OutputFile]) -> Result<(), Diagnostic> {
    let mut dirs: Vec<&str> = files
        .iter()
        .filter_map(|f| f.path.rsplit_once('/').map(|(d, _)| d))
        .collect();
    dirs.sort_unstable();
    dirs.dedup();
    for f in files {
        let safe = Path::new(&f.path)
            .components()
            .all(|c| matches!(c, Component::Normal(_)));
        if !safe || f.path.is_empty() {
            return Err(Diagnostic::error(format!(
                "refusing to write outside the output folder: {}",
                f.path
            )));
        }
    }
    for d in dirs {
        let dir = staging.join(d);
        fs::create_dir_all(&dir)
            .map_err(|e| Diagnostic::error(format!("cannot create {}: {e}", display_path(&dir))))?;
    }
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
