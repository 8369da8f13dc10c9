//! `briefing check`: every problem of a site at once, without writing anything.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::content::Section;
use crate::error::{Diagnostic, Severity, display_path};
use crate::open::Request;
use crate::site::Site;

/// What `check` found.
#[derive(Debug, Default)]
pub struct CheckReport {
    pub diagnostics: Vec<Diagnostic>,
    /// Notes read (drafts and notes under embargo included).
    pub notes: usize,
    /// The notes a build now would leave out, soonest release first.
    pub held: Vec<crate::status::Held>,
}

impl CheckReport {
    pub fn errors(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    pub fn warnings(&self) -> usize {
        self.diagnostics.len() - self.errors()
    }

    /// Whether `check` fails: on errors, and with `strict` on warnings too.
    pub fn failed(&self, strict: bool) -> bool {
        self.errors() > 0 || (strict && self.warnings() > 0)
    }

    /// The diagnostics by file (those without a file under ""), in line order.
    fn by_file(&self) -> BTreeMap<String, Vec<&Diagnostic>> {
        let mut groups: BTreeMap<String, Vec<&Diagnostic>> = BTreeMap::new();
        for d in &self.diagnostics {
            let file = d.file.as_deref().map(display_path).unwrap_or_default();
            groups.entry(file).or_default().push(d);
        }
        for list in groups.values_mut() {
            list.sort_by_key(|d| (d.line.unwrap_or(0), d.column.unwrap_or(0)));
        }
        groups
    }

    /// For a person: a heading per file, each problem with its line, and a summary.
    pub fn human(&self, color: bool) -> String {
        let mut out = String::new();
        for (file, list) in self.by_file() {
            let heading = if file.is_empty() {
                "(the site)".to_string()
            } else {
                file
            };
            out.push_str(&format!("── {heading}\n\n"));
            for d in list {
                out.push_str(&d.render(color));
                out.push_str("\n\n");
            }
        }
        out.push_str(&crate::status::held_text(&self.held));
        let (e, w) = (self.errors(), self.warnings());
        if e == 0 && w == 0 {
            out.push_str(&format!("No problems found in {}.\n", notes(self.notes)));
        } else {
            out.push_str(&format!(
                "{e} error{}, {w} warning{} in {}.\n",
                if e == 1 { "" } else { "s" },
                if w == 1 { "" } else { "s" },
                notes(self.notes)
            ));
        }
        out
    }

    /// For a script: the same, as JSON.
    pub fn json(&self) -> String {
        #[derive(Serialize)]
        struct Problem<'a> {
            severity: &'a str,
            line: Option<usize>,
            column: Option<usize>,
            message: &'a str,
            help: Option<&'a str>,
        }
        #[derive(Serialize)]
        struct File<'a> {
            file: Option<String>,
            problems: Vec<Problem<'a>>,
        }
        #[derive(Serialize)]
        struct Report<'a> {
            ok: bool,
            notes: usize,
            errors: usize,
            warnings: usize,
            files: Vec<File<'a>>,
            held: &'a [crate::status::Held],
        }
        let files = self
            .by_file()
            .into_iter()
            .map(|(file, list)| File {
                file: (!file.is_empty()).then_some(file),
                problems: list
                    .into_iter()
                    .map(|d| Problem {
                        severity: match d.severity {
                            Severity::Error => "error",
                            Severity::Warning => "warning",
                        },
                        line: d.line,
                        column: d.column,
                        message: &d.message,
                        help: d.help.as_deref(),
                    })
                    .collect(),
            })
            .collect();
        let report = Report {
            ok: self.errors() == 0,
            notes: self.notes,
            errors: self.errors(),
            warnings: self.warnings(),
            files,
            held: &self.held,
        };
        serde_json::to_string_pretty(&report).unwrap_or_default()
    }
}

/// Checks the site at `root` as `build` would build it now, through the same pipeline into
/// nothing: the errors are the build's, with the same messages (drafts and notes under
/// embargo are checked too, as the build checks them), and the warnings add what a press
/// office should know before publishing.
pub fn check(request: &Request) -> CheckReport {
    let opened = match request.open() {
        Ok(opened) => opened,
        Err(e) => {
            return CheckReport {
                diagnostics: e.0,
                notes: count_notes(&request.root),
                held: Vec::new(),
            };
        }
    };
    let content = crate::content::load(&opened.config);
    let notes = content.notes.len() + content.failed.len();
    let mut diagnostics = Vec::new();
    let mut held = Vec::new();
    match opened.assemble(content) {
        Ok((site, theme)) => {
            held = crate::status::held_back(&site);
            diagnostics.extend(site.warnings.iter().cloned());
            diagnostics.extend(theme.warnings.iter().cloned());
            if let Err(e) = crate::pipeline::run(&site, &theme, &crate::pipeline::Discard) {
                diagnostics.extend(e);
            }
            translations(&site, &mut diagnostics);
        }
        Err(e) => diagnostics.extend(e.0),
    }
    CheckReport {
        diagnostics,
        notes,
        held,
    }
}

/// `1 note`, `13 notes`.
fn notes(n: usize) -> String {
    format!("{n} note{}", if n == 1 { "" } else { "s" })
}

fn count_notes(root: &Path) -> usize {
    walkdir::WalkDir::new(root.join(crate::paths::CONTENT_DIR))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_str().is_some_and(|n| n.ends_with(".md")))
        .count()
}

/// Briefings without a version in every language, and versions older than their translation.
fn translations(site: &Site, out: &mut Vec<Diagnostic>) {
    for (i, note) in site.notes.iter().enumerate() {
        if note.section != Section::Briefings {
            continue;
        }
        // The languages the versions say the note is meant for, if any says.
        let meant: Option<Vec<&str>> = std::iter::once(i)
            .chain(site.all_versions[i].iter().copied())
            .filter_map(|j| site.notes[j].languages.as_ref())
            .fold(None, |all: Option<Vec<&str>>, list| {
                let mut all = all.unwrap_or_default();
                all.extend(list.iter().map(String::as_str));
                Some(all)
            });
        for lang in &site.config.languages {
            let has_version = site.all_versions[i]
                .iter()
                .any(|&j| site.notes[j].lang == lang.code);
            let wanted = meant
                .as_ref()
                .is_none_or(|m| m.contains(&lang.code.as_str()));
            if lang.code != note.lang && !has_version && wanted {
                out.push(
                    Diagnostic::warning(format!("this briefing has no `{}` version", lang.code))
                        .file(&note.shown)
                        .help(format!(
                            "add a translation beside it (…{}.md); a note meant for one language only says so in its front matter: languages: [{}]",
                            lang.code, note.lang
                        )),
                );
            }
        }
        for &j in &site.all_versions[i] {
            let (mine, theirs) = (site.modified(i), site.modified(j));
            if theirs.timestamp > mine.timestamp {
                let other = &site.notes[j];
                out.push(
                    Diagnostic::warning(format!(
                        "this version may be out of date: {} changed on {}, after this one ({})",
                        display_path(&other.shown),
                        theirs.date,
                        mine.date
                    ))
                    .file(&note.shown)
                    .help("bring the text up to date with the other version and set `updated:` to today"),
                );
            }
        }
    }
}
