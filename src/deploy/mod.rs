//! `briefing deploy`: the built site onto a web host, through one storage library (Apache
//! OpenDAL) for every kind of target. The build is the same as `build`'s; only files whose
//! content differs from what the target holds are sent, in an order that never shows a
//! visitor a link to a file not there yet; only files deploy itself published are deleted.
//!
//! What the target holds is read from a manifest deploy keeps there (path → SHA-256 of the
//! content). It is written three times, so that a deploy stopped at any moment is finished by
//! the next one: before anything is sent it marks the files about to be sent as deploy's own;
//! after the sending it records the new content and the files still to delete; after the
//! deletions it records the site as it is.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use opendal::{ErrorKind, Operator};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::build::BuildReport;
use crate::config::Config;
use crate::dates::Now;
use crate::error::{Diagnostic, Diagnostics, Log, display_path};
use crate::open::Request;
use crate::paths::SITE_FILE;
use crate::plan::Stage;
use crate::size::human_size;
use crate::status::Held;
use crate::targets::{Folder, Kind, Target, failure};

mod holdings;
pub use holdings::Disagreement;

/// The manifest's name at the root of the target.
pub const MANIFEST: &str = ".briefing-deploy.json";

/// How a file is named while it is being sent, where the target can rename: a visitor never
/// gets half a file.
const UPLOADING: &str = ".briefing-upload";

pub struct DeployOptions {
    pub root: PathBuf,
    pub output: Option<PathBuf>,
    /// The target's name in site.yaml; the first target when none is given.
    pub target: Option<String>,
    pub dry_run: bool,
    /// More deletions than this stop the deploy unless `yes`.
    pub max_deletes: usize,
    pub yes: bool,
    /// Only with `dry_run`: what a deploy at that moment would do. A deploy publishes what
    /// is true at the real clock.
    pub now: Now,
    /// Read every file on the target and send again those whose bytes are not what deploy
    /// sent.
    pub verify: bool,
}

/// What a deploy did, or would do with `--dry-run`.
pub struct DeployReport {
    pub target: String,
    pub url: String,
    pub build: BuildReport,
    /// The files sent (or to send), in the order sent, with their sizes.
    pub sent: Vec<(String, u64)>,
    /// The files deleted (or to delete).
    pub deleted: Vec<String>,
    pub unchanged: usize,
    /// Where the target did not hold what deploy's record said: those files are sent again.
    pub repaired: Disagreement,
    /// The host's own files at paths the site publishes, left as they are (without `--yes`).
    pub kept: Vec<String>,
    pub dry_run: bool,
    pub took: Duration,
}

impl DeployReport {
    /// The bytes sent.
    pub fn bytes(&self) -> u64 {
        self.sent.iter().map(|(_, n)| n).sum()
    }

    /// The error of a deploy that left the host's own files where the site publishes.
    pub fn kept_error(&self) -> Option<Diagnostic> {
        if self.kept.is_empty() || self.dry_run {
            return None;
        }
        Some(
            Diagnostic::error(format!(
                "`{}` holds files that deploy did not publish, where the site publishes: {}; they were left as they are",
                self.target,
                list_some(&self.kept)
            ))
            .help("to replace them with the site's, run deploy again with --yes; if not, move them on the host, or take those files out of the site"),
        )
    }

    /// What was found wrong on the target and, for a dry run, what a deploy would change:
    /// a line each.
    pub fn details(&self) -> String {
        let mut out = String::new();
        let mut line = |text: String| {
            out.push_str(&text);
            out.push('\n');
        };
        for path in &self.repaired.missing {
            line(format!("missing on the target, sent again: {path}"));
        }
        for path in &self.repaired.changed {
            line(format!("changed on the target, sent again: {path}"));
        }
        if self.dry_run {
            for (path, size) in &self.sent {
                line(format!("would send   {path} ({})", human_size(*size)));
            }
            for path in &self.deleted {
                line(format!("would delete {path}"));
            }
            for path in &self.repaired.foreign {
                let yes = if self.kept.contains(path) {
                    " (needs --yes)"
                } else {
                    ""
                };
                line(format!(
                    "would replace {path}, a file deploy did not publish{yes}"
                ));
            }
        }
        out
    }

    /// The line that ends a deploy: `Deployed to share (file:///srv/www): 12 sent, …`.
    pub fn summary(&self) -> String {
        format!(
            "{} to {} ({}): {} sent, {} deleted, {} unchanged, {} in {:.2} s",
            if self.dry_run {
                "Would deploy"
            } else {
                "Deployed"
            },
            self.target,
            self.url,
            self.sent.len(),
            self.deleted.len(),
            self.unchanged,
            human_size(self.bytes()),
            self.took.as_secs_f64()
        )
    }
}

/// The first wait after a failed deploy under `--watch`; each failure doubles it, up to
/// [`RETRY_MAX`].
const RETRY_FIRST: Duration = Duration::from_secs(5);
const RETRY_MAX: Duration = Duration::from_secs(300);

/// `deploy --watch`: deploys now, then again the moment the next embargo ends (and, with
/// `on_change`, whenever the site's files change), logging each release; a failed deploy is
/// tried again with a growing wait. Runs until the process is stopped; returns only when it
/// cannot watch the site.
pub fn watch(options: &DeployOptions, on_change: bool, log: &Log) -> Diagnostics {
    let site = Request::publish(&options.root, Now::Clock);
    let tz = match site.open() {
        Ok(opened) => opened.config.timezone.unwrap_or(jiff::tz::TimeZone::UTC),
        Err(d) => return d,
    };
    let changes =
        match crate::changes::watch(&options.root, Duration::from_millis(200), log.clone()) {
            Ok(c) => c,
            Err(d) => return d.into(),
        };
    // What the last deploy held back: what the target does not show yet.
    let mut live_held: Vec<Held> = Vec::new();
    let mut retry = RETRY_FIRST;
    loop {
        let mut pending = match deploy(options, &|_| {}) {
            Ok(report) => {
                log(report.summary());
                if let Some(d) = report.kept_error() {
                    log(d.render(false));
                }
                let now = jiff::Timestamp::now().to_zoned_datetime(tz.clone());
                for line in released(&live_held, &report.build.held) {
                    log(format!(
                        "Released {line} at {}",
                        now.strftime("%H:%M:%S %:z")
                    ));
                }
                live_held = report.build.held;
                retry = RETRY_FIRST;
                live_held.clone()
            }
            Err(diagnostics) => {
                for d in &diagnostics.0 {
                    log(d.render(false));
                }
                log(format!("Trying again in {} s.", retry.as_secs()));
                // Or at once when the site changes: an edit may be the fix.
                if changes.recv_timeout(retry).is_ok() {
                    while changes.try_recv().is_ok() {}
                }
                retry = (retry * 2).min(RETRY_MAX);
                continue;
            }
        };
        // Until the next release, or a change worth a deploy.
        loop {
            let next = pending.iter().filter_map(|h| h.release_at).min();
            if let Some(next) = next {
                let shown = next
                    .to_zoned_datetime(tz.clone())
                    .strftime("%Y-%m-%d %H:%M:%S %:z");
                log(format!("Next release at {shown}."));
            }
            // A moment after the release: the build then sees it as past.
            let wait = next.map(|t| {
                let left = t.duration_since(jiff::Timestamp::now());
                Duration::try_from(left).unwrap_or_default() + Duration::from_millis(100)
            });
            let woke = match wait {
                Some(wait) => changes.recv_timeout(wait),
                None => changes
                    .recv()
                    .map_err(|_| std::sync::mpsc::RecvTimeoutError::Disconnected),
            };
            match woke {
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => break,
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    return Diagnostic::error("watching the site for changes stopped")
                        .help("start deploy --watch again")
                        .into();
                }
                Ok(_) => {
                    while changes.try_recv().is_ok() {}
                    if on_change {
                        break;
                    }
                    // An edit may set or move an embargo: what is held now decides the wait.
                    if let Ok(status) = crate::status::status(&site) {
                        pending = status.held;
                    }
                }
            }
        }
    }
}

/// The notes that were held back under embargo and no longer are, one line a note with the
/// languages released: `2016-05 workshop (en, zh)`.
fn released(before: &[Held], now: &[Held]) -> Vec<String> {
    // (the versions' file without its language, the first version's title, the languages)
    let mut notes: Vec<(&str, &str, Vec<&str>)> = Vec::new();
    for h in before.iter().filter(|h| h.release.is_some()) {
        if now.iter().any(|n| n.file == h.file) {
            continue;
        }
        let key = h
            .file
            .strip_suffix(&format!(".{}.md", h.lang))
            .unwrap_or(&h.file);
        match notes.iter_mut().find(|(k, _, _)| *k == key) {
            Some((_, _, langs)) => langs.push(&h.lang),
            None => notes.push((key, &h.title, vec![&h.lang])),
        }
    }
    notes
        .into_iter()
        .map(|(_, title, langs)| format!("{title} ({})", langs.join(", ")))
        .collect()
}

#[derive(Serialize, Deserialize, Default, Clone)]
struct Manifest {
    /// Which shape of manifest this is.
    format: u32,
    /// Every file deploy published, by path, with the SHA-256 of its content; an empty hash
    /// marks a file being sent.
    files: BTreeMap<String, String>,
    /// Files whose upload under a temporary name may have been cut off.
    #[serde(default)]
    uploading: Vec<String>,
}

impl Manifest {
    /// The record once everything is sent: the site's files with their content (but
    /// `kept`, the host's own), and the files still to delete as this record has them.
    fn sent(
        &self,
        local: &[Local],
        kept: &std::collections::HashSet<&str>,
        deleted: &[String],
    ) -> Manifest {
        let mut files: BTreeMap<String, String> = local
            .iter()
            .filter(|f| !kept.contains(f.path.as_str()))
            .map(|f| (f.path.clone(), f.hash.clone()))
            .collect();
        for path in deleted {
            files.insert(path.clone(), self.files[path].clone());
        }
        Manifest {
            format: 1,
            files,
            uploading: Vec::new(),
        }
    }

    /// This record with the files about to be sent (`send`) made deploy's own, with no
    /// content recorded, before a byte of them lands: a deploy cut off now leaves them to be
    /// sent again, whatever the site holds by then. Where the target can rename, they are
    /// also listed as uploads under a temporary name.
    fn sending(&self, send: &[&Local], rename: bool) -> Manifest {
        let mut manifest = Manifest {
            format: 1,
            files: self.files.clone(),
            uploading: if rename {
                send.iter().map(|f| f.path.clone()).collect()
            } else {
                Vec::new()
            },
        };
        for f in send {
            manifest.files.insert(f.path.clone(), String::new());
        }
        manifest
    }

    /// What a deploy changes on the target this record describes: of the site's files
    /// (`file` gives each one's path and hash), those whose content the target lacks, and
    /// the files deploy published that the site no longer has. `deploy` and `status TARGET`
    /// both decide by it.
    fn differences<'a, T>(
        &self,
        site: &'a [T],
        file: impl Fn(&T) -> (&str, &str),
    ) -> (Vec<&'a T>, Vec<String>) {
        let send = site
            .iter()
            .filter(|f| {
                let (path, hash) = file(f);
                self.files.get(path).map(String::as_str) != Some(hash)
            })
            .collect();
        let kept: std::collections::HashSet<&str> = site.iter().map(|f| file(f).0).collect();
        let delete = self
            .files
            .keys()
            .filter(|p| !kept.contains(p.as_str()))
            .cloned()
            .collect();
        (send, delete)
    }
}

/// A file of the built site.
struct Local {
    path: String,
    hash: String,
    size: u64,
    stage: Stage,
}

/// Builds the site and publishes it to a target of site.yaml.
pub fn deploy(
    options: &DeployOptions,
    progress: &dyn Fn(Progress),
) -> Result<DeployReport, Diagnostics> {
    let started = Instant::now();
    let (target, op, build, local) = prepare(options)?;

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            Diagnostics::from(Diagnostic::error(format!("cannot start deploying: {e}")))
        })?;
    let fail = |what: &str, e: opendal::Error| Diagnostics::from(failure(&target, what, &e));
    runtime.block_on(async {
        let recorded = read_manifest(&op, &target).await?;
        let held = holdings::list(&op, &target).await?;
        let first = recorded.format == 0 && recorded.files.is_empty();
        // The record as the target bears it out: what the host lost or changed is sent again.
        let (old, repaired) =
            holdings::borne_out(&op, &target, &recorded, &held, &local, options.verify).await?;
        let (mut send, deleted) = old.differences(&local, |f| (&f.path, &f.hash));
        send.sort_by_key(|f| f.stage);

        // Every path this deploy may write or delete, and every one it ever published.
        let touched = send
            .iter()
            .map(|f| f.path.as_str())
            .chain(deleted.iter().map(String::as_str))
            .chain(old.uploading.iter().map(String::as_str))
            .chain(recorded.files.keys().map(String::as_str));
        let links = holdings::links_in_the_way(&held, touched.chain([MANIFEST]));
        let unasked = first && !held.is_empty() && !options.yes && !options.dry_run;
        if let Some(refusal) = refusal(&target, &held, &links, unasked, &repaired.foreign) {
            return Err(refusal.into());
        }
        // The host's own files where the site publishes are left as they are unless --yes;
        // the rest of the deploy (a release, a withdrawal) goes ahead all the same.
        let kept = if options.yes {
            Vec::new()
        } else {
            repaired.foreign.clone()
        };
        let kept_paths: std::collections::HashSet<&str> = kept.iter().map(String::as_str).collect();
        send.retain(|f| !kept_paths.contains(f.path.as_str()));
        let mut report = DeployReport {
            target: target.name.clone(),
            url: target.url.clone(),
            sent: send.iter().map(|f| (f.path.clone(), f.size)).collect(),
            unchanged: local.len() - send.len() - kept.len(),
            deleted,
            kept: kept.clone(),
            repaired,
            build,
            dry_run: options.dry_run,
            took: Duration::ZERO,
        };
        if report.deleted.len() > options.max_deletes && !options.yes {
            return Err(too_many_deletes(&report, options.max_deletes).into());
        }
        if options.dry_run {
            report.took = started.elapsed();
            return Ok(report);
        }

        let rename = op.info().capability().rename;
        // 1. The files about to be sent become deploy's own, with no content recorded.
        let mut manifest = old.sending(&send, rename);
        if !send.is_empty() || old.files != recorded.files {
            write_manifest(&op, &manifest)
                .await
                .map_err(|e| fail("write its manifest", e))?;
        }
        // What an earlier, cut-off deploy left under a temporary name and this one will not
        // send again.
        for path in old
            .uploading
            .iter()
            .filter(|p| !manifest.uploading.contains(p))
        {
            let _ = op.delete(&uploading_name(path)).await;
        }

        // 2. Send, stage by stage: a stage starts once the one before it is in place.
        send_files(&op, &target, &send, &report.build.output, rename, progress).await?;

        // 3. The new content, and the files still to delete, are recorded; then deleted.
        manifest = old.sent(&local, &kept_paths, &report.deleted);
        if !send.is_empty() || !report.deleted.is_empty() || !old.uploading.is_empty() {
            write_manifest(&op, &manifest)
                .await
                .map_err(|e| fail("write its manifest", e))?;
        }
        delete_files(&op, &target, &report.deleted, &mut manifest).await?;
        report.took = started.elapsed();
        Ok(report)
    })
}

/// What a deploy starts from: the `--now` rule, the target (refused if a deploy could wreck
/// it), its storage, the site built as `build` builds it, and the built files.
fn prepare(
    options: &DeployOptions,
) -> Result<(Target, Operator, BuildReport, Vec<Local>), Diagnostics> {
    if let Some(now) = options.now.written()
        && !options.dry_run
    {
        return Err(Diagnostic::error(format!(
            "deploy publishes what is true at the real clock, not at --now {now}"
        ))
        .help("to see what a deploy at that moment would send: add --dry-run; to publish a note the moment its embargo ends: briefing deploy --watch")
        .into());
    }
    let opened = Request::publish(&options.root, options.now.clone()).open()?;
    let target = choose_target(&opened.config, options.target.as_deref())?;
    let output = options
        .output
        .clone()
        .unwrap_or_else(|| options.root.join("output"));
    guard(&target, &options.root, &output)?;
    let op = target.kind.open(&target)?;
    let (build, hashes) = crate::build::build_opened(opened, options.output.as_deref())?;
    let local = local_files(hashes, &build.stages).map_err(Diagnostics::from)?;
    Ok((target, op, build, local))
}

/// The refusal of a deploy that would delete more than `max` files.
fn too_many_deletes(report: &DeployReport, max: usize) -> Diagnostic {
    Diagnostic::error(format!(
        "this deploy would delete {} files from `{}`, more than --max-deletes {max}",
        report.deleted.len(),
        report.target,
    ))
    .help("look at the list with --dry-run; if it is right, run again with --yes (or a higher --max-deletes)")
}

/// Why a deploy must not touch the target at all: symbolic links where it would write or
/// delete (`links`), or, `unasked` (a first deploy without --yes), a folder that is not empty
/// and has no record, which may be the wrong one. `foreign` are the host's files it would
/// replace.
fn refusal(
    target: &Target,
    held: &holdings::Holdings,
    links: &[String],
    unasked: bool,
    foreign: &[String],
) -> Option<Diagnostic> {
    if !links.is_empty() {
        return Some(Diagnostic::error(format!(
            "the deploy target `{}` ({}) has symbolic links where the site writes: {}",
            target.name,
            target.url,
            list_some(links)
        ))
        .help("deploy never writes or deletes through a link, which could lead outside the target: replace each link on the host with a real folder (or remove it), then deploy again"));
    }
    if !unasked {
        return None;
    }
    let mut help = "check that the url names the right folder; if it does, run again with --yes: deploy adds the site and deletes only files it published itself".to_string();
    if !foreign.is_empty() {
        help = format!(
            "{help}. It would replace {} of them ({}); if not, move them on the host first",
            foreign.len(),
            list_some(foreign)
        );
    }
    Some(
        Diagnostic::error(format!(
            "the deploy target `{}` ({}) is not empty and has no record of an earlier deploy ({MANIFEST}): it holds {} files",
            target.name,
            target.url,
            held.files.len() + held.links.len()
        ))
        .help(help),
    )
}

/// Sends `send` (sorted by stage), a stage once the one before it is in place: into a folder
/// on all cores, elsewhere through the store, a few files at once.
async fn send_files(
    op: &Operator,
    target: &Target,
    send: &[&Local],
    output: &Path,
    rename: bool,
    progress: &dyn Fn(Progress),
) -> Result<(), Diagnostics> {
    let fail = |what: &str, e: opendal::Error| Diagnostics::from(failure(target, what, &e));
    let total = send.len();
    let mut done = 0;
    for stage in [Stage::Asset, Stage::Page, Stage::Listing] {
        let batch: Vec<&&Local> = send.iter().filter(|f| f.stage == stage).collect();
        if let Some(path) = target.kind.folder() {
            // In slices, so that the progress bar moves: it is not to be called from
            // several threads.
            for slice in batch.chunks(256) {
                slice
                    .par_iter()
                    .try_for_each(|f| copy_into(path, output, f).map_err(|e| (f, e)))
                    .map_err(|(f, e)| {
                        fail(
                            &format!("send {}", f.path),
                            opendal::raw::new_std_io_error(e),
                        )
                    })?;
                done += slice.len();
                progress(Progress::Sent { done, total });
            }
            continue;
        }
        let mut sending = futures_util::stream::iter(
            batch
                .into_iter()
                .map(|f| async move { (f, put(op, output, f, rename).await) }),
        )
        .buffer_unordered(target.kind.concurrency());
        use futures_util::StreamExt as _;
        while let Some((f, result)) = sending.next().await {
            result.map_err(|e| fail(&format!("send {}", f.path), e))?;
            done += 1;
            progress(Progress::Sent { done, total });
        }
    }
    Ok(())
}

/// Deletes `deleted` (recorded in `manifest` until they are gone), then the folders that
/// held only them: a withdrawn note's name must not stay in a listing of the host's
/// folders. A folder still holding anything (the host's own files) is kept.
async fn delete_files(
    op: &Operator,
    target: &Target,
    deleted: &[String],
    manifest: &mut Manifest,
) -> Result<(), Diagnostics> {
    let fail = |what: &str, e: opendal::Error| Diagnostics::from(failure(target, what, &e));
    if deleted.is_empty() {
        return Ok(());
    }
    for path in deleted {
        match op.delete(path).await {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(fail(&format!("delete {path}"), e)),
        }
    }
    for path in deleted {
        manifest.files.remove(path);
    }
    write_manifest(op, manifest)
        .await
        .map_err(|e| fail("write its manifest", e))?;
    for folder in holdings::emptied_folders(deleted) {
        match &target.kind {
            Kind::Folder(Folder { path }) => {
                let _ = std::fs::remove_dir(path.join(&folder));
            }
            #[cfg(feature = "sftp")]
            Kind::Sftp(_) => {
                let _ = op.delete(&format!("{folder}/")).await;
            }
            // An object store has no folders: a name goes with its last file.
            #[cfg(feature = "s3")]
            Kind::S3(_) => {}
        }
    }
    Ok(())
}

/// Refuses a folder target that a deploy could wreck: the root of the file system, the home
/// folder, or a folder that holds or lies inside the site or its output folder.
fn guard(target: &Target, root: &Path, output: &Path) -> Result<(), Diagnostic> {
    let refuse = |why: &str| {
        Err(Diagnostic::error(format!(
            "refusing to deploy to `{}` ({}): {why}",
            target.name, target.url
        ))
        .file(SITE_FILE)
        .help("a target is a folder of its own on the web host, e.g. url: file:///srv/www/press: correct the url in site.yaml"))
    };
    let absolute = match &target.kind {
        Kind::Folder(Folder { path }) => crate::output::absolute_existing(path),
        #[cfg(feature = "sftp")]
        Kind::Sftp(sftp) if sftp.path.trim_end_matches('/').is_empty() => {
            return refuse("it is the root of the file system");
        }
        #[allow(unreachable_patterns)]
        _ => return Ok(()),
    };
    if let Some(why) = crate::output::everything_folder(&absolute) {
        return refuse(why);
    }
    // A deploy also deletes: a folder holding the home folder is refused too.
    if let Some(home) = std::env::var_os("HOME")
        && crate::output::absolute_existing(Path::new(&home)).starts_with(&absolute)
    {
        return refuse("it holds your home folder");
    }
    for (folder, what) in [(root, "the site's folder"), (output, "the output folder")] {
        let folder = crate::output::absolute_existing(folder);
        if folder.starts_with(&absolute) {
            return refuse(&format!("it holds {what} ({})", display_path(&folder)));
        }
        if absolute.starts_with(&folder) {
            return refuse(&format!("it is inside {what} ({})", display_path(&folder)));
        }
    }
    Ok(())
}

/// Up to five paths of a list, and how many more: for messages.
fn list_some(paths: &[String]) -> String {
    let mut out = paths.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
    if paths.len() > 5 {
        out.push_str(&format!(" and {} more", paths.len() - 5));
    }
    out
}

/// What a target holds, compared with the site as a deploy would publish it now.
#[derive(Debug, Serialize)]
pub struct Live {
    pub target: String,
    pub url: String,
    /// The files deploy has published there (as its record says).
    pub files: usize,
    /// The files a deploy would send: new or changed since the last deploy.
    pub to_send: Vec<String>,
    /// The files a deploy would delete.
    pub to_delete: Vec<String>,
    /// Where the target does not hold what deploy's record says.
    pub disagreement: Disagreement,
}

impl Live {
    pub fn human(&self) -> String {
        let mut out = format!(
            "Live on {} ({}): {} files deployed.\n",
            self.target, self.url, self.files
        );
        let d = &self.disagreement;
        if !d.missing.is_empty() || !d.changed.is_empty() {
            out.push_str(&format!(
                "The target does not hold what deploy's record says ({} missing, {} changed on the host): a deploy sends them again. deploy --verify also compares every file's bytes.\n",
                d.missing.len(),
                d.changed.len()
            ));
            for path in &d.missing {
                out.push_str(&format!("  missing {path}\n"));
            }
            for path in &d.changed {
                out.push_str(&format!("  changed {path}\n"));
            }
        }
        if !d.foreign.is_empty() {
            out.push_str(&format!(
                "{} files there were not published by deploy, at paths the site publishes; a deploy replaces them only with --yes:\n",
                d.foreign.len()
            ));
            for path in &d.foreign {
                out.push_str(&format!("  host's  {path}\n"));
            }
        }
        if self.to_send.is_empty() && self.to_delete.is_empty() {
            out.push_str("It is the site as it is now: a deploy would change nothing.\n");
            return out;
        }
        out.push_str(&format!(
            "A deploy now would send {} and delete {}:\n",
            self.to_send.len(),
            self.to_delete.len()
        ));
        for path in &self.to_send {
            out.push_str(&format!("  send   {path}\n"));
        }
        for path in &self.to_delete {
            out.push_str(&format!("  delete {path}\n"));
        }
        out
    }
}

/// What the target holds and how it differs from the site now, made by the same pipeline as
/// a build (into hashes, not files): `briefing status TARGET`.
pub fn live(request: &Request, target: Option<&str>) -> Result<Live, Diagnostics> {
    let opened = request.open()?;
    let target = choose_target(&opened.config, target)?;
    let op = target.kind.open(&target)?;
    let (site, theme) = opened.load()?;
    let hashes = crate::pipeline::Hashing::new(&crate::pipeline::Discard);
    crate::pipeline::run(&site, &theme, &hashes).map_err(Diagnostics)?;
    let mut site_files: Vec<(String, (String, u64))> = hashes.into_hashes().into_iter().collect();
    site_files.sort();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            Diagnostics::from(Diagnostic::error(format!("cannot read the target: {e}")))
        })?;
    let (mut manifest, held) = runtime.block_on(async {
        let manifest = read_manifest(&op, &target).await?;
        let held = holdings::list(&op, &target).await?;
        Ok::<_, Diagnostics>((manifest, held))
    })?;
    let files = manifest.files.values().filter(|h| !h.is_empty()).count();
    let site: Vec<(&str, &str, u64)> = site_files
        .iter()
        .map(|(p, (h, n))| (p.as_str(), h.as_str(), *n))
        .collect();
    let disagreement = holdings::reconcile(&mut manifest, &held, &site);
    let (send, to_delete) = manifest.differences(&site_files, |(p, (h, _))| (p, h));
    let to_send = send.into_iter().map(|(p, _)| p.clone()).collect();
    Ok(Live {
        target: target.name,
        url: target.url,
        files,
        to_send,
        to_delete,
        disagreement,
    })
}

/// How far a deploy is, for a progress bar.
pub enum Progress {
    Sent { done: usize, total: usize },
}

/// The target named, or the first of site.yaml.
fn choose_target(config: &Config, name: Option<&str>) -> Result<Target, Diagnostic> {
    let names: Vec<&str> = config.deploy.iter().map(|t| t.name.as_str()).collect();
    if config.deploy.is_empty() {
        return Err(Diagnostic::error(format!("{SITE_FILE} names no place to deploy to"))
            .file(SITE_FILE)
            .help("add a target, e.g.\ndeploy:\n  production:\n    url: sftp://press@host.example.org/var/www/press\nor a folder: url: file:///srv/www/press"));
    }
    match name {
        None => Ok(config.deploy[0].clone()),
        Some(name) => config
            .deploy
            .iter()
            .find(|t| t.name == name)
            .cloned()
            .ok_or_else(|| {
                let close = crate::yaml::closest(name, &names)
                    .map_or(String::new(), |c| format!("did you mean `{c}`? "));
                Diagnostic::error(format!("{SITE_FILE} has no deploy target `{name}`"))
                    .file(SITE_FILE)
                    .help(format!("{close}its targets are: {}", names.join(", ")))
            }),
    }
}

/// Every file the build made, with its content's hash (taken as the build wrote it: the
/// output folder is not read again) and its stage, in the order of their paths.
fn local_files(
    hashes: crate::pipeline::FileHashes,
    stages: &HashMap<String, Stage>,
) -> Result<Vec<Local>, Diagnostic> {
    let mut local = hashes
        .into_iter()
        .map(|(path, (hash, size))| {
            // The build says the stage of every file it made.
            let stage = stages.get(&path).copied().ok_or_else(|| {
                Diagnostic::error(format!(
                    "{path} was made by the build, which gave it no stage"
                ))
                .help("this is a mistake of briefing: please report it")
            })?;
            Ok(Local {
                path,
                hash,
                size,
                stage,
            })
        })
        .collect::<Result<Vec<Local>, Diagnostic>>()?;
    local.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(local)
}

async fn read_manifest(op: &Operator, target: &Target) -> Result<Manifest, Diagnostics> {
    let manifest: Manifest = match op.read(MANIFEST).await {
        Ok(buffer) => serde_json::from_slice(&buffer.to_vec()).map_err(|e| {
            Diagnostic::error(format!(
                "the record of what `{}` holds ({MANIFEST} on the target) cannot be read: {e}",
                target.name
            ))
            .help(format!(
                "if nothing else changed it, delete {MANIFEST} on the target and deploy again with --yes: everything is sent once more, and files deploy published before are no longer deleted by it"
            ))
            .into()
        }) as Result<Manifest, Diagnostics>,
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(Manifest::default()),
        Err(e) => Err(Diagnostics::from(failure(target, "read what it holds", &e))),
    }?;
    // Deploy deletes what its record names: a name leading out of the target is refused.
    if let Some(path) = manifest
        .files
        .keys()
        .chain(&manifest.uploading)
        .find(|p| !holdings::inside(p))
    {
        return Err(Diagnostic::error(format!(
            "the record of what `{}` holds ({MANIFEST} on the target) names `{}`, a path outside the target",
            target.name,
            crate::safety::shorten(path, 80)
        ))
        .help(format!(
            "deploy never writes a name like that: someone changed the record. Delete {MANIFEST} on the target and deploy again with --yes: everything is sent once more, and files deploy published before are no longer deleted by it"
        ))
        .into());
    }
    Ok(manifest)
}

async fn write_manifest(op: &Operator, manifest: &Manifest) -> Result<(), opendal::Error> {
    let json = serde_json::to_vec_pretty(manifest).unwrap_or_default();
    let rename = op.info().capability().rename;
    put_bytes(op, MANIFEST, json, "application/json", "no-cache", rename).await
}

fn uploading_name(path: &str) -> String {
    match path.rsplit_once('/') {
        Some((dir, name)) => format!("{dir}/.{name}{UPLOADING}"),
        None => format!(".{path}{UPLOADING}"),
    }
}

/// Copies one file of the built site into a folder target, under its temporary name beside
/// where it goes and then renamed, as the store writes it. A folder's store hands each system
/// call of a write to a thread of its own (about nine a file), which made a first deploy of a
/// large site three times as slow as `cp -r`; this is a copy on all cores.
fn copy_into(folder: &Path, output: &Path, file: &Local) -> std::io::Result<()> {
    let to = folder.join(&file.path);
    let temporary = folder.join(uploading_name(&file.path));
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir)?;
    }
    // Whatever is at the temporary name (a leftover, or a link planted there) is removed, not
    // written through; the copy goes into a new file.
    match std::fs::remove_file(&temporary) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let copied = std::fs::File::open(output.join(&file.path))
        .and_then(|mut from| {
            let mut into = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&temporary)?;
            std::io::copy(&mut from, &mut into)
        })
        .and_then(|_| std::fs::rename(&temporary, &to));
    if copied.is_err() {
        // A half-written copy takes room a full disk lacks.
        let _ = std::fs::remove_file(&temporary);
    }
    copied
}

/// Sends one file of the built site.
async fn put(
    op: &Operator,
    output: &Path,
    file: &Local,
    rename: bool,
) -> Result<(), opendal::Error> {
    let bytes = tokio::fs::read(output.join(&file.path))
        .await
        .map_err(|e| {
            opendal::Error::new(ErrorKind::Unexpected, "cannot read the built file").set_source(e)
        })?;
    let content_type = crate::output::content_type(&file.path);
    put_bytes(
        op,
        &file.path,
        bytes,
        &content_type,
        cache_control(&file.path),
        rename,
    )
    .await
}

/// Writes `path` on the target: under a temporary name, then renamed, where the target can.
async fn put_bytes(
    op: &Operator,
    path: &str,
    bytes: Vec<u8>,
    content_type: &str,
    cache_control: &str,
    rename: bool,
) -> Result<(), opendal::Error> {
    let to = if rename {
        uploading_name(path)
    } else {
        path.to_string()
    };
    op.write_with(&to, bytes)
        .content_type(content_type)
        .cache_control(cache_control)
        .await?;
    if rename {
        op.rename(&to, path).await?;
    }
    Ok(())
}

/// How long browsers and caches may keep a file: every file is checked again at every visit
/// (pages, feeds and indexes, since an edit must show at once; a note's photos and files,
/// since a withdrawn note's must go at once), but the theme's stylesheets, scripts and
/// fonts, kept for an hour.
fn cache_control(path: &str) -> &'static str {
    let theme = [".css", ".js", ".woff2", ".woff", ".ttf", ".otf"];
    if theme.iter().any(|ext| path.ends_with(ext)) && !path.starts_with("briefings/") {
        "public, max-age=3600"
    } else {
        "no-cache"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_and_caching_follow_the_kind_of_file() {
        use crate::output::content_type;
        assert_eq!(content_type("en/index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("style.css"), "text/css; charset=utf-8");
        assert_eq!(content_type("a/b.pdf"), "application/pdf");
        assert_eq!(cache_control("en/index.html"), "no-cache");
        assert_eq!(cache_control("en/atom.xml"), "no-cache");
        assert_eq!(cache_control("briefings/x/map.png"), "no-cache");
        assert_eq!(cache_control("briefings/x/map.480w.webp"), "no-cache");
        assert_eq!(cache_control("pages/card.png"), "no-cache");
        assert_eq!(cache_control("style.css"), "public, max-age=3600");
        assert_eq!(cache_control("search.js"), "public, max-age=3600");
        assert_eq!(
            uploading_name("en/index.html"),
            "en/.index.html.briefing-upload"
        );
        assert_eq!(uploading_name("style.css"), ".style.css.briefing-upload");
    }
}
