//! The site around the notes: listings, projects, funders, tags, feeds, sitemap, metadata,
//! aliases, the 404 page, and links that all resolve, also under a sub-path.

mod common;

use std::path::Path;

use common::*;

/// Every internal link and asset reference of every page resolves to a file of the output.
fn assert_links_resolve(output: &Path, base_url: &str) {
    let base_path = base_url
        .splitn(4, '/')
        .nth(3)
        .map(|p| format!("/{}", p.trim_end_matches('/')))
        .unwrap_or_default();
    let mut checked = 0;
    for (rel, bytes) in tree(output) {
        if rel.extension().is_none_or(|e| e != "html") {
            continue;
        }
        let html = scraper::Html::parse_document(std::str::from_utf8(&bytes).unwrap());
        let dir = rel.parent().unwrap();
        for (selector, attribute) in [
            ("a", "href"),
            ("link", "href"),
            ("img", "src"),
            ("script", "src"),
        ] {
            for target in attrs(&html, selector, attribute) {
                let target = target.split(['#', '?']).next().unwrap().to_string();
                if target.is_empty() || target.starts_with("mailto:") || target.starts_with("tel:")
                {
                    continue;
                }
                let file = if let Some(rest) = target.strip_prefix(base_url.trim_end_matches('/')) {
                    output.join(percent_decode(rest.trim_start_matches('/')))
                } else if target.starts_with("http://") || target.starts_with("https://") {
                    continue; // another site
                } else if target.starts_with('/') {
                    let inside = target.strip_prefix(&base_path).unwrap_or_else(|| {
                        panic!("{}: {target} is outside {base_path}/", rel.display())
                    });
                    output.join(percent_decode(inside.trim_start_matches('/')))
                } else {
                    output.join(dir).join(percent_decode(&target))
                };
                let file = if target.ends_with('/') {
                    file.join("index.html")
                } else {
                    file
                };
                assert!(
                    file.is_file(),
                    "{}: {target} → {} is missing",
                    rel.display(),
                    file.display()
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 100, "only {checked} links checked");
}

/// Nothing any page of `output` (or the stylesheets it uses) makes the browser load comes
/// from another host than `base_url`'s: scripts, images and their `srcset`, stylesheets,
/// icons, preloads, manifests, frames, media, CSS `url()`. Links, canonical, hreflang and
/// Open Graph addresses are not loads. Returns how many loads it looked at.
fn assert_nothing_loads_from_elsewhere(output: &Path, base_url: &str) -> usize {
    let base = base_url.trim_end_matches('/');
    let own = |url: &str, from: &str| {
        let url = url.trim();
        let ok = url.is_empty()
            || url.starts_with('#')
            || url.starts_with("data:")
            || url == base
            || url.starts_with(&format!("{base}/"))
            || (url.starts_with('/') && !url.starts_with("//"))
            || !url.contains(':') && !url.starts_with("//");
        assert!(ok, "{from} loads {url} from another site");
    };
    let css_urls = |css: &str| -> Vec<String> {
        css.split("url(")
            .skip(1)
            .map(|rest| {
                rest.split(')')
                    .next()
                    .unwrap_or("")
                    .trim_matches(|c| c == '"' || c == '\'' || c == ' ')
                    .to_string()
            })
            .collect()
    };
    let mut loads = 0;
    for (rel, bytes) in tree(output) {
        let from = rel.display().to_string();
        let text = String::from_utf8_lossy(&bytes);
        match rel.extension().and_then(|e| e.to_str()) {
            Some("css") => {
                for url in css_urls(&text) {
                    own(&url, &from);
                    loads += 1;
                }
            }
            Some("html") => {
                let html = scraper::Html::parse_document(&text);
                let mut urls: Vec<String> = Vec::new();
                for (selector, attribute) in [
                    ("script[src]", "src"),
                    ("img[src]", "src"),
                    ("iframe[src]", "src"),
                    ("video[src]", "src"),
                    ("video[poster]", "poster"),
                    ("audio[src]", "src"),
                    ("source[src]", "src"),
                    ("embed[src]", "src"),
                    ("object[data]", "data"),
                ] {
                    urls.extend(attrs(&html, selector, attribute));
                }
                for srcset in attrs(&html, "img[srcset], source[srcset]", "srcset") {
                    urls.extend(
                        srcset
                            .split(',')
                            .filter_map(|c| c.split_whitespace().next().map(String::from)),
                    );
                }
                for link in html.select(&sel("link[href]")) {
                    let rel_attr = link.value().attr("rel").unwrap_or("").to_ascii_lowercase();
                    let loads_it = rel_attr.split_whitespace().any(|r| {
                        matches!(
                            r,
                            "stylesheet"
                                | "icon"
                                | "preload"
                                | "modulepreload"
                                | "manifest"
                                | "apple-touch-icon"
                                | "prefetch"
                        )
                    });
                    if loads_it {
                        urls.push(link.value().attr("href").unwrap_or("").to_string());
                    }
                }
                for styled in attrs(&html, "[style]", "style") {
                    urls.extend(css_urls(&styled));
                }
                for style in html.select(&sel("style")) {
                    urls.extend(css_urls(&style.text().collect::<String>()));
                }
                for url in urls {
                    own(&url, &from);
                    loads += 1;
                }
            }
            _ => {}
        }
    }
    loads
}

#[test]
fn nothing_on_the_pages_loads_from_another_site() {
    for fixture_name in ["basic", "presskit"] {
        let site = fixture(fixture_name);
        build_ok(site.path(), &[]);
        let output = site.path().join("output");
        let loads = assert_nothing_loads_from_elsewhere(&output, "https://press.example.org");
        assert!(loads > 20, "{fixture_name}: only {loads} loads looked at");
        // The check sees a load from elsewhere: one planted in a page fails it.
        for planted in [
            "<img src=\"https://tracker.example/p.png\" alt=\"\">",
            "<link rel=\"stylesheet\" href=\"//cdn.example/a.css\">",
            "<img srcset=\"/a.png 1x, https://cdn.example/b.png 2x\" alt=\"\">",
            "<div style=\"background: url(https://cdn.example/b.png)\"></div>",
        ] {
            let page = output.join("en/index.html");
            let original = std::fs::read_to_string(&page).unwrap();
            std::fs::write(
                &page,
                original.replace("</main>", &format!("{planted}</main>")),
            )
            .unwrap();
            let caught = std::panic::catch_unwind(|| {
                assert_nothing_loads_from_elsewhere(&output, "https://press.example.org")
            });
            std::fs::write(&page, original).unwrap();
            assert!(caught.is_err(), "{planted} was not caught");
        }
    }
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

fn xml(dir: &Path, rel: &str) -> String {
    std::fs::read_to_string(dir.join("output").join(rel)).unwrap()
}

const ATOM: &str = "http://www.w3.org/2005/Atom";

/// The entry titles of a built Atom feed, read by an XML parser.
fn feed_titles(dir: &Path, rel: &str) -> Vec<String> {
    let text = xml(dir, rel);
    let doc = roxmltree::Document::parse(&text).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name((ATOM, "entry")))
        .map(|e| {
            let title = e
                .children()
                .find(|c| c.has_tag_name((ATOM, "title")))
                .unwrap();
            title.text().unwrap().to_string()
        })
        .collect()
}

#[test]
fn every_internal_link_resolves() {
    let site = fixture("basic");
    build_ok(site.path(), &[]);
    assert_links_resolve(&site.path().join("output"), "https://press.example.org");
}

#[test]
fn every_link_resolves_under_a_sub_path() {
    let site = fixture("basic");
    build_ok(site.path(), &["--base-url", "https://host.example/press/"]);
    let output = site.path().join("output");
    assert_links_resolve(&output, "https://host.example/press");
    let sitemap = xml(site.path(), "sitemap.xml");
    let doc = roxmltree::Document::parse(&sitemap).unwrap();
    for loc in doc.descendants().filter(|n| n.has_tag_name("loc")) {
        assert!(
            loc.text()
                .unwrap()
                .starts_with("https://host.example/press/"),
            "{:?}",
            loc.text()
        );
    }
    let feed = xml(site.path(), "zh/atom.xml");
    assert!(
        feed.contains(r#"href="https://host.example/press/zh/atom.xml""#),
        "{feed}"
    );
    assert!(
        xml(site.path(), "robots.txt").contains("Sitemap: https://host.example/press/sitemap.xml")
    );
    let p = page(site.path(), "zh/tags/人口贩运/index.html");
    assert_eq!(
        attr(&p, "link[rel=canonical]", "href"),
        "https://host.example/press/zh/tags/%E4%BA%BA%E5%8F%A3%E8%B4%A9%E8%BF%90/"
    );
}

#[test]
fn the_example_site_links_all_resolve() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out_dir = tempfile::tempdir().unwrap();
    let output = out_dir.path().join("site");
    let out = briefing(root, &["build", "--output", output.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_links_resolve(&output, "https://press.example.org");
}

#[test]
fn project_funder_and_tag_pages_list_their_briefings() {
    let site = fixture("basic");
    build_ok(site.path(), &[]);
    let index = page(site.path(), "zh/projects/index.html");
    assert_eq!(
        texts(&index, ".terms a"),
        [
            "支持中欧人员往来和移民领域对话项目",
            "协助自愿返回与重新融入支持项目"
        ]
    );
    assert_eq!(texts(&index, ".terms .count"), ["(1)", "(1)"]);
    let project = page(site.path(), "en/projects/dialogue/index.html");
    assert_eq!(
        text(&project, "h1"),
        "EU-China Dialogue on Migration and Mobility Support Project"
    );
    assert_eq!(
        attr(&project, ".term-links a", "href"),
        "https://example.org/dialogue"
    );
    assert_eq!(
        texts(&project, ".listing h2"),
        [
            "Media advisory: report launch",
            "China and EU exchange experience on preventing human trafficking"
        ]
    );
    assert_eq!(
        attr(&project, ".switcher a", "href"),
        "/zh/projects/dialogue/"
    );
    // A funder's briefings: its own, and those of its projects; paginated like the home page.
    let funder = page(site.path(), "en/funders/eu/index.html");
    assert_eq!(texts(&funder, ".listing h2").len(), 2);
    assert_eq!(
        attr(&funder, ".pagination a[rel=next]", "href"),
        "/en/funders/eu/page/2/"
    );
    let second = page(site.path(), "en/funders/eu/page/2/index.html");
    assert_eq!(
        texts(&second, ".listing h2"),
        ["China and EU exchange experience on preventing human trafficking"]
    );
    // Tags: a URL-safe form, Chinese kept as it is.
    let tags = page(site.path(), "zh/tags/index.html");
    assert_eq!(texts(&tags, ".terms a"), ["人口贩运", "考察访问"]);
    let tag = page(site.path(), "zh/tags/人口贩运/index.html");
    assert_eq!(
        texts(&tag, ".listing h2"),
        ["人口贩运受害者安全回国", "中欧交流预防人口贩运的经验"]
    );
    let note = page(site.path(), "en/briefings/study-tour/index.html");
    assert_eq!(
        attrs(&note, ".tags a", "href"),
        ["/en/tags/human-trafficking/", "/en/tags/study-tour/"]
    );
    assert_eq!(
        attr(&note, ".project-name a", "href"),
        "/en/projects/dialogue/"
    );
}

#[test]
fn two_tags_with_one_url_are_an_error_naming_both_notes() {
    let site = fixture("basic");
    write(
        site.path(),
        "content/briefings/visa.en.md",
        "---\ntitle: Visa dialogue\ndate: 2016-03-10\ntags: [Human Trafficking]\n---\n\nText.\n",
    );
    let err = build_fails(site.path(), &[]);
    assert!(err.contains("the tags `"), "{err}");
    assert!(
        err.contains("would share the URL …/tags/human-trafficking/"),
        "{err}"
    );
    assert!(err.contains("content/briefings/visa.en.md"), "{err}");
    assert!(
        err.contains("content/briefings/returns.en.md")
            || err.contains("content/briefings/study-tour/index.en.md"),
        "{err}"
    );
}

#[test]
fn atom_feeds_hold_one_language_with_absolute_urls() {
    let site = fixture("basic");
    build_ok(site.path(), &[]);
    let text = xml(site.path(), "zh/atom.xml");
    let doc = roxmltree::Document::parse(&text).unwrap();
    let feed = doc.root_element();
    assert_eq!(feed.tag_name().namespace(), Some(ATOM));
    assert_eq!(feed.tag_name().name(), "feed");
    assert_eq!(
        feed.attribute(("http://www.w3.org/XML/1998/namespace", "lang")),
        Some("zh-Hans")
    );
    let child = |n: roxmltree::Node, name: &str| {
        n.children()
            .find(|c| c.has_tag_name((ATOM, name)))
            .map(|c| c.text().unwrap_or("").to_string())
    };
    assert_eq!(child(feed, "title").unwrap(), "测试办公室简报");
    assert_eq!(child(feed, "updated").unwrap(), "2016-03-10T10:00:00+08:00");
    assert!(feed.children().any(|c| c.has_tag_name((ATOM, "author"))));
    let entries: Vec<_> = feed
        .children()
        .filter(|c| c.has_tag_name((ATOM, "entry")))
        .collect();
    let titles: Vec<String> = entries
        .iter()
        .map(|e| child(*e, "title").unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "签证便利化政策对话",
            "人口贩运受害者安全回国",
            "中欧交流预防人口贩运的经验"
        ]
    );
    for e in &entries {
        assert!(
            child(*e, "id")
                .unwrap()
                .starts_with("https://press.example.org/zh/briefings/")
        );
        assert!(child(*e, "updated").is_some());
        assert!(child(*e, "summary").is_some());
    }
    // A project's feed, in its language only.
    let titles = feed_titles(site.path(), "en/projects/returns/atom.xml");
    assert_eq!(titles, ["Victims of trafficking return home safely"]);
}

#[test]
fn a_feed_holds_the_newest_twenty() {
    let site = fixture("basic");
    for n in 1..=24 {
        write(
            site.path(),
            &format!("content/briefings/extra-{n:02}.en.md"),
            &format!(
                "---\ntitle: Extra <b>note</b> & {n}\ndate: 2017-01-{n:02}\n---\n\nText {n}.\n"
            ),
        );
    }
    build_ok(site.path(), &[]);
    let titles = feed_titles(site.path(), "en/atom.xml");
    assert_eq!(titles.len(), 20);
    // Escaped by the template engine: the title comes back as the author wrote it.
    assert_eq!(titles[0], "Extra <b>note</b> & 24");
}

#[test]
fn the_sitemap_lists_every_page_with_its_translations() {
    let site = fixture("basic");
    build_ok(site.path(), &[]);
    let text = xml(site.path(), "sitemap.xml");
    let doc = roxmltree::Document::parse(&text).unwrap();
    const SM: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";
    const XHTML: &str = "http://www.w3.org/1999/xhtml";
    let urls: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name((SM, "url")))
        .collect();
    let loc = |u: &roxmltree::Node| {
        u.children()
            .find(|c| c.has_tag_name((SM, "loc")))
            .unwrap()
            .text()
            .unwrap()
            .to_string()
    };
    let locs: Vec<String> = urls.iter().map(loc).collect();
    // Every HTML page but the 404 and the redirects is listed.
    let pages: Vec<String> = tree(&site.path().join("output"))
        .keys()
        .filter_map(|p| p.to_str())
        .filter(|p| p.ends_with("index.html") && !p.starts_with("2015/"))
        .map(|p| {
            format!(
                "https://press.example.org/{}",
                p.trim_end_matches("index.html")
            )
        })
        .map(|p| {
            p.replace("人口贩运", "%E4%BA%BA%E5%8F%A3%E8%B4%A9%E8%BF%90")
                .replace("考察访问", "%E8%80%83%E5%AF%9F%E8%AE%BF%E9%97%AE")
        })
        .collect();
    let mut sorted = pages.clone();
    sorted.sort();
    assert_eq!(locs, sorted);
    let tour = urls
        .iter()
        .find(|u| loc(u) == "https://press.example.org/en/briefings/study-tour/")
        .unwrap();
    assert_eq!(
        tour.children()
            .find(|c| c.has_tag_name((SM, "lastmod")))
            .unwrap()
            .text(),
        Some("2015-10-16T00:00:00+08:00")
    );
    let alternates: Vec<(String, String)> = tour
        .children()
        .filter(|c| c.has_tag_name((XHTML, "link")))
        .map(|l| {
            (
                l.attribute("hreflang").unwrap().into(),
                l.attribute("href").unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        alternates,
        [
            (
                "en".to_string(),
                "https://press.example.org/en/briefings/study-tour/".to_string()
            ),
            (
                "zh-Hans".to_string(),
                "https://press.example.org/zh/briefings/study-tour/".to_string()
            ),
            (
                "x-default".to_string(),
                "https://press.example.org/en/briefings/study-tour/".to_string()
            ),
        ]
    );
    // A note in one language has no alternates.
    let advisory = urls
        .iter()
        .find(|u| loc(u) == "https://press.example.org/en/briefings/advisory/")
        .unwrap();
    assert!(!advisory.children().any(|c| c.has_tag_name((XHTML, "link"))));
    assert_eq!(
        xml(site.path(), "robots.txt"),
        "User-agent: *\nAllow: /\n\nSitemap: https://press.example.org/sitemap.xml\n"
    );
}

#[test]
fn pages_carry_canonical_opengraph_and_json_ld() {
    let site = fixture("basic");
    build_ok(site.path(), &[]);
    let zh = page(site.path(), "zh/briefings/study-tour/index.html");
    assert_eq!(
        attr(&zh, "link[rel=canonical]", "href"),
        "https://press.example.org/zh/briefings/study-tour/"
    );
    assert_eq!(attr(&zh, "meta[property='og:locale']", "content"), "zh_CN");
    assert_eq!(
        attr(&zh, "meta[property='og:locale:alternate']", "content"),
        "en_GB"
    );
    assert_eq!(attr(&zh, "meta[property='og:type']", "content"), "article");
    assert_eq!(
        attr(&zh, "meta[name=description]", "content"),
        "北京——下周，一个高级别代表团将访问三个欧洲国家的首都。参见签证对话。"
    );
    let json: serde_json::Value =
        serde_json::from_str(&text(&zh, "script[type='application/ld+json']")).unwrap();
    assert_eq!(json["@type"], "NewsArticle");
    assert_eq!(json["headline"], "中欧交流预防人口贩运的经验");
    assert_eq!(json["datePublished"], "2015-10-16T00:00:00+08:00");
    assert_eq!(json["dateModified"], "2015-10-16T00:00:00+08:00");
    assert_eq!(json["inLanguage"], "zh-Hans");
    assert_eq!(json["dateline"], "北京");
    assert_eq!(json["publisher"]["name"], "测试办公室简报");
    assert_eq!(
        json["translationOfWork"]["@id"],
        "https://press.example.org/en/briefings/study-tour/"
    );
    let en = page(site.path(), "en/briefings/study-tour/index.html");
    assert_eq!(attr(&en, "meta[property='og:locale']", "content"), "en_GB");
    let json: serde_json::Value =
        serde_json::from_str(&text(&en, "script[type='application/ld+json']")).unwrap();
    assert_eq!(
        json["workTranslation"][0]["@id"],
        "https://press.example.org/zh/briefings/study-tour/"
    );
    assert_eq!(json["workTranslation"][0]["inLanguage"], "zh-Hans");
}

#[test]
fn json_ld_cannot_be_broken_out_of() {
    let site = fixture("basic");
    write(
        site.path(),
        "content/briefings/advisory.en.md",
        "---\ntitle: \"</script><script>alert(1)</script>\"\ndate: 2016-11-21\n---\n\nText.\n",
    );
    build_ok(site.path(), &[]);
    let raw = std::fs::read_to_string(site.path().join("output/en/briefings/advisory/index.html"))
        .unwrap();
    assert!(!raw.contains("<script>alert"), "{raw}");
    let p = page(site.path(), "en/briefings/advisory/index.html");
    assert_eq!(texts(&p, "script").len(), 1);
    let json: serde_json::Value =
        serde_json::from_str(&text(&p, "script[type='application/ld+json']")).unwrap();
    assert_eq!(json["headline"], "</script><script>alert(1)</script>");
    assert_eq!(text(&p, "h1"), "</script><script>alert(1)</script>");
}

#[test]
fn the_root_page_chooses_a_language_with_and_without_script() {
    let site = fixture("basic");
    build_ok(site.path(), &[]);
    let root = page(site.path(), "index.html");
    assert_eq!(attrs(&root, "a.enter", "href"), ["/en/", "/zh/"]);
    assert_eq!(attrs(&root, "section", "lang"), ["en", "zh-Hans"]);
    assert_eq!(
        attrs(&root, "link[rel=alternate]", "hreflang"),
        ["en", "zh-Hans", "x-default"]
    );
    assert_eq!(
        attr(&root, "link[hreflang=x-default]", "href"),
        "https://press.example.org/"
    );
    assert!(text(&root, "script").contains("navigator.languages"));
}

#[test]
fn an_alias_redirects_and_may_not_take_a_real_page() {
    let site = fixture("basic");
    build_ok(site.path(), &[]);
    let alias = page(site.path(), "2015/10/old-study-tour/index.html");
    assert_eq!(
        attr(&alias, "meta[http-equiv=refresh]", "content"),
        "0; url=/en/briefings/study-tour/"
    );
    assert_eq!(
        attr(&alias, "link[rel=canonical]", "href"),
        "https://press.example.org/en/briefings/study-tour/"
    );
    write(
        site.path(),
        "content/briefings/advisory.en.md",
        "---\ntitle: Advisory\ndate: 2016-11-21\naliases: [/en/briefings/visa/]\n---\n\nText.\n",
    );
    let err = build_fails(site.path(), &[]);
    assert!(
        err.contains("two things would be written to /en/briefings/visa/index.html"),
        "{err}"
    );
    assert!(err.contains("content/briefings/advisory.en.md"), "{err}");
    assert!(err.contains("content/briefings/visa.en.md"), "{err}");
}

#[test]
fn the_404_page_speaks_both_languages() {
    let site = fixture("basic");
    build_ok(site.path(), &[]);
    let p = page(site.path(), "404.html");
    assert_eq!(texts(&p, ".not-found h1"), ["Page not found", "页面未找到"]);
    assert_eq!(attrs(&p, ".not-found section", "lang"), ["en", "zh-Hans"]);
    assert_eq!(attrs(&p, ".not-found a", "href"), ["/en/", "/zh/"]);
    assert_eq!(attr(&p, "link[rel=stylesheet]", "href"), "/style.css");
}

#[test]
fn a_missing_interface_string_falls_back_with_one_warning() {
    // German: a language the default theme has no interface strings for.
    let site = fixture("basic");
    let yaml = std::fs::read_to_string(site.path().join("site.yaml"))
        .unwrap()
        .replace(
            "  zh: { name: 中文, html_lang: zh-Hans }",
            "  zh: { name: 中文, html_lang: zh-Hans }\n  de: { name: Deutsch, html_lang: de }",
        )
        .replace(
            "  zh: 测试办公室简报",
            "  zh: 测试办公室简报\n  de: Pressemitteilungen",
        );
    write(site.path(), "site.yaml", &yaml);
    write(
        site.path(),
        "themes/default/i18n/de.yaml",
        "briefings: Notes\n",
    );
    write(
        site.path(),
        "content/pages/about.de.md",
        "---\ntitle: Über uns\ndate: 2015-09-01\n---\n\nText.\n",
    );
    let out = briefing(site.path(), &["build"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("warning: the interface string `further_information` has no `de` text; the `en` text is used"), "{err}");
    assert_eq!(
        err.matches("`further_information` has no `de` text")
            .count(),
        1
    );
    let p = page(site.path(), "de/about/index.html");
    assert_eq!(texts(&p, ".site-nav a")[0], "Notes");
    assert_eq!(text(&p, ".skip-link"), "Skip to content");
}

#[test]
fn raw_html_in_a_note_is_sanitised_unless_the_site_allows_it() {
    let site = fixture("basic");
    write(
        site.path(),
        "content/briefings/advisory.en.md",
        "---\ntitle: Advisory\ndate: 2016-11-21\n---\n\nJoin us <b onmouseover=\"steal()\">today</b>.\n\n<script>alert(document.cookie)</script>\n\n<iframe src=\"https://example.org/player\"></iframe>\n",
    );
    build_ok(site.path(), &[]);
    let raw = std::fs::read_to_string(site.path().join("output/en/briefings/advisory/index.html"))
        .unwrap();
    for gone in ["onmouseover", "<iframe", "<script>alert"] {
        assert!(!raw.contains(gone), "{gone} reached the page");
    }
    let p = page(site.path(), "en/briefings/advisory/index.html");
    // A script or frame written in the text is shown as written, as text: never run, and
    // hiding nothing after it.
    assert!(p.select(&sel(".body script")).next().is_none());
    assert!(
        text(&p, ".body").contains("<script>alert(document.cookie)</script>"),
        "{}",
        text(&p, ".body")
    );
    assert_eq!(text(&p, ".body b"), "today");
    let yaml = std::fs::read_to_string(site.path().join("site.yaml")).unwrap();
    write(
        site.path(),
        "site.yaml",
        &format!("{yaml}markdown:\n  raw_html: allow\n"),
    );
    build_ok(site.path(), &[]);
    let raw = std::fs::read_to_string(site.path().join("output/en/briefings/advisory/index.html"))
        .unwrap();
    assert!(raw.contains("<iframe src=\"https://example.org/player\"></iframe>"));
}

/// A language's search index as the search page reads it: its `meta.json` (at the address the
/// page gives), the other files by the names it gives, and for each word of the index, the
/// stem of its group and the titles of the briefings it is in.
fn search_index(
    dir: &Path,
    lang: &str,
) -> (
    serde_json::Value,
    std::collections::BTreeMap<String, (String, Vec<String>)>,
) {
    let read = |name: &str| -> serde_json::Value {
        serde_json::from_str(&xml(dir, &format!("{lang}/search/{name}"))).unwrap()
    };
    let page = xml(dir, &format!("{lang}/search/index.html"));
    let address = scraper::Html::parse_document(&page)
        .select(&scraper::Selector::parse("#search").unwrap())
        .next()
        .unwrap()
        .value()
        .attr("data-meta")
        .unwrap()
        .to_string();
    assert_eq!(address, format!("/{lang}/search/meta.json"));
    let meta = read("meta.json");
    let named = |kind: &str, n: u64| {
        meta["files"][kind]
            .as_str()
            .unwrap()
            .replace("{}", &n.to_string())
    };
    let chunk = meta["chunk"].as_u64().unwrap();
    let pages = meta["pages"].as_u64().unwrap();
    let titles: Vec<String> = (0..pages.div_ceil(chunk))
        .flat_map(|k| read(&named("pages", k)).as_array().unwrap().clone())
        .map(|p| p["title"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(titles.len() as u64, pages);
    let mut words = std::collections::BTreeMap::new();
    for b in 0..meta["buckets"].as_u64().unwrap() {
        for entry in read(&named("words", b)).as_array().unwrap() {
            // Each id is written as the difference from the one before it.
            let postings = entry[1].as_array().unwrap();
            let mut id = 0;
            let found: Vec<String> = postings
                .chunks(2)
                .map(|p| {
                    id += p[0].as_u64().unwrap() as usize;
                    titles[id].clone()
                })
                .collect();
            for w in entry[0].as_array().unwrap() {
                let stem = entry[2].as_str().unwrap().to_string();
                words.insert(w.as_str().unwrap().to_string(), (stem, found.clone()));
            }
        }
    }
    (meta, words)
}

#[test]
fn search_writes_an_index_per_language_and_a_search_page() {
    let site = fixture("basic");
    with_search(site.path());
    let out = build_ok(site.path(), &[]);
    // Four English briefings are published (not the draft, not the embargoed note), and three
    // Chinese ones.
    assert!(out.contains(", search index "), "{out}");
    assert!(out.contains(" s (7 briefings)"), "{out}");
    let (meta, en) = search_index(site.path(), "en");
    assert_eq!(meta["pages"], 4);
    assert_eq!(meta["language"], "en");
    let stamp = meta["stamp"].as_str().unwrap();
    assert!(
        stamp.len() == 16 && stamp.bytes().all(|b| b.is_ascii_hexdigit()),
        "{stamp}"
    );
    let titles = |words: &std::collections::BTreeMap<String, (String, Vec<String>)>, w: &str| {
        words.get(w).map(|(_, t)| t.clone()).unwrap_or_default()
    };
    // Title, summary, body, project, funder, tags and locations are all indexed.
    let visa = "Policy dialogue on visa facilitation";
    let tour = "China and EU exchange experience on preventing human trafficking";
    assert!(titles(&en, "visa").contains(&visa.to_string()));
    assert_eq!(titles(&en, "simpler"), [visa]); // summary
    assert!(titles(&en, "outcomes").contains(&visa.to_string())); // body
    assert!(titles(&en, "sofia").contains(&tour.to_string())); // event location
    // The advisory's body is one sentence: its project, funder and tag are found as well.
    let advisory = "Media advisory: report launch".to_string();
    for word in ["mobility", "partnership", "media", "journalists"] {
        assert!(titles(&en, word).contains(&advisory), "{word}");
    }
    // Words with one stem are one group: one finds the briefings of the others.
    assert_eq!(en["trafficking"].0, "traffick");
    // Drafts and notes under embargo are not there at all.
    for word in ["unfinished", "embargoed", "announcement"] {
        assert!(!en.contains_key(word), "{word}");
    }

    let (meta, zh) = search_index(site.path(), "zh");
    assert_eq!(meta["pages"], 3);
    let returns = "人口贩运受害者安全回国";
    let tour_zh = "中欧交流预防人口贩运的经验";
    // Chinese is indexed as pairs of characters.
    assert_eq!(titles(&zh, "人口"), [tour_zh, returns]);
    assert_eq!(titles(&zh, "口贩"), [tour_zh, returns]);
    assert_eq!(titles(&zh, "索非"), [tour_zh]);
    assert_eq!(titles(&zh, "非亚"), [tour_zh]);
    assert!(titles(&zh, "欧盟").contains(&"签证便利化政策对话".to_string())); // funder
    assert!(!zh.contains_key("visa"), "the English index is separate");
    let first: serde_json::Value =
        serde_json::from_str(&xml(site.path(), "zh/search/pages-0.json")).unwrap();
    assert_eq!(first[0]["url"], "/zh/briefings/study-tour/");
    assert_eq!(first[0]["date"], "2015年10月16日");
    assert_eq!(first[0]["datetime"], "2015-10-16");

    let p = page(site.path(), "zh/search/index.html");
    assert_eq!(text(&p, "h1"), "搜索简报");
    assert_eq!(attr(&p, "#search", "data-index"), "/zh/search/");
    assert_eq!(attr(&p, "#search", "data-searching"), "正在搜索…");
    assert_eq!(attr(&p, "#search label", "for"), "search-query");
    assert_eq!(attr(&p, "script[src$='search.js']", "src"), "/search.js");
    assert!(site.path().join("output/search.js").is_file());
    let home = page(site.path(), "en/index.html");
    assert_eq!(attr(&home, "form.search-box", "action"), "/en/search/");
    assert_eq!(attr(&home, "form.search-box input", "name"), "q");
}

#[test]
fn search_false_builds_no_index_and_no_search_box() {
    let site = fixture("basic");
    build_ok(site.path(), &[]);
    assert!(!site.path().join("output/en/search").exists());
    let home = page(site.path(), "en/index.html");
    assert!(attrs(&home, "form.search-box", "action").is_empty());
}

#[test]
fn a_rebuild_after_an_edit_rewrites_only_the_index_files_the_edit_reaches() {
    let site = fixture("basic");
    with_search(site.path());
    build_ok(site.path(), &[]);
    let output = site.path().join("output");
    let files: Vec<String> = ["en", "zh"]
        .iter()
        .flat_map(|lang| {
            std::fs::read_dir(output.join(format!("{lang}/search")))
                .unwrap()
                .map(move |e| format!("{lang}/search/{}", e.unwrap().file_name().to_string_lossy()))
        })
        .filter(|f| f.ends_with(".json"))
        .collect();
    for f in &files {
        set_long_ago(&output.join(f));
    }

    // An English briefing gains a word: its text, the lengths in meta.json and the bucket of
    // the new word change; the Chinese index stays as it was.
    let note = site.path().join("content/briefings/visa.en.md");
    let text = std::fs::read_to_string(&note).unwrap();
    std::fs::write(&note, format!("{text}\nA sentence about quokkas.\n")).unwrap();
    build_ok(site.path(), &[]);
    let (_, en) = search_index(site.path(), "en");
    assert_eq!(en["quokkas"].1, ["Policy dialogue on visa facilitation"]);
    let changed: Vec<&String> = files
        .iter()
        .filter(|f| modified(&output.join(f)) != long_ago())
        .collect();
    assert!(changed.iter().all(|f| f.starts_with("en/")), "{changed:?}");
    assert!(
        changed.contains(&&"en/search/meta.json".to_string()),
        "{changed:?}"
    );
    build_ok(site.path(), &["--output", "fresh"]);
    assert_same_tree(&tree(&output), &tree(&site.path().join("fresh")));
}
