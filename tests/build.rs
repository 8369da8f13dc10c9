//! Building fixture sites: the pages a reader gets, in both languages.

mod common;

use common::*;

#[test]
fn builds_every_page_and_file_of_the_fixture() {
    let site = fixture("basic");
    let out = build_ok(site.path(), &["--now", "2020-01-01"]);
    // One summary line with the pages per language.
    assert!(
        out.starts_with("Built 38 pages (en 20, zh 15, other 3), 64 files in all"),
        "{out}"
    );
    let files = tree(&site.path().join("output"));
    for expected in [
        "index.html",
        "style.css",
        "search.js",
        "favicon.svg",
        ".briefing-output",
        "en/index.html",
        "en/page/2/index.html",
        "zh/index.html",
        "zh/page/2/index.html",
        "en/about/index.html",
        "zh/about/index.html",
        "en/briefings/study-tour/index.html",
        "zh/briefings/study-tour/index.html",
        "briefings/study-tour/map.svg",
        "en/briefings/visa/index.html",
        "zh/briefings/visa/index.html",
        "en/briefings/returns/index.html",
        "zh/briefings/returns/index.html",
        "en/briefings/advisory/index.html",
        "card.png",
        // A feed for each project, funder and tag, as for the language.
        "en/projects/dialogue/atom.xml",
        "en/funders/eu/atom.xml",
        "en/tags/visa/atom.xml",
        "zh/tags/人口贩运/atom.xml",
    ] {
        assert!(
            files.contains_key(std::path::Path::new(expected)),
            "missing {expected}"
        );
    }
    // A note's files are published once, not into each language's folder.
    for lang in ["en", "zh"] {
        let copy = format!("{lang}/briefings/study-tour/map.svg");
        assert!(!files.contains_key(std::path::Path::new(&copy)), "{copy}");
    }
    assert_eq!(files.len(), 65, "{:#?}", files.keys().collect::<Vec<_>>());
}

#[test]
fn a_chinese_briefing_page_has_the_parts_of_a_press_note() {
    let site = fixture("basic");
    build_ok(site.path(), &[]);
    let p = page(site.path(), "zh/briefings/study-tour/index.html");
    assert_eq!(attr(&p, "html", "lang"), "zh-Hans");
    assert_eq!(text(&p, "h1"), "中欧交流预防人口贩运的经验");
    assert_eq!(text(&p, ".subtitle"), "赴奥地利、保加利亚和法国考察");
    // The project's name in both languages, the page's language first.
    assert_eq!(
        texts(&p, ".project-name"),
        [
            "支持中欧人员往来和移民领域对话项目",
            "EU-China Dialogue on Migration and Mobility Support Project"
        ]
    );
    assert_eq!(attrs(&p, ".project-name", "lang"), ["zh-Hans", "en"]);
    assert_eq!(text(&p, ".dateline"), "北京，2015年10月16日");
    assert_eq!(
        attr(&p, ".dateline time", "datetime"),
        "2015-10-16T00:00:00+08:00"
    );
    assert_eq!(
        texts(&p, ".event dd"),
        ["2015年10月19日至28日", "维也纳、索非亚、巴黎"]
    );
    assert_eq!(text(&p, ".contacts h2"), "如需了解更多信息，请联系：");
    assert_eq!(
        attrs(&p, ".contact a", "href"),
        [
            "mailto:h.marsh@example.org",
            "tel:+861059791234",
            "/zh/contacts/%E6%B5%B7%E4%BC%A6%E5%A8%9C-%E9%A9%AC%E4%BB%80.vcf"
        ]
    );
    assert_eq!(text(&p, ".funding"), "本活动由欧盟伙伴关系工具资助。");
    assert_eq!(attr(&p, ".funding a", "href"), "https://example.org/eu");
    // The link to another note's source file leads to that note in Chinese.
    assert_eq!(attr(&p, ".body p a", "href"), "/zh/briefings/visa/");
    // The map beside the note is published once, for both versions.
    assert_eq!(
        attr(&p, ".body img", "src"),
        "/briefings/study-tour/map.svg"
    );
}

#[test]
fn an_english_briefing_page_has_english_dates_and_markdown_features() {
    let site = fixture("basic");
    build_ok(site.path(), &[]);
    let p = page(site.path(), "en/briefings/study-tour/index.html");
    assert_eq!(attr(&p, "html", "lang"), "en");
    assert_eq!(text(&p, ".dateline"), "Beijing, 16 October 2015");
    assert_eq!(
        texts(&p, ".event dd"),
        ["19–28 October 2015", "Vienna, Sofia and Paris"]
    );
    assert_eq!(
        text(&p, ".contacts h2"),
        "For further information please contact:"
    );
    assert_eq!(
        text(&p, ".contact"),
        "Helena Marsh, Head of Office, Liaison Office Email: h.marsh@example.org Tel.: +86 10 5979 1234 Add to contacts (vCard)"
    );
    assert_eq!(attr(&p, ".body h2", "id"), "programme");
    assert_eq!(texts(&p, ".body table td"), ["1", "Vienna"]);
    assert_eq!(text(&p, ".body del"), "twice");
    assert!(text(&p, ".body p").contains("three “European” capitals"));
    assert_eq!(attrs(&p, ".body .footnote-definition", "id"), ["1"]);
    assert_eq!(
        attr(&p, ".body a[href*=visa]", "href"),
        "/en/briefings/visa/#outcomes"
    );
    assert_eq!(texts(&p, ".tags"), ["Tags: human trafficking, study tour"]);
    assert_eq!(
        text(&p, "title"),
        "China and EU exchange experience on preventing human trafficking · Test Office Briefings"
    );
}

#[test]
fn every_page_links_to_its_translation_and_back() {
    let site = fixture("basic");
    build_ok(site.path(), &[]);
    for (from, lang, to, hreflang) in [
        (
            "en/briefings/study-tour/index.html",
            "zh",
            "/zh/briefings/study-tour/",
            "zh-Hans",
        ),
        (
            "zh/briefings/study-tour/index.html",
            "en",
            "/en/briefings/study-tour/",
            "en",
        ),
        (
            "en/briefings/returns/index.html",
            "zh",
            "/zh/briefings/returns/",
            "zh-Hans",
        ),
        (
            "zh/briefings/returns/index.html",
            "en",
            "/en/briefings/returns/",
            "en",
        ),
        ("en/about/index.html", "zh", "/zh/about/", "zh-Hans"),
        ("en/index.html", "zh", "/zh/", "zh-Hans"),
    ] {
        let p = page(site.path(), from);
        let switch = format!(".switcher a[lang={hreflang}]");
        assert_eq!(attr(&p, &switch, "href"), to, "{from} → {lang}");
        let alternate = format!("link[rel=alternate][hreflang={hreflang}]");
        assert_eq!(
            attr(&p, &alternate, "href"),
            format!("https://press.example.org{to}"),
            "{from}"
        );
    }
}

#[test]
fn a_note_in_one_language_is_listed_only_in_that_language() {
    let site = fixture("basic");
    build_ok(site.path(), &[]);
    let p = page(site.path(), "en/briefings/advisory/index.html");
    // The switcher leads to the Chinese home page, marked as such, never to a missing page.
    assert_eq!(attr(&p, ".switcher a", "href"), "/zh/");
    assert_eq!(text(&p, ".switcher a"), "中文 (中文版暂无)");
    assert!(
        attrs(&p, "link[rel=alternate]", "hreflang")
            .iter()
            .all(|h| h == "en")
    );
    assert!(!site.path().join("output/zh/briefings/advisory").exists());
    let zh_titles: Vec<String> = ["zh/index.html", "zh/page/2/index.html"]
        .iter()
        .flat_map(|f| texts(&page(site.path(), f), ".listing h2"))
        .collect();
    assert_eq!(
        zh_titles,
        [
            "签证便利化政策对话",
            "人口贩运受害者安全回国",
            "中欧交流预防人口贩运的经验"
        ]
    );
}

#[test]
fn listings_are_newest_first_and_paginated() {
    let site = fixture("basic");
    build_ok(site.path(), &[]);
    let first = page(site.path(), "en/index.html");
    assert_eq!(
        texts(&first, ".listing h2"),
        [
            "Media advisory: report launch",
            "Policy dialogue on visa facilitation"
        ]
    );
    assert_eq!(attr(&first, "link[rel=next]", "href"), "/en/page/2/");
    assert_eq!(
        texts(&first, ".listing .meta time"),
        ["21 November 2016", "10 March 2016"]
    );
    // A summary from front matter, or the first paragraph.
    assert_eq!(
        texts(&first, ".listing .summary")[1],
        "Officials discussed simpler visa procedures."
    );
    let second = page(site.path(), "en/page/2/index.html");
    assert_eq!(
        texts(&second, ".listing h2"),
        [
            "Victims of trafficking return home safely",
            "China and EU exchange experience on preventing human trafficking"
        ]
    );
    assert_eq!(attr(&second, "link[rel=prev]", "href"), "/en/");
    assert_eq!(
        texts(&second, ".listing .summary")[1],
        "BEIJING – A senior delegation will visit three “European” capitals next week."
    );
}

#[test]
fn previous_and_next_briefing_in_the_same_language() {
    let site = fixture("basic");
    build_ok(site.path(), &[]);
    let p = page(site.path(), "en/briefings/visa/index.html");
    assert_eq!(
        attr(&p, ".prev-next a[rel=prev]", "href"),
        "/en/briefings/returns/"
    );
    assert_eq!(
        attr(&p, ".prev-next a[rel=next]", "href"),
        "/en/briefings/advisory/"
    );
    let zh = page(site.path(), "zh/briefings/visa/index.html");
    assert_eq!(
        attr(&zh, ".prev-next a[rel=prev]", "href"),
        "/zh/briefings/returns/"
    );
    assert!(attrs(&zh, ".prev-next a[rel=next]", "href").is_empty());
}

#[test]
fn projects_and_funders_come_from_the_registry_or_inline() {
    let site = fixture("basic");
    build_ok(site.path(), &[]);
    let p = page(site.path(), "en/briefings/visa/index.html");
    assert_eq!(texts(&p, ".project-name"), ["Visa Dialogue Support"]);
    assert_eq!(
        text(&p, ".funding"),
        "This activity is funded by the European Union (EU), Partnership Instrument (PI)."
    );
    // The funder defaults to the project's funder in site.yaml.
    let tour = page(site.path(), "en/briefings/study-tour/index.html");
    assert_eq!(attr(&tour, ".funding a", "href"), "https://example.org/eu");
}

#[test]
fn drafts_and_embargoed_notes_are_left_out_unless_asked_for() {
    let site = fixture("basic");
    let out = build_ok(site.path(), &["--now", "2020-01-01T00:00:00Z"]);
    assert!(
        out.contains("1 draft left out, 1 under embargo (next release 2030-01-01 09:00 +08:00)"),
        "{out}"
    );
    let output = site.path().join("output");
    assert!(!output.join("en/briefings/draft-note").exists());
    assert!(!output.join("en/briefings/embargoed").exists());
    let listed: Vec<String> = ["en/index.html", "en/page/2/index.html"]
        .iter()
        .flat_map(|f| texts(&page(site.path(), f), ".listing h2"))
        .collect();
    assert!(
        !listed
            .iter()
            .any(|t| t.contains("draft") || t.contains("Embargoed")),
        "{listed:?}"
    );

    build_ok(
        site.path(),
        &["--drafts", "--now", "2030-01-01T09:00:00+08:00"],
    );
    assert!(output.join("en/briefings/draft-note/index.html").is_file());
    assert!(output.join("en/briefings/embargoed/index.html").is_file());
}

#[test]
fn a_base_url_with_a_sub_path_prefixes_every_link() {
    let site = fixture("basic");
    build_ok(site.path(), &["--base-url", "https://host.example/press/"]);
    let p = page(site.path(), "zh/briefings/study-tour/index.html");
    assert_eq!(attr(&p, "link[rel=stylesheet]", "href"), "/press/style.css");
    assert_eq!(
        attr(&p, "link[rel=canonical]", "href"),
        "https://host.example/press/zh/briefings/study-tour/"
    );
    assert_eq!(
        attr(&p, ".switcher a", "href"),
        "/press/en/briefings/study-tour/"
    );
    assert_eq!(attr(&p, ".body p a", "href"), "/press/zh/briefings/visa/");
    assert_eq!(attr(&p, ".site-title", "href"), "/press/zh/");
    let root = page(site.path(), "index.html");
    assert_eq!(attrs(&root, ".enter", "href"), ["/press/en/", "/press/zh/"]);
    assert_eq!(
        attr(&root, "link[hreflang=x-default]", "href"),
        "https://host.example/press/"
    );
}

#[test]
fn a_withdrawn_note_disappears_from_the_output() {
    let site = fixture("basic");
    build_ok(site.path(), &[]);
    let output = site.path().join("output");
    assert!(output.join("en/briefings/advisory/index.html").is_file());
    std::fs::remove_file(site.path().join("content/briefings/advisory.en.md")).unwrap();
    build_ok(site.path(), &[]);
    assert!(!output.join("en/briefings/advisory").exists());
    assert!(output.join("en/briefings/visa/index.html").is_file());
}

#[test]
fn output_goes_where_asked_and_root_can_be_given() {
    let site = fixture("basic");
    let elsewhere = tempfile::tempdir().unwrap();
    let target = elsewhere.path().join("public");
    let out = briefing(
        elsewhere.path(),
        &[
            "build",
            "--root",
            site.path().to_str().unwrap(),
            "--output",
            "public",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(target.join("en/briefings/study-tour/index.html").is_file());
    assert!(!site.path().join("output").exists());
}

#[test]
fn a_site_theme_overrides_the_built_in_one_file_by_file() {
    let site = fixture("basic");
    write(
        site.path(),
        "themes/default/static/style.css",
        "body { color: red }\n",
    );
    write(
        site.path(),
        "themes/default/i18n/en.yaml",
        "further_information: \"Press contacts:\"\n",
    );
    build_ok(site.path(), &[]);
    let css = std::fs::read_to_string(site.path().join("output/style.css")).unwrap();
    assert_eq!(css, "body { color: red }\n");
    let p = page(site.path(), "en/briefings/study-tour/index.html");
    assert_eq!(text(&p, ".contacts h2"), "Press contacts:");
    // Keys the site does not override keep the built-in text; templates stay built in.
    assert_eq!(text(&p, ".tags .label"), "Tags:");
}

#[test]
fn the_example_site_builds() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let out_dir = tempfile::tempdir().unwrap();
    let output = out_dir.path().join("site");
    let out = briefing(root, &["build", "--output", output.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let en = tree(&output.join("en"));
    let zh = tree(&output.join("zh"));
    assert!(en.keys().filter(|p| p.ends_with("index.html")).count() >= 8);
    assert!(zh.keys().filter(|p| p.ends_with("index.html")).count() >= 7);
    // Every Chinese briefing links to its English version, which exists.
    for path in zh.keys().filter(|p| p.starts_with("briefings")) {
        if !path.ends_with("index.html") {
            continue;
        }
        let html = scraper::Html::parse_document(std::str::from_utf8(&zh[path]).unwrap());
        let href = attr(&html, ".switcher a[lang=en]", "href");
        let target = output.join(href.trim_start_matches('/')).join("index.html");
        assert!(target.is_file(), "{} → {href}", path.display());
    }
}

#[test]
fn a_project_that_looks_like_a_misspelt_key_is_warned_about() {
    let site = fixture("basic");
    write(
        site.path(),
        "content/briefings/visa.zh.md",
        "---\ntitle: 签证便利化政策对话\ndate: 2016-03-10\nproject: dialog\n---\n\n正文。\n",
    );
    let out = briefing(site.path(), &["build"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(
            "warning: `dialog` is not a key in site.yaml, so it is shown as the name itself"
        ),
        "{err}"
    );
    assert!(
        err.contains("--> content/briefings/visa.zh.md:4:1"),
        "{err}"
    );
    assert!(err.contains("keys in site.yaml: dialogue"), "{err}");
    let p = page(site.path(), "zh/briefings/visa/index.html");
    assert_eq!(texts(&p, ".project-name"), ["dialog"]);
}

#[test]
fn a_rebuild_rewrites_only_the_files_that_changed() {
    let site = fixture("basic");
    build_ok(site.path(), &[]);
    let output = site.path().join("output");
    let modified = |rel: &str| modified(&output.join(rel));
    set_long_ago(&output.join("en/briefings/visa/index.html"));
    set_long_ago(&output.join("zh/about/index.html"));
    let before = tree(&output);

    build_ok(site.path(), &[]);
    assert_same_tree(&tree(&output), &before);
    assert_eq!(modified("en/briefings/visa/index.html"), long_ago());

    let note = site.path().join("content/briefings/visa.en.md");
    let text = std::fs::read_to_string(&note).unwrap();
    std::fs::write(&note, text.replacen("title: ", "title: Revised ", 1)).unwrap();
    build_ok(site.path(), &[]);
    assert_ne!(modified("en/briefings/visa/index.html"), long_ago());
    assert!(
        text_of_page(&output, "en/briefings/visa/index.html").contains("Revised Policy dialogue")
    );
    assert_eq!(
        modified("zh/about/index.html"),
        long_ago(),
        "a page the edit does not reach is left alone"
    );

    // The result is the same as a build into an empty folder.
    build_ok(site.path(), &["--output", "fresh"]);
    assert_same_tree(&tree(&output), &tree(&site.path().join("fresh")));
}

fn text_of_page(output: &std::path::Path, rel: &str) -> String {
    std::fs::read_to_string(output.join(rel)).unwrap()
}

#[test]
fn an_output_folder_whose_shape_changed_is_repaired() {
    let site = fixture("basic");
    build_ok(site.path(), &[]);
    let output = site.path().join("output");
    let expected = tree(&output);

    // A file where the new site needs a folder.
    std::fs::remove_dir_all(output.join("en/about")).unwrap();
    std::fs::write(output.join("en/about"), "a file in the way").unwrap();
    // A folder where the new site needs a file.
    std::fs::remove_file(output.join("sitemap.xml")).unwrap();
    std::fs::create_dir_all(output.join("sitemap.xml/inside")).unwrap();
    build_ok(site.path(), &[]);
    assert_same_tree(&tree(&output), &expected);
}

#[cfg(unix)]
#[test]
fn a_symbolic_link_in_the_output_is_replaced_never_followed() {
    let site = fixture("basic");
    build_ok(site.path(), &[]);
    let output = site.path().join("output");
    let expected = tree(&output);
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::write(elsewhere.path().join("index.html"), "not the site's").unwrap();
    std::fs::write(elsewhere.path().join("keep.txt"), "mine").unwrap();
    std::fs::remove_dir_all(output.join("en/briefings/visa")).unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), output.join("en/briefings/visa")).unwrap();

    build_ok(site.path(), &[]);
    assert_same_tree(&tree(&output), &expected);
    assert!(
        !std::fs::symlink_metadata(output.join("en/briefings/visa"))
            .unwrap()
            .is_symlink()
    );
    assert_eq!(
        std::fs::read_to_string(elsewhere.path().join("index.html")).unwrap(),
        "not the site's"
    );
    assert_eq!(
        std::fs::read_to_string(elsewhere.path().join("keep.txt")).unwrap(),
        "mine"
    );

    // A link to a copy of the very same files: still replaced by real files.
    let copy = tempfile::tempdir().unwrap();
    copy_tree(&output.join("en"), copy.path());
    std::fs::remove_dir_all(output.join("en")).unwrap();
    std::os::unix::fs::symlink(copy.path(), output.join("en")).unwrap();
    build_ok(site.path(), &[]);
    assert_same_tree(&tree(&output), &expected);
    assert!(
        std::fs::symlink_metadata(output.join("en"))
            .unwrap()
            .is_dir()
    );
    assert_eq!(tree(copy.path()).len(), tree(&output.join("en")).len());
}

/// A link or a named pipe where a file of the site goes, or at the marker: the build puts the
/// real file in its place and leaves what a link points to alone.
#[cfg(unix)]
#[test]
fn a_link_or_a_pipe_at_a_file_of_the_site_is_replaced_by_the_real_file() {
    use std::os::unix::fs::symlink;
    let site = fixture("basic");
    build_ok(site.path(), &[]);
    let output = site.path().join("output");
    let expected = tree(&output);
    let elsewhere = tempfile::tempdir().unwrap();
    let outside = elsewhere.path().join("robots.txt");
    std::fs::write(&outside, "someone else's file").unwrap();
    std::fs::remove_file(output.join("robots.txt")).unwrap();
    symlink(&outside, output.join("robots.txt")).unwrap();
    let marker = elsewhere.path().join("marker");
    std::fs::write(&marker, "someone else's marker").unwrap();
    std::fs::remove_file(output.join(".briefing-output")).unwrap();
    symlink(&marker, output.join(".briefing-output")).unwrap();
    std::fs::remove_file(output.join("sitemap.xml")).unwrap();
    let fifo = |path: &std::path::Path| {
        let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    };
    fifo(&output.join("sitemap.xml"));
    fifo(&output.join("en/not-a-page"));

    build_ok(site.path(), &[]);
    assert_same_tree(&tree(&output), &expected);
    for name in ["robots.txt", ".briefing-output", "sitemap.xml"] {
        assert!(
            std::fs::symlink_metadata(output.join(name))
                .unwrap()
                .is_file(),
            "{name}"
        );
    }
    assert!(!output.join("en/not-a-page").exists());
    assert_eq!(
        std::fs::read_to_string(&outside).unwrap(),
        "someone else's file"
    );
    assert_eq!(
        std::fs::read_to_string(&marker).unwrap(),
        "someone else's marker"
    );

    // A marker that is a link to nothing still marks the folder: the next build replaces it.
    std::fs::remove_file(output.join(".briefing-output")).unwrap();
    symlink(
        elsewhere.path().join("gone"),
        output.join(".briefing-output"),
    )
    .unwrap();
    build_ok(site.path(), &[]);
    build_ok(site.path(), &[]);
    assert_same_tree(&tree(&output), &expected);
    assert!(!elsewhere.path().join("gone").exists());
}

/// The parallel build writes the same bytes as a build on one thread, search index included.
#[test]
fn a_parallel_build_equals_a_single_threaded_one() {
    let site = fixture("basic");
    with_search(site.path());
    // Enough notes for many listing pages, tags and slices of work to interleave.
    write_notes(site.path(), 120, "");
    let build_with = |threads: &str, out: &str| {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_briefing"))
            .args(["build", "--now", "2024-01-01", "--output", out])
            .env("RAYON_NUM_THREADS", threads)
            .current_dir(site.path())
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        tree(&site.path().join(out))
    };
    let one = build_with("1", "one");
    let many = build_with("8", "many");
    assert!(one.len() > 500, "{} files", one.len());
    assert!(
        one.keys()
            .any(|p| p.to_string_lossy().starts_with("en/search/words-"))
    );
    for (path, bytes) in &one {
        assert!(many.get(path) == Some(bytes), "{} differs", path.display());
    }
    assert_eq!(one.len(), many.len());
}

/// English lists of places read as English: two with "and", places with commas of their own
/// set apart by semicolons.
#[test]
fn english_lists_of_places_read_as_english() {
    let site = fixture("basic");
    for (slug, places) in [
        ("two", "[Paris, Chengdu]"),
        (
            "commas",
            "[\"Vienna, Austria\", \"Sofia, Bulgaria\", \"Paris, France\"]",
        ),
    ] {
        write(
            site.path(),
            &format!("content/briefings/{slug}.en.md"),
            &format!(
                "---\ntitle: Places\ndate: 2016-01-01\nevent:\n  start: 2016-01-02\n  locations: {places}\n---\n\nText.\n"
            ),
        );
    }
    build_ok(site.path(), &[]);
    let places = |slug: &str| {
        let html = page(site.path(), &format!("en/briefings/{slug}/index.html"));
        texts(&html, ".event dd").pop().unwrap()
    };
    assert_eq!(places("two"), "Paris and Chengdu");
    assert_eq!(
        places("commas"),
        "Vienna, Austria; Sofia, Bulgaria; and Paris, France"
    );
}

#[test]
fn static_pages_have_a_short_navigation_label_and_an_order() {
    let site = fixture("basic");
    for (lang, title, label) in [
        (
            "en",
            "Media accreditation and registration",
            "Accreditation",
        ),
        ("zh", "媒体注册与采访证申请须知", "媒体注册"),
    ] {
        write(
            site.path(),
            &format!("content/pages/accreditation.{lang}.md"),
            &format!(
                "---\ntitle: {title}\nnav_label: {label}\nnav_order: 1\ndate: 2015-09-01\n---\n\nText.\n"
            ),
        );
    }
    build_ok(site.path(), &[]);
    let en = page(site.path(), "en/index.html");
    assert_eq!(
        texts(&en, ".site-nav a"),
        [
            "Briefings",
            "Projects",
            "Tags",
            "Accreditation",
            "About the press service"
        ]
    );
    let zh = page(site.path(), "zh/briefings/visa/index.html");
    assert_eq!(
        texts(&zh, ".site-nav a"),
        ["新闻简报", "项目", "标签", "媒体注册", "关于新闻服务"]
    );
    // The page itself keeps its full title.
    let accreditation = page(site.path(), "zh/accreditation/index.html");
    assert_eq!(text(&accreditation, "h1"), "媒体注册与采访证申请须知");

    write(
        site.path(),
        "content/briefings/visa.en.md",
        "---\ntitle: Visa\nnav_order: 2\ndate: 2016-03-10\n---\n\nText.\n",
    );
    let err = build_fails(site.path(), &[]);
    assert!(
        err.contains(
            "`nav_order` is for static pages, which are in the site navigation; a briefing is not"
        ),
        "{err}"
    );
    assert!(
        err.contains("--> content/briefings/visa.en.md:3:1"),
        "{err}"
    );
}

#[test]
fn a_site_shows_its_logo_and_favicon_and_refuses_one_it_does_not_have() {
    let site = fixture("basic");
    build_ok(site.path(), &[]);
    // The theme's icon, and no logo, unless site.yaml names them.
    let home = page(site.path(), "en/index.html");
    assert_eq!(attrs(&home, "link[rel=icon]", "href"), ["/favicon.svg"]);
    assert!(site.path().join("output/favicon.svg").is_file());
    assert!(attrs(&home, ".site-title img", "src").is_empty());

    let yaml = std::fs::read_to_string(site.path().join("site.yaml")).unwrap();
    write(
        site.path(),
        "site.yaml",
        &format!("{yaml}logo: pages/emblem.svg\nfavicon: /pages/icon.png\n"),
    );
    write(
        site.path(),
        "content/pages/emblem.svg",
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 8 8\"><rect width=\"8\" height=\"8\"/></svg>",
    );
    for (command, code, out) in build_and_check(site.path()) {
        assert_eq!(code, Some(1), "{command}: {out}");
        assert!(
            out.contains("error: the favicon `pages/icon.png` is not a file of the site"),
            "{command}: {out}"
        );
        assert!(out.contains("--> site.yaml:"), "{command}: {out}");
        assert!(
            out.contains("put the image at content/pages/icon.png"),
            "{command}: {out}"
        );
    }
    std::fs::write(
        site.path().join("content/pages/icon.png"),
        photos::png(32, 32),
    )
    .unwrap();
    build_ok(site.path(), &[]);
    for path in [
        "en/index.html",
        "zh/briefings/visa/index.html",
        "index.html",
    ] {
        let html = page(site.path(), path);
        assert_eq!(
            attrs(&html, "link[rel=icon]", "href"),
            ["/pages/icon.png"],
            "{path}"
        );
    }
    let zh = page(site.path(), "zh/index.html");
    assert_eq!(
        attrs(&zh, ".site-title img.logo", "src"),
        ["/pages/emblem.svg"]
    );
    assert_eq!(attrs(&zh, ".site-title img.logo", "alt"), [""]);

    let yaml = std::fs::read_to_string(site.path().join("site.yaml")).unwrap();
    write(
        site.path(),
        "site.yaml",
        &yaml.replace("pages/emblem.svg", "../secret.txt"),
    );
    let err = build_fails(site.path(), &[]);
    assert!(err.contains("`../secret.txt` cannot be the logo"), "{err}");
}
