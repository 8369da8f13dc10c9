//! What a build holds back, and when it is released: each draft and each note under
//! embargo, per language, soonest release first. `briefing status` shows it, and so do the
//! summaries of `build` and `check`.

use serde::Serialize;

use crate::error::{Diagnostics, display_path};
use crate::open::Request;
use crate::site::{Site, Withheld};

/// A note a build leaves out.
#[derive(Debug, Clone, Serialize)]
pub struct Held {
    /// The note's file: `content/briefings/x/index.en.md`.
    pub file: String,
    pub lang: String,
    pub title: String,
    /// `embargo` or `draft`.
    pub reason: &'static str,
    /// When it is released, RFC 3339 in the site time zone; none for a draft.
    pub release: Option<String>,
    /// The same moment as messages write it: `2030-01-01 09:00 +08:00`.
    #[serde(skip)]
    pub release_shown: Option<String>,
    /// The same moment, for waiting until it.
    #[serde(skip)]
    pub release_at: Option<jiff::Timestamp>,
}

/// The notes a build of `site` leaves out: releases soonest first, then drafts, each group
/// in file order.
pub fn held_back(site: &Site) -> Vec<Held> {
    let tz = site.config.timezone.as_ref();
    let mut held: Vec<(Option<jiff::Timestamp>, Held)> = site
        .notes
        .iter()
        .enumerate()
        .filter_map(|(i, note)| {
            let (reason, at) = match site.withheld[i].as_ref()? {
                Withheld::Draft => ("draft", None),
                Withheld::Embargoed(ts) => ("embargo", Some(*ts)),
            };
            Some((
                at,
                Held {
                    file: display_path(&note.shown),
                    lang: note.lang.clone(),
                    title: note.title.clone(),
                    reason,
                    // The embargo that holds it back, as written in the site time zone.
                    release: at.and(site.embargo(i)).map(|e| e.rfc3339.clone()),
                    release_shown: at.map(|t| crate::dates::local(t, tz)),
                    release_at: at,
                },
            ))
        })
        .collect();
    // Drafts (no moment) after every release.
    held.sort_by(|(a, x), (b, y)| (a.is_none(), a, &x.file).cmp(&(b.is_none(), b, &y.file)));
    held.into_iter().map(|(_, h)| h).collect()
}

/// The list for a person, one note a line, or an empty string when nothing is held back.
pub fn held_text(held: &[Held]) -> String {
    if held.is_empty() {
        return String::new();
    }
    let mut out = format!("Held back ({}):\n", held.len());
    for h in held {
        let when = match (&h.release_shown, h.reason) {
            (Some(at), _) => format!("until {at}"),
            _ => "draft".to_string(),
        };
        out.push_str(&format!(
            "  {when:<29} {} ({}) {}\n",
            h.file, h.lang, h.title
        ));
    }
    out
}

/// What `briefing status` reports.
#[derive(Debug, Serialize)]
pub struct Status {
    /// The moment decided on, in the site time zone.
    pub now: String,
    pub held: Vec<Held>,
}

impl Status {
    pub fn human(&self) -> String {
        if self.held.is_empty() {
            format!(
                "Nothing is held back at {}: every note is published.\n",
                self.now
            )
        } else {
            format!("At {}:\n{}", self.now, held_text(&self.held))
        }
    }
}

/// What a build of the site would hold back at the moment `request` asks for.
pub fn status(request: &Request) -> Result<Status, Diagnostics> {
    let site = request.open()?.model()?;
    Ok(Status {
        now: crate::dates::local(site.now, site.config.timezone.as_ref()),
        held: held_back(&site),
    })
}
