//! Dates and datetimes of front matter, and their display in each language.

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ZonedDateTime as Zoned};

const EN_MONTHS: [&str; 12] = [
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
];

/// A moment from front matter: a date, or a datetime with or without an offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct When {
    /// The moment, for ordering and embargoes.
    pub timestamp: Timestamp,
    /// The calendar date shown to readers (in the site time zone when there is one).
    pub date: Date,
    /// RFC 3339 with offset, for machines (`datetime` attributes, feeds).
    pub rfc3339: String,
}

/// The years a date of a note may fall in: a year outside them is a typing mistake (`0215`).
const YEARS: std::ops::RangeInclusive<i16> = 1900..=2200;

/// A moment as messages show it, in the site time zone (UTC without one):
/// `2026-12-02 09:00 +08:00`.
pub fn local(ts: Timestamp, tz: Option<&TimeZone>) -> String {
    ts.to_zoned_datetime(tz.cloned().unwrap_or(TimeZone::UTC))
        .strftime("%Y-%m-%d %H:%M %:z")
        .to_string()
}

/// Parses `YYYY-MM-DD` or an RFC 3339 datetime; one without an offset is in `tz`.
/// The error says what to write instead.
pub fn parse_when(text: &str, tz: Option<&TimeZone>) -> Result<When, String> {
    let w = parse_any_when(text, tz)?;
    if !YEARS.contains(&w.date.year()) {
        return Err(format!(
            "the year {} is not a year of a briefing: check it (years from {} to {} are accepted)",
            w.date.year(),
            YEARS.start(),
            YEARS.end()
        ));
    }
    Ok(w)
}

fn parse_any_when(text: &str, tz: Option<&TimeZone>) -> Result<When, String> {
    let text = text.trim();
    let shape =
        "write a date as YYYY-MM-DD (2015-10-16) or a date and time as 2015-10-16T09:00:00+08:00";
    // A date of the right shape that no calendar has says why: `October has 31 days`.
    if let Some(why) = impossible(text) {
        return Err(format!("`{text}` is not a date: {why}"));
    }
    if text.len() == 10 {
        let date: Date = text
            .parse()
            .map_err(|_| format!("`{text}` is not a valid date: {shape}"))?;
        let zone = tz.cloned().unwrap_or(TimeZone::UTC);
        let zoned = date
            .to_zoned_datetime(zone)
            .map_err(|e| format!("`{text}` cannot be placed in the site time zone: {e}"))?;
        return Ok(when(&zoned));
    }
    let has_offset = {
        let time = text.get(10..).unwrap_or("");
        time.ends_with('Z') || time.ends_with('z') || time.contains('+') || time.contains('-')
    };
    if has_offset {
        let ts: Timestamp = text
            .parse()
            .map_err(|_| format!("`{text}` is not a valid date and time: {shape}"))?;
        return Ok(match tz {
            Some(tz) => when(&ts.to_zoned_datetime(tz.clone())),
            None => {
                // No site time zone: show the calendar date the author wrote.
                let mut w = when(&ts.to_zoned_datetime(TimeZone::UTC));
                w.date = date_of(text).unwrap_or(w.date);
                w
            }
        });
    }
    let dt: DateTime = text
        .parse()
        .map_err(|_| format!("`{text}` is not a valid date and time: {shape}"))?;
    let tz = tz.ok_or_else(|| {
        format!(
            "`{text}` has no time zone offset and site.yaml sets no timezone: add an offset (2015-10-16T09:00:00+08:00) or set `timezone:` in site.yaml"
        )
    })?;
    let zoned = dt
        .to_zoned_datetime(tz.clone())
        .map_err(|e| format!("`{text}` cannot be placed in the site time zone: {e}"))?;
    Ok(when(&zoned))
}

/// Why `YYYY-MM-DD…` names no day: a month past 12, or a day past the month's end.
fn impossible(text: &str) -> Option<String> {
    let number = |range: std::ops::Range<usize>| -> Option<i16> {
        let part = text.get(range)?;
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    if text.get(4..5) != Some("-") || text.get(7..8) != Some("-") {
        return None;
    }
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    if !(1..=12).contains(&month) {
        return Some(format!(
            "there is no month {month:02}: months go from 01 to 12"
        ));
    }
    let first = Date::new(year, month as i8, 1).ok()?;
    let days = first.days_in_month();
    if day < 1 || day > i16::from(days) {
        let name = EN_MONTHS[month as usize - 1];
        // February's length depends on the year; the other months' do not.
        return Some(if month == 2 {
            format!("February {year} has {days} days")
        } else {
            format!("{name} has {days} days")
        });
    }
    None
}

fn when(zoned: &Zoned) -> When {
    When {
        timestamp: zoned.timestamp(),
        date: zoned.date(),
        rfc3339: zoned.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(),
    }
}

fn is_zh(lang: &str) -> bool {
    lang == "zh" || lang.starts_with("zh-")
}

fn is_en(lang: &str) -> bool {
    lang == "en" || lang.starts_with("en-")
}

/// "16 October 2015", "2015年10月16日", or ISO for other languages.
pub fn format_date(d: Date, lang: &str) -> String {
    if is_zh(lang) {
        format!("{}年{}月{}日", d.year(), d.month(), d.day())
    } else if is_en(lang) {
        format!("{} {} {}", d.day(), month(d), d.year())
    } else {
        d.to_string()
    }
}

fn month(d: Date) -> &'static str {
    EN_MONTHS[(d.month() - 1) as usize]
}

/// "19–28 October 2015", "28 September – 3 October 2015", "2015年10月19日至28日".
pub fn format_range(start: Date, end: Date, lang: &str) -> String {
    if start == end {
        return format_date(start, lang);
    }
    let (a, b) = if end < start {
        (end, start)
    } else {
        (start, end)
    };
    let same_year = a.year() == b.year();
    let same_month = same_year && a.month() == b.month();
    if is_zh(lang) {
        let tail = if same_month {
            format!("{}日", b.day())
        } else if same_year {
            format!("{}月{}日", b.month(), b.day())
        } else {
            format_date(b, lang)
        };
        format!("{}至{}", format_date(a, lang), tail)
    } else if is_en(lang) {
        if same_month {
            format!("{}–{} {} {}", a.day(), b.day(), month(b), b.year())
        } else if same_year {
            format!(
                "{} {} – {} {} {}",
                a.day(),
                month(a),
                b.day(),
                month(b),
                b.year()
            )
        } else {
            format!("{} – {}", format_date(a, lang), format_date(b, lang))
        }
    } else {
        format!("{a} – {b}")
    }
}

/// Reads the date part of `2015-10-16` or `2015-10-16T09:00:00+08:00` (as given to templates).
pub fn date_of(text: &str) -> Option<Date> {
    text.get(..10)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn single_dates() {
        assert_eq!(format_date(d("2015-10-16"), "en"), "16 October 2015");
        assert_eq!(format_date(d("2015-10-16"), "zh"), "2015年10月16日");
    }

    #[test]
    fn ranges_in_both_languages() {
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
        }
    }

    #[test]
    fn datetimes_without_offset_use_the_site_zone() {
        let tz = TimeZone::get("Asia/Shanghai").unwrap();
        let w = parse_when("2015-10-19T09:00:00", Some(&tz)).unwrap();
        assert_eq!(w.rfc3339, "2015-10-19T09:00:00+08:00");
        assert!(
            parse_when("2015-10-19T09:00:00", None)
                .unwrap_err()
                .contains("timezone")
        );
        let w = parse_when("2015-10-18T20:00:00-05:00", Some(&tz)).unwrap();
        assert_eq!(w.date, d("2015-10-19"));
        assert!(parse_when("2015-02-30", None).is_err());
    }
}
