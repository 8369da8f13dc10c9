//! Embargoes have no side doors: a note's files are held with it, links to them are links to
//! it, and what a withheld note will write is checked before its release.

mod common;

use common::*;

const AFTER: &str = "2030-01-02T00:00:00+08:00";

/// The basic fixture with `merger`, a folder note under embargo with a PDF beside it.
fn site_with_merger() -> tempfile::TempDir {
    let site = fixture("basic");
    write(
        site.path(),
        "content/briefings/merger/index.en.md",
        "---\ntitle: Two offices merge\ndate: 2016-12-01\nembargo: 2030-01-01T09:00:00+08:00\n---\n\nSee the [terms](terms.pdf).\n",
    );
    write(
        site.path(),
        "content/briefings/merger/terms.pdf",
        "%PDF-1.4 terms\n",
    );
    site
}

/// A note linking to a note under embargo, or to a file of it, is published with the link's
/// words and without the link until the release, and both commands say when it becomes one.
#[test]
fn a_link_to_an_embargoed_note_is_its_words_until_the_release() {
    let site = site_with_merger();
    write(
        site.path(),
        "content/briefings/teaser.en.md",
        "---\ntitle: Teaser\ndate: 2016-11-30\n---\n\nRead the [terms](merger/terms.pdf) of the [agreement](merger/index.en.md).\n",
    );
    for (command, code, err) in build_and_check(site.path()) {
        assert_eq!(code, Some(0), "{command}: {err}");
        for link in ["merger/terms.pdf", "merger/index.en.md"] {
            assert!(
                err.contains(&format!("warning: the link `{link}` becomes a link when content/briefings/merger/index.en.md is published at 2030-01-01 09:00 +08:00")),
                "{command}: {err}"
            );
        }
        assert!(
            err.contains("content/briefings/teaser.en.md:6:10"),
            "{command}: {err}"
        );
    }
    let html = page(site.path(), "en/briefings/teaser/index.html");
    assert!(
        text(&html, "main .body").contains("Read the terms of the agreement."),
        "{}",
        text(&html, "main")
    );
    assert!(attrs(&html, "main .body a[href*=merger]", "href").is_empty());
    assert_eq!(
        mentioning(&tree(&site.path().join("output")), "merger"),
        Vec::<String>::new()
    );
    // Once the embargo is over, the links lead to the note and the file beside it.
    build_ok(site.path(), &["--now", AFTER]);
    let html = page(site.path(), "en/briefings/teaser/index.html");
    assert_eq!(
        attrs(&html, "main .body a[href*=merger]", "href"),
        ["/briefings/merger/terms.pdf", "/en/briefings/merger/"]
    );
}

/// One release, one embargo: the versions of a note share the embargo one of them gives.
#[test]
fn a_version_without_an_embargo_is_held_back_with_the_others() {
    let site = fixture("basic");
    write(
        site.path(),
        "content/briefings/joint-statement/index.zh.md",
        "---\ntitle: 联合声明\ndate: 2016-12-01\nembargo: 2030-01-01T09:00:00+08:00\n---\n\n声明全文。\n",
    );
    write(
        site.path(),
        "content/briefings/joint-statement/index.en.md",
        "---\ntitle: Joint statement\ndate: 2016-12-01\n---\n\nThe full statement.\n",
    );
    for (command, code, err) in build_and_check(site.path()) {
        assert_eq!(code, Some(0), "{command}: {err}");
        assert!(
            err.contains("warning: this version has no `embargo:`, but content/briefings/joint-statement/index.zh.md has one: it is held back with it until 2030-01-01 09:00 +08:00"),
            "{command}: {err}"
        );
        assert!(
            err.contains("--> content/briefings/joint-statement/index.en.md"),
            "{command}: {err}"
        );
    }
    assert_eq!(
        mentioning(&tree(&site.path().join("output")), "joint-statement"),
        Vec::<String>::new()
    );
    assert_eq!(
        mentioning(&tree(&site.path().join("output")), "Joint statement"),
        Vec::<String>::new()
    );
    build_ok(site.path(), &["--now", AFTER]);
    for lang in ["en", "zh"] {
        assert!(
            site.path()
                .join(format!(
                    "output/{lang}/briefings/joint-statement/index.html"
                ))
                .is_file(),
            "{lang} is published after the release"
        );
    }
}

/// Two versions giving two moments is an error naming both, in the site's time zone.
#[test]
fn versions_with_different_embargoes_are_an_error_naming_both() {
    let site = fixture("basic");
    write(
        site.path(),
        "content/briefings/joint-statement/index.en.md",
        "---\ntitle: Joint statement\ndate: 2016-12-01\nembargo: 2030-01-01\n---\n\nThe full statement.\n",
    );
    write(
        site.path(),
        "content/briefings/joint-statement/index.zh.md",
        "---\ntitle: 联合声明\ndate: 2016-12-01\nembargo: 2030-01-01T09:00\n---\n\n声明全文。\n",
    );
    for (command, code, err) in build_and_check(site.path()) {
        assert_eq!(code, Some(1), "{command}");
        assert!(
            err.contains("error: the versions of this note give different embargoes: content/briefings/joint-statement/index.en.md until 2030-01-01 00:00 +08:00, content/briefings/joint-statement/index.zh.md until 2030-01-01 09:00 +08:00"),
            "{command}: {err}"
        );
        assert!(
            err.contains("--> content/briefings/joint-statement/index.zh.md:4:1"),
            "{command}: {err}"
        );
    }
    assert!(!site.path().join("output").exists());
}

#[test]
fn files_beside_an_embargoed_single_file_note_are_held_with_it() {
    let site = fixture("basic");
    write(
        site.path(),
        "content/briefings/flat-secret.en.md",
        "---\ntitle: Secret\ndate: 2016-12-01\nembargo: 2030-01-01T09:00:00+08:00\n---\n\n![Chart](flat-secret-chart.svg) and the [figures](figures.csv).\n",
    );
    let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\"><text>flat secret</text></svg>";
    write(site.path(), "content/briefings/flat-secret-chart.svg", svg);
    write(
        site.path(),
        "content/briefings/flat-secret-notes.pdf",
        "%PDF",
    );
    write(site.path(), "content/briefings/figures.csv", "a,b\n");
    // A file the embargoed note and a published one both use is published.
    std::fs::write(
        site.path().join("content/briefings/shared-map.png"),
        photos::png(40, 30),
    )
    .unwrap();
    write(
        site.path(),
        "content/briefings/flat-public.en.md",
        "---\ntitle: Public\ndate: 2016-11-01\n---\n\n[Map](shared-map.png)\n",
    );
    write(
        site.path(),
        "content/briefings/flat-secret.zh.md",
        "---\ntitle: 机密\ndate: 2016-12-01\nembargo: 2030-01-01T09:00:00+08:00\n---\n\n[地图](shared-map.png)\n",
    );
    build_ok(site.path(), &[]);
    assert_eq!(
        mentioning(&tree(&site.path().join("output")), "flat-secret"),
        Vec::<String>::new()
    );
    assert_eq!(
        mentioning(&tree(&site.path().join("output")), "figures"),
        Vec::<String>::new()
    );
    assert!(
        site.path()
            .join("output/briefings/shared-map.png")
            .is_file()
    );
    build_ok(site.path(), &["--now", AFTER]);
    for file in [
        "briefings/flat-secret-chart.svg",
        "briefings/flat-secret-notes.pdf",
        "briefings/figures.csv",
        "briefings/shared-map.png",
    ] {
        assert!(site.path().join("output").join(file).is_file(), "{file}");
    }
}

#[test]
fn an_alias_of_a_withheld_note_that_collides_stops_the_build_before_its_release() {
    for withheld in ["embargo: 2030-01-01T09:00:00+08:00", "draft: true"] {
        let site = fixture("basic");
        write(
            site.path(),
            "content/briefings/public.en.md",
            "---\ntitle: Public\ndate: 2016-11-01\naliases: [/secret-alias/]\n---\n\nText.\n",
        );
        write(
            site.path(),
            "content/briefings/secret.en.md",
            &format!(
                "---\ntitle: Secret\ndate: 2016-12-01\n{withheld}\naliases: [/secret-alias/]\n---\n\nText.\n"
            ),
        );
        let err = build_fails(site.path(), &[]);
        assert!(
            err.contains("two things would be written to /secret-alias/index.html"),
            "{err}"
        );
        assert!(err.contains("content/briefings/secret.en.md"), "{err}");
        // An alias that is the page of another, withheld note, likewise.
        write(
            site.path(),
            "content/briefings/secret.en.md",
            &format!("---\ntitle: Secret\ndate: 2016-12-01\n{withheld}\n---\n\nText.\n"),
        );
        write(
            site.path(),
            "content/briefings/public.en.md",
            "---\ntitle: Public\ndate: 2016-11-01\naliases: [/en/briefings/secret/]\n---\n\nText.\n",
        );
        let err = build_fails(site.path(), &[]);
        assert!(
            err.contains("two things would be written to /en/briefings/secret/index.html"),
            "{err}"
        );
    }
}

#[test]
fn a_contact_named_only_in_withheld_notes_gets_no_vcard_until_their_release() {
    let site = fixture("basic");
    // Under embargo: a spokesperson no published note names, and Helena Marsh, whom the
    // published study-tour names with the same details.
    write(
        site.path(),
        "content/briefings/merger.en.md",
        "---\ntitle: Two offices merge\ndate: 2016-12-01\nembargo: 2030-01-01T09:00:00+08:00\ncontacts:\n  - name: Ada Quist\n    role: Spokesperson\n    email: a.quist@example.org\n  - name: Helena Marsh\n    role: Head of Office\n    organisation: Liaison Office\n    email: h.marsh@example.org\n    phone: \"+86 10 5979 1234\"\n---\n\nText.\n",
    );
    write(
        site.path(),
        "content/briefings/plans.en.md",
        "---\ntitle: Plans\ndate: 2016-11-30\ndraft: true\ncontacts:\n  - name: Bo Lindqvist\n    email: b.lindqvist@example.org\n---\n\nText.\n",
    );
    build_ok(site.path(), &[]);
    assert_eq!(
        mentions(&tree(&site.path().join("output")), &["quist", "lindqvist"]),
        Vec::<(String, String)>::new()
    );
    assert!(
        site.path()
            .join("output/en/contacts/helena-marsh.vcf")
            .is_file()
    );
    build_ok(site.path(), &["--now", AFTER]);
    let html = page(site.path(), "en/briefings/merger/index.html");
    assert_eq!(
        attrs(&html, ".contact a.vcard", "href"),
        [
            "/en/contacts/ada-quist.vcf",
            "/en/contacts/helena-marsh.vcf"
        ]
    );
    let card =
        std::fs::read_to_string(site.path().join("output/en/contacts/ada-quist.vcf")).unwrap();
    assert!(card.contains("FN;LANGUAGE=en:Ada Quist\r\n"), "{card}");
    assert!(card.contains("EMAIL:a.quist@example.org\r\n"), "{card}");
    assert_eq!(
        mentioning(&tree(&site.path().join("output")), "lindqvist"),
        Vec::<String>::new()
    );
    // A draft's contacts are published with it.
    build_ok(site.path(), &["--now", AFTER, "--drafts"]);
    assert!(
        site.path()
            .join("output/en/contacts/bo-lindqvist.vcf")
            .is_file()
    );
}

/// `status`, and the summaries of `build` and `check`, list what is held back: each note per
/// language, soonest release first, drafts last, times in the site's time zone.
#[test]
fn status_build_and_check_list_what_is_held_back_soonest_first() {
    let site = site_with_merger();
    write(
        site.path(),
        "content/briefings/joint-statement/index.zh.md",
        "---\ntitle: 联合声明\ndate: 2016-12-01\nembargo: 2029-06-01T10:00:00+08:00\n---\n\n声明全文。\n",
    );
    let list = [
        "Held back (4):",
        "  until 2029-06-01 10:00 +08:00 content/briefings/joint-statement/index.zh.md (zh) 联合声明",
        "  until 2030-01-01 09:00 +08:00 content/briefings/embargoed.en.md (en) Embargoed announcement of a new programme",
        "  until 2030-01-01 09:00 +08:00 content/briefings/merger/index.en.md (en) Two offices merge",
        "  draft                         content/briefings/draft-note.en.md (en) Unfinished draft about a workshop",
    ]
    .join("\n");
    let status = briefing(
        site.path(),
        &["status", "--now", "2026-12-01T12:00:00+08:00"],
    );
    assert!(status.status.success(), "{}", stderr(&status));
    assert_eq!(
        stdout(&status),
        format!("At 2026-12-01 12:00 +08:00:\n{list}\n")
    );
    for command in ["build", "check"] {
        let out = briefing(site.path(), &[command]);
        assert!(out.status.success(), "{command}: {}", stderr(&out));
        assert!(stdout(&out).contains(&list), "{command}: {}", stdout(&out));
    }

    let json = briefing(site.path(), &["status", "--format", "json"]);
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let held = value["held"].as_array().unwrap();
    assert_eq!(held.len(), 4);
    assert_eq!(
        held[0]["file"],
        "content/briefings/joint-statement/index.zh.md"
    );
    assert_eq!(held[0]["reason"], "embargo");
    assert_eq!(held[0]["release"], "2029-06-01T10:00:00+08:00");
    assert_eq!(held[3]["reason"], "draft");
    assert!(held[3]["release"].is_null());

    let after = briefing(site.path(), &["status", "--now", AFTER]);
    assert_eq!(
        stdout(&after),
        "At 2030-01-02 00:00 +08:00:\nHeld back (1):\n  draft                         content/briefings/draft-note.en.md (en) Unfinished draft about a workshop\n"
    );
}

/// A note under embargo, in two languages, with a photo shown in its text, a contact and a
/// tag of its own, and a word only its text holds: nothing of it is in any file of the built
/// site (pages, feeds, sitemap, the search index, vCards, image copies), until its release,
/// when every one of them is (which shows the scan can see them).
#[test]
fn nothing_of_a_held_note_is_in_any_file_search_index_and_photos_included() {
    let site = fixture("basic");
    with_search(site.path());
    write(
        site.path(),
        "content/briefings/merger/index.en.md",
        "---\ntitle: Two offices merge\ndate: 2016-12-01\nembargo: 2030-01-01T09:00:00+08:00\ntags: [amalgamation]\ncontacts:\n  - name: Quilla Vantorp\n    email: q.vantorp@example.org\n---\n\nThe zanzibarquill agreement was signed today.\n\n![The signing ceremony](signing.jpg)\n",
    );
    write(
        site.path(),
        "content/briefings/merger/index.zh.md",
        "---\ntitle: 两个办事处合并\ndate: 2016-12-01\nembargo: 2030-01-01T09:00:00+08:00\n---\n\n今天签署了鳕鲸协定。\n",
    );
    photos::add_photo(
        site.path(),
        "merger",
        "signing.jpg",
        &photos::photo(1200, 800, 1),
        &[],
    );
    let secrets = [
        "zanzibarquill",
        "鳕鲸",
        "merger",
        "signing",
        "amalgamation",
        "vantorp",
        "two offices merge",
        "两个办事处",
    ];
    build_ok(site.path(), &[]);
    assert_eq!(
        mentions(&tree(&site.path().join("output")), &secrets),
        Vec::<(String, String)>::new()
    );
    // The search index itself answers nothing for the note's own word.
    let out = briefing(site.path(), &["search", "zanzibarquill"]);
    assert!(out.status.success(), "{}", said(&out));
    assert!(!said(&out).contains("Two offices merge"), "{}", said(&out));

    // A published note that shows the held note's photo is an error until the release.
    write(
        site.path(),
        "content/briefings/teaser.en.md",
        "---\ntitle: Teaser\ndate: 2016-11-30\n---\n\n![A photo](merger/signing.jpg)\n",
    );
    for (command, code, out) in build_and_check(site.path()) {
        assert_eq!(code, Some(1), "{command}: {out}");
        assert!(
            out.contains("the image `merger/signing.jpg` belongs to a note that is not published yet: it can be shown when content/briefings/merger/index.en.md is published at 2030-01-01 09:00 +08:00"),
            "{command}: {out}"
        );
    }
    std::fs::remove_file(site.path().join("content/briefings/teaser.en.md")).unwrap();

    // Released: each of them is there, the photo with its copies, card and JSON-LD.
    build_ok(site.path(), &["--now", AFTER]);
    let found = mentions(&tree(&site.path().join("output")), &secrets);
    for word in secrets {
        assert!(
            found.iter().any(|(_, w)| w == word),
            "{word} not found after the release"
        );
    }
    let index_files: Vec<&String> = found
        .iter()
        .filter(|(p, w)| p.contains("/search/") && w == "zanzibarquill")
        .map(|(p, _)| p)
        .collect();
    assert!(
        !index_files.is_empty(),
        "the search index never holds the word"
    );
    let html = page(site.path(), "en/briefings/merger/index.html");
    assert!(attr(&html, "meta[property='og:image']", "content").contains("signing"));
    assert!(html.html().contains("signing.480w.webp"));
    let out = briefing(site.path(), &["search", "zanzibarquill"]);
    assert!(said(&out).contains("Two offices merge"), "{}", said(&out));
}
