//! `check` and `build` agree: over every bad input, the errors `check` reports are exactly
//! the errors that stop `build`, with the same file, line and message.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::*;

/// A problem as a user reads it: its kind (`error` or `warning`), file, line (0 when none)
/// and message.
type Found = BTreeSet<(String, String, usize, String)>;

/// The errors and warnings `build` printed on stderr.
fn build_problems(site: &Path, extra: &[&str]) -> (Option<i32>, Found) {
    let mut args = vec!["build"];
    args.extend_from_slice(extra);
    let out = briefing(site, &args);
    let err = stderr(&out);
    let mut found = Found::new();
    let mut lines = err.lines().peekable();
    while let Some(line) = lines.next() {
        let Some((kind, message)) = line
            .strip_prefix("error: ")
            .map(|m| ("error", m))
            .or_else(|| line.strip_prefix("warning: ").map(|m| ("warning", m)))
        else {
            continue;
        };
        let place = lines
            .peek()
            .and_then(|l| l.trim_start().strip_prefix("--> "))
            .unwrap_or("");
        let mut parts = place.split(':');
        let file = parts.next().unwrap_or("").to_string();
        let line = parts.next().and_then(|l| l.parse().ok()).unwrap_or(0);
        found.insert((kind.to_string(), file, line, message.to_string()));
    }
    (out.status.code(), found)
}

/// The errors and warnings `check --format json` reported.
fn check_problems(site: &Path, extra: &[&str]) -> (Option<i32>, Found) {
    let mut args = vec!["check", "--format", "json"];
    args.extend_from_slice(extra);
    let out = briefing(site, &args);
    let report: serde_json::Value = serde_json::from_str(&stdout(&out))
        .unwrap_or_else(|e| panic!("check did not write JSON ({e}):\n{}", stdout(&out)));
    let mut found = Found::new();
    for file in report["files"].as_array().unwrap() {
        for p in file["problems"].as_array().unwrap() {
            found.insert((
                p["severity"].as_str().unwrap().to_string(),
                file["file"].as_str().unwrap().to_string(),
                p["line"].as_u64().unwrap_or(0) as usize,
                p["message"].as_str().unwrap().to_string(),
            ));
        }
    }
    (out.status.code(), found)
}

/// The warnings only `check` gives: advice to the editors about translations, which does not
/// change what is published.
const CHECK_ONLY: [&str; 2] = [
    "this briefing has no `",
    "this version may be out of date: ",
];

/// Both commands over `site`: the same exit status and the same errors and warnings (but the
/// editorial ones only `check` gives). Returns what `build` said.
fn assert_agree(name: &str, site: &Path, extra: &[&str]) -> Found {
    let (built, by_build) = build_problems(site, extra);
    let (checked, mut by_check) = check_problems(site, extra);
    by_check.retain(|(kind, _, _, message)| {
        kind != "warning" || !CHECK_ONLY.iter().any(|p| message.starts_with(p))
    });
    assert_eq!(
        by_build, by_check,
        "{name}: build and check disagree\nbuild: {by_build:#?}\ncheck: {by_check:#?}"
    );
    assert_eq!(
        built == Some(0),
        checked == Some(0),
        "{name}: build exited {built:?}, check {checked:?}"
    );
    by_build
}

/// A bad input planted in a copy of the basic fixture: a file, its text, and what the two
/// commands must say of it: an `error`, a `warning`, or `none` (it is fine as it is).
const PLANTED: &[(&str, &str, &str, &str)] = &[
    (
        "contact email",
        "content/briefings/bad-contact.en.md",
        "---\ntitle: Contact\ndate: 2016-01-01\ncontacts:\n  - name: A\n    email: not-an-email\n---\n\nText.\n",
        "error",
    ),
    (
        "contact phone",
        "content/briefings/bad-contact.en.md",
        "---\ntitle: Contact\ndate: 2016-01-01\ncontacts:\n  - name: A\n    phone: \"+86 10 5979 96OO ext. 12\"\n---\n\nText.\n",
        "error",
    ),
    (
        "a link to a note under embargo",
        "content/briefings/teaser.en.md",
        "---\ntitle: Teaser\ndate: 2016-01-01\n---\n\nSee [the announcement](embargoed.en.md).\n",
        "warning",
    ),
    (
        "a link to a draft",
        "content/briefings/teaser.en.md",
        "---\ntitle: Teaser\ndate: 2016-01-01\n---\n\nSee [the draft](draft-note.en.md).\n",
        "warning",
    ),
    (
        "a broken link in a draft",
        "content/briefings/draft-two.en.md",
        "---\ntitle: Draft\ndate: 2016-01-01\ndraft: true\n---\n\nSee [nothing](gone.en.md).\n",
        "error",
    ),
    (
        "a draft linking a draft",
        "content/briefings/draft-two.en.md",
        "---\ntitle: Draft\ndate: 2016-01-01\ndraft: true\n---\n\nSee [the other draft](draft-note.en.md).\n",
        "none",
    ),
    (
        "a script link",
        "content/briefings/hostile.en.md",
        "---\ntitle: Hostile\ndate: 2016-01-01\n---\n\n[Read](javascript:alert(1))\n",
        "error",
    ),
    (
        "an alias of a note under embargo",
        "content/briefings/hostile.en.md",
        "---\ntitle: Hostile\ndate: 2016-01-01\naliases: [/en/briefings/embargoed/]\n---\n\nText.\n",
        "error",
    ),
    (
        "an alias inside a file",
        "content/briefings/hostile.en.md",
        "---\ntitle: Hostile\ndate: 2016-01-01\naliases: [/robots.txt]\n---\n\nText.\n",
        "error",
    ),
    (
        "a control character",
        "content/briefings/hostile.en.md",
        "---\ntitle: \"Visa\\vtalks\"\ndate: 2016-01-01\n---\n\nText.\n",
        "error",
    ),
    (
        "two spellings of a tag",
        "content/briefings/hostile.en.md",
        "---\ntitle: Hostile\ndate: 2016-01-01\ntags: [Study Tour!]\n---\n\nText.\n",
        "error",
    ),
    (
        "a tag without a letter",
        "content/briefings/hostile.en.md",
        "---\ntitle: Hostile\ndate: 2016-01-01\ntags: [\"!!!\"]\n---\n\nText.\n",
        "error",
    ),
    (
        "a script in an SVG",
        "content/briefings/study-tour/evil.svg",
        "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>",
        "error",
    ),
    (
        "a missing image",
        "content/briefings/hostile.en.md",
        "---\ntitle: Hostile\ndate: 2016-01-01\n---\n\n![Chart](chart.png)\n",
        "error",
    ),
];

#[test]
fn check_and_build_report_the_same_errors_and_warnings_for_every_bad_input() {
    for fixture_name in ["broken", "check", "basic", "presskit"] {
        let site = fixture(fixture_name);
        assert_agree(fixture_name, site.path(), &[]);
    }
    for (name, file, text, kind) in PLANTED {
        let site = fixture("basic");
        // What the fixture itself says, so that each planted input must add to it.
        let before = assert_agree("basic", site.path(), &[]);
        write(site.path(), file, text);
        let found = assert_agree(name, site.path(), &[]);
        let planted: Vec<_> = found.difference(&before).collect();
        if *kind == "none" {
            assert!(planted.is_empty(), "{name}: {planted:#?}");
        } else {
            assert!(
                planted.iter().any(|(k, ..)| k == kind),
                "{name}: no {kind} of it in {planted:#?}"
            );
        }
    }
    // A link to a note under embargo is one thing everywhere: its words without the link,
    // with a warning, in both commands.
    let site = fixture("basic");
    write(site.path(), PLANTED[2].1, PLANTED[2].2);
    let found = assert_agree("a link to a note under embargo", site.path(), &[]);
    assert!(
        found
            .iter()
            .any(|(kind, file, line, message)| kind == "warning"
                && file == "content/briefings/teaser.en.md"
                && *line == 6
                && message.starts_with("the link `embargoed.en.md` becomes a link when")),
        "{found:#?}"
    );
    assert!(
        !found.iter().any(|(kind, ..)| kind == "error"),
        "{found:#?}"
    );
    // The moment decides what is published: both commands decide alike.
    let found = assert_agree(
        "after the embargo",
        site.path(),
        &["--now", "2030-01-02T00:00:00+08:00"],
    );
    assert!(
        !found
            .iter()
            .any(|(_, file, ..)| file == "content/briefings/teaser.en.md"),
        "the link is fine once the embargo is over: {found:#?}"
    );
}

#[test]
fn an_unreachable_contact_stops_the_build() {
    let site = fixture("basic");
    write(site.path(), PLANTED[1].1, PLANTED[1].2);
    let err = build_fails(site.path(), &[]);
    assert!(
        err.contains("the contact A has an invalid phone: `+86 10 5979 96OO ext. 12`"),
        "{err}"
    );
    assert!(
        err.contains("content/briefings/bad-contact.en.md:6:5"),
        "{err}"
    );
    assert!(!site.path().join("output").exists());
}

#[test]
fn a_tag_without_a_letter_or_digit_is_an_error_naming_the_note() {
    let site = fixture("basic");
    write(
        site.path(),
        "content/briefings/hostile.en.md",
        "---\ntitle: Hostile\ndate: 2016-01-01\ntags: [\"—\", \"!!!\"]\n---\n\nText.\n",
    );
    let err = build_fails(site.path(), &[]);
    for tag in ["—", "!!!"] {
        assert!(
            err.contains(&format!(
                "error: the tag `{tag}` has no letter or digit to make its address from"
            )),
            "{err}"
        );
    }
    assert!(
        err.contains("--> content/briefings/hostile.en.md:4:1"),
        "{err}"
    );
    assert!(err.contains("write the tag in words"), "{err}");
    assert!(!err.contains("section"), "{err}");
}
