//! Dates and datetimes of front matter, and their display in each language.

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ZonedDateTime as Zoned};

/// A moment from front matter: a date, or a datetime with or without an offset.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
    Written::read(text)?.place(text.trim(), tz)
}

/// A moment as a person wrote it, before it is placed in a time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// `2015-10-16`: the start of that day.
    Date(Date),
    /// `2015-10-16T09:00:00`: a clock time with no offset.
    Local(DateTime),
    /// `2015-10-16T09:00:00+08:00`: one moment everywhere.
    Exact(Timestamp),
}

impl Written {
    /// Reads a date or datetime, refusing a day no calendar has and a year no briefing has.
    pub fn read(text: &str) -> Result<Written, String> {
        let text = text.trim();
        let shape = "write a date as YYYY-MM-DD (2015-10-16) or a date and time as 2015-10-16T09:00:00+08:00";
        // A date of the right shape that no calendar has says why: `October has 31 days`.
        if let Some(why) = impossible(text) {
            return Err(format!("`{text}` is not a date: {why}"));
        }
        let written = if text.len() == 10 {
            Written::Date(
                text.parse()
                    .map_err(|_| format!("`{text}` is not a valid date: {shape}"))?,
            )
        } else {
            let time = text.get(10..).unwrap_or("");
            let has_offset = time.ends_with('Z')
                || time.ends_with('z')
                || time.contains('+')
                || time.contains('-');
            let wrong = |_| format!("`{text}` is not a valid date and time: {shape}");
            if has_offset {
                Written::Exact(text.parse().map_err(wrong)?)
            } else {
                Written::Local(text.parse().map_err(wrong)?)
            }
        };
        let year = date_of(text).map_or(YEARS.start().to_owned(), |d| d.year());
        if !YEARS.contains(&year) {
            return Err(format!(
                "the year {year} is not a year of a briefing: check it (years from {} to {} are accepted)",
                YEARS.start(),
                YEARS.end()
            ));
        }
        Ok(written)
    }

    /// The moment in the site time zone `tz` (`text` is what was written, for messages): a
    /// date or a clock time is that of the site; an exact moment shows the date written
    /// where the site has no time zone.
    pub fn place(self, text: &str, tz: Option<&TimeZone>) -> Result<When, String> {
        let placed = |zoned: Result<Zoned, jiff::Error>| {
            zoned
                .map(|z| when(&z))
                .map_err(|e| format!("`{text}` cannot be placed in the site time zone: {e}"))
        };
        match (self, tz) {
            // The day's first moment there, even where a clock change skips midnight.
            (Written::Date(date), _) => {
                placed(date.to_zoned_datetime(tz.cloned().unwrap_or(TimeZone::UTC)))
            }
            (Written::Local(dt), Some(tz)) => placed(dt.to_zoned_datetime(tz.clone())),
            (Written::Local(_), None) => Err(format!(
                "`{text}` has no time zone offset and site.yaml sets no timezone: add an offset (2015-10-16T09:00:00+08:00) or set `timezone:` in site.yaml"
            )),
            (Written::Exact(ts), Some(tz)) => Ok(when(&ts.to_zoned_datetime(tz.clone()))),
            (Written::Exact(ts), None) => {
                // No site time zone: show the calendar date the author wrote.
                let mut w = when(&ts.to_zoned_datetime(TimeZone::UTC));
                w.date = date_of(text).unwrap_or(w.date);
                Ok(w)
            }
        }
    }
}

/// The moment a command decides embargoes at (`--now`): the clock, read each time it is
/// asked, or a moment the user wrote, read once at the command line and placed in the site
/// time zone when site.yaml is read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Now {
    #[default]
    Clock,
    Written {
        text: String,
        moment: Written,
    },
}

impl std::str::FromStr for Now {
    type Err = String;

    fn from_str(text: &str) -> Result<Now, String> {
        Ok(Now::Written {
            moment: Written::read(text)?,
            text: text.trim().to_string(),
        })
    }
}

impl Now {
    /// The moment, in the site time zone `tz` where it was written without an offset.
    pub fn at(&self, tz: Option<&TimeZone>) -> Result<Timestamp, String> {
        match self {
            Now::Clock => Ok(Timestamp::now()),
            Now::Written { text, moment } => moment.place(text, tz).map(|w| w.timestamp),
        }
    }

    /// What the user wrote, or None for the clock.
    pub fn written(&self) -> Option<&str> {
        match self {
            Now::Clock => None,
            Now::Written { text, .. } => Some(text),
        }
    }
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
        let name = crate::locale::english_month(month as i8);
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

/// Reads the date part of `2015-10-16` or `2015-10-16T09:00:00+08:00` (as given to templates).
pub fn date_of(text: &str) -> Option<Date> {
    text.get(..10)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn now_is_read_once_and_placed_in_the_site_time_zone() {
        let shanghai = TimeZone::get("Asia/Shanghai").unwrap();
        let at = |text: &str, tz: Option<&TimeZone>| {
            text.parse::<Now>()
                .and_then(|now| now.at(tz))
                .map(|t| t.to_string())
        };
        // A date is the start of that day in the site time zone, and in UTC without one.
        assert_eq!(
            at("2015-10-16", Some(&shanghai)).unwrap(),
            "2015-10-15T16:00:00Z"
        );
        assert_eq!(at("2015-10-16", None).unwrap(), "2015-10-16T00:00:00Z");
        // A clock time is the site's; without a site time zone it cannot be placed.
        assert_eq!(
            at("2015-10-16T09:00:00", Some(&shanghai)).unwrap(),
            "2015-10-16T01:00:00Z"
        );
        let unplaced = at("2015-10-16T09:00:00", None).unwrap_err();
        assert!(unplaced.contains("sets no timezone"), "{unplaced}");
        // An offset is the same moment wherever the site is.
        assert_eq!(
            at("2015-10-16T09:00:00+02:00", Some(&shanghai)).unwrap(),
            "2015-10-16T07:00:00Z"
        );
        // Refused where it is written, before any site is read.
        let day = "2015-02-30".parse::<Now>().unwrap_err();
        assert!(day.contains("February 2015 has 28 days"), "{day}");
        let year = "0215-01-01".parse::<Now>().unwrap_err();
        assert!(
            year.contains("the year 215 is not a year of a briefing"),
            "{year}"
        );
        assert!("next tuesday".parse::<Now>().is_err());
        assert_eq!(Now::default().written(), None);
    }

    fn d(s: &str) -> Date {
        s.parse().unwrap()
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
