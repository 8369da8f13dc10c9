//! Photos, press kits, shared links and feeds, through the `briefing` binary: what a reader,
//! a social network and a feed reader get.

mod common;

use std::path::Path;

use common::photos::{self, SERIAL, exif_tags};
use common::*;

/// The presskit fixture with `delegation.jpg`, a 2000×1333 photo with GPS and a camera serial
/// in its EXIF, shown in the text of both versions.
fn site_with_photo() -> tempfile::TempDir {
    let site = fixture("presskit");
    photos::add_photo(
        site.path(),
        "launch",
        "delegation.jpg",
        &photos::photo(2000, 1333, 1),
        &[
            ("en", "The delegation at the ministry"),
            ("zh", "代表团在部里"),
        ],
    );
    site
}

fn published(site: &Path, path: &str) -> Vec<u8> {
    std::fs::read(site.join("output").join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn dimensions(site: &Path, path: &str) -> (u32, u32) {
    image::image_dimensions(site.join("output").join(path))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Nothing in a published image says where it was taken or with which camera.
fn assert_anonymous(bytes: &[u8], what: &str) {
    let tags = exif_tags(bytes);
    for tag in [
        exif::Tag::GPSLatitude,
        exif::Tag::GPSLatitudeRef,
        exif::Tag::BodySerialNumber,
    ] {
        assert!(!tags.contains(&tag), "{what} still has {tag}");
    }
    assert!(
        !bytes.windows(SERIAL.len()).any(|w| w == SERIAL.as_bytes()),
        "{what} still has the camera serial"
    );
}

#[test]
fn a_photo_in_the_text_is_published_once_in_the_widths_screens_need() {
    let site = site_with_photo();
    let first = build_ok(site.path(), &[]);
    // The photo, and the report's small cover above it.
    assert!(first.contains(", 2 images processed"), "{first}");
    let base = "briefings/launch/delegation";
    // The original, for download, and three widths in JPEG and in WebP: nothing wider than
    // the photo, nothing in a language's folder.
    assert_eq!(
        dimensions(site.path(), &format!("{base}.jpg")),
        (2000, 1333)
    );
    for (width, height) in [(480, 320), (960, 640), (1600, 1066)] {
        for ext in ["jpg", "webp"] {
            let path = format!("{base}.{width}w.{ext}");
            assert_eq!(dimensions(site.path(), &path), (width, height), "{path}");
            assert_anonymous(&published(site.path(), &path), &path);
        }
        // WebP copies are published because they are smaller.
        let size = |ext: &str| published(site.path(), &format!("{base}.{width}w.{ext}")).len();
        assert!(
            size("webp") < size("jpg"),
            "{width}: webp {} jpg {}",
            size("webp"),
            size("jpg")
        );
    }
    assert_anonymous(
        &published(site.path(), &format!("{base}.jpg")),
        "the original",
    );
    let files = tree(&site.path().join("output"));
    let copies: Vec<_> = files
        .keys()
        .filter(|p| p.to_string_lossy().contains("delegation"))
        .collect();
    assert_eq!(copies.len(), 7, "{copies:?}");

    for lang in ["en", "zh"] {
        let p = page(site.path(), &format!("{lang}/briefings/launch/index.html"));
        let img = ".body picture img";
        assert_eq!(attr(&p, img, "src"), format!("/{base}.1600w.jpg"));
        assert_eq!(
            attr(&p, img, "srcset"),
            format!("/{base}.480w.jpg 480w, /{base}.960w.jpg 960w, /{base}.1600w.jpg 1600w")
        );
        assert_eq!(
            attr(&p, ".body picture source[type='image/webp']", "srcset"),
            format!("/{base}.480w.webp 480w, /{base}.960w.webp 960w, /{base}.1600w.webp 1600w")
        );
        assert!(!attr(&p, img, "sizes").is_empty());
        // The box is known before the image arrives: nothing jumps.
        assert_eq!(attr(&p, img, "width"), "2000");
        assert_eq!(attr(&p, img, "height"), "1333");
        // Shown in the text, so not listed again.
        assert_eq!(
            attrs(&p, ".downloads a", "href"),
            ["/briefings/launch/programme.pdf"]
        );
    }

    // A rebuild resizes nothing, and publishes the same bytes.
    let second = build_ok(site.path(), &[]);
    assert!(!second.contains("processed"), "{second}");
    assert_same_tree(&tree(&site.path().join("output")), &files);

    // Other settings make other copies.
    let yaml = std::fs::read_to_string(site.path().join("site.yaml")).unwrap();
    std::fs::write(
        site.path().join("site.yaml"),
        format!("{yaml}images:\n  widths: [600]\n  quality: 60\n"),
    )
    .unwrap();
    let third = build_ok(site.path(), &[]);
    assert!(third.contains(", 2 images processed"), "{third}");
    assert_eq!(
        dimensions(site.path(), &format!("{base}.600w.jpg")),
        (600, 400)
    );
    assert!(!site.path().join(format!("output/{base}.480w.jpg")).exists());
}

#[test]
fn a_photo_taken_sideways_keeps_its_orientation_and_nothing_else() {
    let site = fixture("presskit");
    // Stored 1200×800, to be turned a quarter: shown 800×1200.
    photos::add_photo(
        site.path(),
        "launch",
        "portrait.jpg",
        &photos::photo(1200, 800, 6),
        &[("en", "The speaker")],
    );
    build_ok(site.path(), &[]);
    let original = published(site.path(), "briefings/launch/portrait.jpg");
    assert_eq!(exif_tags(&original), [exif::Tag::Orientation]);
    assert_anonymous(&original, "the original");
    let p = page(site.path(), "en/briefings/launch/index.html");
    assert_eq!(attr(&p, ".body img[alt='The speaker']", "width"), "800");
    assert_eq!(attr(&p, ".body img[alt='The speaker']", "height"), "1200");
    // Copies are turned already, with no EXIF; the photo's own width is one of them.
    for (width, height) in [(480, 720), (800, 1200)] {
        let path = format!("briefings/launch/portrait.{width}w.jpg");
        assert_eq!(dimensions(site.path(), &path), (width, height), "{path}");
        assert!(
            exif_tags(&published(site.path(), &path)).is_empty(),
            "{path}"
        );
    }
}

#[test]
fn a_press_kit_photo_goes_out_without_its_place_or_camera() {
    let site = fixture("presskit");
    photos::add_photo(
        site.path(),
        "launch",
        "group.jpg",
        &photos::photo(1000, 600, 1),
        &[],
    );
    build_ok(site.path(), &[]);
    let bytes = published(site.path(), "briefings/launch/group.jpg");
    assert_anonymous(&bytes, "the press kit photo");
    assert_eq!(
        dimensions(site.path(), "briefings/launch/group.jpg"),
        (1000, 600)
    );
    // Not shown in the text: listed, and not resized.
    let p = page(site.path(), "en/briefings/launch/index.html");
    assert_eq!(
        attrs(&p, ".downloads a", "href"),
        [
            "/briefings/launch/group.jpg",
            "/briefings/launch/programme.pdf"
        ]
    );
    // The size it gives is the size of the file published.
    assert_eq!(
        texts(&p, ".downloads li")[0],
        format!(
            "group.jpg (JPG, {})",
            briefing::human_size(bytes.len() as u64)
        )
    );
    let files = tree(&site.path().join("output"));
    assert!(
        !files
            .keys()
            .any(|p| p.to_string_lossy().contains("group.480w"))
    );
}

#[test]
fn an_image_that_is_not_one_is_an_error_and_a_heavy_one_a_warning() {
    let site = fixture("presskit");
    build_ok(site.path(), &[]);
    let before = tree(&site.path().join("output"));
    write(
        site.path(),
        "content/briefings/launch/scan.jpg",
        "%PDF-1.4 saved with the wrong name",
    );
    for (command, code, out) in build_and_check(site.path()) {
        assert_eq!(code, Some(1), "{command}: {out}");
        assert!(
            out.contains("error: this image cannot be published: it is not a JPEG image"),
            "{command}: {out}"
        );
        assert!(
            out.contains("--> content/briefings/launch/scan.jpg"),
            "{command}: {out}"
        );
    }
    assert_same_tree(&tree(&site.path().join("output")), &before);

    std::fs::remove_file(site.path().join("content/briefings/launch/scan.jpg")).unwrap();
    let photo = photos::photo(2000, 1333, 1);
    std::fs::write(
        site.path().join("content/briefings/launch/heavy.jpg"),
        &photo,
    )
    .unwrap();
    let yaml = std::fs::read_to_string(site.path().join("site.yaml")).unwrap();
    std::fs::write(
        site.path().join("site.yaml"),
        format!("{yaml}images:\n  max_size: 50 KB\n"),
    )
    .unwrap();
    let out = briefing(site.path(), &["build"]);
    assert!(out.status.success(), "{}", said(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "warning: this image is {}, over the 49 KB that site.yaml's images.max_size allows",
            briefing::human_size(photo.len() as u64)
        )),
        "{err}"
    );
    assert!(
        err.contains("--> content/briefings/launch/heavy.jpg"),
        "{err}"
    );
    // A size that is not one is an error at its line.
    std::fs::write(
        site.path().join("site.yaml"),
        format!("{yaml}images:\n  max_size: large\n"),
    )
    .unwrap();
    let out = build_fails(site.path(), &[]);
    assert!(out.contains("`max_size` is not a size"), "{out}");
}

#[test]
fn a_shared_link_shows_the_first_photo_or_the_site_card() {
    let site = site_with_photo();
    build_ok(site.path(), &[]);
    for (lang, alt) in [
        ("en", "The delegation at the ministry"),
        ("zh", "代表团在部里"),
    ] {
        let p = page(site.path(), &format!("{lang}/briefings/launch/index.html"));
        let meta = |property: &str| attr(&p, &format!("meta[property='{property}']"), "content");
        assert_eq!(
            meta("og:image"),
            "https://press.example.org/briefings/launch/delegation.1600w.jpg"
        );
        assert_eq!(meta("og:image:width"), "1600");
        assert_eq!(meta("og:image:height"), "1066");
        // The 32-pixel cover earlier in the text is too small for a card.
        assert_eq!(meta("og:image:alt"), alt);
        assert_eq!(
            attr(&p, "meta[name='twitter:card']", "content"),
            "summary_large_image"
        );
        // Search engines get the same photo.
        let json: serde_json::Value =
            serde_json::from_str(&text(&p, "script[type='application/ld+json']")).unwrap();
        assert_eq!(json["image"]["url"], meta("og:image"));
        assert_eq!(json["image"]["width"], 1600);
    }
    // Pages without a photo of their own show the theme's card, which the site publishes.
    let home = page(site.path(), "en/index.html");
    assert_eq!(
        attr(&home, "meta[property='og:image']", "content"),
        "https://press.example.org/card.png"
    );
    assert_eq!(
        attr(&home, "meta[property='og:image:width']", "content"),
        "1200"
    );
    assert_eq!(
        attr(&home, "meta[property='og:image:height']", "content"),
        "630"
    );
    assert_eq!(dimensions(site.path(), "card.png"), (1200, 630));

    // site.yaml may name a card of its own; it must be a picture social networks show.
    std::fs::create_dir_all(site.path().join("content/pages")).unwrap();
    std::fs::write(
        site.path().join("content/pages/card.png"),
        photos::png(1200, 600),
    )
    .unwrap();
    let yaml = std::fs::read_to_string(site.path().join("site.yaml")).unwrap();
    std::fs::write(
        site.path().join("site.yaml"),
        format!("{yaml}social_card: pages/card.png\n"),
    )
    .unwrap();
    build_ok(site.path(), &[]);
    let home = page(site.path(), "zh/index.html");
    assert_eq!(
        attr(&home, "meta[property='og:image']", "content"),
        "https://press.example.org/pages/card.png"
    );
    assert_eq!(
        attr(&home, "meta[property='og:image:alt']", "content"),
        "测试办公室简报"
    );
    std::fs::write(
        site.path().join("site.yaml"),
        format!("{yaml}social_card: pages/card.svg\n"),
    )
    .unwrap();
    let out = build_fails(site.path(), &[]);
    assert!(
        out.contains("`pages/card.svg` cannot be the social card"),
        "{out}"
    );
}

#[test]
fn feeds_carry_the_full_text_contacts_and_press_kit_for_every_listing() {
    let site = site_with_photo();
    build_ok(site.path(), &[]);
    let feed = |path: &str| {
        feed_rs::parser::parse(published(site.path(), path).as_slice())
            .unwrap_or_else(|e| panic!("{path} is not a feed: {e}"))
    };
    let en = feed("en/atom.xml");
    let entry = &en.entries[0];
    assert_eq!(
        entry.title.as_ref().unwrap().content,
        "Report launch: migration data in China"
    );
    let content = entry.content.as_ref().unwrap().body.as_deref().unwrap();
    // The text, with URLs a reader can follow away from the site.
    assert!(content.contains("The programme is attached."), "{content}");
    assert!(
        content.contains(
            "srcset=\"https://press.example.org/briefings/launch/delegation.480w.jpg 480w"
        ),
        "{content}"
    );
    assert!(
        content.contains("src=\"https://press.example.org/briefings/launch/photo.png\""),
        "{content}"
    );
    assert!(!content.contains("=\"/"), "a relative URL: {content}");
    // The contacts, with their numbers and vCards.
    assert!(
        content.contains("For further information please contact:"),
        "{content}"
    );
    assert!(content.contains("Marsh, Helena; Dr."), "{content}");
    assert!(content.contains("href=\"tel:+861059791234\""), "{content}");
    assert!(
        content.contains("https://press.example.org/en/contacts/marsh-helena-dr.vcf"),
        "{content}"
    );
    // The press kit as enclosures, and the project, funder and tags as categories.
    let enclosures: Vec<(String, String, Option<u64>)> = entry
        .links
        .iter()
        .filter(|l| l.rel.as_deref() == Some("enclosure"))
        .map(|l| (l.href.clone(), l.media_type.clone().unwrap(), l.length))
        .collect();
    assert_eq!(
        enclosures,
        [(
            "https://press.example.org/briefings/launch/programme.pdf".to_string(),
            "application/pdf".to_string(),
            Some(
                std::fs::metadata(site.path().join("content/briefings/launch/programme.pdf"))
                    .unwrap()
                    .len()
            )
        )]
    );
    let categories: Vec<&str> = entry.categories.iter().map(|c| c.term.as_str()).collect();
    assert!(
        categories.contains(&"EU-China Dialogue on Migration and Mobility Support Project"),
        "{categories:?}"
    );
    // In Chinese, with Chinese labels.
    let zh = feed("zh/atom.xml");
    let content = zh.entries[0]
        .content
        .as_ref()
        .unwrap()
        .body
        .clone()
        .unwrap();
    assert!(content.contains("如需了解更多信息，请联系："), "{content}");

    // A feed for every project, funder and tag, holding its briefings.
    let basic = fixture("basic");
    build_ok(basic.path(), &[]);
    for (path, title) in [
        ("en/projects/dialogue/atom.xml", "EU-China Dialogue"),
        ("en/funders/eu/atom.xml", "European Union"),
        ("en/tags/visa/atom.xml", "visa"),
        ("zh/tags/人口贩运/atom.xml", "人口贩运"),
    ] {
        let bytes = std::fs::read(basic.path().join("output").join(path)).unwrap();
        let f = feed_rs::parser::parse(bytes.as_slice()).unwrap();
        let t = f.title.unwrap().content;
        assert!(t.contains(title), "{path}: {t}");
        assert!(!f.entries.is_empty(), "{path}");
    }
    let tag = page(basic.path(), "en/tags/visa/index.html");
    assert!(
        attrs(&tag, "link[type='application/atom+xml']", "href")
            .contains(&"/en/tags/visa/atom.xml".to_string())
    );
}
