//! The in-memory site of `serve`: after every kind of edit, rendering only what the edit
//! touches gives exactly the files of a preview made from scratch of the same files (not of
//! `build`: the preview shows drafts and embargoed notes, and links to its own address).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use briefing::{Change, Preview, PreviewOptions, bytes_of};
use common::*;

fn options(root: &Path) -> PreviewOptions {
    PreviewOptions {
        root: root.to_path_buf(),
        base_url: "http://127.0.0.1:1111".into(),
        now: "2020-01-01T00:00:00Z".parse().unwrap(),
    }
}

fn snapshot(p: &Preview) -> BTreeMap<String, Vec<u8>> {
    p.paths()
        .into_iter()
        .map(|path| {
            (
                path.to_string(),
                bytes_of(&p.get(path).unwrap().unwrap(), Path::new("/")).unwrap(),
            )
        })
        .collect()
}

/// Applies `edit`, rebuilds the preview for the files it names, and compares with a preview
/// made from scratch.
fn check(p: &mut Preview, root: &Path, what: &str, changed: &[&str], edit: impl FnOnce(&Path)) {
    edit(root);
    let paths: Vec<PathBuf> = changed.iter().map(|c| root.join(c)).collect();
    let change = p.classify(&paths);
    p.rebuild(&change).unwrap_or_else(|e| panic!("{what}: {e}"));
    let full = Preview::new(options(root));
    assert!(full.error.is_none(), "{what}: {:?}", full.error);
    let (a, b) = (snapshot(p), snapshot(&full));
    let a_paths: Vec<&String> = a.keys().collect();
    let b_paths: Vec<&String> = b.keys().collect();
    assert_eq!(a_paths, b_paths, "{what}: different files");
    for (path, bytes) in &a {
        assert!(
            bytes == &b[path],
            "{what}: {path} differs from a full build"
        );
    }
}

#[test]
fn every_kind_of_edit_gives_the_files_of_a_full_build() {
    let site = fixture("basic");
    let root = site.path();
    let mut p = Preview::new(options(root));
    assert!(p.error.is_none(), "{:?}", p.error);
    // Drafts and embargoed notes are part of the preview.
    assert!(p.get("en/briefings/draft-note/index.html").is_some());
    assert!(p.get("en/briefings/embargoed/index.html").is_some());

    let tour = "content/briefings/study-tour/index.en.md";
    check(&mut p, root, "a sentence of the body", &[tour], |r| {
        let text = std::fs::read_to_string(r.join(tour)).unwrap();
        write(r, tour, &text.replace("next week", "on Monday"));
    });
    // More edits of text alone, which the preview makes by rendering that note again: a
    // draft's, a link to another note and a heading added, an image's words.
    let draft = "content/briefings/draft-note.en.md";
    check(&mut p, root, "a draft's text", &[draft], |r| {
        let text = std::fs::read_to_string(r.join(draft)).unwrap();
        write(r, draft, &text.replace("not ready", "almost ready"));
    });
    let visa = "content/briefings/visa.en.md";
    check(
        &mut p,
        root,
        "a link and a heading in the text",
        &[visa],
        |r| {
            let text = std::fs::read_to_string(r.join(visa)).unwrap();
            write(
            r,
            visa,
            &text.replace(
                "Both sides agreed on next steps.",
                "Both sides agreed on [the study tour](study-tour/index.en.md).\n\n## Next\n\nMore.",
            ),
        );
        },
    );
    check(&mut p, root, "an image's words", &[tour], |r| {
        let text = std::fs::read_to_string(r.join(tour)).unwrap();
        write(
            r,
            tour,
            &text.replace("![Route of the tour]", "![The route]"),
        );
    });

    check(
        &mut p,
        root,
        "a title",
        &["content/briefings/visa.en.md"],
        |r| {
            let text = std::fs::read_to_string(r.join("content/briefings/visa.en.md")).unwrap();
            write(
                r,
                "content/briefings/visa.en.md",
                &text.replace("Policy dialogue", "High-level dialogue"),
            );
        },
    );
    check(
        &mut p,
        root,
        "a date that reorders",
        &["content/briefings/returns.en.md"],
        |r| {
            let text = std::fs::read_to_string(r.join("content/briefings/returns.en.md")).unwrap();
            write(
                r,
                "content/briefings/returns.en.md",
                &text.replace("2015-12-08", "2017-01-08"),
            );
        },
    );
    check(&mut p, root, "tags", &[tour], |r| {
        let text = std::fs::read_to_string(r.join(tour)).unwrap();
        write(
            r,
            tour,
            &text.replace(
                "tags: [human trafficking, study tour]",
                "tags: [study tour, europe]",
            ),
        );
    });
    // A second note names Helena Marsh as study-tour does: both link to one vCard.
    // Not a neighbour of study-tour: only the name of its card can change its page.
    let advisory = "content/briefings/advisory.en.md";
    check(
        &mut p,
        root,
        "a contact another note names",
        &[advisory],
        |r| {
            let text = std::fs::read_to_string(r.join(advisory)).unwrap();
            write(
            r,
            advisory,
            &text.replacen(
                "---\n",
                "---\ncontacts:\n  - name: Helena Marsh\n    role: Head of Office\n    organisation: Liaison Office\n    email: h.marsh@example.org\n    phone: \"+86 10 5979 1234\"\n",
                1,
            ),
        );
        },
    );
    let links = |p: &Preview, note: &str| -> Vec<String> {
        let html = String::from_utf8(
            bytes_of(
                &p.get(&format!("en/briefings/{note}/index.html"))
                    .unwrap()
                    .unwrap(),
                Path::new("/"),
            )
            .unwrap(),
        )
        .unwrap();
        html.split("class=\"vcard\" href=\"/")
            .skip(1)
            .map(|rest| rest[..rest.find('"').unwrap()].to_string())
            .collect()
    };
    let vcards = |p: &Preview| -> Vec<String> {
        p.paths()
            .into_iter()
            .filter(|path| path.starts_with("en/") && path.ends_with(".vcf"))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(links(&p, "advisory"), ["en/contacts/helena-marsh.vcf"]);
    assert_eq!(links(&p, "study-tour"), ["en/contacts/helena-marsh.vcf"]);
    assert_eq!(vcards(&p), ["en/contacts/helena-marsh.vcf"]);
    // Her number changes in one note only: that note's card is a new file, and the other
    // note, not edited, links to its own card, now named apart from the new one.
    check(
        &mut p,
        root,
        "a contact's phone in one note",
        &[tour],
        |r| {
            let text = std::fs::read_to_string(r.join(tour)).unwrap();
            write(r, tour, &text.replace("5979 1234", "5979 4321"));
        },
    );
    let cards = vcards(&p);
    assert_eq!(cards.len(), 2, "{cards:?}");
    assert!(
        cards
            .iter()
            .all(|c| c.starts_with("en/contacts/helena-marsh-"))
    );
    let card = |path: &str| {
        String::from_utf8(bytes_of(&p.get(path).unwrap().unwrap(), Path::new("/")).unwrap())
            .unwrap()
    };
    let tour_links = links(&p, "study-tour");
    let advisory_links = links(&p, "advisory");
    assert_ne!(tour_links, advisory_links);
    assert!(card(&tour_links[0]).contains("tel:+861059794321"));
    assert!(card(&advisory_links[0]).contains("tel:+861059791234"));
    // The same number again: one card, under her name alone.
    check(
        &mut p,
        root,
        "a contact's phone made the same again",
        &[tour],
        |r| {
            let text = std::fs::read_to_string(r.join(tour)).unwrap();
            write(r, tour, &text.replace("5979 4321", "5979 1234"));
        },
    );
    assert_eq!(vcards(&p), ["en/contacts/helena-marsh.vcf"]);
    assert_eq!(links(&p, "advisory"), ["en/contacts/helena-marsh.vcf"]);
    check(
        &mut p,
        root,
        "a new note pair",
        &["content/briefings/new-note"],
        |r| {
            write(
                r,
                "content/briefings/new-note/index.en.md",
                "---\ntitle: New\ndate: 2016-04-01\nproject: returns\n---\n\nNew text.\n",
            );
            write(
                r,
                "content/briefings/new-note/index.zh.md",
                "---\ntitle: 新\ndate: 2016-04-01\n---\n\n新文本。\n",
            );
        },
    );
    check(
        &mut p,
        root,
        "a deleted note",
        &["content/briefings/advisory.en.md"],
        |r| {
            std::fs::remove_file(r.join("content/briefings/advisory.en.md")).unwrap();
        },
    );
    check(
        &mut p,
        root,
        "a new slug",
        &["content/briefings/visa.zh.md"],
        |r| {
            let text = std::fs::read_to_string(r.join("content/briefings/visa.zh.md")).unwrap();
            write(
                r,
                "content/briefings/visa.zh.md",
                &text.replace("funder: eu\n", "funder: eu\nslug: visa-zh\n"),
            );
        },
    );
    check(
        &mut p,
        root,
        "a static page's title",
        &["content/pages/about.en.md"],
        |r| {
            let text = std::fs::read_to_string(r.join("content/pages/about.en.md")).unwrap();
            write(
                r,
                "content/pages/about.en.md",
                &text.replace("About the press service", "About us"),
            );
        },
    );
    check(
        &mut p,
        root,
        "a draft published",
        &["content/briefings/draft-note.en.md"],
        |r| {
            let text =
                std::fs::read_to_string(r.join("content/briefings/draft-note.en.md")).unwrap();
            write(
                r,
                "content/briefings/draft-note.en.md",
                &text.replace("draft: true\n", ""),
            );
        },
    );
    check(
        &mut p,
        root,
        "a new file beside a note, and a link to it",
        &["content/briefings/study-tour/programme.txt", tour],
        |r| {
            write(
                r,
                "content/briefings/study-tour/programme.txt",
                "Day 1: Vienna\n",
            );
            let text = std::fs::read_to_string(r.join(tour)).unwrap();
            write(r, tour, &format!("{text}\n[Programme](programme.txt)\n"));
        },
    );
    check(
        &mut p,
        root,
        "a folder renamed",
        &[
            "content/briefings/new-note",
            "content/briefings/renamed-note",
        ],
        |r| {
            std::fs::rename(
                r.join("content/briefings/new-note"),
                r.join("content/briefings/renamed-note"),
            )
            .unwrap();
        },
    );
    check(
        &mut p,
        root,
        "the stylesheet",
        &["themes/default/static/style.css"],
        |r| {
            write(
                r,
                "themes/default/static/style.css",
                "body { color: navy }\n",
            );
        },
    );
    check(
        &mut p,
        root,
        "an interface string",
        &["themes/default/i18n/en.yaml"],
        |r| {
            write(
                r,
                "themes/default/i18n/en.yaml",
                "further_information: \"Press contacts:\"\n",
            );
        },
    );
    check(&mut p, root, "site.yaml", &["site.yaml"], |r| {
        let text = std::fs::read_to_string(r.join("site.yaml")).unwrap();
        write(r, "site.yaml", &text.replace("per_page: 2", "per_page: 3"));
    });
}

#[test]
fn a_broken_note_keeps_the_last_good_site_until_it_is_fixed() {
    let site = fixture("basic");
    let root = site.path();
    let mut p = Preview::new(options(root));
    let before = snapshot(&p);
    let visa = root.join("content/briefings/visa.en.md");
    let good = std::fs::read_to_string(&visa).unwrap();
    std::fs::write(&visa, good.replace("title: Policy", "title: [Policy")).unwrap();
    let change = p.classify(std::slice::from_ref(&visa));
    assert_eq!(
        change,
        Change::Content(["briefings/visa.en.md".to_string()].into())
    );
    let err = p.rebuild(&change).unwrap_err().to_string();
    assert!(err.contains("content/briefings/visa.en.md:2:8"), "{err}");
    assert!(p.error.is_some());
    assert_eq!(snapshot(&p), before, "the last good site is still served");
    std::fs::write(&visa, good.replace("Policy dialogue", "Dialogue")).unwrap();
    p.rebuild(&p.classify(&[visa])).unwrap();
    assert!(p.error.is_none());
    let html = String::from_utf8(
        bytes_of(
            &p.get("en/briefings/visa/index.html").unwrap().unwrap(),
            Path::new("/"),
        )
        .unwrap(),
    )
    .unwrap();
    assert!(
        html.contains(">Dialogue on visa facilitation</h1>"),
        "{html}"
    );
}

#[test]
fn editor_temporary_and_hidden_files_are_ignored() {
    let site = fixture("basic");
    let p = Preview::new(options(site.path()));
    let root = site.path();
    for name in [
        "content/briefings/.visa.en.md.swp",
        "content/briefings/visa.en.md~",
        "content/briefings/#visa.en.md#",
        "content/briefings/.goutputstream-XYZ",
        "output/en/index.html",
    ] {
        assert_eq!(p.classify(&[root.join(name)]), Change::Nothing, "{name}");
    }
    assert_eq!(
        p.classify(&[root.join("themes/default/templates/base.html")]),
        Change::Everything
    );
}

/// A theme that starts showing a field no page showed before: after an edit of that field,
/// every page showing it is served with the edit, as a full build would make it.
#[test]
fn a_field_a_theme_starts_showing_updates_every_page_that_shows_it() {
    let site = fixture("basic");
    let root = site.path();
    let mut p = Preview::new(options(root));
    assert!(p.error.is_none(), "{:?}", p.error);
    let listing = "themes/default/templates/partials/listing.html";
    let shipped =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(listing)).unwrap();
    let shows_modified = shipped.replace(
        "<h2><a href=\"{{ item.link }}\">{{ item.title }}</a>",
        "<h2 data-modified=\"{{ item.modified }}\"><a href=\"{{ item.link }}\">{{ item.title }}</a>",
    );
    assert_ne!(shows_modified, shipped, "the listing template changed");
    check(
        &mut p,
        root,
        "a listing that shows `modified`",
        &[listing],
        |r| write(r, listing, &shows_modified),
    );
    let tour = "content/briefings/study-tour/index.en.md";
    check(&mut p, root, "a note updated", &[tour], |r| {
        let text = std::fs::read_to_string(r.join(tour)).unwrap();
        write(
            r,
            tour,
            &text.replace(
                "date: 2015-10-16\n",
                "date: 2015-10-16\nupdated: 2015-11-02\n",
            ),
        );
    });
    // Each listing the note is on shows the new date: its page of the home listing, the
    // project's and each tag's.
    let showing: Vec<String> = snapshot(&p)
        .into_iter()
        .filter(|(_, bytes)| String::from_utf8_lossy(bytes).contains("data-modified=\"2015-11-02"))
        .map(|(path, _)| path)
        .collect();
    assert_eq!(
        showing,
        [
            "en/funders/eu/page/2/index.html",
            "en/page/3/index.html",
            "en/projects/dialogue/index.html",
            "en/tags/human-trafficking/index.html",
            "en/tags/study-tour/index.html",
        ]
    );
}

/// Saves `edit` of visa.en.md into a preview of the basic fixture: the rebuild's error.
fn save_of_visa_fails(edit: impl FnOnce(&str) -> String) -> String {
    let site = fixture("basic");
    let root = site.path();
    let mut p = Preview::new(options(root));
    assert!(p.error.is_none(), "{:?}", p.error);
    let visa = root.join("content/briefings/visa.en.md");
    let good = std::fs::read_to_string(&visa).unwrap();
    std::fs::write(&visa, edit(&good)).unwrap();
    p.rebuild(&p.classify(std::slice::from_ref(&visa)))
        .unwrap_err()
        .to_string()
}

/// A saved note is read again on its own; a new slug that another note has is still the error
/// a full build gives.
#[test]
fn a_save_that_takes_another_notes_slug_is_an_error() {
    let err = save_of_visa_fails(|good| good.replacen("---\n", "---\nslug: returns\n", 1));
    assert!(
        err.contains("two `en` notes have the slug `returns`"),
        "{err}"
    );
}

/// In the preview, a version without `embargo:` shows the embargo its other version gives.
#[test]
fn a_version_held_back_by_another_shows_its_embargo_banner() {
    let site = fixture("basic");
    let root = site.path();
    write(
        root,
        "content/briefings/joint-statement/index.zh.md",
        "---\ntitle: 联合声明\ndate: 2016-12-01\nembargo: 2030-01-01T09:00:00+08:00\n---\n\n声明全文。\n",
    );
    write(
        root,
        "content/briefings/joint-statement/index.en.md",
        "---\ntitle: Joint statement\ndate: 2016-12-01\n---\n\nThe full statement.\n",
    );
    let p = Preview::new(options(root));
    assert!(p.error.is_none(), "{:?}", p.error);
    let body = p
        .get("en/briefings/joint-statement/index.html")
        .unwrap()
        .unwrap();
    let html = String::from_utf8(bytes_of(&body, Path::new("/")).unwrap()).unwrap();
    assert!(html.contains("banner-embargo"), "{html}");
    assert!(
        html.contains("EMBARGOED until 09:00 CST, 1 January 2030"),
        "{html}"
    );
}

/// A save that adds a link to a site path no page has is the error a build gives, though the
/// site's files are the same as before.
#[test]
fn a_save_that_links_to_a_missing_site_path_is_an_error() {
    let err = save_of_visa_fails(|good| format!("{good}\nSee [nowhere](/en/nowhere/).\n"));
    assert!(
        err.contains("the link `/en/nowhere/` leads to no page or file of this site"),
        "{err}"
    );
}
