//! `briefing deploy [TARGET]`.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::OnceLock;

use indicatif::ProgressBar;

use crate::deploy::{DeployOptions, Progress};
use crate::open::Request;

#[derive(clap::Args)]
pub struct Args {
    /// The target's name in site.yaml [default: its first target]
    target: Option<String>,
    #[command(flatten)]
    root: super::Root,
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
    // With --dry-run only: what a deploy at --now would send. A deploy itself publishes
    // what is true at the real clock.
    #[command(flatten)]
    moment: super::Moment,
    /// Read every file on the target and send again each one whose bytes are not what
    /// deploy published (a page deleted or changed on the host)
    #[arg(long)]
    verify: bool,
    /// Stay running: deploy now, then again the moment each embargo ends, logging each
    /// release; a failed deploy is tried again. Stop with Ctrl-C
    #[arg(long, conflicts_with = "now")]
    watch: bool,
    /// With --watch: deploy also whenever site.yaml, content/ or themes/ change
    #[arg(long, requires = "watch")]
    on_change: bool,
}

/// Files to send before a progress bar is worth showing.
const BAR_FROM: usize = 200;

impl Args {
    pub fn run(self) -> ExitCode {
        let options = DeployOptions {
            now: self.moment.now(),
            root: self.root.root,
            output: self.output,
            target: self.target,
            dry_run: self.dry_run,
            max_deletes: self.max_deletes,
            yes: self.yes,
            verify: self.verify,
        };
        if self.watch {
            // Clock times in the site's time zone, as its release times are written.
            let tz = Request::publish(&options.root, options.now.clone())
                .open()
                .ok()
                .and_then(|opened| opened.config.timezone)
                .unwrap_or_else(jiff::tz::TimeZone::system);
            let log = super::log(tz, true);
            return super::fail(&crate::deploy::watch(&options, self.on_change, &log));
        }
        let bar = OnceLock::<ProgressBar>::new();
        let progress = |p: Progress| match p {
            Progress::Sent { done, total } => {
                // A bar only where someone watches, and only for more than a moment's work.
                if total < BAR_FROM || !std::io::stderr().is_terminal() {
                    return;
                }
                let bar =
                    bar.get_or_init(|| ProgressBar::new(total as u64).with_message("sending"));
                bar.set_position(done as u64);
            }
        };
        let result = crate::deploy::deploy(&options, &progress);
        if let Some(bar) = bar.get() {
            bar.finish_and_clear();
        }
        match result {
            Ok(report) => {
                super::show(&report.build.warnings);
                print_out!(report.details());
                say!("{}", report.summary());
                print_out!(crate::status::held_text(&report.build.held));
                match report.kept_error() {
                    Some(error) => {
                        super::show(&[error]);
                        ExitCode::FAILURE
                    }
                    None => ExitCode::SUCCESS,
                }
            }
            Err(diagnostics) => {
                super::show(&diagnostics.0);
                say_err!(
                    "Nothing more was deployed: run deploy again once the problem is solved; it sends only what is missing."
                );
                ExitCode::FAILURE
            }
        }
    }
}
