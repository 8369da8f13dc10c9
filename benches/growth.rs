//! Time in proportion to the size of the input: `briefing check` over one note of the
//! fixture site grown to a quarter, a half and a whole megabyte in each of the ways that used
//! to take quadratic time (a long list of tags, thousands of unknown keys, thousands of equal
//! headings, one long paragraph, deep brackets). Run with
//! `cargo bench --bench growth [-- [--check]]`.
//!
//! Each time is the median of five runs of the whole check. Target: what the note adds to
//! the check of the site without it, at a whole megabyte, is at most three times what it adds
//! at half a megabyte (linear growth doubles it; quadratic growth would multiply it by four);
//! a note that adds less than 30 ms at a megabyte is too fast to tell, and meets it. A time, so
//! `--check` does not judge it; it judges that each input is read to the end (the check names
//! the note, or passes it).

#![allow(clippy::print_stdout)] // a benchmark reports on stdout

#[path = "common/targets.rs"]
mod targets;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use targets::{Targets, copy_tree, median};

const RUNS: usize = 5;
const SIZES: [usize; 3] = [256 * 1024, 512 * 1024, 1024 * 1024];

/// A note whose front matter and text grow: `(front matter lines, body)` of about `bytes`.
type Grow = fn(usize) -> (String, String);

fn main() {
    let mut targets = Targets::from_args();
    let dir = tempfile::tempdir().expect("temp dir");
    let site = dir.path();
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/basic"),
        site,
    );
    let note = site.join("content/briefings/grown.en.md");
    let base = check(site).0;
    let inputs: [(&str, Grow); 6] = [
        ("tags in a flow list", |n| {
            let tags: Vec<String> = (0..n / 8).map(|i| format!("t{i}")).collect();
            (format!("tags: [{}]\n", tags.join(", ")), "Text.\n".into())
        }),
        ("tags in a block list", |n| {
            let tags: String = (0..n / 9).map(|i| format!("  - t{i}\n")).collect();
            (format!("tags:\n{tags}"), "Text.\n".into())
        }),
        ("unknown keys", |n| {
            let keys: String = (0..n / 14).map(|i| format!("unknown{i}: x\n")).collect();
            (keys, "Text.\n".into())
        }),
        ("equal headings", |n| {
            (String::new(), "## Same\n\n".repeat(n / 9))
        }),
        ("one paragraph", |n| (String::new(), "word ".repeat(n / 5))),
        ("open brackets", |n| (String::new(), "[".repeat(n))),
    ];
    println!(
        "briefing check over the fixture site with one note grown to {} KiB, {} KiB and {} KiB (medians of {RUNS}; {:.0} ms without it)",
        SIZES[0] / 1024,
        SIZES[1] / 1024,
        SIZES[2] / 1024,
        base.as_secs_f64() * 1e3
    );
    for (name, grow) in inputs {
        let mut times = Vec::new();
        let mut read = true;
        for size in SIZES {
            let (front, body) = grow(size);
            std::fs::write(
                &note,
                format!("---\ntitle: Grown\ndate: 2016-01-01\n{front}---\n\n{body}"),
            )
            .unwrap();
            let (took, said) = check(site);
            // Read to the end: the check passed the note, or named it in an error.
            read &= said.0 == Some(0) || said.1.contains("grown.en.md");
            times.push(took);
        }
        let ms: Vec<String> = times
            .iter()
            .map(|t| format!("{:.0} ms", t.as_secs_f64() * 1e3))
            .collect();
        let half = times[1].saturating_sub(base).as_secs_f64();
        let whole = times[2].saturating_sub(base).as_secs_f64();
        let ratio = whole / half.max(1e-3);
        let ok = whole < 0.030 || ratio <= 3.0;
        println!(
            "  {name:<22} {}: at 1 MiB the note adds {:.0} ms, {ratio:.1}× what it adds at 512 KiB (target: at most 3×, or under 30 ms): {}; read to the end: {}",
            ms.join(", "),
            whole * 1e3,
            targets.timing(ok),
            targets.judge(&format!("{name} read to the end"), read),
        );
    }
    let _ = std::fs::remove_file(&note);
    targets.finish();
}

/// `briefing check` over `site`, RUNS times: the median time, and the last run's exit code
/// and output.
fn check(site: &Path) -> (Duration, (Option<i32>, String)) {
    let mut times = Vec::new();
    let mut said = (None, String::new());
    for _ in 0..RUNS {
        let started = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_briefing"))
            .arg("check")
            .current_dir(site)
            .output()
            .expect("run briefing");
        times.push(started.elapsed());
        said = (
            out.status.code(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        );
    }
    (median(&mut times), said)
}
