//! No script from a note reaches a published page: markup in every field and in the text is
//! shown as text or sanitised, and a URL whose scheme is not allowed is an error that `check`
//! and `build` both report. The same pages are loaded in Chromium by `tests/browser.rs`.

mod common;

use std::path::Path;

use briefing::{UrlUse, check_url};
use common::*;

/// The HTML of a page, or of a feed entry: no element that runs or embeds something, no
/// event handler, every URL allowed, and a script only as the theme writes one.
fn assert_html_safe(rel: &str, text: &str) {
    let html = scraper::Html::parse_document(text);
    for element in html.select(&sel("*")) {
        let name = element.value().name();
        assert!(
            !matches!(name, "iframe" | "svg" | "object" | "embed"),
            "{rel}: <{name}> from a note"
        );
        if name == "script" {
            let code = element.text().collect::<String>();
            if element.value().attr("type") == Some("application/ld+json") {
                serde_json::from_str::<serde_json::Value>(&code)
                    .unwrap_or_else(|e| panic!("{rel}: JSON-LD broken: {e}"));
            } else {
                assert!(!code.contains("__xss"), "{rel}: a note's script: {code}");
            }
        }
        for (attr, value) in element.value().attrs() {
            assert!(
                !attr.starts_with("on"),
                "{rel}: <{name} {attr}=\"{value}\">"
            );
            let usage = match (name, attr) {
                ("img", "src") => UrlUse::Image,
                (_, "href" | "src" | "action" | "formaction") => UrlUse::Link,
                _ => continue,
            };
            assert!(
                check_url(value, usage).is_ok(),
                "{rel}: <{name} {attr}=\"{value}\">"
            );
        }
    }
}

/// Every HTML, XML and JSON file of a built site: no markup from a note, every URL allowed;
/// the HTML a feed carries (escaped, as feed readers render it) is read as a page is.
/// Returns how many feed entries' HTML was read.
fn assert_no_script_from_notes(output: &Path) -> usize {
    let mut pages = 0;
    let mut feed_html = 0;
    for entry in walkdir::WalkDir::new(output) {
        let entry = entry.unwrap();
        let path = entry.path();
        let rel = path.strip_prefix(output).unwrap().display().to_string();
        let Some(ext) = path.extension().and_then(|e| e.to_str()) else {
            continue;
        };
        let text = match ext {
            "html" | "xml" | "json" => std::fs::read_to_string(path).unwrap(),
            _ => continue,
        };
        match ext {
            "html" => {
                pages += 1;
                assert_html_safe(&rel, &text);
            }
            "xml" => {
                let doc = roxmltree::Document::parse(&text)
                    .unwrap_or_else(|e| panic!("{rel} is not well-formed XML: {e}"));
                assert!(
                    !doc.descendants()
                        .any(|n| n.tag_name().name().eq_ignore_ascii_case("script")),
                    "{rel}: a <script> element"
                );
                for node in doc.descendants().filter(|n| {
                    matches!(n.tag_name().name(), "content" | "summary")
                        && n.attribute("type") == Some("html")
                }) {
                    let decoded: String = node.descendants().filter_map(|t| t.text()).collect();
                    assert_html_safe(&format!("{rel} (an entry's HTML)"), &decoded);
                    feed_html += 1;
                }
            }
            _ => {
                serde_json::from_str::<serde_json::Value>(&text)
                    .unwrap_or_else(|e| panic!("{rel} is not JSON: {e}"));
            }
        }
    }
    assert!(pages > 20, "only {pages} pages checked");
    feed_html
}

#[test]
fn markup_in_every_field_and_the_text_is_shown_as_text() {
    let site = fixture("basic");
    with_search(site.path());
    write_payload_notes(site.path());
    build_ok(site.path(), &[]);
    let feed_html = assert_no_script_from_notes(&site.path().join("output"));
    assert!(feed_html > 10, "only {feed_html} feed entries' HTML read");
    // The payloads are there, as text: the test would see them if they were markup.
    for (n, payload) in MARKUP.iter().enumerate() {
        let html = page(site.path(), &format!("en/briefings/payload-{n}/index.html"));
        assert_eq!(text(&html, "h1"), *payload);
    }
    let home = page(site.path(), "en/index.html");
    assert!(text(&home, "title").contains("<script>window.__xss=1</script>"));
}

/// One note whose text is `body` (and front matter `extra`) in the basic fixture.
fn site_with(body: &str, extra: &str) -> tempfile::TempDir {
    let site = fixture("basic");
    write(
        site.path(),
        "content/briefings/hostile.en.md",
        &format!("---\ntitle: Hostile\ndate: 2015-10-16\n{extra}---\n\n{body}\n"),
    );
    site
}

/// `build` and `check` both fail, both naming `place` and saying `what`; the output folder
/// is not written.
fn refused_by_build_and_check(site: &Path, place: &str, what: &str) {
    let built = build_fails(site, &[]);
    assert!(
        built.contains(place),
        "build does not name {place}:\n{built}"
    );
    assert!(built.contains(what), "build does not say {what}:\n{built}");
    assert!(!site.join("output").exists());
    let checked = briefing(site, &["check"]);
    assert_eq!(checked.status.code(), Some(1), "{}", stdout(&checked));
    let said = format!("{}{}", stdout(&checked), stderr(&checked));
    assert!(said.contains(what), "check does not say {what}:\n{said}");
}

#[test]
fn links_with_a_scheme_outside_the_allow_list_are_errors_in_build_and_check() {
    for (body, scheme) in [
        ("[Read](javascript:alert(document.domain))", "`javascript:`"),
        ("[Read](JaVaScRiPt:alert(1))", "`JaVaScRiPt:`"),
        ("[Read](javascript&#58;alert(1))", "`javascript:`"),
        ("[Read](java%0Ascript:alert(1))", "`java%0Ascript:`"),
        ("<javascript:alert(1)>", "`javascript:`"),
        ("[Read][r]\n\n[r]: javascript:alert(1)", "`javascript:`"),
        ("[Read](vbscript:msgbox(1))", "`vbscript:`"),
        (
            "[Read](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
            "`data:`",
        ),
        ("[Read](file:///etc/passwd)", "`file:`"),
        (
            "![Chart](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
            "`image/svg+xml`",
        ),
    ] {
        let site = site_with(&format!("Intro.\n\n{body}\n"), "");
        refused_by_build_and_check(site.path(), "content/briefings/hostile.en.md:8:", scheme);
    }
}

#[test]
fn a_project_or_funder_url_outside_the_allow_list_is_an_error() {
    for extra in [
        "project: { name: Dialogue, url: \"JavaScript:alert(1)\" }\n",
        "funder: { name: Fund, url: \" JavaScript:alert(1)\" }\n",
    ] {
        let site = site_with("Text.", extra);
        refused_by_build_and_check(
            site.path(),
            "content/briefings/hostile.en.md:4:",
            "avaScript:` cannot be published",
        );
    }
    let site = fixture("basic");
    let yaml = std::fs::read_to_string(site.path().join("site.yaml")).unwrap();
    std::fs::write(
        site.path().join("site.yaml"),
        yaml.replace("https://example.org/iom", "javascript:alert(1)"),
    )
    .unwrap();
    refused_by_build_and_check(site.path(), "site.yaml:", "the url of `iom`");
}

#[test]
fn markdown_gives_headings_no_attribute_but_id_and_class_and_raw_html_is_always_sanitised() {
    let site = site_with(
        "## Outcomes {onmouseover=alert(1) .key #outcomes-2015}\n\n\
         ![Photo](data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=)\n\n\
         Text <a href=\"javascript:alert(1)\" onclick=\"alert(2)\">raw</a> \
         <img src=\"data:image/svg+xml;base64,PHN2Zz4=\" alt=\"chart\"> <b>bold</b>\n",
        "",
    );
    build_ok(site.path(), &[]);
    let html = page(site.path(), "en/briefings/hostile/index.html");
    let heading = html.select(&sel("main h2")).next().expect("the heading");
    let mut attributes: Vec<(&str, &str)> = heading.value().attrs().collect();
    attributes.sort();
    assert_eq!(attributes, [("class", "key"), ("id", "outcomes-2015")]);
    assert_eq!(
        attrs(&html, "main img[alt=Photo]", "src"),
        [
            "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
        ]
    );
    assert_eq!(text(&html, "main b"), "bold");
    let raw = html
        .select(&sel("main a"))
        .find(|a| a.text().collect::<String>() == "raw")
        .expect("the raw link, without its href");
    assert_eq!(raw.value().attrs().count(), 0, "{:?}", raw.value());
    assert!(attrs(&html, "main img[alt=chart]", "src").is_empty());
    assert_no_script_from_notes(&site.path().join("output"));
}

#[test]
fn press_kit_files_that_could_run_a_script_are_refused() {
    for (name, body, what) in [
        (
            "evil.svg",
            "<svg xmlns=\"http://www.w3.org/2000/svg\">\n<script>alert(1)</script></svg>",
            "this SVG image cannot be published: it has a <script> element",
        ),
        (
            "chart.svg",
            "<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>",
            "it has an event handler `onload`",
        ),
        (
            "embed.svg",
            "<svg xmlns=\"http://www.w3.org/2000/svg\"><foreignObject/></svg>",
            "<foreignObject>",
        ),
        (
            "page.html",
            "<p>x</p>",
            "a web page or XML file cannot be published",
        ),
        (
            "x.xhtml",
            "<html/>",
            "a web page or XML file cannot be published",
        ),
    ] {
        let site = fixture("basic");
        write(
            site.path(),
            &format!("content/briefings/study-tour/{name}"),
            body,
        );
        refused_by_build_and_check(
            site.path(),
            &format!("content/briefings/study-tour/{name}"),
            what,
        );
    }
    // A site that allows raw HTML publishes an HTML file as it is.
    let site = fixture("basic");
    let yaml = std::fs::read_to_string(site.path().join("site.yaml")).unwrap();
    std::fs::write(
        site.path().join("site.yaml"),
        format!("{yaml}markdown:\n  raw_html: allow\n"),
    )
    .unwrap();
    write(
        site.path(),
        "content/briefings/study-tour/page.html",
        "<p>x</p>",
    );
    build_ok(site.path(), &[]);
    assert!(
        site.path()
            .join("output/briefings/study-tour/page.html")
            .is_file()
    );
}

#[test]
fn a_file_link_is_percent_encoded_so_that_no_browser_reads_a_query_or_fragment() {
    let site = fixture("presskit");
    write(
        site.path(),
        "content/briefings/launch/report #1 (100%).pdf",
        "%PDF-1.4\n",
    );
    build_ok(site.path(), &[]);
    let html = page(site.path(), "en/briefings/launch/index.html");
    let links = attrs(&html, "a[href*='report']", "href");
    assert_eq!(
        links,
        ["/briefings/launch/report%20%231%20%28100%25%29.pdf"]
    );
    assert!(
        site.path()
            .join("output/briefings/launch/report #1 (100%).pdf")
            .is_file()
    );
}

#[test]
fn control_characters_in_front_matter_are_errors_naming_the_field_and_line() {
    for (front, place, what) in [
        (
            "title: \"Visa\\vtalks\"\n",
            "hostile.en.md:2:",
            "the value of `title` holds an invisible control character, U+000B (vertical tab)",
        ),
        (
            "title: Hostile\nsubtitle: \"a\\0b\"\n",
            "hostile.en.md:3:",
            "the value of `subtitle` holds an invisible control character, U+0000 (NUL)",
        ),
        (
            "title: Hostile\ndateline: Bei\u{b}jing\n",
            "hostile.en.md:3:14",
            "the value of `dateline` holds an invisible control character, U+000B",
        ),
    ] {
        let site = fixture("basic");
        write(
            site.path(),
            "content/briefings/hostile.en.md",
            &format!("---\n{front}date: 2015-10-16\n---\n\nText.\n"),
        );
        refused_by_build_and_check(site.path(), place, what);
    }
    let site = site_with("Text with a \u{c} form feed.", "");
    refused_by_build_and_check(
        site.path(),
        "hostile.en.md:6:13",
        "the text holds an invisible control character, U+000C (form feed)",
    );
}
