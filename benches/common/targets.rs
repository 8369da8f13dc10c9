//! What every benchmark shares: the sizes it is given, medians, and its targets, each met or
//! not. With `--check`, a benchmark exits non-zero when a target it judges is missed: those
//! of counts, bytes, precision and recall. A target of time is printed with its verdict but
//! never judged, since at the small sizes CI runs, timings are noise.

#![allow(dead_code)] // each benchmark uses part of it

use std::time::Duration;

/// The targets of one benchmark run, and whether it runs with `--check`.
pub struct Targets {
    check: bool,
    missed: Vec<String>,
    judged: usize,
}

impl Targets {
    /// From the command line: `--check` anywhere among the arguments.
    pub fn from_args() -> Targets {
        Targets {
            check: std::env::args().any(|a| a == "--check"),
            missed: Vec::new(),
            judged: 0,
        }
    }

    /// A target of counts, bytes, precision or recall: its verdict, and in `--check` mode a
    /// miss fails the run.
    pub fn judge(&mut self, what: &str, ok: bool) -> &'static str {
        self.judged += 1;
        if !ok {
            self.missed.push(what.to_string());
        }
        verdict(ok)
    }

    /// A target of time: its verdict only.
    pub fn timing(&self, ok: bool) -> &'static str {
        verdict(ok)
    }

    /// Ends the run: in `--check` mode, says how the judged targets went and exits 1 when one
    /// was missed.
    pub fn finish(self) {
        if !self.check {
            return;
        }
        if self.judged == 0 {
            eprintln!("--check: this run judged no target");
            std::process::exit(1);
        }
        if self.missed.is_empty() {
            println!(
                "--check: {} judged target{} met (times are not judged)",
                self.judged,
                if self.judged == 1 { "" } else { "s" }
            );
        } else {
            eprintln!(
                "--check: {} of {} judged targets NOT met: {}",
                self.missed.len(),
                self.judged,
                self.missed.join("; ")
            );
            std::process::exit(1);
        }
    }
}

pub fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "NOT met" }
}

/// The numbers among the arguments (corpus sizes), or `default` when there are none.
pub fn sizes(default: &[usize]) -> Vec<usize> {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    if sizes.is_empty() {
        default.to_vec()
    } else {
        sizes
    }
}

/// The median of `v` (the upper one of an even count).
pub fn median<T: Ord + Copy>(v: &mut [T]) -> T {
    v.sort();
    v[v.len() / 2]
}

/// Milliseconds, for printing.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Copies the folder `from` with all it holds to `to`.
pub fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
