//! vCards (RFC 6350) for the contacts of a note.

use crate::content::Contact;

/// Escapes a text value (RFC 6350 §3.4): backslash, comma, semicolon and line breaks.
fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ',' => out.push_str("\\,"),
            ';' => out.push_str("\\;"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line at 75 octets (RFC 6350 §3.2), never inside a UTF-8 character.
fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
}

/// The vCard 4.0 of a contact, with CRLF line endings.
pub fn vcard(contact: &Contact, language: &str) -> String {
    let mut lines = vec![
        "BEGIN:VCARD".to_string(),
        "VERSION:4.0".to_string(),
        "KIND:individual".to_string(),
        format!("FN;LANGUAGE={language}:{}", text(&contact.name)),
    ];
    if let Some(role) = &contact.role {
        lines.push(format!("TITLE;LANGUAGE={language}:{}", text(role)));
    }
    if let Some(org) = &contact.organisation {
        lines.push(format!("ORG;LANGUAGE={language}:{}", text(org)));
    }
    if let Some(email) = &contact.email {
        lines.push(format!("EMAIL:{}", text(email.trim())));
    }
    if let Some(tel) = contact.tel() {
        lines.push(format!("TEL;VALUE=uri;TYPE=work,voice:{tel}"));
    }
    lines.push("END:VCARD".to_string());
    let mut out = String::new();
    for line in &lines {
        fold(line, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_folds() {
        let c = Contact {
            name: "Marsh, Helena; Dr.".into(),
            role: Some("Head of Office\\Press".into()),
            organisation: Some(
                "国际移民组织驻华联络处国际移民组织驻华联络处国际移民组织驻华联络处".into(),
            ),
            email: Some("h.marsh@example.org".into()),
            phone: Some("+86 10 5979 1234".into()),
        };
        let card = vcard(&c, "en");
        assert!(
            card.contains("FN;LANGUAGE=en:Marsh\\, Helena\\; Dr.\r\n"),
            "{card}"
        );
        assert!(card.contains("TITLE;LANGUAGE=en:Head of Office\\\\Press\r\n"));
        assert!(card.contains("TEL;VALUE=uri;TYPE=work,voice:tel:+861059791234\r\n"));
        for line in card.split("\r\n") {
            assert!(line.len() <= 75, "{line:?} is {} octets", line.len());
        }
        assert!(card.ends_with("END:VCARD\r\n"));
    }
}
