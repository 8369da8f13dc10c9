//! Broken and hostile input: no note, however malformed, makes briefing panic, leak a script,
//! or read or delete a file it should not.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use briefing::{Config, RawHtml, Target, parse_note_text, render_markdown as render};
use common::*;
use proptest::prelude::*;

fn config() -> Config {
    let yaml = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/basic/site.yaml"),
    )
    .unwrap();
    Config::parse(Path::new("/site"), &yaml).unwrap()
}

const VALID: &str = "---\ntitle: Study tour\ndate: 2015-10-16\ntags: [a, b]\ncontacts:\n  - name: A\n    email: a@example.org\nevent:\n  start: 2015-10-19\n  locations: [Vienna]\n---\n\nBEIJING – *Text* with [a link](https://example.org) and a table:\n\n| a | b |\n|---|---|\n| 1 | 2 |\n";

/// Parses `text` as content/briefings/x.en.md: it must not panic, and every error names the file.
fn parse(text: String) {
    let config = config();
    let path = PathBuf::from("/site/content/briefings/x.en.md");
    if let Err(errors) = parse_note_text(&config, &path, "briefings/x.en.md", text) {
        assert!(!errors.is_empty());
        for e in errors {
            assert_eq!(
                e.file.as_deref(),
                Some(Path::new("content/briefings/x.en.md")),
                "{e}"
            );
            // Rendering the message must not panic either.
            let _ = e.render(false);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn any_text_is_a_note_or_an_error_naming_the_file(text in "\\PC{0,400}", fenced in any::<bool>()) {
        // Half the time after an opening fence, so that the text reaches the front matter
        // reader (random text almost never starts with `---`).
        parse(if fenced { format!("---\n{text}") } else { text });
    }

    #[test]
    fn any_front_matter_is_a_note_or_an_error(front in "[-:a-z\\[\\]{}\"' \\n\\t#0-9]{0,300}") {
        parse(format!("---\n{front}\n---\nBody\n"));
    }

    #[test]
    fn a_mutated_note_is_a_note_or_an_error(at in 0usize..400, len in 0usize..20, insert in "\\PC{0,12}") {
        let mut text = VALID.to_string();
        let at = text.char_indices().map(|(i, _)| i).nth(at % VALID.chars().count()).unwrap_or(0);
        let end = text[at..].char_indices().map(|(i, _)| at + i).nth(len).unwrap_or(text.len());
        text.replace_range(at..end, &insert);
        parse(text);
    }

    #[test]
    fn any_markdown_renders_or_names_a_link_it_refuses(text in "\\PC{0,600}") {
        match render(&text, RawHtml::Sanitize, |_, _| Ok(Target::default())) {
            Ok(r) => prop_assert!(!r.html.contains("<script")),
            // A link with a scheme outside the allow-list (`<a0:>` is an autolink).
            Err(errors) => {
                prop_assert!(!errors.is_empty());
                for e in errors {
                    prop_assert!(e.message.contains("cannot be published"), "{}", e.message);
                }
            }
        }
    }

    #[test]
    fn any_site_yaml_is_settings_or_an_error(text in "\\PC{0,300}") {
        let _ = Config::parse(Path::new("/site"), &text);
    }
}

/// Runs a build of `dir`, killing it if it takes longer than `limit`.
fn build_within(dir: &Path, limit: Duration) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_briefing"))
        .args(["build"])
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the build took longer than {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn pathological_markdown_builds_in_bounded_time() {
    let site = fixture("basic");
    let front = |title: &str| format!("---\ntitle: {title}\ndate: 2016-01-01\n---\n\n");
    let nested_lists: String = (0..3000)
        .map(|i| format!("{}- item\n", "  ".repeat(i)))
        .collect();
    let nested_quotes = format!("{}quote\n", ">".repeat(20_000));
    let brackets = format!("{}{}", "[".repeat(50_000), "](".repeat(20_000));
    let long_line = "word ".repeat(400_000);
    let emphasis = "*a **b _c ~~d ".repeat(20_000);
    for (slug, body) in [
        ("lists", nested_lists),
        ("quotes", nested_quotes),
        ("brackets", brackets),
        ("long-line", long_line),
        ("emphasis", emphasis),
    ] {
        write(
            site.path(),
            &format!("content/briefings/{slug}.en.md"),
            &format!("{}{body}\n", front(slug)),
        );
    }
    // A 20 MB note.
    let paragraph = "Officials met to discuss cooperation on migration and mobility. ".repeat(16);
    let big: String = std::iter::repeat_n(
        format!("{paragraph}\n\n"),
        20_000_000 / (paragraph.len() + 2),
    )
    .collect();
    write(
        site.path(),
        "content/briefings/big.en.md",
        &format!("{}{big}", front("big")),
    );
    let out = build_within(site.path(), Duration::from_secs(240));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        site.path()
            .join("output/en/briefings/big/index.html")
            .metadata()
            .unwrap()
            .len()
            > 20_000_000
    );
}

#[test]
fn crlf_line_endings_and_a_byte_order_mark_are_read() {
    let site = fixture("basic");
    let text = "\u{feff}---\r\ntitle: Written on Windows\r\ndate: 2016-02-01\r\ntags: [windows]\r\n---\r\n\r\nA paragraph\r\nover two lines.\r\n";
    write(site.path(), "content/briefings/windows.en.md", text);
    let yaml = std::fs::read_to_string(site.path().join("site.yaml")).unwrap();
    write(
        site.path(),
        "site.yaml",
        &format!("\u{feff}{}", yaml.replace('\n', "\r\n")),
    );
    build_ok(site.path(), &[]);
    let p = page(site.path(), "en/briefings/windows/index.html");
    assert_eq!(text_of(&p, "h1"), "Written on Windows");
    assert_eq!(texts(&p, ".tags a"), ["windows"]);
    assert_eq!(text_of(&p, ".body p"), "A paragraph over two lines.");
}

fn text_of(html: &scraper::Html, selector: &str) -> String {
    text(html, selector)
}

#[test]
fn a_tab_in_front_matter_is_reported_with_the_fix() {
    let site = fixture("basic");
    write(
        site.path(),
        "content/briefings/tabs.en.md",
        "---\ntitle: Tabs\ndate: 2016-02-01\nevent:\n\tstart: 2016-02-03\n---\n\nText.\n",
    );
    let err = build_fails(site.path(), &[]);
    assert!(
        err.contains("error: a tab is used to indent this line"),
        "{err}"
    );
    assert!(
        err.contains("--> content/briefings/tabs.en.md:5:1"),
        "{err}"
    );
    assert!(err.contains("YAML indents with spaces only"), "{err}");
}

#[cfg(unix)]
#[test]
fn symbolic_links_out_of_the_site_are_not_followed() {
    let site = fixture("basic");
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("secret.en.md"),
        "---\ntitle: Secret\ndate: 2016-01-01\n---\n\nSECRET TEXT\n",
    )
    .unwrap();
    std::fs::write(outside.path().join("passwords.txt"), "SECRET FILE").unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("secret.en.md"),
        site.path().join("content/briefings/secret.en.md"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        outside.path(),
        site.path().join("content/briefings/study-tour/linked"),
    )
    .unwrap();
    let out = briefing(site.path(), &["build"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("warning: symbolic link not followed"), "{err}");
    assert!(err.contains("content/briefings/secret.en.md"), "{err}");
    for (path, bytes) in tree(&site.path().join("output")) {
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains("SECRET"),
            "{} holds a file from outside the site",
            path.display()
        );
    }
}

/// Refused with a clear message, nothing deleted: `--output` aimed at what must survive.
#[test]
fn the_output_folder_cannot_be_aimed_at_what_must_survive() {
    let site = fixture("basic");
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("thesis.docx"), "years of work").unwrap();
    let before = tree(site.path());
    for (target, why) in [
        (".".to_string(), "it holds the site itself"),
        ("content".to_string(), "it is inside the site's content"),
        (
            "content/briefings".to_string(),
            "it is inside the site's content",
        ),
        ("themes".to_string(), "it is inside the site's themes"),
        ("/".to_string(), "it is the root of the file system"),
        (home.path().display().to_string(), "it is your home folder"),
        ("..".to_string(), "it holds the site itself"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_briefing"))
            .args(["build", "--output", &target])
            .current_dir(site.path())
            .env("HOME", home.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{target}");
        let err = stderr(&out);
        assert!(
            err.contains("refusing to write the site into"),
            "{target}: {err}"
        );
        assert!(err.contains(why), "{target}: {err}");
        assert!(
            err.contains("choose an empty or new folder with --output"),
            "{target}: {err}"
        );
    }
    assert_eq!(tree(site.path()), before, "the site changed");
    assert_eq!(
        std::fs::read_to_string(home.path().join("thesis.docx")).unwrap(),
        "years of work"
    );
    // A folder with files of its own and no marker.
    let other = tempfile::tempdir().unwrap();
    std::fs::write(other.path().join("index.html"), "my own page").unwrap();
    let err = build_fails(site.path(), &["--output", other.path().to_str().unwrap()]);
    assert!(
        err.contains("it is not empty and was not written by briefing"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(other.path().join("index.html")).unwrap(),
        "my own page"
    );
}

#[test]
fn many_equal_headings_and_deep_yaml_take_linear_time() {
    let site = fixture("basic");
    write(
        site.path(),
        "content/briefings/headings.en.md",
        &format!(
            "---\ntitle: Headings\ndate: 2016-01-01\n---\n\n{}",
            "## Same\n\n".repeat(50_000)
        ),
    );
    let out = build_within(site.path(), Duration::from_secs(60));
    assert!(out.status.success(), "{}", stderr(&out));
    let html = std::fs::read_to_string(site.path().join("output/en/briefings/headings/index.html"))
        .unwrap();
    assert!(html.contains(r#"<h2 id="same-49999">"#));
    for (name, front, line) in [
        (
            "flow",
            format!("tags: {}{}", "[".repeat(100_000), "]".repeat(100_000)),
            4,
        ),
        ("block", format!("tags:\n{}x", "- ".repeat(100_000)), 5),
    ] {
        write(
            site.path(),
            "content/briefings/headings.en.md",
            &format!("---\ntitle: Deep\ndate: 2016-01-01\n{front}\n---\n\nText.\n"),
        );
        let out = build_within(site.path(), Duration::from_secs(20));
        assert_eq!(out.status.code(), Some(1), "{name}");
        let err = stderr(&out);
        assert!(
            err.contains("error: the values here are nested more than 32 levels deep"),
            "{name}: {err}"
        );
        assert!(
            err.contains(&format!("content/briefings/headings.en.md:{line}")),
            "{name}: {err}"
        );
    }
}

#[test]
fn a_huge_title_is_refused_and_a_one_megabyte_note_builds() {
    let site = fixture("basic");
    write(
        site.path(),
        "content/briefings/huge.en.md",
        &format!(
            "---\ntitle: {}\ndate: 2016-01-01\n---\n\nText.\n",
            "Word ".repeat(2_000_000)
        ),
    );
    let err = build_fails(site.path(), &[]);
    assert!(
        err.contains("the value of `title` is 9999999 characters long; at most 1000 are allowed"),
        "{}",
        &err[..err.len().min(2000)]
    );
    assert!(err.contains("content/briefings/huge.en.md:2:1"));
    // A note of 1 MB: one paragraph, a long title, many words, in bounded time.
    write(
        site.path(),
        "content/briefings/huge.en.md",
        &format!(
            "---\ntitle: {}\ndate: 2016-01-01\n---\n\n{}\n",
            "Word ".repeat(199),
            "word ".repeat(200_000)
        ),
    );
    let out = build_within(site.path(), Duration::from_secs(30));
    assert!(out.status.success(), "{}", stderr(&out));
    // The listing shows a teaser of the paragraph, not all of it.
    let home = std::fs::read_to_string(site.path().join("output/en/index.html")).unwrap();
    assert!(
        home.len() < 100_000,
        "the home page holds {} bytes",
        home.len()
    );
}

#[test]
fn a_theme_is_a_folder_name_under_themes() {
    for theme in ["/", "../..", "themes/../..", ".hidden", ""] {
        let site = fixture("basic");
        let yaml = std::fs::read_to_string(site.path().join("site.yaml")).unwrap();
        std::fs::write(
            site.path().join("site.yaml"),
            yaml.replace("theme: default", &format!("theme: \"{theme}\"")),
        )
        .unwrap();
        let err = build_fails(site.path(), &[]);
        assert!(
            err.contains("is not the name of a folder under themes/"),
            "{theme}: {err}"
        );
        assert!(err.contains("site.yaml:9:1"), "{theme}: {err}");
    }
}

#[test]
fn names_a_host_cannot_hold_are_errors_naming_the_note() {
    let cases: [(&str, &str, &str); 9] = [
        (
            "aliases: [/robots.txt]",
            "/robots.txt is a file of the site",
            "robots.txt/index.html",
        ),
        (
            "aliases: [/sitemap.xml]",
            "/sitemap.xml is a file of the site",
            "sitemap.xml/index.html",
        ),
        (
            "aliases: [/search.js]",
            "/search.js is a file of the site",
            "search.js/index.html",
        ),
        (
            "slug: con",
            "invalid slug: `con` is a name Windows keeps for a device",
            "",
        ),
        (
            "aliases: [/old/aux/]",
            "invalid alias: `aux` is a name Windows keeps",
            "",
        ),
        (
            "tags: [Nul]",
            "the tag `Nul` cannot be a URL: `nul` is a name Windows keeps",
            "",
        ),
        ("tags: [\"Q: A\"]", "", ""),
        (
            "date: 0000-01-01",
            "the year 0 is not a year of a briefing",
            "",
        ),
        (
            "tags: [LONGTAG]",
            "the value of `tags` is 1000000 characters long; at most 100",
            "",
        ),
    ];
    for (front, what, also) in cases {
        let site = fixture("basic");
        let front = front.replace("LONGTAG", &"t".repeat(1_000_000));
        let date = if front.starts_with("date:") {
            ""
        } else {
            "date: 2016-01-01\n"
        };
        write(
            site.path(),
            "content/briefings/names.en.md",
            &format!("---\ntitle: Names\n{date}{front}\n---\n\nText.\n"),
        );
        if what.is_empty() {
            build_ok(site.path(), &[]);
            continue;
        }
        let err = build_fails(site.path(), &[]);
        let short = &err[..err.len().min(3000)];
        assert!(err.contains(what), "{front:.60}: {short}");
        assert!(err.contains(also), "{front:.60}: {short}");
        assert!(
            err.contains("content/briefings/names.en.md"),
            "{front:.60}: {short}"
        );
    }
    for file in ["con.pdf", "LPT1.png", "what?.pdf"] {
        let site = fixture("basic");
        write(
            site.path(),
            &format!("content/briefings/study-tour/{file}"),
            "x",
        );
        let err = build_fails(site.path(), &[]);
        assert!(
            err.contains("this name cannot be published"),
            "{file}: {err}"
        );
        assert!(
            err.contains(&format!("content/briefings/study-tour/{file}")),
            "{err}"
        );
    }
}

#[test]
fn a_reader_that_stops_reading_ends_the_output_quietly() {
    let site = fixture("check");
    for args in [&["check", "--format", "json"][..], &["check"][..]] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_briefing"))
            .args(args)
            .current_dir(site.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Read one byte, then close the pipe, as `| head -c1` does.
        let mut stdout = child.stdout.take().unwrap();
        let mut byte = [0u8; 1];
        let _ = std::io::Read::read(&mut stdout, &mut byte);
        drop(stdout);
        let out = child.wait_with_output().unwrap();
        assert_ne!(out.status.code(), Some(101), "{args:?}: {}", stderr(&out));
        assert!(
            !stderr(&out).contains("panicked"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
}

/// The peak memory of a finished child process and its children, in KiB (Linux).
fn peak_kib_of_children() -> i64 {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage fills the struct it is given.
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    usage.ru_maxrss
}

#[test]
fn long_lists_many_unknown_keys_and_repeated_yaml_are_refused_quickly() {
    let site = fixture("basic");
    let note = "content/briefings/many.en.md";
    // 100,000 tags: one error, not 100,000 tag pages each listing 100,000 tags.
    let tags: Vec<String> = (0..100_000).map(|i| format!("t{i}")).collect();
    write(
        site.path(),
        note,
        &format!(
            "---\ntitle: Many\ndate: 2016-01-01\ntags: [{}]\n---\n\nText.\n",
            tags.join(", ")
        ),
    );
    let out = build_within(site.path(), Duration::from_secs(60));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("this note has 100000 tags; a note may have at most 50"),
        "{}",
        stderr(&out)
    );
    // 20,000 unknown keys: the first ones at their lines, the rest in one message.
    let keys: String = (0..20_000).map(|i| format!("unknown{i}: x\n")).collect();
    write(
        site.path(),
        note,
        &format!("---\ntitle: Many\ndate: 2016-01-01\n{keys}---\n\nText.\n"),
    );
    let out = build_within(site.path(), Duration::from_secs(60));
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("unknown0"), "{err}");
    assert!(
        err.contains("19980 more keys have problems: unknown20, unknown21"),
        "{err}"
    );
    // A megabyte repeated a thousand times would be a gigabyte once read.
    let before = peak_kib_of_children();
    write(
        site.path(),
        note,
        &format!(
            "---\ntitle: Many\ndate: 2016-01-01\nsummary: &big \"{}\"\nsubtitle: [{}]\n---\n\nText.\n",
            "a".repeat(1_000_000),
            vec!["*big"; 1000].join(", ")
        ),
    );
    let out = build_within(site.path(), Duration::from_secs(60));
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains(
            "this YAML repeats its parts (`*name` for `&name`) so often that it would take"
        ),
        "{err}"
    );
    assert!(err.contains(&format!("--> {note}:5")), "{err}");
    let peak = peak_kib_of_children();
    assert!(peak.max(before) < 400 * 1024, "the build took {peak} KiB");
}
