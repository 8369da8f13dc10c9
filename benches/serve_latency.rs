//! Serve-mode latency over a generated corpus: from saving a note to the reload event, and to
//! the page served with the edit. Run with `cargo bench --bench serve_latency [-- NOTES]`.
//!
//! The corpus comes from `../shared/bench/gen_corpus.py` (or the script named by
//! `BRIEFING_CORPUS_SCRIPT`); the default is 1,000 bilingual notes.

#![allow(clippy::print_stdout)] // a benchmark reports on stdout

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const EDITS: usize = 31;

fn main() {
    let notes: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1000);
    let script = std::env::var_os("BRIEFING_CORPUS_SCRIPT")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/gen_corpus.py")
        });
    let dir = tempfile::tempdir().expect("temp dir");
    let site = dir.path().join("site");
    let status = Command::new("python3")
        .arg(&script)
        .args([&notes.to_string(), "--format", "ours", "--out"])
        .arg(&site)
        .stdout(Stdio::null())
        .status()
        .expect("run the corpus generator");
    assert!(status.success(), "the corpus generator failed");

    let started = Instant::now();
    let mut server = Server(
        Command::new(env!("CARGO_BIN_EXE_briefing"))
            .args(["serve", "--port", "0"])
            .current_dir(&site)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start briefing serve"),
    );
    let mut lines = BufReader::new(server.0.stdout.take().unwrap()).lines();
    let port: u16 = loop {
        let line = lines.next().expect("serve output").expect("serve output");
        if let Some(rest) = line.split("Serving the site at http://127.0.0.1:").nth(1) {
            break rest.split('/').next().unwrap().parse().unwrap();
        }
    };
    let (status, _) = get(port, "/en/");
    assert_eq!(status, 200);
    let startup = started.elapsed();

    // The note to edit: the first English note of the corpus.
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

    let mut events = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        events,
        "GET /__briefing/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    )
    .unwrap();
    events
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut pending = Vec::new();
    read_until(&mut events, &mut pending, "text/event-stream");

    let mut to_event = Vec::new();
    let mut to_page = Vec::new();
    for n in 0..EDITS {
        let marker = format!("Edit number {n} of the benchmark.");
        let text = format!("{original}\n{marker}\n");
        let saved = Instant::now();
        std::fs::write(&note, text).unwrap();
        // A write can reach the watcher as two changes (the file emptied, then filled), each
        // with its reload: the edit has arrived with the first reload whose page shows it.
        let mut attempts = 0;
        loop {
            read_until(&mut events, &mut pending, "event: reload");
            let event = saved.elapsed();
            let (status, body) = get(port, &format!("/en/briefings/{slug}/"));
            assert_eq!(status, 200);
            if body.contains(&marker) {
                to_event.push(event);
                to_page.push(saved.elapsed());
                break;
            }
            attempts += 1;
            assert!(attempts < 5, "the page does not show edit {n}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(server);

    println!("serve latency, {notes} bilingual notes, {EDITS} edits of one note");
    println!(
        "  start → first page served: {} ms (target: under 1,000 ms): {}",
        startup.as_millis(),
        verdict(startup < Duration::from_secs(1))
    );
    report("  saved → reload event sent", &mut to_event, 50);
    report("  saved → page served with the edit", &mut to_page, 100);
}

/// The server, stopped when dropped, also when the benchmark fails.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "NOT met" }
}

/// The median, minimum and 90th percentile, and whether the median is under `target_ms`.
fn report(what: &str, samples: &mut [Duration], target_ms: u64) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let median = samples[samples.len() / 2];
    println!(
        "{what}: median {:.1} ms, min {:.1} ms, p90 {:.1} ms (target: median under {target_ms} ms): {}",
        ms(median),
        ms(samples[0]),
        ms(samples[samples.len() * 9 / 10]),
        verdict(median < Duration::from_millis(target_ms))
    );
}

/// Reads the stream until `text`, keeping what came after it for the next call.
fn read_until(stream: &mut TcpStream, pending: &mut Vec<u8>, text: &str) {
    let mut buf = [0u8; 4096];
    loop {
        if let Some(at) = pending
            .windows(text.len())
            .position(|w| w == text.as_bytes())
        {
            pending.drain(..at + text.len());
            return;
        }
        let n = stream.read(&mut buf).expect("read the event stream");
        assert!(n > 0, "the event stream closed");
        pending.extend_from_slice(&buf[..n]);
    }
}

fn get(port: u16, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    (
        head.split(' ').nth(1).unwrap().parse().unwrap(),
        body.to_string(),
    )
}
