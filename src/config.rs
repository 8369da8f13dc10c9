//! `site.yaml`: the raw serde shape, and the checked [`Config`] the rest of the build uses.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use jiff::tz::TimeZone;
use serde::Deserialize;

use crate::error::{Diagnostic, Diagnostics, read_text};
use crate::paths::SITE_FILE;
use crate::safety::{UrlUse, check_url};
use crate::targets::Target;
use crate::yaml;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSite {
    title: IndexMap<String, String>,
    base_url: String,
    default_language: Option<String>,
    languages: IndexMap<String, RawLanguage>,
    theme: Option<String>,
    per_page: Option<usize>,
    timezone: Option<String>,
    phone_region: Option<String>,
    search: Option<bool>,
    logo: Option<String>,
    favicon: Option<String>,
    social_card: Option<String>,
    images: Option<RawImages>,
    markdown: Option<RawMarkdown>,
    #[serde(default)]
    projects: IndexMap<String, RawProject>,
    #[serde(default)]
    funders: IndexMap<String, RawFunder>,
    #[serde(default)]
    contacts: IndexMap<String, RawSiteContact>,
    #[serde(default)]
    deploy: IndexMap<String, serde_yaml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawImages {
    widths: Option<Vec<u32>>,
    quality: Option<u8>,
    max_size: Option<serde_yaml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    url: String,
    endpoint: Option<String>,
    region: Option<String>,
}

/// Keys that would hold a secret: refused with where secrets go instead.
const SECRET_KEYS: [&str; 10] = [
    "password",
    "passphrase",
    "secret",
    "secret_key",
    "secret_access_key",
    "access_key",
    "access_key_id",
    "token",
    "private_key",
    "key",
];

/// A text written once for every language, or once per language (`en: …`, `zh: …`).
#[derive(Deserialize)]
#[serde(untagged)]
enum Localised {
    One(String),
    Each(IndexMap<String, String>),
}

impl Localised {
    fn into_map(self) -> IndexMap<String, String> {
        match self {
            Localised::One(text) => IndexMap::from([(String::new(), text)]),
            Localised::Each(map) => map,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSiteContact {
    name: Localised,
    role: Option<Localised>,
    #[serde(alias = "organization")]
    organisation: Option<Localised>,
    email: Option<String>,
    phone: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLanguage {
    name: String,
    html_lang: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMarkdown {
    raw_html: Option<RawHtml>,
}

/// What happens to raw HTML written inside Markdown.
#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum RawHtml {
    #[default]
    Sanitize,
    Allow,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProject {
    name: IndexMap<String, String>,
    url: Option<String>,
    funder: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFunder {
    name: IndexMap<String, String>,
    url: Option<String>,
}

/// A configured language.
#[derive(Debug, Clone)]
pub struct Language {
    /// The code used in file suffixes and URLs: `en`, `zh`.
    pub code: String,
    /// The language's own name, for the switcher: `English`, `中文`.
    pub name: String,
    /// The value of `<html lang>` and `hreflang`: `en`, `zh-Hans`.
    pub html_lang: String,
    /// A warning at its key when the locale table does not know it fully, naming what falls
    /// back.
    pub locale_fallback: Option<Diagnostic>,
}

/// A project or funder of the registry, or one written inline in a note.
#[derive(Debug, Clone, serde::Serialize, Deserialize)]
pub struct Entity {
    /// The registry key, when it comes from site.yaml.
    pub key: Option<String>,
    /// The name per language code.
    pub names: IndexMap<String, String>,
    pub url: Option<String>,
    /// For a project: the key of its funder.
    pub funder: Option<String>,
}

impl Entity {
    /// The name in `lang`, or in the first language that has one.
    pub fn name(&self, lang: &str) -> &str {
        self.names
            .get(lang)
            .or_else(|| self.names.values().next())
            .map_or("", String::as_str)
    }
}

/// A file of the site that site.yaml names (`logo: images/logo.svg`): a path under content/
/// or of the theme's static files, as published; and where site.yaml names it, for errors.
#[derive(Debug, Clone)]
pub struct SiteFile {
    pub path: String,
    line: usize,
    column: usize,
    source_line: String,
}

impl SiteFile {
    /// An error about this file, at its line of site.yaml.
    pub fn error(&self, message: String, help: String) -> Diagnostic {
        let mut d = Diagnostic::error(message).file(SITE_FILE).help(help).at(
            &self.source_line,
            1,
            self.column,
            self.path.chars().count(),
        );
        d.line = Some(self.line);
        d
    }
}

/// site.yaml's `images:`, with the defaults for what it leaves out; each problem goes to
/// `problem` with the key it is at.
fn images_settings(
    raw: Option<RawImages>,
    problem: &mut dyn FnMut(&[&str], String, String),
) -> crate::images::Settings {
    let mut settings = crate::images::Settings::default();
    let Some(raw) = raw else {
        return settings;
    };
    if let Some(widths) = raw.widths {
        if widths.is_empty() || widths.iter().any(|w| !(16..=10_000).contains(w)) {
            problem(
                &["images", "widths"],
                "image widths are numbers of pixels from 16 to 10000".into(),
                "write a list such as widths: [480, 960, 1600]".into(),
            );
        } else {
            settings.widths = widths;
        }
    }
    if let Some(quality) = raw.quality {
        if (1..=100).contains(&quality) {
            settings.quality = quality;
        } else {
            problem(
                &["images", "quality"],
                format!("the image quality {quality} is not from 1 to 100"),
                "80 keeps photos sharp at a third of their size; write quality: 80".into(),
            );
        }
    }
    if let Some(value) = raw.max_size {
        match byte_size(&value) {
            Some(bytes) => settings.max_size = bytes,
            None => problem(
                &["images", "max_size"],
                "`max_size` is not a size".into(),
                "write it in MB or KB, e.g. max_size: 5 MB".into(),
            ),
        }
    }
    settings
}

/// A size as site.yaml writes it: `5 MB`, `800 KB`, `5MB`, or a number of bytes.
fn byte_size(value: &serde_yaml::Value) -> Option<u64> {
    if let Some(n) = value.as_u64() {
        return Some(n);
    }
    let text = value.as_str()?.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let number: f64 = text[..split].parse().ok()?;
    let unit = match text[split..].trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1.0,
        "KB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        _ => return None,
    };
    (number >= 0.0).then_some((number * unit) as u64)
}

/// A spokesperson kept once in site.yaml under `contacts:` and named by key from notes, so
/// that a number is corrected in one place.
#[derive(Debug, Clone)]
pub struct SiteContact {
    /// The name per language code; the key `""` holds a name written once for all languages.
    pub name: IndexMap<String, String>,
    pub role: IndexMap<String, String>,
    pub organisation: IndexMap<String, String>,
    /// Checked, without `mailto:`.
    pub email: Option<String>,
    /// Checked, in international form.
    pub phone: Option<crate::contact::Phone>,
    /// A doubt about the number (a form the numbering plan lacks), reported as a warning.
    pub phone_doubt: Option<Diagnostic>,
}

impl SiteContact {
    /// The contact as a note in `lang` shows it: each text in `lang`, or in the default
    /// language, or the one text written for all.
    pub fn in_language(&self, lang: &str, default: &str) -> crate::contact::Contact {
        let pick = |m: &IndexMap<String, String>| {
            m.get(lang)
                .or_else(|| m.get(""))
                .or_else(|| m.get(default))
                .or_else(|| m.values().next())
                .cloned()
        };
        crate::contact::Contact {
            name: pick(&self.name).unwrap_or_default(),
            role: pick(&self.role),
            organisation: pick(&self.organisation),
            email: self.email.clone(),
            phone: self.phone.clone(),
        }
    }
}

/// The checked site settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// The site root: the folder holding site.yaml.
    pub root: PathBuf,
    /// The site title per language code.
    pub title: IndexMap<String, String>,
    /// The absolute base URL without a trailing slash: `https://host.example/press`.
    pub base_url: String,
    /// The path part of `base_url`, without a trailing slash: `` or `/press`.
    pub base_path: String,
    /// The languages, in the order site.yaml gives them.
    pub languages: Vec<Language>,
    pub default_language: String,
    pub theme: String,
    pub per_page: usize,
    pub timezone: Option<TimeZone>,
    /// The country of telephone numbers written without `+` and a country code.
    pub phone_region: Option<phonenumber::country::Id>,
    pub search: bool,
    pub raw_html: RawHtml,
    pub projects: IndexMap<String, Entity>,
    pub funders: IndexMap<String, Entity>,
    /// The contacts notes can name by key (`contacts: [li-wei]`).
    pub contacts: IndexMap<String, SiteContact>,
    /// The image a shared link shows when a page has none of its own, if site.yaml sets one.
    pub social_card: Option<SiteFile>,
    /// How images shown in notes are resized: site.yaml's `images:`.
    pub images: crate::images::Settings,
    /// The logo the masthead shows, if site.yaml sets one.
    pub logo: Option<SiteFile>,
    /// The icon browsers show in tabs, if site.yaml sets one (else the theme's).
    pub favicon: Option<SiteFile>,
    /// Where `briefing deploy` publishes, in site.yaml's order: the first is the default.
    pub deploy: Vec<Target>,
    /// A key of everything these settings come from: the site folder, site.yaml's text and
    /// `--base-url`. Notes read under the same key read the same.
    pub fingerprint: crate::memory::Key,
}

impl Config {
    /// Reads and checks `<root>/site.yaml`.
    pub fn load(root: &Path) -> Result<Config, Diagnostics> {
        let shown = PathBuf::from(SITE_FILE);
        let path = root.join(SITE_FILE);
        if !path.is_file() {
            return Err(Diagnostic::error(format!(
                "no {SITE_FILE} in {}",
                crate::error::display_path(root)
            ))
            .help("run briefing in the site's folder, or name it with --root DIR")
            .into());
        }
        let source = read_text(&path, &shown)?;
        let source = source.strip_prefix('\u{feff}').unwrap_or(&source);
        Config::parse(root, source)
    }

    /// Checks the text of a site.yaml.
    pub fn parse(root: &Path, source: &str) -> Result<Config, Diagnostics> {
        let raw: RawSite = yaml::parse(source, source, 1, Path::new(SITE_FILE))?;
        let mut k = Keys {
            source,
            errors: Vec::new(),
        };
        let (languages, default_language) = languages(&mut k, &raw);
        let (base_url, base_path) = split_base_url(&raw.base_url).unwrap_or_else(|| {
            k.error(
                &["base_url"],
                format!("base_url `{}` is not an absolute http(s) address with a plain path", raw.base_url),
                "write the address the site will have, e.g. https://press.example.org or https://example.org/press, with no `//`, `\\`, `..`, `%` or user name in it",
            );
            (String::new(), String::new())
        });
        let (per_page, timezone, phone_region) = settings(&mut k, &raw);
        let (projects, funders) = registries(&mut k, &raw, &default_language);
        let contacts = site_contacts(&mut k, raw.contacts, phone_region);
        let deploy = deploy_targets(&mut k, &raw.deploy);
        let logo = site_file(&mut k, "logo", &raw.logo);
        let favicon = site_file(&mut k, "favicon", &raw.favicon);
        let social_card = site_file(&mut k, "social_card", &raw.social_card);
        if let Some(card) = &social_card
            && !crate::images::is_raster(&card.path)
        {
            k.errors.push(card.error(
                format!("`{}` cannot be the social card", card.path),
                "social networks show a JPEG, PNG or WebP image, not SVG or GIF: export the card as a PNG of 1200×630 pixels".into(),
            ));
        }
        let images = images_settings(raw.images, &mut |path, message, help| {
            k.error(path, message, help)
        });

        if !k.errors.is_empty() {
            return Err(Diagnostics(k.errors));
        }
        Ok(Config {
            root: root.to_path_buf(),
            title: raw.title,
            base_url,
            base_path,
            languages,
            default_language,
            theme: raw.theme.unwrap_or_else(|| "default".into()),
            per_page,
            timezone,
            phone_region,
            search: raw.search.unwrap_or(true),
            raw_html: raw.markdown.and_then(|m| m.raw_html).unwrap_or_default(),
            projects,
            funders,
            contacts,
            logo,
            favicon,
            social_card,
            images,
            deploy,
            fingerprint: crate::memory::key_of(&[
                root.to_string_lossy().as_bytes(),
                source.as_bytes(),
            ]),
        })
    }

    pub fn language(&self, code: &str) -> Option<&Language> {
        self.languages.iter().find(|l| l.code == code)
    }

    /// The `lang` attribute for language `code`: its `html_lang`, or the code itself.
    pub fn html_lang<'a>(&'a self, code: &'a str) -> &'a str {
        self.language(code).map_or(code, |l| l.html_lang.as_str())
    }

    /// The site title in `lang`.
    pub fn title(&self, lang: &str) -> &str {
        self.title
            .get(lang)
            .or_else(|| self.title.get(&self.default_language))
            .map_or("", String::as_str)
    }

    /// The same settings with another base URL (`--base-url`).
    pub fn with_base_url(mut self, url: &str) -> Result<Config, Diagnostic> {
        let (base_url, base_path) = split_base_url(url).ok_or_else(|| {
            Diagnostic::error(format!(
                "--base-url `{url}` is not an absolute http(s) address with a plain path"
            ))
            .help("give the address the site will have, e.g. https://press.example.org/press, with no `//`, `\\`, `..`, `%` or user name in it")
        })?;
        self.base_url = base_url;
        self.base_path = base_path;
        self.fingerprint = crate::memory::key_of(&[&self.fingerprint, url.as_bytes()]);
        Ok(self)
    }
}

/// Splits `https://host/press/` into (`https://host/press`, `/press`); None if not absolute http(s).
fn split_base_url(url: &str) -> Option<(String, String)> {
    let url = url.trim().trim_end_matches('/');
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    if rest.is_empty() || rest.starts_with('/') || rest.contains(['?', '#', ' ', '\\']) {
        return None;
    }
    let (host, path) = rest
        .find('/')
        .map_or((rest, ""), |i| (&rest[..i], &rest[i..]));
    // A path with an empty, `.` or `..` part would make the stylesheet's and scripts' links
    // (`<path>/style.css`) lead to another host (`//host/…`) or out of the site; a user
    // name before the host hides which host it is.
    if host.contains('@')
        || path
            .split('/')
            .skip(1)
            .any(|part| part.is_empty() || part == "." || part == ".." || part.contains('%'))
    {
        return None;
    }
    Some((url.to_string(), path.to_string()))
}

fn key_list(map: &IndexMap<String, Entity>) -> String {
    if map.is_empty() {
        "(none yet)".to_string()
    } else {
        map.keys().cloned().collect::<Vec<_>>().join(", ")
    }
}

/// site.yaml as it is read: every problem at its key.
struct Keys<'a> {
    source: &'a str,
    errors: Vec<Diagnostic>,
}

impl Keys<'_> {
    /// An error at the key at `path` (under its parents) of site.yaml.
    fn error(&mut self, path: &[&str], message: impl Into<String>, help: impl Into<String>) {
        let d = Diagnostic::error(message.into())
            .file(SITE_FILE)
            .help(help.into());
        self.errors
            .push(match yaml::key_location(self.source, path) {
                Some((line, column)) => d.at(
                    self.source,
                    line,
                    column,
                    path.last().map_or(1, |k| k.len()),
                ),
                None => d,
            });
    }
}

/// A warning at language `code` of site.yaml when briefing does not know how to write it
/// fully, naming what falls back.
fn locale_fallback(source: &str, code: &str) -> Option<Diagnostic> {
    let what = crate::locale::fallbacks(code)?;
    let d = Diagnostic::warning(what).file(SITE_FILE).help(
        "the site builds as it is; to have the language written properly, ask the site's maintainer to add it to briefing's locale table (src/locale.rs)",
    );
    Some(match yaml::key_location(source, &["languages", code]) {
        Some((line, column)) => d.at(source, line, column, code.len()),
        None => d,
    })
}

/// The site's languages, in order, and its default one; each with a title.
fn languages(k: &mut Keys, raw: &RawSite) -> (Vec<Language>, String) {
    let mut languages = Vec::new();
    for (code, lang) in &raw.languages {
        if code.is_empty() || !code.chars().all(|c| c.is_ascii_lowercase() || c == '-') {
            k.error(
                &["languages", code],
                format!("`{code}` is not a usable language code"),
                "use a short lowercase code such as en or zh",
            );
        }
        languages.push(Language {
            code: code.clone(),
            name: lang.name.clone(),
            html_lang: lang.html_lang.clone().unwrap_or_else(|| code.clone()),
            locale_fallback: locale_fallback(k.source, code),
        });
    }
    if languages.is_empty() {
        k.error(
            &["languages"],
            "no languages are configured",
            "list at least one, e.g. en: { name: English, html_lang: en }",
        );
    }
    let codes: Vec<&str> = languages.iter().map(|l| l.code.as_str()).collect();
    let default_language = raw
        .default_language
        .clone()
        .unwrap_or_else(|| codes.first().unwrap_or(&"en").to_string());
    if !codes.is_empty() && !codes.contains(&default_language.as_str()) {
        k.error(
            &["default_language"],
            format!("default_language `{default_language}` is not one of the languages"),
            format!("use one of: {}", codes.join(", ")),
        );
    }
    for code in &codes {
        if !raw.title.contains_key(*code) {
            k.error(
                &["title"],
                format!("the site title has no `{code}` version"),
                format!("add a line `{code}: …` under title"),
            );
        }
    }
    (languages, default_language)
}

/// The theme's name checked, and the listing length, time zone and telephone region.
fn settings(
    k: &mut Keys,
    raw: &RawSite,
) -> (usize, Option<TimeZone>, Option<phonenumber::country::Id>) {
    if let Some(theme) = &raw.theme
        && (theme.is_empty()
            || theme.starts_with('.')
            || !theme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        k.error(
            &["theme"],
            format!(
                "theme `{}` is not the name of a folder under themes/",
                crate::safety::shorten(theme, 60)
            ),
            "write the name of the theme's folder, made of letters, digits, `-` and `_`, e.g. theme: default",
        );
    }
    let per_page = raw.per_page.unwrap_or(20);
    if per_page == 0 {
        k.error(
            &["per_page"],
            "per_page must be at least 1",
            "set per_page to the number of briefings on a listing page, e.g. 20",
        );
    }
    let timezone = raw
        .timezone
        .as_ref()
        .and_then(|name| match TimeZone::get(name) {
            Ok(tz) => Some(tz),
            Err(_) => {
                k.error(
                    &["timezone"],
                    format!("unknown time zone `{name}`"),
                    "use an IANA time zone name such as Asia/Shanghai or Europe/Brussels",
                );
                None
            }
        });
    let phone_region =
        raw.phone_region
            .as_ref()
            .and_then(|code| match code.trim().to_ascii_uppercase().parse() {
                Ok(id) => Some(id),
                Err(_) => {
                    k.error(
                        &["phone_region"],
                        format!("unknown region `{code}`"),
                        "use the two-letter code of a country, such as CN, GB or CH",
                    );
                    None
                }
            });
    (per_page, timezone, phone_region)
}

/// The registries of projects and funders, each entry with a name in the default language
/// and a link that may be published; a project's funder must be one of them.
fn registries(
    k: &mut Keys,
    raw: &RawSite,
    default_language: &str,
) -> (IndexMap<String, Entity>, IndexMap<String, Entity>) {
    let entity = |key: &str, names: &IndexMap<String, String>, url: &Option<String>| Entity {
        key: Some(key.to_string()),
        names: names.clone(),
        url: url.clone(),
        funder: None,
    };
    let funders: IndexMap<String, Entity> = raw
        .funders
        .iter()
        .map(|(key, f)| (key.clone(), entity(key, &f.name, &f.url)))
        .collect();
    let mut projects = IndexMap::new();
    for (key, p) in &raw.projects {
        if let Some(funder) = &p.funder
            && !funders.contains_key(funder)
        {
            k.error(
                &["projects", key, "funder"],
                format!("project `{key}` names funder `{funder}`, which is not under funders"),
                format!(
                    "add `{funder}` under funders, or use one of: {}",
                    key_list(&funders)
                ),
            );
        }
        let mut e = entity(key, &p.name, &p.url);
        e.funder = p.funder.clone();
        projects.insert(key.clone(), e);
    }
    for (section, map) in [("projects", &projects), ("funders", &funders)] {
        for (key, e) in map.iter() {
            if let Some(Err(message)) = e.url.as_deref().map(|u| check_url(u, UrlUse::Link)) {
                k.error(
                    &[section, key, "url"],
                    format!("the url of `{key}`: {message}"),
                    "write the address of its web site, e.g. https://example.org/project",
                );
            }
            if !e.names.contains_key(default_language) {
                k.error(
                    &[section, key, "name"],
                    format!("`{key}` has no name in the default language `{default_language}`"),
                    format!("add `{default_language}: …` under its name"),
                );
            }
        }
    }
    (projects, funders)
}

/// The contacts notes name by key, each with a name, its address and number checked.
fn site_contacts(
    k: &mut Keys,
    raw: IndexMap<String, RawSiteContact>,
    phone_region: Option<phonenumber::country::Id>,
) -> IndexMap<String, SiteContact> {
    let mut contacts = IndexMap::new();
    for (key, c) in raw {
        let name = c.name.into_map();
        if name.values().all(|n| n.trim().is_empty()) {
            k.error(
                &["contacts", &key, "name"],
                format!("the contact `{key}` has no name"),
                "write the name, or one per language: name: { en: Li Wei, zh: 李伟 }",
            );
        }
        let email = c.email.as_deref().map(str::trim).and_then(|email| {
            crate::contact::email(email)
                .map_err(|(why, help)| {
                    k.error(
                        &["contacts", &key, "email"],
                        format!("the contact `{key}` has an invalid email: `{email}`: {why}"),
                        help,
                    )
                })
                .ok()
        });
        let mut phone_doubt = None;
        let phone = c.phone.as_deref().map(str::trim).and_then(|phone| {
            let (number, doubt) = crate::contact::phone(phone, phone_region)
                .map_err(|(why, help)| {
                    k.error(
                        &["contacts", &key, "phone"],
                        format!("the contact `{key}` has an invalid phone: `{phone}`: {why}"),
                        help,
                    )
                })
                .ok()?;
            phone_doubt = doubt.map(|doubt| {
                let d = Diagnostic::warning(format!(
                    "the phone of the contact `{key}`, `{phone}`, {doubt}"
                ))
                .file(SITE_FILE)
                .help("check the number with the person; it is published as it is");
                match yaml::key_location(k.source, &["contacts", &key, "phone"]) {
                    Some((line, column)) => d.at(k.source, line, column, "phone".len()),
                    None => d,
                }
            });
            Some(number)
        });
        contacts.insert(
            key,
            SiteContact {
                name,
                role: c.role.map(Localised::into_map).unwrap_or_default(),
                organisation: c.organisation.map(Localised::into_map).unwrap_or_default(),
                email,
                phone,
                phone_doubt,
            },
        );
    }
    contacts
}

/// The places `deploy` publishes to, each with an address briefing can use and no secret.
fn deploy_targets(k: &mut Keys, raw: &IndexMap<String, serde_yaml::Value>) -> Vec<Target> {
    let mut deploy = Vec::new();
    for (name, value) in raw {
        if let serde_yaml::Value::Mapping(m) = value
            && let Some(key) = m
                .keys()
                .filter_map(|k| k.as_str())
                .find(|k| SECRET_KEYS.contains(&k.to_ascii_lowercase().as_str()))
        {
            k.error(
                &["deploy", name, key],
                format!("`{key}` looks like a secret, and site.yaml is no place for one"),
                "delete the line: SSH keys come from the SSH agent, ~/.ssh or the file BRIEFING_SSH_KEY names; S3 keys from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
            );
            continue;
        }
        let raw_target: RawTarget = match serde_yaml::from_value(value.clone()) {
            Ok(t) => t,
            Err(e) => {
                let text = e.to_string();
                let text = text.find(" at line ").map_or(text.as_str(), |i| &text[..i]);
                k.error(
                    &["deploy", name],
                    format!("the deploy target `{name}`: {text}"),
                    format!(
                        "a target has `url:` ({}) and, for S3, `endpoint:` and `region:`",
                        crate::targets::SCHEMES
                    ),
                );
                continue;
            }
        };
        let settings = crate::targets::Settings {
            endpoint: raw_target.endpoint,
            region: raw_target.region,
        };
        match crate::targets::parse(raw_target.url.trim(), settings) {
            Ok(kind) => deploy.push(Target {
                name: name.clone(),
                url: raw_target.url.trim().to_string(),
                kind,
            }),
            Err(help) => k.error(
                &["deploy", name, "url"],
                format!(
                    "the deploy target `{name}` has an address briefing cannot use: `{}`",
                    raw_target.url
                ),
                help,
            ),
        }
    }
    deploy
}

/// An image of content/ that site.yaml names at `key` (logo, favicon, social card).
fn site_file(k: &mut Keys, key: &str, value: &Option<String>) -> Option<SiteFile> {
    let value = value.as_deref()?.trim();
    let path = value.trim_start_matches('/');
    let image = path.rsplit_once('.').is_some_and(|(_, ext)| {
        ["svg", "png", "ico", "jpg", "jpeg", "webp", "gif"]
            .contains(&ext.to_ascii_lowercase().as_str())
    });
    let bad_segment = path
        .split('/')
        .any(|s| s.is_empty() || s == "." || s == ".." || s.contains('\\'));
    if bad_segment || !image {
        k.error(
            &[key],
            format!("`{value}` cannot be the {key}"),
            format!("write the path of an image (SVG, PNG, ICO, JPEG, WebP or GIF) under content/, e.g. {key}: pages/{key}.svg for content/pages/{key}.svg"),
        );
        return None;
    }
    let (line, _) = yaml::key_location(k.source, &[key])?;
    let source_line = k.source.lines().nth(line - 1)?.to_string();
    let column = source_line.find(path).map_or(1, |c| c + 1);
    Some(SiteFile {
        path: path.to_string(),
        line,
        column,
        source_line,
    })
}
