//! `briefing init DIR`.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::error::display_path;

#[derive(clap::Args)]
pub struct Args {
    /// The folder of the new site
    dir: PathBuf,
}

impl Args {
    pub fn run(self) -> ExitCode {
        match crate::scaffold::init(&self.dir) {
            Ok(n) => {
                say!(
                    "Created a new site in {} ({n} files).",
                    display_path(&self.dir)
                );
                say!("Next: cd {} && briefing serve", display_path(&self.dir));
                ExitCode::SUCCESS
            }
            Err(d) => super::fail(&d),
        }
    }
}
