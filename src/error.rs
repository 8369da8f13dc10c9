//! Diagnostics: every problem a user can cause, with the file, line, column and the fix;
//! and the log lines of commands that keep running.

use std::fmt;
use std::path::{Path, PathBuf};

use annotate_snippets::{AnnotationKind, Group, Level, Origin, Renderer, Snippet};

/// A line for the person watching a command that keeps running (`serve`,
/// `deploy --watch`): each caller decides how it reaches the terminal.
pub type Log = std::sync::Arc<dyn Fn(String) + Send + Sync>;

/// How serious a diagnostic is: errors stop the build, warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Severity {
    Error,
    Warning,
}

/// One problem found in a user's file, ready to be shown to a person.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// The file, as the user knows it (relative to the site root where possible).
    pub file: Option<PathBuf>,
    /// 1-based line in the file.
    pub line: Option<usize>,
    /// 1-based column (in characters) in the line.
    pub column: Option<usize>,
    /// Width of the marked text, in characters.
    pub width: usize,
    /// The text of the line, shown under the message.
    pub source_line: Option<String>,
    pub message: String,
    /// What to do about it.
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            file: None,
            line: None,
            column: None,
            width: 1,
            source_line: None,
            message: message.into(),
            help: None,
        }
    }

    pub fn warning(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(message)
        }
    }

    pub fn file(mut self, file: impl Into<PathBuf>) -> Self {
        self.file = Some(file.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Points at a line and column of `source` (the whole file's text); `width` characters wide.
    pub fn at(mut self, source: &str, line: usize, column: usize, width: usize) -> Self {
        self.line = Some(line);
        self.column = Some(column.max(1));
        self.width = width.max(1);
        self.source_line = source
            .lines()
            .nth(line.saturating_sub(1))
            .map(|l| l.trim_end_matches('\r').to_string());
        self
    }

    /// Points at a line without a source snippet.
    pub fn at_line(mut self, line: usize) -> Self {
        self.line = Some(line);
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Renders the diagnostic for a terminal, in colour when `color` is set.
    pub fn render(&self, color: bool) -> String {
        let level = match self.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        let path = self.file.as_ref().map(|p| display_path(p));
        let title = level.primary_title(self.message.as_str());
        let group = match (&path, self.line, &self.source_line) {
            (Some(path), Some(line), Some(text)) => {
                let column = self.column.unwrap_or(1);
                let start = byte_offset(text, column - 1);
                let end = byte_offset(text, column - 1 + self.width).max(start);
                let end = if end == start && start < text.len() {
                    start + text[start..].chars().next().map_or(1, char::len_utf8)
                } else {
                    end
                };
                title.element(
                    Snippet::source(text.as_str())
                        .line_start(line)
                        .path(path.as_str())
                        .annotation(AnnotationKind::Primary.span(start..end)),
                )
            }
            (Some(path), line, _) => {
                let mut origin = Origin::path(path.as_str());
                if let Some(line) = line {
                    origin = origin.line(line);
                    if let Some(column) = self.column {
                        origin = origin.char_column(column);
                    }
                }
                title.element(origin)
            }
            (None, _, _) => Group::with_title(title),
        };
        let mut report = vec![group];
        if let Some(help) = &self.help {
            report.push(Group::with_title(
                Level::HELP.secondary_title(help.as_str()),
            ));
        }
        let renderer = if color {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        renderer.render(&report)
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(false))
    }
}

/// All the problems a build found; at least one is an error.
#[derive(Debug, Clone)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn error_count(&self) -> usize {
        self.0.iter().filter(|d| d.is_error()).count()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.0 {
            writeln!(f, "{d}\n")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Self {
        Diagnostics(vec![d])
    }
}

/// A path shown to a user: forward slashes on every system.
pub fn display_path(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

fn byte_offset(text: &str, chars: usize) -> usize {
    text.char_indices()
        .nth(chars)
        .map_or(text.len(), |(i, _)| i)
}

/// 1-based (line, column in characters) of a byte offset in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// Reads a user's text file: names the file when it cannot be read or is not UTF-8.
pub fn read_text(path: &Path, shown: &Path) -> Result<String, Diagnostic> {
    let bytes = read_bytes(path, shown)?;
    utf8_text(bytes, shown)
}

/// Reads a user's file: names it when it cannot be read.
pub fn read_bytes(path: &Path, shown: &Path) -> Result<Vec<u8>, Diagnostic> {
    std::fs::read(path).map_err(|e| {
        Diagnostic::error(format!("cannot read this file: {e}"))
            .file(shown)
            .help("check that the file exists and that you may read it")
    })
}

/// The text of a file read as `bytes`: an error at the first place that is not UTF-8.
pub fn utf8_text(bytes: Vec<u8>, shown: &Path) -> Result<String, Diagnostic> {
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let text = String::from_utf8_lossy(&bytes[..valid]);
        let (line, column) = line_col(&text, valid);
        Diagnostic::error("this file is not UTF-8 text")
            .file(shown)
            .at_line(line)
            .column_only(column)
            .help("save the file with the UTF-8 encoding (in most editors: \"Save with encoding\" → UTF-8)")
    })
}

impl Diagnostic {
    fn column_only(mut self, column: usize) -> Self {
        self.column = Some(column);
        self
    }
}
