//! The site model: published notes per language, in order, with translations, neighbours and
//! Markdown rendered, every cross-reference an index rather than a search.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use indexmap::IndexMap;
use jiff::Timestamp;
use rayon::prelude::*;

use crate::config::Config;
use crate::content::{Content, LooseAsset, Note, Section, resolve_relative};
use crate::error::{Diagnostic, display_path, line_col};
use crate::images::{Cleaned, Images, Picture, is_raster};
use crate::markdown::{self, Rendered, Sizes, Target, is_relative_file};
use crate::memory::{Key, Shelf, Shelved};
use crate::urls::Kind;

/// How many entries a feed holds: the newest briefings of its listing.
pub const FEED_ENTRIES: usize = 20;

/// What a build includes.
#[derive(Debug, Clone)]
pub struct Selection {
    /// "Now", for embargoes.
    pub now: Timestamp,
    /// Include drafts (`--drafts`, and `serve`).
    pub drafts: bool,
    /// Include notes under embargo (`serve` only).
    pub embargoed: bool,
}

/// Why a note is left out of a build.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Withheld {
    Draft,
    Embargoed(Timestamp),
}

/// The notes of one language, as listings need them.
#[derive(Debug, Default, Clone)]
pub struct LanguageIndex {
    /// Published briefings, newest first.
    pub briefings: Vec<usize>,
    /// Published static pages, by slug.
    pub pages: Vec<usize>,
    /// Projects of the site.yaml registry with briefings in this language, in registry order.
    pub projects: Vec<Term>,
    /// Funders likewise.
    pub funders: Vec<Term>,
    /// Tags, by their URL form.
    pub tags: Vec<Term>,
}

impl LanguageIndex {
    /// The projects, funders or tags.
    pub fn terms(&self, kind: Kind) -> &[Term] {
        match kind {
            Kind::Projects => &self.projects,
            Kind::Funders => &self.funders,
            Kind::Tags => &self.tags,
        }
    }
}

/// A project, funder or tag, with its briefings in one language.
#[derive(Debug, Clone)]
pub struct Term {
    /// The URL segment: a registry key, or a tag's URL form.
    pub key: String,
    /// The name in this language.
    pub name: String,
    /// The project's or funder's own web site.
    pub url: Option<String>,
    /// Briefings, newest first.
    pub notes: Vec<usize>,
}

/// The URL form of a tag: `Human Trafficking` → `human-trafficking`, `人口贩运` → `人口贩运`.
/// None when nothing of it can stand in a URL.
pub fn tag_key(tag: &str) -> Option<String> {
    let key = crate::markdown::url_form(tag);
    (!key.is_empty()).then_some(key)
}

/// The whole site, ready to render.
#[derive(Debug, Clone)]
pub struct Site {
    pub config: Config,
    /// Every note found, published or not.
    pub notes: Vec<Arc<Note>>,
    /// Per note: why it is withheld, if it is.
    pub withheld: Vec<Option<Withheld>>,
    /// Per note: the version whose `embargo:` applies to it (itself, or another version).
    embargo_from: Vec<Option<usize>>,
    /// Per note: its rendered body (published notes only), perhaps an outline remembered by
    /// the last build: [`Site::body`] gives it whole.
    pub rendered: Vec<Option<Arc<Rendered>>>,
    /// Per note remembered as an outline: its body rendered again, when first asked for.
    whole: Vec<std::sync::OnceLock<Option<Arc<Rendered>>>>,
    /// Per note: whether a feed carries it (its body is then rendered for feeds too).
    in_feed: Vec<bool>,
    /// Notes that failed to load (paths under content/).
    failed: HashSet<String>,
    /// Per note: the published versions of it in the other languages, in site language order.
    pub translations: Arc<Vec<Vec<usize>>>,
    /// Per note: all its versions in the other languages, published or not.
    pub all_versions: Arc<Vec<Vec<usize>>>,
    /// Per note: its place in its language's briefing list.
    pub position: Vec<Option<usize>>,
    /// Per language code; shared with the models the preview makes from this one.
    pub languages: Arc<IndexMap<String, LanguageIndex>>,
    pub loose_assets: Vec<LooseAsset>,
    /// Loose files of content/ held back with a withheld note (paths under content/): those
    /// only withheld notes link to, and those named after a withheld single-file note.
    pub held_assets: HashSet<String>,
    pub warnings: Vec<Diagnostic>,
    /// "Now" of this build: the date of feeds that have no entries.
    pub now: Timestamp,
    /// A fingerprint of everything a relative link in a note can resolve to.
    link_targets: u64,
    /// What relative links resolve against.
    link_index: Arc<LinkIndex>,
    /// The vCards of the published notes' contacts.
    pub vcards: crate::vcard::Cards,
    /// Per published image of content/ (path under content/): the file to publish, without
    /// what could locate or identify a person.
    pub cleaned: HashMap<String, Cleaned>,
    /// Per image shown in a published note's text: its copies resized for the web.
    pub pictures: HashMap<String, Arc<Picture>>,
    /// How many images this model resized rather than took from the cache.
    pub images_made: usize,
    /// The warnings of the front matter of notes (embargoes, events, downloads) before they
    /// were folded with the others: the same as long as no front matter changes.
    front_warnings: Vec<Diagnostic>,
}

impl Site {
    /// Builds the model from loaded content: selects, orders, pairs and renders the notes.
    pub fn new(
        config: Config,
        content: Content,
        selection: &Selection,
    ) -> Result<Site, Vec<Diagnostic>> {
        Site::new_reusing(config, content, selection, None)
    }

    /// Like [`Site::new`], taking the rendered Markdown of `previous` for notes whose text is
    /// the same, as long as no note, file or publication state that links depend on changed.
    pub fn new_reusing(
        config: Config,
        content: Content,
        selection: &Selection,
        previous: Option<&Site>,
    ) -> Result<Site, Vec<Diagnostic>> {
        Site::make(config, content, selection, previous, None)
    }

    /// Like [`Site::new`], taking the rendered Markdown of notes from `shelf` (what the last
    /// build learned) where nothing it depends on changed; and what to keep for the next.
    pub fn new_remembering(
        config: Config,
        content: Content,
        selection: &Selection,
        shelf: &Shelf,
    ) -> (Result<Site, Vec<Diagnostic>>, Vec<Shelved>) {
        let mut learned = Vec::new();
        let site = Site::make(
            config,
            content,
            selection,
            None,
            Some((shelf, &mut learned)),
        );
        (site, learned)
    }

    fn make(
        config: Config,
        content: Content,
        selection: &Selection,
        previous: Option<&Site>,
        shelf: Option<(&Shelf, &mut Vec<Shelved>)>,
    ) -> Result<Site, Vec<Diagnostic>> {
        let Content {
            notes,
            loose_assets,
            diagnostics,
            failed,
        } = content;
        let (publication, embargo_problems) = Publication::decide(&config, &notes, selection);
        let published = |i: usize| publication.withheld[i].is_none();
        let (mut languages, position) = language_indexes(&config, &notes, published);
        let images = Images::new(
            crate::images::cache_dir(&config.root),
            config.images.clone(),
        );
        let sources = Sources {
            config: &config,
            notes: &notes,
            loose_assets: &loose_assets,
            failed: &failed,
            images: &images,
        };
        let (terms, (link_index, link_targets)) =
            terms_and_link_index(&sources, &languages, &publication);
        let tables = LinkTables::new(&sources, &link_index, &publication);
        let tag_errors = set_terms(&mut languages, terms);
        // Loading errors first, then the tags', then those of embargoes, versions and
        // downloads, then the links'.
        let (mut errors, mut warnings): (Vec<Diagnostic>, Vec<Diagnostic>) =
            diagnostics.into_iter().partition(Diagnostic::is_error);
        let front = tag_errors.into_iter().chain(embargo_problems);
        let front_warnings = front_problems(&notes, &publication, front, &mut errors);
        warnings.extend(front_warnings.iter().cloned());
        let in_feed = feed_notes(&languages, notes.len());
        let (shelf, learned) = shelf.unzip();
        let reuse = Reuse {
            previous: previous
                .filter(|p| p.link_targets == link_targets && p.config.raw_html == config.raw_html),
            by_file: std::sync::OnceLock::new(),
            in_feed: &in_feed,
            shelf: shelf.map(|s| (s, link_targets)),
        };
        let withheld = &publication.withheld;
        let (bodies, vcards) = rayon::join(
            || reuse.bodies(&tables.links, tables.links_all.as_ref(), withheld),
            || crate::vcard::Cards::new(&config, &notes, published),
        );
        let rendered = rendered_bodies(bodies, learned, &mut errors);
        rendering_warnings(&notes, &rendered, &mut warnings);
        let mut warnings = fold_repeats(warnings);
        stop_on_errors(&mut errors, &mut warnings)?;
        let held_assets = held_assets(&notes, withheld, &rendered, &loose_assets);
        let (cleaned, pictures) = publish_images(
            &sources,
            withheld,
            &rendered,
            &held_assets,
            &mut errors,
            &mut warnings,
        );
        stop_on_errors(&mut errors, &mut warnings)?;
        let Publication {
            withheld,
            embargo_from,
            translations,
            all_versions,
            ..
        } = publication;
        Ok(Site {
            config,
            whole: (0..notes.len()).map(|_| Default::default()).collect(),
            in_feed,
            failed,
            notes,
            withheld,
            embargo_from,
            rendered,
            translations: Arc::new(translations),
            all_versions: Arc::new(all_versions),
            position,
            languages: Arc::new(languages),
            loose_assets,
            held_assets,
            warnings,
            now: selection.now,
            link_targets,
            link_index,
            vcards,
            cleaned,
            pictures,
            images_made: images.work_done().0,
            front_warnings,
        })
    }

    /// The site after an edit of one note's text below its front matter, made from
    /// `previous` by rendering that note's Markdown again: nothing else of the model depends
    /// on it. `content` is the previous site's content with that one note read again. Gives
    /// the site and the note's place in it; None
    /// when the change may reach further (another note, front matter, the files or images
    /// the text names, an embargo ending meanwhile, a link error): then
    /// [`Site::new_reusing`] makes the model whole, and gives the same site.
    pub fn with_edited_text(
        previous: &Site,
        content: &Content,
        selection: &Selection,
    ) -> Option<(Site, usize)> {
        let i = edited_text(previous, content)?;
        // Embargoes are decided at `selection.now`: none may end between the two models.
        let ended =
            |w: &crate::dates::When| w.timestamp > previous.now && w.timestamp <= selection.now;
        if previous
            .notes
            .iter()
            .any(|n| n.embargo.as_ref().is_some_and(ended))
        {
            return None;
        }
        let note = &content.notes[i];
        let (body, images_made) = previous.render_note(&content.notes, &content.failed, i);
        let body = body.ok()??;
        let old = previous.rendered[i].as_ref()?;
        // What the plan and the published files depend on: the same files and images.
        let same_files = body.loose_links == old.loose_links
            && body.images.len() == old.images.len()
            && body
                .images
                .iter()
                .zip(&old.images)
                .all(|(a, b)| a.content == b.content && a.stamp == b.stamp);
        if !same_files || images_made > 0 {
            return None;
        }
        let mut site = previous.clone();
        site.notes[i] = note.clone();
        site.rendered[i] = Some(body);
        site.whole[i] = Default::default();
        site.now = selection.now;
        site.images_made = 0;
        let mut warnings: Vec<Diagnostic> = content.diagnostics.clone();
        warnings.extend(previous.front_warnings.iter().cloned());
        rendering_warnings(&site.notes, &site.rendered, &mut warnings);
        site.warnings = fold_repeats(warnings);
        Some((site, i))
    }

    /// Note `i`'s rendered body, whole: an outline remembered by the last build is rendered
    /// again the first time it is asked for (from the same notes, files and links, so the
    /// same as the last build's).
    pub fn body(&self, i: usize) -> Option<&Rendered> {
        let r = self.rendered[i].as_deref()?;
        if !r.outline {
            return Some(r);
        }
        let whole = self.whole[i].get_or_init(|| {
            let whole = self.render_note(&self.notes, &self.failed, i).0;
            let whole = whole.ok().flatten();
            debug_assert!(
                whole.as_ref().is_some_and(|w| w.html_key == r.html_key)
                    || self.notes[i].changed_while_read()
            );
            whole
        });
        whole.as_deref()
    }

    /// An error for each note whose file changed while the build read it (see
    /// [`Note::text`]): what was made from it may mix two texts, and none of it may go out.
    pub fn changed_while_read(&self) -> Vec<Diagnostic> {
        (self.notes.iter())
            .filter(|n| n.changed_while_read())
            .map(|n| {
                Diagnostic::error("this file changed while the site was being built")
                    .file(&n.shown)
                    .help("build again once it is saved: nothing was published from this build")
            })
            .collect()
    }

    /// Renders the Markdown of note `i` of `notes` (this model's notes, or the same with
    /// that one read again) with its links resolved as this model resolves them (a withheld
    /// note's as if everything were published); and how many images that resized.
    fn render_note(
        &self,
        notes: &[Arc<Note>],
        failed: &HashSet<String>,
        i: usize,
    ) -> (Body, usize) {
        let config = &self.config;
        let images = Images::new(
            crate::images::cache_dir(&config.root),
            config.images.clone(),
        );
        let sources = Sources {
            config,
            notes,
            loose_assets: &self.loose_assets,
            failed,
            images: &images,
        };
        let links = match self.withheld[i] {
            Some(_) => Links::new(&sources, &self.link_index, &[], &self.all_versions),
            None => Links::new(
                &sources,
                &self.link_index,
                &self.withheld,
                &self.translations,
            ),
        };
        let body = render_body(config, &links, i, &notes[i], self.in_feed[i]);
        (body, images.work_done().0)
    }

    /// The embargo a note is held back by: its own, or the one another version of it gives.
    pub fn embargo(&self, i: usize) -> Option<&crate::dates::When> {
        self.embargo_from[i].and_then(|j| self.notes[j].embargo.as_ref())
    }

    pub fn is_published(&self, i: usize) -> bool {
        self.withheld[i].is_none()
    }

    /// The summary of a note: the front matter's, or its first paragraph.
    pub fn summary(&self, i: usize) -> &str {
        match &self.notes[i].summary {
            Some(s) => s,
            None => self.rendered[i]
                .as_ref()
                .map_or("", |r| r.first_paragraph.as_str()),
        }
    }

    /// When a note last changed: `updated`, or else `date`.
    pub fn modified(&self, i: usize) -> &crate::dates::When {
        let n = &self.notes[i];
        n.updated.as_ref().unwrap_or(&n.date)
    }

    /// When a note last changed, if it says: as [`Site::modified`], but none for a static
    /// page written without a date or `updated`.
    pub fn changed(&self, i: usize) -> Option<&crate::dates::When> {
        let n = &self.notes[i];
        (!n.undated || n.updated.is_some()).then(|| self.modified(i))
    }

    /// The published version of note `i` in `lang`, if there is one.
    pub fn version_in(&self, i: usize, lang: &str) -> Option<usize> {
        if self.notes[i].lang == lang {
            return Some(i);
        }
        self.translations[i]
            .iter()
            .copied()
            .find(|&j| self.notes[j].lang == lang)
    }
}

/// Which notes a build leaves out, and why: a draft (unless drafts are published), or a note
/// whose embargo (its own, or the one its versions share) has not ended at `selection.now`.
fn withholding(
    notes: &[Arc<Note>],
    embargo_from: &[Option<usize>],
    selection: &Selection,
) -> Vec<Option<Withheld>> {
    notes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            if n.draft && !selection.drafts {
                Some(Withheld::Draft)
            } else {
                match embargo_from[i].and_then(|j| notes[j].embargo.as_ref()) {
                    Some(e) if e.timestamp > selection.now && !selection.embargoed => {
                        Some(Withheld::Embargoed(e.timestamp))
                    }
                    _ => None,
                }
            }
        })
        .collect()
}

/// The published briefings (newest first) and pages (in menu order) of each language, and
/// each briefing's position in its language's list.
fn language_indexes(
    config: &Config,
    notes: &[Arc<Note>],
    published: impl Fn(usize) -> bool,
) -> (IndexMap<String, LanguageIndex>, Vec<Option<usize>>) {
    let mut languages: IndexMap<String, LanguageIndex> = config
        .languages
        .iter()
        .map(|l| (l.code.clone(), LanguageIndex::default()))
        .collect();
    for (i, n) in notes.iter().enumerate() {
        if !published(i) {
            continue;
        }
        if let Some(index) = languages.get_mut(&n.lang) {
            match n.section {
                Section::Briefings => index.briefings.push(i),
                Section::Pages => index.pages.push(i),
            }
        }
    }
    let mut position = vec![None; notes.len()];
    for index in languages.values_mut() {
        index.briefings.sort_by(|&a, &b| {
            notes[b]
                .date
                .timestamp
                .cmp(&notes[a].date.timestamp)
                .then_with(|| notes[a].slug.cmp(&notes[b].slug))
        });
        index
            .pages
            .sort_by_key(|&i| (notes[i].nav_order.unwrap_or(i64::MAX), &notes[i].slug));
        for (p, &i) in index.briefings.iter().enumerate() {
            position[i] = Some(p);
        }
    }
    (languages, position)
}

/// A language's projects, funders and tags, and the errors of its tags.
type LanguageTerms = (Vec<Term>, Vec<Term>, Vec<Term>, Vec<Diagnostic>);

/// The projects, funders and tags of each language (with the errors of its tags), a
/// language per core.
fn language_terms(
    config: &Config,
    languages: &IndexMap<String, LanguageIndex>,
    notes: &[Arc<Note>],
) -> Vec<LanguageTerms> {
    let each: Vec<(&String, &LanguageIndex)> = languages.iter().collect();
    each.par_iter()
        .map(|&(code, index)| {
            let mut errors = Vec::new();
            let projects = registry_terms(&config.projects, code, &index.briefings, notes, |n| {
                n.project.as_ref()
            });
            let funders = registry_terms(&config.funders, code, &index.briefings, notes, |n| {
                n.funder.as_ref()
            });
            let tags = tag_terms(&index.briefings, notes, &mut errors);
            (projects, funders, tags, errors)
        })
        .collect()
}

/// Which notes are published at the moment of a build, and which versions of each are linked
/// together.
struct Publication {
    /// The notes that are versions of one another (one translation key), in site order.
    groups: Vec<Vec<usize>>,
    /// Per note: the version whose `embargo:` applies to it.
    embargo_from: Vec<Option<usize>>,
    /// Per note: why it is withheld, if it is.
    withheld: Vec<Option<Withheld>>,
    /// Per note: its published versions in the other languages.
    translations: Vec<Vec<usize>>,
    /// Per note: all its versions in the other languages, published or not.
    all_versions: Vec<Vec<usize>>,
}

impl Publication {
    /// Decides what is published at `selection`'s moment, with the problems of embargoes.
    fn decide(
        config: &Config,
        notes: &[Arc<Note>],
        selection: &Selection,
    ) -> (Publication, Vec<Diagnostic>) {
        // The versions of a note share one embargo, whichever of them gives it.
        let groups = version_groups(notes);
        let (embargo_from, problems) = shared_embargoes(config, notes, &groups, selection.now);
        let withheld = withholding(notes, &embargo_from, selection);
        let translations = versions(config, notes, &groups, |i| withheld[i].is_none());
        // Every version of a note, published or not, for the links of withheld notes.
        let all_versions = if withheld.iter().any(Option::is_some) {
            versions(config, notes, &groups, |_| true)
        } else {
            translations.clone()
        };
        let publication = Publication {
            groups,
            embargo_from,
            withheld,
            translations,
            all_versions,
        };
        (publication, problems)
    }
}

/// What the relative links of notes resolve against.
struct LinkTables<'a> {
    /// With the withheld notes left out.
    links: Links<'a>,
    /// As if everything were published, when something is withheld: a withheld note is
    /// checked too, since a draft may link to another draft and both are published together.
    links_all: Option<Links<'a>>,
}

impl<'a> LinkTables<'a> {
    fn new(sources: &Sources<'a>, index: &'a LinkIndex, publication: &'a Publication) -> Self {
        let withheld = &publication.withheld;
        let links_all = withheld
            .iter()
            .any(Option::is_some)
            .then(|| Links::new(sources, index, &[], &publication.all_versions));
        LinkTables {
            links: Links::new(sources, index, withheld, &publication.translations),
            links_all,
        }
    }
}

/// The terms of each language, beside what links resolve against and its fingerprint: on
/// cores of their own.
fn terms_and_link_index(
    sources: &Sources,
    languages: &IndexMap<String, LanguageIndex>,
    publication: &Publication,
) -> (Vec<LanguageTerms>, (Arc<LinkIndex>, u64)) {
    let Sources {
        config,
        notes,
        loose_assets,
        ..
    } = *sources;
    rayon::join(
        || language_terms(config, languages, notes),
        || {
            (
                Arc::new(LinkIndex::new(notes, loose_assets)),
                link_targets(config, notes, &publication.withheld, loose_assets),
            )
        },
    )
}

/// The problems of front matter: `found` (tags, embargoes), then differences between the
/// versions of an event, then unknown downloads. The errors go to `errors`; gives the
/// warnings.
fn front_problems(
    notes: &[Arc<Note>],
    publication: &Publication,
    found: impl Iterator<Item = Diagnostic>,
    errors: &mut Vec<Diagnostic>,
) -> Vec<Diagnostic> {
    let (front_errors, warnings): (Vec<Diagnostic>, Vec<Diagnostic>) = found
        .chain(event_differences(notes, &publication.groups))
        .chain(notes.iter().flat_map(|n| unknown_downloads(n)))
        .partition(Diagnostic::is_error);
    errors.extend(front_errors);
    warnings
}

/// The one note of `content` whose text changed below its front matter since `previous`,
/// if that is the only change.
fn edited_text(previous: &Site, content: &Content) -> Option<usize> {
    if content.notes.len() != previous.notes.len()
        || !content.failed.is_empty()
        || content.diagnostics.iter().any(Diagnostic::is_error)
    {
        return None;
    }
    let mut changed = content
        .notes
        .iter()
        .zip(&previous.notes)
        .enumerate()
        .filter(|(_, (new, old))| !Arc::ptr_eq(new, old));
    let (i, (new, old)) = changed.next()?;
    if changed.next().is_some() {
        return None;
    }
    let same_front = new.content_rel == old.content_rel
        && new.body_start == old.body_start
        && new.front() == old.front();
    (same_front && previous.rendered[i].is_some()).then_some(i)
}

/// Puts each language's terms into its index; gives the errors of its tags.
fn set_terms(
    languages: &mut IndexMap<String, LanguageIndex>,
    terms: Vec<LanguageTerms>,
) -> Vec<Diagnostic> {
    let mut errors = Vec::new();
    for ((projects, funders, tags, tag_errors), index) in
        terms.into_iter().zip(languages.values_mut())
    {
        index.projects = projects;
        index.funders = funders;
        index.tags = tags;
        errors.extend(tag_errors);
    }
    errors
}

/// The rendered bodies, the errors of those that failed put into `errors`, what to keep on
/// the shelf into `learned`.
fn rendered_bodies(
    bodies: Vec<(Body, Option<Shelved>)>,
    learned: Option<&mut Vec<Shelved>>,
    errors: &mut Vec<Diagnostic>,
) -> Vec<Option<Arc<Rendered>>> {
    let (bodies, shelved): (Vec<Body>, Vec<Option<Shelved>>) = bodies.into_iter().unzip();
    if let Some(learned) = learned {
        learned.extend(shelved.into_iter().flatten());
    }
    bodies
        .into_iter()
        .map(|r| {
            r.unwrap_or_else(|e| {
                errors.extend(e);
                None
            })
        })
        .collect()
}

/// Stops a model with errors: every error, then every warning.
fn stop_on_errors(
    errors: &mut Vec<Diagnostic>,
    warnings: &mut Vec<Diagnostic>,
) -> Result<(), Vec<Diagnostic>> {
    if errors.is_empty() {
        return Ok(());
    }
    let mut all = std::mem::take(errors);
    all.append(warnings);
    Err(all)
}

/// The notes some feed carries: their text is rendered a second time with absolute URLs.
fn feed_notes(languages: &IndexMap<String, LanguageIndex>, count: usize) -> Vec<bool> {
    let mut in_feed = vec![false; count];
    for index in languages.values() {
        let lists = std::iter::once(&index.briefings).chain(
            crate::urls::KINDS
                .iter()
                .flat_map(|&k| index.terms(k))
                .map(|t| &t.notes),
        );
        for list in lists {
            for &i in list.iter().take(FEED_ENTRIES) {
                in_feed[i] = true;
            }
        }
    }
    in_feed
}

/// A note's rendered body, or its link errors.
type Body = Result<Option<Arc<Rendered>>, Vec<Diagnostic>>;

/// The rendered Markdown of a previous site, taken again where nothing it depends on changed.
struct Reuse<'a> {
    /// The previous site, when what links resolve against is the same.
    previous: Option<&'a Site>,
    /// Its notes by file, made the first time a note is not at its old place.
    by_file: std::sync::OnceLock<HashMap<&'a str, usize>>,
    in_feed: &'a [bool],
    /// What the last build learned of rendered notes, and the fingerprint of what links
    /// resolve against in this build ([`link_targets`]).
    shelf: Option<(&'a Shelf, u64)>,
}

impl Reuse<'_> {
    /// Every note's body: taken again from the previous site or the shelf where it can be,
    /// rendered otherwise (a withheld note's links resolved as if everything were
    /// published); and what to keep of it on the shelf.
    fn bodies(
        &self,
        links: &Links,
        links_all: Option<&Links>,
        withheld: &[Option<Withheld>],
    ) -> Vec<(Body, Option<Shelved>)> {
        links
            .notes
            .par_iter()
            .enumerate()
            .map(|(i, note)| {
                let links = match links_all {
                    Some(all) if withheld[i].is_some() => all,
                    _ => links,
                };
                if let Some(r) = self.rendered(i, note, links) {
                    return (Ok(Some(r)), None);
                }
                let key = match (self.shelf, note.text_key) {
                    (Some((shelf, targets)), Some(text)) => {
                        let key = crate::memory::key_of(&[&text, &targets.to_le_bytes()]);
                        if let Some(r) = remembered(shelf, &key, links) {
                            return (Ok(Some(r)), Some(Shelved::Again(key)));
                        }
                        Some(key)
                    }
                    _ => None,
                };
                let body = render_body(links.config, links, i, note, self.in_feed[i]);
                let shelved = match (&body, key) {
                    // A text that changed as it was read again is no one's body.
                    _ if note.changed_while_read() => None,
                    (Ok(Some(r)), Some(key)) if r.images.iter().all(|s| s.stamp.is_some()) => {
                        postcard::to_allocvec(r.as_ref())
                            .ok()
                            .map(|bytes| Shelved::New(key, bytes))
                    }
                    _ => None,
                };
                (body, shelved)
            })
            .collect()
    }

    /// The previous rendering of note `i`: found at the same place in the list of notes,
    /// unless notes were added or removed; only if its text, the images it shows and (for a
    /// note a feed carries) its feed text are as they were.
    fn rendered(&self, i: usize, note: &Note, links: &Links) -> Option<Arc<Rendered>> {
        let p = self.previous?;
        let at = match p.notes.get(i) {
            Some(old) if old.content_rel == note.content_rel => i,
            _ => *self
                .by_file
                .get_or_init(|| {
                    p.notes
                        .iter()
                        .enumerate()
                        .map(|(j, n)| (n.content_rel.as_str(), j))
                        .collect()
                })
                .get(note.content_rel.as_str())?,
        };
        let old = &p.notes[at];
        let same = std::ptr::eq(old.as_ref(), note) || old.text() == note.text();
        let r = p.rendered[at].clone().filter(|_| same)?;
        // The images it shows must be the same files, resized the same way.
        let current = r.images.iter().all(|shown| match shown.stamp {
            Some(stamp) => links.stamp(&shown.content) == Some(stamp),
            None => true,
        });
        (current && (r.feed_html.is_some() || !self.in_feed[i])).then_some(r)
    }
}

/// Renders note `i`'s Markdown with its links resolved (and, for a note a feed carries, its
/// feed text): the body, or every link error with its place in the file.
fn render_body(config: &Config, links: &Links, i: usize, note: &Note, in_feed: bool) -> Body {
    markdown::render(note.body(), config.raw_html, |dest, usage| {
        links.resolve(i, dest, usage)
    })
    .map(|mut r| {
        if in_feed {
            r.feed_html = feed_html(config, links, i, note);
        }
        Some(Arc::new(r))
    })
    .map_err(|errors| {
        errors
            .into_iter()
            .map(|e| {
                let (line, column) = line_col(note.text(), note.body_start + e.offset);
                Diagnostic::error(e.message)
                    .file(&note.shown)
                    .at(note.text(), line, column, 1)
                    .help(e.help)
            })
            .collect()
    })
}

/// What rendering found worth a warning: images without alt text, tags published as
/// written, links to notes not yet out.
fn rendering_warnings(
    notes: &[Arc<Note>],
    rendered: &[Option<Arc<Rendered>>],
    warnings: &mut Vec<Diagnostic>,
) {
    for (note, r) in notes.iter().zip(rendered) {
        for &offset in r.iter().flat_map(|r| &r.images_without_alt) {
            let (line, column) = line_col(note.text(), note.body_start + offset);
            warnings.push(
                    Diagnostic::warning("this image has no alt text")
                        .file(&note.shown)
                        .at(note.text(), line, column, 2)
                        .help("describe the image between the brackets, e.g. ![The delegation at the ministry](photo.jpg): screen readers read it aloud"),
                );
        }
        for (offset, tag) in r.iter().flat_map(|r| &r.swallowing_tags) {
            let (line, column) = line_col(note.text(), note.body_start + offset);
            warnings.push(
                    Diagnostic::warning(format!(
                        "`{tag}` is published as written: as HTML it would hide the rest of the note"
                    ))
                    .file(&note.shown)
                    .at(note.text(), line, column, tag.len() - 1)
                    .help(format!("to name the tag, put it in backticks: `{tag}`; a note cannot hold scripts, styles or forms")),
                );
        }
        for (offset, message) in r.iter().flat_map(|r| &r.held_links) {
            let (line, column) = line_col(note.text(), note.body_start + offset);
            warnings.push(
                    Diagnostic::warning(message.clone())
                        .file(&note.shown)
                        .at(note.text(), line, column, 1)
                        .help("its words are published without the link for now; build again once that note is out, and the link is there"),
                );
        }
    }
}

/// The images the site publishes, ready: every raster file of content/ that goes out without
/// its identifying metadata, and the resized copies of those shown in published notes' text.
/// A file that is not the image its name says is an error; one over `images.max_size` a
/// warning with its size. The cache's manifest is saved for the next build.
fn publish_images(
    src: &Sources,
    withheld: &[Option<Withheld>],
    rendered: &[Option<Arc<Rendered>>],
    held_assets: &HashSet<String>,
    errors: &mut Vec<Diagnostic>,
    warnings: &mut Vec<Diagnostic>,
) -> (HashMap<String, Cleaned>, HashMap<String, Arc<Picture>>) {
    let Sources {
        config,
        notes,
        loose_assets,
        images,
        ..
    } = *src;
    // Per file (path under content/): where it is, and whether a published note shows it.
    let mut files: IndexMap<String, (std::path::PathBuf, bool)> = IndexMap::new();
    for (i, note) in notes.iter().enumerate() {
        if withheld[i].is_some() {
            continue;
        }
        for a in &note.assets {
            let rel = note.asset_path(a);
            if is_raster(&rel) {
                files
                    .entry(rel)
                    .or_insert_with(|| (a.source.clone(), false));
            }
        }
    }
    for a in loose_assets {
        if is_raster(&a.rel) && !held_assets.contains(&a.rel) {
            files.insert(a.rel.clone(), (a.source.clone(), false));
        }
    }
    for r in rendered
        .iter()
        .zip(withheld)
        .filter_map(|(r, w)| r.as_ref().filter(|_| w.is_none()))
    {
        for shown in &r.images {
            if shown.stamp.is_some()
                && let Some(file) = files.get_mut(&shown.content)
            {
                file.1 = true;
            }
        }
    }
    let list: Vec<_> = files.iter().collect();
    let done: Vec<_> = list
        .par_iter()
        .map(|&(rel, (source, shown))| {
            let cleaned = images.clean(source);
            let picture = match (&cleaned, shown) {
                (Ok(_), true) => Some(images.picture(source)),
                _ => None,
            };
            (rel, cleaned, picture)
        })
        .collect();
    let mut cleaned = HashMap::new();
    let mut pictures = HashMap::new();
    let max = config.images.max_size;
    for (rel, c, p) in done {
        let shown = std::path::Path::new(crate::paths::CONTENT_DIR).join(rel);
        match c.and_then(|c| p.transpose().map(|p| (c, p))) {
            Ok((c, p)) => {
                if let Ok(size) = std::fs::metadata(&files[rel].0).map(|m| m.len())
                    && size > max
                {
                    warnings.push(
                        Diagnostic::warning(format!(
                            "this image is {}, over the {} that site.yaml's images.max_size allows",
                            crate::size::human_size(size),
                            crate::size::human_size(max)
                        ))
                        .file(&shown)
                        .help("readers of the page get the resized copies, but the file itself is offered as it is: export it smaller, e.g. 3000 pixels wide at JPEG quality 85"),
                    );
                }
                cleaned.insert(rel.clone(), c);
                if let Some(p) = p {
                    pictures.insert(rel.clone(), p);
                }
            }
            Err(e) => errors.push(
                Diagnostic::error(format!("this image cannot be published: {e}"))
                    .file(&shown)
                    .help("open it in an image editor and export it again as JPEG, PNG or WebP"),
            ),
        }
    }
    if let Err(e) = images.save() {
        warnings.push(Diagnostic::warning(e).help(
            "the next build resizes the images again; check that the site folder may be written to",
        ));
    }
    (cleaned, pictures)
}

/// An image's sizes as its `<img>` offers them, with the links of its copies.
fn sizes_of(config: &Config, rel: &str, picture: &Picture) -> Sizes {
    use std::hash::{Hash, Hasher};
    let links = |variants: &[crate::images::Variant]| -> Vec<(String, u32)> {
        variants
            .iter()
            .map(|v| {
                let path = crate::urls::image_variant(rel, v.width, v.format.extension());
                (config.file_link(&path), v.width)
            })
            .collect()
    };
    let mut h = std::collections::hash_map::DefaultHasher::new();
    let o = &picture.original;
    (o.width, o.height, o.size).hash(&mut h);
    for v in picture.variants.iter().chain(&picture.webp) {
        (v.width, v.height, v.size, v.format.extension()).hash(&mut h);
    }
    Sizes {
        width: o.width,
        height: o.height,
        srcset: links(&picture.variants),
        webp: links(&picture.webp),
        stamp: h.finish(),
    }
}

/// A note's text with every URL absolute, for feed readers, which read it away from the site.
fn feed_html(config: &Config, links: &Links, i: usize, note: &Note) -> Option<String> {
    let page = note.path();
    markdown::render(note.body(), config.raw_html, |dest, usage| {
        let mut target = links.resolve(i, dest, usage)?;
        if target.held.is_none() {
            let written = target.url.take().unwrap_or_else(|| dest.to_string());
            target.url = Some(config.absolute_link(&written, &page));
            if let Some(sizes) = &mut target.sizes {
                for (url, _) in sizes.srcset.iter_mut().chain(&mut sizes.webp) {
                    *url = config.absolute_link(url, &page);
                }
            }
        }
        Ok(target)
    })
    .ok()
    .map(|r| r.html)
}

/// The outline of a note's rendered Markdown kept under `key` on `shelf`, if the images it
/// shows are still the same files, resized the same way. (A note showing an image that is
/// not resized, whose width and height are read from its file, is never kept.)
fn remembered(shelf: &Shelf, key: &Key, links: &Links) -> Option<Arc<Rendered>> {
    let mut r: Rendered = postcard::from_bytes(shelf.get(key)?).ok()?;
    let current = (r.images.iter())
        .all(|shown| shown.stamp.is_some() && links.stamp(&shown.content) == shown.stamp);
    r.outline = true;
    current.then(|| Arc::new(r))
}

/// The loose files of content/ that go out with a withheld note and with no published one:
/// files a withheld note links to, and files named after a withheld single-file note
/// (`secret-chart.svg` beside `secret.en.md`), unless a published note links to them.
fn held_assets(
    notes: &[Arc<Note>],
    withheld: &[Option<Withheld>],
    rendered: &[Option<Arc<Rendered>>],
    loose_assets: &[LooseAsset],
) -> HashSet<String> {
    if withheld.iter().all(Option::is_none) {
        return HashSet::new();
    }
    let loose: HashSet<&str> = loose_assets.iter().map(|a| a.rel.as_str()).collect();
    let mut held = HashSet::new();
    let mut linked_by_published = HashSet::new();
    for (i, note) in notes.iter().enumerate() {
        let links = rendered[i].iter().flat_map(|r| &r.loose_links);
        if withheld[i].is_none() {
            linked_by_published.extend(links);
            continue;
        }
        held.extend(links.cloned());
        if note.bundle.is_none() {
            let dir = note.content_rel.rsplit_once('/').map_or("", |(d, _)| d);
            let name = note.content_rel.rsplit('/').next().unwrap_or("");
            let stem = name.split('.').next().unwrap_or(name);
            for rel in &loose {
                let (file_dir, file) = rel.rsplit_once('/').unwrap_or(("", rel));
                if file_dir == dir
                    && file
                        .strip_prefix(stem)
                        .is_some_and(|rest| rest.starts_with(['-', '.', '_']))
                    && !file.ends_with(".md")
                {
                    held.insert(rel.to_string());
                }
            }
        }
    }
    held.retain(|rel| !linked_by_published.contains(rel));
    held
}

/// The same warning about many notes (a spokesperson's number on every note naming them) is
/// given once, at its first note, with how many others have it.
fn fold_repeats(warnings: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let mut seen: IndexMap<String, (Diagnostic, usize)> = IndexMap::new();
    for w in warnings {
        seen.entry(w.message.clone()).or_insert((w, 0)).1 += 1;
    }
    seen.into_values()
        .map(|(mut w, n)| {
            if n > 1 {
                let others = n - 1;
                let s = if others == 1 { "" } else { "s" };
                w.message = format!("{} (and in {others} other note{s})", w.message);
            }
            w
        })
        .collect()
}

/// The versions of each note (notes with one translation key), in the order of the notes,
/// each group in that order too.
fn version_groups(notes: &[Arc<Note>]) -> Vec<Vec<usize>> {
    let mut groups: IndexMap<&str, Vec<usize>> = IndexMap::new();
    for (i, n) in notes.iter().enumerate() {
        groups.entry(&n.translation_key).or_default().push(i);
    }
    groups.into_values().collect()
}

/// Per note: the other versions of it that `include` accepts, in the order of the site's
/// languages.
fn versions(
    config: &Config,
    notes: &[Arc<Note>],
    groups: &[Vec<usize>],
    include: impl Fn(usize) -> bool,
) -> Vec<Vec<usize>> {
    let lang_order = |code: &str| config.languages.iter().position(|l| l.code == code);
    let mut all = vec![Vec::new(); notes.len()];
    for group in groups {
        for &i in group {
            let mut others: Vec<usize> = group
                .iter()
                .copied()
                .filter(|&j| j != i && include(j))
                .collect();
            others.sort_by_key(|&j| lang_order(&notes[j].lang));
            all[i] = others;
        }
    }
    all
}

/// Per note: the version whose `embargo:` holds it back, if one of its versions gives one.
/// A press office means one embargo for one release: a version without `embargo:` is held
/// back with the others (a warning names it), and versions giving different moments are an
/// error naming both. Embargoes already over are left alone.
fn shared_embargoes(
    config: &Config,
    notes: &[Arc<Note>],
    groups: &[Vec<usize>],
    now: Timestamp,
) -> (Vec<Option<usize>>, Vec<Diagnostic>) {
    let tz = config.timezone.as_ref();
    let mut from = vec![None; notes.len()];
    let mut problems = Vec::new();
    for group in groups {
        let mut with = group
            .iter()
            .copied()
            .filter_map(|i| Some((i, notes[i].embargo.as_ref()?)));
        let Some((first, embargo)) = with.next() else {
            continue;
        };
        for &i in group {
            // Its own embargo, or else the first its versions give.
            from[i] = Some(if notes[i].embargo.is_some() { i } else { first });
        }
        let ahead = group
            .iter()
            .filter_map(|&i| notes[i].embargo.as_ref())
            .any(|e| e.timestamp > now);
        if !ahead {
            continue;
        }
        let at_embargo = |note: &Note, d: Diagnostic| match note.line_of_key("embargo") {
            Some(line) => d.at(note.text(), line, 1, 7),
            None => d,
        };
        if let Some((other, differs)) = with.find(|(_, e)| e.timestamp != embargo.timestamp) {
            let (a, b) = (&notes[first], &notes[other]);
            problems.push(at_embargo(
                b,
                Diagnostic::error(format!(
                    "the versions of this note give different embargoes: {} until {}, {} until {}",
                    display_path(&a.shown),
                    crate::dates::local(embargo.timestamp, tz),
                    display_path(&b.shown),
                    crate::dates::local(differs.timestamp, tz),
                ))
                .file(&b.shown)
                .help("one release has one embargo: give every version the same `embargo:`"),
            ));
            continue;
        }
        for &i in group.iter().filter(|&&i| notes[i].embargo.is_none()) {
            let note = &notes[i];
            problems.push(
                Diagnostic::warning(format!(
                    "this version has no `embargo:`, but {} has one: it is held back with it until {}",
                    display_path(&notes[first].shown),
                    crate::dates::local(embargo.timestamp, tz),
                ))
                .file(&note.shown)
                .help(format!(
                    "add `embargo: {}` to this file to say so in both",
                    embargo.rfc3339
                )),
            );
        }
    }
    (from, problems)
}

/// Versions of a note whose events start or end on different days: one of them is
/// probably wrong, and a journalist would find out which. A warning on each later version
/// that differs from the first, naming both files and both days.
fn event_differences(notes: &[Arc<Note>], groups: &[Vec<usize>]) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    for group in groups.iter().filter(|g| g.len() > 1) {
        let mut events = group
            .iter()
            .filter_map(|&i| Some((i, notes[i].event.as_ref()?)));
        let Some((first, event)) = events.next() else {
            continue;
        };
        for (i, other) in events {
            for (key, mine, theirs) in [
                ("start", &other.start, &event.start),
                ("end", &other.end, &event.end),
            ] {
                let (Some(mine), Some(theirs)) = (mine, theirs) else {
                    continue;
                };
                if mine.date == theirs.date {
                    continue;
                }
                let note = &notes[i];
                let d = Diagnostic::warning(format!(
                    "the event of this version {} on {}, but {} says {}",
                    if key == "start" { "starts" } else { "ends" },
                    mine.date,
                    display_path(&notes[first].shown),
                    theirs.date,
                ))
                .file(&note.shown)
                .help("correct the version that is wrong: every version of a note describes the same event");
                let front = note.front();
                problems.push(match crate::yaml::key_location(front, &["event", key]) {
                    Some((line, column)) => d.at(note.text(), line, column, key.len()),
                    None => d,
                });
            }
        }
    }
    problems
}

/// The files a note's `downloads:` names that are not in its folder.
fn unknown_downloads(note: &Note) -> Vec<Diagnostic> {
    let Some(list) = &note.downloads else {
        return Vec::new();
    };
    let at = |d: Diagnostic| match note.line_of_key("downloads") {
        Some(line) => d.at(note.text(), line, 1, "downloads".len()),
        None => d,
    };
    if note.bundle.is_none() {
        return vec![at(Diagnostic::error(
            "`downloads:` lists files of the note's folder, and this note has none of its own",
        )
        .file(&note.shown)
        .help("put the note into a folder (content/briefings/<name>/index.en.md) with its files, or delete the line"))];
    }
    let mut names: Vec<&str> = note.assets.iter().map(|a| a.rel.as_str()).collect();
    names.sort_unstable();
    list.iter()
        .filter(|d| !names.contains(&d.as_str()))
        .map(|d| {
            at(Diagnostic::error(format!(
                "`downloads:` names `{d}`, which is not a file of this note's folder"
            ))
            .file(&note.shown)
            .help(if names.is_empty() {
                "the folder has no other files: put the file beside the note, or delete the name"
                    .to_string()
            } else {
                format!("check the name; the folder has {}", names.join(", "))
            }))
        })
        .collect()
}

/// A fingerprint of what links resolve against: every note's file, language, URL, pairing and
/// publication (why and until when it is withheld), and every file beside notes or loose in
/// content/.
fn link_targets(
    config: &Config,
    notes: &[Arc<Note>],
    withheld: &[Option<Withheld>],
    loose_assets: &[LooseAsset],
) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    config.base_path.hash(&mut h);
    for (n, w) in notes.iter().zip(withheld) {
        // Until when it is withheld: a link to it says so.
        (n.link_key(), w).hash(&mut h);
    }
    for a in loose_assets {
        a.rel.hash(&mut h);
    }
    h.finish()
}

/// The registry entries (projects or funders) that briefings of one language refer to.
fn registry_terms(
    registry: &IndexMap<String, crate::config::Entity>,
    lang: &str,
    briefings: &[usize],
    notes: &[Arc<Note>],
    of: impl Fn(&Note) -> Option<&crate::config::Entity>,
) -> Vec<Term> {
    let mut by_key: HashMap<&str, Vec<usize>> = HashMap::new();
    for &i in briefings {
        if let Some(key) = of(&notes[i]).and_then(|e| e.key.as_deref()) {
            by_key.entry(key).or_default().push(i);
        }
    }
    registry
        .iter()
        .filter_map(|(key, e)| {
            let list = by_key.remove(key.as_str())?;
            Some(Term {
                key: key.clone(),
                name: e.name(lang).to_string(),
                url: e.url.clone(),
                notes: list,
            })
        })
        .collect()
}

/// The tags of one language's briefings; two spellings with one URL form are an error.
fn tag_terms(briefings: &[usize], notes: &[Arc<Note>], errors: &mut Vec<Diagnostic>) -> Vec<Term> {
    let mut terms: IndexMap<String, (Term, usize)> = IndexMap::new();
    // Points at the note's `tags:` line.
    let at_tags = |note: &Note, d: Diagnostic| match note.line_of_key("tags") {
        Some(line) => d.at(note.text(), line, 1, 4),
        None => d,
    };
    // A site has few tags, written on many notes: each spelling's URL form is made once.
    let mut keys: HashMap<&str, Option<String>> = HashMap::new();
    for &i in briefings {
        let note = &notes[i];
        for tag in &note.tags {
            let Some(key) = keys.entry(tag).or_insert_with(|| tag_key(tag)).as_deref() else {
                errors.push(at_tags(
                    note,
                    Diagnostic::error(format!(
                        "the tag `{tag}` has no letter or digit to make its address from"
                    ))
                    .file(&note.shown)
                    .help("write the tag in words, e.g. `urgent` rather than `!!!`, or remove it"),
                ));
                continue;
            };
            if !terms.contains_key(key) {
                if let Some(problem) = crate::safety::portable_name_problem(key) {
                    errors.push(at_tags(
                        note,
                        Diagnostic::error(format!("the tag `{tag}` cannot be a URL: {problem}"))
                            .file(&note.shown)
                            .help("write the tag in other words, e.g. add a word to it"),
                    ));
                    continue;
                }
                let term = Term {
                    key: key.to_string(),
                    name: tag.clone(),
                    url: None,
                    notes: Vec::new(),
                };
                terms.insert(key.to_string(), (term, i));
            }
            let Some((term, first)) = terms.get_mut(key) else {
                continue;
            };
            if term.name != *tag {
                errors.push(at_tags(
                    note,
                    Diagnostic::error(format!(
                        "the tags `{}` ({}) and `{tag}` ({}) would share the URL …/tags/{}/",
                        term.name,
                        display_path(&notes[*first].shown),
                        display_path(&note.shown),
                        term.key
                    ))
                    .file(&note.shown)
                    .help(format!(
                        "write the tag the same way in both notes, e.g. `{}`",
                        term.name
                    )),
                ));
                continue;
            }
            if term.notes.last() != Some(&i) {
                term.notes.push(i);
            }
        }
    }
    let mut list: Vec<Term> = terms.into_values().map(|(t, _)| t).collect();
    list.sort_by(|a, b| a.key.cmp(&b.key));
    list
}

/// Resolves the relative links of note bodies: other notes' source files and co-located files.
struct Links<'a> {
    config: &'a Config,
    notes: &'a [Arc<Note>],
    /// Per note: why it is withheld; empty when none is.
    withheld: &'a [Option<Withheld>],
    translations: &'a [Vec<usize>],
    index: &'a LinkIndex,
    /// Notes that failed to load: links to them are not reported again.
    failed: &'a HashSet<String>,
    images: &'a Images,
}

/// What links of notes resolve against, whichever notes are published.
struct Sources<'a> {
    config: &'a Config,
    notes: &'a [Arc<Note>],
    loose_assets: &'a [LooseAsset],
    failed: &'a HashSet<String>,
    images: &'a Images,
}

/// What relative links resolve against, whichever notes are published: made once per
/// model, and kept by a model made from it by an edit of one note's text.
#[derive(Debug, Default)]
struct LinkIndex {
    /// Notes by their path under content/.
    by_source: HashMap<String, usize>,
    /// Files of note folders, by their path under content/ → the notes of that folder.
    bundle_files: HashMap<String, Vec<usize>>,
    /// Loose files of content/, by their path under it.
    loose: HashSet<String>,
}

impl LinkIndex {
    fn new(notes: &[Arc<Note>], loose_assets: &[LooseAsset]) -> Self {
        let mut bundle_files: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, n) in notes.iter().enumerate() {
            if let Some(b) = &n.bundle {
                for a in &n.assets {
                    bundle_files
                        .entry(format!("{b}/{}", a.rel))
                        .or_default()
                        .push(i);
                }
            }
        }
        LinkIndex {
            by_source: notes
                .iter()
                .enumerate()
                .map(|(i, n)| (n.content_rel.clone(), i))
                .collect(),
            bundle_files,
            loose: loose_assets.iter().map(|a| a.rel.clone()).collect(),
        }
    }
}

impl<'a> Links<'a> {
    /// The links of `src` resolved through `index`, with the notes `withheld` left out,
    /// each note's versions in `translations`.
    fn new(
        src: &Sources<'a>,
        index: &'a LinkIndex,
        withheld: &'a [Option<Withheld>],
        translations: &'a [Vec<usize>],
    ) -> Self {
        let Sources {
            config,
            notes,
            failed,
            images,
            ..
        } = *src;
        Links {
            config,
            notes,
            withheld,
            translations,
            index,
            failed,
            images,
        }
    }

    /// The sizes of an image of content/ shown in a note's text, resized for the web.
    fn sizes(&self, rel: &str, file: &std::path::Path) -> Result<Sizes, String> {
        let picture = self.images.picture(file)?;
        Ok(sizes_of(self.config, rel, &picture))
    }

    /// The fingerprint of an image's copies as they are now, if it can be resized.
    fn stamp(&self, rel: &str) -> Option<u64> {
        let file = self.config.root.join(crate::paths::CONTENT_DIR).join(rel);
        self.sizes(rel, &file).ok().map(|s| s.stamp)
    }

    /// Why note `t` is withheld, if it is.
    fn why_withheld(&self, t: usize) -> Option<&Withheld> {
        self.withheld.get(t).and_then(Option::as_ref)
    }

    /// The version of note `target` to link to from a page in `lang`.
    fn version_for(&self, target: usize, lang: &str) -> usize {
        if self.notes[target].lang == lang || self.why_withheld(target).is_some() {
            return target;
        }
        self.translations[target]
            .iter()
            .copied()
            .find(|&j| self.notes[j].lang == lang)
            .unwrap_or(target)
    }

    /// A link to withheld note `t`, or to a file of its folder: published as its words
    /// alone, and when it can lead there, in the site time zone.
    fn held(&self, t: usize) -> Target {
        let shown = display_path(&self.notes[t].shown);
        let when = match self.why_withheld(t) {
            Some(Withheld::Embargoed(ts)) => format!(
                "{shown} is published at {}",
                crate::dates::local(*ts, self.config.timezone.as_ref())
            ),
            _ => format!("{shown} is published (it is a draft)"),
        };
        Target {
            held: Some(when),
            ..Target::default()
        }
    }

    fn resolve(
        &self,
        from: usize,
        dest: &str,
        usage: crate::safety::UrlUse,
    ) -> Result<Target, (String, String)> {
        if !is_relative_file(dest) {
            return Ok(self.site_link(dest));
        }
        let note = &self.notes[from];
        let (path, fragment) = match dest.find(['#', '?']) {
            Some(i) => (&dest[..i], &dest[i..]),
            None => (dest, ""),
        };
        let decoded = percent_decode(path);
        let from_dir = note.content_rel.rsplit_once('/').map_or("", |(d, _)| d);
        let target = resolve_relative(from_dir, &decoded).ok_or_else(|| {
            (
                format!("the link `{dest}` leads outside the content folder"),
                "link to files inside content/, relative to this note, e.g. ../visa-facilitation.en.md or photo.jpg".to_string(),
            )
        })?;
        let shown_target = format!("content/{target}");
        if target.ends_with(".md") {
            return self.note_link(note, dest, &target, fragment);
        }
        let path = self
            .config
            .root
            .join(crate::paths::CONTENT_DIR)
            .join(&target);
        let known = self.index.bundle_files.contains_key(&target)
            || self.index.loose.contains(target.as_str());
        // An image of the site shown in the text is offered in the sizes screens need.
        let sizes = match usage {
            crate::safety::UrlUse::Image if known && is_raster(&target) => {
                Some(self.sizes(&target, &path).map_err(|e| {
                    (
                        format!("the image `{dest}` cannot be published: {e}"),
                        "open it in an image editor and export it again as JPEG, PNG or WebP"
                            .to_string(),
                    )
                })?)
            }
            _ => None,
        };
        let file = Some(path);
        // Files of content/ are published once, at their path under it.
        let url = Some(format!(
            "{}{fragment}",
            self.config.file_link(&crate::urls::content_file(&target))
        ));
        if let Some(owners) = self.index.bundle_files.get(&target) {
            // Files of a withheld note are withheld with it: a link to them is a link to it,
            // unless another version of the note is published.
            if owners.iter().all(|&o| self.why_withheld(o).is_some()) {
                return Ok(self.held(self.version_for(owners[0], &note.lang)));
            }
            return Ok(Target {
                url,
                file,
                content: Some(target),
                sizes,
                ..Target::default()
            });
        }
        if self.index.loose.contains(target.as_str()) {
            return Ok(Target {
                url,
                file,
                loose: Some(target.clone()),
                content: Some(target),
                sizes,
                ..Target::default()
            });
        }
        Err((
            format!("the link `{dest}` points to a file that does not exist: {shown_target}"),
            "check the file name, or put the file into this note's folder".to_string(),
        ))
    }
}

impl Links<'_> {
    /// A link that is not to a file beside the note: to a path of the site (`/en/about/`),
    /// kept for the plan to check, or to another site.
    fn site_link(&self, dest: &str) -> Target {
        if dest.starts_with('/') && !dest.starts_with("//") {
            let path = dest[1..].split(['#', '?']).next().unwrap_or("");
            return Target {
                url: (!self.config.base_path.is_empty()).then(|| self.config.link(dest)),
                site_path: Some(percent_decode(path)),
                ..Target::default()
            };
        }
        Target::default()
    }

    /// A link from `note` to the note in file `target` (under content/): to its version in
    /// the note's language, or held back with it while it is withheld.
    fn note_link(
        &self,
        note: &Note,
        dest: &str,
        target: &str,
        fragment: &str,
    ) -> Result<Target, (String, String)> {
        let Some(&t) = self.index.by_source.get(target) else {
            if self.failed.contains(target) {
                return Ok(Target::default()); // that note's own errors are reported
            }
            return Err((
                format!("the link `{dest}` points to a note that does not exist: content/{target}"),
                format!(
                    "check the file name; {} links to other notes by their file, relative to itself",
                    display_path(&note.shown)
                ),
            ));
        };
        let t = self.version_for(t, &note.lang);
        if self.why_withheld(t).is_some() {
            return Ok(self.held(t));
        }
        Ok(Target {
            url: Some(format!(
                "{}{fragment}",
                self.config.link(&self.notes[t].path())
            )),
            ..Target::default()
        })
    }
}

/// Decodes `%20` and other escapes in a link path, so `my%20file.pdf` finds `my file.pdf`;
/// a link whose escapes are not UTF-8 is taken as written.
fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .map_or_else(|_| text.to_string(), |decoded| decoded.into_owned())
}

#[cfg(test)]
mod tests {
    use crate::open::{Purpose, Request};

    fn basic(purpose: Purpose, now: &str) -> super::Site {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/basic");
        let request = Request {
            root,
            now: now.parse().unwrap(),
            base_url: None,
            purpose,
        };
        request.open().unwrap().model().unwrap()
    }

    fn withheld(site: &super::Site) -> Vec<(String, Option<super::Withheld>)> {
        let mut held: Vec<_> = site
            .notes
            .iter()
            .zip(&site.withheld)
            .filter(|(_, w)| w.is_some())
            .map(|(n, w)| (n.content_rel.clone(), w.clone()))
            .collect();
        held.sort_by(|a, b| a.0.cmp(&b.0));
        held
    }

    #[test]
    fn drafts_and_embargoes_are_withheld_until_their_time_and_shown_in_the_preview() {
        let release: jiff::Timestamp = "2030-01-01T01:00:00Z".parse().unwrap();
        let site = basic(Purpose::Publish, "2020-01-01");
        assert_eq!(
            withheld(&site),
            [
                (
                    "briefings/draft-note.en.md".to_string(),
                    Some(super::Withheld::Draft)
                ),
                (
                    "briefings/embargoed.en.md".to_string(),
                    Some(super::Withheld::Embargoed(release))
                ),
            ]
        );
        // Withheld notes are in no listing, and the published ones are newest first.
        let en = &site.languages["en"];
        assert!(en.briefings.iter().all(|&i| site.withheld[i].is_none()));
        assert!(
            en.briefings
                .windows(2)
                .all(|w| site.notes[w[0]].date.timestamp >= site.notes[w[1]].date.timestamp)
        );
        // The moment the embargo ends, the note is out; a draft stays a draft.
        let later = basic(Purpose::Publish, "2030-01-01T09:00:00+08:00");
        assert_eq!(withheld(&later).len(), 1);
        assert_eq!(
            basic(Purpose::Build { drafts: true }, "2020-01-01")
                .withheld
                .iter()
                .flatten()
                .count(),
            1
        );
        // The preview shows everything, each with its banner.
        assert!(withheld(&basic(Purpose::Preview, "2020-01-01")).is_empty());
    }
}
