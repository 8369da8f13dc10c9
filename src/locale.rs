//! What briefing knows of each language a site is written in, in one table: how dates and
//! date ranges are written, month names, how lists are joined, the new-note template, and
//! the search stemmer. A language is looked up by its code's first part (`zh` for `zh-hant`).
//!
//! A new language is one entry of [`LOCALES`]. A site language the table does not know, or
//! knows only in part, still builds: it falls back to ISO dates (`2015-10-16`), the English
//! new-note template and no word stems in search, and `check` and `build` warn, naming what
//! falls back.

use jiff::civil::Date;
use rust_stemmers::Algorithm;

/// One language of the table.
pub struct Locale {
    /// The language codes it is for (a site's code or its first part): `en`; `no`, `nb`.
    pub codes: &'static [&'static str],
    /// Its name in English, for messages.
    pub name: &'static str,
    /// How dates are written, when the table knows; else ISO dates.
    pub dates: Option<&'static Dates>,
    /// How the theme's `list` filter joins items when the theme's interface strings do not
    /// say (`list_separator`, `list_last_separator`).
    pub list: (&'static str, &'static str),
    /// The words of a new note (`briefing new`), when the table has them; else English.
    pub new_note: Option<&'static NewNote>,
    /// The Snowball stemmer its search index groups words by, if there is one.
    pub stemmer: Option<Algorithm>,
    /// The name of the stemmer the search page applies to queries (`meta.json`'s
    /// `query_stemmer`): only English, the one `search.js` carries.
    pub query_stemmer: Option<&'static str>,
}

/// How a language writes dates and date ranges. In patterns, `{d}`, `{m}` and `{y}` are the
/// day, month and year numbers, `{month}` the month's name; in ranges, `{d1}`, `{month1}`, …
/// are those of the first day, `{d2}`, `{m2}`, `{month2}`, `{y2}` those of the last, and
/// `{date1}`, `{date2}` both days written whole.
pub struct Dates {
    pub months: [&'static str; 12],
    /// The first day of a month, when it is written otherwise than `1` (French `1er`).
    pub first_day: Option<&'static str>,
    pub date: &'static str,
    pub same_month: &'static str,
    pub same_year: &'static str,
    pub years_apart: &'static str,
}

/// The words a new note starts with, in its language.
pub struct NewNote {
    pub title: &'static str,
    pub subtitle: &'static str,
    pub dateline: &'static str,
    /// The example contact's name: `check --strict` refuses a note that still carries it.
    pub name: &'static str,
    pub role: &'static str,
    pub place: &'static str,
    pub body: &'static str,
}

/// The languages briefing knows, and what it knows of each.
pub const LOCALES: &[Locale] = &[
    Locale {
        codes: &["en"],
        name: "English",
        dates: Some(&Dates {
            months: [
                "January",
                "February",
                "March",
                "April",
                "May",
                "June",
                "July",
                "August",
                "September",
                "October",
                "November",
                "December",
            ],
            first_day: None,
            date: "{d} {month} {y}",
            same_month: "{d1}–{d2} {month2} {y2}",
            same_year: "{d1} {month1} – {d2} {month2} {y2}",
            years_apart: "{date1} – {date2}",
        }),
        list: (", ", " and "),
        new_note: Some(&NewNote {
            title: "Headline of the briefing",
            subtitle: "One sentence under the headline",
            dateline: "Beijing",
            name: "Name Surname",
            role: "Communications Officer",
            place: "Beijing",
            body: "BEIJING – Write the first paragraph here: who, what, when and where.\n\nThe rest of the text.\n",
        }),
        stemmer: Some(Algorithm::English),
        query_stemmer: Some("english"),
    },
    Locale {
        codes: &["zh"],
        name: "Chinese",
        dates: Some(&Dates {
            months: [
                "1月", "2月", "3月", "4月", "5月", "6月", "7月", "8月", "9月", "10月", "11月",
                "12月",
            ],
            first_day: None,
            date: "{y}年{m}月{d}日",
            same_month: "{date1}至{d2}日",
            same_year: "{date1}至{m2}月{d2}日",
            years_apart: "{date1}至{date2}",
        }),
        list: ("、", "、"),
        new_note: Some(&NewNote {
            title: "简报标题",
            subtitle: "标题下的一句话导语",
            dateline: "北京",
            name: "姓名",
            role: "传播官员",
            place: "北京",
            body: "北京——在此撰写第一段：何人、何事、何时、何地。\n\n正文的其余部分。\n",
        }),
        // Chinese is indexed by characters and pairs of them: it has no stems.
        stemmer: None,
        query_stemmer: None,
    },
    Locale {
        codes: &["fr"],
        name: "French",
        dates: Some(&Dates {
            months: [
                "janvier",
                "février",
                "mars",
                "avril",
                "mai",
                "juin",
                "juillet",
                "août",
                "septembre",
                "octobre",
                "novembre",
                "décembre",
            ],
            first_day: Some("1er"),
            date: "{d} {month} {y}",
            same_month: "du {d1} au {d2} {month2} {y2}",
            same_year: "du {d1} {month1} au {d2} {month2} {y2}",
            years_apart: "du {date1} au {date2}",
        }),
        list: (", ", " et "),
        new_note: Some(&NewNote {
            title: "Titre de la note",
            subtitle: "Une phrase sous le titre",
            dateline: "Pékin",
            name: "Prénom Nom",
            role: "Chargé de communication",
            place: "Pékin",
            body: "PÉKIN – Écrivez ici le premier paragraphe : qui, quoi, quand et où.\n\nLa suite du texte.\n",
        }),
        stemmer: Some(Algorithm::French),
        query_stemmer: None,
    },
    stems_only(&["ar"], "Arabic", Algorithm::Arabic),
    stems_only(&["da"], "Danish", Algorithm::Danish),
    stems_only(&["de"], "German", Algorithm::German),
    stems_only(&["el"], "Greek", Algorithm::Greek),
    stems_only(&["es"], "Spanish", Algorithm::Spanish),
    stems_only(&["fi"], "Finnish", Algorithm::Finnish),
    stems_only(&["hu"], "Hungarian", Algorithm::Hungarian),
    stems_only(&["it"], "Italian", Algorithm::Italian),
    stems_only(&["nl"], "Dutch", Algorithm::Dutch),
    stems_only(&["no", "nb"], "Norwegian", Algorithm::Norwegian),
    stems_only(&["pt"], "Portuguese", Algorithm::Portuguese),
    stems_only(&["ro"], "Romanian", Algorithm::Romanian),
    stems_only(&["ru"], "Russian", Algorithm::Russian),
    stems_only(&["sv"], "Swedish", Algorithm::Swedish),
    stems_only(&["ta"], "Tamil", Algorithm::Tamil),
    stems_only(&["tr"], "Turkish", Algorithm::Turkish),
];

/// A language whose search stemmer is known, and nothing else yet.
const fn stems_only(
    codes: &'static [&'static str],
    name: &'static str,
    stemmer: Algorithm,
) -> Locale {
    Locale {
        codes,
        name,
        dates: None,
        list: (", ", ", "),
        new_note: None,
        stemmer: Some(stemmer),
        query_stemmer: None,
    }
}

/// What a language the table does not know falls back to.
const UNKNOWN: Locale = Locale {
    codes: &[],
    name: "",
    dates: None,
    list: (", ", ", "),
    new_note: None,
    stemmer: None,
    query_stemmer: None,
};

/// The entry of a language code (`en`, `zh-hant`, `pt_BR`), or the fallback.
pub fn of(code: &str) -> &'static Locale {
    let first = code.split(['-', '_']).next().unwrap_or(code);
    LOCALES
        .iter()
        .find(|l| l.codes.iter().any(|c| c.eq_ignore_ascii_case(first)))
        .unwrap_or(&UNKNOWN)
}

/// Nothing when the table knows `code` fully; else a sentence saying what falls back:
/// `briefing knows German (de) only in part: dates are written 2015-10-16, …`.
pub fn fallbacks(code: &str) -> Option<String> {
    let l = of(code);
    let mut missing = Vec::new();
    if l.dates.is_none() {
        missing.push("dates are written 2015-10-16");
    }
    if l.new_note.is_none() {
        missing.push("new notes start from the English template");
    }
    if l.stemmer.is_none() && l.codes.is_empty() {
        missing.push("search finds words only as they are written (no stemming)");
    }
    if missing.is_empty() {
        return None;
    }
    let known = if l.codes.is_empty() {
        format!("briefing does not know the language `{code}`")
    } else {
        format!("briefing knows {} (`{code}`) only in part", l.name)
    };
    Some(format!("{known}: {}", missing.join(", ")))
}

/// The example contacts' names of every new-note template.
pub fn placeholder_names() -> impl Iterator<Item = &'static str> {
    LOCALES.iter().filter_map(|l| l.new_note.map(|n| n.name))
}

/// The new-note words of `code`, English where the table has none.
pub fn new_note(code: &str) -> &'static NewNote {
    of(code)
        .new_note
        .or(LOCALES[0].new_note)
        .expect("the first entry of the table is complete")
}

/// `pattern` with each `{name}` of `values` filled in, in one pass (dates are written on
/// every listing of every note).
fn fill(pattern: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after.find('}').and_then(|close| {
            let name = &after[..close];
            values
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v, close))
        });
        match value {
            Some((v, close)) => {
                out.push_str(v);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

impl Dates {
    fn day(&self, d: Date) -> String {
        match (d.day(), self.first_day) {
            (1, Some(first)) => first.to_string(),
            (n, _) => n.to_string(),
        }
    }

    fn month(&self, d: Date) -> &'static str {
        self.months[(d.month() - 1) as usize]
    }

    fn date(&self, d: Date) -> String {
        fill(
            self.date,
            &[
                ("d", &self.day(d)),
                ("m", &d.month().to_string()),
                ("month", self.month(d)),
                ("y", &d.year().to_string()),
            ],
        )
    }

    fn range(&self, a: Date, b: Date) -> String {
        let pattern = if a.year() != b.year() {
            self.years_apart
        } else if a.month() != b.month() {
            self.same_year
        } else {
            self.same_month
        };
        fill(
            pattern,
            &[
                ("date1", &self.date(a)),
                ("date2", &self.date(b)),
                ("d1", &self.day(a)),
                ("d2", &self.day(b)),
                ("m1", &a.month().to_string()),
                ("m2", &b.month().to_string()),
                ("month1", self.month(a)),
                ("month2", self.month(b)),
                ("y1", &a.year().to_string()),
                ("y2", &b.year().to_string()),
            ],
        )
    }
}

/// "16 October 2015", "2015年10月16日", "1er octobre 2015", or ISO for a language the table
/// has no dates for.
pub fn format_date(d: Date, code: &str) -> String {
    match of(code).dates {
        Some(dates) => dates.date(d),
        None => d.to_string(),
    }
}

/// "19–28 October 2015", "28 September – 3 October 2015", "2015年10月19日至28日",
/// "du 19 au 28 octobre 2015"; the days in either order.
pub fn format_range(start: Date, end: Date, code: &str) -> String {
    if start == end {
        return format_date(start, code);
    }
    let (a, b) = if end < start {
        (end, start)
    } else {
        (start, end)
    };
    match of(code).dates {
        Some(dates) => dates.range(a, b),
        None => format!("{a} – {b}"),
    }
}

/// The English name of a month (1 to 12), for messages.
pub fn english_month(month: i8) -> &'static str {
    let dates = LOCALES[0].dates.expect("English has dates");
    dates.months[(month - 1) as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn each_language_writes_dates_its_own_way() {
        assert_eq!(format_date(d("2015-10-16"), "en"), "16 October 2015");
        assert_eq!(format_date(d("2015-10-16"), "zh-hans"), "2015年10月16日");
        assert_eq!(format_date(d("2015-10-01"), "fr"), "1er octobre 2015");
        assert_eq!(format_date(d("2015-10-16"), "de"), "2015-10-16");
        assert_eq!(
            format_range(d("2015-10-01"), d("2015-10-03"), "fr"),
            "du 1er au 3 octobre 2015"
        );
        assert_eq!(
            format_range(d("2015-12-28"), d("2016-01-02"), "fr"),
            "du 28 décembre 2015 au 2 janvier 2016"
        );
        assert_eq!(
            format_range(d("2015-10-19"), d("2015-10-28"), "xx"),
            "2015-10-19 – 2015-10-28"
        );
    }

    #[test]
    fn ranges_in_english_and_chinese() {
        let cases = [
            (
                "2015-10-19",
                "2015-10-28",
                "19–28 October 2015",
                "2015年10月19日至28日",
            ),
            (
                "2015-09-28",
                "2015-10-03",
                "28 September – 3 October 2015",
                "2015年9月28日至10月3日",
            ),
            (
                "2015-12-28",
                "2016-01-03",
                "28 December 2015 – 3 January 2016",
                "2015年12月28日至2016年1月3日",
            ),
            (
                "2015-10-16",
                "2015-10-16",
                "16 October 2015",
                "2015年10月16日",
            ),
        ];
        for (a, b, en, zh) in cases {
            assert_eq!(format_range(d(a), d(b), "en"), en);
            assert_eq!(format_range(d(a), d(b), "zh"), zh);
            // Either order.
            assert_eq!(format_range(d(b), d(a), "en"), en);
        }
    }

    #[test]
    fn what_falls_back_is_named() {
        assert_eq!(fallbacks("en"), None);
        assert_eq!(fallbacks("fr-CA"), None);
        let german = fallbacks("de").unwrap();
        assert!(
            german.starts_with(
                "briefing knows German (`de`) only in part: dates are written 2015-10-16"
            ) && !german.contains("stemming"),
            "{german}"
        );
        let unknown = fallbacks("xx").unwrap();
        assert!(
            unknown.starts_with("briefing does not know the language `xx`")
                && unknown.contains("no stemming"),
            "{unknown}"
        );
        assert_eq!(new_note("xx").name, "Name Surname");
        assert!(placeholder_names().any(|n| n == "Prénom Nom"));
    }
}
