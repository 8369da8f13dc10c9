//! The front door: every command opens the site here, the same way. site.yaml is read once,
//! the moment embargoes are decided at is placed in its time zone once, and what a command
//! publishes (drafts, notes under embargo) follows from what it is for. `build`, `check`,
//! `status`, `deploy` and `serve` differ only in what they do with the site once open.

use std::path::PathBuf;

use jiff::Timestamp;

use crate::config::Config;
use crate::content::{self, Content};
use crate::dates::Now;
use crate::error::{Diagnostic, Diagnostics};
use crate::memory::{Shelf, Shelved};
use crate::site::{Selection, Site};
use crate::theme::Theme;

/// What a command opens the site for: it decides which notes are published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// The public site; drafts too with `build --drafts`.
    Build { drafts: bool },
    /// What a build would publish now: `check`, `status`, `deploy`.
    Publish,
    /// The local preview: drafts and notes under embargo, each with its banner.
    Preview,
}

/// What a command asks of the site, decided once at the command line.
#[derive(Debug, Clone)]
pub struct Request {
    /// The site folder, holding site.yaml.
    pub root: PathBuf,
    /// The moment embargoes are decided at.
    pub now: Now,
    /// In place of site.yaml's `base_url`.
    pub base_url: Option<String>,
    pub purpose: Purpose,
}

impl Request {
    /// The public site at `root` as it is now.
    pub fn publish(root: impl Into<PathBuf>, now: Now) -> Request {
        Request {
            root: root.into(),
            now,
            base_url: None,
            purpose: Purpose::Publish,
        }
    }

    /// Reads site.yaml and decides the moment: the site's settings for this command.
    pub fn open(&self) -> Result<Opened, Diagnostics> {
        let mut config = Config::load(&self.root)?;
        if let Some(url) = &self.base_url {
            config = config.with_base_url(url)?;
        }
        let selection = self.selection(&config)?;
        Ok(Opened { config, selection })
    }

    /// Which notes are published, at the moment asked for (the clock: read now).
    pub fn selection(&self, config: &Config) -> Result<Selection, Diagnostics> {
        Ok(Selection {
            now: self.moment(config)?,
            drafts: matches!(
                self.purpose,
                Purpose::Build { drafts: true } | Purpose::Preview
            ),
            embargoed: self.purpose == Purpose::Preview,
        })
    }

    fn moment(&self, config: &Config) -> Result<Timestamp, Diagnostics> {
        self.now.at(config.timezone.as_ref()).map_err(|help| {
            let text = self.now.written().unwrap_or_default();
            Diagnostic::error(format!("--now `{text}` is not a date or time"))
                .help(help)
                .into()
        })
    }
}

/// A site opened for a command: its settings and which notes it publishes.
pub struct Opened {
    pub config: Config,
    pub selection: Selection,
}

impl Opened {
    /// Reads the content, then builds the model and loads the theme.
    pub fn load(self) -> Result<(Site, Theme), Diagnostics> {
        self.load_then(|| ())
    }

    /// [`Opened::load`], calling `read` once the files under content/ are read.
    pub fn load_then(self, read: impl FnOnce()) -> Result<(Site, Theme), Diagnostics> {
        let content = content::load(&self.config);
        read();
        self.assemble(content)
    }

    /// Builds the site model from content already read, with the theme: the errors of both
    /// at once.
    pub fn assemble(self, content: Content) -> Result<(Site, Theme), Diagnostics> {
        self.assemble_with(content, None)
    }

    /// [`Opened::assemble`], taking the rendered Markdown of notes from `shelf` (what the
    /// last build learned) where nothing it depends on changed; and what to keep for the
    /// next build.
    pub fn assemble_remembering(
        self,
        content: Content,
        shelf: &Shelf,
    ) -> (Result<(Site, Theme), Diagnostics>, Vec<Shelved>) {
        let mut learned = Vec::new();
        let assembled = self.assemble_with(content, Some((shelf, &mut learned)));
        (assembled, learned)
    }

    fn assemble_with(
        self,
        content: Content,
        shelf: Option<(&Shelf, &mut Vec<Shelved>)>,
    ) -> Result<(Site, Theme), Diagnostics> {
        let theme = Theme::load(&self.config);
        let site = match shelf {
            Some((shelf, learned)) => {
                let (site, l) = Site::new_remembering(self.config, content, &self.selection, shelf);
                *learned = l;
                site
            }
            None => Site::new(self.config, content, &self.selection),
        };
        match (site, theme) {
            (Ok(site), Ok(theme)) => Ok((site, theme)),
            (site, theme) => {
                let mut errors = site.err().unwrap_or_default();
                errors.extend(theme.err().unwrap_or_default());
                Err(Diagnostics(errors))
            }
        }
    }

    /// The site model alone, for what needs no page: which notes are held back.
    pub fn model(self) -> Result<Site, Diagnostics> {
        let content = content::load(&self.config);
        Site::new(self.config, content, &self.selection).map_err(Diagnostics)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(purpose: Purpose) -> Request {
        Request {
            root: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/basic"),
            now: "2020-01-01".parse().unwrap(),
            base_url: Some("http://127.0.0.1:1111".into()),
            purpose,
        }
    }

    #[test]
    fn the_purpose_decides_what_is_published_and_the_moment_is_the_sites() {
        let cases = [
            (Purpose::Publish, false, false),
            (Purpose::Build { drafts: false }, false, false),
            (Purpose::Build { drafts: true }, true, false),
            (Purpose::Preview, true, true),
        ];
        for (purpose, drafts, embargoed) in cases {
            let opened = request(purpose).open().unwrap();
            let selection = &opened.selection;
            assert_eq!(
                (selection.drafts, selection.embargoed),
                (drafts, embargoed),
                "{purpose:?}"
            );
            // Midnight in Shanghai, the fixture's time zone.
            assert_eq!(selection.now.to_string(), "2019-12-31T16:00:00Z");
            assert_eq!(opened.config.base_url, "http://127.0.0.1:1111");
        }
    }

    #[test]
    fn a_site_opens_with_every_error_at_once() {
        let mut broken = request(Purpose::Publish);
        broken.root = broken.root.with_file_name("broken");
        let errors = broken.open().and_then(Opened::load).err().unwrap();
        assert!(errors.error_count() > 1, "{errors}");
    }
}
