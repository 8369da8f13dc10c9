//! What readers find, measured against what the notes hold, over a generated corpus, with
//! `briefing search` (the search page's rules): Chinese text of two to four characters taken
//! from the briefings, and English words. Run with
//! `cargo bench --bench search_quality [-- NOTES]` (default 1000).
//!
//! Targets: every briefing that holds a Chinese text is found (no miss), and few that do
//! not; every briefing with an English word is found; showing the first ten results fetches
//! at most 40 KiB gzipped.

#![allow(clippy::print_stdout)] // a benchmark reports on stdout

#[path = "common/corpus.rs"]
mod corpus;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// Queries per language.
const QUERIES: usize = 200;

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1000);
    let dir = tempfile::tempdir().expect("temp dir");
    let site = dir.path().join("corpus");
    corpus::generate(n, "ours", &site);
    let binary = Path::new(env!("CARGO_BIN_EXE_briefing"));
    let built = Command::new(binary)
        .arg("build")
        .current_dir(&site)
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );

    let mut bytes_ok = true;
    let mut misses_ok = true;
    for lang in ["zh", "en"] {
        let dir = site.join(format!("output/{lang}/search"));
        // Each briefing's searchable text, as its pages file holds it.
        let mut docs: Vec<(String, String)> = Vec::new();
        for k in 0.. {
            let Ok(text) = std::fs::read_to_string(dir.join(format!("pages-{k}.json"))) else {
                break;
            };
            let records: serde_json::Value = serde_json::from_str(&text).unwrap();
            for r in records.as_array().unwrap() {
                let text = format!(
                    "{}\n{}",
                    r["title"].as_str().unwrap(),
                    r["text"].as_str().unwrap()
                );
                docs.push((r["url"].as_str().unwrap().to_string(), text.to_lowercase()));
            }
        }
        let queries = sample(&docs, lang);
        let (mut exact, mut missed, mut extra, mut missing_queries) = (0, 0, 0, 0);
        let mut first_ten: Vec<u64> = Vec::new();
        for q in &queries {
            let holding: BTreeSet<&str> = docs
                .iter()
                .filter(|(_, text)| holds(text, q, lang))
                .map(|(url, _)| url.as_str())
                .collect();
            let all = search(binary, &site, lang, q, usize::MAX);
            let found: BTreeSet<&str> = all["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["url"].as_str().unwrap())
                .collect();
            let miss = holding.difference(&found).count();
            missed += miss;
            missing_queries += usize::from(miss > 0);
            extra += found.difference(&holding).count();
            exact += usize::from(found == holding);
            let ten = search(binary, &site, lang, q, 10);
            first_ten.push(
                ten["fetched"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| gzipped(&dir.join(f.as_str().unwrap())))
                    .sum(),
            );
        }
        first_ten.sort_unstable();
        let median = first_ten[first_ten.len() / 2];
        let max = *first_ten.last().unwrap();
        println!(
            "{n} notes, {lang}: {} queries; {exact} find exactly the briefings that hold them; {missing_queries} miss some ({missed} misses in all); {extra} found that do not hold the text (other forms of a word, or the pairs of a Chinese text apart); first ten results fetch a median of {:.1} KiB gzipped, at most {:.1} KiB",
            queries.len(),
            median as f64 / 1024.0,
            max as f64 / 1024.0
        );
        bytes_ok &= max <= 40 * 1024;
        misses_ok &= missed == 0;
    }
    println!(
        "{n} notes: no briefing missed: {}; first ten results at most 40 KiB gzipped: {}",
        verdict(misses_ok),
        verdict(bytes_ok)
    );
}

/// Queries a reader could type, taken from the briefings: Chinese texts of two to four
/// characters, or English words of four letters or more; spread over the corpus, the same
/// at every run.
fn sample(docs: &[(String, String)], lang: &str) -> Vec<String> {
    let mut queries = BTreeSet::new();
    let mut k: usize = 0;
    while queries.len() < QUERIES && k < QUERIES * 50 {
        k += 1;
        let text: Vec<char> = docs[(k * 7919) % docs.len()].1.chars().collect();
        let at = (k * 104_729) % text.len().max(1);
        let q: String = if lang == "zh" {
            let len = 2 + k % 3;
            let q: String = text.iter().skip(at).take(len).collect();
            if q.chars().count() < len || !q.chars().all(is_cjk) {
                continue;
            }
            q
        } else {
            let start = text[..at]
                .iter()
                .rposition(|c| !c.is_alphanumeric())
                .map_or(0, |p| p + 1);
            let q: String = text[start..]
                .iter()
                .take_while(|c| c.is_ascii_alphabetic())
                .collect();
            if q.len() < 4 {
                continue;
            }
            q
        };
        queries.insert(q);
    }
    queries.into_iter().collect()
}

/// Whether a briefing's text holds the query: anywhere for Chinese, as a whole word for
/// English.
fn holds(text: &str, q: &str, lang: &str) -> bool {
    if lang == "zh" {
        return text.contains(q);
    }
    text.match_indices(q).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + q.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF)
}

fn search(binary: &Path, site: &Path, lang: &str, q: &str, limit: usize) -> serde_json::Value {
    let out = Command::new(binary)
        .args(["search", q, "--lang", lang, "--format", "json", "--limit"])
        .arg(limit.to_string())
        .current_dir(site)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The size of a file gzipped as a web server sends it (`gzip -6`).
fn gzipped(path: &Path) -> u64 {
    let out = Command::new("gzip")
        .args(["-6", "-c"])
        .arg(path)
        .output()
        .expect("gzip");
    out.stdout.len() as u64
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "NOT met" }
}
