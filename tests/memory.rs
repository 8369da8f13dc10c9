//! What a build remembers for the next one: pages whose template would be given the same
//! values are kept as the last build left them, and never when anything could have changed
//! them.

mod common;

use common::*;

/// The number a build's summary gives of pages kept from the last build (0 when it says
/// none).
fn kept(summary: &str) -> usize {
    summary
        .split(", ")
        .find_map(|part| part.strip_suffix(" kept from the last build"))
        .map_or(0, |n| n.parse().unwrap())
}

/// The number of pages a build's summary says it built.
fn pages(summary: &str) -> usize {
    let after = summary.split("Built ").nth(1).unwrap();
    after.split(' ').next().unwrap().parse().unwrap()
}

/// How many files a build of the unchanged site keeps: every page and every other file made
/// by a template, its feeds included.
fn all_kept(site: &std::path::Path) -> usize {
    let summary = build_ok(site, &[]);
    let n = kept(&summary);
    let feeds = (tree(&site.join("output")).keys())
        .filter(|p| p.ends_with("atom.xml"))
        .count();
    assert!(feeds > 0 && n >= pages(&summary) + feeds, "{summary}");
    n
}

#[test]
fn a_rebuild_renders_only_the_pages_an_edit_reaches_and_equals_a_fresh_build() {
    let site = fixture("basic");
    let first = build_ok(site.path(), &[]);
    assert_eq!(kept(&first), 0, "{first}");

    // Nothing changed: every page is kept.
    let all = all_kept(site.path());

    // A new headline reaches its page, its translation's (the language switcher), the
    // listings and feeds that show it, and its neighbours' links; not the rest.
    edit(
        site.path(),
        "content/briefings/visa.en.md",
        "title: ",
        "title: Revised ",
    );
    let edited = build_ok(site.path(), &[]);
    let output = site.path().join("output");
    assert!(
        std::fs::read_to_string(output.join("en/briefings/visa/index.html"))
            .unwrap()
            .contains("Revised Policy dialogue")
    );
    let rendered = all - kept(&edited);
    assert!(
        rendered > 1 && kept(&edited) > rendered,
        "the edit reaches some pages, not all: {edited}"
    );

    build_ok(site.path(), &["--output", "fresh"]);
    assert_same_tree(&tree(&output), &tree(&site.path().join("fresh")));
}

#[test]
fn a_page_changed_in_the_output_folder_is_rendered_again() {
    let site = fixture("basic");
    build_ok(site.path(), &[]);
    let all = all_kept(site.path());
    let output = site.path().join("output");
    let expected = tree(&output);

    // The same length, the old modification time: only the inode's change time tells.
    let page = output.join("en/about/index.html");
    let text = std::fs::read_to_string(&page).unwrap();
    let time = modified(&page);
    std::fs::write(&page, text.replacen("<html", "<HTML", 1)).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&page)
        .unwrap()
        .set_modified(time)
        .unwrap();
    // Replaced by another file, and removed.
    let other = output.join("zh/about/index.html");
    let copy = site.path().join("copy.html");
    std::fs::copy(&other, &copy).unwrap();
    std::fs::rename(&copy, &other).unwrap();
    std::fs::remove_file(output.join("en/index.html")).unwrap();

    let summary = build_ok(site.path(), &[]);
    assert_same_tree(&tree(&output), &expected);
    assert_eq!(kept(&summary), all - 3, "{summary}");
}

#[test]
fn a_damaged_or_foreign_memory_is_forgotten_and_the_pages_rendered() {
    let site = fixture("basic");
    build_ok(site.path(), &[]);
    let all = all_kept(site.path());
    let output = site.path().join("output");
    let expected = tree(&output);
    let memory = site.path().join(".output.briefing/memory");

    // A byte flipped in the middle.
    let mut bytes = std::fs::read(&memory).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x20;
    std::fs::write(&memory, &bytes).unwrap();
    let summary = build_ok(site.path(), &[]);
    assert_eq!(kept(&summary), 0, "{summary}");
    assert_same_tree(&tree(&output), &expected);

    // Not a memory at all, then none.
    std::fs::write(&memory, "{}").unwrap();
    assert_eq!(kept(&build_ok(site.path(), &[])), 0);
    std::fs::remove_file(&memory).unwrap();
    assert_eq!(kept(&build_ok(site.path(), &[])), 0);
    assert_same_tree(&tree(&output), &expected);
    // Each build left a memory the next one trusts.
    assert_eq!(all_kept(site.path()), all);
}

#[test]
fn a_changed_template_or_interface_string_renders_every_page_again() {
    let site = fixture("basic");
    build_ok(site.path(), &[]);
    let all = all_kept(site.path());

    // A site's own interface string in place of the built-in one: every page is made again.
    write(
        site.path(),
        "themes/default/i18n/en.yaml",
        "briefings: Press briefings\n",
    );
    let summary = build_ok(site.path(), &[]);
    assert_eq!(kept(&summary), 0, "{summary}");
    assert_eq!(all_kept(site.path()), all);

    build_ok(site.path(), &["--output", "fresh"]);
    assert_same_tree(
        &tree(&site.path().join("output")),
        &tree(&site.path().join("fresh")),
    );
}

#[test]
fn a_failed_build_keeps_the_memory_of_the_output_it_left_alone() {
    let site = fixture("basic");
    build_ok(site.path(), &[]);
    let all = all_kept(site.path());
    edit(
        site.path(),
        "content/briefings/visa.en.md",
        "title: ",
        "title: [unclosed ",
    );
    build_fails(site.path(), &[]);
    edit(
        site.path(),
        "content/briefings/visa.en.md",
        "title: [unclosed ",
        "title: ",
    );
    assert_eq!(all_kept(site.path()), all);
}

#[test]
fn a_note_is_read_again_when_its_file_or_the_site_settings_change() {
    let site = fixture("basic");
    build_ok(site.path(), &[]);
    let output = site.path().join("output");
    let advisory = |output: &std::path::Path| {
        std::fs::read_to_string(output.join("en/briefings/advisory/index.html")).unwrap()
    };
    assert!(advisory(&output).contains("EU-China Dialogue on Migration and Mobility Support"));

    // A project's name in site.yaml reaches every note of the project.
    edit(
        site.path(),
        "site.yaml",
        "en: EU-China Dialogue on Migration and Mobility Support Project",
        "en: EU-China Migration Dialogue",
    );
    build_ok(site.path(), &[]);
    assert!(advisory(&output).contains("EU-China Migration Dialogue"));
    assert!(!advisory(&output).contains("Mobility Support Project"));

    // A note's own text, even with its length unchanged.
    edit(
        site.path(),
        "content/briefings/advisory.en.md",
        "project: dialogue",
        "project: returns ",
    );
    build_ok(site.path(), &[]);
    assert!(!advisory(&output).contains("EU-China Migration Dialogue"));

    // What the builds learned of the notes, damaged: forgotten, every note read again.
    let shelf = site.path().join(".output.briefing/notes");
    let mut bytes = std::fs::read(&shelf).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&shelf, &bytes).unwrap();
    build_ok(site.path(), &[]);
    build_ok(site.path(), &["--output", "fresh"]);
    assert_same_tree(&tree(&output), &tree(&site.path().join("fresh")));
}

#[test]
fn numbers_read_by_an_earlier_build_are_remembered_but_each_new_spelling_is_read() {
    let site = fixture("basic");
    build_ok(site.path(), &[]);
    let phones = site.path().join(".output.briefing/phones");
    assert!(phones.is_file(), "the build keeps the numbers it read");

    // A remembered number changed to a wrong one is refused at its line all the same.
    let note = "content/briefings/study-tour/index.en.md";
    edit(site.path(), note, "+86 10 5979 1234", "+86 10 5979 12O4");
    let err = build_fails(site.path(), &[]);
    assert!(
        err.contains("invalid phone: `+86 10 5979 12O4`: it has the letter `O`")
            && err.contains("index.en.md:16"),
        "{err}"
    );
    edit(site.path(), note, "+86 10 5979 12O4", "+86 10 5979 1234");

    // Damaged: forgotten; every number is read again, and the pages are the same.
    let mut bytes = std::fs::read(&phones).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    std::fs::write(&phones, &bytes).unwrap();
    build_ok(site.path(), &[]);
    build_ok(site.path(), &["--output", "fresh"]);
    let output = site.path().join("output");
    assert_same_tree(&tree(&output), &tree(&site.path().join("fresh")));
    assert!(
        std::fs::read_to_string(output.join("en/briefings/study-tour/index.html"))
            .unwrap()
            .contains("tel:+861059791234")
    );
}

/// A note's Markdown is kept rendered from one build to the next, but never past a change of
/// what its links lead to: a linked note's embargo moved, or lifted.
#[test]
fn a_note_kept_rendered_follows_what_its_links_lead_to() {
    let site = fixture("basic");
    write(
        site.path(),
        "content/briefings/teaser.en.md",
        "---\ntitle: Teaser\ndate: 2016-11-30\n---\n\nRead the [announcement](embargoed.en.md).\n",
    );
    let build = |extra: &[&str]| {
        let mut args = vec!["build"];
        args.extend_from_slice(extra);
        let out = briefing(site.path(), &args);
        assert!(out.status.success(), "{}", stderr(&out));
        stderr(&out)
    };
    let becomes = |when: &str| {
        format!("becomes a link when content/briefings/embargoed.en.md is published at {when}")
    };
    let err = build(&[]);
    assert!(err.contains(&becomes("2030-01-01 09:00 +08:00")), "{err}");
    let err = build(&[]);
    assert!(err.contains(&becomes("2030-01-01 09:00 +08:00")), "{err}");

    let embargoed = "content/briefings/embargoed.en.md";
    edit(
        site.path(),
        embargoed,
        "2030-01-01T09:00",
        "2031-06-01T10:00",
    );
    let err = build(&[]);
    assert!(err.contains(&becomes("2031-06-01 10:00 +08:00")), "{err}");
    let teaser = "en/briefings/teaser/index.html";
    assert!(
        attrs(&page(site.path(), teaser), "main a", "href")
            .iter()
            .all(|h| !h.contains("embargoed"))
    );

    edit(
        site.path(),
        embargoed,
        "2031-06-01T10:00",
        "2016-12-02T10:00",
    );
    build(&[]);
    assert!(
        attrs(&page(site.path(), teaser), "main a", "href")
            .iter()
            .any(|h| h.ends_with("/en/briefings/embargoed/")),
        "the link is there once the note is out"
    );

    // The text edited: the page shows the new text.
    edit(
        site.path(),
        "content/briefings/teaser.en.md",
        "Read the",
        "Do read the",
    );
    build(&[]);
    assert!(text(&page(site.path(), teaser), "main").contains("Do read the"));

    build(&["--output", "fresh"]);
    let output = site.path().join("output");
    assert_same_tree(&tree(&output), &tree(&site.path().join("fresh")));
}

/// The titles `briefing search` finds for `query` in English, of the briefings a test
/// wrote (titled by a word in lower case).
fn found(site: &std::path::Path, query: &str) -> Vec<String> {
    let out = briefing(site, &["search", query, "--format", "json"]);
    assert!(out.status.success(), "{}", said(&out));
    let answer: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let mut titles: Vec<String> = (answer["results"].as_array().unwrap().iter())
        .map(|r| r["title"].as_str().unwrap().to_string())
        .filter(|t| t.chars().all(|c| c.is_ascii_lowercase()))
        .collect();
    titles.sort();
    titles
}

#[test]
fn the_search_index_a_rebuild_updates_is_the_one_a_fresh_build_makes() {
    let site = fixture("basic");
    with_search(site.path());
    let note = |slug: &str, date: &str, text: &str| {
        write(
            site.path(),
            &format!("content/briefings/{slug}.en.md"),
            &format!("---\ntitle: {slug}\ndate: {date}\n---\n\n{text}\n"),
        );
    };
    note("sea", "2016-03-01", "The traffickers were caught at sea.");
    note("shore", "2016-04-01", "Trafficked people came ashore.");
    build_ok(site.path(), &[]);
    let output = site.path().join("output");
    let same_as_fresh = |extra: &[&str], what: &str| {
        build_ok(site.path(), extra);
        let fresh = site.path().join("fresh");
        let _ = std::fs::remove_dir_all(&fresh);
        let mut args = vec!["--output", "fresh"];
        args.extend_from_slice(extra);
        build_ok(site.path(), &args);
        let index_of = |dir: &std::path::Path| {
            let mut t = tree(dir);
            t.retain(|p, _| p.components().any(|c| c.as_os_str() == "search"));
            assert!(!t.is_empty(), "{what}: no index");
            t
        };
        assert_same_tree(&index_of(&output), &index_of(&fresh));
        assert_same_tree(&tree(&output), &tree(&fresh));
    };
    // A word added, one of an existing stem: found at once.
    edit(
        site.path(),
        "content/briefings/sea.en.md",
        "at sea",
        "at sea by zebrafish trackers",
    );
    same_as_fresh(&[], "a word added");
    assert_eq!(found(site.path(), "zebrafish"), ["sea"]);
    assert_eq!(found(site.path(), "trafficking"), ["sea", "shore"]);
    // A briefing older than all the others (every id moves), one gone with the only
    // `trafficked` (the word leaves its group), one moved to another date.
    note("oldest", "2010-01-01", "Border officers met in Beijing.");
    std::fs::remove_file(site.path().join("content/briefings/shore.en.md")).unwrap();
    edit(
        site.path(),
        "content/briefings/sea.en.md",
        "2016-03-01",
        "2017-05-01",
    );
    same_as_fresh(&[], "briefings added, removed and moved");
    assert_eq!(found(site.path(), "trafficked"), ["sea"]);
    assert_eq!(found(site.path(), "beijing"), ["oldest"]);
    // An embargo lifted: the briefing joins the index.
    same_as_fresh(&["--now", "2031-01-01T00:00:00Z"], "an embargo lifted");
    // What the last build counted, damaged: forgotten, every briefing counted again.
    let index = site.path().join(".output.briefing/index");
    let mut bytes = std::fs::read(&index).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x20;
    std::fs::write(&index, &bytes).unwrap();
    edit(
        site.path(),
        "content/briefings/oldest.en.md",
        "Beijing",
        "Shanghai",
    );
    same_as_fresh(&[], "a damaged memory");
    assert!(found(site.path(), "beijing").is_empty());
}
