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

fn main() {
    let mut targets = Targets::from_args();
    let notes = targets::sizes(&[1000])[0];
    let dir = tempfile::tempdir().expect("temp dir");
    let site = dir.path().join("site");
    corpus::generate(notes, "ours", &site);

    let started = Instant::now();
    let server = Server::start(&site, &[]);
    let (status, _, _) = server.get("/en/");
    assert_eq!(status, 200);
    let startup = started.elapsed();

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

    let mut to_event = Vec::new();
    let mut to_page = Vec::new();
    let mut shown = 0;
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
                to_event.push(event);
                to_page.push(saved.elapsed());
                shown += 1;
                break;
            }
        }
    }
    drop(server);

    println!("serve latency, {notes} bilingual notes, {EDITS} edits of one note");
    // The first page within a second at 1,000 notes, three seconds at 10,000.
    let start_target = if notes > 1000 { 3000 } else { 1000 };
    println!(
        "  start → first page served: {} ms (target: under {start_target} ms): {}",
        startup.as_millis(),
        targets.timing(startup < Duration::from_millis(start_target))
    );
    println!(
        "  edits that reached the page: {shown} of {EDITS}: {}",
        targets.judge("every edit reaches the page", shown == EDITS)
    );
    report(&targets, "  saved → reload event sent", &mut to_event, 50);
    report(
        &targets,
        "  saved → page served with the edit",
        &mut to_page,
        100,
    );
    targets.finish();
}

/// The median, minimum and 90th percentile, and whether the median is under `target_ms`.
fn report(targets: &Targets, what: &str, samples: &mut [Duration], target_ms: u64) {
    if samples.is_empty() {
        println!("{what}: no sample");
        return;
    }
    let middle = median(samples);
    println!(
        "{what}: median {:.1} ms, min {:.1} ms, p90 {:.1} ms (target: median under {target_ms} ms): {}",
        ms(middle),
        ms(samples[0]),
        ms(samples[samples.len() * 9 / 10]),
        targets.timing(middle < Duration::from_millis(target_ms))
    );
}
