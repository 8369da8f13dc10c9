//! Full builds over generated corpora: wall time, CPU time, peak memory and pages per second,
//! with and without the search index; and Hugo on the same corpus where `hugo` is installed.
//! Run with `cargo bench --bench build [-- NOTES...]` (default: 1000). `BRIEFING_BENCH_SEARCH=0`
//! leaves out the runs with search (the race against Hugo is on the same page set, without).
//!
//! The corpora come from `../shared/bench/gen_corpus.py` (or `BRIEFING_CORPUS_SCRIPT`).

#![allow(clippy::print_stdout)] // a benchmark reports on stdout

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 5;

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() { vec![1000] } else { sizes };
    let script = std::env::var_os("BRIEFING_CORPUS_SCRIPT")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/gen_corpus.py")
        });
    let hugo = Command::new("hugo")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    println!(
        "{:>6} {:>7} {:>9} {:>9} {:>9} {:>10} {:>9} {:>9}",
        "notes", "search", "wall", "min", "cpu", "peak MiB", "pages/s", "index"
    );
    for n in sizes {
        let dir = tempfile::tempdir().expect("temp dir");
        let format = if hugo { "all" } else { "ours" };
        let status = Command::new("python3")
            .arg(&script)
            .args([&n.to_string(), "--format", format, "--out"])
            .arg(dir.path().join("corpus"))
            .stdout(Stdio::null())
            .status()
            .expect("run the corpus generator");
        assert!(status.success());
        let site = if hugo {
            dir.path().join("corpus/ours")
        } else {
            dir.path().join("corpus")
        };
        let yaml = std::fs::read_to_string(site.join("site.yaml")).unwrap();
        let mut build_median = Duration::ZERO;
        let with_search = std::env::var("BRIEFING_BENCH_SEARCH").map_or(true, |v| v != "0");
        let modes: &[bool] = if with_search {
            &[false, true]
        } else {
            &[false]
        };
        for &search in modes {
            std::fs::write(site.join("site.yaml"), format!("{yaml}search: {search}\n")).unwrap();
            let mut walls = Vec::new();
            let mut cpus = Vec::new();
            let mut peak = 0;
            let mut index = Vec::new();
            let mut pages = 0usize;
            for _ in 0..RUNS {
                let (wall, cpu, rss, stdout) = measure(
                    Command::new(env!("CARGO_BIN_EXE_briefing"))
                        .arg("build")
                        .current_dir(&site),
                );
                walls.push(wall);
                cpus.push(cpu);
                peak = peak.max(rss);
                pages = number_after(&stdout, "Built ").unwrap_or(0.0) as usize;
                if let Some(s) = number_after(&stdout, "search index ") {
                    index.push(Duration::from_secs_f64(s));
                }
            }
            let wall = median(&mut walls);
            if !search {
                build_median = wall;
            }
            let index = if index.is_empty() {
                String::from("-")
            } else {
                format!("{:.2} s", median(&mut index).as_secs_f64())
            };
            println!(
                "{:>6} {:>7} {:>7.2} s {:>7.2} s {:>7.2} s {:>10.0} {:>9.0} {:>9}",
                n,
                search,
                wall.as_secs_f64(),
                walls.iter().min().unwrap().as_secs_f64(),
                median(&mut cpus).as_secs_f64(),
                peak as f64 / 1024.0,
                pages as f64 / wall.as_secs_f64(),
                index
            );
        }
        if hugo {
            let hugo_site = dir.path().join("corpus/hugo");
            let mut walls = Vec::new();
            let mut peak = 0;
            for _ in 0..RUNS {
                let (wall, _, rss, _) = measure(
                    Command::new("hugo")
                        .args(["--quiet", "--destination", "public"])
                        .current_dir(&hugo_site),
                );
                walls.push(wall);
                peak = peak.max(rss);
            }
            let wall = median(&mut walls);
            println!(
                "{n:>6} {:>7} {:>7.2} s  hugo, peak {:.0} MiB; briefing (no search) takes {:.1}% of Hugo's time",
                "hugo",
                wall.as_secs_f64(),
                peak as f64 / 1024.0,
                100.0 * build_median.as_secs_f64() / wall.as_secs_f64()
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

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}
