//! What the deploy tests do to every kind of target (a folder, SFTP, S3): a deploy cut off
//! half-way, and an embargo released under `deploy --watch`.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub use super::process::{Running, within};

/// Runs `deploy` and kills it once the target's folder (as its server stores it) holds more
/// than `entries` files and folders; asserts that it was still running then, so that the
/// target is left half-done.
pub fn kill_half_way(mut deploy: Command, stored: &Path, entries: usize) {
    let log = tempfile::NamedTempFile::new().unwrap();
    let mut child = Running(
        deploy
            .stdout(Stdio::null())
            .stderr(log.reopen().unwrap())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(120);
    while walkdir::WalkDir::new(stored).into_iter().count() <= entries {
        assert!(Instant::now() < deadline, "the deploy sent nothing");
        assert!(
            child.0.try_wait().unwrap().is_none(),
            "the deploy ended before it was killed: {}",
            std::fs::read_to_string(log.path()).unwrap()
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    drop(child);
}

/// Writes an English note (and a Chinese one, if `zh_title` is given) under embargo until
/// four seconds from now, on a whole second; returns that moment.
pub fn embargoed(site: &Path, slug: &str, title: &str, zh_title: Option<&str>) -> jiff::Timestamp {
    let release = embargoed_for(site, slug, title, 4);
    if let Some(title) = zh_title {
        super::write(
            site,
            &format!("content/briefings/{slug}/index.zh.md"),
            &format!("---\ntitle: {title}\ndate: 2016-05-01\nembargo: {release}\n---\n\nText.\n"),
        );
    }
    release
}

/// Starts `watch` (a `deploy --watch`) and asserts what a press officer relies on: its
/// first deploy publishes the site (`home`, as the server stores it) without the page under
/// embargo (`page`), and the page is released on time ([`assert_released_on_time`]).
/// Returns the watch, still running.
pub fn released_on_time(
    mut watch: Command,
    home: &Path,
    page: &Path,
    release: jiff::Timestamp,
) -> Running {
    let child = Running(watch.spawn().unwrap());
    assert!(
        within(Duration::from_secs(30), || home.exists()),
        "no first deploy"
    );
    assert_released_on_time(page, release);
    child
}

/// The page under embargo (`page`, as the server stores it) stays absent up to the moment of
/// `release` (looked at every 20 ms), and is live within 5 s after it, never before.
pub fn assert_released_on_time(page: &Path, release: jiff::Timestamp) {
    while jiff::Timestamp::now() < release {
        let seen = page.exists();
        let at = jiff::Timestamp::now();
        assert!(
            !seen || at >= release,
            "published {:?} before its embargo ended",
            release.duration_since(at)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        within(Duration::from_secs(30), || page.exists()),
        "never published"
    );
    let late = jiff::Timestamp::now().duration_since(release);
    assert!(
        late >= jiff::SignedDuration::ZERO && late < jiff::SignedDuration::from_secs(5),
        "live {late:?} after the embargo ended"
    );
}

/// Writes an English note under embargo until `seconds` from now, on a whole second; returns
/// that moment.
pub fn embargoed_for(site: &Path, slug: &str, title: &str, seconds: i64) -> jiff::Timestamp {
    let release =
        jiff::Timestamp::from_second(jiff::Timestamp::now().as_second() + seconds).unwrap();
    super::write(
        site,
        &format!("content/briefings/{slug}/index.en.md"),
        &format!("---\ntitle: {title}\ndate: 2016-05-01\nembargo: {release}\n---\n\nText.\n"),
    );
    release
}

/// A `deploy --watch` running in a site, its terminal in a log file; stopped when dropped.
pub struct Watching {
    _running: Running,
    log: std::path::PathBuf,
}

impl Watching {
    /// Starts `deploy --watch` (with `extra` arguments) in `site`, its terminal in the file
    /// `log` of the site.
    pub fn start(site: &Path, log: &str, extra: &[&str]) -> Watching {
        let log = site.join(log);
        let running = Running(watch(site, &log, extra).spawn().unwrap());
        Watching {
            _running: running,
            log,
        }
    }

    /// What it has said so far.
    pub fn said(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until it has said `text`, for at most `limit`; panics with all it said.
    pub fn wait_for(&self, text: &str, limit: Duration) {
        assert!(
            within(limit, || self.said().contains(text)),
            "no {text:?} in:\n{}",
            self.said()
        );
    }
}

/// `briefing deploy --watch` (with `extra` arguments) in `site`, its terminal in `log`.
pub fn watch(site: &Path, log: &Path, extra: &[&str]) -> Command {
    let mut watch = Command::new(env!("CARGO_BIN_EXE_briefing"));
    watch
        .args(["deploy", "--watch"])
        .args(extra)
        .current_dir(site)
        .stdout(std::fs::File::create(log).unwrap())
        .stderr(Stdio::null());
    watch
}

/// The basic fixture with a folder target `share` (an empty folder), and that folder.
pub fn site_with_share() -> (tempfile::TempDir, tempfile::TempDir) {
    let site = super::fixture("basic");
    let share = tempfile::tempdir().unwrap();
    let url = format!("file://{}", share.path().display());
    super::add_deploy_target(site.path(), "share", &[("url", &url)]);
    super::add_deploy_target(
        site.path(),
        "other",
        &[("url", "file:///nonexistent/briefing-target")],
    );
    (site, share)
}

pub fn deploy(site: &Path, args: &[&str]) -> (Option<i32>, String) {
    let mut all = vec!["deploy"];
    all.extend_from_slice(args);
    let out = super::briefing(site, &all);
    (out.status.code(), super::said(&out))
}

/// The counts of the first summary line (`deploy --watch` puts the time before it): (sent,
/// deleted, unchanged).
pub fn counts(out: &str) -> (usize, usize, usize) {
    let line = out
        .lines()
        .find(|l| l.contains("Deployed to ") || l.contains("Would deploy to "))
        .unwrap_or_else(|| panic!("no summary line in:\n{out}"));
    let number = |word: &str| -> usize {
        let before = line.split(&format!(" {word}")).next().unwrap();
        before.rsplit([' ', ',']).next().unwrap().parse().unwrap()
    };
    (number("sent"), number("deleted"), number("unchanged"))
}

/// Reads deploy's record in the folder `stored` (as a target's server stores it) and asserts
/// that it tells the truth: every file it gives a hash for is there with that content, and
/// every file under its final name is whole, equal to `built`'s. Returns the recorded files
/// with a hash, and those being sent (an empty hash).
pub fn assert_record_true(
    stored: &Path,
    built: &std::collections::BTreeMap<std::path::PathBuf, Vec<u8>>,
) -> (usize, usize) {
    use sha2::Digest as _;
    let text = std::fs::read_to_string(stored.join(".briefing-deploy.json"))
        .expect("deploy kept no record on the target while it sent files");
    let record: serde_json::Value = serde_json::from_str(&text).unwrap();
    let (mut hashed, mut sending) = (0, 0);
    for (path, hash) in record["files"].as_object().unwrap() {
        let hash = hash.as_str().unwrap();
        if hash.is_empty() {
            sending += 1;
            continue;
        }
        let bytes = std::fs::read(stored.join(path))
            .unwrap_or_else(|e| panic!("the record names {path}, which is not there: {e}"));
        let actual: String = sha2::Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(actual, hash, "{path} is not what the record says");
        hashed += 1;
    }
    for (path, bytes) in super::published(stored) {
        if path.to_string_lossy().contains(".briefing-upload") {
            continue;
        }
        if let Some(expected) = built.get(&path) {
            assert!(bytes == *expected, "{} is not whole", path.display());
        }
    }
    (hashed, sending)
}

/// Asserts that no file under a temporary upload name is left on the target `stored`.
pub fn assert_no_upload_left(stored: &Path) {
    let left: Vec<_> = super::tree(stored)
        .into_keys()
        .filter(|p| p.to_string_lossy().contains(".briefing-upload"))
        .collect();
    assert!(left.is_empty(), "left under a temporary name: {left:?}");
}
