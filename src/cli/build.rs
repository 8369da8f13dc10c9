//! `briefing build`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use crate::open::{Purpose, Request};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    root: super::Root,
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
    #[command(flatten)]
    moment: super::Moment,
}

impl Args {
    pub fn run(self) -> ExitCode {
        let started = Instant::now();
        let request = Request {
            now: self.moment.now(),
            root: self.root.root,
            base_url: self.base_url,
            purpose: Purpose::Build {
                drafts: self.drafts,
            },
        };
        match crate::build::build(&request, self.output.as_deref()) {
            Ok(report) => {
                super::show(&report.warnings);
                say!("{}", report.summary(started.elapsed()));
                print_out!(crate::status::held_text(&report.held));
                ExitCode::SUCCESS
            }
            Err(errors) => {
                super::show(&errors.0);
                say_err!("{}", crate::build::failure_summary(&errors));
                ExitCode::FAILURE
            }
        }
    }
}
