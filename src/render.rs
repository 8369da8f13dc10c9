//! Rendering: the site model through the theme's templates into a list of output files.

use std::collections::HashMap;
use std::path::PathBuf;

use rayon::prelude::*;
use serde::Serialize;
use tera::Context;

use crate::config::{Config, Entity};
use crate::content::{Contact, Note};
use crate::error::{Diagnostic, display_path};
use crate::site::Site;
use crate::theme::{Source, Theme, template_error};

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
    home: String,
    languages: Vec<LanguageView<'a>>,
    stylesheet: String,
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
    tags: &'a [String],
    draft: bool,
}

/// A link to another note: listings, previous and next.
#[derive(Serialize)]
struct NoteLink<'a> {
    title: &'a str,
    date: String,
    datetime: &'a str,
    dateline: Option<&'a str>,
    summary: &'a str,
    link: String,
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
    /// False when the note has no version in that language: the link goes to its home page.
    available: bool,
}

struct Renderer<'a> {
    site: &'a Site,
    theme: &'a Theme,
    config: &'a Config,
}

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
    let mut results: Vec<Result<OutputFile, Diagnostic>> =
        published.par_iter().map(|&i| r.note_page(i)).collect();
    for lang in &site.config.languages {
        results.extend(r.home_pages(&lang.code));
    }
    results.push(r.root_page());

    let mut files = Vec::with_capacity(results.len() + 64);
    let mut errors = Vec::new();
    for result in results {
        match result {
            Ok(f) => files.push(f),
            Err(e) => errors.push(e),
        }
    }
    // Files beside a note are copied next to each of its pages.
    for &i in &published {
        let note = &site.notes[i];
        for asset in &note.assets {
            files.push(OutputFile {
                path: format!("{}{}", note.path(), asset.rel),
                body: Body::File(asset.source.clone()),
            });
        }
    }
    for asset in &site.loose_assets {
        files.push(OutputFile {
            path: asset.rel.clone(),
            body: Body::File(asset.source.clone()),
        });
    }
    for s in &theme.statics {
        files.push(OutputFile {
            path: s.rel.clone(),
            body: match &s.source {
                Source::BuiltIn(bytes) => Body::Static(bytes),
                Source::File(p) => Body::File(p.clone()),
            },
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
            let describe = |f: &OutputFile| match &f.body {
                Body::File(p) => display_path(p.strip_prefix(&site.config.root).unwrap_or(p)),
                _ => format!("the page {}", f.path),
            };
            errors.push(
                Diagnostic::error(format!(
                    "two things would be written to {}: {} and {}",
                    f.path,
                    describe(&files[first]),
                    describe(f)
                ))
                .help("rename one of them, or change a slug, so that each page and file has its own URL"),
            );
        }
    }
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
        }
    }

    fn entity(&self, e: &'a Entity, lang: &str) -> EntityView<'a> {
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
        }
    }

    fn note_link(&self, i: usize) -> NoteLink<'a> {
        let n = &self.site.notes[i];
        NoteLink {
            title: &n.title,
            date: n.date.date.to_string(),
            datetime: &n.date.rfc3339,
            dateline: n.dateline.as_deref(),
            summary: self.site.summary(i),
            link: self.config.link(&n.path()),
            project: n.project.as_ref().map(|p| p.name(&n.lang)),
        }
    }

    fn note_view(&self, i: usize) -> NoteView<'a> {
        let n: &'a Note = &self.site.notes[i];
        let path = n.path();
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
            project: n.project.as_ref().map(|p| self.entity(p, &n.lang)),
            funder: n.funder.as_ref().map(|f| self.entity(f, &n.lang)),
            event: n.event.as_ref().map(|e| EventView {
                start: e.start.as_ref().map(|w| w.rfc3339.as_str()),
                end: e.end.as_ref().map(|w| w.rfc3339.as_str()),
                locations: &e.locations,
            }),
            contacts: n.contacts.iter().map(contact_view).collect(),
            tags: &n.tags,
            draft: n.draft,
        }
    }

    /// The same page in every language: the note's translations, or the other homes.
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

    fn base_context(&self, lang: &str, path: &str, alternates: Vec<Alternate<'a>>) -> Context {
        let mut ctx = Context::new();
        let language = self.config.language(lang);
        ctx.insert("lang", lang);
        ctx.insert("html_lang", language.map_or(lang, |l| l.html_lang.as_str()));
        ctx.insert("site", &self.site_view(lang));
        ctx.insert("canonical", &self.config.absolute(path));
        ctx.insert("alternates", &alternates);
        let nav: Vec<NoteLink> = self
            .site
            .languages
            .get(lang)
            .map(|index| index.pages.iter().map(|&i| self.note_link(i)).collect())
            .unwrap_or_default();
        ctx.insert("nav", &nav);
        ctx
    }

    fn render_page(
        &self,
        template: &str,
        ctx: &Context,
        path: String,
    ) -> Result<OutputFile, Diagnostic> {
        let html = self
            .theme
            .tera
            .render(template, ctx)
            .map_err(|e| template_error(&e, &self.theme.sources))?;
        Ok(OutputFile {
            path,
            body: Body::Bytes(html.into_bytes()),
        })
    }

    fn note_page(&self, i: usize) -> Result<OutputFile, Diagnostic> {
        let site = self.site;
        let note = &site.notes[i];
        let path = note.path();
        let alternates =
            self.alternates(|code| site.version_in(i, code).map(|j| site.notes[j].path()));
        let mut ctx = self.base_context(&note.lang, &path, alternates);
        ctx.insert("page", &self.note_view(i));
        let template = match note.section {
            crate::content::Section::Briefings => {
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
                "briefing.html"
            }
            crate::content::Section::Pages => "page.html",
        };
        self.render_page(template, &ctx, format!("{path}index.html"))
            .map_err(|mut d| {
                d.message = format!(
                    "{} (while rendering {})",
                    d.message,
                    display_path(&note.shown)
                );
                d
            })
    }

    fn home_pages(&self, lang: &str) -> Vec<Result<OutputFile, Diagnostic>> {
        let list = &self.site.languages[lang].briefings;
        let per_page = self.config.per_page;
        let pages = list.len().div_ceil(per_page).max(1);
        let page_path = |n: usize| {
            if n == 1 {
                format!("{lang}/")
            } else {
                format!("{lang}/page/{n}/")
            }
        };
        (1..=pages)
            .map(|n| {
                let path = page_path(n);
                let alternates = self.alternates(|code| Some(format!("{code}/")));
                let mut ctx = self.base_context(lang, &path, alternates);
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
                self.render_page("home.html", &ctx, format!("{path}index.html"))
            })
            .collect()
    }

    fn root_page(&self) -> Result<OutputFile, Diagnostic> {
        let lang = self.config.default_language.as_str();
        let alternates = self.alternates(|code| Some(format!("{code}/")));
        let ctx = self.base_context(lang, "", alternates);
        self.render_page("root.html", &ctx, "index.html".to_string())
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
