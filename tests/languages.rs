//! Languages are data: a site in English, Chinese and French (the fixture `trilingual`)
//! gets each language's dates, lists, search stems and new-note template from the locale
//! table, and a language the table does not know builds with a warning naming what falls
//! back.

mod common;

use common::*;

#[test]
fn a_french_site_writes_french_dates_lists_and_finds_french_word_forms() {
    let site = fixture("trilingual");
    let out = briefing(site.path(), &["build", "--now", "2026-01-01"]);
    assert!(out.status.success(), "{}", said(&out));
    assert!(!said(&out).contains("only in part"), "{}", said(&out));

    let fr = page(site.path(), "fr/briefings/dialogue/index.html");
    assert_eq!(attr(&fr, "html", "lang"), "fr");
    assert_eq!(text(&fr, ".dateline time"), "16 octobre 2015");
    assert_eq!(
        texts(&fr, ".event dd"),
        ["du 1er au 3 octobre 2015", "Vienne, Sofia et Paris"]
    );
    let across = page(site.path(), "fr/briefings/exchange/index.html");
    assert_eq!(
        text(&across, ".event dd"),
        "du 28 septembre au 2 octobre 2015"
    );
    // The other two languages as before.
    let en = page(site.path(), "en/briefings/dialogue/index.html");
    assert_eq!(
        texts(&en, ".event dd"),
        ["1–3 October 2015", "Vienna, Sofia and Paris"]
    );
    let zh = page(site.path(), "zh/briefings/dialogue/index.html");
    assert_eq!(
        texts(&zh, ".event dd"),
        ["2015年10月1日至3日", "维也纳、索非亚、巴黎"]
    );

    // The French index groups words by their French stem: `européennes` finds the note
    // that says `européen` (the English stemmer would keep them apart).
    let out = briefing(
        site.path(),
        &["search", "européennes", "--lang", "fr", "--format", "json"],
    );
    assert!(out.status.success(), "{}", said(&out));
    let answer: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let mut titles: Vec<&str> = answer["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["title"].as_str().unwrap())
        .collect();
    titles.sort();
    assert_eq!(
        titles,
        [
            "Des experts se réunissent sur le dialogue migratoire",
            "Un échange d'expérience"
        ]
    );
    // Only English queries are stemmed in the browser: meta.json says which.
    let meta = |lang: &str| -> serde_json::Value {
        let path = site.path().join(format!("output/{lang}/search/meta.json"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    };
    assert_eq!(meta("en")["query_stemmer"], "english");
    assert!(meta("fr").get("query_stemmer").is_none());
}

#[test]
fn a_new_french_note_starts_in_french() {
    let site = fixture("trilingual");
    let out = briefing(site.path(), &["new", "visit", "--lang", "fr"]);
    assert!(out.status.success(), "{}", said(&out));
    let note =
        std::fs::read_to_string(site.path().join("content/briefings/visit/index.fr.md")).unwrap();
    assert!(note.contains("title: \"Titre de la note\""), "{note}");
    assert!(note.contains("Prénom Nom"), "{note}");
    // Its example contact is a placeholder, which a strict check refuses to publish.
    std::fs::write(
        site.path().join("content/briefings/visit/index.fr.md"),
        note.replace("draft: true", "draft: false"),
    )
    .unwrap();
    let check = briefing(site.path(), &["check", "--strict"]);
    assert!(!check.status.success());
    assert!(said(&check).contains("Prénom Nom"), "{}", said(&check));
}

#[test]
fn a_language_the_table_knows_in_part_builds_with_a_warning_naming_what_falls_back() {
    let site = fixture("trilingual");
    edit(
        site.path(),
        "site.yaml",
        "  fr: { name: Français, html_lang: fr }\n",
        "  fr: { name: Français, html_lang: fr }\n  de: { name: Deutsch, html_lang: de }\n",
    );
    edit(
        site.path(),
        "site.yaml",
        "  fr: Notes d'information du bureau d'essai\n",
        "  fr: Notes d'information du bureau d'essai\n  de: Pressemitteilungen\n",
    );
    let strings = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default/i18n/en.yaml"),
    )
    .unwrap();
    write(site.path(), "themes/default/i18n/de.yaml", &strings);
    write(
        site.path(),
        "content/briefings/dialogue/index.de.md",
        "---\ntitle: Expertentreffen\ndate: 2015-10-16\nevent: { start: 2015-10-01, end: 2015-10-03 }\n---\n\nText.\n",
    );
    for (command, code, told) in build_and_check(site.path()) {
        assert_eq!(code, Some(0), "{command}: {told}");
        assert!(
            told.contains(
                "briefing knows German (`de`) only in part: dates are written 2015-10-16, new notes start from the English template"
            ) && told.contains("site.yaml:"),
            "{command}: {told}"
        );
    }
    let de = page(site.path(), "de/briefings/dialogue/index.html");
    assert_eq!(text(&de, ".dateline time"), "2015-10-16");
    assert_eq!(text(&de, ".event dd"), "2015-10-01 – 2015-10-03");
}
