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
    assert!(
        !tree(share.path())
            .keys()
            .any(|p| p.to_string_lossy().contains(".briefing-upload"))
    );

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

    let yaml = std::fs::read_to_string(site.path().join("site.yaml")).unwrap();
    write(
        site.path(),
        "site.yaml",
        &format!(
            "{yaml}  bucket:\n    url: s3://press/www\n    secret_access_key: abc\n  host:\n    url: sftp://press:hunter2@host.example.org/var/www\n  odd:\n    url: ftp://host.example.org/www\n"
        ),
    );
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
    assert!(
        !tree(share.path())
            .keys()
            .any(|p| p.to_string_lossy().contains(".briefing-upload"))
    );
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
    assert!(
        !tree(&logs.path().join("after"))
            .keys()
            .any(|p| p.to_string_lossy().contains(".briefing-upload"))
    );
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
