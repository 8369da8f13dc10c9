//! briefing: a static site generator for bilingual press briefing notes.
//!
//! The build is one pipeline, a module per stage:
//! [`config`] (site.yaml) → [`content`] (files → notes) → [`markdown`] → [`site`] (the model)
//! → [`render`] (templates → output files) → [`output`] (written atomically to disk).

mod changes;
mod check;
mod config;
mod contact;
mod content;
mod dates;
mod deploy;
mod error;
mod images;
mod markdown;
mod output;
mod pipeline;
mod plan;
mod preview;
mod render;
mod safety;
mod scaffold;
mod search;
mod serve;
mod site;
mod size;
mod status;
mod theme;
mod urls;
mod vcard;
mod yaml;

// What the `briefing` program and the tests use; everything else is private to the library.
pub use check::{CheckReport, check};
pub use config::{Config, RawHtml};
pub use content::parse_note_text;
pub use deploy::{
    DeployOptions, DeployReport, Live, Progress, deploy, live, watch as deploy_watch,
};
pub use error::{Diagnostic, Diagnostics, display_path};
pub use markdown::{Target, render as render_markdown};
pub use output::left_part_way;
pub use preview::{Change, Preview, PreviewOptions, bytes_of};
pub use safety::{UrlUse, check_url};
pub use scaffold::{init, new_note};
pub use search::query::{Answer, answer as search};
pub use serve::{Log, ServeOptions, serve};
pub use size::human_size;
pub use status::{Held, Status, held_text, status};

use std::path::PathBuf;

use indexmap::IndexMap;
use jiff::Timestamp;

use crate::site::{Selection, Site, Withheld};
use crate::theme::Theme;

/// What `briefing build` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// The site root (holding site.yaml).
    pub root: PathBuf,
    /// The output folder; default `<root>/output`.
    pub output: Option<PathBuf>,
    /// Overrides `base_url` of site.yaml.
    pub base_url: Option<String>,
    /// Publish drafts too.
    pub drafts: bool,
    /// "Now" for embargo decisions (RFC 3339 or YYYY-MM-DD); default the clock.
    pub now: Option<String>,
}

/// What a successful build did.
#[derive(Debug)]
pub struct BuildReport {
    /// HTML pages written, per language code.
    pub pages: IndexMap<String, usize>,
    /// All HTML pages written, the language chooser included.
    pub total_pages: usize,
    /// All files written, pages included.
    pub files: usize,
    pub drafts_withheld: usize,
    pub embargoed: usize,
    /// When the next embargoed note may be published, in the site time zone.
    pub next_release: Option<String>,
    pub output: PathBuf,
    pub warnings: Vec<Diagnostic>,
    /// How the search index was built, when the site has search.
    pub search: Option<SearchReport>,
    /// How many images were decoded and resized, rather than taken from the image cache.
    pub images_made: usize,
    /// The notes left out, soonest release first.
    pub held: Vec<Held>,
    /// The stage of each file written (the search index's aside: they list pages, and go
    /// live with the listings).
    pub stages: std::collections::HashMap<String, plan::Stage>,
}

/// Loads content and theme and builds the site model: every error at once.
pub fn load_site(config: Config, selection: &Selection) -> Result<(Site, Theme), Diagnostics> {
    let content = content::load(&config);
    assemble(config, content, selection)
}

/// Builds the site model from loaded content, with the theme: the errors of both at once.
pub fn assemble(
    config: Config,
    content: content::Content,
    selection: &Selection,
) -> Result<(Site, Theme), Diagnostics> {
    let theme = Theme::load(&config);
    let site = Site::new(config, content, selection);
    match (site, theme) {
        (Ok(site), Ok(theme)) => Ok((site, theme)),
        (site, theme) => {
            let mut errors = site.err().unwrap_or_default();
            errors.extend(theme.err().unwrap_or_default());
            Err(Diagnostics(errors))
        }
    }
}

/// Parses a `--now` value in the site's time zone.
pub(crate) fn parse_now(config: &Config, now: Option<&str>) -> Result<Timestamp, Diagnostics> {
    let Some(text) = now else {
        return Ok(Timestamp::now());
    };
    dates::parse_when(text, config.timezone.as_ref())
        .map(|w| w.timestamp)
        .map_err(|help| {
            Diagnostic::error(format!("--now `{text}` is not a date or time"))
                .help(help)
                .into()
        })
}

/// What building the search index took.
#[derive(Debug)]
pub struct SearchReport {
    pub took: std::time::Duration,
    /// The briefings indexed, in all languages.
    pub pages: usize,
}

/// `briefing build`: the site from `root` into the output folder, or nothing changed at all.
pub fn build(options: &BuildOptions) -> Result<BuildReport, Diagnostics> {
    let shown = options
        .output
        .clone()
        .unwrap_or_else(|| options.root.join("output"));
    let output = output::check_target(&shown, &options.root)?;
    // Held until the new site is in place: no other build writes the output meanwhile.
    let lock = output::Lock::take(&output, &shown)?;
    if let Some(finished) = lock.finished() {
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), "{finished}");
    }
    let mut config = Config::load(&options.root)?;
    if let Some(url) = &options.base_url {
        config = config.with_base_url(url)?;
    }
    let selection = Selection {
        now: parse_now(&config, options.now.as_deref())?,
        drafts: options.drafts,
        embargoed: false,
    };
    let (site, theme) = load_site(config, &selection)?;
    let staging = output::Staging::create(lock)?;
    let made = match pipeline::run(&site, &theme, &staging) {
        Ok(made) => made,
        Err(errors) => {
            staging.abort();
            return Err(Diagnostics(errors));
        }
    };
    staging.commit()?;

    let files: Vec<&str> = made.paths.iter().map(|(p, _)| p.as_str()).collect();
    let file_count = files.len() + made.search_files;
    let search = made.search;
    let mut pages: IndexMap<String, usize> = site
        .config
        .languages
        .iter()
        .map(|l| (l.code.clone(), 0))
        .collect();
    for path in &files {
        if let Some((lang, _)) = path.split_once('/')
            && path.ends_with(".html")
            && let Some(n) = pages.get_mut(lang)
        {
            *n += 1;
        }
    }
    let total_pages = files.iter().filter(|p| p.ends_with(".html")).count();
    let drafts_withheld = site
        .withheld
        .iter()
        .filter(|w| **w == Some(Withheld::Draft))
        .count();
    let embargoes: Vec<Timestamp> = site
        .withheld
        .iter()
        .filter_map(|w| match w {
            Some(Withheld::Embargoed(t)) => Some(*t),
            _ => None,
        })
        .collect();
    Ok(BuildReport {
        pages,
        total_pages,
        files: file_count,
        drafts_withheld,
        embargoed: embargoes.len(),
        next_release: embargoes
            .iter()
            .min()
            .map(|&t| dates::local(t, site.config.timezone.as_ref())),
        output,
        held: status::held_back(&site),
        warnings: site.warnings.into_iter().chain(theme.warnings).collect(),
        search,
        images_made: site.images_made,
        stages: made.paths.iter().cloned().collect(),
    })
}
