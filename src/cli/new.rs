//! `briefing new SLUG`.

use std::process::ExitCode;

use crate::error::display_path;

#[derive(clap::Args)]
pub struct Args {
    /// The note's URL name: lowercase letters, digits and hyphens, e.g. 2016-05-study-tour
    slug: String,
    /// The languages to create, comma-separated [default: all languages of site.yaml]
    #[arg(long, value_delimiter = ',', value_name = "LANGS")]
    lang: Option<Vec<String>>,
    #[command(flatten)]
    root: super::Root,
}

impl Args {
    pub fn run(self) -> ExitCode {
        let root = &self.root.root;
        match crate::scaffold::new_note(root, &self.slug, self.lang.as_deref()) {
            Ok(files) => {
                for f in &files {
                    say!(
                        "Created {}",
                        display_path(f.strip_prefix(root).unwrap_or(f))
                    );
                }
                say!(
                    "The note is a draft: delete the line `draft: true` when it is ready to publish."
                );
                ExitCode::SUCCESS
            }
            Err(d) => super::fail(&d),
        }
    }
}
