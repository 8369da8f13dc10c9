//! What readers find, measured against what the notes hold, over a generated corpus, with
//! `briefing search` (the search page's rules): Chinese text of two to four characters taken
//! from the briefings, and English words. Run with
//! `cargo bench --bench search_quality [-- [--check] NOTES]` (default 1000).
//!
//! What a briefing holds is read from its note file, not from the index: the title, the
//! summary and the text of the body (the Markdown read by pulldown-cmark). Queries are taken
//! from the same text.
//!
//! Targets, all judged by `--check`: recall 1 (every briefing that holds a query is found);
//! precision at least 0.95 in Chinese (two-character pairs of a longer text are matched apart)
//! and 0.9 in English (other forms of a word are found too); showing the first ten results
//! fetches at most 40 KiB gzipped.

#![allow(clippy::print_stdout)] // a benchmark reports on stdout

#[path = "common/corpus.rs"]
mod corpus;
#[path = "common/targets.rs"]
mod targets;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use targets::{Targets, median};

/// Queries per language.
const QUERIES: usize = 200;

fn main() {
    let mut targets = Targets::from_args();
    let n = targets::sizes(&[1000])[0];
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

    for lang in ["zh", "en"] {
        let index = site.join(format!("output/{lang}/search"));
        let docs = notes_text(&site, lang);
        assert!(docs.len() == n, "{} notes read of {n}", docs.len());
        let queries = sample(&docs, lang);
        let (mut exact, mut missed, mut extra, mut missing_queries) = (0, 0, 0, 0);
        let (mut right, mut holding_all, mut found_all) = (0, 0, 0);
        let mut first_ten: Vec<u64> = Vec::new();
        for q in &queries {
            let holding: BTreeSet<&str> = docs
                .iter()
                .filter(|(_, text)| holds(text, q, lang))
                .map(|(slug, _)| slug.as_str())
                .collect();
            let all = search(binary, &site, lang, q, usize::MAX);
            let found: BTreeSet<&str> = all["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| slug_of(r["url"].as_str().unwrap()))
                .collect();
            let miss = holding.difference(&found).count();
            missed += miss;
            missing_queries += usize::from(miss > 0);
            extra += found.difference(&holding).count();
            exact += usize::from(found == holding);
            right += holding.intersection(&found).count();
            holding_all += holding.len();
            found_all += found.len();
            let ten = search(binary, &site, lang, q, 10);
            first_ten.push(
                ten["fetched"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| gzipped(&index.join(f.as_str().unwrap())))
                    .sum(),
            );
        }
        let recall = right as f64 / holding_all.max(1) as f64;
        let precision = right as f64 / found_all.max(1) as f64;
        let middle = median(&mut first_ten);
        let max = *first_ten.last().unwrap();
        println!(
            "{n} notes, {lang}: {} queries; {exact} find exactly the briefings that hold them; {missing_queries} miss some ({missed} misses in all); {extra} found that do not hold the text (other forms of a word, or the pairs of a Chinese text apart); first ten results fetch a median of {:.1} KiB gzipped, at most {:.1} KiB",
            queries.len(),
            middle as f64 / 1024.0,
            max as f64 / 1024.0
        );
        let floor = if lang == "zh" { 0.95 } else { 0.9 };
        println!(
            "{n} notes, {lang}: recall {recall:.3} (target: 1): {}; precision {precision:.3} (target: at least {floor}): {}; first ten results at most 40 KiB gzipped: {}",
            targets.judge(&format!("{lang} recall"), missed == 0 && holding_all > 0),
            targets.judge(&format!("{lang} precision"), precision >= floor),
            targets.judge(&format!("{lang} first ten within 40 KiB"), max <= 40 * 1024),
        );
    }
    targets.finish();
}

/// Each briefing of `lang` with what its note file holds, lowercased: the title and the
/// summary from its front matter, and the text of its body, a line for each block. By slug.
fn notes_text(site: &Path, lang: &str) -> Vec<(String, String)> {
    use pulldown_cmark::{Event, Parser, TagEnd};
    let mut docs = Vec::new();
    for entry in std::fs::read_dir(site.join("content/briefings")).unwrap() {
        let folder = entry.unwrap().path();
        let Ok(file) = std::fs::read_to_string(folder.join(format!("index.{lang}.md"))) else {
            continue;
        };
        let rest = file.strip_prefix("---\n").expect("front matter");
        let (yaml, body) = rest.split_once("\n---\n").expect("end of front matter");
        let front: serde_yaml::Value = serde_yaml::from_str(yaml).unwrap();
        let mut text = String::new();
        for key in ["title", "summary"] {
            if let Some(value) = front[key].as_str() {
                text.push_str(value);
                text.push('\n');
            }
        }
        for event in Parser::new(body) {
            match event {
                Event::Text(t) | Event::Code(t) => text.push_str(&t),
                Event::SoftBreak => text.push(' '),
                Event::HardBreak | Event::End(TagEnd::Paragraph | TagEnd::Heading(_)) => {
                    text.push('\n')
                }
                Event::End(TagEnd::Item | TagEnd::TableCell) => text.push('\n'),
                _ => {}
            }
        }
        let slug = folder.file_name().unwrap().to_string_lossy().into_owned();
        docs.push((slug, text.to_lowercase()));
    }
    docs.sort();
    docs
}

/// The slug in a page's address: `…/briefings/<slug>/`.
fn slug_of(url: &str) -> &str {
    url.trim_end_matches('/').rsplit('/').next().unwrap()
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
