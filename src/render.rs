//! Rendering: the site model through the theme's templates into a list of output files.

use std::collections::HashMap;

use rayon::prelude::*;
use serde::Serialize;
use tera::Context;

use crate::config::{Config, Entity};
use crate::contact::Contact;
use crate::content::{Note, Section};
use crate::error::{Diagnostic, display_path};
use crate::memory::{Fingerprint, Key, Memory};
use crate::output::OutputFile;
use crate::plan::{Job, Layout, Plan, source};
use crate::site::FEED_ENTRIES;
use crate::site::Site;
use crate::size::human_size;
use crate::theme::{Source, Theme, template_error};
use crate::urls::{self, Kind, SiteUrls};

#[derive(Serialize)]
struct LanguageView<'a> {
    code: &'a str,
    name: &'a str,
    html_lang: &'a str,
    /// Link to this language's home page.
    home: String,
    title: &'a str,
}

#[derive(Serialize)]
struct SiteView<'a> {
    title: &'a str,
    base_url: &'a str,
    /// `site.urls.root`, `site.urls.stylesheet` and `site.urls.feed` under the names themes
    /// written before `site.urls` use.
    home: String,
    languages: Vec<LanguageView<'a>>,
    stylesheet: String,
    /// Whether the site has a search page and index.
    search: bool,
    feed: String,
    /// The links of every page's frame: this language's home, listings, search page, feed.
    urls: SiteUrls,
}

#[derive(Serialize)]
struct NameView<'a> {
    lang: &'a str,
    html_lang: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
struct EntityView<'a> {
    key: Option<&'a str>,
    name: &'a str,
    /// The name in every language that has one, this page's language first.
    names: Vec<NameView<'a>>,
    url: Option<&'a str>,
    /// Link to the project's or funder's page on this site (registry entries only).
    link: Option<String>,
}

#[derive(Serialize)]
struct EventView<'a> {
    start: Option<&'a str>,
    end: Option<&'a str>,
    locations: &'a [String],
}

#[derive(Serialize)]
struct ContactView<'a> {
    name: &'a str,
    role: Option<&'a str>,
    organisation: Option<&'a str>,
    email: Option<&'a str>,
    phone: Option<&'a str>,
    tel: Option<&'a str>,
    /// Link to the contact's vCard.
    vcard: String,
}

/// A file beside the note, for the press kit list.
#[derive(Serialize)]
struct DownloadView<'a> {
    name: &'a str,
    /// Relative link: the file is copied next to the page.
    link: String,
    /// Absolute URL, for print.
    url: String,
    /// `PDF`, `JPG`, …
    kind: String,
    /// `350 KB`, `1.2 MB`
    size: String,
}

#[derive(Serialize)]
struct TagView<'a> {
    name: &'a str,
    link: Option<String>,
}

/// A note as templates see it.
#[derive(Serialize)]
struct NoteView<'a> {
    title: &'a str,
    subtitle: Option<&'a str>,
    dateline: Option<&'a str>,
    /// `YYYY-MM-DD`, for `format_date`.
    date: String,
    /// RFC 3339 with offset, for `datetime` attributes.
    datetime: &'a str,
    updated: Option<String>,
    updated_datetime: Option<&'a str>,
    summary: &'a str,
    content: BodyHtml<'a>,
    link: String,
    url: String,
    lang: &'a str,
    slug: &'a str,
    project: Option<EntityView<'a>>,
    funder: Option<EntityView<'a>>,
    event: Option<EventView<'a>>,
    contacts: Vec<ContactView<'a>>,
    tags: Vec<TagView<'a>>,
    draft: bool,
    downloads: Vec<DownloadView<'a>>,
    /// Set while the note is under embargo (only `serve` shows such notes).
    embargo: Option<EmbargoView>,
}

/// When an embargo ends, in the site time zone: for the banner of `serve`.
#[derive(Serialize)]
struct EmbargoView {
    datetime: String,
    /// `YYYY-MM-DD`, for `format_date`.
    date: String,
    /// `09:00`
    time: String,
    /// The zone's abbreviation, `CST`, or its offset.
    zone: String,
}

/// The picture a shared link shows on social networks (`og:image`).
#[derive(Serialize)]
struct CardView {
    url: String,
    width: u32,
    height: u32,
    alt: String,
}

/// An entry of an Atom feed: the note with its full text, contacts and press kit.
struct FeedEntry<'a> {
    note: NoteLink<'a>,
    /// The text, with every URL absolute.
    content: Option<&'a str>,
    contacts: Vec<ContactView<'a>>,
    /// The press-kit files, as `<link rel="enclosure">`.
    enclosures: Vec<Enclosure>,
    /// The project, funder and tags, as `<category>`.
    categories: Vec<&'a str>,
}

/// A template sees an entry's note fields beside its own; a fingerprint, which cannot be
/// written flattened (postcard writes no map of unknown length), the same values in order.
impl Serialize for FeedEntry<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let FeedEntry {
            note,
            content,
            contacts,
            enclosures,
            categories,
        } = self;
        if !s.is_human_readable() {
            return (note, content, contacts, enclosures, categories).serialize(s);
        }
        #[derive(Serialize)]
        struct Flat<'e, 'a> {
            #[serde(flatten)]
            note: &'e NoteLink<'a>,
            content: &'e Option<&'a str>,
            contacts: &'e [ContactView<'a>],
            enclosures: &'e [Enclosure],
            categories: &'e [&'a str],
        }
        Flat {
            note,
            content,
            contacts,
            enclosures,
            categories,
        }
        .serialize(s)
    }
}

#[derive(Serialize)]
struct Enclosure {
    url: String,
    /// `application/pdf`
    mime: String,
    /// Bytes.
    length: u64,
    title: String,
}

/// schema.org `NewsArticle` of a briefing page (JSON-LD). Fields are in the order JSON
/// gives them (by name); a field that is `None` is left out of the JSON, and fingerprinted as
/// absent, so that no two articles read the same.
#[derive(Serialize)]
struct Article<'a> {
    #[serde(rename = "@context")]
    context: &'static str,
    #[serde(rename = "@id")]
    id: String,
    #[serde(rename = "@type")]
    kind: &'static str,
    #[serde(rename = "alternativeHeadline")]
    alternative_headline: Option<&'a str>,
    #[serde(rename = "dateModified")]
    date_modified: &'a str,
    #[serde(rename = "datePublished")]
    date_published: &'a str,
    dateline: Option<&'a str>,
    description: &'a str,
    headline: &'a str,
    image: Option<ImageObject>,
    #[serde(rename = "inLanguage")]
    in_language: &'a str,
    keywords: Option<&'a [String]>,
    #[serde(rename = "mainEntityOfPage")]
    main_entity_of_page: String,
    publisher: Publisher<'a>,
    #[serde(rename = "translationOfWork")]
    translation_of_work: Option<Reference<'a>>,
    url: String,
    #[serde(rename = "workTranslation")]
    work_translation: Option<Vec<Reference<'a>>>,
}

#[derive(Serialize)]
struct ImageObject {
    #[serde(rename = "@type")]
    kind: &'static str,
    height: u32,
    url: String,
    width: u32,
}

#[derive(Serialize)]
struct Publisher<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    #[serde(rename = "contactPoint")]
    contact_point: Option<Vec<ContactPoint<'a>>>,
    name: &'a str,
    url: String,
}

#[derive(Serialize)]
struct ContactPoint<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    #[serde(rename = "contactType")]
    contact_type: &'static str,
    description: Option<&'a str>,
    email: Option<&'a str>,
    name: &'a str,
    telephone: Option<&'a str>,
}

/// Another version of an article: the original, or a translation.
#[derive(Serialize)]
struct Reference<'a> {
    #[serde(rename = "@id")]
    id: String,
    #[serde(rename = "@type")]
    kind: &'static str,
    headline: &'a str,
    #[serde(rename = "inLanguage")]
    in_language: &'a str,
    url: String,
}

/// The room a page is rendered into at first: a briefing page of the generated corpus is
/// 15 KB on average.
const PAGE_BYTES: usize = 16 * 1024;

/// A link to another note: listings, feeds, previous and next.
#[derive(Serialize)]
struct NoteLink<'a> {
    title: &'a str,
    date: String,
    datetime: &'a str,
    /// RFC 3339 of `updated`, or of `date`.
    modified: &'a str,
    dateline: Option<&'a str>,
    summary: &'a str,
    link: String,
    url: String,
    project: Option<&'a str>,
    draft: bool,
    /// Under embargo (only `serve` lists such notes).
    embargoed: bool,
    /// A static page's label in the navigation: its `nav_label`, or its title.
    nav_label: &'a str,
}

/// A link to the same page in another language, or to that language's home when there is none.
#[derive(Serialize)]
struct Alternate<'a> {
    lang: &'a str,
    name: &'a str,
    html_lang: &'a str,
    link: String,
    url: String,
    /// False when the page has no version in that language: the link goes to its home page.
    available: bool,
}

#[derive(Serialize)]
struct TermLink {
    name: String,
    key: String,
    link: String,
    count: usize,
}

#[derive(Serialize)]
struct SitemapLink {
    hreflang: String,
    href: String,
}

/// One `<url>` of the sitemap.
#[derive(Serialize)]
struct SitemapUrl {
    loc: String,
    lastmod: Option<String>,
    alternates: Vec<SitemapLink>,
}

/// Renders one job of the plan.
pub fn render_job(
    site: &Site,
    theme: &Theme,
    plan: &Plan,
    job: Job,
) -> Result<OutputFile, Diagnostic> {
    Renderer::new(site, theme, plan, None).render(job)
}

/// Renders the given jobs of the plan, in parallel, keeping the pages `memory` vouches for.
/// Results come in the order of `jobs`.
pub fn render_jobs(
    site: &Site,
    theme: &Theme,
    plan: &Plan,
    memory: Option<&Memory>,
    jobs: &[Job],
) -> Vec<Result<OutputFile, Diagnostic>> {
    let r = Renderer::new(site, theme, plan, memory);
    jobs.par_iter().map(|&j| r.render(j)).collect()
}

/// What a template is given: values by name. A page's values go into tera's context to be
/// rendered, or into a fingerprint to learn whether the page changed, by the same code.
trait Scope {
    fn insert<T: Serialize + ?Sized>(&mut self, name: &'static str, value: &T);

    /// Links to notes, which many pages show: for a template, their views; for a
    /// fingerprint, the fingerprint of each view, made once a build.
    fn insert_links(&mut self, name: &'static str, notes: &[usize], r: &Renderer);

    /// A link to one note, as [`Scope::insert_links`].
    fn insert_link(&mut self, name: &'static str, note: usize, r: &Renderer);

    /// The site as `lang`'s pages show it (`site`), the same for all of them: for a
    /// fingerprint, its fingerprint, made once a build.
    fn insert_site(&mut self, lang: &str, r: &Renderer);

    /// JSON for a `<script>` element (see [`json_for_script`]); a fingerprint takes the
    /// value itself, which the text is made from.
    fn insert_json<T: Serialize>(&mut self, name: &'static str, value: &T);
}

impl Scope for Context {
    fn insert<T: Serialize + ?Sized>(&mut self, name: &'static str, value: &T) {
        Context::insert(self, name, value);
    }

    fn insert_links(&mut self, name: &'static str, notes: &[usize], r: &Renderer) {
        let links: Vec<NoteLink> = notes.iter().map(|&i| r.note_link(i)).collect();
        Context::insert(self, name, &links);
    }

    fn insert_link(&mut self, name: &'static str, note: usize, r: &Renderer) {
        Context::insert(self, name, &r.note_link(note));
    }

    fn insert_site(&mut self, lang: &str, r: &Renderer) {
        match r.sites.get(lang) {
            Some((view, _)) => Context::insert(self, "site", view),
            None => Context::insert(self, "site", &r.site_view(lang)),
        }
    }

    fn insert_json<T: Serialize>(&mut self, name: &'static str, value: &T) {
        Context::insert(self, name, &json_for_script(value));
    }
}

impl Scope for Fingerprint {
    fn insert<T: Serialize + ?Sized>(&mut self, name: &'static str, value: &T) {
        self.add(name, value);
    }

    fn insert_links(&mut self, name: &'static str, notes: &[usize], r: &Renderer) {
        let keys: Vec<Option<Key>> = notes.iter().map(|&i| r.link_key(i)).collect();
        self.add_keys(name, &keys);
    }

    fn insert_link(&mut self, name: &'static str, note: usize, r: &Renderer) {
        self.add_keys(name, &[r.link_key(note)]);
    }

    fn insert_site(&mut self, lang: &str, r: &Renderer) {
        match r.sites.get(lang) {
            Some((_, key)) => self.add_keys("site", &[*key]),
            None => self.add("site", &r.site_view(lang)),
        }
    }

    fn insert_json<T: Serialize>(&mut self, name: &'static str, value: &T) {
        self.add(name, value);
    }
}

/// Both at once: a page rendered and fingerprinted for the next build.
impl Scope for (Context, Fingerprint) {
    fn insert<T: Serialize + ?Sized>(&mut self, name: &'static str, value: &T) {
        self.0.insert(name, value);
        self.1.add(name, value);
    }

    fn insert_links(&mut self, name: &'static str, notes: &[usize], r: &Renderer) {
        self.0.insert_links(name, notes, r);
        self.1.insert_links(name, notes, r);
    }

    fn insert_link(&mut self, name: &'static str, note: usize, r: &Renderer) {
        self.0.insert_link(name, note, r);
        self.1.insert_link(name, note, r);
    }

    fn insert_site(&mut self, lang: &str, r: &Renderer) {
        self.0.insert_site(lang, r);
        self.1.insert_site(lang, r);
    }

    fn insert_json<T: Serialize>(&mut self, name: &'static str, value: &T) {
        self.0.insert_json(name, value);
        self.1.insert_json(name, value);
    }
}

/// Renders the site's files through the theme's templates.
struct Renderer<'a> {
    layout: Layout<'a>,
    /// The plan's pages, which the sitemap lists.
    pages: &'a [(Job, String)],
    site: &'a Site,
    theme: &'a Theme,
    config: &'a Config,
    memory: Option<&'a Memory>,
    /// Each language's view of the site, and its fingerprint.
    sites: HashMap<&'a str, (SiteView<'a>, Option<Key>)>,
    /// Each language's card of the site (see [`Renderer::site_card`]).
    cards: HashMap<&'a str, Option<CardView>>,
}

/// A note's body in its page: for the template, its HTML; for a fingerprint, the key of the
/// HTML (a body the last build rendered is not rendered again to be fingerprinted: see
/// [`Site::body`]). A fingerprint is the one value written in a form that is not human
/// readable, and that is what tells the two apart.
struct BodyHtml<'a> {
    site: &'a Site,
    note: usize,
}

impl Serialize for BodyHtml<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(self.site.body(self.note).map_or("", |r| r.html.as_str()))
        } else {
            let key = self.site.rendered[self.note].as_ref().map(|r| r.html_key);
            key.serialize(s)
        }
    }
}

/// JSON for a `<script>` element: `<`, `>` and `&` escaped so no text can close the element;
/// fields that are `None` left out.
fn json_for_script<T: Serialize>(value: &T) -> String {
    let mut value = serde_json::to_value(value).unwrap_or_default();
    without_nulls(&mut value);
    serde_json::to_string(&value)
        .unwrap_or_default()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// Leaves out of `value`'s objects, at every depth, the fields that are `null`.
fn without_nulls(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(without_nulls);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(without_nulls),
        _ => {}
    }
}

impl<'a> Renderer<'a> {
    fn new(site: &'a Site, theme: &'a Theme, plan: &'a Plan, memory: Option<&'a Memory>) -> Self {
        let mut renderer = Renderer {
            layout: Layout::new(site),
            pages: &plan.pages,
            site,
            theme,
            config: &site.config,
            memory,
            sites: HashMap::new(),
            cards: HashMap::new(),
        };
        renderer.sites = (site.config.languages.iter())
            .map(|l| {
                let view = renderer.site_view(&l.code);
                let mut f = Fingerprint::default();
                f.add("site", &view);
                (l.code.as_str(), (view, f.finish("")))
            })
            .collect();
        renderer.cards = (site.config.languages.iter())
            .map(|l| (l.code.as_str(), renderer.site_card(&l.code)))
            .collect();
        renderer
    }

    fn render(&self, job: Job) -> Result<OutputFile, Diagnostic> {
        let path = self.layout.path(job);
        let mut file = match job {
            Job::VCard(c) => OutputFile::page(path, self.site.vcards.cards[c].text.clone()),
            _ => self.templated(job, path)?,
        };
        file.from = source(self.site, job);
        Ok(file)
    }

    /// A page made by a template: kept as the last build left it when the memory vouches
    /// for it and its template would be given the same values, rendered otherwise.
    fn templated(&self, job: Job, path: String) -> Result<OutputFile, Diagnostic> {
        let (template, ctx, key) = match self.memory {
            None => {
                let mut ctx = Context::new();
                (self.fill(job, &mut ctx), ctx, None)
            }
            // Nothing remembered: every page is rendered, and fingerprinted on the way.
            Some(memory) if memory.is_empty() => {
                let mut both = (Context::new(), Fingerprint::default());
                let template = self.fill(job, &mut both);
                (template, both.0, both.1.finish(template))
            }
            Some(memory) => {
                let mut fingerprint = Fingerprint::default();
                let template = self.fill(job, &mut fingerprint);
                let key = fingerprint.finish(template);
                if let Some(key) = key
                    && let Some(stamp) = memory.kept(&path, &key)
                {
                    let file = memory.file(&path);
                    return Ok(OutputFile::kept(path, file, stamp, key));
                }
                let mut ctx = Context::new();
                self.fill(job, &mut ctx);
                (template, ctx, key)
            }
        };
        let mut file = self.render_to(template, &ctx, path).map_err(|mut d| {
            if let Job::Note(i) = job {
                let shown = display_path(&self.site.notes[i].shown);
                d.message = format!("{} (while rendering {shown})", d.message);
            }
            d
        })?;
        file.key = key;
        Ok(file)
    }

    /// Gives a job's template its values: the template's name.
    fn fill<C: Scope>(&self, job: Job, ctx: &mut C) -> &'static str {
        match job {
            Job::Note(i) => self.note_page(i, ctx),
            Job::Listing { lang, term, page } => self.listing_page(lang, term, page, ctx),
            Job::TermIndex { lang, kind } => self.term_index(lang, kind, ctx),
            Job::Feed { lang, term } => self.feed(lang, term, ctx),
            Job::Root => self.root_page(ctx),
            Job::NotFound | Job::Robots => {
                let template = if job == Job::Robots {
                    "robots.txt"
                } else {
                    "404.html"
                };
                self.simple(template, &self.layout.path(job), ctx)
            }
            Job::Search { lang } => self.search_page(lang, ctx),
            Job::Sitemap => self.sitemap(ctx),
            Job::Alias { note, .. } => self.alias_page(note, ctx),
            // Not made by a template.
            Job::VCard(_) => "",
        }
    }

    fn site_view(&self, lang: &str) -> SiteView<'a> {
        let c = self.config;
        let urls = SiteUrls::new(c, lang);
        SiteView {
            title: c.title(lang),
            base_url: &c.base_url,
            home: urls.root.clone(),
            languages: c
                .languages
                .iter()
                .map(|l| LanguageView {
                    code: &l.code,
                    name: &l.name,
                    html_lang: &l.html_lang,
                    home: c.link(&urls::home(&l.code)),
                    title: c.title(&l.code),
                })
                .collect(),
            stylesheet: urls.stylesheet.clone(),
            search: c.search,
            feed: urls.feed.clone(),
            urls,
        }
    }

    fn entity(&self, e: &'a Entity, lang: &str, kind: Kind) -> EntityView<'a> {
        let mut names: Vec<NameView<'a>> = Vec::new();
        let mut push = |code: &'a str| {
            if let Some(name) = e.names.get(code)
                && !names.iter().any(|n| n.lang == code)
            {
                names.push(NameView {
                    lang: code,
                    html_lang: self.config.html_lang(code),
                    name,
                });
            }
        };
        if let Some((code, _)) = e.names.get_key_value(lang) {
            push(code);
        }
        for l in &self.config.languages {
            push(&l.code);
        }
        EntityView {
            key: e.key.as_deref(),
            name: e.name(lang),
            names,
            url: e.url.as_deref(),
            link: e
                .key
                .as_ref()
                .map(|k| self.config.link(&urls::term(lang, kind, k))),
        }
    }

    /// The fingerprint of the link to note `i`, made once a build.
    fn link_key(&self, i: usize) -> Option<Key> {
        let memory = self.memory?;
        memory.link_key(i, self.site.notes.len(), || {
            let mut f = Fingerprint::default();
            f.add("link", &self.note_link(i));
            f.finish("")
        })
    }

    fn note_link(&self, i: usize) -> NoteLink<'a> {
        let n = &self.site.notes[i];
        let path = n.path();
        NoteLink {
            title: &n.title,
            date: n.date.date.to_string(),
            datetime: &n.date.rfc3339,
            modified: &self.site.modified(i).rfc3339,
            dateline: n.dateline.as_deref(),
            summary: self.site.summary(i),
            link: self.config.link(&path),
            url: self.config.absolute(&path),
            project: n.project.as_ref().map(|p| p.name(&n.lang)),
            draft: n.draft,
            embargoed: self.embargo(i).is_some(),
            nav_label: n.nav_label.as_deref().unwrap_or(&n.title),
        }
    }

    /// The card of the site: site.yaml's `social_card`, or the theme's `card.png`, with the
    /// site's title as its alt text.
    fn site_card(&self, lang: &str) -> Option<CardView> {
        let path = match &self.config.social_card {
            Some(file) => file.path.as_str(),
            None => urls::SOCIAL_CARD,
        };
        let (width, height) = match self.site.cleaned.get(path) {
            Some(c) => (c.width, c.height),
            None => {
                let file = self.theme.statics.iter().find(|s| s.rel == path)?;
                let size = match &file.source {
                    Source::BuiltIn(bytes) => imagesize::blob_size(bytes).ok()?,
                    Source::File(p) => imagesize::size(p).ok()?,
                };
                (size.width as u32, size.height as u32)
            }
        };
        Some(CardView {
            url: self.config.file_url(path),
            width,
            height,
            alt: self.config.title(lang).to_string(),
        })
    }

    /// The card of a note: the first image its text shows that is large enough for one
    /// (300×157 pixels, the least social networks show large), in its largest resized copy.
    fn note_card(&self, i: usize) -> Option<CardView> {
        let rendered = self.site.rendered[i].as_ref()?;
        rendered.images.iter().find_map(|shown| {
            let picture = self
                .site
                .pictures
                .get(&shown.content)
                .filter(|p| p.original.width >= 300 && p.original.height >= 157)?;
            let (path, width, height) = match picture.variants.last() {
                Some(v) => (
                    urls::image_variant(&shown.content, v.width, v.format.extension()),
                    v.width,
                    v.height,
                ),
                None => (
                    urls::content_file(&shown.content),
                    picture.original.width,
                    picture.original.height,
                ),
            };
            Some(CardView {
                url: self.config.file_url(&path),
                width,
                height,
                alt: shown.alt.clone(),
            })
        })
    }

    /// The files a note's page offers under "Downloads": those its `downloads:` names, in
    /// that order, or else every file of its folder but the images its text shows.
    fn downloads(&self, i: usize) -> impl Iterator<Item = &'a crate::content::BundleAsset> {
        let n: &'a Note = &self.site.notes[i];
        let shown: Vec<String> = self.site.rendered[i]
            .as_ref()
            .map(|r| r.images.iter().map(|shown| shown.content.clone()).collect())
            .unwrap_or_default();
        let chosen: Vec<&'a crate::content::BundleAsset> = match &n.downloads {
            Some(list) => list
                .iter()
                .filter_map(|name| n.assets.iter().find(|a| a.rel == *name))
                .collect(),
            None => n
                .assets
                .iter()
                .filter(|a| !shown.contains(&n.asset_path(a)))
                .collect(),
        };
        chosen.into_iter()
    }

    /// The note's embargo, while it lasts.
    fn embargo(&self, i: usize) -> Option<EmbargoView> {
        let e = self.site.embargo(i)?;
        if e.timestamp <= self.site.now {
            return None;
        }
        let tz = self
            .config
            .timezone
            .clone()
            .unwrap_or(jiff::tz::TimeZone::UTC);
        let zoned = e.timestamp.to_zoned_datetime(tz);
        Some(EmbargoView {
            datetime: e.rfc3339.clone(),
            date: zoned.date().to_string(),
            time: zoned.strftime("%H:%M").to_string(),
            zone: zoned.strftime("%Z").to_string(),
        })
    }

    fn note_view(&self, i: usize) -> NoteView<'a> {
        let n: &'a Note = &self.site.notes[i];
        let path = n.path();
        let briefing = n.section == Section::Briefings;
        NoteView {
            title: &n.title,
            subtitle: n.subtitle.as_deref(),
            dateline: n.dateline.as_deref(),
            date: n.date.date.to_string(),
            datetime: &n.date.rfc3339,
            updated: n.updated.as_ref().map(|u| u.date.to_string()),
            updated_datetime: n.updated.as_ref().map(|u| u.rfc3339.as_str()),
            summary: self.site.summary(i),
            content: BodyHtml {
                site: self.site,
                note: i,
            },
            link: self.config.link(&path),
            url: self.config.absolute(&path),
            lang: &n.lang,
            slug: &n.slug,
            project: n
                .project
                .as_ref()
                .map(|p| self.entity(p, &n.lang, Kind::Projects)),
            funder: n
                .funder
                .as_ref()
                .map(|f| self.entity(f, &n.lang, Kind::Funders)),
            event: n.event.as_ref().map(|e| EventView {
                start: e.start.as_ref().map(|w| w.rfc3339.as_str()),
                end: e.end.as_ref().map(|w| w.rfc3339.as_str()),
                locations: &e.locations,
            }),
            contacts: n
                .contacts
                .iter()
                .enumerate()
                .map(|(c, contact)| contact_view(contact, self.vcard_link(i, c)))
                .collect(),
            downloads: self
                .downloads(i)
                .map(|a| DownloadView {
                    name: a.rel.rsplit('/').next().unwrap_or(&a.rel),
                    link: self.config.file_link(&n.asset_path(a)),
                    url: self.config.file_url(&n.asset_path(a)),
                    kind: a
                        .rel
                        .rsplit_once('.')
                        .map_or_else(String::new, |(_, ext)| ext.to_uppercase()),
                    // What the reader downloads: an image without its metadata.
                    size: human_size(
                        self.site
                            .cleaned
                            .get(&n.asset_path(a))
                            .map_or(a.size, |c| c.size),
                    ),
                })
                .collect(),
            tags: n
                .tags
                .iter()
                .map(|t| TagView {
                    name: t,
                    link: crate::site::tag_key(t)
                        .filter(|_| briefing)
                        .map(|k| self.config.link(&urls::term(&n.lang, Kind::Tags, &k))),
                })
                .collect(),
            draft: n.draft,
            embargo: self.embargo(i),
        }
    }

    /// Link to the vCard of a note's `c`-th contact.
    fn vcard_link(&self, i: usize, c: usize) -> String {
        let cards = &self.site.vcards;
        cards.of(i).get(c).map_or_else(String::new, |&card| {
            self.config.link(&cards.cards[card].path)
        })
    }

    /// The same page in every language: `path_in(code)` gives its path there, if it exists;
    /// where it does not, the link goes to that language's home page.
    fn alternates(&self, path_in: impl Fn(&str) -> Option<String>) -> Vec<Alternate<'a>> {
        self.config
            .languages
            .iter()
            .map(|l| {
                let (path, available) = match path_in(&l.code) {
                    Some(p) => (p, true),
                    None => (urls::home(&l.code), false),
                };
                Alternate {
                    lang: &l.code,
                    name: &l.name,
                    html_lang: &l.html_lang,
                    link: self.config.link(&path),
                    url: self.config.absolute(&path),
                    available,
                }
            })
            .collect()
    }

    /// The sitemap entry of a page and its versions in other languages.
    fn sitemap_url(
        &self,
        path: &str,
        lastmod: Option<&str>,
        alternates: &[Alternate],
    ) -> SitemapUrl {
        let available: Vec<&Alternate> = alternates.iter().filter(|a| a.available).collect();
        let mut links = Vec::new();
        if available.len() > 1 {
            for a in &available {
                links.push(SitemapLink {
                    hreflang: a.html_lang.to_string(),
                    href: a.url.clone(),
                });
            }
            let default = available
                .iter()
                .find(|a| a.lang == self.config.default_language)
                .unwrap_or(&available[0]);
            links.push(SitemapLink {
                hreflang: "x-default".into(),
                href: default.url.clone(),
            });
        }
        SitemapUrl {
            loc: self.config.absolute(path),
            lastmod: lastmod.map(str::to_string),
            alternates: links,
        }
    }

    /// What every page's template is given.
    fn base_context<C: Scope>(
        &self,
        ctx: &mut C,
        lang: &str,
        path: &str,
        alternates: &[Alternate<'a>],
    ) {
        ctx.insert("lang", lang);
        ctx.insert("html_lang", self.config.html_lang(lang));
        ctx.insert_site(lang, self);
        ctx.insert("canonical", &self.config.absolute(path));
        ctx.insert("alternates", alternates);
        ctx.insert("og_type", "website");
        ctx.insert("meta_title", self.config.title(lang));
        ctx.insert("meta_description", self.config.title(lang));
        match self.cards.get(lang) {
            Some(card) => ctx.insert("card", card),
            None => ctx.insert("card", &self.site_card(lang)),
        }
        let nav = self
            .site
            .languages
            .get(lang)
            .map_or(&[][..], |index| &index.pages);
        ctx.insert_links("nav", nav, self);
    }

    fn render_to(
        &self,
        template: &str,
        ctx: &Context,
        path: String,
    ) -> Result<OutputFile, Diagnostic> {
        let theme = self.theme;
        // Written as bytes: tera's `render` would check the whole page for UTF-8 again to
        // make a String of it. Room for a briefing page as most are, without growing.
        let mut page = Vec::with_capacity(PAGE_BYTES);
        theme
            .tera
            .render_to(template, ctx, &mut page)
            .map_err(|e| template_error(&e, &theme.sources))?;
        Ok(OutputFile::page(path, page))
    }

    fn note_page<C: Scope>(&self, i: usize, ctx: &mut C) -> &'static str {
        let site = self.site;
        let note = &site.notes[i];
        let path = note.path();
        let alternates = self.note_alternates(i);
        self.base_context(ctx, &note.lang, &path, &alternates);
        let view = self.note_view(i);
        ctx.insert(
            "meta_title",
            &format!("{} · {}", note.title, self.config.title(&note.lang)),
        );
        ctx.insert("meta_description", view.summary);
        let card = self.note_card(i);
        if let Some(card) = &card {
            ctx.insert("card", card);
        }
        ctx.insert("page", &view);
        match note.section {
            Section::Briefings => {
                if let Some(p) = site.position[i] {
                    let list = &site.languages[&note.lang].briefings;
                    // The list is newest first: "previous" is the older briefing.
                    if let Some(&older) = list.get(p + 1) {
                        ctx.insert_link("previous", older, self);
                    }
                    if p > 0 {
                        ctx.insert_link("next", list[p - 1], self);
                    }
                }
                ctx.insert("og_type", "article");
                ctx.insert_json("json_ld", &self.json_ld(i, &view, card));
                "briefing.html"
            }
            Section::Pages => "page.html",
        }
    }

    fn note_alternates(&self, i: usize) -> Vec<Alternate<'a>> {
        let site = self.site;
        self.alternates(|code| site.version_in(i, code).map(|j| site.notes[j].path()))
    }

    /// schema.org NewsArticle for a briefing, with its translations and its card (`card`:
    /// the photo search engines show beside the headline).
    fn json_ld(&self, i: usize, view: &NoteView<'a>, card: Option<CardView>) -> Article<'a> {
        let site = self.site;
        let note: &'a Note = &site.notes[i];
        let html_lang = |n: &'a Note| self.config.html_lang(&n.lang);
        let reference = |j: usize| {
            let other: &'a Note = &site.notes[j];
            let url = self.config.absolute(&other.path());
            Reference {
                id: url.clone(),
                kind: "NewsArticle",
                headline: &other.title,
                in_language: html_lang(other),
                url,
            }
        };
        // The version in the first language of site.yaml is the original; the others translate it.
        let original = std::iter::once(i)
            .chain(site.translations[i].iter().copied())
            .min_by_key(|&j| {
                self.config
                    .languages
                    .iter()
                    .position(|l| l.code == site.notes[j].lang)
            })
            .unwrap_or(i);
        let translations = &site.translations[i];
        Article {
            context: "https://schema.org",
            id: view.url.clone(),
            kind: "NewsArticle",
            alternative_headline: note.subtitle.as_deref(),
            date_modified: &site.modified(i).rfc3339,
            date_published: &note.date.rfc3339,
            dateline: note.dateline.as_deref(),
            description: view.summary,
            headline: &note.title,
            image: card.map(|card| ImageObject {
                kind: "ImageObject",
                height: card.height,
                url: card.url,
                width: card.width,
            }),
            in_language: html_lang(note),
            keywords: (!note.tags.is_empty()).then_some(&note.tags[..]),
            main_entity_of_page: view.url.clone(),
            publisher: Publisher {
                kind: "Organization",
                contact_point: (!note.contacts.is_empty()).then(|| {
                    (note.contacts.iter())
                        .map(|c| ContactPoint {
                            kind: "ContactPoint",
                            contact_type: "press",
                            description: c.role.as_deref(),
                            email: c.email.as_deref(),
                            name: &c.name,
                            telephone: c.phone.as_ref().map(|p| p.shown.as_str()),
                        })
                        .collect()
                }),
                name: self.config.title(&note.lang),
                url: self.config.absolute(&urls::home(&note.lang)),
            },
            translation_of_work: (original != i).then(|| reference(original)),
            url: view.url.clone(),
            work_translation: (original == i && !translations.is_empty())
                .then(|| translations.iter().map(|&j| reference(j)).collect()),
        }
    }

    /// The same listing in the other languages, where it exists.
    fn listing_alternates(&self, lang: usize, term: Option<(Kind, usize)>) -> Vec<Alternate<'a>> {
        self.alternates(|code| match term {
            None => Some(urls::home(code)),
            Some((kind, t)) => {
                let key = &self.layout.term(lang, kind, t).key;
                let index = self.site.languages.get(code)?;
                index
                    .terms(kind)
                    .iter()
                    .any(|o| o.key == *key)
                    .then(|| urls::term(code, kind, key))
            }
        })
    }

    /// The newest change among a list of notes.
    fn lastmod<'b>(&self, notes: impl Iterator<Item = &'b usize>) -> Option<&'a str> {
        notes.map(|&i| self.site.modified(i).rfc3339.as_str()).max()
    }

    /// One page of a paginated list of briefings: the home page of a language (`term` None),
    /// or a project's, funder's or tag's page. It gets only its slice of the list.
    fn listing_page<C: Scope>(
        &self,
        lang: usize,
        term: Option<(Kind, usize)>,
        n: usize,
        ctx: &mut C,
    ) -> &'static str {
        let code = self.layout.lang(lang);
        let list = self.layout.listing_items(lang, term);
        let per_page = self.config.per_page;
        let pages = list.len().div_ceil(per_page).max(1);
        let path = self.layout.listing_page_path(lang, term, n);
        let alternates = self.listing_alternates(lang, term);
        self.base_context(ctx, code, &path, &alternates);
        let end = list.len().min(n * per_page);
        let items = list.get((n - 1) * per_page..end).unwrap_or_default();
        ctx.insert_links("items", items, self);
        ctx.insert("page_number", &n);
        ctx.insert("page_count", &pages);
        if n > 1 {
            ctx.insert(
                "newer",
                &self
                    .config
                    .link(&self.layout.listing_page_path(lang, term, n - 1)),
            );
        }
        if n < pages {
            ctx.insert(
                "older",
                &self
                    .config
                    .link(&self.layout.listing_page_path(lang, term, n + 1)),
            );
        }
        match term {
            None => "home.html",
            Some((kind, t)) => {
                let term = self.layout.term(lang, kind, t);
                let dir = self.layout.listing_dir(lang, Some((kind, t)));
                ctx.insert("kind", kind.dir());
                ctx.insert(
                    "term",
                    &serde_json::json!({
                        "key": term.key,
                        "name": term.name,
                        "url": term.url,
                        "count": term.notes.len(),
                        "feed": self.config.link(&urls::feed(&dir)),
                        "index": self.config.link(&urls::term_index(code, kind)),
                    }),
                );
                ctx.insert(
                    "meta_title",
                    &format!("{} · {}", term.name, self.config.title(code)),
                );
                "term.html"
            }
        }
    }

    fn term_index_alternates(&self, kind: Kind) -> Vec<Alternate<'a>> {
        self.alternates(|code| Some(urls::term_index(code, kind)))
    }

    /// The page listing every project, funder or tag of a language.
    fn term_index<C: Scope>(&self, lang: usize, kind: Kind, ctx: &mut C) -> &'static str {
        let code = self.layout.lang(lang);
        let path = urls::term_index(code, kind);
        let alternates = self.term_index_alternates(kind);
        self.base_context(ctx, code, &path, &alternates);
        let links: Vec<TermLink> = self.site.languages[lang]
            .terms(kind)
            .iter()
            .map(|t| TermLink {
                name: t.name.clone(),
                key: t.key.clone(),
                link: self.config.link(&urls::term(code, kind, &t.key)),
                count: t.notes.len(),
            })
            .collect();
        ctx.insert("kind", kind.dir());
        ctx.insert("terms", &links);
        "terms.html"
    }

    /// The Atom feed of a language, or of a project, funder or tag in that language: the
    /// newest entries, each with its full text, contacts and press kit.
    fn feed<C: Scope>(
        &self,
        lang: usize,
        term: Option<(Kind, usize)>,
        ctx: &mut C,
    ) -> &'static str {
        let code = self.layout.lang(lang);
        let dir = self.layout.listing_dir(lang, term);
        let list = self.layout.listing_items(lang, term);
        let entries: Vec<FeedEntry> = list
            .iter()
            .take(FEED_ENTRIES)
            .map(|&i| self.feed_entry(i))
            .collect();
        let updated = list
            .iter()
            .take(FEED_ENTRIES)
            .map(|&i| self.site.modified(i))
            .max_by_key(|w| w.timestamp)
            .or_else(|| {
                // An empty feed: the site's latest briefing in any language, never the
                // clock, so that a rebuild writes the same bytes and a deploy sends nothing.
                (0..self.site.languages.len())
                    .flat_map(|l| self.layout.listing_items(l, None))
                    .map(|&i| self.site.modified(i))
                    .max_by_key(|w| w.timestamp)
            })
            .map_or_else(|| "1970-01-01T00:00:00Z".to_string(), |w| w.rfc3339.clone());
        let site_title = self.config.title(code);
        let title = match term {
            None => site_title.to_string(),
            Some((kind, t)) => format!("{} · {site_title}", self.layout.term(lang, kind, t).name),
        };
        self.base_context(ctx, code, &dir, &[]);
        ctx.insert(
            "feed",
            &serde_json::json!({
                "title": title,
                "self_url": self.config.absolute(&urls::feed(&dir)),
                "alternate": self.config.absolute(&dir),
                "updated": updated,
            }),
        );
        ctx.insert("entries", &entries);
        "atom.xml"
    }

    fn feed_entry(&self, i: usize) -> FeedEntry<'a> {
        let n: &'a Note = &self.site.notes[i];
        let cards = &self.site.vcards;
        FeedEntry {
            note: self.note_link(i),
            content: self.site.body(i).and_then(|r| r.feed_html.as_deref()),
            contacts: n
                .contacts
                .iter()
                .enumerate()
                .map(|(c, contact)| {
                    let vcard = cards.of(i).get(c).map_or_else(String::new, |&card| {
                        self.config.absolute(&cards.cards[card].path)
                    });
                    contact_view(contact, vcard)
                })
                .collect(),
            enclosures: self
                .downloads(i)
                .map(|a| {
                    let path = n.asset_path(a);
                    let mime = match self.site.cleaned.get(&path) {
                        Some(c) => c.format.mime().to_string(),
                        None => mime_guess::from_path(&a.rel)
                            .first_or_octet_stream()
                            .to_string(),
                    };
                    Enclosure {
                        length: self.site.cleaned.get(&path).map_or(a.size, |c| c.size),
                        url: self.config.file_url(&path),
                        mime,
                        title: a.rel.rsplit('/').next().unwrap_or(&a.rel).to_string(),
                    }
                })
                .collect(),
            categories: n
                .project
                .iter()
                .chain(&n.funder)
                .map(|e| e.name(&n.lang))
                .chain(n.tags.iter().map(String::as_str))
                .collect(),
        }
    }

    fn home_alternates(&self) -> Vec<Alternate<'a>> {
        self.alternates(|code| Some(urls::home(code)))
    }

    fn root_page<C: Scope>(&self, ctx: &mut C) -> &'static str {
        let lang = self.config.default_language.as_str();
        self.base_context(ctx, lang, "", &self.home_alternates());
        "root.html"
    }

    /// A page of the site as a whole (404, robots.txt), in the default language.
    fn simple<C: Scope>(&self, template: &'static str, path: &str, ctx: &mut C) -> &'static str {
        let lang = self.config.default_language.as_str();
        self.base_context(ctx, lang, path, &self.home_alternates());
        template
    }

    /// The search page of a language.
    fn search_page<C: Scope>(&self, lang: usize, ctx: &mut C) -> &'static str {
        let code = self.layout.lang(lang);
        let path = urls::search(code);
        let alternates = self.alternates(|other| Some(urls::search(other)));
        self.base_context(ctx, code, &path, &alternates);
        ctx.insert("meta_title", self.config.title(code));
        // The index's folder, and its meta.json, which names its other files.
        ctx.insert("search_index_url", &self.config.link(&path));
        ctx.insert(
            "search_meta_url",
            &self.config.link(&urls::search_meta(code)),
        );
        // Every language's, for the script to ask the others when a query finds little here.
        let metas: std::collections::BTreeMap<&str, String> = self
            .config
            .languages
            .iter()
            .map(|l| {
                (
                    l.code.as_str(),
                    self.config.link(&urls::search_meta(&l.code)),
                )
            })
            .collect();
        ctx.insert("search_meta_urls", &metas);
        "search.html"
    }

    /// A redirect from an old URL of a note to the note.
    fn alias_page<C: Scope>(&self, i: usize, ctx: &mut C) -> &'static str {
        let note = &self.site.notes[i];
        let target = note.path();
        self.base_context(ctx, &note.lang, &target, &[]);
        ctx.insert("target", &self.config.link(&target));
        ctx.insert("title", &note.title);
        "alias.html"
    }

    /// The sitemap entry of a job's page, for pages that search engines should see.
    fn sitemap_entry(&self, job: Job) -> Option<SitemapUrl> {
        let site = self.site;
        let (alternates, lastmod) = match job {
            Job::Note(i) => (
                self.note_alternates(i),
                site.changed(i).map(|w| w.rfc3339.as_str()),
            ),
            // A page of a listing changed when a briefing of its slice did: looking at the
            // slice keeps the sitemap linear in the number of briefings.
            Job::Listing { lang, term, page } => (
                self.listing_alternates(lang, term),
                self.lastmod(
                    self.layout
                        .listing_items(lang, term)
                        .iter()
                        .skip((page - 1) * site.config.per_page)
                        .take(site.config.per_page),
                ),
            ),
            Job::TermIndex { lang, kind } => (
                self.term_index_alternates(kind),
                self.lastmod(
                    site.languages[lang]
                        .terms(kind)
                        .iter()
                        .flat_map(|t| t.notes.first()),
                ),
            ),
            Job::Root => (
                Vec::new(),
                self.lastmod(
                    site.languages
                        .values()
                        .flat_map(|index| index.briefings.first()),
                ),
            ),
            _ => return None,
        };
        Some(self.sitemap_url(&self.layout.page_path(job), lastmod, &alternates))
    }

    fn sitemap<C: Scope>(&self, ctx: &mut C) -> &'static str {
        // One entry per page: on every core, as the pages themselves.
        let mut urls: Vec<SitemapUrl> = self
            .pages
            .par_iter()
            .filter_map(|&(job, _)| self.sitemap_entry(job))
            .collect();
        urls.par_sort_by(|a, b| a.loc.cmp(&b.loc));
        ctx.insert("urls", &urls);
        "sitemap.xml"
    }
}

fn contact_view(c: &Contact, vcard: String) -> ContactView<'_> {
    ContactView {
        name: &c.name,
        role: c.role.as_deref(),
        organisation: c.organisation.as_deref(),
        email: c.email.as_deref(),
        phone: c.phone.as_ref().map(|p| p.shown.as_str()),
        tel: c.phone.as_ref().map(|p| p.tel.as_str()),
        vcard,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::open::{Purpose, Request};

    #[test]
    fn a_page_gets_its_links_ready_made_and_the_old_names_agree_with_site_urls() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/basic");
        let request = Request {
            root,
            now: "2020-01-01".parse().unwrap(),
            base_url: Some("https://press.example.org/press".into()),
            purpose: Purpose::Publish,
        };
        let (site, theme) = request.open().unwrap().load().unwrap();
        let plan = Plan::new(&site, &theme).unwrap();
        let renderer = Renderer::new(&site, &theme, &plan, None);
        let view = serde_json::to_value(renderer.site_view("zh")).unwrap();
        let urls = &view["urls"];
        assert_eq!(urls["home"], "/press/zh/");
        assert_eq!(urls["feed"], "/press/zh/atom.xml");
        assert_eq!(
            urls["sitemap"],
            "https://press.example.org/press/sitemap.xml"
        );
        // The names themes written before `site.urls` use.
        assert_eq!(view["home"], urls["root"]);
        assert_eq!(view["feed"], urls["feed"]);
        assert_eq!(view["stylesheet"], urls["stylesheet"]);
        // The languages, each with its home.
        let homes: Vec<&str> = view["languages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["home"].as_str().unwrap())
            .collect();
        assert_eq!(homes, ["/press/en/", "/press/zh/"]);
    }

    #[test]
    fn the_sitemap_lists_the_plans_pages_and_robots_txt_names_it() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/basic");
        let (site, theme) = Request::publish(root, "2020-01-01".parse().unwrap())
            .open()
            .unwrap()
            .load()
            .unwrap();
        let plan = Plan::new(&site, &theme).unwrap();
        let text = |job: Job| match render_job(&site, &theme, &plan, job).unwrap().body {
            crate::output::Body::Bytes(b) => String::from_utf8(b).unwrap(),
            _ => panic!("not rendered in memory"),
        };
        let sitemap = text(Job::Sitemap);
        let notes = plan
            .pages
            .iter()
            .filter(|(job, _)| matches!(job, Job::Note(_)))
            .count();
        assert!(notes > 3);
        assert!(sitemap.matches("<loc>").count() >= notes, "{sitemap}");
        assert!(!sitemap.contains("embargoed"));
        let robots = text(Job::Robots);
        assert!(robots.contains("Sitemap: https://"), "{robots}");
        assert!(robots.trim_end().ends_with("/sitemap.xml"), "{robots}");
    }
}
