//! How a contact is reached: telephone numbers, checked and written in international form by
//! the phonenumber crate (a port of Google's libphonenumber), and email addresses. A number or
//! address that cannot be right is refused with what is wrong and an example, never published
//! as it was typed.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use phonenumber::Mode;
use phonenumber::country::Id;

/// A telephone number as pages show it and phones dial it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Phone {
    /// International form: `+86 10 5979 9612 ext. 12`.
    pub shown: String,
    /// A `tel:` URI: `tel:+861059799612;ext=12`.
    pub tel: String,
}

/// A contact of the "For further information please contact" block.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Contact {
    pub name: String,
    pub role: Option<String>,
    pub organisation: Option<String>,
    /// The address, without a `mailto:` written in front.
    pub email: Option<String>,
    /// In international form, with its `tel:` URI.
    pub phone: Option<Phone>,
}

/// The number that a new note starts with (its names are in the locale table).
pub const PLACEHOLDER_PHONE: &str = "+86 10 0000 0000";
const PLACEHOLDER_TEL: &str = "tel:+861000000000";

/// Whether a contact (its name and `tel:` URI) is still the example of a new note, which
/// `check --strict` must not let through.
pub fn is_placeholder(name: &str, tel: Option<&str>) -> bool {
    crate::locale::placeholder_names().any(|n| n == name.trim()) || tel == Some(PLACEHOLDER_TEL)
}

/// What is wrong with a number or an address, and what to write instead.
pub type Problem = (String, String);

/// The example every message about a number gives.
const EXAMPLE: &str = "+86 10 5979 9695";

/// The spellings of numbers remembered at most: far more than a site of 10,000 notes has.
const MEMO_LIMIT: usize = 4096;

/// Reads a telephone number as a press officer types it: spaces, hyphens, brackets and dots
/// between digits, full-width digits, and an extension (`ext. 12`, `x12`). A number without
/// `+` is read in `region` (site.yaml's `phone_region`). The error says what is wrong.
pub fn phone(text: &str, region: Option<Id>) -> Result<Checked, Problem> {
    let key = (text.to_string(), region);
    if let Some(known) = memo()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .read
        .get(&key)
    {
        return known.clone();
    }
    let checked = read_phone(text, region);
    let mut memo = memo().lock().unwrap_or_else(|e| e.into_inner());
    // `serve` and `deploy --watch` read numbers for as long as they run, and each typo
    // typed on the way is a spelling: the memo starts again rather than grow without end.
    if memo.read.len() >= MEMO_LIMIT {
        memo.read.clear();
    }
    memo.read.insert(key, checked.clone());
    memo.learned = true;
    checked
}

/// A spelling of a number in a region, and what reading it gave.
pub type Known = ((String, Option<Id>), Result<Checked, Problem>);

/// Contacts repeat from note to note and from build to build: each spelling is read once.
/// (Reading the first number loads the numbering plans of every country, which takes longer
/// than reading a site's notes again.)
#[derive(Default)]
struct Memo {
    read: HashMap<(String, Option<Id>), Result<Checked, Problem>>,
    /// A spelling was read since [`recall`] or [`learned`].
    learned: bool,
}

fn memo() -> &'static Mutex<Memo> {
    static MEMO: OnceLock<Mutex<Memo>> = OnceLock::new();
    MEMO.get_or_init(Default::default)
}

/// Loads the numbering plans on a thread of their own unless numbers were read before (the
/// memo holds them), once a run: `serve` walks content/ at each save. Called as content/ is
/// walked, on one core: the first number read would wait for them otherwise, and every
/// thread reading a number behind it.
pub fn warm_up() {
    static WARM: std::sync::Once = std::sync::Once::new();
    if memo()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .read
        .is_empty()
    {
        WARM.call_once(|| {
            std::thread::spawn(|| phonenumber::parse(None, EXAMPLE).is_ok());
        });
    }
}

/// Takes what an earlier run of the same program read (kept by the build in its state
/// folder) as read.
pub fn recall(known: Vec<Known>) {
    let mut memo = memo().lock().unwrap_or_else(|e| e.into_inner());
    let room = MEMO_LIMIT.saturating_sub(memo.read.len());
    memo.read.extend(known.into_iter().take(room));
}

/// Every spelling read so far, if one was read since the last call (or [`recall`]).
pub fn learned() -> Option<Vec<Known>> {
    let mut memo = memo().lock().unwrap_or_else(|e| e.into_inner());
    std::mem::take(&mut memo.learned).then(|| {
        memo.read
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    })
}

/// A number read, and a doubt about it: a number whose form is right but that the
/// numbering plan of its country does not have (as far as libphonenumber's data knows).
pub type Checked = (Phone, Option<String>);

fn read_phone(text: &str, region: Option<Id>) -> Result<Checked, Problem> {
    let text = text.trim();
    let main = main_part(text);
    let problem = |what: String, fix: String| Err((what, fix));
    if let Some(c) = main.chars().find(|c| !allowed(*c)) {
        return if c.is_alphabetic() {
            problem(
                format!("it has the letter `{c}` where a digit should be"),
                format!("write every digit as a digit (0, not O; 1, not l), e.g. {EXAMPLE}"),
            )
        } else if "“”‘’「」『』\"'".contains(c) {
            problem(
                format!("it has the quotation mark `{c}` in it"),
                format!(
                    "write the number alone between straight quotes, e.g. phone: \"{EXAMPLE}\""
                ),
            )
        } else {
            problem(
                format!("it has the character `{c}` in it"),
                format!("write only digits, spaces, hyphens and brackets, e.g. {EXAMPLE}"),
            )
        };
    }
    let digits = main.chars().filter(|c| c.is_numeric()).count();
    if digits < 6 {
        return problem(
            format!("it has only {digits} digits"),
            format!("write the whole number with its country code, e.g. {EXAMPLE}"),
        );
    }
    let international = main.trim_start().starts_with(['+', '＋']);
    if !international && region.is_none() {
        return problem(
            "it has no country code".into(),
            format!(
                "write it in international form, starting with + and the country code (e.g. {EXAMPLE}), or set `phone_region` in site.yaml (e.g. phone_region: CN) to read numbers without one"
            ),
        );
    }
    let Ok(number) = phonenumber::parse(region, text) else {
        return problem(
            "it is not a telephone number".into(),
            format!("write it with its country code, e.g. {EXAMPLE}"),
        );
    };
    let national = number.national().to_string().len();
    if !(4..=15).contains(&national) {
        return problem(
            format!("it has {national} digits after its country code"),
            format!("check the digits and the country code, e.g. {EXAMPLE}"),
        );
    }
    // Numbering plans change faster than anyone's copy of them: a number the data does not
    // know is published, with a warning.
    let doubt = (!phonenumber::is_valid(&number)).then(|| {
        "is not in use in its country, as far as the numbering plans this program knows say"
            .to_string()
    });
    let e164 = number.format().mode(Mode::E164).to_string();
    let tel = match number.extension() {
        Some(ext) => format!("tel:{e164};ext={}", &**ext),
        None => format!("tel:{e164}"),
    };
    let phone = Phone {
        shown: number.format().mode(Mode::International).to_string(),
        tel,
    };
    Ok((phone, doubt))
}

/// The number without its extension (`ext. 12`, `extension 12`, `x12`, `#12`): the part that
/// must be digits.
fn main_part(text: &str) -> &str {
    for marker in ["extension", "ext", "x", "#"] {
        let found = text.char_indices().map(|(i, _)| i).find(|&i| {
            text[i..]
                .get(..marker.len())
                .is_some_and(|s| s.eq_ignore_ascii_case(marker))
        });
        if let Some(at) = found {
            let rest = text[at + marker.len()..].trim_start_matches(['.', ':', ' ']);
            if !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit()) {
                return &text[..at];
            }
        }
    }
    text
}

/// What may stand between the digits of a number.
fn allowed(c: char) -> bool {
    c.is_numeric() || " \u{a0}\u{3000}+＋-‐–().（）/".contains(c)
}

/// Reads an email address: `mailto:` in front is dropped; an address that cannot be one is
/// an error saying what is wrong with it.
pub fn email(text: &str) -> Result<String, Problem> {
    let text = text.trim();
    let address = text
        .strip_prefix("mailto:")
        .or_else(|| text.strip_prefix("MAILTO:"))
        .unwrap_or(text);
    let problem = |what: String, fix: &str| Err((what, format!("{fix}, e.g. press@example.org")));
    if address.contains('＠') {
        return problem(
            "it has a full-width ＠".into(),
            "type the @ with the keyboard in English mode",
        );
    }
    if let Some(c) = address
        .chars()
        .find(|c| c.is_whitespace() || ",;<>()[]\\\"".contains(*c) || !c.is_ascii())
    {
        let what = if c.is_whitespace() {
            "a space".to_string()
        } else {
            format!("`{c}`")
        };
        return problem(format!("it has {what} in it"), "write the address alone");
    }
    let Some((local, domain)) = address.rsplit_once('@') else {
        return problem("it has no @".into(), "write the whole address");
    };
    if local.is_empty() || local.contains('@') {
        return problem(
            "it needs one name before a single @".into(),
            "write the whole address",
        );
    }
    if !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
        || domain.contains("..")
    {
        return problem(
            format!("its domain `{domain}` has no dot between its parts"),
            "write the whole domain",
        );
    }
    Ok(address.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_in_international_form() {
        let p = phone("+86 010 59799695", None).unwrap().0;
        assert_eq!(p.shown, "+86 10 5979 9695");
        assert_eq!(p.tel, "tel:+861059799695");
        let p = phone("+86 10 5979 9612 ext. 12", None).unwrap().0;
        assert_eq!(p.shown, "+86 10 5979 9612 ext. 12");
        assert_eq!(p.tel, "tel:+861059799612;ext=12");
        let p = phone("(010) 5979-9695", Some(Id::CN)).unwrap().0;
        assert!(phone("(010) 5979-9695", Some(Id::CN)).unwrap().1.is_none());
        let (p2, doubt) = phone("+86 142 7203 8580", None).unwrap();
        assert_eq!(p2.tel, "tel:+8614272038580");
        assert!(doubt.is_some());
        assert_eq!(p.tel, "tel:+861059799695");
    }

    #[test]
    fn numbers_that_cannot_be_right_say_why() {
        let why = |t: &str| phone(t, None).unwrap_err().0;
        assert!(why("+86 10 5979 96OO ext. 12").contains("the letter `O`"));
        assert!(why("“+86 10 5979 9695”").contains("quotation mark `“`"));
        assert!(why("5979").contains("only 4 digits"));
        assert!(why("010 5979 9695").contains("no country code"));
    }

    #[test]
    fn emails() {
        assert_eq!(
            email("mailto:press@example.org").unwrap(),
            "press@example.org"
        );
        let why = |t: &str| email(t).unwrap_err().0;
        assert!(why("press＠example.org").contains("full-width ＠"));
        assert!(why("press@example").contains("no dot"));
        assert!(why("not-an-email").contains("no @"));
        assert!(why("a b@example.org").contains("a space"));
    }
}
