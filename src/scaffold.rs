//! `briefing new` and `briefing init`: files to start from, ready to fill in.

use std::fs;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use jiff::civil::Date;

use crate::config::Config;
use crate::contact::PLACEHOLDER_PHONE;
use crate::content::{slugify, valid_slug};
use crate::error::{Diagnostic, Diagnostics, display_path};
use crate::paths::{CONTENT_DIR, THEMES_DIR};
use crate::theme::DEFAULT_THEME;

fn write_new(path: &Path, text: &str) -> Result<(), Diagnostic> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|e| {
            Diagnostic::error(format!("cannot create {}: {e}", display_path(parent)))
                .help("check that you may write to this folder")
        })?;
    }
    // create_new: never replaces a file that appeared meanwhile.
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| Diagnostic::error(format!("cannot create {}: {e}", display_path(path))))?;
    std::io::Write::write_all(&mut file, text.as_bytes())
        .map_err(|e| Diagnostic::error(format!("cannot write {}: {e}", display_path(path))))
}

/// The front matter and first lines of a new note in `lang`.
fn note_template(config: &Config, lang: &str, date: Date) -> String {
    let keys: Vec<&str> = config.projects.keys().map(String::as_str).collect();
    let project = match keys.first() {
        Some(first) => format!(
            "project: {first}          # a key of projects in site.yaml: {}\n",
            keys.join(", ")
        ),
        None => "# project: { name: \"Project name\", url: \"https://example.org/project\" }\n"
            .to_string(),
    };
    let crate::locale::NewNote {
        title,
        subtitle,
        dateline,
        name,
        role,
        place,
        body,
    } = crate::locale::new_note(lang);
    // The spokespeople of site.yaml, by key, where it has some; else one to fill in.
    let registry: Vec<&str> = config.contacts.keys().map(String::as_str).collect();
    let contacts = match registry.first() {
        Some(first) => format!(
            "contacts: [{first}]          # keys of contacts in site.yaml: {}",
            registry.join(", ")
        ),
        None => format!(
            "contacts:\n  - name: \"{name}\"\n    role: \"{role}\"\n    email: press@example.org\n    phone: \"{PLACEHOLDER_PHONE}\""
        ),
    };
    let lines = [
        "---".to_string(),
        "# A new briefing note: fill in the values; lines starting with # are hints.".to_string(),
        "# It is a draft: `briefing build` leaves it out until you delete the line draft: true."
            .to_string(),
        format!("title: \"{title}\""),
        format!("subtitle: \"{subtitle}\""),
        format!("dateline: {dateline}"),
        format!("date: {date}"),
        format!("# updated: {date}"),
        project.trim_end().to_string(),
        "# funder: a key of funders in site.yaml (default: the project's funder)".to_string(),
        "# event:".to_string(),
        format!("#   start: {date}"),
        format!("#   end: {date}"),
        format!("#   locations: [{place}]"),
        contacts.trim_end().to_string(),
        "tags: []".to_string(),
        "draft: true".to_string(),
        format!("# embargo: {date}T09:00:00+08:00   # not published before this moment"),
        "---".to_string(),
        String::new(),
    ];
    format!("{}\n{body}", lines.join("\n"))
}

/// Today in the site's time zone.
fn today(config: &Config) -> Date {
    let tz = config.timezone.clone().unwrap_or(jiff::tz::TimeZone::UTC);
    Timestamp::now().to_zoned_datetime(tz).date()
}

/// `briefing new <slug>`: a note folder with one file per language. Returns the files written.
pub fn new_note(
    root: &Path,
    slug: &str,
    langs: Option<&[String]>,
) -> Result<Vec<PathBuf>, Diagnostics> {
    let config = Config::load(root)?;
    if !valid_slug(slug) {
        let suggestion = slugify(slug);
        let example = if suggestion.is_empty() {
            "2016-05-study-tour".to_string()
        } else {
            suggestion
        };
        return Err(Diagnostic::error(format!("`{slug}` cannot be a slug"))
            .help(format!(
                "a slug uses only lowercase ASCII letters (a–z), digits and hyphens, e.g. briefing new {example}"
            ))
            .into());
    }
    let langs: Vec<String> = match langs {
        Some(l) => l.to_vec(),
        None => config.languages.iter().map(|l| l.code.clone()).collect(),
    };
    for lang in &langs {
        if config.language(lang).is_none() {
            let known: Vec<&str> = config.languages.iter().map(|l| l.code.as_str()).collect();
            return Err(
                Diagnostic::error(format!("`{lang}` is not a language of this site"))
                    .help(format!("use --lang with some of: {}", known.join(",")))
                    .into(),
            );
        }
    }
    let briefings = root.join(CONTENT_DIR).join("briefings");
    let folder = briefings.join(slug);
    let mut existing: Vec<PathBuf> = Vec::new();
    for lang in config.languages.iter().map(|l| &l.code) {
        for candidate in [
            folder.join(format!("index.{lang}.md")),
            briefings.join(format!("{slug}.{lang}.md")),
        ] {
            if candidate.exists() {
                existing.push(candidate);
            }
        }
    }
    if folder.join("index.md").exists() || briefings.join(format!("{slug}.md")).exists() {
        existing.push(folder.clone());
    }
    if let Some(first) = existing.first() {
        let shown = first.strip_prefix(root).unwrap_or(first);
        return Err(
            Diagnostic::error(format!("a note with the slug `{slug}` already exists"))
                .file(shown)
                .help("choose another slug; briefing new never replaces a note")
                .into(),
        );
    }
    let date = today(&config);
    let mut written = Vec::new();
    for lang in &langs {
        let path = folder.join(format!("index.{lang}.md"));
        write_new(&path, &note_template(&config, lang, date))?;
        written.push(path);
    }
    Ok(written)
}

const SITE_YAML: &str = r#"# Site settings. See the README of briefing for every key.
title:
  en: Press Briefings
  zh: 新闻简报
base_url: https://press.example.org     # the address the site will have; may include a sub-path
default_language: en
languages:
  en: { name: English, html_lang: en }
  zh: { name: 中文, html_lang: zh-Hans }
theme: default
per_page: 20
timezone: Asia/Shanghai                 # for dates without an offset and for embargoes
phone_region: CN                        # the country of phone numbers written without +86
search: true
markdown:
  raw_html: sanitize
projects:
  example-project:
    name:
      en: Example Project
      zh: 示例项目
    url: https://example.org/project
    funder: example-funder
funders:
  example-funder:
    name:
      en: Example Funder
      zh: 示例资助方
    url: https://example.org/funder
# logo: pages/logo.svg                  # an image of content/ shown in the masthead
# contacts:                             # spokespeople; a note names them by key: contacts: [li-wei]
#   li-wei:
#     name: { en: Li Wei, zh: 李伟 }
#     role: { en: Communications Officer, zh: 传播官员 }
#     email: press@example.org
#     phone: "+86 10 0000 0000"
# deploy:                               # where `briefing deploy` publishes the site
#   production:
#     url: sftp://press@host.example.org/var/www/press
"#;

/// `briefing init <DIR>`: a new site with site.yaml, one example note pair and the default
/// theme. Refuses a folder that is not empty. Returns the number of files written.
pub fn init(dir: &Path) -> Result<usize, Diagnostics> {
    if dir.exists() {
        let empty = fs::read_dir(dir)
            .map_err(|e| Diagnostic::error(format!("cannot read {}: {e}", display_path(dir))))?
            .next()
            .is_none();
        if !empty {
            return Err(Diagnostic::error(format!("{} is not empty", display_path(dir)))
                .help("briefing init writes a new site into a new or empty folder only; name another folder")
                .into());
        }
    }
    let mut count = 0;
    write_new(&dir.join("site.yaml"), SITE_YAML)?;
    count += 1;
    let config = Config::parse(dir, SITE_YAML)?;
    let date = today(&config);
    let folder = dir
        .join(CONTENT_DIR)
        .join("briefings")
        .join(format!("{}-first-briefing", date.strftime("%Y-%m")));
    for lang in ["en", "zh"] {
        // A draft, like any new note: nothing of the example reaches the public by mistake.
        let text = note_template(&config, lang, date);
        write_new(&folder.join(format!("index.{lang}.md")), &text)?;
        count += 1;
    }
    fn copy(
        d: &'static include_dir::Dir<'static>,
        to: &Path,
        count: &mut usize,
    ) -> Result<(), Diagnostic> {
        for f in d.files() {
            let path = to.join(f.path());
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent).map_err(|e| {
                    Diagnostic::error(format!("cannot create {}: {e}", display_path(parent)))
                })?;
            }
            fs::write(&path, f.contents()).map_err(|e| {
                Diagnostic::error(format!("cannot write {}: {e}", display_path(&path)))
            })?;
            *count += 1;
        }
        for sub in d.dirs() {
            copy(sub, to, count)?;
        }
        Ok(())
    }
    copy(
        &DEFAULT_THEME,
        &dir.join(THEMES_DIR).join("default"),
        &mut count,
    )?;
    fs::write(dir.join(".gitignore"), "/output\n/.briefing-cache/\n")
        .map_err(|e| Diagnostic::error(format!("cannot write .gitignore: {e}")))?;
    Ok(count + 1)
}
