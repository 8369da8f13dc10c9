//! Rendering: the site model through the theme's templates into a list of output files.

use std::collections::HashMap;
use std::path::PathBuf;

use rayon::prelude::*;
use serde::Serialize;
use tera::Context;

use crate::config::{Config, Entity};
use crate::content::{Contact, Note, Section};
use crate::error::{Diagnostic, display_path};
use crate::site::{Site, Term};
use crate::theme::{Source, Theme, template_error};

/// How many entries a feed holds.
const FEED_ENTRIES: usize = 20;

/// The bytes of one output file.
#[derive(Debug, Clone)]
pub enum Body {
    Bytes(Vec<u8>),
    Static(&'static [u8]),
    /// Copied from this file.
    File(PathBuf),
}

/// One file of the built site.
#[derive(Debug, Clone)]
pub struct OutputFile {
    /// Path under the output folder, with forward slashes: `en/briefings/x/index.html`.
    pub path: String,
    pub body: Body,
    /// The user's file it comes from, to name in errors.
    pub from: Option<PathBuf>,
}

impl OutputFile {
    fn page(path: String, html: String) -> Self {
        OutputFile {
            path,
            body: Body::Bytes(html.into_bytes()),
            from: None,
        }
    }
}

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
    /// Link to the site root.
    home: String,
    languages: Vec<LanguageView<'a>>,
    stylesheet: String,
    /// Link to this language's Atom feed.
    feed: String,
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
    tel: Option<String>,
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
    content: &'a str,
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
}

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

/// What the site's kinds of listing are called in URLs and interface strings.
#[derive(Clone, Copy)]
enum Kind {
    Projects,
    Funders,
    Tags,
}

impl Kind {
    fn dir(self) -> &'static str {
        match self {
            Kind::Projects => "projects",
            Kind::Funders => "funders",
            Kind::Tags => "tags",
        }
    }

    fn terms(self, index: &crate::site::LanguageIndex) -> &[Term] {
        match self {
            Kind::Projects => &index.projects,
            Kind::Funders => &index.funders,
            Kind::Tags => &index.tags,
        }
    }
}

const KINDS: [Kind; 3] = [Kind::Projects, Kind::Funders, Kind::Tags];

struct Renderer<'a> {
    site: &'a Site,
    theme: &'a Theme,
    config: &'a Config,
}

type Rendered = Result<(OutputFile, Option<SitemapUrl>), Diagnostic>;

/// Renders every page of the site and lists every file to copy.
pub fn render(site: &Site, theme: &Theme) -> Result<Vec<OutputFile>, Vec<Diagnostic>> {
    let r = Renderer {
        site,
        theme,
        config: &site.config,
    };
    let published: Vec<usize> = (0..site.notes.len())
        .filter(|&i| site.is_published(i))
        .collect();
    let mut results: Vec<Rendered> = published.par_iter().map(|&i| r.note_page(i)).collect();
    for lang in &site.config.languages {
        let code = lang.code.as_str();
        let index = &site.languages[code];
        results.extend(r.listing(code, None, &index.briefings));
        results.push(r.feed(code, None, &index.briefings));
        for kind in KINDS {
            results.push(r.term_index(code, kind));
            for term in kind.terms(index) {
                results.extend(r.listing(code, Some((kind, term)), &term.notes));
                if matches!(kind, Kind::Projects) {
                    results.push(r.feed(code, Some(term), &term.notes));
                }
            }
        }
    }
    results.push(r.root_page());
    results.push(r.simple("404.html", "404.html"));
    for &i in &published {
        for alias in &site.notes[i].aliases {
            results.push(r.alias_page(i, alias));
        }
    }

    let mut files = Vec::with_capacity(results.len() + 64);
    let mut sitemap = Vec::new();
    let mut errors = Vec::new();
    for result in results {
        match result {
            Ok((f, url)) => {
                files.push(f);
                sitemap.extend(url);
            }
            Err(e) => errors.push(e),
        }
    }
    match r.sitemap(sitemap) {
        Ok(f) => files.push(f),
        Err(e) => errors.push(e),
    }
    match r.simple("robots.txt", "robots.txt") {
        Ok((f, _)) => files.push(f),
        Err(e) => errors.push(e),
    }
    // Files beside a note are copied next to each of its pages.
    for &i in &published {
        let note = &site.notes[i];
        for asset in &note.assets {
            files.push(OutputFile {
                path: format!("{}{}", note.path(), asset.rel),
                body: Body::File(asset.source.clone()),
                from: None,
            });
        }
    }
    for asset in &site.loose_assets {
        files.push(OutputFile {
            path: asset.rel.clone(),
            body: Body::File(asset.source.clone()),
            from: None,
        });
    }
    for s in &theme.statics {
        files.push(OutputFile {
            path: s.rel.clone(),
            body: match &s.source {
                Source::BuiltIn(bytes) => Body::Static(bytes),
                Source::File(p) => Body::File(p.clone()),
            },
            from: None,
        });
    }
    check_collisions(site, &files, &mut errors);
    if errors.is_empty() {
        Ok(files)
    } else {
        Err(errors)
    }
}

/// Two sources that would write the same output file are an error naming both.
fn check_collisions(site: &Site, files: &[OutputFile], errors: &mut Vec<Diagnostic>) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (n, f) in files.iter().enumerate() {
        if let Some(first) = seen.insert(f.path.as_str(), n) {
            let describe = |f: &OutputFile| {
                let shown =
                    |p: &PathBuf| display_path(p.strip_prefix(&site.config.root).unwrap_or(p));
                match (&f.from, &f.body) {
                    (Some(from), _) => format!("{} ({})", shown(from), f.path),
                    (None, Body::File(p)) => shown(p),
                    _ => format!("the generated page {}", f.path),
                }
            };
            let mut d = Diagnostic::error(format!(
                "two things would be written to /{}: {} and {}",
                f.path,
                describe(&files[first]),
                describe(f)
            ))
            .help("change the alias, slug or file name so that each page and file has its own URL");
            if let Some(from) = f.from.as_ref().or(files[first].from.as_ref()) {
                d = d.file(from.strip_prefix(&site.config.root).unwrap_or(from));
            }
            errors.push(d);
        }
    }
}

/// JSON for a `<script>` element: `<`, `>` and `&` escaped so no text can close the element.
fn json_for_script(value: &serde_json::Value) -> String {
    serde_json::to_string(value)
        .unwrap_or_default()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

impl<'a> Renderer<'a> {
    fn site_view(&self, lang: &str) -> SiteView<'a> {
        let c = self.config;
        SiteView {
            title: c.title(lang),
            base_url: &c.base_url,
            home: c.link(""),
            languages: c
                .languages
                .iter()
                .map(|l| LanguageView {
                    code: &l.code,
                    name: &l.name,
                    html_lang: &l.html_lang,
                    home: c.link(&format!("{}/", l.code)),
                    title: c.title(&l.code),
                })
                .collect(),
            stylesheet: c.link("style.css"),
            feed: c.link(&format!("{lang}/atom.xml")),
        }
    }

    fn entity(&self, e: &'a Entity, lang: &str, kind: Kind) -> EntityView<'a> {
        let mut names: Vec<NameView<'a>> = Vec::new();
        let mut push = |code: &'a str| {
            if let Some(name) = e.names.get(code)
                && !names.iter().any(|n| n.lang == code)
            {
                let html_lang = self
                    .config
                    .language(code)
                    .map_or(code, |l| l.html_lang.as_str());
                names.push(NameView {
                    lang: code,
                    html_lang,
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
                .map(|k| self.config.link(&format!("{lang}/{}/{k}/", kind.dir()))),
        }
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
        }
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
            content: self.site.rendered[i]
                .as_ref()
                .map_or("", |r| r.html.as_str()),
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
            contacts: n.contacts.iter().map(contact_view).collect(),
            tags: n
                .tags
                .iter()
                .map(|t| TagView {
                    name: t,
                    link: crate::site::tag_key(t)
                        .filter(|_| briefing)
                        .map(|k| self.config.link(&format!("{}/tags/{k}/", n.lang))),
                })
                .collect(),
            draft: n.draft,
        }
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
                    None => (format!("{}/", l.code), false),
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

    fn base_context(&self, lang: &str, path: &str, alternates: &[Alternate<'a>]) -> Context {
        let mut ctx = Context::new();
        let language = self.config.language(lang);
        ctx.insert("lang", lang);
        ctx.insert("html_lang", language.map_or(lang, |l| l.html_lang.as_str()));
        ctx.insert("site", &self.site_view(lang));
        ctx.insert("canonical", &self.config.absolute(path));
        ctx.insert("alternates", alternates);
        ctx.insert("og_type", "website");
        ctx.insert("meta_title", self.config.title(lang));
        ctx.insert("meta_description", self.config.title(lang));
        let nav: Vec<NoteLink> = self
            .site
            .languages
            .get(lang)
            .map(|index| index.pages.iter().map(|&i| self.note_link(i)).collect())
            .unwrap_or_default();
        ctx.insert("nav", &nav);
        ctx
    }

    fn render_to(
        &self,
        template: &str,
        ctx: &Context,
        path: String,
    ) -> Result<OutputFile, Diagnostic> {
        let text = self
            .theme
            .tera
            .render(template, ctx)
            .map_err(|e| template_error(&e, &self.theme.sources))?;
        Ok(OutputFile::page(path, text))
    }

    fn note_page(&self, i: usize) -> Rendered {
        let site = self.site;
        let note = &site.notes[i];
        let path = note.path();
        let alternates =
            self.alternates(|code| site.version_in(i, code).map(|j| site.notes[j].path()));
        let mut ctx = self.base_context(&note.lang, &path, &alternates);
        let view = self.note_view(i);
        ctx.insert(
            "meta_title",
            &format!("{} · {}", note.title, self.config.title(&note.lang)),
        );
        ctx.insert("meta_description", view.summary);
        ctx.insert("page", &view);
        let template = match note.section {
            Section::Briefings => {
                if let Some(p) = site.position[i] {
                    let list = &site.languages[&note.lang].briefings;
                    // The list is newest first: "previous" is the older briefing.
                    if let Some(&older) = list.get(p + 1) {
                        ctx.insert("previous", &self.note_link(older));
                    }
                    if p > 0 {
                        ctx.insert("next", &self.note_link(list[p - 1]));
                    }
                }
                ctx.insert("og_type", "article");
                ctx.insert("json_ld", &json_for_script(&self.json_ld(i, &view)));
                "briefing.html"
            }
            Section::Pages => "page.html",
        };
        let lastmod = &site.modified(i).rfc3339;
        let url = self.sitemap_url(&path, Some(lastmod), &alternates);
        let mut file = self
            .render_to(template, &ctx, format!("{path}index.html"))
            .map_err(|mut d| {
                d.message = format!(
                    "{} (while rendering {})",
                    d.message,
                    display_path(&note.shown)
                );
                d
            })?;
        file.from = Some(note.source.clone());
        Ok((file, Some(url)))
    }

    /// schema.org NewsArticle for a briefing, with its translations.
    fn json_ld(&self, i: usize, view: &NoteView) -> serde_json::Value {
        use serde_json::json;
        let site = self.site;
        let note = &site.notes[i];
        let html_lang = |n: &Note| {
            self.config
                .language(&n.lang)
                .map_or(n.lang.clone(), |l| l.html_lang.clone())
        };
        let reference = |j: usize| {
            json!({
                "@type": "NewsArticle",
                "@id": self.config.absolute(&site.notes[j].path()),
                "url": self.config.absolute(&site.notes[j].path()),
                "inLanguage": html_lang(&site.notes[j]),
                "headline": site.notes[j].title,
            })
        };
        let mut article = json!({
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "@id": view.url,
            "url": view.url,
            "mainEntityOfPage": view.url,
            "headline": note.title,
            "description": view.summary,
            "datePublished": note.date.rfc3339,
            "dateModified": site.modified(i).rfc3339,
            "inLanguage": html_lang(note),
            "publisher": {
                "@type": "Organization",
                "name": self.config.title(&note.lang),
                "url": self.config.absolute(&format!("{}/", note.lang)),
            },
        });
        if let Some(d) = &note.dateline {
            article["dateline"] = json!(d);
        }
        if let Some(s) = &note.subtitle {
            article["alternativeHeadline"] = json!(s);
        }
        if !note.tags.is_empty() {
            article["keywords"] = json!(note.tags);
        }
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
        if original == i {
            if !site.translations[i].is_empty() {
                article["workTranslation"] = serde_json::Value::Array(
                    site.translations[i].iter().map(|&j| reference(j)).collect(),
                );
            }
        } else {
            article["translationOfWork"] = reference(original);
        }
        article
    }

    /// A paginated list of briefings: the home page of a language (`term` None), or a
    /// project's, funder's or tag's page. Each page gets only its slice of the list.
    fn listing(&self, lang: &str, term: Option<(Kind, &Term)>, list: &[usize]) -> Vec<Rendered> {
        let base = match term {
            None => format!("{lang}/"),
            Some((kind, t)) => format!("{lang}/{}/{}/", kind.dir(), t.key),
        };
        let per_page = self.config.per_page;
        let pages = list.len().div_ceil(per_page).max(1);
        let page_path = |n: usize| {
            if n == 1 {
                base.clone()
            } else {
                format!("{base}page/{n}/")
            }
        };
        // The same listing in the other languages, where it exists.
        let alternates = self.alternates(|code| match term {
            None => Some(format!("{code}/")),
            Some((kind, t)) => {
                let index = self.site.languages.get(code)?;
                kind.terms(index)
                    .iter()
                    .any(|o| o.key == t.key)
                    .then(|| format!("{code}/{}/{}/", kind.dir(), t.key))
            }
        });
        let lastmod = list.iter().map(|&i| &self.site.modified(i).rfc3339).max();
        (1..=pages)
            .map(|n| {
                let path = page_path(n);
                let mut ctx = self.base_context(lang, &path, &alternates);
                let items: Vec<NoteLink> = list
                    .iter()
                    .skip((n - 1) * per_page)
                    .take(per_page)
                    .map(|&i| self.note_link(i))
                    .collect();
                ctx.insert("items", &items);
                ctx.insert("page_number", &n);
                ctx.insert("page_count", &pages);
                if n > 1 {
                    ctx.insert("newer", &self.config.link(&page_path(n - 1)));
                }
                if n < pages {
                    ctx.insert("older", &self.config.link(&page_path(n + 1)));
                }
                let template = match term {
                    None => "home.html",
                    Some((kind, t)) => {
                        ctx.insert("kind", kind.dir());
                        ctx.insert(
                            "term",
                            &serde_json::json!({
                                "key": t.key,
                                "name": t.name,
                                "url": t.url,
                                "count": t.notes.len(),
                                "feed": matches!(kind, Kind::Projects)
                                    .then(|| self.config.link(&format!("{base}atom.xml"))),
                                "index": self.config.link(&format!("{lang}/{}/", kind.dir())),
                            }),
                        );
                        ctx.insert(
                            "meta_title",
                            &format!("{} · {}", t.name, self.config.title(lang)),
                        );
                        "term.html"
                    }
                };
                let file = self.render_to(template, &ctx, format!("{path}index.html"))?;
                let url = self.sitemap_url(&path, lastmod.map(String::as_str), &alternates);
                Ok((file, Some(url)))
            })
            .collect()
    }

    /// The page listing every project, funder or tag of a language.
    fn term_index(&self, lang: &str, kind: Kind) -> Rendered {
        let path = format!("{lang}/{}/", kind.dir());
        let alternates = self.alternates(|code| Some(format!("{code}/{}/", kind.dir())));
        let mut ctx = self.base_context(lang, &path, &alternates);
        let terms = kind.terms(&self.site.languages[lang]);
        let links: Vec<TermLink> = terms
            .iter()
            .map(|t| TermLink {
                name: t.name.clone(),
                key: t.key.clone(),
                link: self.config.link(&format!("{path}{}/", t.key)),
                count: t.notes.len(),
            })
            .collect();
        ctx.insert("kind", kind.dir());
        ctx.insert("terms", &links);
        let lastmod = terms
            .iter()
            .flat_map(|t| t.notes.first())
            .map(|&i| &self.site.modified(i).rfc3339)
            .max();
        let file = self.render_to("terms.html", &ctx, format!("{path}index.html"))?;
        let url = self.sitemap_url(&path, lastmod.map(String::as_str), &alternates);
        Ok((file, Some(url)))
    }

    /// The Atom feed of a language, or of a project in that language: the newest entries.
    fn feed(&self, lang: &str, project: Option<&Term>, list: &[usize]) -> Rendered {
        let dir = match project {
            None => format!("{lang}/"),
            Some(t) => format!("{lang}/projects/{}/", t.key),
        };
        let entries: Vec<NoteLink> = list
            .iter()
            .take(FEED_ENTRIES)
            .map(|&i| self.note_link(i))
            .collect();
        let now = self.site.now.to_string();
        let updated = list
            .iter()
            .take(FEED_ENTRIES)
            .map(|&i| self.site.modified(i))
            .max_by_key(|w| w.timestamp)
            .map_or(now, |w| w.rfc3339.clone());
        let site_title = self.config.title(lang);
        let title = match project {
            None => site_title.to_string(),
            Some(t) => format!("{} · {site_title}", t.name),
        };
        let mut ctx = self.base_context(lang, &dir, &[]);
        ctx.insert(
            "feed",
            &serde_json::json!({
                "title": title,
                "self_url": self.config.absolute(&format!("{dir}atom.xml")),
                "alternate": self.config.absolute(&dir),
                "updated": updated,
            }),
        );
        ctx.insert("entries", &entries);
        Ok((
            self.render_to("atom.xml", &ctx, format!("{dir}atom.xml"))?,
            None,
        ))
    }

    fn root_page(&self) -> Rendered {
        let lang = self.config.default_language.as_str();
        let alternates = self.alternates(|code| Some(format!("{code}/")));
        let ctx = self.base_context(lang, "", &alternates);
        let lastmod = self
            .site
            .languages
            .values()
            .flat_map(|index| index.briefings.first())
            .map(|&i| &self.site.modified(i).rfc3339)
            .max();
        let file = self.render_to("root.html", &ctx, "index.html".to_string())?;
        Ok((
            file,
            Some(self.sitemap_url("", lastmod.map(String::as_str), &[])),
        ))
    }

    /// A page of the site as a whole (404, robots.txt), in the default language.
    fn simple(&self, template: &str, path: &str) -> Rendered {
        let lang = self.config.default_language.as_str();
        let alternates = self.alternates(|code| Some(format!("{code}/")));
        let ctx = self.base_context(lang, path, &alternates);
        Ok((self.render_to(template, &ctx, path.to_string())?, None))
    }

    /// A redirect from an old URL of a note to the note.
    fn alias_page(&self, i: usize, alias: &str) -> Rendered {
        let note = &self.site.notes[i];
        let trimmed = alias.trim_start_matches('/');
        let path = if trimmed.is_empty() || trimmed.ends_with('/') {
            format!("{trimmed}index.html")
        } else if trimmed.ends_with(".html") || trimmed.ends_with(".htm") {
            trimmed.to_string()
        } else {
            format!("{trimmed}/index.html")
        };
        let target = note.path();
        let mut ctx = self.base_context(&note.lang, &target, &[]);
        ctx.insert("target", &self.config.link(&target));
        ctx.insert("title", &note.title);
        let mut file = self.render_to("alias.html", &ctx, path)?;
        file.from = Some(note.source.clone());
        Ok((file, None))
    }

    fn sitemap(&self, mut urls: Vec<SitemapUrl>) -> Result<OutputFile, Diagnostic> {
        urls.sort_by(|a, b| a.loc.cmp(&b.loc));
        let mut ctx = Context::new();
        ctx.insert("urls", &urls);
        self.render_to("sitemap.xml", &ctx, "sitemap.xml".to_string())
    }
}

fn contact_view(c: &Contact) -> ContactView<'_> {
    ContactView {
        name: &c.name,
        role: c.role.as_deref(),
        organisation: c.organisation.as_deref(),
        email: c.email.as_deref(),
        phone: c.phone.as_deref(),
        tel: c.tel(),
    }
}
