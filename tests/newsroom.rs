//! What a press office needs around the build: press kits, vCards, print, embargoes, and the
//! `new`, `init` and `check` commands.

mod common;

use std::collections::BTreeMap;

use common::*;

/// Reads a vCard by RFC 6350's rules: unfolds lines, splits name, parameters and value, and
/// unescapes text values. Returns property name → (parameters, value) in order.
fn parse_vcard(text: &str) -> Vec<(String, String, String)> {
    assert!(text.ends_with("\r\n"), "vCard lines end with CRLF");
    let unfolded = text.replace("\r\n ", "");
    let mut out = Vec::new();
    for line in unfolded.split("\r\n").filter(|l| !l.is_empty()) {
        assert!(!line.contains('\n'), "bare LF in {line:?}");
        let (head, value) = line.split_once(':').expect("a property has a colon");
        let (name, params) = head.split_once(';').unwrap_or((head, ""));
        let mut unescaped = String::new();
        let mut chars = value.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                match chars.next() {
                    Some('n') | Some('N') => unescaped.push('\n'),
                    Some(other) => unescaped.push(other),
                    None => panic!("dangling backslash in {line:?}"),
                }
            } else {
                assert!(
                    name == "TEL" || (c != ',' && c != ';'),
                    "unescaped {c:?} in {line:?}"
                );
                unescaped.push(c);
            }
        }
        out.push((name.to_string(), params.to_string(), unescaped));
    }
    out
}

/// The vCard files of the output, as paths under it.
fn vcards(site: &std::path::Path) -> Vec<String> {
    tree(&site.join("output"))
        .into_keys()
        .map(|p| p.display().to_string())
        .filter(|p| p.ends_with(".vcf"))
        .collect()
}

/// A vCard of the output, read back: property name → value.
fn card_fields(site: &std::path::Path, rel: &str) -> BTreeMap<String, String> {
    let raw = std::fs::read_to_string(site.join("output").join(rel)).unwrap();
    parse_vcard(&raw)
        .into_iter()
        .map(|(n, _, v)| (n, v))
        .collect()
}

#[test]
fn contacts_get_vcards_that_read_back_to_the_same_fields() {
    let site = fixture("presskit");
    build_ok(site.path(), &[]);
    let p = page(site.path(), "en/briefings/launch/index.html");
    assert_eq!(
        attrs(&p, ".contact a.vcard", "href"),
        [
            "/en/contacts/marsh-helena-dr.vcf",
            "/en/contacts/%E5%91%A8%E4%B8%80%E5%B8%86.vcf"
        ]
    );
    assert_eq!(
        vcards(site.path()),
        [
            "en/contacts/marsh-helena-dr.vcf",
            "en/contacts/周一帆.vcf",
            "zh/contacts/周一帆.vcf"
        ]
    );
    let raw = std::fs::read_to_string(site.path().join("output/en/contacts/marsh-helena-dr.vcf"))
        .unwrap();
    for line in raw.split("\r\n") {
        assert!(line.len() <= 75, "line longer than 75 octets: {line:?}");
    }
    let card = parse_vcard(&raw);
    let fields: BTreeMap<&str, &str> = card
        .iter()
        .map(|(n, _, v)| (n.as_str(), v.as_str()))
        .collect();
    assert_eq!(card.first().unwrap().0, "BEGIN");
    assert_eq!(fields["VERSION"], "4.0");
    assert_eq!(fields["FN"], "Marsh, Helena; Dr.");
    assert_eq!(fields["TITLE"], "Head of Office");
    assert_eq!(fields["ORG"], "IOM Liaison Office to China, Beijing");
    assert_eq!(fields["EMAIL"], "h.marsh@example.org");
    assert_eq!(fields["TEL"], "tel:+861059791234");
    assert_eq!(card.last().unwrap().2, "VCARD");
    // UTF-8 names, in the page's language.
    let raw = std::fs::read_to_string(site.path().join("output/en/contacts/周一帆.vcf")).unwrap();
    let card = parse_vcard(&raw);
    let fn_line = card.iter().find(|(n, _, _)| n == "FN").unwrap();
    assert_eq!(fn_line.2, "周一帆");
    assert_eq!(fn_line.1, "LANGUAGE=en");
    let zh = std::fs::read_to_string(site.path().join("output/zh/contacts/周一帆.vcf")).unwrap();
    assert!(zh.contains("FN;LANGUAGE=zh-Hans:周一帆\r\n"), "{zh}");
    let p = page(site.path(), "zh/briefings/launch/index.html");
    assert_eq!(
        attrs(&p, ".contact a.vcard", "href"),
        ["/zh/contacts/%E5%91%A8%E4%B8%80%E5%B8%86.vcf"]
    );
}

#[test]
fn notes_naming_the_same_spokesperson_share_one_vcard_per_language() {
    let site = fixture("basic");
    // A second pair of notes naming Helena Marsh as study-tour does, in both languages.
    write(
        site.path(),
        "content/briefings/follow-up/index.en.md",
        "---\ntitle: Follow-up\ndate: 2015-11-02\ncontacts:\n  - name: Helena Marsh\n    role: Head of Office\n    organisation: Liaison Office\n    email: h.marsh@example.org\n    phone: \"+86 10 5979 1234\"\n---\n\nThe delegation is back.\n",
    );
    write(
        site.path(),
        "content/briefings/follow-up/index.zh.md",
        "---\ntitle: 后续\ndate: 2015-11-02\ncontacts:\n  - name: 海伦娜·马什\n    role: 主任\n    email: h.marsh@example.org\n    phone: \"+86 10 5979 1234\"\n---\n\n代表团已回国。\n",
    );
    build_ok(site.path(), &[]);
    for slug in ["study-tour", "follow-up"] {
        let en = page(site.path(), &format!("en/briefings/{slug}/index.html"));
        assert_eq!(
            attrs(&en, ".contact a.vcard", "href"),
            ["/en/contacts/helena-marsh.vcf"],
            "{slug}"
        );
        let zh = page(site.path(), &format!("zh/briefings/{slug}/index.html"));
        assert_eq!(
            attrs(&zh, ".contact a.vcard", "href"),
            ["/zh/contacts/%E6%B5%B7%E4%BC%A6%E5%A8%9C-%E9%A9%AC%E4%BB%80.vcf"],
            "{slug}"
        );
    }
    assert_eq!(
        vcards(site.path()),
        [
            "en/contacts/helena-marsh.vcf",
            "zh/contacts/海伦娜-马什.vcf"
        ]
    );
    let en = card_fields(site.path(), "en/contacts/helena-marsh.vcf");
    assert_eq!(en["FN"], "Helena Marsh");
    assert_eq!(en["TITLE"], "Head of Office");
    assert_eq!(en["ORG"], "Liaison Office");
    assert_eq!(en["EMAIL"], "h.marsh@example.org");
    assert_eq!(en["TEL"], "tel:+861059791234");
    let zh = card_fields(site.path(), "zh/contacts/海伦娜-马什.vcf");
    assert_eq!(zh["FN"], "海伦娜·马什");
    assert_eq!(zh["TITLE"], "主任");
    assert_eq!(zh["TEL"], "tel:+861059791234");
}

#[test]
fn two_people_of_one_name_get_two_vcards() {
    let site = fixture("basic");
    write(
        site.path(),
        "content/briefings/namesake.en.md",
        "---\ntitle: Namesake\ndate: 2015-11-02\ncontacts:\n  - name: Helena Marsh\n    role: Correspondent\n    organisation: Daily Courier\n    email: helena@courier.example\n---\n\nAnother Helena Marsh.\n",
    );
    build_ok(site.path(), &[]);
    let tour = attrs(
        &page(site.path(), "en/briefings/study-tour/index.html"),
        ".contact a.vcard",
        "href",
    );
    let namesake = attrs(
        &page(site.path(), "en/briefings/namesake/index.html"),
        ".contact a.vcard",
        "href",
    );
    assert_eq!(tour.len(), 1);
    assert_eq!(namesake.len(), 1);
    assert_ne!(tour, namesake, "two people, two files");
    for href in [&tour[0], &namesake[0]] {
        let name = href.strip_prefix("/en/contacts/helena-marsh-").unwrap();
        let hash = name.strip_suffix(".vcf").unwrap();
        assert!(
            hash.len() == 8 && hash.chars().all(|c| c.is_ascii_hexdigit()),
            "{href}"
        );
    }
    let en: Vec<String> = vcards(site.path())
        .into_iter()
        .filter(|p| p.starts_with("en/"))
        .collect();
    assert_eq!(en.len(), 2, "{en:?}");
    let tour_card = card_fields(site.path(), tour[0].trim_start_matches('/'));
    assert_eq!(tour_card["ORG"], "Liaison Office");
    assert_eq!(tour_card["TEL"], "tel:+861059791234");
    let namesake_card = card_fields(site.path(), namesake[0].trim_start_matches('/'));
    assert_eq!(namesake_card["FN"], "Helena Marsh");
    assert_eq!(namesake_card["ORG"], "Daily Courier");
    assert_eq!(namesake_card["EMAIL"], "helena@courier.example");
    assert!(!namesake_card.contains_key("TEL"));
    // The names depend on the cards alone: building again gives the same files.
    build_ok(site.path(), &[]);
    let again = attrs(
        &page(site.path(), "en/briefings/namesake/index.html"),
        ".contact a.vcard",
        "href",
    );
    assert_eq!(again, namesake);
}

#[test]
fn a_name_with_no_letters_or_a_windows_device_name_still_gives_a_portable_file() {
    let site = fixture("basic");
    write(
        site.path(),
        "content/briefings/odd-names.en.md",
        "---\ntitle: Odd names\ndate: 2015-11-02\ncontacts:\n  - name: \"—\"\n    email: desk@example.org\n  - name: Con\n    email: con@example.org\n---\n\nText.\n",
    );
    build_ok(site.path(), &[]);
    let hrefs = attrs(
        &page(site.path(), "en/briefings/odd-names/index.html"),
        ".contact a.vcard",
        "href",
    );
    assert_eq!(hrefs.len(), 2);
    assert!(hrefs[0].starts_with("/en/contacts/contact-"), "{hrefs:?}");
    assert!(hrefs[1].starts_with("/en/contacts/con-"), "{hrefs:?}");
    for href in &hrefs {
        // Letters, digits and hyphens only, and not a name Windows keeps for a device.
        let name = href.rsplit('/').next().unwrap();
        let stem = name.strip_suffix(".vcf").unwrap();
        assert!(
            stem.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
            "{name}"
        );
        assert!(!["con", "prn", "aux", "nul"].contains(&stem), "{name}");
        let card = card_fields(site.path(), href.trim_start_matches('/'));
        assert!(card.contains_key("EMAIL"), "{href}");
    }
}

#[test]
fn contacts_are_contact_points_in_json_ld() {
    let site = fixture("presskit");
    build_ok(site.path(), &[]);
    let p = page(site.path(), "en/briefings/launch/index.html");
    let json: serde_json::Value =
        serde_json::from_str(&text(&p, "script[type='application/ld+json']")).unwrap();
    let points = json["publisher"]["contactPoint"].as_array().unwrap();
    assert_eq!(points.len(), 2);
    assert_eq!(points[0]["@type"], "ContactPoint");
    assert_eq!(points[0]["name"], "Marsh, Helena; Dr.");
    assert_eq!(points[0]["email"], "h.marsh@example.org");
    // In international form, however it was typed (`+86 (10) 5979-1234`).
    assert_eq!(points[0]["telephone"], "+86 10 5979 1234");
}

#[test]
fn files_beside_a_note_are_its_press_kit() {
    let site = fixture("presskit");
    build_ok(site.path(), &[]);
    let p = page(site.path(), "en/briefings/launch/index.html");
    assert_eq!(text(&p, ".downloads h2"), "Downloads");
    // The photo is shown in the text, so it is not listed again.
    assert_eq!(texts(&p, ".downloads li"), ["programme.pdf (PDF, 2 KB)"]);
    assert_eq!(
        attrs(&p, ".downloads a", "href"),
        ["/briefings/launch/programme.pdf"]
    );
    let zh = page(site.path(), "zh/briefings/launch/index.html");
    assert_eq!(text(&zh, ".downloads h2"), "下载");
    assert_eq!(texts(&zh, ".downloads li"), ["programme.pdf (PDF，2 KB)"]);
    // Published once, for both versions.
    let files = tree(&site.path().join("output"));
    let copies: Vec<_> = files
        .keys()
        .filter(|p| p.ends_with("programme.pdf"))
        .collect();
    assert_eq!(
        copies,
        [std::path::Path::new("briefings/launch/programme.pdf")]
    );

    // A note may list its press kit itself, in its own order, photos included.
    let en = site.path().join("content/briefings/launch/index.en.md");
    let text_en = std::fs::read_to_string(&en).unwrap();
    std::fs::write(
        &en,
        text_en.replacen("---\n", "---\ndownloads: [programme.pdf, photo.png]\n", 1),
    )
    .unwrap();
    build_ok(site.path(), &[]);
    let p = page(site.path(), "en/briefings/launch/index.html");
    assert_eq!(
        texts(&p, ".downloads li"),
        ["programme.pdf (PDF, 2 KB)", "photo.png (PNG, 89 B)"]
    );
    // A name that is not in the folder is an error at the line, for build and check alike.
    std::fs::write(
        &en,
        text_en.replacen("---\n", "---\ndownloads: [programme.pfd]\n", 1),
    )
    .unwrap();
    for command in ["build", "check"] {
        let out = briefing(site.path(), &[command]);
        assert_eq!(out.status.code(), Some(1), "{command}");
        let err = said(&out);
        assert!(
            err.contains(
                "`downloads:` names `programme.pfd`, which is not a file of this note's folder"
            ),
            "{command}: {err}"
        );
        assert!(
            err.contains("content/briefings/launch/index.en.md:2:1"),
            "{err}"
        );
        assert!(
            err.contains("the folder has photo.png, programme.pdf"),
            "{err}"
        );
    }
}

#[test]
fn images_get_their_size_lazy_loading_and_an_alt_warning() {
    let site = fixture("presskit");
    let out = briefing(site.path(), &["build"]);
    assert!(out.status.success());
    let err = stderr(&out);
    // The Chinese image has no alt text: a warning naming the file and line.
    assert!(err.contains("warning: this image has no alt text"), "{err}");
    assert!(
        err.contains("--> content/briefings/launch/index.zh.md:15:1"),
        "{err}"
    );
    assert_eq!(err.matches("has no alt text").count(), 1, "{err}");
    let p = page(site.path(), "en/briefings/launch/index.html");
    assert_eq!(attr(&p, ".body img", "src"), "/briefings/launch/photo.png");
    assert_eq!(attr(&p, ".body img", "alt"), "The report’s cover");
    assert_eq!(attr(&p, ".body img", "title"), "Cover");
    assert_eq!(attr(&p, ".body img", "width"), "32");
    assert_eq!(attr(&p, ".body img", "height"), "20");
    assert_eq!(attr(&p, ".body img", "loading"), "lazy");
}

#[test]
fn a_briefing_prints_as_a_press_release() {
    let site = fixture("presskit");
    build_ok(site.path(), &[]);
    let p = page(site.path(), "en/briefings/launch/index.html");
    // The end mark follows the text; the print stylesheet shows it and hides the navigation.
    assert_eq!(text(&p, ".body + .end-mark"), "###");
    let css = std::fs::read_to_string(site.path().join("output/style.css")).unwrap();
    // The text of every `@media print { … }` block, and nothing outside them.
    let mut print = String::new();
    for (at, _) in css.match_indices("@media print") {
        let open = at + css[at..].find('{').unwrap();
        let mut depth = 0;
        for (i, c) in css[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                print.push_str(&css[open + 1..open + i]);
                print.push('\n');
                break;
            }
        }
    }
    assert!(!print.is_empty(), "no print stylesheet");
    // Hidden on paper: a rule of the print block whose selectors name it, with display none.
    let hidden = |selector: &str| {
        print.split('}').any(|rule| {
            let (selectors, body) = rule.split_once('{').unwrap_or(("", ""));
            body.contains("display: none") && selectors.split(',').any(|s| s.trim() == selector)
        })
    };
    for selector in [".masthead", ".prev-next", ".site-footer", ".search-box"] {
        assert!(hidden(selector), "the print rules do not hide {selector}");
    }
    // The language switcher and the site navigation are inside the masthead.
    assert_eq!(p.select(&sel(".masthead .switcher")).count(), 1);
    assert_eq!(p.select(&sel(".masthead .site-nav")).count(), 1);
    for rule in [
        "content: \" (\" attr(href) \")\"",
        ".end-mark { display: block",
    ] {
        assert!(print.contains(rule), "the print rules lack {rule}");
    }
    assert!(css.contains("@page { size: A4"));
}

#[test]
fn an_embargoed_note_is_in_no_file_before_its_time_and_in_all_after() {
    let site = fixture("basic");
    let output = site.path().join("output");
    let mentions = |word: &str| mentioning(&tree(&output), word);
    let out = build_ok(site.path(), &["--now", "2029-12-31T23:59:59Z"]);
    assert!(
        out.contains("1 under embargo (next release 2030-01-01 09:00 +08:00)"),
        "{out}"
    );
    assert_eq!(mentions("Embargoed announcement"), Vec::<String>::new());
    assert_eq!(mentions("briefings/embargoed"), Vec::<String>::new());
    // One second after the embargo ends (09:00 in Beijing is 01:00 UTC).
    let out = build_ok(site.path(), &["--now", "2030-01-01T01:00:01Z"]);
    assert!(!out.contains("under embargo"), "{out}");
    let found = mentions("Embargoed announcement");
    // Its page, the home page, the feed, and the next-briefing link of the one before it.
    for expected in [
        "en/briefings/embargoed/index.html",
        "en/index.html",
        "en/atom.xml",
        "en/briefings/advisory/index.html",
    ] {
        assert!(
            found.iter().any(|f| f == expected),
            "{expected} not in {found:?}"
        );
    }
    assert!(
        mentions("https://press.example.org/en/briefings/embargoed/")
            .iter()
            .any(|f| f == "sitemap.xml")
    );
}

#[test]
fn an_embargo_without_a_time_zone_is_an_error_not_a_guess() {
    let site = fixture("basic");
    let yaml = std::fs::read_to_string(site.path().join("site.yaml")).unwrap();
    write(
        site.path(),
        "site.yaml",
        &yaml.replace("timezone: Asia/Shanghai\n", ""),
    );
    write(
        site.path(),
        "content/briefings/embargoed.en.md",
        "---\ntitle: Embargoed\ndate: 2016-12-02\nembargo: 2030-01-01T09:00:00\n---\n\nText.\n",
    );
    let err = build_fails(site.path(), &[]);
    assert!(err.contains("error: invalid embargo"), "{err}");
    assert!(
        err.contains("content/briefings/embargoed.en.md:4:1"),
        "{err}"
    );
    assert!(
        err.contains("has no time zone offset and site.yaml sets no timezone"),
        "{err}"
    );
}

#[test]
fn check_reports_every_planted_problem_grouped_by_file() {
    let site = fixture("check");
    let out = briefing(site.path(), &["check"]);
    assert_eq!(out.status.code(), Some(1));
    let report = stdout(&out);
    for expected in [
        "── content/briefings/tour/index.en.md",
        "the link `../gone.en.md` points to a note that does not exist",
        "the link `missing.png` points to a file that does not exist",
        "the contact Helena Marsh has an invalid email: `press(at)example.org`",
        "--> content/briefings/tour/index.en.md:7:5",
        "the contact Helena Marsh has an invalid phone: `call the office`",
        "--> content/briefings/tour/index.en.md:8:5",
        "two `en` notes have the slug `solo`",
    ] {
        assert!(
            report.contains(expected),
            "missing {expected:?} in:\n{report}"
        );
    }
    // Nothing is written.
    assert!(!site.path().join("output").exists());
}

#[test]
fn check_warns_of_missing_and_stale_translations_and_fails_on_them_only_when_strict() {
    let site = fixture("check");
    // Without the errors of the fixture: only warnings are left.
    std::fs::remove_file(site.path().join("content/briefings/dup-a.en.md")).unwrap();
    write(
        site.path(),
        "content/briefings/tour/index.en.md",
        "---\ntitle: Study tour\ndate: 2016-05-09\nupdated: 2016-05-20\ncontacts:\n  - name: Helena Marsh\n    email: press@example.org\n    phone: \"+86 10 5979 1234\"\n---\n\nText.\n",
    );
    let out = briefing(site.path(), &["check"]);
    let report = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{report}");
    for expected in [
        "warning: this version may be out of date: content/briefings/tour/index.en.md changed on 2016-05-20, after this one (2016-05-09)",
        "── content/briefings/tour/index.zh.md",
        "warning: this briefing has no `zh` version",
        "── content/briefings/solo.en.md",
        "warning: this image has no alt text",
        "0 errors, 3 warnings in 3 notes.",
    ] {
        assert!(
            report.contains(expected),
            "missing {expected:?} in:\n{report}"
        );
    }
    let out = briefing(site.path(), &["check", "--strict"]);
    assert_eq!(out.status.code(), Some(1));

    // A note meant for one language says so, and is no longer missing its translation.
    let solo = site.path().join("content/briefings/solo.en.md");
    let text = std::fs::read_to_string(&solo).unwrap();
    std::fs::write(&solo, text.replacen("---\n", "---\nlanguages: [en]\n", 1)).unwrap();
    let report = stdout(&briefing(site.path(), &["check"]));
    assert!(!report.contains("has no `zh` version"), "{report}");
    assert!(report.contains("0 errors, 2 warnings"), "{report}");
    std::fs::write(
        &solo,
        text.replacen("---\n", "---\nlanguages: [zh, fr]\n", 1),
    )
    .unwrap();
    let out = briefing(site.path(), &["check"]);
    let report = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{report}");
    for expected in [
        "error: `fr` is not a language of this site",
        "error: this note is in `en`, which its `languages:` does not list",
        "--> content/briefings/solo.en.md:2:1",
    ] {
        assert!(
            report.contains(expected),
            "missing {expected:?} in:\n{report}"
        );
    }
}

#[test]
fn check_speaks_json_for_scripts() {
    let site = fixture("check");
    let out = briefing(site.path(), &["check", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["ok"], false);
    assert_eq!(json["errors"], 5);
    let files = json["files"].as_array().unwrap();
    let tour = files
        .iter()
        .find(|f| f["file"] == "content/briefings/tour/index.en.md")
        .unwrap();
    let problems = tour["problems"].as_array().unwrap();
    assert!(problems.iter().all(|p| p["severity"] == "error"));
    let email = problems
        .iter()
        .find(|p| p["message"].as_str().unwrap().contains("invalid email"))
        .unwrap();
    assert_eq!(email["line"], 7);
    assert_eq!(email["column"], 5);
    assert!(
        email["message"]
            .as_str()
            .unwrap()
            .ends_with("`press(at)example.org`: it has `(` in it"),
        "{}",
        email["message"]
    );
    assert_eq!(
        email["help"],
        "write the address alone, e.g. press@example.org"
    );
    // Problems of one file come in line order.
    let lines: Vec<u64> = problems
        .iter()
        .map(|p| p["line"].as_u64().unwrap())
        .collect();
    let mut sorted = lines.clone();
    sorted.sort();
    assert_eq!(lines, sorted);
}

#[test]
fn check_finds_aliases_that_collide() {
    let site = fixture("basic");
    write(
        site.path(),
        "content/briefings/advisory.en.md",
        "---\ntitle: Advisory\ndate: 2016-11-21\naliases: [/en/briefings/visa/]\n---\n\nText.\n",
    );
    let out = briefing(site.path(), &["check"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("two things would be written to /en/briefings/visa/index.html"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn new_creates_a_note_pair_that_builds_and_never_replaces_one() {
    let site = fixture("basic");
    let out = briefing(site.path(), &["new", "2016-12-roundtable"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("Created content/briefings/2016-12-roundtable/index.en.md"));
    let en = std::fs::read_to_string(
        site.path()
            .join("content/briefings/2016-12-roundtable/index.en.md"),
    )
    .unwrap();
    let zh = std::fs::read_to_string(
        site.path()
            .join("content/briefings/2016-12-roundtable/index.zh.md"),
    )
    .unwrap();
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap())
        .date();
    assert!(en.contains(&format!("\ndate: {today}\n")), "{en}");
    assert!(
        en.contains("project: dialogue") && en.contains("contacts:") && en.contains("tags: []")
    );
    assert!(zh.contains("title: \"简报标题\""), "{zh}");
    // The new note parses and builds (it is a draft: --drafts publishes it).
    build_ok(site.path(), &["--drafts"]);
    let p = page(site.path(), "zh/briefings/2016-12-roundtable/index.html");
    assert_eq!(text(&p, "h1"), "简报标题");
    assert_eq!(text(&p, ".banner-draft"), "草稿——尚未发布");
    // Never over an existing note.
    let out = briefing(site.path(), &["new", "2016-12-roundtable"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("a note with the slug `2016-12-roundtable` already exists"));
    let out = briefing(site.path(), &["new", "visa"]);
    assert!(
        stderr(&out).contains("a note with the slug `visa` already exists"),
        "{}",
        stderr(&out)
    );
    // One language, and a slug that is not one.
    let out = briefing(site.path(), &["new", "english-only", "--lang", "en"]);
    assert!(out.status.success());
    assert!(
        !site
            .path()
            .join("content/briefings/english-only/index.zh.md")
            .exists()
    );
    let out = briefing(site.path(), &["new", "Study Tour 2016"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("`Study Tour 2016` cannot be a slug"), "{err}");
    assert!(
        err.contains(
            "lowercase ASCII letters (a–z), digits and hyphens, e.g. briefing new study-tour-2016"
        ),
        "{err}"
    );
    let out = briefing(site.path(), &["new", "x", "--lang", "fr"]);
    assert!(stderr(&out).contains("`fr` is not a language of this site"));
}

#[test]
fn init_writes_a_site_that_builds_with_no_repository_around() {
    let dir = tempfile::tempdir().unwrap();
    let out = briefing(dir.path(), &["init", "press"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let site = dir.path().join("press");
    assert!(site.join("site.yaml").is_file());
    assert!(
        site.join("themes/default/templates/briefing.html")
            .is_file()
    );
    assert!(site.join("themes/default/i18n/zh.yaml").is_file());
    let out = briefing(&site, &["build"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("Built "));
    // The example note is a draft: nothing of it is published until the officer says so.
    assert!(
        stdout(&out).contains("2 drafts left out"),
        "{}",
        stdout(&out)
    );
    assert!(!site.join("output/en/briefings").exists());
    // Its placeholder contact is what --strict stops.
    let out = briefing(&site, &["check", "--strict"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let report = stdout(&out);
    for expected in [
        "warning: the contact Name Surname is still the example that `briefing new` wrote",
        "warning: the contact 姓名 is still the example that `briefing new` wrote",
        "0 errors, 2 warnings",
    ] {
        assert!(
            report.contains(expected),
            "missing {expected:?} in:\n{report}"
        );
    }
    let folder = std::fs::read_dir(site.join("content/briefings"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    for (lang, name) in [("en", "Name Surname"), ("zh", "姓名")] {
        let path = folder.join(format!("index.{lang}.md"));
        let text = std::fs::read_to_string(&path).unwrap();
        let text = text
            .replace(name, "Li Wei")
            .replace("+86 10 0000 0000", "+86 10 5979 9695")
            .replace("draft: true\n", "");
        std::fs::write(&path, text).unwrap();
    }
    let out = briefing(&site, &["check", "--strict"]);
    assert!(out.status.success(), "{}", stdout(&out));
    let out = briefing(&site, &["build"]);
    assert!(
        stdout(&out).contains("(en 8, zh 8, other 2)"),
        "{}",
        stdout(&out)
    );
    // It refuses a folder that is not empty.
    let out = briefing(dir.path(), &["init", "press"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("is not empty"));
}

#[test]
fn inits_site_yaml_shows_the_keys_an_office_needs_and_new_names_its_spokespeople() {
    let dir = tempfile::tempdir().unwrap();
    let out = briefing(dir.path(), &["init", "press"]);
    assert!(out.status.success(), "{}", said(&out));
    let site = dir.path().join("press");
    let yaml = std::fs::read_to_string(site.join("site.yaml")).unwrap();
    for example in [
        "# logo: pages/logo.svg",
        "# contacts:",
        "phone_region: CN",
        "# deploy:",
        "#     url: sftp://",
    ] {
        assert!(yaml.contains(example), "missing {example:?} in:\n{yaml}");
    }
    // The commented contacts, taken into use: a new note names the first by key.
    let uncommented: String = yaml
        .lines()
        .map(|l| {
            if l.starts_with("# contacts:")
                || l.starts_with("#   ") && !l.contains("url:") && !l.contains("production")
            {
                l.trim_start_matches("# ")
                    .trim_start_matches('#')
                    .to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(site.join("site.yaml"), format!("{uncommented}\n")).unwrap();
    let out = briefing(&site, &["new", "2016-05-visit"]);
    assert!(out.status.success(), "{}", said(&out));
    let note =
        std::fs::read_to_string(site.join("content/briefings/2016-05-visit/index.en.md")).unwrap();
    assert!(note.contains("contacts: [li-wei]"), "{note}");
    assert!(!note.contains("Name Surname"), "{note}");
    // With the draft line gone, the note checks clean: its contact is a real one.
    std::fs::write(
        site.join("content/briefings/2016-05-visit/index.en.md"),
        note.replace("draft: true\n", ""),
    )
    .unwrap();
    let out = briefing(&site, &["build"]);
    assert!(out.status.success(), "{}", said(&out));
    let page =
        std::fs::read_to_string(site.join("output/en/briefings/2016-05-visit/index.html")).unwrap();
    assert!(page.contains("Li Wei"), "{page}");

    // A logo written with content/ in front is named with the fix.
    std::fs::create_dir_all(site.join("content/pages")).unwrap();
    std::fs::write(
        site.join("content/pages/logo.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
    )
    .unwrap();
    let yaml = std::fs::read_to_string(site.join("site.yaml")).unwrap();
    std::fs::write(
        site.join("site.yaml"),
        yaml.replace("# logo: pages/logo.svg", "logo: content/pages/logo.svg"),
    )
    .unwrap();
    let out = briefing(&site, &["build"]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(
        said(&out).contains("the logo `content/pages/logo.svg` is not a file of the site"),
        "{}",
        said(&out)
    );
    assert!(
        said(&out).contains("write the path without `content/`: logo: pages/logo.svg"),
        "{}",
        said(&out)
    );
    assert!(!said(&out).contains("content/content/"), "{}", said(&out));
}
