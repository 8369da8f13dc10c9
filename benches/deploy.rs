//! `briefing deploy` to a folder target over a generated corpus: the first deploy (build
//! included) against `cp -r` of the built output, and deploys after an edit of one note, each
//! against its target. Run with `cargo bench --bench deploy [-- NOTES]` (default 10000).
//!
//! Targets: a deploy after an edit takes under 5 s, build included, and sends no more files
//! than the edit changed in the output; the first deploy takes at most twice `cp -r`'s time
//! plus one build's.

#![allow(clippy::print_stdout)] // a benchmark reports on stdout

#[path = "common/corpus.rs"]
mod corpus;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const RUNS: usize = 5;

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(10_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let site = dir.path().join("corpus");
    corpus::generate(n, "ours", &site);
    let target = dir.path().join("www");
    std::fs::create_dir(&target).unwrap();
    let yaml = std::fs::read_to_string(site.join("site.yaml")).unwrap();
    std::fs::write(
        site.join("site.yaml"),
        format!(
            "{yaml}search: false\ndeploy:\n  share:\n    url: file://{}\n",
            target.display()
        ),
    )
    .unwrap();
    let mut notes: Vec<PathBuf> = std::fs::read_dir(site.join("content/briefings"))
        .unwrap()
        .map(|e| e.unwrap().path().join("index.en.md"))
        .collect();
    notes.sort();
    let newest = notes.pop().expect("a note");
    let binary = Path::new(env!("CARGO_BIN_EXE_briefing"));

    // A build alone, then `cp -r` of what it made: the yardsticks of the first deploy.
    let build = time(Command::new(binary).arg("build").current_dir(&site)).0;
    let copy_to = dir.path().join("copy");
    let copy = time(
        Command::new("cp")
            .arg("-r")
            .arg(site.join("output"))
            .arg(&copy_to),
    )
    .0;
    std::fs::remove_dir_all(&copy_to).unwrap();
    std::fs::remove_dir_all(site.join("output")).unwrap();

    let (first, out) = time(Command::new(binary).arg("deploy").current_dir(&site));
    // Creating files on this kind of disk slows down after many deletions (ext4 looks for
    // recently deleted inodes): `cp -r` again after the deploy, in the same conditions, and
    // the mean of the two copies is the yardstick.
    let copy_after = time(
        Command::new("cp")
            .arg("-r")
            .arg(site.join("output"))
            .arg(&copy_to),
    )
    .0;
    std::fs::remove_dir_all(&copy_to).unwrap();
    println!(
        "{n} notes: first deploy {:.2} s ({}); build alone {:.2} s, cp -r of the output {:.2} s before and {:.2} s after",
        first.as_secs_f64(),
        summary(&out),
        build.as_secs_f64(),
        copy.as_secs_f64(),
        copy_after.as_secs_f64()
    );
    let copy = (copy + copy_after) / 2;
    let first_ok = first <= copy * 2 + build;

    let mut walls = Vec::new();
    let mut sent_ok = true;
    for run in 0..RUNS {
        let text = std::fs::read_to_string(&newest).unwrap();
        std::fs::write(
            &newest,
            format!("{text}\nA sentence added before deploy {run}.\n"),
        )
        .unwrap();
        let before = snapshot(&site.join("output"));
        let (wall, out) = time(Command::new(binary).arg("deploy").current_dir(&site));
        let after = snapshot(&site.join("output"));
        let changed = after
            .iter()
            .filter(|(p, h)| before.get(*p) != Some(*h))
            .count();
        let sent = sent_count(&out);
        println!(
            "  deploy after an edit: {:.2} s, {sent} sent, {changed} changed in the output ({})",
            wall.as_secs_f64(),
            summary(&out)
        );
        sent_ok &= sent <= changed;
        walls.push(wall);
    }
    walls.sort();
    let median = walls[RUNS / 2];
    println!(
        "{n} notes: deploy after an edit, median {:.2} s (min {:.2} s): {} (target: under 5 s); files sent: {} (target: at most those changed); first deploy {:.1}× cp -r plus a build: {} (target: at most 2×)",
        median.as_secs_f64(),
        walls[0].as_secs_f64(),
        verdict(median < Duration::from_secs(5)),
        verdict(sent_ok),
        (first.as_secs_f64() - build.as_secs_f64()) / copy.as_secs_f64(),
        verdict(first_ok),
    );
}

fn time(cmd: &mut Command) -> (Duration, String) {
    let started = Instant::now();
    let out = cmd.output().expect("run");
    let took = started.elapsed();
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (took, String::from_utf8_lossy(&out.stdout).into_owned())
}

fn summary(out: &str) -> String {
    out.lines()
        .find(|l| l.starts_with("Deployed to"))
        .map(|l| l.split_once(": ").map_or(l, |(_, r)| r).to_string())
        .unwrap_or_default()
}

fn sent_count(out: &str) -> usize {
    summary(out)
        .split(" sent")
        .next()
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(usize::MAX)
}

/// Each file of a folder with its size and modification time: what changed between two
/// builds, which rewrite only the files whose content changed.
fn snapshot(dir: &Path) -> std::collections::HashMap<PathBuf, (u64, std::time::SystemTime)> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let m = e.metadata().unwrap();
            (e.path().to_path_buf(), (m.len(), m.modified().unwrap()))
        })
        .collect()
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "NOT met" }
}
