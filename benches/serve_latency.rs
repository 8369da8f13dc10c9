//! Serve-mode latency over a generated corpus: from saving a note to the reload event, and to
//! the page served with the edit. Run with
//! `cargo bench --bench serve_latency [-- [--check] NOTES]`. Before each save the reload
//! stream is read until it is quiet, so that a late event of the previous save is not taken
//! for this one's. `--check` judges that every edit reached the page; times are not judged.
//!
//! The corpus comes from `../shared/bench/gen_corpus.py` (or the script named by
//! `BRIEFING_CORPUS_SCRIPT`); the default is 1,000 bilingual notes.

#![allow(clippy::print_stdout)] // a benchmark reports on stdout

#[path = "common/corpus.rs"]
mod corpus;
#[path = "common/targets.rs"]
mod targets;

/// The tests' running server, started and read the same way here.
#[path = "../tests/common/server.rs"]
#[allow(dead_code)]
mod server;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use server::Server;
use targets::{Targets, median, ms};

const EDITS: usize = 31;
/// How many times the server is started, for the median time to its first page.
const STARTS: usize = 3;

fn main() {
    let mut targets = Targets::from_args();
    let mut medians = Vec::new();
    for notes in targets::sizes(&[1000]) {
        let run = measure(notes);
        medians.push((notes, run.report(&mut targets)));
    }
    // The cost of a save follows the edit, not the site: at the largest size at most 1.5×
    // the smallest's.
    if let (Some(&(small, a)), Some(&(large, b))) = (medians.first(), medians.last())
        && large > small
    {
        let ratio = ms(b) / ms(a);
        println!(
            "saved → page with the edit, {large} notes / {small} notes: {ratio:.2}× (target: at most 1.5×): {}",
            targets.timing(ratio <= 1.5)
        );
    }
    targets.finish();
}

/// What one size measured.
struct Run {
    notes: usize,
    startup: Duration,
    shown: usize,
    to_event: Vec<Duration>,
    to_page: Vec<Duration>,
}

/// Starts the preview over `notes` generated notes and saves one of them [`EDITS`] times.
fn measure(notes: usize) -> Run {
    let dir = tempfile::tempdir().expect("temp dir");
    let site = dir.path().join("site");
    corpus::generate(notes, "ours", &site);

    // The files just generated are written out to disk first, not while the server reads
    // them; then the server is started STARTS times (the median), the last one kept.
    unsafe { libc::sync() };
    let mut starts = Vec::new();
    let mut server: Option<Server> = None;
    for _ in 0..STARTS {
        drop(server.take());
        let started = Instant::now();
        let running = Server::start(&site, &[]);
        let (status, _, _) = running.get("/en/");
        assert_eq!(status, 200);
        starts.push(started.elapsed());
        server = Some(running);
    }
    let server = server.expect("a server");
    let startup = median(&mut starts);

    // The note to edit: the English version of the middle note of the corpus.
    let briefings = site.join("content/briefings");
    let mut folders: Vec<PathBuf> = std::fs::read_dir(&briefings)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    folders.sort();
    let note = folders[folders.len() / 2].join("index.en.md");
    let slug = folders[folders.len() / 2]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let original = std::fs::read_to_string(&note).unwrap();

    let mut events = server.events();
    let mut run = Run {
        notes,
        startup,
        shown: 0,
        to_event: Vec::new(),
        to_page: Vec::new(),
    };
    for n in 0..EDITS {
        // Whatever the previous save still sends arrives before this one is made.
        events.drain(Duration::from_millis(300));
        let marker = format!("Edit number {n} of the benchmark.");
        let text = format!("{original}\n{marker}\n");
        let saved = Instant::now();
        std::fs::write(&note, text).unwrap();
        // A write can reach the watcher as two changes (the file emptied, then filled), each
        // with its reload: the edit has arrived with the first reload whose page shows it.
        for _ in 0..5 {
            events.wait_for("event: reload");
            let event = saved.elapsed();
            let (status, _, body) = server.get(&format!("/en/briefings/{slug}/"));
            assert_eq!(status, 200);
            if body.contains(&marker) {
                run.to_event.push(event);
                run.to_page.push(saved.elapsed());
                run.shown += 1;
                break;
            }
        }
    }
    run
}

impl Run {
    /// Prints the run against the targets; gives the median of save → page.
    fn report(mut self, targets: &mut Targets) -> Duration {
        let notes = self.notes;
        println!("serve latency, {notes} bilingual notes, {EDITS} edits of one note");
        println!(
            "  start → first page served, median of {STARTS} starts: {} ms (target: under 1000 ms): {}",
            self.startup.as_millis(),
            targets.timing(self.startup < Duration::from_millis(1000))
        );
        println!(
            "  edits that reached the page: {} of {EDITS}: {}",
            self.shown,
            targets.judge("every edit reaches the page", self.shown == EDITS)
        );
        report(
            targets,
            "  saved → reload event sent",
            &mut self.to_event,
            30,
            50,
        );
        report(
            targets,
            "  saved → page served with the edit",
            &mut self.to_page,
            30,
            50,
        )
    }
}

/// The median, minimum and 90th percentile, against targets for the median and the 90th
/// percentile; gives the median.
fn report(
    targets: &Targets,
    what: &str,
    samples: &mut [Duration],
    median_ms: u64,
    p90_ms: u64,
) -> Duration {
    if samples.is_empty() {
        println!("{what}: no sample");
        return Duration::ZERO;
    }
    let middle = median(samples);
    let p90 = samples[samples.len() * 9 / 10];
    println!(
        "{what}: median {:.1} ms, min {:.1} ms, p90 {:.1} ms (targets: median under {median_ms} ms, p90 under {p90_ms} ms): {}",
        ms(middle),
        ms(samples[0]),
        ms(p90),
        targets.timing(
            middle < Duration::from_millis(median_ms) && p90 < Duration::from_millis(p90_ms)
        )
    );
    middle
}
