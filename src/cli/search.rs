//! `briefing search QUERY`.

use std::path::PathBuf;
use std::process::ExitCode;

use super::Format;

#[derive(clap::Args)]
pub struct Args {
    /// What a reader types, e.g. "trafficking 2015" or 边境管理
    query: String,
    /// The language whose briefings to search [default: the site's default language]
    #[arg(long, value_name = "LANG")]
    lang: Option<String>,
    /// How many results to list
    #[arg(long, default_value_t = 10, value_name = "N")]
    limit: usize,
    #[command(flatten)]
    root: super::Root,
    /// The built site [default: <root>/output]
    #[arg(long, value_name = "DIR")]
    output: Option<PathBuf>,
    #[command(flatten)]
    format: super::Output,
}

impl Args {
    pub fn run(self) -> ExitCode {
        let answer = crate::search::query::answer(
            &self.root.root,
            self.output.as_deref(),
            self.lang.as_deref(),
            &self.query,
            self.limit,
        );
        match answer {
            Ok(answer) => {
                match self.format.format {
                    Format::Human => print_out!(answer.human()),
                    Format::Json => say!(
                        "{}",
                        serde_json::to_string_pretty(&answer).unwrap_or_default()
                    ),
                }
                ExitCode::SUCCESS
            }
            Err(d) => super::fail(&d),
        }
    }
}
