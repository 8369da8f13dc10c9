//! The `briefing` command line: a module per command, each its arguments and what it runs.
//! The options several commands share (`--root`, `--now`, `--format`) are declared here,
//! once, and each command's report writes itself.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::dates::Now;
use crate::error::Diagnostics;

/// A line on standard output. A reader that stopped reading (`briefing check | head -1`)
/// ends the output quietly rather than with a panic.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// A line on standard error, likewise.
macro_rules! say_err {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// Text on standard output as it is, likewise.
macro_rules! print_out {
    ($text:expr) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), "{}", $text);
    }};
}

mod build;
mod check;
mod deploy;
mod init;
mod new;
mod search;
mod serve;
mod status;

/// A static site generator for bilingual press briefing notes.
#[derive(Parser)]
#[command(name = "briefing", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build the site into the output folder. Only files that changed are written, and only
    /// once the whole site is built: a failed build leaves the folder exactly as it was
    Build(build::Args),
    /// Check the whole site without writing anything: every problem at once, grouped by file.
    /// Exits with 1 on errors (and with --strict on warnings too)
    Check(check::Args),
    /// List what a build now leaves out and when it is released: each draft and each note
    /// under embargo, per language, soonest release first
    Status(status::Args),
    /// Create a new briefing: content/briefings/<SLUG>/index.<lang>.md for each language,
    /// with today's date and front matter ready to fill in (as a draft)
    New(new::Args),
    /// Create a new site in DIR: site.yaml, an example note in English and Chinese, and the
    /// default theme to change as you like. DIR must be new or empty
    Init(init::Args),
    /// Build the site as `build` does, then publish it to a target of site.yaml's `deploy:`:
    /// only new and changed files are sent, files before the pages that link to them; only
    /// files deploy itself published are deleted. A failed build deploys nothing
    Deploy(deploy::Args),
    /// Search the built site as its readers do, with its search page's rules: the briefings a
    /// query finds, best first (run `build` first)
    Search(search::Args),
    /// Preview the site: serve it from memory, rebuild on every change and reload the browser.
    /// Drafts and notes under embargo are shown, with a banner; nothing is written to disk
    Serve(serve::Args),
}

/// Runs the command the arguments name; its exit code.
pub fn run() -> ExitCode {
    match Cli::parse().command {
        Command::Build(args) => args.run(),
        Command::Check(args) => args.run(),
        Command::Status(args) => args.run(),
        Command::New(args) => args.run(),
        Command::Init(args) => args.run(),
        Command::Deploy(args) => args.run(),
        Command::Search(args) => args.run(),
        Command::Serve(args) => args.run(),
    }
}

/// `--root`: the site.
#[derive(clap::Args)]
struct Root {
    /// The site folder, holding site.yaml and content/
    #[arg(long, default_value = ".", value_name = "DIR")]
    root: PathBuf,
}

/// `--now`: the moment embargoes are decided at.
#[derive(clap::Args)]
struct Moment {
    /// Decide embargoes as if it were this moment: a date and time (RFC 3339, e.g.
    /// 2015-10-19T09:00:00+08:00) or a date, in the site time zone when written without an
    /// offset; makes runs reproducible. `deploy` takes it with --dry-run only
    #[arg(long, value_name = "DATETIME")]
    now: Option<Now>,
}

impl Moment {
    fn now(&self) -> Now {
        self.now.clone().unwrap_or_default()
    }
}

/// `--format`: for people or for scripts.
#[derive(clap::Args)]
struct Output {
    /// `human` (default) or `json` for scripts
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Human,
    Json,
}

/// Whether standard error is a terminal, where messages are in colour.
fn color() -> bool {
    std::io::stderr().is_terminal()
}

/// Prints diagnostics to standard error, each followed by a blank line.
fn show(diagnostics: &[crate::error::Diagnostic]) {
    let color = color();
    for d in diagnostics {
        say_err!("{}\n", d.render(color));
    }
}

/// Prints diagnostics and fails.
fn fail(diagnostics: &Diagnostics) -> ExitCode {
    show(&diagnostics.0);
    ExitCode::FAILURE
}

/// A line for the terminal of a command that keeps running, after the clock time in `tz`
/// (`with_offset`: and its offset from UTC, as release times are written).
fn log(tz: jiff::tz::TimeZone, with_offset: bool) -> crate::error::Log {
    let pattern = if with_offset {
        "%H:%M:%S %:z"
    } else {
        "%H:%M:%S"
    };
    std::sync::Arc::new(move |line: String| {
        let time = jiff::Timestamp::now()
            .to_zoned_datetime(tz.clone())
            .strftime(pattern)
            .to_string();
        // A closed terminal must not stop the command.
        say!("{time} {line}");
    })
}
