//! Helpers for the integration tests: fixture sites copied into temporary folders, the real
//! `briefing` binary, and parsed HTML.
#![allow(dead_code)]

pub mod deploying;
pub mod photos;
pub mod process;
pub mod server;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use scraper::{Html, Selector};
use tempfile::TempDir;

/// A fixture site under tests/fixtures, copied into a fresh temporary folder.
pub fn fixture(name: &str) -> TempDir {
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let dir = tempfile::tempdir().expect("temp dir");
    copy_tree(&source, dir.path());
    dir
}

pub fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.expect("walk fixture");
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            fs::create_dir_all(&target).unwrap();
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Runs `briefing` with `args` in `dir`.
pub fn briefing(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_briefing"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run briefing")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs `build`, then `check`, over the site in `dir`: per command, its exit code and all it
/// printed (`check` reports on stdout, `build` on stderr), for tests that both agree.
pub fn build_and_check(dir: &Path) -> Vec<(&'static str, Option<i32>, String)> {
    ["build", "check"]
        .into_iter()
        .map(|command| {
            let out = briefing(dir, &[command]);
            (command, out.status.code(), stdout(&out) + &stderr(&out))
        })
        .collect()
}

/// Builds the site in `dir` (with extra args) and insists it succeeds; returns stdout.
pub fn build_ok(dir: &Path, extra: &[&str]) -> String {
    let mut args = vec!["build"];
    args.extend_from_slice(extra);
    let out = briefing(dir, &args);
    assert!(
        out.status.success(),
        "build failed:\n{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    stdout(&out)
}

/// Builds and insists it fails; returns stderr.
pub fn build_fails(dir: &Path, extra: &[&str]) -> String {
    let mut args = vec!["build"];
    args.extend_from_slice(extra);
    let out = briefing(dir, &args);
    assert!(
        !out.status.success(),
        "build should have failed:\n{}",
        stdout(&out)
    );
    assert_eq!(out.status.code(), Some(1));
    stderr(&out)
}

/// A built page, parsed.
pub fn page(dir: &Path, rel: &str) -> Html {
    let path = dir.join("output").join(rel);
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Html::parse_document(&text)
}

pub fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap_or_else(|e| panic!("selector {s}: {e:?}"))
}

/// The text of every element matching `selector`, whitespace folded.
pub fn texts(html: &Html, selector: &str) -> Vec<String> {
    html.select(&sel(selector))
        .map(|e| {
            e.text()
                .collect::<String>()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

pub fn text(html: &Html, selector: &str) -> String {
    let all = texts(html, selector);
    assert!(!all.is_empty(), "nothing matches {selector}");
    all[0].clone()
}

/// The `attr` of every element matching `selector`.
pub fn attrs(html: &Html, selector: &str, attr: &str) -> Vec<String> {
    html.select(&sel(selector))
        .filter_map(|e| e.value().attr(attr).map(str::to_string))
        .collect()
}

pub fn attr(html: &Html, selector: &str, attr_name: &str) -> String {
    let all = attrs(html, selector, attr_name);
    assert!(!all.is_empty(), "nothing matches {selector}[{attr_name}]");
    all[0].clone()
}

/// Every file under `dir` with its bytes, to compare whole trees.
pub fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (
                e.path().strip_prefix(dir).unwrap().to_path_buf(),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

pub fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// Turns the search index on in a fixture site (the fixtures keep it off to stay fast).
pub fn with_search(dir: &Path) {
    let yaml = fs::read_to_string(dir.join("site.yaml")).unwrap();
    assert!(yaml.contains("search: false"));
    fs::write(
        dir.join("site.yaml"),
        yaml.replace("search: false", "search: true"),
    )
    .unwrap();
}

/// Writes `count` generated bilingual notes into the site at `dir`
/// (content/briefings/generated-NNNN/index.en.md and index.zh.md), over several projects, tags
/// and dates. Each note's text mentions `edition`: writing them again with another edition
/// changes every note, its page, the listings and the search index.
pub fn write_notes(dir: &Path, count: usize, edition: &str) {
    for i in 0..count {
        let (project, tag) = if i % 3 == 0 {
            ("dialogue", "visa")
        } else {
            ("returns", "returns")
        };
        let day = 1 + i % 28;
        let month = 1 + i % 12;
        write(
            dir,
            &format!("content/briefings/generated-{i:04}/index.en.md"),
            &format!(
                "---\ntitle: Generated briefing number {i}\ndate: 2019-{month:02}-{day:02}T09:00:00+08:00\nproject: {project}\ntags: [{tag}, round-{}]\ncontacts:\n  - name: Officer {i}\n    email: officer{i}@example.org\n---\n\nGENEVA – Participants of meeting {i} discussed labour mobility.{edition}\n",
                i % 7
            ),
        );
        write(
            dir,
            &format!("content/briefings/generated-{i:04}/index.zh.md"),
            &format!(
                "---\ntitle: 第{i}号简报\ndate: 2019-{month:02}-{day:02}T09:00:00+08:00\nproject: {project}\ntags: [{tag}, 第{}轮]\n---\n\n日内瓦——第{i}次会议的与会者讨论了劳动力流动问题。{edition}\n",
                i % 7
            ),
        );
    }
}

/// Asserts two trees from [`tree`] are equal, naming the files that differ (not their bytes).
pub fn assert_same_tree(got: &BTreeMap<PathBuf, Vec<u8>>, expected: &BTreeMap<PathBuf, Vec<u8>>) {
    let differing: Vec<String> = got
        .keys()
        .chain(expected.keys())
        .filter(|p| got.get(*p) != expected.get(*p))
        .map(|p| {
            let how = match (got.contains_key(p), expected.contains_key(p)) {
                (true, false) => "extra",
                (false, true) => "missing",
                _ => "differs",
            };
            format!("{} ({how})", p.display())
        })
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert!(differing.is_empty(), "files not as expected: {differing:?}");
}

/// A modification time no build writes: 9 September 2001.
pub fn long_ago() -> std::time::SystemTime {
    std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000)
}

/// Sets the modification time of the file at `path` to [`long_ago`].
pub fn set_long_ago(path: &Path) {
    fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(long_ago())
        .unwrap();
}

/// The modification time of the file at `path`.
pub fn modified(path: &Path) -> std::time::SystemTime {
    fs::metadata(path).unwrap().modified().unwrap()
}

/// Markup that would run a script if it reached a page as markup: each sets `window.__xss`.
pub const MARKUP: &[&str] = &[
    "<script>window.__xss=1</script>",
    "\"><img src=x onerror=\"window.__xss=1\">",
    "'><svg onload='window.__xss=1'>",
    "</title><script>window.__xss=1</script>",
    "</script><script>window.__xss=1</script>",
    "]]><script>window.__xss=1</script>",
    "{{ '<script>window.__xss=1</script>' | safe }}",
    "<a href=\"javascript:window.__xss=1\">x</a>",
    "<iframe srcdoc=\"<script>parent.__xss=1</script>\"></iframe>",
];

/// YAML for a quoted value.
fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap()
}

/// Writes into `site` one English and one Chinese note per payload of [`MARKUP`], the payload
/// in every field of the front matter and in the text; and puts one into site.yaml's title.
pub fn write_payload_notes(site: &Path) {
    for (n, payload) in MARKUP.iter().enumerate() {
        let p = quoted(payload);
        let tag = quoted(&format!("{payload} {n}"));
        for lang in ["en", "zh"] {
            write(
                site,
                &format!("content/briefings/payload-{n}.{lang}.md"),
                &format!(
                    "---\ntitle: {p}\nsubtitle: {p}\ndateline: {p}\nsummary: {p}\ndate: 2015-10-1{}\n\
                     project: {{ name: {p}, url: \"https://example.org/?q=1&x=%22\" }}\nfunder: {p}\n\
                     event:\n  start: 2015-10-19\n  locations: [{p}]\ncontacts:\n  - name: {p}\n    role: {p}\n    organisation: {p}\n    email: a@example.org\n    phone: \"+86 10 5979 1234\"\n\
                     tags: [{tag}]\naliases: [\"/old/payload-{n}-{lang}/\"]\n---\n\n\
                     {payload}\n\nText with {payload} inline, and a [link](https://example.org/{n}).\n\n## Heading {payload}\n",
                    n % 10
                ),
            );
        }
    }
    let yaml = std::fs::read_to_string(site.join("site.yaml")).unwrap();
    let yaml = yaml.replace(
        "en: Test Office Briefings",
        &format!("en: {}", quoted(MARKUP[0])),
    );
    std::fs::write(site.join("site.yaml"), yaml).unwrap();
}

/// Replaces `from` with `to` in the file `rel` of `dir`, as an officer's edit; the text must
/// be there, so that an edit that changes nothing cannot pass for one.
pub fn edit(dir: &Path, rel: &str, from: &str, to: &str) {
    let path = dir.join(rel);
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{rel} has no {from:?}");
    fs::write(&path, text.replace(from, to)).unwrap();
}

/// The built site of `site` as deploy must publish it: its output folder without the marker
/// briefing keeps there.
pub fn built(site: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = tree(&site.join("output"));
    files.remove(Path::new(".briefing-output"));
    files
}

/// The files deploy put in the folder `dir` of a target, as a visitor gets them: without
/// deploy's record of them; nothing if deploy never wrote there.
pub fn published(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    if !dir.exists() {
        return BTreeMap::new();
    }
    let mut files = tree(dir);
    files.remove(Path::new(".briefing-deploy.json"));
    files
}

/// What a command wrote, standard output then standard error.
pub fn said(out: &Output) -> String {
    stdout(out) + &stderr(out)
}

/// Where `words` appear in `files` (as [`tree`] or [`published`] give them): in a file's path
/// or its text, compared lowercased. Each file's path with each word found there.
pub fn mentions(files: &BTreeMap<PathBuf, Vec<u8>>, words: &[&str]) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for (path, bytes) in files {
        let text = format!("{}\n{}", path.display(), String::from_utf8_lossy(bytes)).to_lowercase();
        for word in words {
            if text.contains(&word.to_lowercase()) {
                found.push((path.display().to_string(), word.to_string()));
            }
        }
    }
    found
}

/// The paths of the files of `files` that mention `word` (see [`mentions`]).
pub fn mentioning(files: &BTreeMap<PathBuf, Vec<u8>>, word: &str) -> Vec<String> {
    mentions(files, &[word])
        .into_iter()
        .map(|(path, _)| path)
        .collect()
}

/// Adds the deploy target `name` with `fields` (`url`, `endpoint`…) to the site.yaml of
/// `site`, after its other targets.
pub fn add_deploy_target(site: &Path, name: &str, fields: &[(&str, &str)]) {
    let path = site.join("site.yaml");
    let mut yaml = fs::read_to_string(&path).unwrap();
    if !yaml.lines().any(|line| line == "deploy:") {
        yaml.push_str("deploy:\n");
    }
    yaml.push_str(&format!("  {name}:\n"));
    for (key, value) in fields {
        yaml.push_str(&format!("    {key}: {value}\n"));
    }
    fs::write(&path, yaml).unwrap();
}
