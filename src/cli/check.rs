//! `briefing check`.

use std::io::IsTerminal;
use std::process::ExitCode;

use super::Format;
use crate::open::Request;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    root: super::Root,
    /// Fail on warnings too (a missing translation, an image without alt text, …)
    #[arg(long)]
    strict: bool,
    #[command(flatten)]
    output: super::Output,
    #[command(flatten)]
    moment: super::Moment,
}

impl Args {
    pub fn run(self) -> ExitCode {
        let report = crate::check::check(&Request::publish(self.root.root, self.moment.now()));
        match self.output.format {
            Format::Human => print_out!(report.human(std::io::stdout().is_terminal())),
            Format::Json => say!("{}", report.json()),
        }
        if report.failed(self.strict) {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        }
    }
}
