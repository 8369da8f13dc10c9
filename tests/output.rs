//! The output folder: the old site or the new one, never a mix of both. Builds killed at any
//! moment, two builds at once, leftovers of killed builds and builds that fail while moving
//! files in; real processes, as a user runs them.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::process::{Running, poll};
use common::*;

const NOW: &str = "2020-01-01";

fn build_cmd(site: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_briefing"));
    cmd.args(["build", "--now", NOW])
        .current_dir(site)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

/// The files of the output folder, or None when there is no output folder.
fn tree_or_none(dir: &Path) -> Option<BTreeMap<PathBuf, Vec<u8>>> {
    dir.is_dir().then(|| tree(dir))
}

/// What the state folder beside `site/output` holds, sorted.
fn state_entries(site: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(site.join(".output.briefing"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Between builds the state folder holds its marker, the lock, what the last builds
/// remembered of notes, pages, numbers and the search index (once one has got that far) and
/// nothing of a build.
fn assert_state_at_rest(site: &Path) {
    let mut entries = state_entries(site);
    entries.retain(|e| !["memory", "notes", "bodies", "phones", "index"].contains(&e.as_str()));
    assert_eq!(entries, [".briefing-output", ".gitignore", "lock"]);
}

/// Kills `briefing build` at `kills` moments of a build from one edition of `notes` notes to
/// the other (every note changed): half of them while it moves files into the output folder,
/// a quarter spread over the rendering before, a quarter just after, while it clears up.
/// After each kill the output is the old site or the new one; or else the next command says
/// it finished the interrupted build, and then the output is the new site.
fn kill_builds(notes: usize, kills: usize) {
    let site = fixture("basic");
    let site = site.path();
    let output = site.join("output");
    let journal = site.join(".output.briefing/journal");
    // The two sites, each built into an empty folder: the old one in place, the new one
    // beside it.
    write_notes(site, notes, " Edition: first.");
    build_ok(site, &["--now", NOW]);
    write_notes(site, notes, " Edition: second.");
    build_ok(site, &["--now", NOW, "--output", "fresh"]);
    let trees = [tree(&output), tree(&site.join("fresh"))];
    fs::remove_dir_all(site.join("fresh")).unwrap();
    assert!(trees[0].len() > 4 * notes, "{} files", trees[0].len());

    // One whole build from the old site to the new one, timed: when it writes its journal
    // (it begins to move files in) and how long the journal lives.
    let started = Instant::now();
    let mut child = Running(build_cmd(site).spawn().unwrap());
    let (mut appeared, mut gone) = (None, None);
    while child.0.try_wait().unwrap().is_none() {
        match (appeared, journal.exists()) {
            (None, true) => appeared = Some(started.elapsed()),
            (Some(_), false) if gone.is_none() => gone = Some(started.elapsed()),
            _ => {}
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    assert_same_tree(&tree(&output), &trees[1]);
    let appeared = appeared.expect("the build wrote no journal, or too briefly to be seen");
    let moving = gone.unwrap_or(started.elapsed()) - appeared;
    eprintln!(
        "{notes} notes: the journal of a build is written after {appeared:?} and lives {moving:?}"
    );

    let mut current = 1;
    let mut finished = 0;
    for k in 0..kills {
        let target = 1 - current;
        let edition = ["first", "second"][target];
        write_notes(site, notes, &format!(" Edition: {edition}."));
        let mut child = Running(build_cmd(site).spawn().unwrap());
        let child = &mut child.0;
        let spawned = Instant::now();
        let running = |child: &mut std::process::Child| child.try_wait().unwrap().is_none();
        let wait_for = |child: &mut std::process::Child, exists: bool| {
            while journal.exists() != exists && running(child) {
                std::thread::sleep(Duration::from_micros(200));
            }
        };
        if k % 2 == 1 {
            // While it moves files in: its journal written, at a moment spread over the time
            // the journal lived in the timed build.
            wait_for(child, true);
            let fraction = (k / 2) as f64 / (kills / 2).max(1) as f64;
            std::thread::sleep(moving.mul_f64(fraction * 0.9));
        } else if k % 4 == 2 {
            // Just after, as it clears up.
            wait_for(child, true);
            wait_for(child, false);
        } else {
            // Loading, rendering, writing into the staging folder.
            let quarter = (kills / 4 + 1) as f64;
            std::thread::sleep(appeared.mul_f64((k / 4 + 1) as f64 / quarter));
        }
        child.kill().unwrap();
        let status = child.wait().unwrap();

        let after = tree_or_none(&output);
        // Whatever the moment, a page both versions have is there, in one version or the
        // other: a visitor never gets a 404 for it.
        if let Some(after) = &after {
            for (path, old) in &trees[current] {
                if let Some(new) = trees[target].get(path) {
                    let now = after.get(path);
                    assert!(
                        now == Some(old) || now == Some(new),
                        "kill {k} left {} {}",
                        path.display(),
                        if now.is_none() {
                            "missing"
                        } else {
                            "in neither version"
                        }
                    );
                }
            }
        }
        let clean = [Some(&trees[current]), Some(&trees[target])].contains(&after.as_ref());
        if status.success() {
            assert_same_tree(after.as_ref().unwrap(), &trees[target]);
        }
        // The next command takes the lock and finishes what the killed build began; this one
        // then fails at its own mistake.
        let next = briefing(site, &["build", "--base-url", "not-an-address"]);
        assert_eq!(next.status.code(), Some(1), "{}", stderr(&next));
        let err = stderr(&next);
        let said = err.starts_with("Finished an interrupted build: ");
        assert!(
            clean || said,
            "kill {k} left a mix of old and new, and the next build did not finish it:\n{err}"
        );
        let now = tree(&output);
        if said {
            let first = err.lines().next().unwrap();
            assert!(first.contains(" moved into output/"), "{first}");
            assert_same_tree(&now, &trees[target]);
            finished += 1;
        } else {
            assert_same_tree(&now, after.as_ref().unwrap());
        }
        assert_state_at_rest(site);
        eprintln!(
            "kill {k} after {:?}: {}",
            spawned.elapsed(),
            match (said, now == trees[target]) {
                (true, _) => "finished by the next command",
                (false, true) => "the new site",
                (false, false) => "the old site",
            }
        );
        if now == trees[target] {
            current = target;
        }
    }
    assert!(
        finished > 0,
        "no kill fell while files were moved in: the test missed that phase"
    );
}

#[test]
fn a_build_killed_at_any_moment_leaves_the_old_site_or_the_new() {
    kill_builds(200, 6);
}

#[test]
#[ignore = "1,000 notes killed at 20 moments: minutes of debug builds"]
fn a_build_of_1000_notes_killed_at_any_moment_leaves_the_old_site_or_the_new() {
    kill_builds(1000, 20);
}

/// Holds the lock on the output folder of `site` as a build does, this process's id in it.
fn hold_lock(site: &Path) -> fs::File {
    let mut file = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(site.join(".output.briefing/lock"))
        .unwrap();
    file.lock().unwrap();
    file.set_len(0).unwrap();
    writeln!(file, "{}", std::process::id()).unwrap();
    file
}

fn revise_a_note(site: &Path) {
    let note = site.join("content/briefings/visa.en.md");
    let text = fs::read_to_string(&note).unwrap();
    fs::write(&note, text.replacen("title: ", "title: Revised ", 1)).unwrap();
}

#[test]
fn a_second_build_stops_while_another_holds_the_output_folder() {
    let site = fixture("basic");
    build_ok(site.path(), &[]);
    let output = site.path().join("output");
    let before = tree(&output);
    revise_a_note(site.path());

    let lock = hold_lock(site.path());
    let err = build_fails(site.path(), &[]);
    assert!(
        err.contains(&format!(
            "error: another build (pid {}) is writing output/",
            std::process::id()
        )),
        "{err}"
    );
    assert!(err.contains("the output folder was not changed"), "{err}");
    assert_same_tree(&tree(&output), &before);

    // Once it is let go, the next build goes ahead.
    drop(lock);
    build_ok(site.path(), &[]);
    assert!(
        fs::read_to_string(output.join("en/briefings/visa/index.html"))
            .unwrap()
            .contains("Revised Policy dialogue")
    );
    assert_state_at_rest(site.path());
}

#[test]
fn of_two_builds_at_once_the_second_stops_and_a_killed_ones_lock_is_taken_over() {
    let site = fixture("basic");
    write_notes(site.path(), 100, "");
    let lock = site.path().join(".output.briefing/lock");
    let mut first = Running(build_cmd(site.path()).spawn().unwrap());
    let pid = first.0.id().to_string();
    // The first build holds the lock once its process id is in the lock file.
    assert!(
        poll(Duration::from_secs(60), Duration::from_millis(1), || {
            assert!(
                first.0.try_wait().unwrap().is_none(),
                "the build ended first"
            );
            fs::read_to_string(&lock).is_ok_and(|t| t.trim() == pid)
        }),
        "the first build never took the lock"
    );
    let second = briefing(site.path(), &["build", "--now", NOW]);
    assert_eq!(second.status.code(), Some(1));
    let err = stderr(&second);
    assert!(
        err.contains(&format!(
            "error: another build (pid {pid}) is writing output/"
        )),
        "{err}"
    );
    assert!(
        first.0.try_wait().unwrap().is_none(),
        "the first build ended before the second was refused; the test proves nothing"
    );

    // The first is killed: its lock file stays, naming a process that is gone, and does
    // not stop the next build.
    first.stop();
    assert_eq!(fs::read_to_string(&lock).unwrap().trim(), pid);
    build_ok(site.path(), &["--now", NOW]);
    build_ok(site.path(), &["--now", NOW, "--output", "fresh"]);
    assert_same_tree(
        &tree(&site.path().join("output")),
        &tree(&site.path().join("fresh")),
    );
    assert_state_at_rest(site.path());
}

#[test]
fn what_killed_builds_leave_never_blocks_a_build() {
    let site = fixture("basic");
    let s = site.path();
    build_ok(s, &[]);
    // A staging folder without marker or journal, and files moved aside: a build killed
    // while writing its files.
    write(
        s,
        ".output.briefing/staging/en/half-written.html",
        "<p>half",
    );
    write(s, ".output.briefing/aside/0", "old bytes");
    write(s, ".output.briefing/journal.new", "{\"mode\":");
    // The folders of earlier versions: a staging folder killed before its marker was written
    // (empty), and a previous output with its marker.
    fs::create_dir(s.join(".output.staging")).unwrap();
    write(s, ".output.old/.briefing-output", "briefing's");
    write(s, ".output.old/en/index.html", "old");
    revise_a_note(s);
    let out = briefing(s, &["build"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("interrupted"), "{}", stderr(&out));
    assert!(!s.join(".output.staging").exists());
    assert!(!s.join(".output.old").exists());
    assert_state_at_rest(s);
    build_ok(s, &["--output", "fresh"]);
    assert_same_tree(&tree(&s.join("output")), &tree(&s.join("fresh")));

    // A state folder made just before a build was killed: empty.
    fs::remove_dir_all(s.join(".output.briefing")).unwrap();
    fs::create_dir(s.join(".output.briefing")).unwrap();
    build_ok(s, &[]);
    assert_state_at_rest(s);

    // A journal of a killed build whose output folder was deleted since: nothing to finish.
    write(s, ".output.briefing/staging/index.html", "new");
    write(
        s,
        ".output.briefing/journal",
        r#"{"mode":"in-place","moved":["index.html"],"dropped":[]}"#,
    );
    fs::remove_dir_all(s.join("output")).unwrap();
    let out = briefing(s, &["build"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("interrupted"), "{}", stderr(&out));
    assert_state_at_rest(s);
    assert_same_tree(&tree(&s.join("output")), &tree(&s.join("fresh")));

    // A folder of an earlier version's name holding files without the marker is not
    // briefing's to delete, and does not block either.
    write(s, ".output.staging/notes.txt", "mine");
    build_ok(s, &[]);
    assert_eq!(
        fs::read_to_string(s.join(".output.staging/notes.txt")).unwrap(),
        "mine"
    );
}

#[test]
fn a_folder_of_the_users_where_briefing_keeps_its_state_is_left_alone() {
    let site = fixture("basic");
    let s = site.path();
    write(s, ".output.briefing/notes.txt", "mine");
    let err = build_fails(s, &[]);
    assert!(
        err.contains("error: cannot keep the state of the build in"),
        "{err}"
    );
    assert!(err.contains("was not made by briefing"), "{err}");
    assert_eq!(
        fs::read_to_string(s.join(".output.briefing/notes.txt")).unwrap(),
        "mine"
    );
    assert!(!s.join("output").exists());
}

/// A folder of the output made read-only: the search index cannot be moved in. Every file the
/// build had already moved in is put back; not one byte of the output changes.
#[cfg(unix)]
#[test]
fn a_build_that_cannot_move_a_file_in_leaves_every_byte_as_it_was() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;

    let site = fixture("basic");
    let s = site.path();
    with_search(s);
    // As an ordinary user: root may write into a read-only folder.
    let root = unsafe { libc::geteuid() } == 0;
    const NOBODY: u32 = 65534;
    // A copy of the program the ordinary user may run wherever the build put it.
    let bin = tempfile::tempdir().unwrap();
    let program = bin.path().join("briefing");
    fs::copy(env!("CARGO_BIN_EXE_briefing"), &program).unwrap();
    if root {
        for dir in [s, bin.path()] {
            for entry in walkdir::WalkDir::new(dir) {
                let entry = entry.unwrap();
                std::os::unix::fs::lchown(entry.path(), Some(NOBODY), Some(NOBODY)).unwrap();
            }
        }
    }
    let build = || {
        let mut cmd = Command::new(&program);
        cmd.args(["build", "--now", NOW]).current_dir(s);
        if root {
            cmd.uid(NOBODY).gid(NOBODY);
        }
        cmd.output().unwrap()
    };
    let out = build();
    assert!(out.status.success(), "{}", stderr(&out));
    let output = s.join("output");
    let before = tree(&output);

    // The new title changes the note's page, the listings and the search index.
    revise_a_note(s);
    let search = output.join("en/search");
    fs::set_permissions(&search, fs::Permissions::from_mode(0o555)).unwrap();
    let out = build();
    fs::set_permissions(&search, fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("en/search/"), "{err}");
    assert!(err.contains("Permission denied"), "{err}");
    assert!(
        err.contains("Build failed with 1 error; the output folder was not changed."),
        "{err}"
    );
    assert_same_tree(&tree(&output), &before);
    assert_state_at_rest(s);

    // The folder writable again, the same change goes through.
    let out = build();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        fs::read_to_string(output.join("en/briefings/visa/index.html"))
            .unwrap()
            .contains("Revised Policy dialogue")
    );
    let after = tree(&output);
    assert!(
        before
            .iter()
            .any(|(p, b)| p.starts_with("en/search") && after.get(p) != Some(b)),
        "the change did not reach the search index; the test proves less than it says"
    );
}

/// What `strace` saw the build do to files (renames and removals), in order, one call per
/// entry: its name and the call as printed.
#[cfg(target_os = "linux")]
fn traced_calls(
    site: &Path,
    set: &str,
    extra: &[&str],
) -> (std::process::ExitStatus, Vec<(String, String)>) {
    let log = site.join("..").join(format!(
        "strace-{}.txt",
        site.file_name().unwrap().to_string_lossy()
    ));
    // Without -f: only the main thread, which commits the change, so that an injection's
    // count is that thread's.
    let status = Command::new("strace")
        .args(["-qq", "-o"])
        .arg(&log)
        .args(["-e", &format!("trace={set}")])
        .args(extra)
        .arg(env!("CARGO_BIN_EXE_briefing"))
        .args(["build", "--now", NOW])
        .current_dir(site)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("strace is not installed: apt-get install strace (.ci/run does)");
    let text = fs::read_to_string(&log).unwrap_or_default();
    let _ = fs::remove_file(&log);
    let calls = text
        .lines()
        .filter_map(|line| {
            let (name, _) = line.split_once('(')?;
            Some((name.to_string(), line.to_string()))
        })
        .collect();
    (status, calls)
}

/// A build whose output folder's shape changed replaces the folder whole. Killed at each
/// call by which it changes the output folder (the journal written, the exchange of the
/// staging folder and the output folder, and the clearing up after), the output folder is
/// never absent: it holds the old site or the new one, or the next command finishes the
/// change and it holds the new one. Where the file system cannot exchange two folders, the
/// build still gives the new site.
#[cfg(target_os = "linux")]
#[test]
#[ignore = "needs strace, which .ci/run installs"]
fn a_build_that_replaces_the_whole_output_folder_never_leaves_it_absent() {
    let site = fixture("basic");
    let s = site.path();
    let output = s.join("output");
    write_notes(s, 5, " Edition: first.");
    build_ok(s, &["--now", NOW]);
    // A file where the new site needs a folder: this build cannot move files in one by one.
    fs::remove_dir_all(output.join("en/about")).unwrap();
    fs::write(output.join("en/about"), "a file in the way").unwrap();
    let old = tree(&output);
    let saved = tempfile::tempdir().unwrap();
    copy_tree(&output, saved.path());
    write_notes(s, 5, " Edition: second.");
    build_ok(s, &["--now", NOW, "--output", "fresh"]);
    let new = tree(&s.join("fresh"));
    fs::remove_dir_all(s.join("fresh")).unwrap();
    let reset = || {
        fs::remove_dir_all(&output).unwrap();
        copy_tree(saved.path(), &output);
    };

    let set = "rename,renameat,renameat2,unlink,unlinkat,rmdir";
    let (status, calls) = traced_calls(s, set, &[]);
    assert!(status.success());
    assert_same_tree(&tree(&output), &new);
    let journal = calls
        .iter()
        .position(|(_, call)| call.contains("journal.new"))
        .expect("the build wrote no journal");
    // The last rename puts the new site in place; the kills go up to a few calls after it.
    let last = calls
        .iter()
        .rposition(|(name, _)| name.starts_with("rename"))
        .unwrap();

    let mut finished = 0;
    for at in journal..(last + 4).min(calls.len()) {
        let (name, call) = &calls[at];
        let nth = calls[..=at].iter().filter(|(n, _)| n == name).count();
        reset();
        let (status, _) = traced_calls(
            s,
            name,
            &["-e", &format!("inject={name}:signal=KILL:when={nth}")],
        );
        assert!(!status.success(), "the build was not killed at {call}");
        assert!(output.is_dir(), "killed at {call}: no output folder");
        let after = tree(&output);
        let next = briefing(s, &["build", "--base-url", "not-an-address"]);
        let err = stderr(&next);
        let said = err.starts_with("Finished an interrupted build: ");
        assert!(
            after == old || after == new || said,
            "killed at {call}: a mix of old and new, and the next build did not finish it:\n{err}"
        );
        if said {
            assert_same_tree(&tree(&output), &new);
            finished += 1;
        } else {
            assert_same_tree(&tree(&output), &after);
        }
        assert_state_at_rest(s);
    }
    assert!(
        finished > 0,
        "no kill fell between the exchange and the journal's removal"
    );
    let exchange = calls
        .iter()
        .position(|(_, call)| call.contains("RENAME_EXCHANGE"))
        .unwrap_or_else(|| panic!("the build did not exchange the folders: {calls:#?}"));

    // A file system that cannot exchange two folders: the old site is moved aside first.
    reset();
    let nth = calls[..=exchange]
        .iter()
        .filter(|(n, _)| n == "renameat2")
        .count();
    let (status, calls) = traced_calls(
        s,
        "renameat2",
        &["-e", &format!("inject=renameat2:error=EINVAL:when={nth}")],
    );
    assert!(status.success(), "{calls:#?}");
    assert_same_tree(&tree(&output), &new);
    assert_state_at_rest(s);
}
