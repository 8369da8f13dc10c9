//! Every path and URL of the site, in one place. A path is where a file goes under the output
//! folder and what a page's address ends with (`en/briefings/x/`); a link is the path under
//! the base URL's own path (`/press/en/briefings/x/`), percent-encoded; a URL is absolute.
//! Changing a URL pattern of the site is a change to one function here.
//!
//! This module reads nothing but strings and the settings of site.yaml: the site model and the
//! renderer call it, never the other way round.

use percent_encoding::{AsciiSet, CONTROLS, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Serialize;

use crate::config::Config;

/// The site's kinds of listing, by the field of the note they list by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Projects,
    Funders,
    Tags,
}

impl Kind {
    /// The folder of the kind's listings under a language: `projects`.
    pub fn dir(self) -> &'static str {
        match self {
            Kind::Projects => "projects",
            Kind::Funders => "funders",
            Kind::Tags => "tags",
        }
    }
}

pub const KINDS: [Kind; 3] = [Kind::Projects, Kind::Funders, Kind::Tags];

/// The file a folder path is served from: `en/` → `en/index.html`.
pub const INDEX: &str = "index.html";
pub const NOT_FOUND: &str = "404.html";
pub const ROBOTS: &str = "robots.txt";
pub const SITEMAP: &str = "sitemap.xml";
/// The page that sends a visitor to a language: the site root.
pub const ROOT: &str = "";
pub const STYLESHEET: &str = "style.css";
pub const SEARCH_SCRIPT: &str = "search.js";
/// The theme's icon for browser tabs, used unless site.yaml names another.
pub const FAVICON: &str = "favicon.svg";
/// The theme's picture for shared links, used unless site.yaml names another.
pub const SOCIAL_CARD: &str = "card.png";
/// The folder of a language's vCards.
pub const CONTACTS_DIR: &str = "contacts";

/// A briefing's page: `en/briefings/<slug>/`.
pub fn briefing(lang: &str, slug: &str) -> String {
    format!("{lang}/briefings/{slug}/")
}

/// A static page: `en/<slug>/`.
pub fn page(lang: &str, slug: &str) -> String {
    format!("{lang}/{slug}/")
}

/// A language's home, the first page of its briefings: `en/`.
pub fn home(lang: &str) -> String {
    format!("{lang}/")
}

/// The listing of one project, funder or tag: `en/projects/<key>/`.
pub fn term(lang: &str, kind: Kind, key: &str) -> String {
    format!("{lang}/{}/{key}/", kind.dir())
}

/// All projects, funders or tags of a language: `en/projects/`.
pub fn term_index(lang: &str, kind: Kind) -> String {
    format!("{lang}/{}/", kind.dir())
}

/// Page `page` (from 1) of a listing whose first page is `listing`: `en/page/2/`.
pub fn listing_page(listing: &str, page: usize) -> String {
    if page == 1 {
        listing.to_string()
    } else {
        format!("{listing}page/{page}/")
    }
}

/// The Atom feed of a listing (a language's home or a project's listing): `en/atom.xml`.
pub fn feed(listing: &str) -> String {
    format!("{listing}atom.xml")
}

/// A language's search page, whose folder also holds its index files: `en/search/`.
pub fn search(lang: &str) -> String {
    format!("{lang}/search/")
}

/// The file of a language's search index that names the others: `en/search/meta.json`. Its
/// address is what the search page hands its script.
pub fn search_meta(lang: &str) -> String {
    format!("{}{SEARCH_META}", search(lang))
}

/// The names of a search index's files, beside its search page. `meta.json` hands the others
/// to the search script (and to `briefing search`); `{}` stands for a file's number.
pub const SEARCH_META: &str = "meta.json";
pub const SEARCH_WORDS: &str = "words-{}.json";
pub const SEARCH_PAGES: &str = "pages-{}.json";
pub const SEARCH_FILTERS: &str = "filters.json";
pub const SEARCH_T2S: &str = "t2s.json";

/// A file of a language's search index: `name` one of the names above, numbered `n`.
pub fn search_file(lang: &str, name: &str, n: usize) -> String {
    format!("{}{}", search(lang), numbered(name, n))
}

/// A name of a search index file with its number: `words-{}.json` → `words-3.json`.
pub fn numbered(name: &str, n: usize) -> String {
    name.replace("{}", &n.to_string())
}

/// Whether `path` is where a file of `lang`'s search index may go: a `.json` file in the
/// search page's folder itself.
pub fn in_search_index(path: &str, lang: &str) -> bool {
    path.strip_prefix(&search(lang))
        .is_some_and(|name| name.ends_with(".json") && !name.contains('/'))
}

/// A vCard: `en/contacts/<name>`, `name` ending in `.vcf`.
pub fn vcard(lang: &str, name: &str) -> String {
    format!("{lang}/{CONTACTS_DIR}/{name}")
}

/// A file of content/ that is not a note, beside a note in its folder or loose: published
/// once, at its path under content/, and linked from every language version:
/// `briefings/x/photo.jpg`.
pub fn content_file(rel: &str) -> String {
    rel.to_string()
}

/// A resized copy of an image of content/, beside it: `briefings/x/photo.jpg` at 480 pixels
/// in WebP → `briefings/x/photo.480w.webp`.
pub fn image_variant(rel: &str, width: u32, extension: &str) -> String {
    let stem = match rel.rsplit_once('.') {
        Some((stem, _)) if !stem.ends_with('/') => stem,
        _ => rel,
    };
    format!("{stem}.{width}w.{extension}")
}

/// The file a page path is written to: `en/` → `en/index.html`.
pub fn page_file(path: &str) -> String {
    format!("{path}{INDEX}")
}

/// The file a redirect from an old address (`aliases:`) is written to: `/2015/10/x/` and
/// `/2015/10/x` → `2015/10/x/index.html`, `/old.html` → `old.html`.
pub fn alias_file(alias: &str) -> String {
    let trimmed = alias.trim_start_matches('/');
    if trimmed.is_empty() || trimmed.ends_with('/') {
        page_file(trimmed)
    } else if trimmed.ends_with(".html") || trimmed.ends_with(".htm") {
        trimmed.to_string()
    } else {
        page_file(&format!("{trimmed}/"))
    }
}

impl Config {
    /// A site path (`en/briefings/x/`) as a link from any page: `/press/en/briefings/x/`.
    /// Characters outside ASCII (a Chinese tag) and spaces are percent-encoded.
    pub fn link(&self, path: &str) -> String {
        self.link_after("", path)
    }

    /// `before`, then [`Config::link`] of `path`, in one string (every page makes thousands).
    fn link_after(&self, before: &str, path: &str) -> String {
        let path = path.trim_start_matches('/');
        let mut link = String::with_capacity(before.len() + self.base_path.len() + 1 + path.len());
        link.push_str(before);
        link.push_str(&self.base_path);
        link.push('/');
        link.extend(utf8_percent_encode(path, UNPRINTABLE));
        link
    }

    /// A file's site path (`briefings/x/report #1.pdf`) as a link that no browser reads as a
    /// scheme, a query or a fragment: `/press/briefings/x/report%20%231.pdf`. Only letters,
    /// digits, `-._~` and `/` stay as they are.
    pub fn file_link(&self, path: &str) -> String {
        const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
            .remove(b'-')
            .remove(b'.')
            .remove(b'_')
            .remove(b'~')
            .remove(b'/');
        format!(
            "{}/{}",
            self.base_path,
            utf8_percent_encode(path.trim_start_matches('/'), PATH_SEGMENT)
        )
    }

    /// A file's site path as an absolute URL, encoded as [`Config::file_link`] does.
    pub fn file_url(&self, path: &str) -> String {
        format!("{}{}", self.origin(), self.file_link(path))
    }

    /// A site path as an absolute URL: `https://host.example/press/en/briefings/x/`.
    pub fn absolute(&self, path: &str) -> String {
        self.link_after(self.origin(), path)
    }

    /// A link as a page of `page` (a site path) writes it, as an absolute URL for a page read
    /// elsewhere (a feed reader): `/press/x/` → `https://host.example/press/x/`, `#part` →
    /// the page's URL with it; a URL with a scheme stays as it is.
    pub fn absolute_link(&self, link: &str, page: &str) -> String {
        let has_scheme = link
            .split_once(':')
            .is_some_and(|(scheme, _)| !scheme.is_empty() && !scheme.contains(['/', '?', '#']));
        if has_scheme || link.starts_with("//") {
            link.to_string()
        } else if link.starts_with('/') {
            format!("{}{link}", self.origin())
        } else {
            format!("{}{link}", self.absolute(page))
        }
    }

    /// The base URL without its path: `https://host.example`.
    pub fn origin(&self) -> &str {
        &self.base_url[..self.base_url.len() - self.base_path.len()]
    }
}

/// What a link percent-encodes: what cannot stand in a URL path as it is, bytes outside
/// printable ASCII.
const UNPRINTABLE: &AsciiSet = &CONTROLS.add(b' ');

/// The links every page of a language has in its frame, for templates as `site.urls`: a
/// theme never puts a URL together itself.
#[derive(Serialize)]
pub struct SiteUrls {
    /// The site root, which sends visitors to a language.
    pub root: String,
    /// This language's home.
    pub home: String,
    pub projects: String,
    pub funders: String,
    pub tags: String,
    pub search: String,
    pub feed: String,
    pub stylesheet: String,
    pub search_script: String,
    /// The masthead's logo, when site.yaml sets one.
    pub logo: Option<String>,
    /// The icon of browser tabs: site.yaml's, or the theme's.
    pub favicon: String,
    /// The sitemap, as an absolute URL (robots.txt names it so).
    pub sitemap: String,
    /// The base URL without its path, for print styles that write a link's full address
    /// (`https://host.example`); only when it has no character a CSS string would need to
    /// escape, which no real host has.
    pub origin: Option<String>,
}

impl SiteUrls {
    pub fn new(config: &Config, lang: &str) -> SiteUrls {
        SiteUrls {
            root: config.link(ROOT),
            home: config.link(&home(lang)),
            projects: config.link(&term_index(lang, Kind::Projects)),
            funders: config.link(&term_index(lang, Kind::Funders)),
            tags: config.link(&term_index(lang, Kind::Tags)),
            search: config.link(&search(lang)),
            feed: config.link(&feed(&home(lang))),
            stylesheet: config.link(STYLESHEET),
            search_script: config.link(SEARCH_SCRIPT),
            logo: config.logo.as_ref().map(|f| config.link(&f.path)),
            favicon: config.link(config.favicon.as_ref().map_or(FAVICON, |f| &f.path)),
            sitemap: config.absolute(SITEMAP),
            origin: Some(config.origin())
                .filter(|o| {
                    o.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-._~:/[]%@".contains(c))
                })
                .map(str::to_string),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_are_written_as_pages_or_as_the_html_file_they_name() {
        assert_eq!(alias_file("/2015/10/x/"), "2015/10/x/index.html");
        assert_eq!(alias_file("/2015/10/x"), "2015/10/x/index.html");
        assert_eq!(alias_file("/old.html"), "old.html");
        assert_eq!(alias_file("/"), "index.html");
    }

    #[test]
    fn listing_pages_after_the_first_are_under_page() {
        assert_eq!(listing_page(&home("zh"), 1), "zh/");
        assert_eq!(
            listing_page(&term("en", Kind::Tags, "visa"), 3),
            "en/tags/visa/page/3/"
        );
        assert_eq!(
            feed(&term("en", Kind::Projects, "dialogue")),
            "en/projects/dialogue/atom.xml"
        );
    }
}
