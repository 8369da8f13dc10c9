//! The one place that writes the built site to disk. The new files are written into a
//! staging folder beside the output folder and moved in only once all of them are written;
//! a journal written just before the move makes the change all-or-nothing: a failed build
//! leaves the previous output exactly as it was, and a build killed while moving files is
//! finished by the next one.
//!
//! Everything briefing keeps beside the output folder `output` lives in one hidden folder,
//! `.output.briefing`: the lock file (never deleted), the staging folder, the journal, the
//! files moved aside while the new ones go in, and the previous output during a swap.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Diagnostic, Diagnostics, display_path};
use crate::memory::{Key, Memory, Shelf, Stamp};

/// The bytes of one output file.
#[derive(Debug, Clone)]
pub enum Body {
    Bytes(Vec<u8>),
    Static(&'static [u8]),
    /// Copied from this file.
    File(PathBuf),
    /// The file the last build left in the output folder (here), the same page: kept as it
    /// is, its stamp checked when the memory vouched for it.
    Kept(PathBuf, Stamp),
}

impl Body {
    /// Its SHA-256 in hexadecimal, and its size; a copied file is read a block at a time.
    pub fn sha256(&self) -> Result<(String, u64), Diagnostic> {
        use sha2::Digest as _;
        let bytes: &[u8] = match self {
            Body::Bytes(b) => b,
            Body::Static(b) => b,
            Body::File(source) | Body::Kept(source, _) => {
                let cannot = |e: io::Error| {
                    Diagnostic::error(format!("cannot read {}: {e}", display_path(source)))
                };
                let mut file = fs::File::open(source).map_err(cannot)?;
                let mut hasher = sha2::Sha256::new();
                let mut buffer = vec![0u8; 64 * 1024];
                let mut size = 0u64;
                loop {
                    let n = file.read(&mut buffer).map_err(cannot)?;
                    if n == 0 {
                        break;
                    }
                    hasher.update(&buffer[..n]);
                    size += n as u64;
                }
                return Ok((hex(&hasher.finalize()), size));
            }
        };
        Ok((sha256(bytes), bytes.len() as u64))
    }
}

/// The SHA-256 of some bytes, in hexadecimal.
pub fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    hex(&sha2::Sha256::digest(bytes))
}

fn hex(digest: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(digest.len() * 2);
    for b in digest {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// One file of the built site.
#[derive(Debug, Clone)]
pub struct OutputFile {
    /// Path under the output folder, with forward slashes: `en/briefings/x/index.html`.
    pub path: String,
    pub body: Body,
    /// The user's file it comes from, to name in errors.
    pub from: Option<PathBuf>,
    /// The fingerprint of what its template was given, for the next build's memory.
    pub key: Option<Key>,
}

impl OutputFile {
    /// A generated page or file, with no user's file to name.
    pub fn page(path: String, bytes: impl Into<Vec<u8>>) -> Self {
        OutputFile {
            path,
            body: Body::Bytes(bytes.into()),
            from: None,
            key: None,
        }
    }

    /// A page the output folder holds already, as the last build left it.
    pub fn kept(path: String, file: PathBuf, stamp: Stamp, key: Key) -> Self {
        OutputFile {
            path,
            body: Body::Kept(file, stamp),
            from: None,
            key: Some(key),
        }
    }
}

/// The file that marks a folder as written by briefing, so it may be replaced.
pub const MARKER: &str = ".briefing-output";

const MARKER_TEXT: &str =
    "This folder is written by `briefing build`; each build replaces what is in it.\n";

const STATE_MARKER_TEXT: &str = "This folder holds the state of `briefing build` for the output folder beside it: \
     a lock, what the last builds remember of their notes, pages, telephone numbers and search index, and while a build runs, its new files. \
     briefing removes what it no longer needs.\n";

/// A shelf being written beside the build: waited for when dropped.
pub struct Aside(Option<std::thread::JoinHandle<()>>);

impl Drop for Aside {
    fn drop(&mut self) {
        if let Some(writing) = self.0.take() {
            let _ = writing.join();
        }
    }
}

/// The names briefing may create in its state folder, besides the memory's files
/// ([`crate::memory::FILES`]) and their `.new` while they are written.
const STATE_ENTRIES: [&str; 8] = [
    MARKER,
    ".gitignore",
    "lock",
    "staging",
    "aside",
    "old",
    "journal",
    "journal.new",
];

/// Whether briefing may create `name` in its state folder.
fn is_state_entry(name: &std::ffi::OsStr) -> bool {
    let name = name.to_string_lossy();
    let memory = name.strip_suffix(".new").unwrap_or(&name);
    STATE_ENTRIES.contains(&&*name) || crate::memory::FILES.contains(&memory)
}

/// Said by a failed build whose output folder could not be put back as it was.
const PART_WAY: &str = "the output folder is part old, part new";

/// Refuses output folders whose replacement would delete the user's own files.
pub fn check_target(output: &Path, root: &Path) -> Result<PathBuf, Diagnostic> {
    let refuse = |why: String| refusal(output, why);
    let absolute =
        absolute(output).map_err(|e| refuse(format!("cannot resolve the path ({e})")))?;
    let root = absolute_existing(root);
    if let Some(why) = everything_folder(&absolute) {
        return Err(refuse(why.into()));
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
    check_contents(&absolute, output)?;
    Ok(absolute)
}

fn refusal(shown: &Path, why: String) -> Diagnostic {
    Diagnostic::error(format!(
        "refusing to write the site into {}: {why}",
        display_path(shown)
    ))
    .help("choose an empty or new folder with --output, e.g. --output output")
}

/// An existing output folder must be a folder, and empty or marked as briefing's.
fn check_contents(output: &Path, shown: &Path) -> Result<(), Diagnostic> {
    let refuse = |why: String| refusal(shown, why);
    match fs::metadata(output) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Ok(m) if m.is_dir() => {}
        _ => return Err(refuse("it is a file, not a folder".into())),
    }
    let empty = fs::read_dir(output)
        .map_err(|e| refuse(format!("cannot read it ({e})")))?
        .next()
        .is_none();
    if !empty && !marked(output) {
        return Err(refuse(format!(
            "it is not empty and was not written by briefing (it has no {MARKER} file), so replacing it could delete your files"
        )));
    }
    Ok(())
}

/// Whether `dir` carries the marker: a file, or a symbolic link (never followed; a build
/// replaces it with the real marker file).
fn marked(dir: &Path) -> bool {
    fs::symlink_metadata(dir.join(MARKER)).is_ok_and(|m| m.is_file() || m.is_symlink())
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

/// Why no command may write into or delete from the folder `absolute` (resolved): it is the
/// root of the file system, or the user's home folder. `build` and `deploy` both refuse them.
pub(crate) fn everything_folder(absolute: &Path) -> Option<&'static str> {
    if absolute.parent().is_none() {
        return Some("it is the root of the file system");
    }
    let home = std::env::var_os("HOME").map(PathBuf::from)?;
    (absolute_existing(&home) == absolute).then_some("it is your home folder")
}

pub(crate) fn absolute_existing(path: &Path) -> PathBuf {
    absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

fn fail(what: &str, path: &Path, e: io::Error) -> Diagnostic {
    Diagnostic::error(format!("cannot {what} {}: {e}", display_path(path)))
        .help("check the free disk space and that you may write to the output folder's parent")
}

/// Whether anything (a file, folder or link) is at `path`; links are not followed.
fn present(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok()
}

/// What tells a folder from every other on its file system, kept when it is renamed: its
/// inode number. None where the system has none, or nothing is at `path`.
fn identity(path: &Path) -> Option<u64> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        fs::symlink_metadata(path).ok().map(|m| m.ino())
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// Exchanges two folders in one step: each takes the other's name at the same moment.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let a = CString::new(a.as_os_str().as_bytes()).map_err(io::Error::other)?;
    let b = CString::new(b.as_os_str().as_bytes()).map_err(io::Error::other)?;
    // SAFETY: both paths are valid NUL-terminated strings that live through the call.
    let done = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if done == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> io::Result<()> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

/// Whether `exchange` failed because the system or the file system cannot exchange.
fn exchange_unsupported(e: &io::Error) -> bool {
    #[cfg(target_os = "linux")]
    if matches!(
        e.raw_os_error(),
        Some(libc::EINVAL | libc::ENOSYS | libc::EOPNOTSUPP)
    ) {
        return true;
    }
    e.kind() == io::ErrorKind::Unsupported
}

/// Removes whatever is at `path` (a folder with all it holds); links are not followed.
fn remove_any(path: &Path) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Writes a small file of briefing's own state; a link or anything else in its place is
/// removed first, never written through.
fn write_own(path: &Path, text: &str) -> io::Result<()> {
    if fs::symlink_metadata(path).is_ok_and(|m| m.is_file()) {
        return Ok(());
    }
    remove_any(path)?;
    match fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
    {
        Ok(mut f) => f.write_all(text.as_bytes()),
        // Another build wrote it at the same moment.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Makes the metadata of the entries of `dir` durable (renames, removals), where the system
/// allows opening a folder.
fn sync_dir(dir: &Path) {
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// The change a build makes to the output folder, written down before the first file of it
/// moves: once this record is in place the build is committed, and a build killed while
/// moving files is finished by the next command that takes the lock.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "kebab-case")]
enum Journal {
    /// Files moved from the staging folder into the output folder one by one (what was at
    /// their place is kept aside under a second name and replaced by a rename), and files no
    /// longer built moved aside last.
    InPlace {
        moved: Vec<String>,
        dropped: Vec<String>,
    },
    /// The staging folder, holding the whole new site, takes the output folder's place in
    /// one step where the system can exchange two folders (Linux), so that the output folder
    /// is never absent. `folder` names the staging folder (its inode): once the output folder
    /// is that folder, the exchange is made and what remains is to clear the old site away.
    Swap {
        files: usize,
        #[serde(default)]
        folder: Option<u64>,
    },
}

/// A change of the output folder that a killed build left unfinished, finished.
#[derive(Debug)]
pub struct Finished {
    pub moved: usize,
    pub removed: usize,
    shown: String,
}

impl fmt::Display for Finished {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Finished an interrupted build: {} file{} moved into {}/",
            self.moved,
            if self.moved == 1 { "" } else { "s" },
            self.shown
        )?;
        if self.removed > 0 {
            write!(f, ", {} removed", self.removed)?;
        }
        Ok(())
    }
}

/// The output folder, held for one command: no other build writes it meanwhile.
///
/// The lock is an advisory lock of the operating system on the file `lock` in the state
/// folder. The file is never deleted (a new file would be a second lock beside the first),
/// and the lock ends with the process that holds it, however it ends.
pub struct Lock {
    output: PathBuf,
    /// The output folder as the user named it, for messages.
    shown: String,
    state: PathBuf,
    _file: fs::File,
    finished: Option<Finished>,
}

impl Lock {
    /// Takes the lock on `output` (a path checked by [`check_target`]; `shown` is how the
    /// user named it), then finishes a change of the output folder that a killed build left
    /// unfinished, and clears what such a build left beside it. Every command that writes
    /// the output folder takes this lock first. Fails at once if another build holds it.
    pub fn take(output: &Path, shown: &Path) -> Result<Lock, Diagnostic> {
        let shown: PathBuf = shown
            .components()
            .filter(|c| !matches!(c, Component::CurDir))
            .collect();
        let shown = display_path(&shown);
        let state = state_folder(output)?;
        prepare_state(&state).map_err(|e| {
            Diagnostic::error(format!(
                "cannot keep the state of the build in {}: {e}",
                display_path(&state)
            ))
            .help("remove or rename what is in the way, then build again")
        })?;
        let path = state.join("lock");
        if fs::symlink_metadata(&path).is_ok_and(|m| !m.is_file()) {
            remove_any(&path).map_err(|e| fail("replace", &path, e))?;
        }
        let mut file = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| fail("open the lock file", &path, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                let holder = match holder(&path) {
                    Some(pid) => format!("another build (pid {pid})"),
                    None => "another build".into(),
                };
                return Err(Diagnostic::error(format!("{holder} is writing {shown}/"))
                    .help("wait until it has finished, then build again"));
            }
            Err(fs::TryLockError::Error(e)) => return Err(fail("lock", &path, e)),
        }
        // The holder's process id, for the message of a build that has to wait.
        file.set_len(0)
            .and_then(|()| writeln!(file, "{}", std::process::id()))
            .map_err(|e| fail("write to", &path, e))?;
        let mut lock = Lock {
            output: output.to_path_buf(),
            shown,
            state,
            _file: file,
            finished: None,
        };
        lock.finished = lock.finish_interrupted()?;
        lock.clear()?;
        Ok(lock)
    }

    /// The change of the output folder that a killed build left unfinished and that taking
    /// the lock finished, if there was one.
    /// The output folder held.
    pub fn output(&self) -> &Path {
        &self.output
    }

    /// What the last build into this output folder learned of the notes, for settings of
    /// fingerprint `config`.
    pub fn shelf(&self, config: &Key) -> Shelf {
        Shelf::load(
            &self.state,
            crate::memory::NOTES,
            crate::memory::identity(config),
        )
    }

    /// What the last build learned of the notes' rendered Markdown, for settings of
    /// fingerprint `config`.
    pub fn bodies(&self, config: &Key) -> Shelf {
        Shelf::load(
            &self.state,
            crate::memory::BODIES,
            crate::memory::identity(config),
        )
    }

    /// What the output folder holds as a build begins: its plain files (the marker aside),
    /// reached through real folders only, with their stamps; they go to the memory, the only
    /// files a build may leave in place. Read while the content loads: no other build
    /// changes the folder while the lock is held.
    pub fn survey(&self) -> io::Result<Previous> {
        let output = &self.output;
        let update = fs::symlink_metadata(output).is_ok_and(|m| m.is_dir())
            && fs::read_dir(output).is_ok_and(|mut d| d.next().is_some());
        if !update {
            return Ok(Previous::default());
        }
        let mut found = Surveyed::default();
        survey_folder(output, "", &mut found)?;
        Ok(Previous {
            update,
            files: found.files.into_iter().collect(),
            others: found.others,
            odd: found.odd,
        })
    }

    /// Keeps what this build learned of the notes for the next one; a shelf that cannot be
    /// written is the same as none.
    pub fn keep(&self, shelf: &Shelf, learned: Vec<crate::memory::Shelved>) {
        let _ = shelf.save(&self.state, learned);
    }

    /// [`Lock::keep`] on a thread of its own, beside the build (whose main thread alone
    /// changes the output folder); waited for when what it gives is dropped.
    pub fn keep_aside(&self, shelf: Shelf, learned: Vec<crate::memory::Shelved>) -> Aside {
        let state = self.state.clone();
        Aside(Some(std::thread::spawn(move || {
            let _ = shelf.save(&state, learned);
        })))
    }

    /// Takes the telephone numbers earlier builds read as read: the numbering plans of every
    /// country are loaded only when a number is new.
    pub fn recall_phones(&self) {
        crate::contact::recall(crate::memory::recall_phones(&self.state));
    }

    /// Keeps the telephone numbers read so far for the next build; numbers that cannot be
    /// written are read again next time.
    pub fn keep_phones(&self) {
        let _ = crate::memory::keep_phones(&self.state);
    }

    /// What the last build into this output folder remembered, for a theme of fingerprint
    /// `theme`.
    pub fn memory(&self, theme: &Key) -> Memory {
        let identity = crate::memory::identity(theme);
        // An output folder without its marker (not there, emptied) holds nothing to keep:
        // every page is rendered, and fingerprinted on the way.
        let memory = if fs::symlink_metadata(self.output.join(MARKER)).is_ok_and(|m| m.is_file()) {
            Memory::load(&self.state, &self.output, identity)
        } else {
            Memory::new(&self.output, identity)
        };
        memory.with_index(&self.state)
    }

    pub fn finished(&self) -> Option<&Finished> {
        self.finished.as_ref()
    }

    fn journal(&self) -> PathBuf {
        self.state.join("journal")
    }

    fn staging(&self) -> PathBuf {
        self.state.join("staging")
    }

    /// Rolls forward the change of a journal left by a killed build: its staged files were
    /// complete when it was written.
    fn finish_interrupted(&self) -> Result<Option<Finished>, Diagnostic> {
        let path = self.journal();
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(fail("read", &path, e)),
        };
        let journal: Journal = serde_json::from_str(&text).map_err(|e| {
            Diagnostic::error(format!(
                "cannot read {}, the record of an interrupted build: {e}",
                display_path(&path)
            ))
            .help(format!(
                "{PART_WAY}: delete it and {}, then build again",
                self.shown
            ))
        })?;
        if matches!(journal, Journal::InPlace { .. })
            && !fs::symlink_metadata(&self.output).is_ok_and(|m| m.is_dir())
        {
            // The output folder was deleted since: there is nothing to finish, and this
            // build writes the whole site.
            self.close_journal();
            return Ok(None);
        }
        let (moved, removed) = self.forward(&journal, &mut Vec::new()).map_err(|e| {
            Diagnostic::error(format!(
                "cannot finish an interrupted build, and {PART_WAY}: {}",
                e.message
            ))
            .help("fix the cause, then build again: the build finishes the change first")
        })?;
        self.close_journal();
        Ok(Some(Finished {
            moved,
            removed,
            shown: self.shown.clone(),
        }))
    }

    /// Removes what a build leaves in the state folder when it ends or is killed, and the
    /// folders of earlier versions of briefing beside the output folder: a leftover never
    /// blocks a build.
    fn clear(&self) -> Result<(), Diagnostic> {
        let written = crate::memory::FILES.map(|name| format!("{name}.new"));
        for name in ["staging", "aside", "old", "journal.new"]
            .into_iter()
            .chain(written.iter().map(String::as_str))
        {
            let path = self.state.join(name);
            remove_any(&path).map_err(|e| fail("remove the leftover", &path, e))?;
        }
        if let (Some(parent), Some(name)) = (self.output.parent(), self.output.file_name()) {
            let name = name.to_string_lossy();
            for old in [format!(".{name}.staging"), format!(".{name}.old")] {
                let dir = parent.join(old);
                if !fs::symlink_metadata(&dir).is_ok_and(|m| m.is_dir()) {
                    continue;
                }
                // Only if it is briefing's (marked) or empty: a folder of the user's with
                // that name stays.
                let _ = if fs::symlink_metadata(dir.join(MARKER)).is_ok_and(|m| m.is_file()) {
                    fs::remove_dir_all(&dir)
                } else {
                    fs::remove_dir(&dir)
                };
            }
        }
        Ok(())
    }

    /// Writes the journal: from the moment it is in place, the build is committed.
    fn write_journal(&self, journal: &Journal) -> io::Result<()> {
        let new = self.state.join("journal.new");
        let mut f = fs::File::create(&new)?;
        f.write_all(&serde_json::to_vec(journal).map_err(io::Error::other)?)?;
        f.sync_all()?;
        fs::rename(&new, self.journal())?;
        sync_dir(&self.state);
        Ok(())
    }

    /// The change is made (or undone): the journal goes, then what the build left.
    fn close_journal(&self) {
        let _ = fs::remove_file(self.journal());
        sync_dir(&self.state);
        let _ = self.clear();
    }

    /// Makes the change of `journal`, skipping what is already done, so that it finishes the
    /// change of a killed build as well. Returns the files moved in and removed; records
    /// the folders it created in the output folder in `created`.
    fn forward(
        &self,
        journal: &Journal,
        created: &mut Vec<PathBuf>,
    ) -> Result<(usize, usize), Diagnostic> {
        let staging = self.staging();
        match journal {
            Journal::Swap { files, folder } => {
                if folder.is_some() && identity(&self.output) == *folder {
                    // Exchanged already: the staging folder holds the old site, which the
                    // clearing up removes.
                    return Ok((*files, 0));
                }
                if !present(&staging) {
                    return Ok((0, 0));
                }
                if present(&self.output) {
                    match exchange(&staging, &self.output) {
                        Ok(()) => return Ok((*files, 0)),
                        // A system or file system that cannot exchange: the old site is
                        // moved aside first, and for a moment there is no output folder.
                        Err(e) if exchange_unsupported(&e) => {
                            let old = self.state.join("old");
                            fs::rename(&self.output, &old)
                                .map_err(|e| fail("move aside the previous", &self.output, e))?;
                        }
                        Err(e) => return Err(fail("move into place", &self.output, e)),
                    }
                }
                fs::rename(&staging, &self.output)
                    .map_err(|e| fail("move into place", &self.output, e))?;
                Ok((*files, 0))
            }
            Journal::InPlace { moved, dropped } => {
                let aside = self.state.join("aside");
                fs::create_dir_all(&aside).map_err(|e| fail("create", &aside, e))?;
                create_parents_recorded(&self.output, moved, created)?;
                let count = moved
                    .par_iter()
                    .enumerate()
                    .map(|(i, p)| {
                        let from = staging.join(p);
                        if !present(&from) {
                            return Ok(0);
                        }
                        let to = self.output.join(p);
                        // The old version is kept aside under a second name (a hard link,
                        // or a copy where the system has none), and the new one renamed over
                        // it: at every moment the page is there, old or new.
                        let kept = aside.join(i.to_string());
                        if present(&to) && !present(&kept) {
                            fs::hard_link(&to, &kept)
                                .or_else(|_| fs::copy(&to, &kept).map(|_| ()))
                                .map_err(|e| fail("keep the previous version of", &to, e))?;
                        }
                        fs::rename(&from, &to).map_err(|e| fail("move into place", &to, e))?;
                        Ok(1)
                    })
                    .try_reduce(|| 0, |a, b| Ok(a + b))?;
                let mut removed = 0;
                for (j, p) in dropped.iter().enumerate() {
                    let at = self.output.join(p);
                    if present(&at) {
                        fs::rename(&at, aside.join((moved.len() + j).to_string()))
                            .map_err(|e| fail("remove the stale", &at, e))?;
                        removed += 1;
                    }
                }
                // Folders left empty go too, up to the output folder itself.
                for p in dropped {
                    let mut dir = self.output.join(p);
                    while dir.pop() && dir != self.output && fs::remove_dir(&dir).is_ok() {}
                }
                Ok((count, removed))
            }
        }
    }

    /// Undoes what [`Lock::forward`] did before it failed: every file back where it was.
    fn back(&self, journal: &Journal, created: &[PathBuf]) -> io::Result<()> {
        let staging = self.staging();
        match journal {
            Journal::Swap { .. } => {
                let old = self.state.join("old");
                if !present(&self.output) && present(&old) {
                    fs::rename(&old, &self.output)?;
                }
            }
            Journal::InPlace { moved, dropped } => {
                let aside = self.state.join("aside");
                for (i, p) in moved.iter().enumerate() {
                    let (from, to) = (staging.join(p), self.output.join(p));
                    let kept = aside.join(i.to_string());
                    let moved_in = !present(&from) && present(&to);
                    if present(&kept) {
                        if moved_in {
                            // The old version renamed back over the new one.
                            fs::rename(&kept, &to)?;
                        } else {
                            // Not moved yet: `to` is still the old version.
                            fs::remove_file(&kept)?;
                        }
                    } else if moved_in {
                        // A new file, with no old version: taken out again.
                        fs::rename(&to, &from)?;
                    }
                }
                for (j, p) in dropped.iter().enumerate() {
                    let kept = aside.join((moved.len() + j).to_string());
                    if present(&kept) {
                        let to = self.output.join(p);
                        if let Some(dir) = to.parent() {
                            fs::create_dir_all(dir)?;
                        }
                        fs::rename(&kept, &to)?;
                    }
                }
                for dir in created.iter().rev() {
                    let _ = fs::remove_dir(dir);
                }
            }
        }
        Ok(())
    }
}

/// The folder beside `output` that holds briefing's state for it: `.output.briefing`.
fn state_folder(output: &Path) -> Result<PathBuf, Diagnostic> {
    match (output.parent(), output.file_name()) {
        (Some(parent), Some(name)) => {
            fs::create_dir_all(parent).map_err(|e| fail("create", parent, e))?;
            Ok(parent.join(format!(".{}.briefing", name.to_string_lossy())))
        }
        _ => Err(Diagnostic::error("the output folder has no parent folder")),
    }
}

/// Creates the state folder, or checks that the one there is briefing's: a real folder (not
/// a link) marked as briefing's, or holding nothing but names briefing gives.
fn prepare_state(state: &Path) -> io::Result<()> {
    match fs::symlink_metadata(state) {
        Ok(m) if m.is_dir() => {
            let own = fs::symlink_metadata(state.join(MARKER)).is_ok_and(|m| m.is_file())
                || fs::read_dir(state)?.all(|e| e.is_ok_and(|e| is_state_entry(&e.file_name())));
            if !own {
                return Err(io::Error::other(
                    "it exists and was not made by briefing (it has no .briefing-output file)",
                ));
            }
        }
        Ok(_) => return Err(io::Error::other("it exists and is not a folder")),
        Err(e) if e.kind() == io::ErrorKind::NotFound => match fs::create_dir(state) {
            Err(e) if e.kind() != io::ErrorKind::AlreadyExists => return Err(e),
            _ => {}
        },
        Err(e) => return Err(e),
    }
    write_own(&state.join(MARKER), STATE_MARKER_TEXT)?;
    // Kept out of version control without a change to the site's own .gitignore.
    write_own(&state.join(".gitignore"), "*\n")
}

/// The process id written into a lock file by the build that holds it; it may be a moment
/// before that build has written it.
fn holder(lock: &Path) -> Option<u32> {
    for _ in 0..50 {
        if let Ok(pid) = fs::read_to_string(lock).map(|t| t.trim().parse::<u32>())
            && let Ok(pid) = pid
        {
            return Some(pid);
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    None
}

/// The media type a file of the site is served with, by `serve` and on a deploy target:
/// text in UTF-8, as every file briefing writes is.
pub fn content_type(path: &str) -> String {
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    if mime.type_() == "text" || mime.essence_str() == "application/xml" {
        format!("{}; charset=utf-8", mime.essence_str())
    } else {
        mime.essence_str().to_string()
    }
}

/// Whether a failed build left the output folder part old, part new (a file could be
/// neither moved in nor put back); the next build finishes the change.
pub fn left_part_way(diagnostics: &Diagnostics) -> bool {
    diagnostics.0.iter().any(|d| d.message.contains(PART_WAY))
}

/// The new site, written beside the output folder and moved in only once every file of it
/// is written: a failed build leaves the output folder exactly as it was.
///
/// A file whose bytes are already in the output folder is not written again: it keeps its
/// inode and its modification time (so an upload tool sends only what changed), and the file
/// system is spared creating and deleting tens of thousands of files on every build.
pub struct Staging {
    lock: Lock,
    staging: PathBuf,
    output: PathBuf,
    /// Whether there is a previous output to update; otherwise the staging folder becomes it.
    update: bool,
    /// Anything else in it that is not a folder (symbolic links, pipes): replaced or removed.
    others: Vec<String>,
    /// Whether the previous output has names that are not UTF-8: it is then replaced whole.
    odd: bool,
    /// What [`Staging::write`] has written so far; it may be called from several threads.
    written: Mutex<Written>,
    /// What the last build remembered, and where this one's memory goes.
    memory: Memory,
}

#[derive(Default)]
struct Written {
    /// Every file of the new site.
    paths: HashSet<String>,
    /// The files written into the staging folder because the output lacks them or differs.
    changed: Vec<String>,
    /// The pages made from a fingerprint, with the stamp of the file this build leaves.
    learned: Vec<(String, Key, Stamp)>,
}

impl Staging {
    /// Creates the staging folder for the output folder held by `lock`, which held
    /// `previous` as the build began ([`Lock::survey`]).
    pub fn create(
        lock: Lock,
        mut memory: Memory,
        previous: io::Result<Previous>,
    ) -> Result<Staging, Diagnostic> {
        check_contents(&lock.output, Path::new(&lock.shown))?;
        let staging = lock.staging();
        let output = lock.output.clone();
        let Previous {
            update,
            files,
            others,
            odd,
        } = previous.map_err(|e| fail("read the previous output in", &output, e))?;
        fs::create_dir(&staging).map_err(|e| fail("create", &staging, e))?;
        memory.survey(files);
        let s = Staging {
            lock,
            staging,
            output,
            update,
            others,
            odd,
            written: Mutex::default(),
            memory,
        };
        if let Err(e) = fs::write(s.staging.join(MARKER), MARKER_TEXT) {
            let shown = PathBuf::from(&s.lock.shown);
            s.abort();
            return Err(fail("write to", &shown, e));
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
        // Per file: whether the output folder holds it already, and if so its stamp there.
        let kept: Vec<Option<Option<Stamp>>> = files
            .par_iter()
            .map(|f| {
                // Nothing is found when there is no previous output to update.
                let found = self.memory.found().get(&f.path)?;
                match &f.body {
                    Body::Kept(_, stamp) => Some(Some(*stamp)),
                    body => holds(&self.output.join(&f.path), body).then(|| f.key.map(|_| *found)),
                }
            })
            .collect();
        let changed: Vec<&OutputFile> = files
            .iter()
            .zip(&kept)
            .filter_map(|(f, k)| k.is_none().then_some(f))
            .collect();
        fill(&self.staging, &changed)?;
        // The stamps of the pages with a fingerprint, as this build leaves them.
        let learned: Vec<(String, Key, Stamp)> = files
            .par_iter()
            .zip(&kept)
            .filter_map(|(f, k)| {
                let key = f.key?;
                let stamp = match k {
                    Some(stamp) => *stamp,
                    None => Stamp::read(&self.staging.join(&f.path)),
                };
                Some((f.path.clone(), key, stamp?))
            })
            .collect();
        let mut written = self.written.lock().unwrap_or_else(|e| e.into_inner());
        written.paths.extend(files.iter().map(|f| f.path.clone()));
        written
            .changed
            .extend(changed.iter().map(|f| f.path.clone()));
        written.learned.extend(learned);
        Ok(())
    }

    /// What the last build remembered, for rendering to check.
    pub fn memory(&self) -> &Memory {
        &self.memory
    }

    /// Gives up: the staging folder goes, the output folder stays as it was.
    pub fn abort(self) {
        let _ = remove_any(&self.staging);
    }

    /// Puts the new site in place of the old one: the files that changed are moved in one by
    /// one, or, when the output folder's shape changed (a folder where a file now goes, or a
    /// symbolic link on the way), the staging folder replaces it whole. Either way the change
    /// is written down first, so it is made whole even if the process is killed, and undone
    /// if a file cannot be moved.
    pub fn commit(mut self) -> Result<(), Diagnostic> {
        let mut written = std::mem::take(self.written.get_mut().unwrap_or_else(|e| e.into_inner()));
        let learned = std::mem::take(&mut written.learned);
        let journal = if !self.update {
            self.swap(written.paths.len())
        } else {
            let mut changed = written.changed;
            // A marker that is not a plain file (a symbolic link) is replaced by the real one.
            if !fs::symlink_metadata(self.output.join(MARKER)).is_ok_and(|m| m.is_file()) {
                changed.push(MARKER.to_string());
            }
            let dropped: Vec<String> = (self.memory.found().keys())
                .chain(&self.others)
                .filter(|p| !written.paths.contains(*p))
                .cloned()
                .collect();
            if !self.odd && self.movable_in_place(&changed) {
                Journal::InPlace {
                    moved: changed,
                    dropped,
                }
            } else {
                if let Err(e) = self.link_unchanged(&written.paths, &changed) {
                    self.abort();
                    return Err(e);
                }
                self.swap(written.paths.len())
            }
        };
        if let Journal::InPlace { moved, dropped } = &journal
            && moved.is_empty()
            && dropped.is_empty()
        {
            // Nothing to change: the output folder holds the new site already.
            self.remember(learned, None);
            self.abort();
            return Ok(());
        }
        // The staged files are complete: from here on, the build is committed.
        if let Err(e) = self.lock.write_journal(&journal) {
            let _ = fs::remove_file(self.lock.state.join("journal.new"));
            let shown = PathBuf::from(&self.lock.shown);
            self.abort();
            return Err(fail("write to", &shown, e));
        }
        let mut created = Vec::new();
        match self.lock.forward(&journal, &mut created) {
            Ok(_) => {
                self.lock.close_journal();
                self.remember(learned, Some(&journal));
                Ok(())
            }
            Err(e) => match self.lock.back(&journal, &created) {
                Ok(()) => {
                    self.lock.close_journal();
                    Err(e)
                }
                // The journal stays: the next build finishes the change.
                Err(undo) => Err(Diagnostic::error(format!(
                    "{}; {PART_WAY}, as a file could not be put back ({undo})",
                    e.message
                ))
                .help("fix the cause, then build again: the build finishes the change first")),
            },
        }
    }

    /// Keeps what this build learned for the next one, the files the change `journal` moved
    /// or linked stamped again where they now are (that changed their status-change time).
    /// A memory that cannot be written is the same as none: the next build renders every
    /// page.
    fn remember(&self, mut learned: Vec<(String, Key, Stamp)>, journal: Option<&Journal>) {
        let moved: Option<HashSet<&str>> = match journal {
            Some(Journal::InPlace { moved, .. }) => {
                Some(moved.iter().map(String::as_str).collect())
            }
            // The staging folder took the output folder's place, the unchanged files linked
            // into it from the old one.
            Some(Journal::Swap { .. }) if self.update => None,
            _ => Some(HashSet::new()),
        };
        learned.par_iter_mut().for_each(|(path, _, stamp)| {
            if moved.as_ref().is_none_or(|m| m.contains(path.as_str()))
                && let Some(now) = Stamp::read(&self.output.join(path.as_str()))
            {
                *stamp = now;
            }
        });
        let _ = self.memory.save(&self.lock.state, &learned);
    }

    /// The journal of a change that puts the staging folder, holding all `files` of the new
    /// site, in the output folder's place; it names the staging folder by its inode.
    fn swap(&self, files: usize) -> Journal {
        Journal::Swap {
            files,
            folder: identity(&self.staging),
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

    /// For a swap: the files that did not change are linked (or copied) into the staging
    /// folder, which then holds the whole new site.
    fn link_unchanged(
        &self,
        paths: &HashSet<String>,
        changed: &[String],
    ) -> Result<(), Diagnostic> {
        let changed: HashSet<&str> = changed.iter().map(String::as_str).collect();
        let same: Vec<&String> = paths
            .iter()
            .filter(|p| !changed.contains(p.as_str()))
            .collect();
        create_parents(&self.staging, same.iter().map(|p| p.as_str()))?;
        same.par_iter()
            .try_for_each(|p| {
                let target = self.staging.join(p.as_str());
                let source = self.output.join(p.as_str());
                fs::hard_link(&source, &target).or_else(|_| fs::copy(&source, &target).map(|_| ()))
            })
            .map_err(|e| fail("carry over the unchanged files of", &self.output, e))
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
        Body::File(source) | Body::Kept(source, _) => {
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

/// What the output folder held as a build began: its plain files with their stamps and its
/// other entries that are not folders (symbolic links, pipes), as paths relative to it with
/// `/` between names, the marker left out; and whether a name is not UTF-8. Symbolic links
/// are never followed; folders are read in parallel, each file's stamp asked of its folder.
#[derive(Default)]
pub struct Previous {
    /// Whether there is a previous output to update (a folder holding anything).
    update: bool,
    /// Its plain files, with their stamps.
    files: HashMap<String, Stamp>,
    /// Anything else that is not a folder (symbolic links, pipes).
    others: Vec<String>,
    /// Whether it has names that are not UTF-8.
    odd: bool,
}

#[derive(Default)]
struct Surveyed {
    files: Vec<(String, Stamp)>,
    others: Vec<String>,
    odd: bool,
}

/// Adds what `dir` (at `prefix` in the output folder: `en/briefings/`) holds to `found`.
fn survey_folder(dir: &Path, prefix: &str, found: &mut Surveyed) -> io::Result<()> {
    let mut folders = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        found.odd |= name.to_str().is_none();
        let key = format!("{prefix}{}", name.to_string_lossy());
        if key == MARKER {
            continue;
        }
        let kind = entry.file_type()?;
        if kind.is_dir() {
            folders.push((entry.path(), key + "/"));
        } else if kind.is_file() {
            found.files.push((key, Stamp::of(&entry.metadata()?)));
        } else {
            found.others.push(key);
        }
    }
    let below = folders
        .into_par_iter()
        .map(|(path, prefix)| {
            let mut found = Surveyed::default();
            survey_folder(&path, &prefix, &mut found).map(|()| found)
        })
        .collect::<io::Result<Vec<_>>>()?;
    for b in below {
        found.files.extend(b.files);
        found.others.extend(b.others);
        found.odd |= b.odd;
    }
    Ok(())
}

/// Creates the folders under `root` that the files at `paths` go into, each once: a level at
/// a time, the folders of one level in parallel (a first build makes one per page).
fn create_parents<'a>(root: &Path, paths: impl Iterator<Item = &'a str>) -> Result<(), Diagnostic> {
    let mut levels: Vec<HashSet<&str>> = Vec::new();
    for d in parents(paths) {
        let mut at = d;
        loop {
            let depth = at.matches('/').count();
            if levels.len() <= depth {
                levels.resize_with(depth + 1, HashSet::new);
            }
            if !levels[depth].insert(at) {
                break;
            }
            match at.rsplit_once('/') {
                Some((up, _)) => at = up,
                None => break,
            }
        }
    }
    for level in levels {
        level.par_iter().try_for_each(|d| {
            let dir = root.join(d);
            match fs::create_dir(&dir) {
                Err(e) if e.kind() != io::ErrorKind::AlreadyExists => Err(fail("create", &dir, e)),
                _ => Ok(()),
            }
        })?;
    }
    Ok(())
}

/// Like [`create_parents`], and records each folder it creates, parents first.
fn create_parents_recorded(
    root: &Path,
    paths: &[String],
    created: &mut Vec<PathBuf>,
) -> Result<(), Diagnostic> {
    for d in parents(paths.iter().map(String::as_str)) {
        let dir = root.join(d);
        let mut missing = Vec::new();
        let mut at = dir.as_path();
        while !present(at) {
            missing.push(at.to_path_buf());
            match at.parent() {
                Some(parent) => at = parent,
                None => break,
            }
        }
        for m in missing.into_iter().rev() {
            match fs::create_dir(&m) {
                Ok(()) => created.push(m),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(fail("create", &m, e)),
            }
        }
    }
    Ok(())
}

/// The folders the files at `paths` go into, sorted, each once.
fn parents<'a>(paths: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut dirs: Vec<&str> = paths
        .filter_map(|p| p.rsplit_once('/').map(|(d, _)| d))
        .collect();
    dirs.sort_unstable();
    dirs.dedup();
    dirs
}

fn fill(staging: &Path, files: &[&OutputFile]) -> Result<(), Diagnostic> {
    create_parents(staging, files.iter().map(|f| f.path.as_str()))?;
    files.par_iter().try_for_each(|f| {
        let target = staging.join(&f.path);
        let result = match &f.body {
            Body::Bytes(b) => fs::write(&target, b),
            Body::Static(b) => fs::write(&target, b),
            Body::File(source) | Body::Kept(source, _) => fs::copy(source, &target).map(|_| ()),
        };
        result.map_err(|e| {
            let what = match &f.body {
                Body::File(source) | Body::Kept(source, _) => {
                    format!("cannot copy {}: {e}", display_path(source))
                }
                _ => format!("cannot write {}: {e}", display_path(&target)),
            };
            Diagnostic::error(what)
        })
    })
}
