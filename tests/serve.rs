//! `briefing serve`: a real server on a free port over a temporary copy of a fixture site.
//! Every wait is bounded.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::server::{Server, WAIT};
use common::*;

#[test]
fn serves_the_site_from_memory_with_the_reload_script() {
    let site = fixture("basic");
    let server = Server::start(site.path(), &[]);
    let (status, head, body) = server.get("/en/");
    assert_eq!(status, 200);
    assert!(
        head.to_lowercase()
            .contains("content-type: text/html; charset=utf-8"),
        "{head}"
    );
    assert!(
        body.contains("new EventSource(\"/__briefing/events\")"),
        "{body}"
    );
    let (status, head, _) = server.get("/style.css");
    assert_eq!(status, 200);
    assert!(
        head.to_lowercase().contains("content-type: text/css"),
        "{head}"
    );
    let (status, _, body) = server.get("/en/atom.xml");
    assert_eq!(status, 200);
    assert!(body.contains("<feed"));
    // Links point at the preview's own address.
    let (_, _, body) = server.get("/zh/briefings/study-tour/");
    assert!(
        body.contains(&format!(
            "href=\"http://127.0.0.1:{}/zh/briefings/study-tour/\"",
            server.port
        )),
        "{body}"
    );
    let (status, head, _) = server.get("/en");
    assert_eq!(status, 301);
    assert!(
        head.contains("location: /en/") || head.contains("Location: /en/"),
        "{head}"
    );
    // Unknown paths get the site's 404 page.
    let (status, _, body) = server.get("/en/briefings/no-such-note/");
    assert_eq!(status, 404);
    assert!(
        body.contains("Page not found") && body.contains("页面未找到"),
        "{body}"
    );
    // Nothing is written to disk.
    assert!(!site.path().join("output").exists());
}

#[test]
fn requests_that_try_to_leave_the_site_read_nothing() {
    let site = fixture("basic");
    let server = Server::start(site.path(), &[]);
    for target in [
        "/../site.yaml",
        "/../../../../etc/passwd",
        "/en/%2e%2e/%2e%2e/site.yaml",
        "/%2E%2E/site.yaml",
        "/..%2fsite.yaml",
        "/%5c..%5csite.yaml",
        "/en\\..\\..\\site.yaml",
        "//etc/passwd",
        "/content/briefings/visa.en.md",
        "/site.yaml",
        "http://127.0.0.1/../site.yaml",
    ] {
        let (status, _, body) = server.get(target);
        assert!(status == 400 || status == 404, "{target}: {status}");
        assert!(
            !body.contains("base_url") && !body.contains("root:"),
            "{target} leaked a file"
        );
    }
}

#[test]
fn an_edit_reloads_the_page_and_a_broken_note_shows_an_overlay_until_fixed() {
    let site = fixture("basic");
    let server = Server::start(site.path(), &[]);
    let mut events = server.events();
    let note = site.path().join("content/briefings/visa.en.md");
    let good = std::fs::read_to_string(&note).unwrap();

    std::fs::write(
        &note,
        good.replace("Policy dialogue", "High-level dialogue"),
    )
    .unwrap();
    events.wait_for("event: reload");
    server.get_until("/en/briefings/visa/", |b| {
        b.contains(">High-level dialogue on visa facilitation</h1>")
    });
    let line = server.log_line("visa.en.md");
    assert!(
        line.contains("updated in") && line.contains(" ms"),
        "{line}"
    );

    // A broken note: the last good site is served, with the error over every page.
    std::fs::write(&note, good.replace("title: Policy", "title: [Policy")).unwrap();
    events.wait_for("event: reload");
    let (status, body) = server.get_until("/zh/", |b| b.contains("briefing-error"));
    assert_eq!(status, 200);
    assert!(body.contains("id=\"briefing-error\""), "{body}");
    assert!(body.contains("content/briefings/visa.en.md:2:8"), "{body}");
    let (_, _, body) = server.get("/en/briefings/visa/");
    assert!(
        body.contains("High-level dialogue"),
        "the last good page is kept"
    );
    server.log_line("the build failed with 1 error");

    // Fixed: the overlay is gone.
    std::fs::write(&note, good.replace("Policy dialogue", "Fixed dialogue")).unwrap();
    events.wait_for("event: reload");
    server.get_until("/en/briefings/visa/", |b| {
        !b.contains("briefing-error") && b.contains("Fixed dialogue")
    });
}

/// Pages are rendered when asked for and ahead of requests: a page the theme cannot render
/// is reported in the terminal and over every page though no one has opened it, as `build`
/// reports it.
#[test]
fn a_page_the_theme_cannot_render_is_reported_before_anyone_opens_it() {
    let site = fixture("basic");
    write(
        site.path(),
        "themes/default/templates/terms.html",
        "{% extends \"base.html\" %}{% block content %}{{ no_such_value.name }}{% endblock content %}",
    );
    let built = briefing(site.path(), &["build"]);
    assert!(!built.status.success());
    let build_error = stderr(&built);
    assert!(build_error.contains("terms.html"), "{build_error}");

    let server = Server::start(site.path(), &[]);
    let line = server.log_line("failed to render");
    assert!(line.contains("6 pages failed"), "{line}");
    let (status, body) = server.get_until("/en/", |b| b.contains("briefing-error"));
    assert_eq!(status, 200);
    assert!(body.contains("terms.html"), "{body}");
    let (status, _, body) = server.get("/en/tags/");
    assert_eq!(status, 500);
    assert!(body.contains("terms.html"), "{body}");
}

#[test]
fn saves_by_rename_new_folders_and_deletions_are_seen() {
    let site = fixture("basic");
    let server = Server::start(site.path(), &[]);
    let mut events = server.events();
    // An editor that writes a temporary file and renames it over the note.
    let note = site.path().join("content/briefings/returns.en.md");
    let text = std::fs::read_to_string(&note).unwrap();
    let temp = site.path().join("content/briefings/.returns.en.md.tmp");
    std::fs::write(&temp, text.replace("return home safely", "are back home")).unwrap();
    std::fs::rename(&temp, &note).unwrap();
    events.wait_for("event: reload");
    server.get_until("/en/briefings/returns/", |b| {
        b.contains("Victims of trafficking are back home")
    });

    // A new folder with a new note.
    write(
        site.path(),
        "content/briefings/new-workshop/index.zh.md",
        "---\ntitle: 新的研讨会\ndate: 2016-06-01\n---\n\n正文。\n",
    );
    events.wait_for("event: reload");
    let deadline = Instant::now() + WAIT;
    loop {
        let (status, _, body) = server.get("/zh/briefings/new-workshop/");
        if status == 200 {
            assert!(body.contains("新的研讨会"));
            break;
        }
        assert!(Instant::now() < deadline, "the new note never appeared");
        events.wait_for("event: reload");
    }

    // A deleted note disappears. (A reload event may still be queued from the new folder,
    // which was two changes: look until the page is gone, within the bound.)
    std::fs::remove_file(site.path().join("content/briefings/advisory.en.md")).unwrap();
    let deadline = Instant::now() + WAIT;
    loop {
        events.wait_for("event: reload");
        let (status, _, _) = server.get("/en/briefings/advisory/");
        if status == 404 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the deleted note is still served"
        );
    }
}

#[test]
fn a_stylesheet_change_swaps_the_stylesheet() {
    let site = fixture("basic");
    write(
        site.path(),
        "themes/default/static/style.css",
        "body { color: black }\n",
    );
    let server = Server::start(site.path(), &[]);
    let mut events = server.events();
    write(
        site.path(),
        "themes/default/static/style.css",
        "body { color: navy }\n",
    );
    events.wait_for("event: css");
    let (_, _, body) = server.get("/style.css");
    assert_eq!(body, "body { color: navy }\n");
}

#[test]
fn drafts_and_embargoed_notes_show_with_a_banner() {
    let site = fixture("basic");
    write(
        site.path(),
        "content/briefings/embargoed.zh.md",
        "---\ntitle: 新项目公告\ndate: 2016-12-02\nembargo: 2030-01-01T09:00:00+08:00\n---\n\n正文。\n",
    );
    let server = Server::start(site.path(), &[]);
    let (status, _, body) = server.get("/en/briefings/draft-note/");
    assert_eq!(status, 200);
    let html = scraper::Html::parse_document(&body);
    assert_eq!(text(&html, ".banner-draft"), "DRAFT — not published");
    let (_, _, body) = server.get("/en/briefings/embargoed/");
    let html = scraper::Html::parse_document(&body);
    assert_eq!(
        text(&html, ".banner-embargo"),
        "EMBARGOED until 09:00 CST, 1 January 2030"
    );
    let (_, _, body) = server.get("/zh/briefings/embargoed/");
    let html = scraper::Html::parse_document(&body);
    assert_eq!(
        text(&html, ".banner-embargo"),
        "禁发：2030年1月1日 09:00（CST）前不得发布"
    );
    let (_, _, body) = server.get("/en/");
    let html = scraper::Html::parse_document(&body);
    assert_eq!(texts(&html, ".listing .badge"), ["Embargoed", "Draft"]);
}

#[test]
fn a_taken_port_moves_to_the_next_free_one() {
    let site = fixture("basic");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let server = Server::start(site.path(), &["--port", &port.to_string()]);
    let all = &server.startup;
    // The next port may be taken too, by a server of another test.
    assert!(server.port > port, "{all}");
    assert!(
        all.contains(&format!("Port {port} is in use; trying {}.", port + 1)),
        "{all}"
    );
    assert!(
        all.contains("Serving the site at http://127.0.0.1:"),
        "{all}"
    );
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_the_server_cleanly() {
    let site = fixture("basic");
    let mut server = Server::start(site.path(), &[]);
    let status = Command::new("kill")
        .args(["-INT", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    server.log_line("Stopped.");
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(exit) = server.child.try_wait().unwrap() {
            assert!(exit.success(), "{exit:?}");
            break;
        }
        assert!(Instant::now() < deadline, "the server did not stop");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_preview_builds_the_search_index_when_the_search_page_asks() {
    let site = fixture("basic");
    with_search(site.path());
    let server = Server::start(site.path(), &[]);
    let mut events = server.events();
    let (status, _, body) = server.get("/en/search/");
    assert_eq!(status, 200);
    assert!(body.contains("data-index=\"/en/search/\""), "{body}");
    let meta = |body: &str| -> serde_json::Value { serde_json::from_str(body).unwrap() };
    let (status, head, body) = server.get("/en/search/meta.json");
    assert_eq!(status, 200);
    assert!(
        head.to_lowercase()
            .contains("content-type: application/json"),
        "{head}"
    );
    // As on the published site: no draft, no note under embargo.
    assert_eq!(meta(&body)["pages"], 4);
    assert_eq!(server.get("/en/search/words-99.json").0, 404);

    // A new briefing is in the index the search page fetches after the reload.
    write(
        site.path(),
        "content/briefings/quokkas.en.md",
        "---\ntitle: Quokkas visit\ndate: 2016-06-01\n---\n\nA note about quokkas.\n",
    );
    events.wait_for("event: reload");
    let (_, body) = server.get_until("/en/search/meta.json", |b| b.contains("\"pages\":5"));
    assert_eq!(meta(&body)["pages"], 5);
}

#[test]
fn a_request_for_another_host_name_is_refused() {
    let site = fixture("basic");
    let server = Server::start(site.path(), &[]);
    let port = server.port;
    // A page of another site that points its own name at this computer (DNS rebinding).
    for host in [
        format!("attacker.example:{port}"),
        "attacker.example".to_string(),
        format!("127.0.0.1.attacker.example:{port}"),
        format!("127.0.0.1:{}", port.wrapping_add(1)),
    ] {
        for target in ["/en/briefings/embargoed/", "/__briefing/events", "/"] {
            let (status, _, body) = server.get_as(&host, target);
            assert_eq!(status, 403, "{host} {target}");
            assert!(!body.contains("under embargo"), "{host} {target}: {body}");
            assert!(body.contains("This preview answers only at"), "{body}");
        }
    }
    for host in [format!("localhost:{port}"), format!("127.0.0.1:{port}")] {
        let (status, _, body) = server.get_as(&host, "/en/briefings/embargoed/");
        assert_eq!(status, 200, "{host}");
        assert!(body.contains("This announcement is under embargo."));
    }
    // A request that names no host at all: HTTP/1.0 may leave it out, HTTP/1.1 may not.
    for request in [
        "GET /en/briefings/embargoed/ HTTP/1.0\r\n\r\n",
        "GET /en/briefings/embargoed/ HTTP/1.1\r\nConnection: close\r\n\r\n",
    ] {
        let (status, _, body) = server.request(request);
        assert!([400, 403].contains(&status), "{status} for {request:?}");
        assert!(!body.contains("under embargo"), "{request:?}: {body}");
    }
}

/// `--bind ::1`: the preview listens on the IPv6 loopback address only, says so, and answers
/// a request that names it as `[::1]` or `localhost`.
#[test]
fn bound_to_the_ipv6_loopback_the_preview_answers_there_only() {
    let site = fixture("basic");
    let server = Server::start(site.path(), &["--bind", "::1"]);
    assert_eq!(server.host, "[::1]", "{}", server.startup);
    let port = server.port;
    for host in [format!("[::1]:{port}"), format!("localhost:{port}")] {
        let (status, _, body) = server.get_as(&host, "/en/");
        assert_eq!(status, 200, "{host}");
        assert!(body.contains("<html"), "{body}");
    }
    let (status, _, _) = server.get_as(&format!("[::2]:{}", port.wrapping_add(1)), "/en/");
    assert_eq!(status, 403);
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "bound to ::1, it also answers at 127.0.0.1"
    );
}

#[test]
fn a_press_kit_file_swapped_for_a_link_is_never_followed() {
    let site = fixture("presskit");
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret.pdf");
    std::fs::write(&secret, "SECRET-OUTSIDE-THE-SITE").unwrap();
    let server = Server::start(site.path(), &[]);
    let target = "/briefings/launch/programme.pdf";
    let file = site.path().join("content/briefings/launch/programme.pdf");
    let original = std::fs::read(&file).unwrap();
    let (status, _, _) = server.get(target);
    assert_eq!(status, 200);
    let mut refused = 0;
    // Swap the file for a link and back, asking for it each time, before and while the
    // preview notices.
    for _ in 0..100 {
        std::fs::remove_file(&file).unwrap();
        std::os::unix::fs::symlink(&secret, &file).unwrap();
        for _ in 0..3 {
            let (status, _, body) = server.get(target);
            assert!(
                !body.contains("SECRET-OUTSIDE"),
                "served a file outside the site"
            );
            if status != 200 {
                refused += 1;
            }
        }
        std::fs::remove_file(&file).unwrap();
        std::fs::write(&file, &original).unwrap();
    }
    assert!(
        refused > 0,
        "the link was never asked for before the preview dropped it"
    );
    // The folder swapped for a link to a folder outside: nothing from there either.
    let folder = site.path().join("content/briefings/launch");
    let moved = outside.path().join("launch");
    std::fs::rename(&folder, &moved).unwrap();
    std::fs::create_dir(outside.path().join("evil")).unwrap();
    std::fs::write(
        outside.path().join("evil/programme.pdf"),
        "SECRET-OUTSIDE-FOLDER",
    )
    .unwrap();
    std::os::unix::fs::symlink(outside.path().join("evil"), &folder).unwrap();
    for _ in 0..20 {
        let (_, _, body) = server.get(target);
        assert!(
            !body.contains("SECRET-OUTSIDE"),
            "served a file outside the site"
        );
    }
}

#[test]
fn pages_are_served_while_a_rebuild_runs() {
    let site = fixture("basic");
    let heavy = format!(
        "---\ntitle: Heavy\ndate: 2016-01-01\n---\n\n{}",
        "## Same\n\nText with *emphasis* and a [link](https://example.org).\n\n".repeat(40_000)
    );
    write(site.path(), "content/briefings/heavy.en.md", &heavy);
    let server = Server::start(site.path(), &[]);
    write(
        site.path(),
        "content/briefings/heavy.en.md",
        &format!("{heavy}\nEdited.\n"),
    );
    // The watcher has seen the save and is rebuilding.
    std::thread::sleep(Duration::from_millis(150));
    let asked = Instant::now();
    let (status, _, _) = server.get("/en/briefings/visa/");
    let waited = asked.elapsed().as_millis();
    assert_eq!(status, 200);
    let line = server.log_line("Changed heavy.en.md");
    let took: u128 = line
        .rsplit(" in ")
        .next()
        .and_then(|t| t.trim_end_matches(" ms.").parse().ok())
        .unwrap_or_else(|| panic!("{line}"));
    assert!(
        took >= 600,
        "the rebuild was too quick to show anything: {line}"
    );
    assert!(
        waited * 3 < took,
        "a page took {waited} ms while a rebuild of {took} ms ran"
    );
}

/// `serve` in a folder that is not a site says so and stops, rather than serving an error.
#[test]
fn serve_in_a_folder_without_site_yaml_exits_with_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = briefing(dir.path(), &["serve", "--port", "0"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("no site.yaml in"), "{err}");
    assert!(err.contains("this folder is not a briefing site"), "{err}");
}

#[test]
fn the_preview_shows_photos_resized_and_follows_a_replaced_photo() {
    let site = fixture("presskit");
    let photo = common::photos::add_photo(
        site.path(),
        "launch",
        "delegation.jpg",
        &common::photos::photo(2000, 1333, 1),
        &[("en", "The delegation")],
    );
    let server = Server::start(site.path(), &[]);
    let (status, body) = server.get_until("/en/briefings/launch/", |b| b.contains("srcset"));
    assert_eq!(status, 200);
    assert!(
        body.contains("/briefings/launch/delegation.960w.webp 960w"),
        "{body}"
    );
    let (status, head, _) = server.get("/briefings/launch/delegation.960w.webp");
    assert_eq!(status, 200);
    assert!(head.contains("image/webp"), "{head}");
    // The officer replaces the photo with a smaller one: the page follows, with no edit of
    // its text, as a build would.
    std::fs::write(&photo, common::photos::photo(1200, 800, 1)).unwrap();
    let (_, body) = server.get_until("/en/briefings/launch/", |b| b.contains("width=\"1200\""));
    assert!(
        body.contains("/briefings/launch/delegation.1200w.jpg 1200w"),
        "{body}"
    );
    assert!(!body.contains("1600w"), "{body}");
}

#[test]
fn connections_that_say_nothing_are_closed_and_the_site_is_still_served() {
    use std::io::{Read, Write};
    let site = fixture("basic");
    let server = Server::start(site.path(), &[]);
    let mut quiet: Vec<std::net::TcpStream> = (0..60)
        .map(|_| std::net::TcpStream::connect(("127.0.0.1", server.port)).unwrap())
        .collect();
    // One starts a request and never finishes it.
    write!(quiet[0], "GET /en/ HTTP/1.1\r\nHost: 127.0.0.1\r\n").unwrap();
    let (status, _, _) = server.get("/en/");
    assert_eq!(status, 200);
    // Closed by the server after its idle time (20 s), well within this wait.
    let deadline = Instant::now() + Duration::from_secs(60);
    for stream in &mut quiet {
        stream
            .set_read_timeout(Some(
                deadline
                    .saturating_duration_since(Instant::now())
                    .max(Duration::from_millis(10)),
            ))
            .unwrap();
        // Read until the server closes it (whatever it says first).
        let mut buf = [0u8; 256];
        loop {
            match stream.read(&mut buf) {
                Ok(0) => break,
                Ok(_) => continue,
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
                Err(e) => panic!("still open ({e})"),
            }
        }
    }
    assert!(Instant::now() < deadline, "connections were held open");
    let (status, _, _) = server.get("/en/");
    assert_eq!(status, 200);
}

#[test]
fn a_note_folder_renamed_under_the_preview_is_never_a_server_error() {
    let site = fixture("basic");
    let server = Server::start(site.path(), &[]);
    let folder = site.path().join("content/briefings/study-tour");
    let moved = site.path().join("content/briefings/study-tour-2015");
    for round in 0..20 {
        let (from, to) = if round % 2 == 0 {
            (&folder, &moved)
        } else {
            (&moved, &folder)
        };
        let old = if round % 2 == 0 {
            "study-tour"
        } else {
            "study-tour-2015"
        };
        std::fs::rename(from, to).unwrap();
        let (status, _, body) = server.get(&format!("/briefings/{old}/map.svg"));
        assert!(
            status == 200 || status == 404,
            "round {round}: {status} {body}"
        );
    }
}
