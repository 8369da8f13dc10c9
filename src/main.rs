//! The `briefing` command: parses arguments and calls the library.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use briefing::{BuildOptions, build, display_path};
use clap::{Parser, Subcommand};

/// Rendering and indexing allocate many small strings; mimalloc serves them faster than the
/// system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Asks the kernel for ordinary 4 KB pages only. mimalloc marks its memory for transparent
/// huge pages, and the kernel then clears 2 MB at the first touch of each, where a build
/// touches a few hundred megabytes once and briefly. A first build of 10,000 notes on tmpfs,
/// 2 cores, median of 8 alternating runs: 3.59 s with huge pages, 3.34 s without (system
/// time 1.70 s against 1.29 s).
#[cfg(target_os = "linux")]
fn small_pages() {
    // SAFETY: prctl with PR_SET_THP_DISABLE takes integers only and changes nothing but
    // this process's memory policy; a kernel that refuses it leaves the default.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

#[cfg(not(target_os = "linux"))]
fn small_pages() {}

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
    Build {
        /// The site folder, holding site.yaml and content/
        #[arg(long, default_value = ".", value_name = "DIR")]
        root: PathBuf,
        /// Where to write the site [default: <root>/output]. An existing folder is replaced only
        /// if it is empty or was written by briefing
        #[arg(long, value_name = "DIR")]
        output: Option<PathBuf>,
        /// Use this base URL instead of site.yaml's base_url, e.g. https://example.org/press
        #[arg(long, value_name = "URL")]
        base_url: Option<String>,
        /// Publish notes marked `draft: true` too
        #[arg(long)]
        drafts: bool,
        /// Decide embargoes as if it were this moment (RFC 3339, e.g. 2015-10-19T09:00:00+08:00,
        /// or a date); makes builds reproducible
        #[arg(long, value_name = "DATETIME")]
        now: Option<String>,
    },
    /// Check the whole site without writing anything: every problem at once, grouped by file.
    /// Exits with 1 on errors (and with --strict on warnings too)
    Check {
        /// The site folder, holding site.yaml and content/
        #[arg(long, default_value = ".", value_name = "DIR")]
        root: PathBuf,
        /// Fail on warnings too (a missing translation, an image without alt text, …)
        #[arg(long)]
        strict: bool,
        /// `human` (default) or `json` for scripts
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Check as if it were this moment, as `build --now` builds, e.g. 2015-10-19T09:00:00+08:00
        #[arg(long, value_name = "DATETIME")]
        now: Option<String>,
    },
    /// List what a build now leaves out and when it is released: each draft and each note
    /// under embargo, per language, soonest release first
    Status {
        /// A target of site.yaml's `deploy:`: also say what is live there and what a deploy
        /// now would send and delete
        target: Option<String>,
        /// The site folder, holding site.yaml and content/
        #[arg(long, default_value = ".", value_name = "DIR")]
        root: PathBuf,
        /// As if it were this moment, as `build --now` builds, e.g. 2015-10-19T09:00:00+08:00
        #[arg(long, value_name = "DATETIME")]
        now: Option<String>,
        /// `human` (default) or `json` for scripts
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Create a new briefing: content/briefings/<SLUG>/index.<lang>.md for each language,
    /// with today's date and front matter ready to fill in (as a draft)
    New {
        /// The note's URL name: lowercase letters, digits and hyphens, e.g. 2016-05-study-tour
        slug: String,
        /// The languages to create, comma-separated [default: all languages of site.yaml]
        #[arg(long, value_delimiter = ',', value_name = "LANGS")]
        lang: Option<Vec<String>>,
        /// The site folder, holding site.yaml and content/
        #[arg(long, default_value = ".", value_name = "DIR")]
        root: PathBuf,
    },
    /// Create a new site in DIR: site.yaml, an example note in English and Chinese, and the
    /// default theme to change as you like. DIR must be new or empty
    Init {
        /// The folder of the new site
        dir: PathBuf,
    },
    /// Build the site as `build` does, then publish it to a target of site.yaml's `deploy:`:
    /// only new and changed files are sent, files before the pages that link to them; only
    /// files deploy itself published are deleted. A failed build deploys nothing
    Deploy {
        /// The target's name in site.yaml [default: its first target]
        target: Option<String>,
        /// The site folder, holding site.yaml and content/
        #[arg(long, default_value = ".", value_name = "DIR")]
        root: PathBuf,
        /// Where to build the site [default: <root>/output]
        #[arg(long, value_name = "DIR")]
        output: Option<PathBuf>,
        /// Build and compare, print what would be sent and deleted, change nothing
        #[arg(long)]
        dry_run: bool,
        /// Stop without changing anything if more files than this would be deleted
        #[arg(long, default_value_t = 100, value_name = "N")]
        max_deletes: usize,
        /// Delete more than --max-deletes files if the deploy needs to
        #[arg(long)]
        yes: bool,
        /// With --dry-run: what a deploy at this moment would send, embargoes decided as
        /// `build --now` does. A deploy itself publishes what is true at the real clock
        #[arg(long, value_name = "DATETIME", conflicts_with = "watch")]
        now: Option<String>,
        /// Read every file on the target and send again each one whose bytes are not what
        /// deploy published (a page deleted or changed on the host)
        #[arg(long)]
        verify: bool,
        /// Stay running: deploy now, then again the moment each embargo ends, logging each
        /// release; a failed deploy is tried again. Stop with Ctrl-C
        #[arg(long)]
        watch: bool,
        /// With --watch: deploy also whenever site.yaml, content/ or themes/ change
        #[arg(long, requires = "watch")]
        on_change: bool,
    },
    /// Search the built site as its readers do, with its search page's rules: the briefings a
    /// query finds, best first (run `build` first)
    Search {
        /// What a reader types, e.g. "trafficking 2015" or 边境管理
        query: String,
        /// The language whose briefings to search [default: the site's default language]
        #[arg(long, value_name = "LANG")]
        lang: Option<String>,
        /// How many results to list
        #[arg(long, default_value_t = 10, value_name = "N")]
        limit: usize,
        /// The site folder, holding site.yaml and content/
        #[arg(long, default_value = ".", value_name = "DIR")]
        root: PathBuf,
        /// The built site [default: <root>/output]
        #[arg(long, value_name = "DIR")]
        output: Option<PathBuf>,
        /// `human` (default) or `json` for scripts
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Preview the site: serve it from memory, rebuild on every change and reload the browser.
    /// Drafts and notes under embargo are shown, with a banner; nothing is written to disk
    Serve {
        /// The site folder, holding site.yaml and content/
        #[arg(long, default_value = ".", value_name = "DIR")]
        root: PathBuf,
        /// The port to listen on; if it is taken, the next free one is used (0: any free port)
        #[arg(long, default_value_t = 1111)]
        port: u16,
        /// The address to listen on; the default serves this computer only
        #[arg(long, default_value = "127.0.0.1", value_name = "ADDRESS")]
        bind: std::net::IpAddr,
        /// Open the site in the web browser
        #[arg(long)]
        open: bool,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    Human,
    Json,
}

/// Prints diagnostics to stderr and fails.
fn fail(diagnostics: &briefing::Diagnostics, color: bool) -> ExitCode {
    for d in &diagnostics.0 {
        say_err!("{}\n", d.render(color));
    }
    ExitCode::FAILURE
}

fn main() -> ExitCode {
    small_pages();
    let cli = Cli::parse();
    let color = std::io::stderr().is_terminal();
    match cli.command {
        Command::Check {
            root,
            strict,
            format,
            now,
        } => {
            let report = briefing::check(&root, now.as_deref());
            match format {
                Format::Human => {
                    let _ = write!(
                        std::io::stdout(),
                        "{}",
                        report.human(std::io::stdout().is_terminal())
                    );
                }
                Format::Json => say!("{}", report.json()),
            }
            if report.failed(strict) {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Command::Status {
            target,
            root,
            now,
            format,
        } => {
            let status = match briefing::status(&root, now.as_deref()) {
                Ok(status) => status,
                Err(d) => return fail(&d, color),
            };
            let live = match target {
                Some(target) => match briefing::live(&root, Some(&target), now.as_deref()) {
                    Ok(live) => Some(live),
                    Err(d) => return fail(&d, color),
                },
                None => None,
            };
            match format {
                Format::Human => {
                    let _ = write!(std::io::stdout(), "{}", status.human());
                    if let Some(live) = &live {
                        let _ = write!(std::io::stdout(), "{}", live.human());
                    }
                }
                Format::Json => {
                    let mut json = serde_json::to_value(&status).unwrap_or_default();
                    if let (Some(live), Some(object)) = (&live, json.as_object_mut()) {
                        object.insert(
                            "live".into(),
                            serde_json::to_value(live).unwrap_or_default(),
                        );
                    }
                    say!(
                        "{}",
                        serde_json::to_string_pretty(&json).unwrap_or_default()
                    );
                }
            }
            ExitCode::SUCCESS
        }
        Command::Search {
            query,
            lang,
            limit,
            root,
            output,
            format,
        } => match briefing::search(&root, output.as_deref(), lang.as_deref(), &query, limit) {
            Ok(answer) => {
                match format {
                    Format::Human => {
                        let _ = write!(std::io::stdout(), "{}", answer.human());
                    }
                    Format::Json => say!(
                        "{}",
                        serde_json::to_string_pretty(&answer).unwrap_or_default()
                    ),
                }
                ExitCode::SUCCESS
            }
            Err(d) => fail(&d, color),
        },
        Command::New { slug, lang, root } => {
            match briefing::new_note(&root, &slug, lang.as_deref()) {
                Ok(files) => {
                    for f in &files {
                        say!(
                            "Created {}",
                            display_path(f.strip_prefix(&root).unwrap_or(f))
                        );
                    }
                    say!(
                        "The note is a draft: delete the line `draft: true` when it is ready to publish."
                    );
                    ExitCode::SUCCESS
                }
                Err(d) => fail(&d, color),
            }
        }
        Command::Init { dir } => match briefing::init(&dir) {
            Ok(n) => {
                say!("Created a new site in {} ({n} files).", display_path(&dir));
                say!("Next: cd {} && briefing serve", display_path(&dir));
                ExitCode::SUCCESS
            }
            Err(d) => fail(&d, color),
        },
        Command::Serve {
            root,
            port,
            bind,
            open,
        } => {
            let options = briefing::ServeOptions {
                root,
                bind,
                port,
                open,
            };
            let log: briefing::Log = std::sync::Arc::new(|line: String| {
                let time = jiff::ZonedDateTime::now().strftime("%H:%M:%S").to_string();
                // A closed terminal must not stop the server.
                let _ = writeln!(std::io::stdout(), "{time} {line}");
            });
            match briefing::serve(options, log) {
                Ok(()) => ExitCode::SUCCESS,
                Err(diagnostics) => {
                    for d in &diagnostics.0 {
                        say_err!("{}\n", d.render(color));
                    }
                    ExitCode::FAILURE
                }
            }
        }
        Command::Deploy {
            target,
            root,
            output,
            dry_run,
            max_deletes,
            yes,
            now,
            verify,
            watch,
            on_change,
        } => {
            let options = briefing::DeployOptions {
                root,
                output,
                target,
                dry_run,
                max_deletes,
                yes,
                now,
                verify,
            };
            if watch {
                // Clock times in the site's time zone, as its release times are written.
                let tz = briefing::Config::load(&options.root)
                    .ok()
                    .and_then(|c| c.timezone)
                    .unwrap_or_else(jiff::tz::TimeZone::system);
                let log: briefing::Log = std::sync::Arc::new(move |line: String| {
                    let time = jiff::Timestamp::now()
                        .to_zoned_datetime(tz.clone())
                        .strftime("%H:%M:%S %:z")
                        .to_string();
                    let _ = writeln!(std::io::stdout(), "{time} {line}");
                });
                let diagnostics = briefing::deploy_watch(&options, on_change, &log);
                return fail(&diagnostics, color);
            }
            let bar = std::sync::OnceLock::<indicatif::ProgressBar>::new();
            let progress = |p: briefing::Progress| match p {
                briefing::Progress::Sent { done, total } => {
                    // A bar only where someone watches, and only for more than a moment's work.
                    if total < 200 || !std::io::stderr().is_terminal() {
                        return;
                    }
                    let bar = bar.get_or_init(|| {
                        indicatif::ProgressBar::new(total as u64).with_message("sending")
                    });
                    bar.set_position(done as u64);
                }
            };
            let result = briefing::deploy(&options, &progress);
            if let Some(bar) = bar.get() {
                bar.finish_and_clear();
            }
            match result {
                Ok(report) => {
                    for w in &report.build.warnings {
                        say_err!("{}\n", w.render(color));
                    }
                    let repaired = &report.repaired;
                    for path in &repaired.missing {
                        say!("missing on the target, sent again: {path}");
                    }
                    for path in &repaired.changed {
                        say!("changed on the target, sent again: {path}");
                    }
                    if report.dry_run {
                        for (path, size) in &report.sent {
                            say!("would send   {path} ({})", briefing::human_size(*size));
                        }
                        for path in &report.deleted {
                            say!("would delete {path}");
                        }
                        for path in &repaired.foreign {
                            let yes = if report.kept.contains(path) {
                                " (needs --yes)"
                            } else {
                                ""
                            };
                            say!("would replace {path}, a file deploy did not publish{yes}");
                        }
                    }
                    say!("{}", report.summary());
                    let _ = write!(
                        std::io::stdout(),
                        "{}",
                        briefing::held_text(&report.build.held)
                    );
                    if let Some(error) = report.kept_error() {
                        say_err!("{}\n", error.render(color));
                        return ExitCode::FAILURE;
                    }
                    ExitCode::SUCCESS
                }
                Err(diagnostics) => {
                    for d in &diagnostics.0 {
                        say_err!("{}\n", d.render(color));
                    }
                    say_err!(
                        "Nothing more was deployed: run deploy again once the problem is solved; it sends only what is missing."
                    );
                    ExitCode::FAILURE
                }
            }
        }
        Command::Build {
            root,
            output,
            base_url,
            drafts,
            now,
        } => {
            let started = Instant::now();
            let options = BuildOptions {
                root,
                output,
                base_url,
                drafts,
                now,
            };
            match build(&options) {
                Ok(report) => {
                    for w in &report.warnings {
                        say_err!("{}\n", w.render(color));
                    }
                    let mut per_lang: Vec<String> = report
                        .pages
                        .iter()
                        .map(|(lang, n)| format!("{lang} {n}"))
                        .collect();
                    // The language chooser and the 404 page belong to no language: the parts
                    // add up to the whole.
                    let other = report.total_pages - report.pages.values().sum::<usize>();
                    if other > 0 {
                        per_lang.push(format!("other {other}"));
                    }
                    let mut held = String::new();
                    if report.drafts_withheld > 0 {
                        let n = report.drafts_withheld;
                        let s = if n == 1 { "" } else { "s" };
                        held.push_str(&format!(", {n} draft{s} left out"));
                    }
                    if let Some(next) = report.next_release {
                        held.push_str(&format!(
                            ", {} under embargo (next release {next})",
                            report.embargoed
                        ));
                    }
                    if report.images_made > 0 {
                        let n = report.images_made;
                        let s = if n == 1 { "" } else { "s" };
                        held.push_str(&format!(", {n} image{s} processed"));
                    }
                    if let Some(search) = &report.search {
                        held.push_str(&format!(
                            ", search index {:.2} s ({} briefings)",
                            search.took.as_secs_f64(),
                            search.pages
                        ));
                    }
                    say!(
                        "Built {} pages ({}), {} files in all{held}, in {:.2} s → {}",
                        report.total_pages,
                        per_lang.join(", "),
                        report.files,
                        started.elapsed().as_secs_f64(),
                        display_path(&report.output)
                    );
                    let _ = write!(std::io::stdout(), "{}", briefing::held_text(&report.held));
                    ExitCode::SUCCESS
                }
                Err(diagnostics) => {
                    for d in &diagnostics.0 {
                        say_err!("{}\n", d.render(color));
                    }
                    let n = diagnostics.error_count();
                    let outcome = if briefing::left_part_way(&diagnostics) {
                        "the output folder is part old, part new until a build finishes the change"
                    } else {
                        "the output folder was not changed"
                    };
                    say_err!(
                        "Build failed with {n} error{}; {outcome}.",
                        if n == 1 { "" } else { "s" }
                    );
                    ExitCode::FAILURE
                }
            }
        }
    }
}
