//! vCards (RFC 6350) for the contacts of notes: one file per distinct card and language,
//! `en/contacts/helena-marsh.vcf`, that every note naming the contact links to.

use std::collections::HashMap;
use std::sync::Arc;

use crate::config::Config;
use crate::contact::Contact;
use crate::content::Note;

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
    if let Some(phone) = &contact.phone {
        lines.push(format!("TEL;VALUE=uri;TYPE=work,voice:{}", phone.tel));
    }
    lines.push("END:VCARD".to_string());
    let mut out = String::new();
    for line in &lines {
        fold(line, &mut out);
    }
    out
}

/// One vCard file of the site.
#[derive(Debug, Clone)]
pub struct Card {
    /// Path under the output folder: `en/contacts/helena-marsh.vcf`.
    pub path: String,
    /// The file's content.
    pub text: String,
    /// The first published note naming the contact, to name in messages…
    pub note: usize,
    /// …and the contact's place among that note's contacts.
    pub contact: usize,
}

/// The distinct vCards of the published notes. A card is the same file wherever its text is
/// the same: same language, name, role, organisation, email and telephone number.
#[derive(Debug, Clone, Default)]
pub struct Cards {
    /// In the order the notes first name them.
    pub cards: Vec<Card>,
    /// Per note, per contact: its card (empty for notes not published).
    of_note: Vec<Vec<usize>>,
}

impl Cards {
    /// The cards of the notes that are published.
    pub fn new(config: &Config, notes: &[Arc<Note>], published: impl Fn(usize) -> bool) -> Cards {
        type Fields<'a> = (
            &'a str,
            &'a str,
            Option<&'a str>,
            Option<&'a str>,
            Option<&'a str>,
            Option<&'a str>,
        );
        // The same fields give the same text: most contacts repeat, and are looked up by fields.
        let mut by_fields: HashMap<Fields, usize> = HashMap::new();
        let mut by_text: HashMap<(&str, String), usize> = HashMap::new();
        let mut cards: Vec<(String, Card)> = Vec::new();
        let mut of_note = Vec::with_capacity(notes.len());
        for (i, note) in notes.iter().enumerate() {
            if !published(i) {
                of_note.push(Vec::new());
                continue;
            }
            let mut mine = Vec::with_capacity(note.contacts.len());
            for (k, c) in note.contacts.iter().enumerate() {
                let fields = (
                    note.lang.as_str(),
                    c.name.as_str(),
                    c.role.as_deref(),
                    c.organisation.as_deref(),
                    c.email.as_deref(),
                    c.phone.as_ref().map(|p| p.tel.as_str()),
                );
                let n = *by_fields.entry(fields).or_insert_with(|| {
                    let text = vcard(c, config.html_lang(&note.lang));
                    *by_text
                        .entry((note.lang.as_str(), text.clone()))
                        .or_insert_with(|| {
                            cards.push((
                                note.lang.clone(),
                                Card {
                                    path: String::new(),
                                    text,
                                    note: i,
                                    contact: k,
                                },
                            ));
                            cards.len() - 1
                        })
                });
                mine.push(n);
            }
            of_note.push(mine);
        }
        // Named after the person; two different cards of one name in a language both get a
        // suffix from their text, so that neither name depends on the order of the notes.
        let stems: Vec<String> = cards
            .iter()
            .map(|(_, card)| stem(&notes[card.note].contacts[card.contact].name, &card.text))
            .collect();
        let mut shared: HashMap<(&str, &str), usize> = HashMap::new();
        for ((lang, _), stem) in cards.iter().zip(&stems) {
            *shared.entry((lang.as_str(), stem.as_str())).or_default() += 1;
        }
        let named: Vec<String> = cards
            .iter()
            .zip(&stems)
            .map(|((lang, card), stem)| {
                let name = if shared[&(lang.as_str(), stem.as_str())] > 1 {
                    format!("{stem}-{}.vcf", short_hash(&card.text))
                } else {
                    format!("{stem}.vcf")
                };
                crate::urls::vcard(lang, &name)
            })
            .collect();
        Cards {
            cards: cards
                .into_iter()
                .zip(named)
                .map(|((_, card), path)| Card { path, ..card })
                .collect(),
            of_note,
        }
    }

    /// The cards of a note's contacts, in order (none for a note not published).
    pub fn of(&self, note: usize) -> &[usize] {
        self.of_note.get(note).map_or(&[], Vec::as_slice)
    }
}

/// The readable part of a card's file name: the person's name as a URL segment
/// (`Helena Marsh` → `helena-marsh`, `马海伦` → `马海伦`), or `contact` and the card's hash
/// when that would not be a file name every system accepts.
fn stem(name: &str, card: &str) -> String {
    const MAX_CHARS: usize = 60;
    let out: String = crate::markdown::url_form(name)
        .chars()
        .take(MAX_CHARS)
        .collect();
    let out = out.trim_end_matches('-');
    if out.is_empty() {
        format!("contact-{}", short_hash(card))
    } else if crate::safety::portable_name_problem(&format!("{out}.vcf")).is_some() {
        // `con.vcf`, `nul.vcf`: names Windows keeps for devices.
        format!("{out}-{}", short_hash(card))
    } else {
        out.to_string()
    }
}

/// Eight hex digits from a card's text (FNV-1a, the same on every machine and every build).
fn short_hash(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{:08x}", (h ^ (h >> 32)) as u32)
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
            phone: Some(crate::contact::phone("+86 10 5979 1234", None).unwrap().0),
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

    #[test]
    fn file_names_are_readable_and_portable() {
        assert_eq!(stem("Helena Marsh", "x"), "helena-marsh");
        assert_eq!(stem("Marsh, Helena; Dr.", "x"), "marsh-helena-dr");
        assert_eq!(stem("海伦娜·马什", "x"), "海伦娜-马什");
        // The hash is FNV-1a, folded: the same on every machine, so the same at every build.
        assert_eq!(short_hash(""), "4fd0bfc1");
        assert_eq!(stem("—", ""), "contact-4fd0bfc1");
        assert_eq!(stem("Con", ""), "con-4fd0bfc1");
        assert_eq!(stem("COM1", ""), "com1-4fd0bfc1");
        let long = stem(&"Ab".repeat(200), "x");
        assert_eq!(long.chars().count(), 60);
        assert!(crate::safety::portable_name_problem(&format!("{long}.vcf")).is_none());
    }
}
