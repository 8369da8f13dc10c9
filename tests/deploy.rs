//! `briefing deploy` to a folder target: the target ends equal to the built site, only what
//! changed is sent, only what deploy published is deleted, and a deploy cut off half-way is
//! finished by the next one.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::deploying::*;
use common::*;

#[test]
fn a_first_deploy_publishes_the_built_site_byte_for_byte_and_a_second_sends_nothing() {
    let (site, share) = site_with_share();
    let (code, out) = deploy(site.path(), &[]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains(&format!(
            "Deployed to share (file://{}): ",
            share.path().display()
        )),
        "{out}"
    );
    let files = built(site.path());
    assert_same_tree(&published(share.path()), &files);
    assert_eq!(counts(&out), (files.len(), 0, 0), "{out}");
    // Nothing under a temporary name is left.
    assert_no_upload_left(share.path());

    let (code, out) = deploy(site.path(), &[]);
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(counts(&out), (0, 0, files.len()), "{out}");
}

#[test]
fn an_edit_sends_only_the_files_that_changed_and_a_removed_note_is_deleted() {
    let (site, share) = site_with_share();
    assert_eq!(deploy(site.path(), &[]).0, Some(0));
    // A file the site never published, put on the host by someone else.
    write(share.path(), "en/briefings/their-own.txt", "not the site's");
    let before = built(site.path());

    let note = site.path().join("content/briefings/visa.en.md");
    let text = std::fs::read_to_string(&note).unwrap();
    std::fs::write(
        &note,
        text.replace("Both sides agreed", "Both sides fully agreed"),
    )
    .unwrap();
    let target_before = tree(share.path());
    let (code, out) = deploy(site.path(), &["--dry-run"]);
    assert_eq!(code, Some(0), "{out}");
    // The dry run changed nothing on the target, its record included.
    assert_same_tree(&tree(share.path()), &target_before);
    let after = built(site.path());
    let changed: Vec<String> = after
        .iter()
        .filter(|(p, bytes)| before.get(*p) != Some(*bytes))
        .map(|(p, _)| p.to_string_lossy().into_owned())
        .collect();
    assert!(
        changed.contains(&"en/briefings/visa/index.html".to_string()),
        "{changed:?}"
    );
    let would: Vec<&str> = out
        .lines()
        .filter_map(|l| l.strip_prefix("would send   "))
        .map(|l| l.rsplit_once(" (").unwrap().0)
        .collect();
    let mut sorted = would.clone();
    sorted.sort();
    assert_eq!(sorted, changed, "{out}");

    let (code, out) = deploy(site.path(), &[]);
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(counts(&out).0, changed.len(), "{out}");

    // A note removed: its pages go, the host's own file stays.
    let before = built(site.path());
    std::fs::remove_file(site.path().join("content/briefings/advisory.en.md")).unwrap();
    let (code, out) = deploy(site.path(), &[]);
    assert_eq!(code, Some(0), "{out}");
    let after = built(site.path());
    let gone = before.keys().filter(|p| !after.contains_key(*p)).count();
    assert!(gone >= 2, "{gone} files of the note's");
    assert_eq!(counts(&out).1, gone, "{out}");
    let mut expected = built(site.path());
    expected.insert(
        PathBuf::from("en/briefings/their-own.txt"),
        b"not the site's".to_vec(),
    );
    assert_same_tree(&published(share.path()), &expected);
    assert!(
        !share
            .path()
            .join("en/briefings/advisory/index.html")
            .exists()
    );
}

#[test]
fn pages_go_live_after_the_files_they_show_and_listings_after_the_pages() {
    let (site, _share) = site_with_share();
    let (_, out) = deploy(site.path(), &["--dry-run"]);
    let order: Vec<&str> = out
        .lines()
        .filter_map(|l| l.strip_prefix("would send   "))
        .map(|l| l.rsplit_once(" (").unwrap().0)
        .collect();
    let place = |path: &str| {
        order
            .iter()
            .position(|p| *p == path)
            .unwrap_or_else(|| panic!("{path} not sent: {order:?}"))
    };
    let page = place("en/briefings/study-tour/index.html");
    assert!(place("briefings/study-tour/map.svg") < page);
    assert!(place("style.css") < page);
    assert!(page < place("en/index.html"));
    assert!(page < place("en/atom.xml"));
    assert!(page < place("sitemap.xml"));
}

#[test]
fn many_deletions_wait_for_yes_and_a_failed_build_deploys_nothing() {
    let (site, share) = site_with_share();
    assert_eq!(deploy(site.path(), &[]).0, Some(0));
    let live = published(share.path());

    std::fs::remove_file(site.path().join("content/briefings/advisory.en.md")).unwrap();
    std::fs::remove_dir_all(site.path().join("content/briefings/study-tour")).unwrap();
    let (code, out) = deploy(site.path(), &["--max-deletes", "2"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("more than --max-deletes 2"), "{out}");
    assert!(out.contains("run again with --yes"), "{out}");
    assert_same_tree(&published(share.path()), &live);
    let (code, out) = deploy(site.path(), &["--max-deletes", "2", "--yes"]);
    assert_eq!(code, Some(0), "{out}");
    assert_same_tree(&published(share.path()), &built(site.path()));

    let live = published(share.path());
    write(
        site.path(),
        "content/briefings/broken.en.md",
        "---\ntitle: Broken\ndate: 2016-02-30\n---\n\nText.\n",
    );
    let (code, out) = deploy(site.path(), &[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("February 2016 has 29 days"), "{out}");
    assert!(out.contains("Nothing more was deployed"), "{out}");
    assert_same_tree(&published(share.path()), &live);
}

#[test]
fn targets_are_named_checked_and_never_hold_a_secret() {
    let (site, share) = site_with_share();
    let (code, out) = deploy(site.path(), &["shar"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("site.yaml has no deploy target `shar`"),
        "{out}"
    );
    assert!(out.contains("did you mean `share`?"), "{out}");
    let (code, out) = deploy(site.path(), &["other"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains(
            "the folder of the deploy target `other` does not exist: /nonexistent/briefing-target"
        ),
        "{out}"
    );
    assert!(tree(share.path()).is_empty());

    let s = site.path();
    add_deploy_target(
        s,
        "bucket",
        &[("url", "s3://press/www"), ("secret_access_key", "abc")],
    );
    add_deploy_target(
        s,
        "host",
        &[("url", "sftp://press:hunter2@host.example.org/var/www")],
    );
    add_deploy_target(s, "odd", &[("url", "ftp://host.example.org/www")]);
    for (command, args) in [("deploy", vec!["deploy"]), ("check", vec!["check"])] {
        let out = briefing(site.path(), &args);
        let out = stdout(&out) + &stderr(&out);
        for expected in [
            "`secret_access_key` looks like a secret, and site.yaml is no place for one",
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
            "a password cannot be written in site.yaml",
            "`ftp://` is not a kind of target briefing knows",
        ] {
            assert!(
                out.contains(expected),
                "{command}: missing {expected:?} in:\n{out}"
            );
        }
    }
    assert!(tree(share.path()).is_empty());

    let site = fixture("basic");
    let (code, out) = deploy(site.path(), &[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("site.yaml names no place to deploy to"),
        "{out}"
    );
}

#[test]
fn a_deploy_killed_half_way_is_finished_by_the_next_one() {
    let (site, share) = site_with_share();
    write_notes(site.path(), 600, "");
    // Built once, so that the deploy starts sending at once.
    build_ok(site.path(), &[]);
    let mut first = std::process::Command::new(env!("CARGO_BIN_EXE_briefing"));
    first.arg("deploy").current_dir(site.path());
    kill_half_way(first, share.path(), 100);
    // The kill came before the end: the target is not yet the site; what is there under its
    // own name is whole, and the record says only what is true.
    let site_files = built(site.path());
    assert_ne!(published(share.path()), site_files);
    let (_, sending) = assert_record_true(share.path(), &site_files);
    assert!(sending > 0, "the record marked nothing as being sent");
    // A note removed meanwhile: the next deploy finishes the site without it.
    std::fs::remove_file(site.path().join("content/briefings/advisory.en.md")).unwrap();
    let (code, out) = deploy(site.path(), &[]);
    assert_eq!(code, Some(0), "{out}");
    let site_files = built(site.path());
    assert_same_tree(&published(share.path()), &site_files);
    assert!(!share.path().join("en/briefings/advisory").exists());
    let (hashed, sending) = assert_record_true(share.path(), &site_files);
    assert_eq!((hashed, sending), (site_files.len(), 0));
    assert_no_upload_left(share.path());
}

#[test]
fn under_watch_an_embargo_is_live_within_seconds_of_its_end_and_edits_follow() {
    let (site, share) = site_with_share();
    let release = embargoed(
        site.path(),
        "on-time",
        "Release on the minute",
        Some("准时发布"),
    );
    let log = site.path().join("watch.log");
    let mut watch = std::process::Command::new(env!("CARGO_BIN_EXE_briefing"));
    watch
        .args(["deploy", "--watch", "--on-change"])
        .current_dir(site.path())
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(std::process::Stdio::null());
    let child = released_on_time(
        watch,
        &share.path().join("en/index.html"),
        &share.path().join("en/briefings/on-time/index.html"),
        release,
    );
    assert!(
        share
            .path()
            .join("zh/briefings/on-time/index.html")
            .exists()
    );

    // An edit goes live by itself with --on-change.
    let note = site.path().join("content/briefings/visa.en.md");
    let text = std::fs::read_to_string(&note).unwrap();
    std::fs::write(
        &note,
        text.replace("Both sides agreed", "Both sides readily agreed"),
    )
    .unwrap();
    let visa = share.path().join("en/briefings/visa/index.html");
    let edited = within(Duration::from_secs(30), || {
        std::fs::read_to_string(&visa).is_ok_and(|html| html.contains("readily agreed"))
    });
    drop(child);
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(edited, "the edit was not deployed:\n{log}");
    assert!(
        log.contains("Released Release on the minute (en, zh) at "),
        "{log}"
    );
    assert!(log.contains("Next release at "), "{log}");
}

#[test]
fn status_with_a_target_says_what_is_live_and_what_a_deploy_would_change() {
    let (site, share) = site_with_share();
    assert_eq!(deploy(site.path(), &[]).0, Some(0));
    let files = built(site.path()).len();
    let out = briefing(site.path(), &["status", "share"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains(&format!(
            "Live on share (file://{}): {files} files deployed.",
            share.path().display()
        )),
        "{text}"
    );
    assert!(text.contains("a deploy would change nothing"), "{text}");
    // The held list is still there.
    assert!(text.contains("Held back (2):"), "{text}");

    let note = site.path().join("content/briefings/visa.en.md");
    let body = std::fs::read_to_string(&note).unwrap();
    std::fs::write(
        &note,
        body.replace("Both sides agreed", "Both sides fully agreed"),
    )
    .unwrap();
    std::fs::remove_file(site.path().join("content/briefings/advisory.en.md")).unwrap();
    let output = tree(&site.path().join("output"));
    let target = tree(share.path());
    let text = stdout(&briefing(site.path(), &["status", "share"]));
    assert!(text.contains("A deploy now would send "), "{text}");
    assert!(
        text.contains("  send   en/briefings/visa/index.html\n"),
        "{text}"
    );
    assert!(
        text.contains("  delete en/briefings/advisory/index.html\n"),
        "{text}"
    );
    let json: serde_json::Value = serde_json::from_str(&stdout(&briefing(
        site.path(),
        &["status", "share", "--format", "json"],
    )))
    .unwrap();
    assert_eq!(json["live"]["target"], "share");
    assert!(
        json["live"]["to_send"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("en/briefings/visa/index.html"))
    );
    assert!(json["held"].is_array());
    // status writes nothing, here or there.
    assert_eq!(tree(&site.path().join("output")), output);
    assert_eq!(tree(share.path()), target);
    // What it said is what a deploy then does.
    let (_, out) = deploy(site.path(), &["--dry-run"]);
    let would: Vec<&str> = out
        .lines()
        .filter_map(|l| l.strip_prefix("would send   "))
        .map(|l| l.rsplit_once(" (").unwrap().0)
        .collect();
    let said: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("  send   "))
        .collect();
    let mut would_sorted = would.clone();
    would_sorted.sort();
    assert_eq!(said, would_sorted);
}

#[test]
#[ignore = "needs a mount namespace (unshare -rm) for a small disk: run by .ci/run"]
fn a_full_target_is_named_and_what_it_holds_stays_whole() {
    let (site, share) = site_with_share();
    build_ok(site.path(), &[]);
    let site_before = built(site.path());
    // Room for the site as it is (a small disk counts every file in whole 4 KiB pages), and
    // not for a 2 MB press-kit file added to a note afterwards.
    let room: usize = site_before
        .values()
        .map(|bytes| bytes.len().div_ceil(4096) * 4096)
        .sum::<usize>()
        + 256 * 1024;
    let logs = tempfile::tempdir().unwrap();
    let script = r#"set -e
mount -t tmpfs -o size="$4" tmpfs "$1"
"$2" deploy >"$3/first.log" 2>&1
cp -a "$1/." "$3/before"
head -c 2000000 /dev/zero > content/briefings/study-tour/kit.pdf
set +e
"$2" deploy >"$3/second.log" 2>&1
echo $? >"$3/second.rc"
cp -a "$1/." "$3/after"
"#;
    let run = std::process::Command::new("unshare")
        .args(["-rm", "sh", "-c", script, "sh"])
        .arg(share.path())
        .arg(env!("CARGO_BIN_EXE_briefing"))
        .arg(logs.path())
        .arg(room.to_string())
        .current_dir(site.path())
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", said(&run));
    let log = |name: &str| std::fs::read_to_string(logs.path().join(name)).unwrap();
    assert!(
        log("first.log").contains("Deployed to share"),
        "{}",
        log("first.log")
    );

    let second = log("second.log");
    assert_eq!(log("second.rc").trim(), "1", "{second}");
    assert!(
        second.contains(&format!(
            "error: deploying to `share` (file://{}) failed: could not send ",
            share.path().display()
        )) && second.contains("kit.pdf: the target is full"),
        "{second}"
    );
    assert!(second.contains("make room on the target"), "{second}");
    // What visitors were getting, they still get; nothing half-written is left.
    let before = published(&logs.path().join("before"));
    assert_same_tree(&before, &site_before);
    assert_same_tree(&published(&logs.path().join("after")), &before);
    assert_no_upload_left(&logs.path().join("after"));
}

#[test]
fn under_watch_a_failed_deploy_is_tried_again_until_the_target_is_back() {
    let (site, share) = site_with_share();
    // The share is not mounted yet when the watch starts.
    let mount = share.path().join("press");
    let yaml = std::fs::read_to_string(site.path().join("site.yaml")).unwrap();
    let url = format!("file://{}", share.path().display());
    write(
        site.path(),
        "site.yaml",
        &yaml.replace(&url, &format!("{url}/press")),
    );
    let log = site.path().join("watch.log");
    let child = Running(
        std::process::Command::new(env!("CARGO_BIN_EXE_briefing"))
            .args(["deploy", "--watch"])
            .current_dir(site.path())
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let said = || std::fs::read_to_string(&log).unwrap();
    assert!(
        within(Duration::from_secs(30), || said()
            .contains("Trying again in 5 s.")),
        "{}",
        said()
    );
    assert!(
        said().contains("the folder of the deploy target `share` does not exist"),
        "{}",
        said()
    );
    std::fs::create_dir(&mount).unwrap();
    assert!(
        within(Duration::from_secs(20), || said()
            .contains("Deployed to share")),
        "{}",
        said()
    );
    drop(child);
    assert_same_tree(&published(&mount), &built(site.path()));
}

#[test]
#[ignore = "needs a mount namespace (unshare -rm) for a read-only disk: run by .ci/run"]
fn a_target_that_may_not_be_written_to_is_named() {
    let (site, share) = site_with_share();
    let run = std::process::Command::new("unshare")
        .args([
            "-rm",
            "sh",
            "-c",
            r#"mount -t tmpfs -o ro,size=1m tmpfs "$1" && exec "$2" deploy"#,
            "sh",
        ])
        .arg(share.path())
        .arg(env!("CARGO_BIN_EXE_briefing"))
        .current_dir(site.path())
        .output()
        .unwrap();
    let text = said(&run);
    assert_eq!(run.status.code(), Some(1), "{text}");
    assert!(
        text.contains(&format!(
            "error: deploying to `share` (file://{}) failed: could not write its manifest: this user may not write there",
            share.path().display()
        )),
        "{text}"
    );
    assert!(text.contains("mounted for writing"), "{text}");
}

/// Under `deploy --watch`, an edit that moves an embargo moves the wait: brought forward,
/// the note is released at the new moment, not the old one; put back, it is not released at
/// the old one.
#[test]
fn under_watch_an_edit_that_moves_an_embargo_moves_the_wait() {
    let (site, share) = site_with_share();
    let s = site.path();
    let forward = share.path().join("en/briefings/forward/index.html");
    let back = share.path().join("en/briefings/back/index.html");
    embargoed_for(s, "forward", "A release brought forward", 3600);
    let old = embargoed_for(s, "back", "A release put back", 8);
    let watching = Watching::start(s, "watch.log", &[]);
    watching.wait_for("Next release at", Duration::from_secs(30));
    // Put back by an hour before its moment, and the other brought forward from an hour to
    // four seconds from now.
    embargoed_for(s, "back", "A release put back", 3600);
    let release = embargoed_for(s, "forward", "A release brought forward", 4);
    assert_released_on_time(&forward, release);
    // Past the old moment of the one put back, and past the 5 s a release may take.
    while jiff::Timestamp::now() < old + jiff::SignedDuration::from_secs(6) {
        assert!(
            !back.exists(),
            "released at its old moment:\n{}",
            watching.said()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!back.exists(), "{}", watching.said());
}

/// `deploy --watch` stopped and started again carries on from what the target holds: its
/// first deploy sends exactly the files that changed while it was stopped (a note released
/// meanwhile, the listings) and deletes exactly those of a note withdrawn meanwhile.
#[test]
fn a_restarted_watch_carries_on_where_it_was() {
    let (site, share) = site_with_share();
    let s = site.path();
    // A watch started, and stopped once it has deployed: what it said.
    let watch_once = |log: &str| -> String {
        let watching = Watching::start(s, log, &[]);
        watching.wait_for("Deployed to share", Duration::from_secs(30));
        watching.said()
    };
    watch_once("watch.log");
    let before = published(share.path());

    // While it is stopped: a note whose embargo ends, and a note withdrawn.
    let release = embargoed_for(s, "meanwhile", "Released while the watch was stopped", 2);
    std::fs::remove_file(s.join("content/briefings/advisory.en.md")).unwrap();
    while jiff::Timestamp::now() < release + jiff::SignedDuration::from_millis(500) {
        std::thread::sleep(Duration::from_millis(100));
    }
    let said = watch_once("again.log");
    let after = published(share.path());
    assert_same_tree(&after, &built(s));
    assert!(after.contains_key(&PathBuf::from("en/briefings/meanwhile/index.html")));
    assert!(!share.path().join("en/briefings/advisory").exists());
    let sent = after
        .iter()
        .filter(|(path, bytes)| before.get(*path) != Some(*bytes))
        .count();
    let deleted = before.keys().filter(|p| !after.contains_key(*p)).count();
    let unchanged = after.len() - sent;
    assert!(
        sent > 0 && deleted > 0 && unchanged > sent,
        "{sent} {deleted}"
    );
    assert_eq!(counts(&said), (sent, deleted, unchanged), "{said}");
}

/// A failed deploy under `--watch` is tried again after 5 s, then 10 s (the wait doubles),
/// and at once when a file of the site changes, without waiting out the 10 s.
#[test]
fn under_watch_a_failed_deploy_backs_off_and_a_saved_file_tries_again_at_once() {
    let (site, share) = site_with_share();
    let s = site.path();
    let mount = share.path().join("press");
    let yaml = std::fs::read_to_string(s.join("site.yaml")).unwrap();
    let url = format!("file://{}", share.path().display());
    write(s, "site.yaml", &yaml.replace(&url, &format!("{url}/press")));
    let watching = Watching::start(s, "watch.log", &[]);
    watching.wait_for("Trying again in 5 s.", Duration::from_secs(30));
    // The second wait is 10 s.
    watching.wait_for("Trying again in 10 s.", Duration::from_secs(15));
    // The target is back and an officer saves a note: deployed now, not in 10 s.
    std::fs::create_dir(&mount).unwrap();
    let saved = std::time::Instant::now();
    edit(
        s,
        "content/briefings/visa.en.md",
        "Both sides agreed",
        "Both sides readily agreed",
    );
    watching.wait_for("Deployed to share", Duration::from_secs(20));
    assert!(
        saved.elapsed() < Duration::from_secs(6),
        "deployed {:?} after the save: it waited out the 10 s",
        saved.elapsed()
    );
    assert!(
        std::fs::read_to_string(mount.join("en/briefings/visa/index.html"))
            .unwrap()
            .contains("readily agreed")
    );
}

/// Deploy deletes last: every file it sends is in place under its final name before the
/// first file of a withdrawn note is deleted (traced with strace: each rename into the target,
/// then each removal from it).
#[cfg(target_os = "linux")]
#[test]
#[ignore = "needs strace, which .ci/run installs"]
fn a_deploy_deletes_only_after_every_file_is_sent() {
    let (site, share) = site_with_share();
    let s = site.path();
    assert_eq!(deploy(s, &[]).0, Some(0));
    std::fs::remove_file(s.join("content/briefings/advisory.en.md")).unwrap();
    edit(
        s,
        "content/briefings/returns.en.md",
        "Twelve people",
        "Twelve more people",
    );
    write(
        s,
        "content/briefings/added.en.md",
        "---\ntitle: A note added\ndate: 2016-06-01\n---\n\nText.\n",
    );
    let trace = s.join("trace.txt");
    let out = std::process::Command::new("strace")
        .args([
            "-f",
            "-qq",
            "-e",
            "trace=rename,renameat,renameat2,unlink,unlinkat",
            "-o",
        ])
        .arg(&trace)
        .arg(env!("CARGO_BIN_EXE_briefing"))
        .arg("deploy")
        .current_dir(s)
        .output()
        .expect("strace is not installed: apt-get install strace (.ci/run does)");
    assert!(out.status.success(), "{}", said(&out));
    let (sent, deleted, _) = counts(&said(&out));
    let root = share.path().display().to_string();
    let calls = std::fs::read_to_string(&trace).unwrap();
    let (mut last_send, mut first_delete, mut renames, mut removals) = (0, usize::MAX, 0, 0);
    for (i, line) in calls.lines().enumerate() {
        if line.contains(".briefing-deploy.json") || line.contains("resumed>") {
            continue;
        }
        if line.contains("rename") && line.contains(".briefing-upload") && line.contains(&root) {
            last_send = i;
            renames += 1;
        } else if line.contains("unlink")
            && line.contains(&format!("{root}/"))
            && !line.contains(".briefing-upload")
            && !line.contains("= -1")
        {
            first_delete = first_delete.min(i);
            // Folders left empty go too; the summary counts files.
            removals += usize::from(!line.contains("AT_REMOVEDIR"));
        }
    }
    assert_eq!((renames, removals), (sent, deleted), "{calls}");
    assert!(sent > 0 && deleted > 0);
    assert!(
        last_send < first_delete,
        "a file was deleted before the last was sent:\n{calls}"
    );
}
