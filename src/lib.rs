//! briefing: a static site generator for bilingual press briefing notes.
//!
//! The build is one pipeline, a module per stage:
//! [`config`] (site.yaml) → [`content`] (files → notes) → [`markdown`] → [`site`] (the model)
//! → [`render`] (templates → output files) → [`output`] (written atomically to disk).

pub mod check;
pub mod config;
pub mod content;
pub mod dates;
pub mod error;
pub mod markdown;
pub mod output;
pub mod preview;
pub mod render;
pub mod safety;
pub mod scaffold;
pub mod search;
pub mod serve;
pub mod site;
pub mod theme;
pub mod vcard;
mod yaml;

use std::path::PathBuf;

use indexmap::IndexMap;
use jiff::Timestamp;

use crate::config::Config;
use crate::error::{Diagnostic, Diagnostics};
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
fn parse_now(config: &Config, now: Option<&str>) -> Result<Timestamp, Diagnostics> {
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

    // Every path is known before anything is rendered: collisions are found first.
    let plan = render::plan(&site);
    let copies = render::copies(&site, &theme);
    let mut errors = Vec::new();
    let mut all = render::planned(&site, &plan);
    all.extend(copies.iter().cloned());
    all.extend(render::planned(&site, &render::unreleased(&site)));
    render::check_collisions(&site.config.root, &all, &mut errors);
    if !errors.is_empty() {
        return Err(Diagnostics(errors));
    }
    drop(all);

    // Rendered in slices written as they come, so the whole site is never held in memory. The
    // search index is built from the site model alongside, on the cores rendering leaves idle
    // while a slice is written.
    let staging = output::Staging::create(lock)?;
    let write = |files: &[render::OutputFile]| staging.write(files);
    let (rendering, index) = rayon::join(
        || {
            let mut errors = Vec::new();
            const SLICE: usize = 1024;
            for slice in plan.chunks(SLICE) {
                let jobs: Vec<render::Job> = slice.iter().map(|(j, _)| *j).collect();
                let mut rendered = Vec::with_capacity(jobs.len());
                for result in render::render_jobs(&site, &theme, &jobs) {
                    match result {
                        Ok(f) => rendered.push(f),
                        Err(e) => errors.push(e),
                    }
                }
                if errors.is_empty()
                    && let Err(e) = staging.write(&rendered)
                {
                    errors.push(e);
                }
            }
            errors
        },
        || site.config.search.then(|| search::index(&site, &write)),
    );
    errors.extend(rendering);
    let mut search_files = 0;
    let search = match index {
        Some(Ok(indexed)) => {
            search_files = indexed.files;
            Some(indexed.report)
        }
        Some(Err(e)) => {
            errors.push(e);
            None
        }
        None => None,
    };
    if errors.is_empty()
        && let Err(e) = staging.write(&copies)
    {
        errors.push(e);
    }
    if !errors.is_empty() {
        staging.abort();
        return Err(Diagnostics(errors));
    }
    staging.commit()?;

    let files: Vec<&str> = plan
        .iter()
        .map(|(_, p)| p.as_str())
        .chain(copies.iter().map(|c| c.path.as_str()))
        .collect();
    let file_count = files.len() + search_files;
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
        next_release: embargoes.iter().min().map(|t| {
            let tz = site
                .config
                .timezone
                .clone()
                .unwrap_or(jiff::tz::TimeZone::UTC);
            t.to_zoned_datetime(tz)
                .strftime("%Y-%m-%d %H:%M %:z")
                .to_string()
        }),
        output,
        warnings: site.warnings.into_iter().chain(theme.warnings).collect(),
        search,
    })
}
