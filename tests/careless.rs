//! What a careless or hostile note or site.yaml must not do: run a script from a drawing,
//! publish a file a web server would run, aim the site's styles at another host, lose text
//! without a word, or make one list of two items; and what `build` and `check` say of it,
//! alike.

mod common;

use common::*;

/// Writes `rel` into the basic fixture and asserts that `build` and `check` both fail with
/// every one of `expected` in their messages; returns build's message.
fn refused_by_build_and_check(rel: &str, text: &[u8], expected: &[&str]) -> String {
    let site = fixture("basic");
    let path = site.path().join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    let mut build_said = String::new();
    for (command, code, out) in build_and_check(site.path()) {
        assert_eq!(code, Some(1), "{command}: {out}");
        for e in expected {
            assert!(out.contains(e), "{command}: missing {e:?} in:\n{out}");
        }
        if command == "build" {
            build_said = out;
        }
    }
    assert!(!site.path().join("output").exists());
    build_said
}

#[test]
fn an_svg_that_hides_a_script_or_a_load_is_refused() {
    let cases: [(&str, &str); 4] = [
        (
            r#"<!DOCTYPE svg [<!ATTLIST svg onload CDATA "fetch('/en/')">]>
<svg xmlns="http://www.w3.org/2000/svg"><rect width="10" height="10"/></svg>"#,
            "its DOCTYPE declares entities or attributes of its own",
        ),
        (
            "<svg xmlns=\"http://www.w3.org/2000/svg\">\n<style>rect { fill: u\\72l(https://tracker.example/p.png) }</style><rect/></svg>",
            "its styles load another file or site",
        ),
        (
            "<svg xmlns=\"http://www.w3.org/2000/svg\">\n<rect style=\"fill: \\75 rl(https://tracker.example/p.png)\"/></svg>",
            "its styles load another file or site",
        ),
        (
            r##"<svg xmlns="http://www.w3.org/2000/svg" xmlns:l="http://www.w3.org/1999/xlink">
<a l:href="#x"><animate attributeName="l:href" values="javascript:alert(1)"/><text>x</text></a></svg>"##,
            "it has an animation that changes a link",
        ),
    ];
    for (svg, why) in cases {
        refused_by_build_and_check(
            "content/briefings/study-tour/map.svg",
            svg.as_bytes(),
            &[
                &format!("this SVG image cannot be published: {why}"),
                "--> content/briefings/study-tour/map.svg:",
            ],
        );
    }
}

#[test]
fn a_file_a_web_server_would_run_is_never_published() {
    for name in [
        "upload.php",
        "report.php.pdf",
        "index.phtml",
        "page.jsp",
        "default.asp",
        "include.shtm",
        "map.svg.gz",
    ] {
        refused_by_build_and_check(
            &format!("content/briefings/study-tour/{name}"),
            b"<?php system($_GET['c']); ?>",
            &[
                "this file cannot be published: a web server may run it as a program",
                &format!("--> content/briefings/study-tour/{name}"),
                "put it in a .zip archive",
            ],
        );
    }
}

#[test]
fn a_base_url_that_leads_to_another_host_is_refused() {
    let yaml = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/basic/site.yaml"),
    )
    .unwrap();
    for bad in [
        "https://press.example.org//evil.example",
        "https://press.example.org/\\evil.example",
        "https://press.example.org/press/../..",
        "https://user@evil.example",
    ] {
        let site = fixture("basic");
        write(
            site.path(),
            "site.yaml",
            &yaml.replace(
                "base_url: https://press.example.org",
                &format!("base_url: \"{}\"", bad.replace('\\', "\\\\")),
            ),
        );
        for (command, code, out) in build_and_check(site.path()) {
            assert_eq!(code, Some(1), "{command} {bad}: {out}");
            assert!(
                out.contains(&format!(
                    "base_url `{bad}` is not an absolute http(s) address with a plain path"
                )),
                "{command} {bad}: {out}"
            );
        }
        let out = briefing(site.path(), &["build", "--base-url", bad]);
        assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    }
    // A path of its own is fine.
    let site = fixture("basic");
    build_ok(site.path(), &["--base-url", "https://example.org/press"]);
    assert!(
        std::fs::read_to_string(site.path().join("output/en/index.html"))
            .unwrap()
            .contains("href=\"/press/style.css")
    );
}

#[test]
fn a_tag_name_written_in_the_text_is_published_as_written_and_hides_nothing() {
    let site = fixture("basic");
    write(
        site.path(),
        "content/briefings/tags.en.md",
        "---\ntitle: Web forms at the workshop\ndate: 2016-05-02\n---\n\nParticipants learned why a <script> tag or a <textarea> must be escaped.\n\n<style>\n\nThe rest of the note stays.\n\nAnd <title>, <template>, <iframe>, <xmp>, <noscript>, <plaintext> and <noembed> too.\n\nLast paragraph.\n",
    );
    let out = briefing(site.path(), &["build"]);
    let text = said(&out);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("warning: `<script>` is published as written: as HTML it would hide the rest of the note"),
        "{text}"
    );
    assert!(
        text.contains("--> content/briefings/tags.en.md:6:28"),
        "{text}"
    );
    let html = page(site.path(), "en/briefings/tags/index.html");
    let body = texts(&html, "article p").join("\n");
    for expected in [
        "Participants learned why a <script> tag or a <textarea> must be escaped.",
        "<style>",
        "The rest of the note stays.",
        "And <title>, <template>, <iframe>, <xmp>, <noscript>, <plaintext> and <noembed> too.",
        "Last paragraph.",
    ] {
        assert!(body.contains(expected), "missing {expected:?} in:\n{body}");
    }
    for element in [
        "article script",
        "article textarea",
        "article style",
        "article iframe",
    ] {
        assert!(html.select(&sel(element)).next().is_none(), "{element}");
    }
    // check says the same, and --strict refuses it.
    let check = briefing(site.path(), &["check", "--strict"]);
    assert_eq!(check.status.code(), Some(1), "{}", said(&check));
    assert!(
        said(&check).contains("`<textarea>` is published as written"),
        "{}",
        said(&check)
    );
}

#[test]
fn a_fullwidth_comma_in_a_list_is_an_error_with_the_fix() {
    let err = refused_by_build_and_check(
        "content/briefings/bad.zh.md",
        "---\ntitle: 考察\ndate: 2015-10-16\ntags: [人口贩运，考察访问]\n---\n\n正文。\n"
            .as_bytes(),
        &[
            "a full-width comma `，` (U+FF0C) separates the items of this list, but YAML does not read it as a separator",
            "--> content/briefings/bad.zh.md:4:12",
        ],
    );
    assert!(err.contains("half-width (English) input mode"), "{err}");
    refused_by_build_and_check(
        "content/briefings/bad.zh.md",
        "---\ntitle: 考察\ndate: 2015-10-16\nevent:\n  start: 2015-10-19\n  locations: [维也纳、索非亚、巴黎]\n---\n\n正文。\n".as_bytes(),
        &[
            "an enumeration comma `、` (U+3001) separates the items of this list",
            "--> content/briefings/bad.zh.md:6:18",
        ],
    );
    // Inside quotes, or in running text, the marks are the text's own.
    let site = fixture("basic");
    write(
        site.path(),
        "content/briefings/fine.zh.md",
        "---\ntitle: 维也纳、索非亚和巴黎，三地考察\ndate: 2015-10-16\ntags: [\"维也纳、索非亚\", 考察]\n---\n\n正文。\n",
    );
    build_ok(site.path(), &[]);
}

#[test]
fn a_static_page_needs_no_date() {
    let site = fixture("basic");
    write(
        site.path(),
        "content/pages/contact.en.md",
        "---\ntitle: Contact the press office\n---\n\nWrite to press@example.org.\n",
    );
    let (_, code, out) = build_and_check(site.path()).remove(1);
    assert_eq!(code, Some(0), "{out}");
    build_ok(site.path(), &[]);
    let html = page(site.path(), "en/contact/index.html");
    assert_eq!(text(&html, "h1"), "Contact the press office");
    assert!(!html.html().contains("1970"), "{}", html.html());
    let sitemap = std::fs::read_to_string(site.path().join("output/sitemap.xml")).unwrap();
    let entry = sitemap
        .split("<url>")
        .find(|u| u.contains("/en/contact/<"))
        .unwrap_or_else(|| panic!("no sitemap entry:\n{sitemap}"));
    assert!(!entry.contains("<lastmod>"), "{entry}");
    // A briefing still needs one.
    let err = {
        write(
            site.path(),
            "content/briefings/undated.en.md",
            "---\ntitle: No date\n---\n\nText.\n",
        );
        build_fails(site.path(), &[])
    };
    assert!(err.contains("this note has no date"), "{err}");
}

#[test]
fn a_feed_with_no_entries_is_the_same_at_every_build() {
    let site = fixture("basic");
    for zh in [
        "content/briefings/visa.zh.md",
        "content/briefings/returns-cn.zh.md",
        "content/briefings/study-tour/index.zh.md",
    ] {
        std::fs::remove_file(site.path().join(zh)).unwrap();
    }
    build_ok(site.path(), &[]);
    let feed = site.path().join("output/zh/atom.xml");
    let first = std::fs::read_to_string(&feed).unwrap();
    assert!(!first.contains("<entry>"), "{first}");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    build_ok(site.path(), &[]);
    assert_eq!(std::fs::read_to_string(&feed).unwrap(), first);
    // The time given is the site's latest briefing's, in any language.
    let english = std::fs::read_to_string(site.path().join("output/en/atom.xml")).unwrap();
    let updated = |xml: &str| {
        xml.split("<updated>")
            .nth(1)
            .and_then(|s| s.split("</updated>").next())
            .unwrap()
            .to_string()
    };
    assert_eq!(updated(&first), updated(&english));
}

#[test]
fn a_damaged_search_index_is_an_error_not_a_crash() {
    let site = fixture("basic");
    with_search(site.path());
    build_ok(site.path(), &[]);
    let meta = site.path().join("output/en/search/meta.json");
    let text = std::fs::read_to_string(&meta).unwrap();
    let damaged = text
        .split(',')
        .map(|part| {
            if part.trim_start().starts_with("\"buckets\"") {
                "\"buckets\":0".to_string()
            } else {
                part.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(",");
    assert_ne!(damaged, text);
    std::fs::write(&meta, damaged).unwrap();
    let out = briefing(site.path(), &["search", "visa"]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(
        said(&out).contains("is damaged (its meta.json names no buckets): build the site again"),
        "{}",
        said(&out)
    );
}

#[test]
fn every_image_the_site_publishes_is_cleaned_or_refused() {
    use common::photos::{self, SERIAL};
    let has_serial = |bytes: &[u8]| bytes.windows(SERIAL.len()).any(|w| w == SERIAL.as_bytes());
    let photo = photos::photo(600, 400, 1);
    assert!(has_serial(&photo));

    // A JPEG named .jfif is a JPEG: cleaned like any other.
    let site = fixture("basic");
    std::fs::write(
        site.path().join("content/briefings/study-tour/scan.jfif"),
        &photo,
    )
    .unwrap();
    build_ok(site.path(), &[]);
    let published =
        std::fs::read(site.path().join("output/briefings/study-tour/scan.jfif")).unwrap();
    assert!(!has_serial(&published));
    assert!(photos::exif_tags(&published).is_empty());

    // A JPEG under another name would be published with its metadata: refused.
    refused_by_build_and_check(
        "content/briefings/study-tour/photo.dat",
        &photo,
        &[
            "this file is a JPEG image, though its name does not say so",
            "--> content/briefings/study-tour/photo.dat",
            "rename it to end in .jpg",
        ],
    );
    // Formats whose metadata briefing cannot take out.
    let gif_with_comment = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff\x21\xfe\x0fGPS 48.2N 16.3E\x00\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00\x3b";
    refused_by_build_and_check(
        "content/briefings/study-tour/animation.gif",
        gif_with_comment,
        &["this image cannot be published: this GIF image carries a comment or XMP data"],
    );
    refused_by_build_and_check(
        "content/briefings/study-tour/scan.tif",
        b"II*\x00\x08\x00\x00\x00\x01\x00\x3b\x01\x02\x00\x05\x00\x00\x00Jane\x00",
        &[
            "out of a TIFF image",
            "save it again as a JPEG or PNG image",
        ],
    );
    refused_by_build_and_check(
        "content/briefings/study-tour/photo.avif",
        b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf",
        &["out of an AVIF image"],
    );
    // A GIF without such data is published as it is.
    let site = fixture("basic");
    let plain_gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00\x3b";
    std::fs::write(
        site.path().join("content/briefings/study-tour/dot.gif"),
        plain_gif,
    )
    .unwrap();
    build_ok(site.path(), &[]);
    assert!(
        site.path()
            .join("output/briefings/study-tour/dot.gif")
            .is_file()
    );

    // A theme's own photo with metadata is refused, with the fix.
    refused_by_build_and_check(
        "themes/default/static/header.jpg",
        &photo,
        &[
            "this image of the theme cannot be published: this JPEG image carries EXIF",
            "themes/default/static/header.jpg",
            "exiftool -all= FILE",
        ],
    );

    // An image written into the text as a data: URL cannot be cleaned: refused in the page
    // and so in the feed.
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(&photo);
    refused_by_build_and_check(
        "content/briefings/inline.en.md",
        format!("---\ntitle: Inline\ndate: 2016-05-02\n---\n\n![The venue](data:image/jpeg;base64,{encoded})\n").as_bytes(),
        &[
            "an image written into the text as a data: URL cannot be published: this JPEG image carries EXIF",
            "--> content/briefings/inline.en.md:6:",
        ],
    );
    let clean = base64::engine::general_purpose::STANDARD.encode(photos::jpeg(40, 30));
    let site = fixture("basic");
    write(
        site.path(),
        "content/briefings/inline.en.md",
        &format!(
            "---\ntitle: Inline\ndate: 2016-05-02\n---\n\n![The venue](data:image/jpeg;base64,{clean})\n"
        ),
    );
    build_ok(site.path(), &[]);
}

#[test]
fn names_that_differ_only_in_capitals_are_an_error_naming_both() {
    let site = fixture("basic");
    write(
        site.path(),
        "content/briefings/study-tour/Programme.pdf",
        "%PDF-1.4 a",
    );
    write(
        site.path(),
        "content/briefings/study-tour/programme.pdf",
        "%PDF-1.4 b",
    );
    let err = build_fails(site.path(), &[]);
    assert!(
        err.contains("/briefings/study-tour/Programme.pdf and /briefings/study-tour/programme.pdf differ only in capital letters")
            || err.contains("/briefings/study-tour/programme.pdf and /briefings/study-tour/Programme.pdf differ only in capital letters"),
        "{err}"
    );
    assert!(
        err.contains("on a host that ignores case, one would overwrite the other"),
        "{err}"
    );

    let site = fixture("basic");
    write(
        site.path(),
        "content/briefings/advisory.en.md",
        "---\ntitle: Advisory\ndate: 2016-11-21\naliases: [/en/Old/]\n---\n\nText.\n",
    );
    write(
        site.path(),
        "content/briefings/visa.en.md",
        &std::fs::read_to_string(site.path().join("content/briefings/visa.en.md"))
            .unwrap()
            .replacen("---\n", "---\naliases: [/en/old/]\n", 1),
    );
    let err = build_fails(site.path(), &[]);
    assert!(err.contains("differ only in capital letters"), "{err}");
    assert!(
        err.contains("/en/Old/index.html") && err.contains("/en/old/index.html"),
        "{err}"
    );

    // Two photos of one name in two formats would give the same WebP copies.
    use common::photos;
    let site = fixture("basic");
    std::fs::write(
        site.path().join("content/briefings/study-tour/group.jpg"),
        photos::jpeg(1200, 800),
    )
    .unwrap();
    std::fs::write(
        site.path().join("content/briefings/study-tour/group.png"),
        photos::png(1200, 800),
    )
    .unwrap();
    let note = site.path().join("content/briefings/study-tour/index.en.md");
    let text = std::fs::read_to_string(&note).unwrap();
    std::fs::write(
        &note,
        format!("{text}\n![The group](group.jpg)\n\n![The group again](group.png)\n"),
    )
    .unwrap();
    let out = briefing(site.path(), &["build"]);
    let said = said(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("two things would be written to /briefings/study-tour/group.480w.webp"),
        "{said}"
    );
    assert!(
        said.contains("content/briefings/study-tour/group.jpg")
            && said.contains("content/briefings/study-tour/group.png"),
        "{said}"
    );
}

#[test]
fn a_heading_never_takes_an_id_of_the_page_itself() {
    let site = fixture("basic");
    write(
        site.path(),
        "content/briefings/ids.en.md",
        "---\ntitle: Headings\ndate: 2016-05-02\ncontacts:\n  - name: Li Wei\n    email: li@example.org\n---\n\n## Main\n\nText.\n\n## Outcomes {#main}\n\n## Contacts heading\n\nText.\n",
    );
    build_ok(site.path(), &[]);
    let html =
        std::fs::read_to_string(site.path().join("output/en/briefings/ids/index.html")).unwrap();
    for id in ["main", "contacts-heading"] {
        assert_eq!(
            html.matches(&format!(" id=\"{id}\"")).count(),
            1,
            "{id} in {html}"
        );
    }
    // The skip link still leads to the page's main part.
    let page = scraper::Html::parse_document(&html);
    assert_eq!(page.select(&sel("main#main")).count(), 1);
}
