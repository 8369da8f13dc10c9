//! What a reader finds, asked of the built index with `briefing search` (the search page's
//! own rules; tests/browser.rs checks that the page finds the same): Chinese text found
//! wherever a note has it, words not matched by shorter unrelated words, other forms of a
//! word found, and the headline first.

mod common;

use std::path::Path;

use common::*;

/// A site of the basic fixture's settings, with search, whose briefings are only `notes`:
/// (folder, language, date, title, text).
fn site_of(notes: &[(&str, &str, &str, &str, &str)]) -> tempfile::TempDir {
    let site = fixture("basic");
    std::fs::remove_dir_all(site.path().join("content/briefings")).unwrap();
    with_search(site.path());
    for (slug, lang, date, title, text) in notes {
        write(
            site.path(),
            &format!("content/briefings/{slug}/index.{lang}.md"),
            &format!("---\ntitle: \"{title}\"\ndate: {date}\nlanguages: [{lang}]\n---\n\n{text}\n"),
        );
    }
    build_ok(site.path(), &[]);
    site
}

/// The titles `query` finds in `lang`, best first, and the words left out.
fn search(site: &Path, lang: &str, query: &str) -> (Vec<String>, Vec<String>) {
    let out = briefing(
        site,
        &[
            "search", query, "--lang", lang, "--limit", "100", "--format", "json",
        ],
    );
    assert!(out.status.success(), "{}", said(&out));
    let answer: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let strings = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap().to_string())
            .collect()
    };
    let titles = answer["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["title"].as_str().unwrap().to_string())
        .collect();
    (titles, strings(&answer["ignored"]))
}

fn found(site: &Path, lang: &str, query: &str) -> Vec<String> {
    let mut titles = search(site, lang, query).0;
    titles.sort();
    titles
}

#[test]
fn chinese_text_a_note_holds_is_found_however_a_dictionary_would_cut_it() {
    let site = site_of(&[
        (
            "a",
            "zh",
            "2015-10-16",
            "甲",
            "代表团与北京的官员进行了全面的会谈。",
        ),
        (
            "b",
            "zh",
            "2015-10-17",
            "乙",
            "会议在日内瓦举行，旨在帮助移民重新融入社会。",
        ),
        (
            "c",
            "zh",
            "2015-10-18",
            "丙",
            "边境恢复和正常运行，质量全面提高。",
        ),
        ("d", "zh", "2015-10-19", "丁", "南京的天气很好。"),
    ]);
    let zh = |q: &str| found(site.path(), "zh", q);
    assert_eq!(zh("北京"), ["甲"]);
    assert_eq!(zh("日内瓦"), ["乙"]);
    assert_eq!(zh("正常"), ["丙"]);
    assert_eq!(zh("新融入"), ["乙"]);
    assert_eq!(zh("面的"), ["甲"]);
    assert_eq!(zh("量"), ["丙"]);
    assert_eq!(zh("京"), ["丁", "甲"]);
    // A phrase no note holds finds nothing.
    assert!(zh("东京").is_empty());
}

#[test]
fn a_term_with_a_hyphen_or_digits_is_found_whole() {
    let site = site_of(&[
        (
            "a",
            "en",
            "2020-03-01",
            "Response to COVID-19",
            "The mission met partners on the response to COVID‑19 in Wuhan.",
        ),
        (
            "b",
            "en",
            "2020-03-02",
            "Volunteers",
            "19 volunteers joined; covid testing began later.",
        ),
        (
            "c",
            "en",
            "2020-03-03",
            "EU-China dialogue",
            "The EU-China dialogue on migration met in Brussels.",
        ),
        (
            "d",
            "en",
            "2020-03-04",
            "Dialogue",
            "Delegates of the EU and of China met at the G20.",
        ),
    ]);
    let en = |q: &str| found(site.path(), "en", q);
    // Whole, as written: not every note with a 19 and a covid somewhere.
    assert_eq!(en("COVID-19"), ["Response to COVID-19"]);
    assert_eq!(en("covid‐19"), ["Response to COVID-19"]);
    assert_eq!(en("EU-China"), ["EU-China dialogue"]);
    assert_eq!(en("G20"), ["Dialogue"]);
    // Its parts are words too.
    assert_eq!(en("covid"), ["Response to COVID-19", "Volunteers"]);
    assert_eq!(en("china"), ["Dialogue", "EU-China dialogue"]);
    // Typed with a hyphen where the notes have none: its parts, each a word of the query.
    assert_eq!(en("19-volunteers"), ["Volunteers"]);
    // A part no note has: no note has the term, whatever its other parts find.
    assert!(en("zzyzx-19").is_empty());
    assert_eq!(
        search(site.path(), "en", "migration zzyzx-19"),
        (
            vec!["EU-China dialogue".to_string()],
            vec!["zzyzx-19".to_string()]
        )
    );
    // Still being typed: the terms it begins.
    assert_eq!(en("covid-1"), ["Response to COVID-19"]);
}

#[test]
fn a_word_is_not_found_by_shorter_unrelated_words() {
    let site = site_of(&[
        (
            "a",
            "en",
            "2015-10-16",
            "Alpha",
            "Support for the return of migrants who are in need.",
        ),
        (
            "b",
            "en",
            "2015-10-17",
            "Beta",
            "Visa facilitation rose by ten per cent.",
        ),
        (
            "c",
            "en",
            "2015-10-18",
            "Gamma",
            "A new form for central facilities in rural areas; them.",
        ),
    ]);
    let en = |q: &str| found(site.path(), "en", q);
    assert_eq!(en("form"), ["Gamma"]);
    assert_eq!(en("facilities"), ["Gamma"]);
    assert_eq!(en("central"), ["Gamma"]);
    assert_eq!(en("areas"), ["Gamma"]);
    assert_eq!(en("them"), ["Gamma"]);
}

#[test]
fn other_forms_of_a_word_find_it() {
    let site = site_of(&[
        (
            "a",
            "en",
            "2015-10-16",
            "Alpha",
            "The university hosted a training on emergency recruitment.",
        ),
        ("b", "en", "2015-10-17", "Beta", "Nothing of the kind."),
    ]);
    for q in [
        "universities",
        "trainings",
        "emergencies",
        "recruitement",
        "university",
    ] {
        assert_eq!(found(site.path(), "en", q), ["Alpha"], "{q}");
    }
    // A word still being typed finds the words it begins, when the index lacks it.
    assert_eq!(found(site.path(), "en", "recrui"), ["Alpha"]);
}

#[test]
fn exact_words_and_the_headline_rank_first() {
    let site = site_of(&[
        (
            "a",
            "zh",
            "2015-10-16",
            "边境管理研讨会在京举行",
            "与会者讨论了合作。",
        ),
        (
            "b",
            "zh",
            "2015-10-17",
            "移民局官员来访",
            "边境管理，边境管理，边境管理，边境管理，边境管理，边境管理，边境管理，边境管理。",
        ),
        (
            "c",
            "en",
            "2015-10-16",
            "Work on migration data",
            "Their work continues.",
        ),
        (
            "d",
            "en",
            "2015-10-17",
            "Workshop on workshops",
            "The workshop was one of many workshops.",
        ),
    ]);
    let (zh, _) = search(site.path(), "zh", "边境管理");
    assert_eq!(
        zh.first().map(String::as_str),
        Some("边境管理研讨会在京举行")
    );
    let (en, _) = search(site.path(), "en", "work");
    assert_eq!(en, ["Work on migration data"]);
}

#[test]
fn the_year_full_width_and_traditional_text_are_searchable_and_an_unknown_word_is_left_out() {
    let site = site_of(&[
        (
            "a",
            "en",
            "2015-10-16",
            "Alpha",
            "Counter-trafficking training.",
        ),
        (
            "b",
            "en",
            "2016-10-16",
            "Beta",
            "Counter-trafficking meeting.",
        ),
        ("c", "zh", "2015-10-16", "甲", "打击人口贩运培训。"),
    ]);
    assert_eq!(found(site.path(), "en", "trafficking 2015"), ["Alpha"]);
    assert_eq!(
        found(site.path(), "en", "ｔｒａｆｆｉｃｋｉｎｇ ２０１６"),
        ["Beta"]
    );
    assert_eq!(found(site.path(), "zh", "２０１５"), ["甲"]);
    // Traditional characters find the simplified text.
    assert_eq!(found(site.path(), "zh", "人口販運"), ["甲"]);
    assert_eq!(found(site.path(), "zh", "打擊"), ["甲"]);
    let (titles, ignored) = search(site.path(), "en", "trafficking zzyzx");
    assert_eq!(titles.len(), 2);
    assert_eq!(ignored, ["zzyzx"]);
    // Alone, an unknown word finds nothing and leaves nothing out.
    assert_eq!(search(site.path(), "en", "zzyzx"), (vec![], vec![]));
}

#[test]
fn search_says_what_to_do_without_an_index() {
    let site = fixture("basic");
    let out = briefing(site.path(), &["search", "visa"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(said(&out).contains("search: false"), "{}", said(&out));
    with_search(site.path());
    let out = briefing(site.path(), &["search", "visa"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        said(&out).contains("run `briefing build`, then search again"),
        "{}",
        said(&out)
    );
    build_ok(site.path(), &[]);
    let out = briefing(site.path(), &["search", "visa", "--lang", "fr"]);
    assert!(
        said(&out).contains("the site has no language `fr`"),
        "{}",
        said(&out)
    );
    let out = briefing(site.path(), &["search", "visa facilitation"]);
    assert!(out.status.success());
    assert!(
        stdout(&out).contains("briefing found for “visa facilitation” (en):")
            || stdout(&out).contains("briefings found for “visa facilitation” (en):"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("Policy dialogue on visa facilitation"));
}

#[test]
#[ignore = "needs node: run by .ci/run"]
fn the_search_page_stems_english_words_as_the_build_does() {
    // Every English word of the example site, and words the stemmer treats specially.
    let built = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = briefing(root, &["build", "--output", built.path().to_str().unwrap()]);
    assert!(out.status.success(), "{}", said(&out));
    let mut words: Vec<String> = "universities trainings emergencies recruitement facilities \
        facilitation form areas them central traffickers generously dying skies news succeeding \
        proceed hopping hoping 'quoted' yes yield ay iom's sky cosmos early only"
        .split(' ')
        .map(str::to_string)
        .collect();
    for e in walkdir::WalkDir::new(built.path().join("en/search")) {
        let e = e.unwrap();
        if !e.file_name().to_string_lossy().starts_with("words-") {
            continue;
        }
        let entries: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(e.path()).unwrap()).unwrap();
        for entry in entries.as_array().unwrap() {
            for w in entry[0].as_array().unwrap() {
                words.push(w.as_str().unwrap().to_string());
            }
        }
    }
    assert!(words.len() > 500, "{}", words.len());
    let stemmer = rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::English);
    let expected: Vec<String> = words.iter().map(|w| stemmer.stem(w).into_owned()).collect();

    let script = std::fs::read_to_string(root.join("themes/default/static/search.js")).unwrap();
    let start = script.find("  function stemEnglish(word) {").unwrap();
    let end = start + script[start..].find("\n  }\n").unwrap() + 4;
    let program = format!(
        "{}\nconst words = JSON.parse(require('fs').readFileSync(0, 'utf8'));\n\
         process.stdout.write(JSON.stringify(words.map(stemEnglish)));",
        &script[start..end]
    );
    let mut node = std::process::Command::new("node")
        .args(["-e", &program])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("node");
    use std::io::Write as _;
    node.stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(&words).unwrap().as_bytes())
        .unwrap();
    let out = node.wait_with_output().unwrap();
    assert!(out.status.success());
    let got: Vec<String> = serde_json::from_slice(&out.stdout).unwrap();
    let differ: Vec<String> = words
        .iter()
        .zip(expected.iter().zip(&got))
        .filter(|(_, (e, g))| e != g)
        .map(|(w, (e, g))| format!("{w}: {e} in Rust, {g} in search.js"))
        .collect();
    assert!(differ.is_empty(), "{differ:?}");
}

#[test]
fn a_project_or_funder_written_in_the_note_is_a_filter_value_of_its_own() {
    let site = fixture("basic");
    std::fs::remove_dir_all(site.path().join("content/briefings")).unwrap();
    with_search(site.path());
    let note = |slug: &str, date: &str, project: &str| {
        write(
            site.path(),
            &format!("content/briefings/{slug}/index.en.md"),
            &format!(
                "---\ntitle: \"{slug}\"\ndate: {date}\nlanguages: [en]\n{project}---\n\nText.\n"
            ),
        );
    };
    note("keyed", "2020-01-01", "project: dialogue\n");
    note(
        "inline",
        "2020-01-02",
        "project:\n  name: Safe Migration Pilot\n  url: https://example.org/pilot\nfunder: City of Example\n",
    );
    note("named", "2020-01-03", "project: Safe Migration Pilot\n");
    note("none", "2020-01-04", "");
    build_ok(site.path(), &[]);
    let text = std::fs::read_to_string(site.path().join("output/en/search/filters.json")).unwrap();
    let filters: serde_json::Value = serde_json::from_str(&text).unwrap();
    // By id, oldest first: keyed, inline, named, none.
    let filter = |name: &str| -> (Vec<(String, String)>, Vec<Vec<u64>>) {
        let f = filters["filters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap();
        (
            serde_json::from_value(f["values"].clone()).unwrap(),
            serde_json::from_value(f["of"].clone()).unwrap(),
        )
    };
    let (values, of) = filter("project");
    let pilot = (
        "safe-migration-pilot".to_string(),
        "Safe Migration Pilot".to_string(),
    );
    assert!(values.contains(&pilot), "{values:?}");
    let at = values.iter().position(|v| *v == pilot).unwrap() as u64;
    assert_eq!(of[1], [at]);
    assert_eq!(of[2], [at]);
    assert_eq!(of[3], Vec::<u64>::new());
    assert_eq!(values[of[0][0] as usize].0, "dialogue");
    let (values, of) = filter("funder");
    let city = values
        .iter()
        .position(|(_, n)| n == "City of Example")
        .unwrap() as u64;
    assert_eq!(of[1], [city]);
    assert!(!of[0].contains(&city));
}

#[test]
fn a_file_where_the_search_index_goes_is_refused_by_check_and_build_alike() {
    let site = fixture("basic");
    with_search(site.path());
    // A theme's static file is published at its path: here, among the index's files.
    write(
        site.path(),
        "themes/default/static/en/search/filters.json",
        "{}",
    );
    for (command, code, said) in build_and_check(site.path()) {
        assert_eq!(code, Some(1), "{command}: {said}");
        assert!(
            said.contains("/en/search/filters.json is in the folder of the en search index"),
            "{command}: {said}"
        );
        assert!(
            said.contains("themes/default/static/en/search/filters.json"),
            "{command} does not name the file: {said}"
        );
    }
    // Without search, the folder is the site's to fill.
    edit(site.path(), "site.yaml", "search: true", "search: false");
    build_ok(site.path(), &[]);
}
