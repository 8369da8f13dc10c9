//! Contacts are right or refused: telephone numbers in international form (libphonenumber's
//! rules), extensions as extensions, email addresses as addresses, and every mistake an error
//! at its line that says what is wrong and shows an example.

mod common;

use common::*;

/// A note of the basic fixture with one contact, whose `key: value` lines are `fields`.
fn site_with_contact(fields: &str) -> tempfile::TempDir {
    let site = fixture("basic");
    write(
        site.path(),
        "content/briefings/contact.en.md",
        &format!(
            "---\ntitle: Contact\ndate: 2016-01-01\ncontacts:\n  - name: Li Wei\n{fields}---\n\nText.\n"
        ),
    );
    site
}

/// The contact block of the built note.
fn contact(site: &std::path::Path) -> (Vec<String>, String) {
    let html = page(site, "en/briefings/contact/index.html");
    let links = attrs(&html, ".contact a", "href")
        .into_iter()
        .filter(|l| !l.ends_with(".vcf"))
        .collect();
    (links, text(&html, ".contact"))
}

#[test]
fn numbers_are_shown_and_linked_in_international_form() {
    let site = site_with_contact(
        "    phone: \"+86 010 59799695\"\n    email: mailto:li.wei@example.org\n",
    );
    build_ok(site.path(), &[]);
    let (links, shown) = contact(site.path());
    assert_eq!(links, ["mailto:li.wei@example.org", "tel:+861059799695"]);
    assert!(shown.contains("+86 10 5979 9695"), "{shown}");
    let card = std::fs::read_to_string(site.path().join("output/en/contacts/li-wei.vcf")).unwrap();
    assert!(
        card.contains("TEL;VALUE=uri;TYPE=work,voice:tel:+861059799695\r\n"),
        "{card}"
    );
    assert!(card.contains("EMAIL:li.wei@example.org\r\n"), "{card}");
}

#[test]
fn an_extension_is_the_numbers_extension_not_more_digits() {
    let site = site_with_contact("    phone: \"+86 10 5979 9612 ext. 12\"\n");
    build_ok(site.path(), &[]);
    let (links, shown) = contact(site.path());
    assert_eq!(links, ["tel:+861059799612;ext=12"]);
    assert!(shown.contains("+86 10 5979 9612 ext. 12"), "{shown}");
}

#[test]
fn a_number_without_a_country_code_is_read_in_the_sites_region() {
    let site = site_with_contact("    phone: \"(010) 5979-9695\"\n");
    let err = build_fails(site.path(), &[]);
    assert!(
        err.contains(
            "the contact Li Wei has an invalid phone: `(010) 5979-9695`: it has no country code"
        ),
        "{err}"
    );
    assert!(err.contains("phone_region: CN"), "{err}");
    let yaml = std::fs::read_to_string(site.path().join("site.yaml")).unwrap();
    write(
        site.path(),
        "site.yaml",
        &format!("{yaml}phone_region: CN\n"),
    );
    build_ok(site.path(), &[]);
    let (links, shown) = contact(site.path());
    assert_eq!(links, ["tel:+861059799695"]);
    assert!(shown.contains("+86 10 5979 9695"), "{shown}");

    write(
        site.path(),
        "site.yaml",
        &format!("{yaml}phone_region: Narnia\n"),
    );
    let err = build_fails(site.path(), &[]);
    assert!(err.contains("unknown region `Narnia`"), "{err}");
    assert!(err.contains("--> site.yaml:"), "{err}");
}

#[test]
fn numbers_and_addresses_that_cannot_be_right_are_errors_at_their_line() {
    let cases = [
        (
            "    phone: \"+86 10 5979 96OO\"\n",
            "invalid phone: `+86 10 5979 96OO`: it has the letter `O` where a digit should be",
            "write every digit as a digit (0, not O; 1, not l), e.g. +86 10 5979 9695",
        ),
        (
            "    phone: “+86 10 5979 9695”\n",
            "invalid phone: `“+86 10 5979 9695”`: it has the quotation mark `“` in it",
            "write the number alone between straight quotes",
        ),
        (
            "    phone: \"+86 59\"\n",
            "invalid phone: `+86 59`: it has only 4 digits",
            "e.g. +86 10 5979 9695",
        ),
        (
            "    email: li.wei＠example.org\n",
            "invalid email: `li.wei＠example.org`: it has a full-width ＠",
            "type the @ with the keyboard in English mode, e.g. press@example.org",
        ),
        (
            "    email: li.wei@example\n",
            "invalid email: `li.wei@example`: its domain `example` has no dot between its parts",
            "write the whole domain, e.g. press@example.org",
        ),
    ];
    for (fields, message, help) in cases {
        let site = site_with_contact(fields);
        for (command, code, report) in build_and_check(site.path()) {
            assert_eq!(code, Some(1), "{command} {fields}");
            assert!(
                report.contains(&format!("error: the contact Li Wei has an {message}")),
                "{command}: {report}"
            );
            assert!(report.contains(help), "{command}: {report}");
            assert!(
                report.contains("content/briefings/contact.en.md:6:5"),
                "{command}: {report}"
            );
        }
    }
}

/// A number of the right form that the numbering plan does not have is published with one
/// warning, however many notes name it: plans change faster than anyone's copy of them.
#[test]
fn a_number_the_numbering_plan_does_not_know_is_published_with_one_warning() {
    let site = site_with_contact("    phone: \"+86 142 7203 8580\"\n");
    write(
        site.path(),
        "content/briefings/contact-again.en.md",
        "---\ntitle: Contact again\ndate: 2016-01-02\ncontacts:\n  - name: Li Wei\n    phone: \"+86 142 7203 8580\"\n---\n\nText.\n",
    );
    let out = briefing(site.path(), &["build"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(
        err.matches("warning: the phone of the contact Li Wei")
            .count(),
        1,
        "{err}"
    );
    assert!(
        err.contains("warning: the phone of the contact Li Wei, `+86 142 7203 8580`, is not in use in its country, as far as the numbering plans this program knows say (and in 1 other note)"),
        "{err}"
    );
    // At the first note naming the number, in file order.
    assert!(
        err.contains("content/briefings/contact-again.en.md:6:5"),
        "{err}"
    );
    let (links, _) = contact(site.path());
    assert_eq!(links, ["tel:+8614272038580"]);
}

/// The basic fixture with `li-wei` kept in site.yaml, and a note pair naming it by key.
fn site_with_registry(phone: &str) -> tempfile::TempDir {
    let site = fixture("basic");
    let yaml = std::fs::read_to_string(site.path().join("site.yaml")).unwrap();
    write(
        site.path(),
        "site.yaml",
        &format!(
            "{yaml}phone_region: CN\ncontacts:\n  li-wei:\n    name: {{ en: Li Wei, zh: 李伟 }}\n    role:\n      en: Spokesperson\n      zh: 发言人\n    organisation: Liaison Office\n    email: li.wei@example.org\n    phone: \"{phone}\"\n"
        ),
    );
    for (lang, title) in [("en", "Registry"), ("zh", "登记")] {
        write(
            site.path(),
            &format!("content/briefings/registry.{lang}.md"),
            &format!(
                "---\ntitle: {title}\ndate: 2016-01-01\ncontacts:\n  - li-wei\n  - name: Zhang Min\n    email: zhang.min@example.org\n---\n\nText.\n"
            ),
        );
    }
    site
}

#[test]
fn a_contact_kept_in_site_yaml_is_named_by_key_and_corrected_in_one_place() {
    let site = site_with_registry("010 5979 9695");
    build_ok(site.path(), &[]);
    let en = page(site.path(), "en/briefings/registry/index.html");
    let zh = page(site.path(), "zh/briefings/registry/index.html");
    let en_text = text(&en, ".contacts");
    let zh_text = text(&zh, ".contacts");
    for expected in [
        "Li Wei",
        "Spokesperson",
        "Liaison Office",
        "+86 10 5979 9695",
        "Zhang Min",
    ] {
        assert!(en_text.contains(expected), "{expected}: {en_text}");
    }
    for expected in [
        "李伟",
        "发言人",
        "Liaison Office",
        "+86 10 5979 9695",
        "Zhang Min",
    ] {
        assert!(zh_text.contains(expected), "{expected}: {zh_text}");
    }
    assert!(!zh_text.contains("Spokesperson"), "{zh_text}");
    assert!(
        attrs(&en, ".contacts a", "href").contains(&"tel:+861059799695".to_string()),
        "{en_text}"
    );

    // The number corrected once in site.yaml is corrected on every page.
    let yaml = std::fs::read_to_string(site.path().join("site.yaml")).unwrap();
    write(
        site.path(),
        "site.yaml",
        &yaml.replace("010 5979 9695", "+86 10 5979 9612"),
    );
    build_ok(site.path(), &[]);
    for lang in ["en", "zh"] {
        let html = page(
            site.path(),
            &format!("{lang}/briefings/registry/index.html"),
        );
        assert!(
            text(&html, ".contacts").contains("+86 10 5979 9612"),
            "{lang}"
        );
    }
}

#[test]
fn an_unknown_contact_key_or_a_bad_number_in_site_yaml_is_an_error() {
    let site = site_with_registry("010 5979 9695");
    write(
        site.path(),
        "content/briefings/registry.en.md",
        "---\ntitle: Registry\ndate: 2016-01-01\ncontacts: [li-wie]\n---\n\nText.\n",
    );
    for (command, code, out) in build_and_check(site.path()) {
        assert_eq!(code, Some(1), "{command}: {out}");
        assert!(out.contains("unknown contact `li-wie`"), "{command}: {out}");
        assert!(
            out.contains("--> content/briefings/registry.en.md:4:12"),
            "{command}: {out}"
        );
        assert!(out.contains("did you mean `li-wei`?"), "{command}: {out}");
    }

    let site = site_with_registry("5979 96OO");
    for (command, code, out) in build_and_check(site.path()) {
        assert_eq!(code, Some(1), "{command}: {out}");
        assert!(
            out.contains(
                "the contact `li-wei` has an invalid phone: `5979 96OO`: it has the letter `O`"
            ),
            "{command}: {out}"
        );
        assert!(out.contains("--> site.yaml:"), "{command}: {out}");
    }
}
