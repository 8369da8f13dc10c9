//! Bad input: every mistake a user can make gets a non-zero exit, a message naming the file,
//! line and column and what to do, and leaves the previous output exactly as it was.

mod common;

use common::*;

/// Builds the basic fixture, writes `text` to `rel`, builds again: the build must fail and
/// leave output/ byte for byte as it was. Returns the error output.
fn fails_with(rel: &str, text: &[u8]) -> String {
    let site = fixture("basic");
    build_ok(site.path(), &[]);
    let before = tree(&site.path().join("output"));
    let path = site.path().join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    let err = build_fails(site.path(), &[]);
    assert_eq!(
        tree(&site.path().join("output")),
        before,
        "output changed after a failed build"
    );
    assert!(err.contains("the output folder was not changed"), "{err}");
    err
}

fn note(front: &str) -> Vec<u8> {
    format!("---\n{front}---\n\nThe text of the note.\n").into_bytes()
}

#[test]
fn malformed_yaml_is_reported_at_its_line_in_the_file() {
    let err = fails_with(
        "content/briefings/bad.en.md",
        &note("title: Study tour\ndate: 2015-10-16\ntags: [a, b\nsubtitle: x\n"),
    );
    // On the line of the `[` left open, not the next one, where the parser noticed.
    assert!(err.contains("content/briefings/bad.en.md:4:7"), "{err}");
    assert!(
        err.contains("the `[` opened on this line is not closed with `]`"),
        "{err}"
    );
    assert!(
        err.contains("help: close it at the end of the value"),
        "{err}"
    );
    let err = fails_with(
        "content/briefings/bad.en.md",
        &note("title: Study tour\ndate: 2015-10-16\ntags: [a, b\nsubtitle: [x]]\n"),
    );
    assert!(err.contains("content/briefings/bad.en.md:"), "{err}");
    assert!(err.contains("help:"), "{err}");
}

#[test]
fn an_unclosed_quote_says_so() {
    let err = fails_with(
        "content/briefings/bad.en.md",
        &note("title: \"Study tour\ndate: 2015-10-16\n"),
    );
    assert!(err.contains("content/briefings/bad.en.md:"), "{err}");
    assert!(
        err.contains("the front matter ends inside a quoted value"),
        "{err}"
    );
}

#[test]
fn an_unknown_front_matter_key_names_the_valid_keys() {
    let err = fails_with(
        "content/briefings/typo.en.md",
        &note("title: Study tour\ndate: 2015-10-16\ncontcts:\n  - name: A\n"),
    );
    assert!(err.contains("error: unknown key `contcts`"), "{err}");
    assert!(
        err.contains("--> content/briefings/typo.en.md:4:1"),
        "{err}"
    );
    assert!(err.contains("4 | contcts:"), "{err}");
    assert!(
        err.contains("valid keys here are: title, subtitle, dateline, date,"),
        "{err}"
    );
}

#[test]
fn a_missing_title_or_date_is_an_error() {
    let err = fails_with("content/briefings/a.en.md", &note("date: 2015-10-16\n"));
    assert!(err.contains("error: this note has no title"), "{err}");
    assert!(err.contains("content/briefings/a.en.md:1:1"), "{err}");
    assert!(err.contains("add a line `title: …`"), "{err}");
    let err = fails_with("content/briefings/a.en.md", &note("title: A note\n"));
    assert!(err.contains("error: this note has no date"), "{err}");
    assert!(err.contains("add a line `date: YYYY-MM-DD`"), "{err}");
}

#[test]
fn an_invalid_date_points_at_the_key() {
    let err = fails_with(
        "content/briefings/a.en.md",
        &note("title: A\nsubtitle: B\ndate: 2015-02-30\n"),
    );
    assert!(err.contains("error: invalid date"), "{err}");
    assert!(err.contains("content/briefings/a.en.md:4:1"), "{err}");
    assert!(
        err.contains("`2015-02-30` is not a date: February 2015 has 28 days"),
        "{err}"
    );
    let err = fails_with(
        "content/briefings/a.en.md",
        &note("title: A\ndate: 2015-10-16\nevent:\n  start: 2015-10-19\n  end: next week\n"),
    );
    assert!(err.contains("error: invalid event end"), "{err}");
    assert!(err.contains("content/briefings/a.en.md:6:3"), "{err}");
}

#[test]
fn invalid_slugs_are_rejected_never_used_as_paths() {
    for (slug, shown) in [
        ("a/b", "a/b"),
        ("..", ".."),
        ("\"study tour\"", "study tour"),
        ("研讨会", "研讨会"),
    ] {
        let err = fails_with(
            "content/briefings/a.en.md",
            &note(&format!("title: A\ndate: 2015-10-16\nslug: {slug}\n")),
        );
        assert!(
            err.contains(&format!("error: invalid slug `{shown}`")),
            "{slug}: {err}"
        );
        assert!(err.contains("content/briefings/a.en.md:4:1"), "{err}");
        assert!(
            err.contains("a slug uses only lowercase ASCII letters (a–z), digits and hyphens"),
            "{err}"
        );
    }
    // A folder name that cannot be a URL needs a slug.
    let err = fails_with(
        "content/briefings/Study Tour/index.en.md",
        &note("title: A\ndate: 2015-10-16\n"),
    );
    assert!(
        err.contains("the folder name `Study Tour` cannot be used in a URL"),
        "{err}"
    );
    assert!(err.contains("e.g. `study-tour`"), "{err}");
}

#[test]
fn an_unknown_language_suffix_names_the_languages() {
    let err = fails_with(
        "content/briefings/visa.fr.md",
        &note("title: A\ndate: 2015-10-16\n"),
    );
    assert!(err.contains("content/briefings/visa.fr.md"), "{err}");
    assert!(
        err.contains(
            "the language suffix `.fr` is not a language of this site (languages: en, zh)"
        ),
        "{err}"
    );
}

#[test]
fn two_notes_with_one_slug_in_one_language_are_named_both() {
    let err = fails_with(
        "content/briefings/other.en.md",
        &note("title: A\ndate: 2015-10-16\nslug: visa\n"),
    );
    assert!(
        err.contains("two `en` notes have the slug `visa`: content/briefings/other.en.md and content/briefings/visa.en.md")
            || err.contains("two `en` notes have the slug `visa`: content/briefings/visa.en.md and content/briefings/other.en.md"),
        "{err}"
    );
    // The same note twice in one language: the flat and the folder form.
    let err = fails_with(
        "content/briefings/visa/index.en.md",
        &note("title: A\ndate: 2015-10-16\n"),
    );
    assert!(err.contains("content/briefings/visa/index.en.md"), "{err}");
    assert!(err.contains("content/briefings/visa.en.md"), "{err}");
}

#[test]
fn unclosed_or_missing_front_matter_says_what_to_add() {
    let err = fails_with(
        "content/briefings/a.en.md",
        b"---\ntitle: A\ndate: 2015-10-16\n\nText.\n",
    );
    assert!(
        err.contains("error: the front matter is not closed"),
        "{err}"
    );
    assert!(err.contains("content/briefings/a.en.md:1:1"), "{err}");
    assert!(
        err.contains("add a line `---` after the last front matter line"),
        "{err}"
    );
    let err = fails_with("content/briefings/a.en.md", b"Just text.\n");
    assert!(
        err.contains("error: this note does not start with front matter"),
        "{err}"
    );
}

#[test]
fn a_file_that_is_not_utf8_is_named() {
    let mut bytes = note("title: A\ndate: 2015-10-16\n");
    bytes.extend_from_slice(b"Caf\xe9 in Latin-1\n");
    let err = fails_with("content/briefings/latin1.en.md", &bytes);
    assert!(err.contains("error: this file is not UTF-8 text"), "{err}");
    assert!(err.contains("content/briefings/latin1.en.md:7:4"), "{err}");
    assert!(
        err.contains("save the file with the UTF-8 encoding"),
        "{err}"
    );
}

#[test]
fn a_link_to_a_missing_note_names_both_files() {
    let err = fails_with(
        "content/briefings/a.en.md",
        b"---\ntitle: A\ndate: 2015-10-16\n---\n\nSee [the tour](../study-tours/index.en.md).\n",
    );
    assert!(
        err.contains("the link `../study-tours/index.en.md` points to a note that does not exist: content/study-tours/index.en.md"),
        "{err}"
    );
    assert!(err.contains("--> content/briefings/a.en.md:6:5"), "{err}");
}

#[test]
fn site_yaml_unknown_keys_and_bad_values_are_reported() {
    let site_yaml = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/basic/site.yaml"),
    )
    .unwrap();
    let err = fails_with(
        "site.yaml",
        site_yaml.replace("per_page: 2", "per_pag: 2").as_bytes(),
    );
    assert!(err.contains("error: unknown key `per_pag`"), "{err}");
    assert!(err.contains("--> site.yaml:10:1"), "{err}");
    assert!(
        err.contains(
            "valid keys here are: title, base_url, default_language, languages, theme, per_page,"
        ),
        "{err}"
    );
    let err = fails_with(
        "site.yaml",
        site_yaml
            .replace("Asia/Shanghai", "Asia/Beijing")
            .as_bytes(),
    );
    assert!(
        err.contains("error: unknown time zone `Asia/Beijing`"),
        "{err}"
    );
    assert!(err.contains("--> site.yaml:11:1"), "{err}");
    let err = fails_with(
        "site.yaml",
        site_yaml.replace("funder: eu", "funder: eu-pi").as_bytes(),
    );
    assert!(
        err.contains("project `dialogue` names funder `eu-pi`, which is not under funders"),
        "{err}"
    );
    assert!(err.contains("--> site.yaml:19:5"), "{err}");
}

#[test]
fn every_error_of_a_build_is_reported_at_once() {
    let site = fixture("broken");
    let err = build_fails(site.path(), &[]);
    for expected in [
        "unknown key `contcts`",
        "content/briefings/typo.en.md:4:1",
        "invalid date",
        "content/briefings/bad-date.en.md:3:1",
        "this note has no title",
        "content/briefings/no-title.en.md",
        "the language suffix `.fr`",
        "the link `gone.en.md` points to a note that does not exist",
        "Build failed with 5 errors",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
    assert!(!site.path().join("output").exists());
}

#[test]
fn a_folder_not_written_by_briefing_is_never_replaced() {
    let site = fixture("basic");
    write(site.path(), "output/notes.txt", "my own file");
    let err = build_fails(site.path(), &[]);
    assert!(err.contains("refusing to write the site into"), "{err}");
    assert!(
        err.contains("it is not empty and was not written by briefing"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(site.path().join("output/notes.txt")).unwrap(),
        "my own file"
    );
    // Nor the site itself, or its content.
    for target in [".", "content", "content/briefings"] {
        let err = build_fails(site.path(), &["--output", target]);
        assert!(
            err.contains("refusing to write the site into"),
            "{target}: {err}"
        );
    }
    assert!(site.path().join("content/briefings/visa.en.md").is_file());
}

#[test]
fn a_missing_site_yaml_says_where_to_run() {
    let dir = tempfile::tempdir().unwrap();
    let err = build_fails(dir.path(), &[]);
    assert!(err.contains("error: no site.yaml in ."), "{err}");
    assert!(err.contains("--root DIR"), "{err}");
}

#[test]
fn a_value_of_the_wrong_type_says_how_to_write_it() {
    let err = fails_with(
        "content/briefings/a.en.md",
        &note("title: A\ndate: 2015-10-16\nevent: Vienna\n"),
    );
    assert!(
        err.contains(
            "error: wrong type of value: string \"Vienna\", expected keys and values (in `event`)"
        ),
        "{err}"
    );
    assert!(err.contains("content/briefings/a.en.md:4:"), "{err}");
    let err = fails_with(
        "content/briefings/a.en.md",
        &note("title: A\ndate: 2015-10-16\ncontacts:\n  - name: A\n    email: [a, b]\n"),
    );
    assert!(
        err.contains("expected a single value, found a list (in `contacts[0]`)"),
        "{err}"
    );
    assert!(err.contains("content/briefings/a.en.md:5:5"), "{err}");
}

#[test]
fn a_template_that_fails_while_rendering_leaves_the_output_as_it_was() {
    let site = fixture("basic");
    build_ok(site.path(), &[]);
    let output = site.path().join("output");
    let before = tree(&output);
    // The about page renders; the briefings' template fails on every briefing.
    write(
        site.path(),
        "themes/default/templates/briefing.html",
        "{% extends \"base.html\" %}{% block content %}{{ page.no_such_field.deeper }}{% endblock content %}",
    );
    let err = build_fails(site.path(), &[]);
    assert!(err.contains("briefing.html"), "{err}");
    assert!(err.contains("the output folder was not changed"), "{err}");
    assert_same_tree(&tree(&output), &before);
    assert!(!site.path().join(".output.briefing/staging").exists());
}

/// A date of the right shape that no calendar has says why, and an event cannot end before
/// it starts.
#[test]
fn impossible_dates_say_why_and_an_event_ends_after_it_starts() {
    for (date, why) in [
        (
            "2015-10-32",
            "`2015-10-32` is not a date: October has 31 days",
        ),
        (
            "2015-02-29",
            "`2015-02-29` is not a date: February 2015 has 28 days",
        ),
        (
            "2015-13-01",
            "`2015-13-01` is not a date: there is no month 13: months go from 01 to 12",
        ),
        (
            "2015-04-31T09:00:00+08:00",
            "`2015-04-31T09:00:00+08:00` is not a date: April has 30 days",
        ),
    ] {
        let site = fixture("basic");
        write(
            site.path(),
            "content/briefings/bad.en.md",
            &format!("---\ntitle: Bad\ndate: {date}\n---\n\nText.\n"),
        );
        let err = build_fails(site.path(), &[]);
        assert!(err.contains(why), "{date}: {err}");
        assert!(err.contains("content/briefings/bad.en.md:3:1"), "{err}");
    }
    let err = build_fails_with_event("2015-10-20", "2015-10-19");
    assert!(
        err.contains("error: the event ends (2015-10-19) before it starts (2015-10-20)"),
        "{err}"
    );
}

fn build_fails_with_event(start: &str, end: &str) -> String {
    let site = fixture("basic");
    write(
        site.path(),
        "content/briefings/bad.en.md",
        &format!(
            "---\ntitle: Bad\ndate: 2015-10-01\nevent:\n  start: {start}\n  end: {end}\n---\n\nText.\n"
        ),
    );
    let err = build_fails(site.path(), &[]);
    assert!(err.contains("content/briefings/bad.en.md:6:3"), "{err}");
    err
}

/// A link to a site path is checked like a link to a note's file: a path no page or file of
/// the site has is an error at its line, in check and build alike.
#[test]
fn a_link_to_a_site_path_that_no_page_has_is_an_error() {
    let site = fixture("basic");
    write(
        site.path(),
        "content/briefings/paths.en.md",
        "---\ntitle: Paths\ndate: 2016-01-01\n---\n\nSee [about](/en/about/), [visa](/en/briefings/visa#outcomes), [the feed](/en/atom.xml) and [home](/).\n\nBut not [nowhere](/en/nowhere/) nor [the announcement](/en/briefings/embargoed/).\n",
    );
    for (command, code, report) in build_and_check(site.path()) {
        assert_eq!(code, Some(1), "{command}");
        assert!(
            report.contains("error: the link `/en/nowhere/` leads to no page or file of this site"),
            "{command}: {report}"
        );
        assert!(
            report.contains("content/briefings/paths.en.md:8:9"),
            "{command}: {report}"
        );
        assert!(
            report.contains("error: the link `/en/briefings/embargoed/` leads to a note that is not published yet"),
            "{command}: {report}"
        );
        assert_eq!(
            report.matches("error: the link").count(),
            2,
            "{command}: {report}"
        );
    }
}

/// Summary lines speak correctly of one: "1 note", "1 warning".
#[test]
fn summaries_count_one_note_as_one_note() {
    let site = tempfile::tempdir().unwrap();
    let yaml = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/basic/site.yaml"),
    )
    .unwrap();
    write(site.path(), "site.yaml", &yaml);
    write(
        site.path(),
        "content/briefings/one.en.md",
        "---\ntitle: One\ndate: 2016-01-01\n---\n\nText.\n",
    );
    let out = briefing(site.path(), &["check"]);
    assert!(
        stdout(&out).ends_with("0 errors, 1 warning in 1 note.\n"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn every_problem_of_one_note_is_reported_together_by_build_and_check() {
    let site = fixture("basic");
    write(
        site.path(),
        "content/briefings/typos.en.md",
        "---\ntitle: Study tour\ndatline: Beijing\ndate: 2015-10-32\ncontcts:\n  - name: Li Wei\nevent:\n  start: 2015-10-19\n  lokations: [Vienna]\ncontacts:\n  - name: Zhang\n    emial: zhang@example.org\n---\n\nText.\n",
    );
    for (command, code, out) in build_and_check(site.path()) {
        assert_eq!(code, Some(1), "{command}: {out}");
        for expected in [
            "unknown key `datline`",
            "--> content/briefings/typos.en.md:3:1",
            "did you mean `dateline`?",
            "invalid date",
            "--> content/briefings/typos.en.md:4:1",
            "October has 31 days",
            "unknown key `contcts`",
            "--> content/briefings/typos.en.md:5:1",
            "did you mean `contacts`?",
            "unknown key `lokations` (in `event`)",
            "--> content/briefings/typos.en.md:9:3",
            "unknown key `emial` (in `contacts[0]`)",
            "--> content/briefings/typos.en.md:12:5",
            "did you mean `email`?",
        ] {
            assert!(
                out.contains(expected),
                "{command}: missing {expected:?} in:\n{out}"
            );
        }
        assert!(
            out.contains("5 errors") || out.contains("with 5 errors"),
            "{command}: {out}"
        );
    }
}

#[test]
fn a_chinese_keyboard_full_width_colon_and_space_are_named() {
    let err = fails_with(
        "content/briefings/bad.zh.md",
        "---\ntitle: 考察\ndateline：北京\ndate: 2015-10-16\ncontacts:\n\u{3000}- name: 李伟\n---\n\n正文。\n"
            .as_bytes(),
    );
    for expected in [
        "the key `dateline` is followed by a full-width colon `：` (U+FF1A)",
        "--> content/briefings/bad.zh.md:3:9",
        "`dateline: 北京`",
        "this line is indented with a full-width space `　` (U+3000)",
        "--> content/briefings/bad.zh.md:6:1",
        "half-width (English) mode",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
    let err = fails_with(
        "content/briefings/bad.zh.md",
        "---\ntitle:\u{3000}考察\ndate: 2015-10-16\n---\n\n正文。\n".as_bytes(),
    );
    assert!(
        err.contains("the colon after `title` is followed by a full-width space"),
        "{err}"
    );
    assert!(err.contains("--> content/briefings/bad.zh.md:2:7"), "{err}");
}

#[test]
fn a_key_without_its_colon_is_reported_at_its_own_line() {
    let err = fails_with(
        "content/briefings/bad.en.md",
        &note("title: Study tour\ndate 2015-10-16\ntags: [a]\n"),
    );
    assert!(
        err.contains("the key `date` has no colon after it"),
        "{err}"
    );
    assert!(err.contains("--> content/briefings/bad.en.md:3:1"), "{err}");
    assert!(err.contains("`date: 2015-10-16`"), "{err}");
}

#[test]
fn versions_of_a_note_with_different_event_dates_get_a_warning() {
    let site = fixture("basic");
    let zh = site.path().join("content/briefings/study-tour/index.zh.md");
    let text = std::fs::read_to_string(&zh).unwrap();
    std::fs::write(
        &zh,
        text.replace("  start: 2015-10-19", "  start: 2015-10-20"),
    )
    .unwrap();
    for (command, code, out) in build_and_check(site.path()) {
        assert_eq!(code, Some(0), "{command}: {out}");
        for expected in [
            "warning: the event of this version starts on 2015-10-20, but content/briefings/study-tour/index.en.md says 2015-10-19",
            "--> content/briefings/study-tour/index.zh.md:8:3",
        ] {
            assert!(
                out.contains(expected),
                "{command}: missing {expected:?} in:\n{out}"
            );
        }
    }
}

/// A key written twice in site.yaml (a spokesperson entered twice with two numbers) or in a
/// theme's interface strings is an error at the second, in `build` and `check` alike: it no
/// longer replaces the first without a word.
#[test]
fn a_key_written_twice_is_an_error_at_the_second() {
    let site = fixture("basic");
    let yaml = std::fs::read_to_string(site.path().join("site.yaml")).unwrap();
    let twice = yaml.replacen(
        "funders:\n",
        "funders:\n  iom:\n    name: { en: IOM, zh: 国际移民组织 }\n",
        1,
    );
    assert_ne!(twice, yaml);
    std::fs::write(site.path().join("site.yaml"), &twice).unwrap();
    let second = twice
        .lines()
        .enumerate()
        .filter(|(_, l)| *l == "  iom:")
        .nth(1)
        .map(|(n, _)| n + 1)
        .unwrap();
    for (command, code, said) in build_and_check(site.path()) {
        assert_eq!(code, Some(1), "{command}: {said}");
        assert!(
            said.contains("the key `iom` is written twice in the same place"),
            "{command}: {said}"
        );
        assert!(
            said.contains(&format!("site.yaml:{second}:")),
            "{command}: {said}"
        );
        assert!(said.contains("keep one `iom:` here"), "{command}: {said}");
    }
    assert!(!site.path().join("output").exists());

    let site = fixture("basic");
    write(
        site.path(),
        "themes/default/i18n/en.yaml",
        "tags: Tags\nfurther_information: \"Press contacts:\"\ntags: Topics\n",
    );
    let err = build_fails(site.path(), &[]);
    assert!(err.contains("the key `tags` is written twice"), "{err}");
    assert!(err.contains("themes/default/i18n/en.yaml:3:"), "{err}");
}
