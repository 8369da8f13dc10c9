//! `briefing status [TARGET]`.

use std::process::ExitCode;

use serde::Serialize;

use super::Format;
use crate::deploy::Live;
use crate::open::Request;
use crate::status::Status;

#[derive(clap::Args)]
pub struct Args {
    /// A target of site.yaml's `deploy:`: also say what is live there and what a deploy
    /// now would send and delete
    target: Option<String>,
    #[command(flatten)]
    root: super::Root,
    #[command(flatten)]
    moment: super::Moment,
    #[command(flatten)]
    output: super::Output,
}

/// What `status --format json` prints: the status, and what is live on the target asked for.
#[derive(Serialize)]
struct Report {
    #[serde(flatten)]
    status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    live: Option<Live>,
}

impl Args {
    pub fn run(self) -> ExitCode {
        let request = Request::publish(self.root.root, self.moment.now());
        let report = crate::status::status(&request).and_then(|status| {
            let live = match &self.target {
                Some(target) => Some(crate::deploy::live(&request, Some(target))?),
                None => None,
            };
            Ok(Report { status, live })
        });
        let report = match report {
            Ok(report) => report,
            Err(d) => return super::fail(&d),
        };
        match self.output.format {
            Format::Human => {
                print_out!(report.status.human());
                if let Some(live) = &report.live {
                    print_out!(live.human());
                }
            }
            Format::Json => say!(
                "{}",
                serde_json::to_string_pretty(&report).unwrap_or_default()
            ),
        }
        ExitCode::SUCCESS
    }
}
