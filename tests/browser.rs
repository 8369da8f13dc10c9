//! In a real browser: headless Chromium driven over WebDriver (chromedriver) with fantoccini.
//! `.ci/run` installs Debian's chromium and chromium-driver, axe-core from npm and pdftotext,
//! and runs these tests; plain `cargo test` lists them as ignored.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::process::{Running, spawn_on_free_port};
use common::server::{Server, WAIT};
use common::*;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

/// chromedriver and a Chromium session, stopped when dropped.
struct Browser {
    _driver: Running,
    client: Option<Client>,
    _profile: tempfile::TempDir,
}

impl Browser {
    async fn start() -> Browser {
        let driver_path =
            std::env::var("BRIEFING_CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        let (driver, port) = spawn_on_free_port(
            &format!("{driver_path} (install chromium-driver)"),
            |port| {
                let mut c = Command::new(&driver_path);
                c.arg(format!("--port={port}"));
                c
            },
        );
        let profile = tempfile::tempdir().unwrap();
        let mut browser = Browser {
            _driver: driver,
            client: None,
            _profile: profile,
        };
        let binary =
            std::env::var("BRIEFING_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": binary,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                    "--no-first-run", "--window-size=1200,900",
                    format!("--user-data-dir={}", browser._profile.path().display()),
                ],
            }),
        );
        // The WebDriver client's rustls has both providers in a test build (ring, as
        // briefing's S3 client uses; aws-lc, as fantoccini asks for): it must be told which.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = ClientBuilder::rustls()
            .unwrap()
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a Chromium session");
        browser.client = Some(client);
        browser
    }

    fn client(&self) -> &Client {
        self.client.as_ref().unwrap()
    }

    /// Opens a page of the site served on `port`.
    async fn open(&self, port: u16, path: &str) {
        self.client()
            .goto(&format!("http://127.0.0.1:{port}{path}"))
            .await
            .unwrap();
    }

    async fn click(&self, css: &str) {
        self.client()
            .find(Locator::Css(css))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }

    async fn text(&self, css: &str) -> String {
        self.client()
            .find(Locator::Css(css))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// Waits (bounded) until `script` returns true.
    async fn until(&self, what: &str, script: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            let v = self.client().execute(script, vec![]).await.unwrap();
            if v == json!(true) {
                return;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Prints the open page as the browser's print dialog would, closes the browser, and
    /// returns the PDF file (in a folder removed when the first value is dropped).
    async fn print_and_close(self) -> (tempfile::TempDir, PathBuf) {
        let pdf = self
            .client()
            .print(fantoccini::wd::PrintConfiguration::default())
            .await
            .unwrap();
        self.close().await;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("briefing.pdf");
        std::fs::write(&file, &pdf).unwrap();
        (dir, file)
    }

    async fn close(mut self) {
        if let Some(c) = self.client.take() {
            let _ = c.close().await;
        }
    }
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn axe_source() -> String {
    let path = std::env::var_os("BRIEFING_AXE")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".ci/tools/node_modules/axe-core/axe.min.js"));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run .ci/run)", path.display()))
}

/// The serious and critical accessibility violations axe-core finds on the open page.
/// What axe-core finds on the open page: its serious and critical violations, or with `every`
/// its violations of any impact.
async fn axe_violations(browser: &Browser, axe: &str, every: bool) -> Vec<String> {
    browser.client().execute(axe, vec![]).await.unwrap();
    let found = browser
        .client()
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const every = arguments[0];
             axe.run(document, { resultTypes: ['violations'] }).then(r => done(
               r.violations
                 .filter(v => every || v.impact === 'serious' || v.impact === 'critical')
                 .map(v => v.id + ' (' + v.impact + '): ' + v.help + ' at '
                   + v.nodes.map(n => n.target.join(' ')).join(', '))));",
            vec![json!(every)],
        )
        .await
        .unwrap();
    found
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Chromium, chromedriver and axe-core: run by .ci/run"]
async fn key_pages_have_no_serious_accessibility_violations() {
    let server = Server::start(repo(), &[]);
    let browser = Browser::start().await;
    let axe = axe_source();
    let base = format!("http://127.0.0.1:{}", server.port);
    let mut report = Vec::new();
    for path in [
        "/en/",
        "/zh/",
        "/en/briefings/2015-10-study-tour/",
        "/zh/briefings/2015-10-study-tour/",
        "/en/projects/eu-china-dialogue/",
        "/zh/tags/",
        "/en/no-such-page/",
        "/zh/no-such-page/",
    ] {
        browser
            .client()
            .goto(&format!("{base}{path}"))
            .await
            .unwrap();
        for v in axe_violations(&browser, &axe, false).await {
            report.push(format!("{path}: {v}"));
        }
    }
    browser.close().await;
    assert!(report.is_empty(), "axe-core found:\n{}", report.join("\n"));
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Chromium and chromedriver: run by .ci/run"]
async fn the_language_switcher_leads_to_the_translation_and_back() {
    let server = Server::start(repo(), &[]);
    let browser = Browser::start().await;
    let c = browser.client();
    browser
        .open(server.port, "/en/briefings/visa-facilitation/")
        .await;
    let english_title = browser.text("h1").await;
    browser.click(".switcher a[lang=zh-Hans]").await;
    browser
        .until(
            "the Chinese page",
            "return location.pathname === '/zh/briefings/visa-facilitation/'",
        )
        .await;
    let lang = c
        .execute("return document.documentElement.lang", vec![])
        .await
        .unwrap();
    assert_eq!(lang, json!("zh-Hans"));
    assert_ne!(browser.text("h1").await, english_title);
    browser.click(".switcher a[lang=en]").await;
    browser
        .until(
            "the English page",
            "return location.pathname === '/en/briefings/visa-facilitation/'",
        )
        .await;
    assert_eq!(browser.text("h1").await, english_title);
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Chromium and chromedriver: run by .ci/run"]
async fn an_open_page_follows_edits_and_shows_then_drops_the_error_overlay() {
    let site = fixture("basic");
    let server = Server::start(site.path(), &[]);
    let browser = Browser::start().await;
    browser.open(server.port, "/en/briefings/visa/").await;
    browser
        .until(
            "the live-reload connection",
            "return document.readyState === 'complete'",
        )
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let note = site.path().join("content/briefings/visa.en.md");
    let good = std::fs::read_to_string(&note).unwrap();
    std::fs::write(&note, good.replace("Policy dialogue", "Live dialogue")).unwrap();
    browser
        .until(
            "the edit to appear by itself",
            "return document.querySelector('h1').textContent.includes('Live dialogue')",
        )
        .await;
    std::fs::write(&note, good.replace("title: Policy", "title: [Policy")).unwrap();
    browser
        .until(
            "the error overlay",
            "return !!document.getElementById('briefing-error')",
        )
        .await;
    let overlay = browser.text("#briefing-error").await;
    assert!(
        overlay.contains("content/briefings/visa.en.md:2:8"),
        "{overlay}"
    );
    std::fs::write(&note, good.replace("Policy dialogue", "Mended dialogue")).unwrap();
    browser
        .until(
            "the overlay to go and the page to come back",
            "return !document.getElementById('briefing-error') && document.querySelector('h1').textContent.includes('Mended dialogue')",
        )
        .await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Chromium, chromedriver and pdftotext: run by .ci/run"]
async fn a_briefing_prints_on_one_or_two_a4_pages_with_its_contacts_and_no_navigation() {
    let server = Server::start(repo(), &[]);
    let browser = Browser::start().await;
    browser
        .open(server.port, "/en/briefings/2016-09-labour-migration-data/")
        .await;
    let (_dir, file) = browser.print_and_close().await;
    let info = Command::new("pdfinfo")
        .arg(&file)
        .output()
        .expect("pdfinfo (poppler-utils)");
    let info = String::from_utf8_lossy(&info.stdout).into_owned();
    let pages: u32 = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .map(|p| p.trim().parse().unwrap())
        .unwrap();
    assert!((1..=2).contains(&pages), "{pages} pages");
    assert!(
        info.contains("595.") && info.contains("841."),
        "not A4: {info}"
    );
    let text = Command::new("pdftotext")
        .arg(&file)
        .arg("-")
        .output()
        .expect("pdftotext");
    let text = String::from_utf8_lossy(&text.stdout).into_owned();
    assert!(
        text.contains("For further information please contact:"),
        "{text}"
    );
    assert!(text.contains("###"), "no end mark: {text}");
    for nav in ["Skip to content", "中文", "Projects", "Atom feed"] {
        assert!(!text.contains(nav), "the printout shows {nav:?}:\n{text}");
    }
}

/// A built site served as a web host would: python3's static file server.
struct StaticHost {
    _child: Running,
    port: u16,
}

impl StaticHost {
    fn start(dir: &Path) -> StaticHost {
        let (child, port) = spawn_on_free_port("python3's static file server", |port| {
            let mut c = Command::new("python3");
            c.args([
                "-m",
                "http.server",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--directory",
            ])
            .arg(dir);
            c
        });
        StaticHost {
            _child: child,
            port,
        }
    }
}

/// Types `query` into the search page of `lang` and returns the result titles, in order.
async fn search(browser: &Browser, port: u16, lang: &str, query: &str) -> Vec<String> {
    let c = browser.client();
    c.goto(&format!("http://127.0.0.1:{port}/{lang}/search/"))
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("#search-query"))
        .await
        .unwrap();
    // The whole query at once, as a paste does.
    c.execute(
        "const input = document.querySelector('#search-query');
         input.value = arguments[0];
         input.dispatchEvent(new Event('input', { bubbles: true }));",
        vec![json!(query)],
    )
    .await
    .unwrap();
    results(browser, query).await
}

/// The result titles on the open search page, once the search for `query` has finished.
async fn results(browser: &Browser, query: &str) -> Vec<String> {
    let settled = format!(
        "const s = document.getElementById('search');
         const status = document.querySelector('.search-status').textContent;
         if (s.dataset.state === 'failed') {{ throw new Error(status); }}
         return s.dataset.state === 'done' && status.includes({});",
        json!(query)
    );
    browser.until("the search to finish", &settled).await;
    let titles = browser
        .client()
        .execute(
            "return [...document.querySelectorAll('.search-results h2 a')]
               .map(a => a.textContent.trim());",
            vec![],
        )
        .await
        .unwrap();
    titles
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_string())
        .collect()
}

/// A result of the open search page, by position: its date and the words its excerpt marks.
async fn result_details(browser: &Browser, n: usize) -> (String, Vec<String>) {
    let found = browser
        .client()
        .execute(
            "const li = document.querySelectorAll('.search-results li')[arguments[0]];
             return [li.querySelector('time').textContent,
                     [...li.querySelectorAll('.search-excerpt mark')].map(m => m.textContent)];",
            vec![json!(n)],
        )
        .await
        .unwrap();
    let date = found[0].as_str().unwrap().to_string();
    let marks = found[1]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_string())
        .collect();
    (date, marks)
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Chromium, chromedriver, python3 and axe-core: run by .ci/run"]
async fn search_finds_briefings_in_chinese_and_english_but_nothing_under_embargo() {
    // The example site, and the fixture whose embargoed note has a word of its own.
    let out_dir = tempfile::tempdir().unwrap();
    let example = out_dir.path().join("example");
    let out = briefing(repo(), &["build", "--output", example.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let host = StaticHost::start(&example);
    let browser = Browser::start().await;

    // A Chinese query, found as the pairs of characters 人口, 口贩 and 贩运.
    let found = search(&browser, host.port, "zh", "人口贩运").await;
    assert!(!found.is_empty(), "nothing found for 人口贩运");
    assert!(
        found.iter().take(3).any(|t| t.contains("人口贩运")),
        "{found:?}"
    );
    let (date, marks) = result_details(&browser, 0).await;
    assert!(date.contains('年') && date.ends_with('日'), "{date}");
    // With its results shown, the search page has no accessibility violation of any impact,
    // in either language; its header box shows the query.
    let violations = axe_violations(&browser, &axe_source(), true).await;
    assert!(violations.is_empty(), "{violations:?}");
    let header = browser
        .client()
        .execute(
            "return document.querySelector('.search-box input').value;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(header, json!("人口贩运"));
    assert!(marks.iter().any(|m| m == "人口贩运"), "{marks:?}");
    let found = search(&browser, host.port, "zh", "签证便利化").await;
    assert_eq!(
        found.first().map(String::as_str),
        Some("中欧举行签证便利化政策对话"),
        "{found:?}"
    );
    // Full-width digits find the year, and the excerpt marks it beside Chinese text.
    let found = search(&browser, host.port, "zh", "２０１５").await;
    assert!(!found.is_empty());
    let (_, marks) = result_details(&browser, 0).await;
    assert!(marks.iter().any(|m| m == "2015"), "{marks:?}");
    // A term with hyphens that no briefing has is left out, its parts not marked.
    let found = search(&browser, host.port, "en", "october zzyzx-19").await;
    assert!(!found.is_empty());
    let (_, marks) = result_details(&browser, 0).await;
    assert!(
        marks.iter().any(|m| m.eq_ignore_ascii_case("october")) && !marks.iter().any(|m| m == "19"),
        "{marks:?}"
    );
    let found = search(&browser, host.port, "en", "visa facilitation").await;
    assert!(
        found.first().is_some_and(|t| t.contains("visa")),
        "{found:?}"
    );
    let violations = axe_violations(&browser, &axe_source(), true).await;
    assert!(violations.is_empty(), "{violations:?}");
    let (date, marks) = result_details(&browser, 0).await;
    assert!(date.ends_with(" 2016") || date.ends_with(" 2015"), "{date}");
    assert!(
        marks.iter().any(|m| m.eq_ignore_ascii_case("visa")),
        "{marks:?}"
    );
    // Another form of a word finds it (traffickers → trafficking), and so does the start of
    // a word still being typed.
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    let whole = sorted(search(&browser, host.port, "en", "trafficking").await);
    assert!(!whole.is_empty());
    let other = sorted(search(&browser, host.port, "en", "traffickers").await);
    assert_eq!(other, whole);
    let start = sorted(search(&browser, host.port, "en", "traffick").await);
    assert_eq!(start, whole);
    // The header's search box sends its query in the address.
    browser
        .client()
        .goto(&format!(
            "http://127.0.0.1:{}/en/search/?q=trafficking",
            host.port
        ))
        .await
        .unwrap();
    assert_eq!(sorted(results(&browser, "trafficking").await), whole);
    // Filters and order, kept in the address: a shared search opens as it was.
    let base = format!("http://127.0.0.1:{}/en/search/", host.port);
    browser
        .client()
        .goto(&format!("{base}?q=trafficking&year=2016&sort=date"))
        .await
        .unwrap();
    let filtered = results(&browser, "trafficking").await;
    assert!(
        !filtered.is_empty() && filtered.len() < whole.len(),
        "{filtered:?}"
    );
    let dates = |browser: &Browser| {
        let c = browser.client().clone();
        async move {
            let v = c
                .execute(
                    "return [...document.querySelectorAll('.search-results time')].map(t => t.dateTime);",
                    vec![],
                )
                .await
                .unwrap();
            v.as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_str().unwrap().to_string())
                .collect::<Vec<String>>()
        }
    };
    let shown = dates(&browser).await;
    assert!(shown.iter().all(|d| d.starts_with("2016-")), "{shown:?}");
    let mut newest_first = shown.clone();
    newest_first.sort_by(|a, b| b.cmp(a));
    assert_eq!(shown, newest_first);
    // Each filter offers its values with their counts for this query; choosing one keeps it
    // in the address and shows as many results as its count said.
    browser
        .until(
            "the filters",
            "return !document.querySelector('.search-filters').hidden;",
        )
        .await;
    let chosen = browser
        .client()
        .execute(
            "const select = document.querySelector('.search-filters select[name=project]');
             const option = [...select.options].find(o => o.value);
             select.value = option.value;
             select.dispatchEvent(new Event('change', { bubbles: true }));
             return [option.value, option.textContent];",
            vec![],
        )
        .await
        .unwrap();
    let (key, label) = (
        chosen[0].as_str().unwrap().to_string(),
        chosen[1].as_str().unwrap().to_string(),
    );
    let count: usize = label
        .rsplit_once('(')
        .and_then(|(_, n)| n.trim_end_matches(')').parse().ok())
        .unwrap_or_else(|| panic!("{label}"));
    browser
        .until(
            "the project's results",
            &format!(
                "return document.querySelectorAll('.search-results li').length === {};",
                count.min(10)
            ),
        )
        .await;
    let address = browser.client().current_url().await.unwrap();
    assert!(
        address
            .query()
            .unwrap_or("")
            .contains(&format!("project={key}")),
        "{address}"
    );
    let violations = axe_violations(&browser, &axe_source(), true).await;
    assert!(violations.is_empty(), "{violations:?}");

    // English pages are searched in English only, and say what the Chinese index has, with
    // a link to those results.
    let found = search(&browser, host.port, "en", "人口贩运").await;
    assert!(found.is_empty(), "{found:?}");
    browser
        .until(
            "the other language's results",
            "return !document.querySelector('.search-elsewhere').hidden;",
        )
        .await;
    let link = browser
        .client()
        .execute(
            "const a = document.querySelector('.search-elsewhere a');
             return [a.textContent, a.getAttribute('href'), a.hreflang];",
            vec![],
        )
        .await
        .unwrap();
    let zh_count = search(&browser, host.port, "zh", "人口贩运").await.len();
    assert_eq!(
        link,
        json!([
            format!("{zh_count} results in 中文"),
            format!(
                "http://127.0.0.1:{}/zh/search/?q=%E4%BA%BA%E5%8F%A3%E8%B4%A9%E8%BF%90",
                host.port
            ),
            "zh-Hans"
        ])
    );

    let site = fixture("basic");
    with_search(site.path());
    write(
        site.path(),
        "content/briefings/embargoed.en.md",
        "---\ntitle: Embargoed announcement\ndate: 2016-12-02\nembargo: 2030-01-01T09:00:00+08:00\n---\n\nThe quetzalcoatlus programme starts.\n",
    );
    // 23 briefings share a word: the results come ten at a time, newest first as they tie.
    for i in 0..23 {
        write(
            site.path(),
            &format!("content/briefings/quokka-{i:02}.en.md"),
            &format!(
                "---\ntitle: Quokka count {i}\ndate: 2017-01-{:02}\n---\n\nThe quokka count goes on.\n",
                i + 1
            ),
        );
    }
    build_ok(site.path(), &["--now", "2020-01-01"]);
    let host = StaticHost::start(&site.path().join("output"));
    let found = search(&browser, host.port, "en", "quetzalcoatlus").await;
    assert!(found.is_empty(), "an embargoed note was found: {found:?}");
    let found = search(&browser, host.port, "en", "visa").await;
    assert!(!found.is_empty(), "the index of the fixture works");

    let found = search(&browser, host.port, "en", "quokka").await;
    assert_eq!(found.len(), 10, "{found:?}");
    assert_eq!(found[0], "Quokka count 22");
    let status = browser.text(".search-status").await;
    assert!(status.starts_with("23 briefings match"), "{status}");
    for shown in [20, 23] {
        browser.click(".search-more").await;
        browser
            .until(
                "more results",
                &format!(
                    "return document.querySelectorAll('.search-results li').length === {shown};"
                ),
            )
            .await;
        // Screen readers hear how many are shown; the focus stays on the button while there
        // are more, then moves to the last result.
        browser
            .until(
                "the announcement",
                &format!(
                    "return document.querySelector('.search-announce').textContent === 'Showing {shown} of 23 results';"
                ),
            )
            .await;
        let focused = browser
            .client()
            .execute(
                "const a = document.activeElement;
                 return a.classList.contains('search-more') ? 'more' : a.textContent.trim();",
                vec![],
            )
            .await
            .unwrap();
        let expected = if shown == 20 {
            "more"
        } else {
            "Quokka count 0"
        };
        assert_eq!(focused, json!(expected));
    }
    let hidden = browser
        .client()
        .execute(
            "return document.querySelector('.search-more').hidden;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(hidden, json!(true));

    // A query is shown as text, never as markup.
    let found = search(&browser, host.port, "en", "<b>visa</b>").await;
    assert!(!found.is_empty(), "{found:?}");
    let status = browser.text(".search-status").await;
    assert!(status.contains("“<b>visa</b>”"), "{status}");
    let markup = browser
        .client()
        .execute(
            "return document.querySelectorAll('#search b').length;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(markup, json!(0));
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Chromium, chromedriver and python3: run by .ci/run"]
async fn the_search_page_finds_what_briefing_search_finds_in_the_same_order() {
    // The example site, and a site of many briefings sharing words in different amounts.
    let built = tempfile::tempdir().unwrap();
    let example = built.path().join("example");
    let out = briefing(repo(), &["build", "--output", example.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let generated = fixture("basic");
    with_search(generated.path());
    write_notes(generated.path(), 60, "");
    build_ok(generated.path(), &[]);
    let browser = Browser::start().await;
    let sites = [
        (repo().to_path_buf(), example.clone()),
        (
            generated.path().to_path_buf(),
            generated.path().join("output"),
        ),
    ];
    let queries = [
        ("en", "trafficking"),
        ("en", "traffickers"),
        ("en", "traffick"),
        ("en", "visa facilitation"),
        ("en", "labour mobility 2019"),
        ("en", "meeting 12"),
        ("en", "trainings"),
        ("en", "IOM zzyzx"),
        ("en", "COVID-19"),
        ("en", "EU-China"),
        ("en", "counter-traffick"),
        ("en", "trafficking-visa"),
        ("en", "visa zzyzx-19"),
        ("en", "ＩＯＭ"),
        ("zh", "人口贩运"),
        ("zh", "人口販運"),
        ("zh", "日内瓦"),
        ("zh", "劳动力流动"),
        ("zh", "签证"),
        ("zh", "移"),
        ("zh", "第12号"),
        ("zh", "2016"),
    ];
    for (root, output) in &sites {
        let host = StaticHost::start(output);
        for (lang, query) in queries {
            let out = briefing(
                root,
                &[
                    "search",
                    query,
                    "--lang",
                    lang,
                    "--output",
                    output.to_str().unwrap(),
                    "--format",
                    "json",
                ],
            );
            assert!(out.status.success(), "{}", said(&out));
            let answer: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
            let expected: Vec<String> = answer["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["title"].as_str().unwrap().to_string())
                .collect();
            let shown = search(&browser, host.port, lang, query).await;
            assert_eq!(shown, expected, "{lang}: {query}");
            let status = browser.text(".search-status").await;
            let total = answer["total"].as_u64().unwrap();
            assert!(
                status.contains(&total.to_string()) || total < 2,
                "{query}: {status}"
            );
        }
    }
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Chromium and chromedriver: run by .ci/run"]
async fn no_page_runs_a_script_written_in_a_note() {
    let site = fixture("basic");
    write_payload_notes(site.path());
    build_ok(site.path(), &[]);
    // Every page the build writes, and the preview's drafts and embargoed notes besides.
    let mut paths: Vec<String> = walkdir::WalkDir::new(site.path().join("output"))
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.path().extension().is_some_and(|x| x == "html"))
        .map(|e| {
            let rel = e.path().strip_prefix(site.path().join("output")).unwrap();
            format!("/{}", rel.display()).replace("index.html", "")
        })
        .collect();
    paths.extend([
        "/en/briefings/draft-note/".into(),
        "/en/briefings/embargoed/".into(),
    ]);
    assert!(paths.len() > 30, "{paths:?}");
    let server = Server::start(site.path(), &[]);
    let browser = Browser::start().await;
    let mut ran = Vec::new();
    for path in &paths {
        browser.open(server.port, path).await;
        // Scripts of the theme have run by now; so would any from a note.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let v = browser
            .client()
            .execute(
                "return [window.__xss, document.title, location.pathname]",
                vec![],
            )
            .await
            .unwrap();
        if v[0] != serde_json::Value::Null {
            ran.push(format!("{path}: {v}"));
        }
    }
    // The payloads were on the pages as text.
    browser.open(server.port, "/en/briefings/payload-0/").await;
    assert_eq!(browser.text("h1").await, MARKUP[0]);
    drop(server);
    // The hook sees a script that does run: a site that allows raw HTML publishes it.
    let yaml = std::fs::read_to_string(site.path().join("site.yaml")).unwrap();
    std::fs::write(
        site.path().join("site.yaml"),
        format!("{yaml}markdown:\n  raw_html: allow\n"),
    )
    .unwrap();
    let server = Server::start(site.path(), &[]);
    browser.open(server.port, "/en/briefings/payload-0/").await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let control = browser
        .client()
        .execute("return window.__xss", vec![])
        .await
        .unwrap();
    browser.close().await;
    assert!(
        ran.is_empty(),
        "a script from a note ran:\n{}",
        ran.join("\n")
    );
    assert_eq!(
        control,
        json!(1),
        "the hook did not see an allowed script run"
    );
}

/// The basic fixture with what makes a masthead crowded: a logo, a second static page with
/// a long title and no short label, and a note with a file to download and a site link.
fn crowded_site() -> tempfile::TempDir {
    let site = fixture("basic");
    let yaml = std::fs::read_to_string(site.path().join("site.yaml")).unwrap();
    write(
        site.path(),
        "site.yaml",
        &format!("{yaml}logo: pages/logo.svg\n"),
    );
    std::fs::copy(
        repo().join("content/pages/logo.svg"),
        site.path().join("content/pages/logo.svg"),
    )
    .unwrap();
    for (lang, title) in [
        ("en", "Media accreditation and press registration"),
        ("zh", "媒体注册与新闻采访证申请须知"),
    ] {
        write(
            site.path(),
            &format!("content/pages/accreditation.{lang}.md"),
            &format!("---\ntitle: {title}\ndate: 2015-09-01\n---\n\nText.\n"),
        );
    }
    write(
        site.path(),
        "content/briefings/study-tour/programme.pdf",
        "%PDF-1.4 programme",
    );
    let note = site.path().join("content/briefings/study-tour/index.en.md");
    let text = std::fs::read_to_string(&note).unwrap();
    std::fs::write(
        &note,
        format!("{text}\nRead [about the press service](/en/about/).\n"),
    )
    .unwrap();
    site
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Chromium and chromedriver: run by .ci/run"]
async fn pages_read_right_at_phone_laptop_and_desktop_widths_in_both_languages() {
    let site = crowded_site();
    build_ok(site.path(), &[]);
    let host = StaticHost::start(&site.path().join("output"));
    let browser = Browser::start().await;
    let c = browser.client();
    let mut problems = Vec::new();
    for (width, height) in [(320, 640), (390, 844), (1366, 768), (1920, 1080)] {
        c.set_window_size(width, height).await.unwrap();
        for path in [
            "/en/",
            "/zh/",
            "/en/briefings/study-tour/",
            "/zh/briefings/study-tour/",
            "/zh/about/",
        ] {
            browser.open(host.port, path).await;
            browser
                .until(
                    "the page and its images",
                    "return document.readyState === 'complete'",
                )
                .await;
            let found = c
                .execute(
                    "const out = [];
                     // Every navigation item on one line: none breaks inside a word.
                     for (const a of document.querySelectorAll('.site-nav a, .switcher a')) {
                       const lines = new Set([...a.getClientRects()].map(r => Math.round(r.top)));
                       if (lines.size !== 1) out.push('the item ' + a.textContent.trim() + ' breaks over ' + lines.size + ' lines');
                     }
                     if (document.documentElement.scrollWidth > window.innerWidth)
                       out.push('the page is ' + document.documentElement.scrollWidth + ' px wide');
                     const logo = document.querySelector('.site-title img.logo');
                     if (!logo || !logo.complete || logo.naturalWidth === 0) out.push('no logo shown');
                     const icon = document.querySelector('link[rel=icon]');
                     if (!icon) out.push('no favicon');
                     if (document.documentElement.lang.startsWith('zh')) {
                       const font = getComputedStyle(document.body).fontFamily;
                       if (!font.startsWith('\"PingFang SC\"')) out.push('Chinese text starts with the font ' + font);
                     }
                     return out;",
                    vec![],
                )
                .await
                .unwrap();
            for p in found.as_array().unwrap() {
                problems.push(format!("{path} at {width} px: {}", p.as_str().unwrap()));
            }
        }
    }
    // The favicon is a file the host serves.
    let icon = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(document.querySelector('link[rel=icon]').href).then(r => done(r.status));",
            vec![],
        )
        .await
        .unwrap();
    browser.close().await;
    assert_eq!(icon, json!(200));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Chromium, chromedriver and pdftotext: run by .ci/run"]
async fn a_printed_briefing_writes_out_its_downloads_links_and_own_address() {
    let site = crowded_site();
    build_ok(site.path(), &[]);
    let host = StaticHost::start(&site.path().join("output"));
    let browser = Browser::start().await;
    browser.open(host.port, "/en/briefings/study-tour/").await;
    let (_dir, file) = browser.print_and_close().await;
    let text = Command::new("pdftotext")
        .args(["-raw"])
        .arg(&file)
        .arg("-")
        .output()
        .expect("pdftotext");
    // Long addresses may break over lines on paper.
    let text = String::from_utf8_lossy(&text.stdout).replace('\n', "");
    for expected in [
        "programme.pdf https://press.example.org/briefings/study-tour/programme.pdf",
        "about the press service (https://press.example.org/en/about/)",
        "Online: https://press.example.org/en/briefings/study-tour/",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Chromium and chromedriver: run by .ci/run"]
async fn a_photo_shows_in_both_languages_in_the_width_the_screen_needs_and_nothing_moves() {
    let site = fixture("presskit");
    photos::add_photo(
        site.path(),
        "launch",
        "delegation.jpg",
        &photos::photo(2000, 1333, 1),
        &[("en", "The delegation"), ("zh", "代表团")],
    );
    build_ok(site.path(), &[]);
    let host = StaticHost::start(&site.path().join("output"));
    let browser = Browser::start().await;
    let c = browser.client();
    let mut seen = Vec::new();
    // A phone and a laptop, one pixel to a CSS pixel: the column is the screen less its
    // margins on the phone, 40rem on the laptop.
    for (width, height, copy) in [(390, 844, "480w.webp"), (1366, 768, "960w.webp")] {
        c.set_window_size(width, height).await.unwrap();
        for lang in ["en", "zh"] {
            browser
                .open(host.port, &format!("/{lang}/briefings/launch/"))
                .await;
            let shown = c
                .execute_async(
                    "const done = arguments[arguments.length - 1];
                     const img = document.querySelector('.body picture img');
                     const box = () => img.getBoundingClientRect();
                     const before = box().height;
                     let shift = 0;
                     new PerformanceObserver(list => {
                       for (const e of list.getEntries()) if (!e.hadRecentInput) shift += e.value;
                     }).observe({type: 'layout-shift', buffered: true});
                     img.scrollIntoView({block: 'center'});
                     const wait = () => {
                       if (img.complete && img.naturalWidth > 0) {
                         setTimeout(() => done({shift, before, after: box().height,
                           width: box().width, src: img.currentSrc}), 300);
                       } else setTimeout(wait, 50);
                     };
                     wait();",
                    vec![],
                )
                .await
                .unwrap();
            seen.push((width, lang, copy, shown));
        }
    }
    browser.close().await;
    for (width, lang, copy, shown) in seen {
        let what = format!("{lang} at {width} px: {shown}");
        assert!(
            shown["src"].as_str().unwrap().ends_with(copy),
            "{what}: expected the {copy} copy"
        );
        // The box had the photo's proportions before the photo came: nothing moved.
        let (before, after) = (
            shown["before"].as_f64().unwrap(),
            shown["after"].as_f64().unwrap(),
        );
        assert!(before > 0.0 && (before - after).abs() < 1.0, "{what}");
        let ratio = shown["width"].as_f64().unwrap() / after;
        assert!((ratio - 2000.0 / 1333.0).abs() < 0.02, "{what}");
        assert_eq!(shown["shift"].as_f64().unwrap(), 0.0, "{what}");
    }
}
