//! `briefing deploy` to a folder target over a generated corpus: the first deploy (build
//! included) against `cp -r` of the built output, and deploys after an edit of one note, each
//! against its target. Run with `cargo bench --bench deploy [-- [--check] NOTES]` (default
//! 10000).
//!
//! Targets: a deploy after an edit takes under 5 s, build included, and sends no more files
//! than the edit changed in the output; the first deploy takes at most twice `cp -r`'s time
//! plus one build's; after every deploy the target holds exactly the output's files, each
//! of the same size, beside the deploy record. `--check` judges the counts and sizes, not
//! the times.
//!
//! On a disk, creating tens of thousands of files just after deleting as many takes from one
//! to twenty seconds from run to run (the same `cp -r` included), which hides the difference
//! measured here: `TMPDIR=/dev/shm cargo bench --bench deploy` measures in memory.

#![allow(clippy::print_stdout)] // a benchmark reports on stdout

#[path = "common/corpus.rs"]
mod corpus;
#[path = "common/targets.rs"]
mod targets;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use targets::{Targets, median};

const RUNS: usize = 5;

fn main() {
    let mut targets = Targets::from_args();
    let n = targets::sizes(&[10_000])[0];
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

    // The first deploy, beside its yardsticks in the same conditions: a first build alone,
    // and `cp -r` of what it made. Each three times, medians compared.
    let output = site.join("output");
    let copy_to = dir.path().join("copy");
    let (mut builds, mut firsts, mut copies) = (Vec::new(), Vec::new(), Vec::new());
    let mut out = String::new();
    for _ in 0..3 {
        std::fs::remove_dir_all(&output).ok();
        builds.push(time(Command::new(binary).arg("build").current_dir(&site)).0);
        copies.push(time(Command::new("cp").arg("-r").arg(&output).arg(&copy_to)).0);
        std::fs::remove_dir_all(&copy_to).unwrap();
        std::fs::remove_dir_all(&output).unwrap();
        std::fs::remove_dir_all(&target).unwrap();
        std::fs::create_dir(&target).unwrap();
        let first;
        (first, out) = time(Command::new(binary).arg("deploy").current_dir(&site));
        firsts.push(first);
    }
    let (build, first, copy) = (
        median(&mut builds),
        median(&mut firsts),
        median(&mut copies),
    );
    let mut same_ok = same_files(&site.join("output"), &target);
    println!(
        "{n} notes: first deploy {:.2} s ({}); a first build alone {:.2} s, cp -r of the output {:.2} s (medians of 3)",
        first.as_secs_f64(),
        summary(&out),
        build.as_secs_f64(),
        copy.as_secs_f64(),
    );
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
        same_ok &= same_files(&site.join("output"), &target);
        walls.push(wall);
    }
    let fastest = *walls.iter().min().unwrap();
    let median = median(&mut walls);
    println!(
        "{n} notes: deploy after an edit, median {:.2} s (min {:.2} s): {} (target: under 5 s); files sent: {} (target: at most those changed); the target holds the output's files at their sizes after every deploy: {}; first deploy less a build: {:.1}× cp -r: {} (target: at most 2×)",
        median.as_secs_f64(),
        fastest.as_secs_f64(),
        targets.timing(median < Duration::from_secs(5)),
        targets.judge("files sent at most those changed", sent_ok),
        targets.judge("the target holds the output", same_ok),
        (first.as_secs_f64() - build.as_secs_f64()) / copy.as_secs_f64(),
        targets.timing(first_ok),
    );
    targets.finish();
}

/// Whether `target` holds the files of `output`, each of the same size, and nothing else but
/// the deploy record.
fn same_files(output: &Path, target: &Path) -> bool {
    let sizes = |dir: &Path| -> std::collections::BTreeMap<PathBuf, u64> {
        walkdir::WalkDir::new(dir)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                let rel = e.path().strip_prefix(dir).unwrap().to_path_buf();
                (rel, e.metadata().unwrap().len())
            })
            .filter(|(rel, _)| rel != Path::new(".briefing-output"))
            .filter(|(rel, _)| rel != Path::new(".briefing-deploy.json"))
            .collect()
    };
    sizes(output) == sizes(target)
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
