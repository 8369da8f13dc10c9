//! Full builds over generated corpora: wall time, CPU time, peak memory and pages per second,
//! with and without the search index; and Hugo on the same corpus where `hugo` is installed.
//! Run with `cargo bench --bench build [-- NOTES...]` (default: 1000 10000). Each size builds
//! without and with the search index; `BRIEFING_BENCH_SEARCH=0` leaves search out (the race
//! against Hugo is on the same page set, without search). Each build runs three times into a
//! new, empty folder (the first column is the median: how fast a file system creates files
//! swings with what was deleted on it in the minutes before), then five times over the last
//! of those, each time after adding a sentence to the newest note, as a writer rebuilds. The
//! files column counts the files a first build wrote.
//!
//! The corpora come from `../shared/bench/gen_corpus.py` (or `BRIEFING_CORPUS_SCRIPT`).

#![allow(clippy::print_stdout)] // a benchmark reports on stdout

#[path = "common/corpus.rs"]
mod corpus;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 5;

/// First builds, each into a new folder.
const FIRSTS: usize = 3;

/// What one mode (briefing with or without search, or Hugo) measured at one corpus size.
struct Measured {
    /// The median of the first builds.
    first: Duration,
    firsts: Vec<Duration>,
    median: Duration,
    min: Duration,
    cpu: Duration,
    peak_kib: i64,
    pages: usize,
    index: Option<Duration>,
    first_index: Option<Duration>,
    /// Files a first build wrote, as the build reports them (none for Hugo).
    files: Option<usize>,
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![1000, 10000]
    } else {
        sizes
    };
    let hugo = Command::new("hugo")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    let search_runs = std::env::var("BRIEFING_BENCH_SEARCH").map_or(true, |v| v != "0");
    println!(
        "{FIRSTS} first builds, each into a new folder (their median), then {RUNS} rebuilds, each after an edit of the newest note"
    );
    println!(
        "{:>6} {:>7} {:>9} {:>9} {:>9} {:>9} {:>10} {:>9} {:>9} {:>8}",
        "notes", "build", "first", "median", "min", "cpu", "peak MiB", "pages/s", "index", "files"
    );
    let mut races: Vec<(usize, Measured, Option<Measured>)> = Vec::new();
    // Each size's corpus and outputs stay until the end: deleting them would slow the file
    // creations of the next size's first builds.
    let mut done = Vec::new();
    for &n in &sizes {
        let dir = tempfile::tempdir().expect("temp dir");
        let format = if hugo { "all" } else { "ours" };
        corpus::generate(n, format, &dir.path().join("corpus"));
        let site = if hugo {
            dir.path().join("corpus/ours")
        } else {
            dir.path().join("corpus")
        };
        let yaml = std::fs::read_to_string(site.join("site.yaml")).unwrap();
        // The note a writer edits between rebuilds: the newest.
        let mut notes: Vec<PathBuf> = std::fs::read_dir(site.join("content/briefings"))
            .unwrap()
            .map(|e| e.unwrap().path().join("index.en.md"))
            .collect();
        notes.sort();
        let newest = notes.pop().expect("a note");
        let modes: &[bool] = if search_runs {
            &[false, true]
        } else {
            &[false]
        };
        let mut plain: Option<Measured> = None;
        for &search in modes {
            std::fs::write(site.join("site.yaml"), format!("{yaml}search: {search}\n")).unwrap();
            // Each mode has an output folder of its own, new at its first build (deleting one
            // would slow the next file creations on some file systems).
            let output = if search { "output-search" } else { "output" };
            let m = runs(
                &|out| {
                    let mut c = Command::new(env!("CARGO_BIN_EXE_briefing"));
                    c.args(["build", "--output", out]).current_dir(&site);
                    c
                },
                output,
                Some(&newest),
            );
            print_row(n, if search { "search" } else { "plain" }, &m);
            if search && let Some(plain) = &plain {
                let first = m.first.as_secs_f64() / plain.first.as_secs_f64();
                let edit = m.median.as_secs_f64() / plain.median.as_secs_f64();
                println!(
                    "{n:>6} {:>7} with search a first build takes {first:.1}× one without (indexing {:.2} s): {}; a rebuild after an edit {edit:.1}× (indexing {:.2} s): {} (target: at most 1.5×)",
                    "",
                    m.first_index.unwrap_or_default().as_secs_f64(),
                    verdict(first <= 1.5),
                    m.index.unwrap_or_default().as_secs_f64(),
                    verdict(edit <= 1.5),
                );
            }
            if !search {
                plain = Some(m);
            }
        }
        let hugo_run = hugo.then(|| {
            let m = runs(
                &|out| {
                    let mut c = Command::new("hugo");
                    c.args(["--quiet", "--destination", out])
                        .current_dir(dir.path().join("corpus/hugo"));
                    c
                },
                "public",
                None,
            );
            print_row(n, "hugo", &m);
            let ours = plain.as_ref().unwrap();
            println!(
                "{n:>6} {:>7} briefing takes {:.1}% of Hugo's time (first build {:.1}%) and {:.1}% of its peak memory",
                "",
                100.0 * ours.median.as_secs_f64() / m.median.as_secs_f64(),
                100.0 * ours.first.as_secs_f64() / m.first.as_secs_f64(),
                100.0 * ours.peak_kib as f64 / m.peak_kib as f64,
            );
            m
        });
        races.push((n, plain.unwrap(), hugo_run));
        done.push(dir);
    }
    report_targets(&races);
}

/// FIRSTS first builds, each into a new folder named after `output`, then RUNS rebuilds of the
/// last, each after an edit of `edit` when given (a sentence added, as a writer would). `cmd`
/// gives the command that builds into a folder.
fn runs(cmd: &dyn Fn(&str) -> Command, output: &str, edit: Option<&Path>) -> Measured {
    let mut firsts = Vec::new();
    let mut first_peak = 0;
    let mut first_out = String::new();
    for k in 1..=FIRSTS {
        let (wall, _, peak, out) = measure(&mut cmd(&format!("{output}-{k}")));
        firsts.push(wall);
        first_peak = first_peak.max(peak);
        first_out = out;
    }
    let mut cmd = cmd(&format!("{output}-{FIRSTS}"));
    let mut walls = Vec::new();
    let mut cpus = Vec::new();
    let mut peak = first_peak;
    let mut index = Vec::new();
    let mut pages = 0usize;
    for run in 0..RUNS {
        if let Some(note) = edit {
            let text = std::fs::read_to_string(note).unwrap();
            std::fs::write(
                note,
                format!("{text}\nA sentence added before rebuild {run}.\n"),
            )
            .unwrap();
        }
        let (wall, cpu, rss, stdout) = measure(&mut cmd);
        walls.push(wall);
        cpus.push(cpu);
        peak = peak.max(rss);
        pages = number_after(&stdout, "Built ").unwrap_or(0.0) as usize;
        if let Some(s) = number_after(&stdout, "search index ") {
            index.push(Duration::from_secs_f64(s));
        }
    }
    Measured {
        first: median(&mut firsts.clone()),
        firsts,
        median: median(&mut walls),
        min: *walls.iter().min().unwrap(),
        cpu: median(&mut cpus),
        peak_kib: peak,
        pages,
        index: (!index.is_empty()).then(|| median(&mut index)),
        first_index: number_after(&first_out, "search index ").map(Duration::from_secs_f64),
        files: number_before(&first_out, " files in all").map(|n| n as usize),
    }
}

fn print_row(n: usize, what: &str, m: &Measured) {
    let s = |d: Duration| format!("{:.2} s", d.as_secs_f64());
    println!(
        "{:>6} {:>7} {:>9} {:>9} {:>9} {:>9} {:>10.0} {:>9} {:>9} {:>8}",
        n,
        what,
        s(m.first),
        s(m.median),
        s(m.min),
        s(m.cpu),
        m.peak_kib as f64 / 1024.0,
        if m.pages > 0 {
            format!("{:.0}", m.pages as f64 / m.median.as_secs_f64())
        } else {
            "-".into()
        },
        m.index.map_or("-".into(), s),
        m.files.map_or("-".into(), |f| f.to_string())
    );
    let firsts: Vec<String> = m.firsts.iter().map(|&d| s(d)).collect();
    println!("{n:>6} {what:>7} first builds: {}", firsts.join(", "));
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "NOT met" }
}

/// The targets of the speed work, met or not, from the smallest and the largest corpus.
fn report_targets(races: &[(usize, Measured, Option<Measured>)]) {
    if let (Some((n1, small, _)), Some((n2, large, hugo))) = (races.first(), races.last())
        && n2 > n1
    {
        let notes = *n2 as f64 / *n1 as f64;
        let time = large.median.as_secs_f64() / small.median.as_secs_f64();
        let memory = large.peak_kib as f64 / small.peak_kib as f64;
        let limit = notes * 1.1;
        println!(
            "growth {n1} → {n2} notes ({notes:.0}×): time {time:.1}×, memory {memory:.1}× (target: at most {limit:.0}×): {}",
            verdict(time <= limit && memory <= limit)
        );
        if let Some(hugo) = hugo {
            let t = large.median.as_secs_f64() / hugo.median.as_secs_f64();
            let first = large.first.as_secs_f64() / hugo.first.as_secs_f64();
            let m = large.peak_kib as f64 / hugo.peak_kib as f64;
            println!(
                "at {n2} notes: a rebuild {:.1}% of Hugo's time (target: at most 10%): {}; a first build {:.1}% (target: at most 10%): {}; {:.1}% of its peak memory (target: at most 25%): {}",
                100.0 * t,
                verdict(t <= 0.10),
                100.0 * first,
                verdict(first <= 0.10),
                100.0 * m,
                verdict(m <= 0.25)
            );
        }
    }
}

/// Runs a command: (wall time, CPU time, peak resident KiB, stdout). CPU time and the peak are
/// the kernel's accounting for this child alone (wait4).
#[allow(clippy::zombie_processes)] // the child is reaped by wait4, which clippy does not see
fn measure(cmd: &mut Command) -> (Duration, Duration, i64, String) {
    use std::io::Read;
    use std::os::unix::process::ExitStatusExt;
    let started = Instant::now();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the build");
    let mut err_pipe = child.stderr.take().unwrap();
    let errors = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err_pipe.read_to_string(&mut s);
        s
    });
    let mut stdout = String::new();
    let _ = child.stdout.take().unwrap().read_to_string(&mut stdout);
    let mut status = 0;
    // SAFETY: wait4 reaps our own child and fills the two values it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    let stderr = errors.join().unwrap_or_default();
    assert!(
        std::process::ExitStatus::from_raw(status).success(),
        "{stderr}"
    );
    let t = |tv: libc::timeval| {
        Duration::from_secs(tv.tv_sec as u64) + Duration::from_micros(tv.tv_usec as u64)
    };
    (
        wall,
        t(usage.ru_utime) + t(usage.ru_stime),
        usage.ru_maxrss,
        stdout,
    )
}

fn number_after(text: &str, marker: &str) -> Option<f64> {
    let rest = &text[text.find(marker)? + marker.len()..];
    let end = rest
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

/// The number just before `marker` in `text`.
fn number_before(text: &str, marker: &str) -> Option<f64> {
    let head = &text[..text.find(marker)?];
    let start = head
        .rfind(|c: char| !c.is_ascii_digit() && c != '.')
        .map_or(0, |i| i + 1);
    head[start..].parse().ok()
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}
