//! The plan of a site: every file it is made of, with the job that makes it or the file it
//! is copied from, where it goes, and the user's file it comes from; checked for collisions
//! before anything is rendered. Made once per site model, for `build`, `check` and `serve`.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::config::Config;
use crate::error::{Diagnostic, display_path};
use crate::output::{Body, OutputFile};
use crate::site::{Site, Term};
use crate::theme::{Source, Theme};
use crate::urls::{self, KINDS, Kind};

/// Every file of a site, known before anything is rendered: each page with the job that makes
/// it, and each file copied as it is. Made once per site model, and checked for collisions
/// (two files at one path, or a file where another needs a folder) among the files of the
/// site and those that withheld notes will write once published, every collision naming the
/// user's files.
pub struct Plan {
    /// The pages and generated files, with their paths, in a fixed order.
    pub pages: Vec<(Job, String)>,
    /// Files beside notes, loose files of content/ and the theme's static files.
    pub copies: Vec<OutputFile>,
    /// The pages that withheld notes will write once published.
    unreleased: Vec<(Job, String)>,
    /// The languages whose search index is built, each into the folder of its search page
    /// (its files: [`urls::in_search_index`]; `meta.json` names the others).
    pub search: Vec<usize>,
}

impl Plan {
    /// The plan of a site, checked.
    pub fn new(site: &Site, theme: &Theme) -> Result<Plan, Vec<Diagnostic>> {
        let plan = Plan::unchecked(site, theme);
        plan.check(site)?;
        Ok(plan)
    }

    /// The plan of a site, to [`Plan::check`] unless it has the paths of a checked plan.
    pub fn unchecked(site: &Site, theme: &Theme) -> Plan {
        Plan {
            pages: plan(site),
            copies: copies(site, theme),
            unreleased: unreleased(site),
            search: if site.config.search {
                (0..site.config.languages.len()).collect()
            } else {
                Vec::new()
            },
        }
    }

    /// Two files at one path, or a file where another needs a folder, are errors naming
    /// the files they come from; so are links to site paths that no file has.
    pub fn check(&self, site: &Site) -> Result<(), Vec<Diagnostic>> {
        let mut errors = Vec::new();
        let mut all = planned(site, &self.pages);
        all.extend(self.copies.iter().cloned());
        all.extend(planned(site, &self.unreleased));
        let at = check_collisions(&site.config.root, &all, &mut errors);
        self.check_search_folders(site, &all, &mut errors);
        // The site's files now are the pages and copies, listed before the unreleased pages.
        let now = self.pages.len() + self.copies.len();
        if let Err(e) = self.check_site_links(site, |p| at.get(p).is_some_and(|&n| n < now)) {
            errors.extend(e);
        }
        // The images site.yaml names must be files the site publishes.
        let config = &site.config;
        for (key, file) in [
            ("logo", &config.logo),
            ("favicon", &config.favicon),
            ("social_card", &config.social_card),
        ] {
            if let Some(file) = file
                && at.get(file.path.as_str()).is_none_or(|&n| n >= now)
            {
                // `content/pages/logo.svg` written with the folder's name: the site's path
                // is without it.
                let help = match file.path.strip_prefix("content/") {
                    Some(inner) if at.get(inner).is_some_and(|&n| n < now) => format!(
                        "write the path without `content/`: {key}: {inner} (files under content/ are published at their path inside it)"
                    ),
                    _ => format!(
                        "put the image at content/{}, or name one that is there: files under content/briefings/ and content/pages/ are published at the same path (`pages/{key}.svg`), and so are those of the theme's static/ folder",
                        file.path
                    ),
                };
                errors.push(file.error(
                    format!("the {key} `{}` is not a file of the site", file.path),
                    help,
                ));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// The search index's files go into the folder of their language's search page, where no
    /// other `.json` file may go: the index would replace it.
    fn check_search_folders(&self, site: &Site, all: &[OutputFile], errors: &mut Vec<Diagnostic>) {
        let root = &site.config.root;
        for &lang in &self.search {
            let code = &site.config.languages[lang].code;
            for f in all.iter().filter(|f| urls::in_search_index(&f.path, code)) {
                let source = match (&f.from, &f.body) {
                    (Some(from), _) => Some(from),
                    (None, Body::File(p)) => Some(p),
                    _ => None,
                };
                let mut d = Diagnostic::error(format!(
                    "/{} is in the folder of the {code} search index, which the index's files fill: the index would replace it",
                    f.path
                ))
                .help("rename the file or move it to another folder; the search page's folder holds its index only");
                if let Some(from) = source {
                    d = d.file(from.strip_prefix(root).unwrap_or(from));
                }
                errors.push(d);
            }
        }
    }

    /// Links to site paths (`/en/about/`) that no file of the site has are errors at their
    /// line, like links to a missing note; `has(path)` says whether the site has a file at a
    /// path (this plan's pages and copies). A link from a published note to a page a
    /// withheld note will write is an error too: the page does not exist yet.
    pub fn check_site_links(
        &self,
        site: &Site,
        has: impl Fn(&str) -> bool,
    ) -> Result<(), Vec<Diagnostic>> {
        self.check_site_links_of(site, 0..site.notes.len(), has)
    }

    /// [`Plan::check_site_links`] for the notes `of` alone (by their place in the site).
    pub fn check_site_links_of(
        &self,
        site: &Site,
        of: impl Iterator<Item = usize>,
        has: impl Fn(&str) -> bool,
    ) -> Result<(), Vec<Diagnostic>> {
        let unreleased: std::collections::HashSet<&str> =
            self.unreleased.iter().map(|(_, p)| p.as_str()).collect();
        let mut errors = Vec::new();
        for i in of {
            let note = &site.notes[i];
            let Some(rendered) = &site.rendered[i] else {
                continue;
            };
            for (offset, path) in &rendered.site_links {
                let candidates = if path.is_empty() || path.ends_with('/') {
                    vec![urls::page_file(path)]
                } else {
                    vec![path.clone(), urls::page_file(&format!("{path}/"))]
                };
                let found = |set: &dyn Fn(&str) -> bool| candidates.iter().any(|c| set(c));
                if found(&has) {
                    continue;
                }
                let later = found(&|p: &str| unreleased.contains(p));
                // A withheld note may link to another: both are published together.
                if later && !site.is_published(i) {
                    continue;
                }
                let (line, column) = crate::error::line_col(note.text(), note.body_start + offset);
                let (message, help) = if later {
                    (
                        format!("the link `/{path}` leads to a note that is not published yet"),
                        "link to the note's file (../other-note.en.md) instead: its words are then published, and the link with the note",
                    )
                } else {
                    (
                        format!("the link `/{path}` leads to no page or file of this site"),
                        "check the address; to link to a note, link to its file (../other-note.en.md), which follows the note wherever it goes",
                    )
                };
                errors.push(
                    Diagnostic::error(message)
                        .file(&note.shown)
                        .at(note.text(), line, column, 1)
                        .help(help),
                );
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// Whether both plans write the same paths, so that both pass [`Plan::check`] or neither.
    pub fn same_paths(&self, other: &Plan) -> bool {
        let paths = |p: &[(Job, String)], q: &[(Job, String)]| {
            p.len() == q.len() && p.iter().zip(q).all(|(a, b)| a.1 == b.1)
        };
        paths(&self.pages, &other.pages)
            && paths(&self.unreleased, &other.unreleased)
            && self.search == other.search
            && self.copies.len() == other.copies.len()
            && self
                .copies
                .iter()
                .zip(&other.copies)
                .all(|(a, b)| a.path == b.path)
    }
}

/// One generated file of the site. Languages and terms are indices into the site model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Job {
    /// A briefing's or static page's page.
    Note(usize),
    /// Page `page` (from 1) of a language's home (`term` None) or of a term's listing.
    Listing {
        lang: usize,
        term: Option<(Kind, usize)>,
        page: usize,
    },
    /// All projects, funders or tags of a language.
    TermIndex {
        lang: usize,
        kind: Kind,
    },
    /// The Atom feed of a language, or of one of its projects, funders or tags.
    Feed {
        lang: usize,
        term: Option<(Kind, usize)>,
    },
    Root,
    NotFound,
    Robots,
    Sitemap,
    /// A redirect from a note's old URL: the `alias`-th of its aliases.
    Alias {
        note: usize,
        alias: usize,
    },
    /// A vCard of the site: an index into `site.vcards.cards`.
    VCard(usize),
    /// The search page of a language.
    Search {
        lang: usize,
    },
}

/// When a file may go live on a web host, so that a visitor never follows a link to a file
/// that is not there yet: the files pages show or offer first, then the pages, then what
/// lists and links to pages (listings, feeds, the sitemap, the search index).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    Asset,
    Page,
    Listing,
}

impl Stage {
    /// The search index's files list pages: they go live with the listings.
    pub const SEARCH_INDEX: Stage = Stage::Listing;
}

impl Job {
    /// The stage of the file this job makes.
    pub fn stage(&self) -> Stage {
        match self {
            Job::VCard(_) => Stage::Asset,
            Job::Note(_) | Job::Alias { .. } | Job::NotFound | Job::Robots => Stage::Page,
            Job::Listing { .. }
            | Job::TermIndex { .. }
            | Job::Feed { .. }
            | Job::Root
            | Job::Sitemap
            | Job::Search { .. } => Stage::Listing,
        }
    }
}

/// Every generated file of the site, with its output path, in a fixed order.
fn plan(site: &Site) -> Vec<(Job, String)> {
    let r = Layout::new(site);
    let mut jobs = Vec::new();
    for i in (0..site.notes.len()).filter(|&i| site.is_published(i)) {
        jobs.push(Job::Note(i));
        for a in 0..site.notes[i].aliases.len() {
            jobs.push(Job::Alias { note: i, alias: a });
        }
    }
    // One vCard per distinct contact and language, shared by the notes naming the contact.
    jobs.extend((0..site.vcards.cards.len()).map(Job::VCard));
    for (l, index) in site.languages.values().enumerate() {
        let pages = |len: usize| len.div_ceil(site.config.per_page).max(1);
        for page in 1..=pages(index.briefings.len()) {
            jobs.push(Job::Listing {
                lang: l,
                term: None,
                page,
            });
        }
        jobs.push(Job::Feed {
            lang: l,
            term: None,
        });
        if site.config.search {
            jobs.push(Job::Search { lang: l });
        }
        for kind in KINDS {
            jobs.push(Job::TermIndex { lang: l, kind });
            for (t, term) in index.terms(kind).iter().enumerate() {
                for page in 1..=pages(term.notes.len()) {
                    jobs.push(Job::Listing {
                        lang: l,
                        term: Some((kind, t)),
                        page,
                    });
                }
                jobs.push(Job::Feed {
                    lang: l,
                    term: Some((kind, t)),
                });
            }
        }
    }
    jobs.extend([Job::Root, Job::NotFound, Job::Robots, Job::Sitemap]);
    jobs.into_iter().map(|j| (j, r.path(j))).collect()
}

/// The pages and redirects that withheld notes (drafts, notes under embargo) will write once
/// published: checked for collisions with the site now, so that the build that releases them
/// cannot fail on one.
fn unreleased(site: &Site) -> Vec<(Job, String)> {
    let r = Layout::new(site);
    (0..site.notes.len())
        .filter(|&i| !site.is_published(i))
        .flat_map(|i| {
            let aliases =
                (0..site.notes[i].aliases.len()).map(move |a| Job::Alias { note: i, alias: a });
            std::iter::once(Job::Note(i)).chain(aliases)
        })
        .map(|j| (j, r.path(j)))
        .collect()
}

/// The files copied as they are: files beside notes, loose files of content/, theme statics.
fn copies(site: &Site, theme: &Theme) -> Vec<OutputFile> {
    let mut files = Vec::new();
    // A note folder's files are published once, with the first published version of it.
    let mut bundles = std::collections::HashSet::new();
    for (i, note) in site.notes.iter().enumerate() {
        let Some(bundle) = &note.bundle else {
            continue;
        };
        if !site.is_published(i) || !bundles.insert(bundle.as_str()) {
            continue;
        }
        for asset in &note.assets {
            let path = note.asset_path(asset);
            files.push(OutputFile {
                body: published(site, &path, &asset.source),
                path,
                from: None,
                key: None,
            });
        }
    }
    for asset in &site.loose_assets {
        if site.held_assets.contains(&asset.rel) {
            continue;
        }
        let path = urls::content_file(&asset.rel);
        files.push(OutputFile {
            body: published(site, &path, &asset.source),
            path,
            from: None,
            key: None,
        });
    }
    // The resized copies of images shown in the text, beside their originals.
    let mut shown: Vec<_> = site.pictures.iter().collect();
    shown.sort_unstable_by(|a, b| a.0.cmp(b.0));
    for (rel, picture) in shown {
        let original = site.config.root.join(crate::paths::CONTENT_DIR).join(rel);
        for v in picture.variants.iter().chain(&picture.webp) {
            files.push(OutputFile {
                path: urls::image_variant(rel, v.width, v.format.extension()),
                body: Body::File(v.file.clone()),
                from: Some(original.clone()),
                key: None,
            });
        }
    }
    for s in &theme.statics {
        files.push(OutputFile {
            path: s.rel.clone(),
            body: match &s.source {
                Source::BuiltIn(bytes) => Body::Static(bytes),
                Source::File(p) => Body::File(p.clone()),
            },
            from: None,
            key: None,
        });
    }
    files
}

/// What is published of a file of content/ at `path`: an image without its identifying
/// metadata, any other file as it is.
fn published(site: &Site, path: &str, source: &std::path::Path) -> Body {
    match site.cleaned.get(path) {
        Some(c) => Body::File(c.file.clone()),
        None => Body::File(source.to_path_buf()),
    }
}

/// The files a plan will write, without their content: to check them for collisions before
/// anything is rendered.
fn planned(site: &Site, plan: &[(Job, String)]) -> Vec<OutputFile> {
    plan.iter()
        .map(|(job, path)| OutputFile {
            path: path.clone(),
            body: Body::Static(&[]),
            from: source(site, *job),
            key: None,
        })
        .collect()
}

/// The user's file a job's output comes from, if one: a note, or the first note naming a
/// vCard's contact.
pub fn source(site: &Site, job: Job) -> Option<PathBuf> {
    match job {
        Job::Note(i) | Job::Alias { note: i, .. } => Some(site.notes[i].source.clone()),
        Job::VCard(c) => Some(site.notes[site.vcards.cards[c].note].source.clone()),
        _ => None,
    }
}

/// Where every file of the site goes: paths from the site model alone, no theme needed.
pub struct Layout<'a> {
    site: &'a Site,
    config: &'a Config,
}

impl<'a> Layout<'a> {
    pub fn new(site: &'a Site) -> Self {
        Layout {
            site,
            config: &site.config,
        }
    }

    pub fn lang(&self, l: usize) -> &'a str {
        &self.config.languages[l].code
    }

    pub fn term(&self, lang: usize, kind: Kind, t: usize) -> &'a Term {
        &self.site.languages[lang].terms(kind)[t]
    }

    /// The folder of a listing: `en/` or `en/projects/<key>/`.
    pub fn listing_dir(&self, lang: usize, term: Option<(Kind, usize)>) -> String {
        let code = self.lang(lang);
        match term {
            None => urls::home(code),
            Some((kind, t)) => urls::term(code, kind, &self.term(lang, kind, t).key),
        }
    }

    pub fn listing_page_path(
        &self,
        lang: usize,
        term: Option<(Kind, usize)>,
        page: usize,
    ) -> String {
        urls::listing_page(&self.listing_dir(lang, term), page)
    }

    /// The site path of a job's page (`en/briefings/x/`), as canonical URLs use it.
    pub fn page_path(&self, job: Job) -> String {
        match job {
            Job::Note(i) => self.site.notes[i].path(),
            Job::Listing { lang, term, page } => self.listing_page_path(lang, term, page),
            Job::TermIndex { lang, kind } => urls::term_index(self.lang(lang), kind),
            Job::Feed { lang, term } => self.listing_dir(lang, term),
            Job::Root => urls::ROOT.into(),
            Job::Search { lang } => urls::search(self.lang(lang)),
            Job::NotFound => urls::NOT_FOUND.into(),
            Job::Robots => urls::ROBOTS.into(),
            Job::Sitemap => urls::SITEMAP.into(),
            Job::Alias { note, .. } => self.site.notes[note].path(),
            Job::VCard(c) => self.site.vcards.cards[c].path.clone(),
        }
    }

    /// The output file of a job.
    pub fn path(&self, job: Job) -> String {
        match job {
            Job::Note(_)
            | Job::Listing { .. }
            | Job::TermIndex { .. }
            | Job::Root
            | Job::Search { .. } => urls::page_file(&self.page_path(job)),
            Job::Feed { .. } => urls::feed(&self.page_path(job)),
            Job::NotFound | Job::Robots | Job::Sitemap | Job::VCard(_) => self.page_path(job),
            Job::Alias { note, alias } => urls::alias_file(&self.site.notes[note].aliases[alias]),
        }
    }

    /// The briefings of a listing: a language's, or a term's.
    pub fn listing_items(&self, lang: usize, term: Option<(Kind, usize)>) -> &'a [usize] {
        match term {
            None => &self.site.languages[lang].briefings,
            Some((kind, t)) => &self.term(lang, kind, t).notes,
        }
    }
}

/// Two sources that would write the same output file are an error naming both. Returns
/// where each path stands in `files` (of two that collide, the later).
fn check_collisions<'f>(
    root: &std::path::Path,
    files: &'f [OutputFile],
    errors: &mut Vec<Diagnostic>,
) -> HashMap<&'f str, usize> {
    let describe = |f: &OutputFile| {
        let shown = |p: &PathBuf| display_path(p.strip_prefix(root).unwrap_or(p));
        match (&f.from, &f.body) {
            (Some(from), _) => format!("{} ({})", shown(from), f.path),
            (None, Body::File(p)) => shown(p),
            _ => format!("the generated page {}", f.path),
        }
    };
    let report = |message: String, a: &OutputFile, b: &OutputFile| {
        let mut d = Diagnostic::error(message)
            .help("change the alias, slug or file name so that each page and file has its own URL");
        if let Some(from) = b.from.as_ref().or(a.from.as_ref()) {
            d = d.file(from.strip_prefix(root).unwrap_or(from));
        }
        d
    };
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (n, f) in files.iter().enumerate() {
        if let Some(first) = seen.insert(f.path.as_str(), n) {
            let message = format!(
                "two things would be written to /{}: {} and {}",
                f.path,
                describe(&files[first]),
                describe(f)
            );
            errors.push(report(message, &files[first], f));
        }
    }
    // Two paths that differ only in capitals are one file on a host that ignores case
    // (Windows, macOS, many shares): one would overwrite the other there.
    let mut folded: HashMap<std::borrow::Cow<str>, usize> = HashMap::with_capacity(files.len());
    for (n, f) in files.iter().enumerate() {
        let key = if f.path.chars().any(char::is_uppercase) {
            std::borrow::Cow::Owned(f.path.to_lowercase())
        } else {
            std::borrow::Cow::Borrowed(f.path.as_str())
        };
        if let Some(first) = folded.insert(key, n)
            && files[first].path != f.path
        {
            let message = format!(
                "/{} and /{} differ only in capital letters: on a host that ignores case, one would overwrite the other ({} and {})",
                files[first].path,
                f.path,
                describe(&files[first]),
                describe(f)
            );
            errors.push(report(message, &files[first], f));
        }
    }
    // A file where another needs a folder: an alias `/robots.txt` is `robots.txt/index.html`.
    for f in files {
        let mut end = 0;
        while let Some(slash) = f.path[end..].find('/') {
            end += slash;
            if let Some(&n) = seen.get(&f.path[..end]) {
                let message = format!(
                    "/{} is a file of the site, so {} cannot be written inside it",
                    &f.path[..end],
                    describe(f)
                );
                errors.push(report(message, &files[n], f));
                break;
            }
            end += 1;
        }
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::open::{Purpose, Request};

    fn basic(search: bool) -> (Site, Theme) {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/basic");
        let request = Request {
            root,
            now: "2020-01-01".parse().unwrap(),
            base_url: None,
            purpose: Purpose::Publish,
        };
        let mut opened = request.open().unwrap();
        opened.config.search = search;
        opened.load().unwrap()
    }

    #[test]
    fn every_file_has_one_path_and_goes_live_after_what_it_links_to() {
        let (site, theme) = basic(true);
        let plan = Plan::new(&site, &theme).unwrap();
        let mut paths: Vec<&str> = plan
            .pages
            .iter()
            .map(|(_, p)| p.as_str())
            .chain(plan.copies.iter().map(|c| c.path.as_str()))
            .collect();
        let count = paths.len();
        paths.sort_unstable();
        paths.dedup();
        assert_eq!(paths.len(), count, "a path is planned twice");
        for path in [
            "index.html",
            "404.html",
            "robots.txt",
            "sitemap.xml",
            "en/index.html",
        ] {
            assert!(paths.contains(&path), "{path} is not planned");
        }
        // Nothing withheld is planned now: the embargoed note is not among the pages.
        assert!(!paths.iter().any(|p| p.contains("embargoed")));
        assert!(plan.unreleased.iter().any(|(_, p)| p.contains("embargoed")));
        // Files before the pages that show them, pages before what lists them.
        assert!(Stage::Asset < Stage::Page && Stage::Page < Stage::SEARCH_INDEX);
        for (job, path) in &plan.pages {
            let expected = match job {
                Job::Note(_) => Stage::Page,
                Job::Listing { .. } | Job::Feed { .. } | Job::Sitemap => Stage::Listing,
                _ => continue,
            };
            assert_eq!(job.stage(), expected, "{path}");
        }
        // Every language has its index, in the folder of its search page.
        assert_eq!(plan.search, [0, 1]);
        assert!(urls::in_search_index("en/search/words-3.json", "en"));
        assert!(!urls::in_search_index("en/search/index.html", "en"));
        assert!(!urls::in_search_index("en/search/x/meta.json", "en"));
    }

    #[test]
    fn without_search_no_index_is_planned_and_its_folder_is_free() {
        let (site, theme) = basic(false);
        let plan = Plan::new(&site, &theme).unwrap();
        assert!(plan.search.is_empty());
    }
}
