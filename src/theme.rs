//! The theme: templates, interface strings and static files. The default theme is built into
//! the binary; a site's `themes/<name>/` overrides it file by file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use include_dir::{Dir, include_dir};
use tera::{Kwargs, State, Tera, Value};

use crate::config::Config;
use crate::dates;
use crate::error::{Diagnostic, display_path, read_text};

/// The default theme, as shipped.
pub static DEFAULT_THEME: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/themes/default");

/// Where a theme file comes from.
#[derive(Debug, Clone)]
pub enum Source {
    BuiltIn(&'static [u8]),
    File(PathBuf),
}

/// A static file of the theme, copied to the site root.
#[derive(Debug, Clone)]
pub struct StaticFile {
    /// Path under `static/`, with forward slashes.
    pub rel: String,
    pub source: Source,
}

/// Interface strings: language code → key → text.
pub type Strings = HashMap<String, HashMap<String, String>>;

/// A loaded theme, its templates compiled once.
pub struct Theme {
    pub tera: Tera,
    pub statics: Vec<StaticFile>,
    /// Template name → (file as shown to the user, its text), for error messages.
    pub sources: HashMap<String, (PathBuf, String)>,
    /// Interface strings missing in a language (they fall back to the default language).
    pub warnings: Vec<Diagnostic>,
    /// The SHA-256 of what a page's rendering depends on in the theme: its templates, its
    /// interface strings and the language they fall back to.
    pub fingerprint: crate::memory::Key,
}

/// The theme's files: path under the theme folder → (shown name, source).
fn theme_files(config: &Config) -> Result<Vec<(String, PathBuf, Source)>, Vec<Diagnostic>> {
    let mut files: Vec<(String, PathBuf, Source)> = Vec::new();
    fn walk(dir: &'static Dir<'static>, out: &mut Vec<(String, PathBuf, Source)>) {
        for f in dir.files() {
            let rel = display_path(f.path());
            out.push((
                rel.clone(),
                PathBuf::from(format!("(built-in theme) {rel}")),
                Source::BuiltIn(f.contents()),
            ));
        }
        for d in dir.dirs() {
            walk(d, out);
        }
    }
    walk(&DEFAULT_THEME, &mut files);

    let theme_dir = config
        .root
        .join(crate::paths::THEMES_DIR)
        .join(&config.theme);
    if !theme_dir.is_dir() {
        if config.theme != "default" {
            return Err(vec![
                Diagnostic::error(format!(
                    "the theme `{}` has no folder themes/{}/",
                    config.theme, config.theme
                ))
                .file("site.yaml")
                .help("create the folder, or set `theme: default` to use the built-in theme"),
            ]);
        }
        return Ok(files);
    }
    let mut errors = Vec::new();
    for entry in walkdir::WalkDir::new(&theme_dir)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !crate::paths::is_ignored(e.file_name().to_str()))
    {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                errors.push(Diagnostic::error(format!(
                    "cannot read the theme folder: {e}"
                )));
                continue;
            }
        };
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(&theme_dir)
            .unwrap_or(entry.path());
        let shown = entry
            .path()
            .strip_prefix(&config.root)
            .unwrap_or(entry.path())
            .to_path_buf();
        let Some(rel) = rel.to_str() else {
            errors.push(
                Diagnostic::error("this file name is not valid UTF-8")
                    .file(shown)
                    .help("rename the file using letters, digits and hyphens"),
            );
            continue;
        };
        let rel = rel.replace('\\', "/");
        let source = Source::File(entry.path().to_path_buf());
        // Interface strings are merged key by key later; other files replace the built-in one.
        match files
            .iter_mut()
            .find(|(r, _, _)| *r == rel && !rel.starts_with("i18n/"))
        {
            Some(slot) => *slot = (rel, shown, source),
            None => files.push((rel, shown, source)),
        }
    }
    if errors.is_empty() {
        Ok(files)
    } else {
        Err(errors)
    }
}

fn text_of(shown: &Path, source: &Source) -> Result<String, Diagnostic> {
    match source {
        Source::BuiltIn(bytes) => String::from_utf8(bytes.to_vec())
            .map_err(|_| Diagnostic::error("built-in theme file is not UTF-8").file(shown)),
        Source::File(path) => read_text(path, shown),
    }
}

/// A file of the theme's `static/` folder (`name` under it, `shown` as the user reads its
/// path), published as it is: an image that tells where, when or with what it was made is
/// refused.
fn static_file(name: &str, shown: &Path, source: Source) -> Result<StaticFile, Diagnostic> {
    if let Source::File(path) = &source
        && let Some(why) = image_metadata(path)
    {
        return Err(Diagnostic::error(format!("this image of the theme cannot be published: {why}"))
            .file(shown)
            .help("save it again without that data: an image editor's \"export for web\" leaves it out, and so does `exiftool -all= FILE`"));
    }
    Ok(StaticFile {
        rel: name.to_string(),
        source,
    })
}

/// Why an image file of a theme cannot be published as it is (see
/// [`crate::images::metadata_problem`]); None for any other file.
fn image_metadata(path: &Path) -> Option<String> {
    if crate::images::sniff_file(path)? == crate::images::Kind::Other {
        return None;
    }
    crate::images::metadata_problem(&std::fs::read(path).ok()?)
}

impl Theme {
    /// Loads and compiles the theme named in site.yaml.
    pub fn load(config: &Config) -> Result<Theme, Vec<Diagnostic>> {
        let files = theme_files(config)?;
        let mut errors = Vec::new();
        let mut strings: Strings = HashMap::new();
        let mut templates = Vec::new();
        let mut statics = Vec::new();
        let mut sources: HashMap<String, (PathBuf, String)> = HashMap::new();
        for (rel, shown, source) in files {
            if let Some(name) = rel.strip_prefix("templates/") {
                match text_of(&shown, &source) {
                    Ok(text) => {
                        sources.insert(name.to_string(), (shown.clone(), text.clone()));
                        templates.push((name.to_string(), text));
                    }
                    Err(e) => errors.push(e),
                }
            } else if let Some(name) = rel.strip_prefix("static/") {
                match static_file(name, &shown, source) {
                    Ok(file) => statics.push(file),
                    Err(e) => errors.push(e),
                }
            } else if let Some(name) = rel.strip_prefix("i18n/") {
                let Some(lang) = name.strip_suffix(".yaml") else {
                    continue;
                };
                let text = match text_of(&shown, &source) {
                    Ok(t) => t,
                    Err(e) => {
                        errors.push(e);
                        continue;
                    }
                };
                match crate::yaml::parse::<HashMap<String, String>>(&text, &text, 1, &shown) {
                    // A site's file overrides the built-in strings key by key.
                    Ok(map) => strings.entry(lang.to_string()).or_default().extend(map),
                    Err(e) => errors.push(e),
                }
            }
        }
        for lang in &config.languages {
            if !strings.contains_key(&lang.code) {
                errors.push(
                    Diagnostic::error(format!(
                        "the theme has no interface strings for `{}`",
                        lang.code
                    ))
                    .file(format!("themes/{}/i18n/{}.yaml", config.theme, lang.code))
                    .help(format!(
                        "create themes/{}/i18n/{}.yaml with the keys of i18n/en.yaml translated",
                        config.theme, lang.code
                    )),
                );
            }
        }

        let warnings = missing_strings(config, &strings);
        let fingerprint = fingerprint(&templates, &strings, &config.default_language);
        let strings = Arc::new(strings);
        let mut tera = Tera::new();
        tera.autoescape_on([".html", ".xml"]);
        register(&mut tera, strings, config.default_language.clone());
        if let Err(e) = tera.add_raw_templates(templates) {
            errors.push(template_error(&e, &sources));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Theme {
            tera,
            statics,
            sources,
            warnings,
            fingerprint,
        })
    }
}

/// A string missing in one language falls back to the default language: a warning once per
/// key.
fn missing_strings(config: &Config, strings: &Strings) -> Vec<Diagnostic> {
    let mut warnings = Vec::new();
    if let Some(default) = strings.get(&config.default_language) {
        let mut keys: Vec<&String> = default.keys().collect();
        keys.sort();
        for lang in config
            .languages
            .iter()
            .filter(|l| l.code != config.default_language)
        {
            let Some(own) = strings.get(&lang.code) else {
                continue;
            };
            for key in keys.iter().filter(|k| !own.contains_key(k.as_str())) {
                warnings.push(
                    Diagnostic::warning(format!(
                        "the interface string `{key}` has no `{}` text; the `{}` text is used",
                        lang.code, config.default_language
                    ))
                    .file(format!("themes/{}/i18n/{}.yaml", config.theme, lang.code))
                    .help(format!(
                        "add `{key}: …` to themes/{}/i18n/{}.yaml",
                        config.theme, lang.code
                    )),
                );
            }
        }
    }
    warnings
}

/// The theme's part in every page's fingerprint: templates and strings, in name order.
fn fingerprint(
    templates: &[(String, String)],
    strings: &Strings,
    default_language: &str,
) -> crate::memory::Key {
    let mut parts: Vec<&[u8]> = Vec::new();
    let mut named: Vec<&(String, String)> = templates.iter().collect();
    named.sort();
    for (name, text) in named {
        parts.extend([name.as_bytes(), text.as_bytes()]);
    }
    let mut langs: Vec<_> = strings.iter().collect();
    langs.sort_by(|a, b| a.0.cmp(b.0));
    for (lang, map) in langs {
        let mut keys: Vec<_> = map.iter().collect();
        keys.sort();
        parts.push(lang.as_bytes());
        for (key, text) in keys {
            parts.extend([key.as_bytes(), text.as_bytes()]);
        }
    }
    parts.push(default_language.as_bytes());
    crate::memory::key_of(&parts)
}

/// A template error as a diagnostic: the template file, line and column, and tera's message.
pub fn template_error(e: &tera::Error, sources: &HashMap<String, (PathBuf, String)>) -> Diagnostic {
    let report = match e.kind() {
        tera::ErrorKind::SyntaxError(r) | tera::ErrorKind::RenderingError(r) => Some(r),
        _ => None,
    };
    let mut message = match report {
        Some(r) => r.message().to_string(),
        None => e.to_string(),
    };
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    let mut d = Diagnostic::error(format!("template error: {message}"))
        .help("fix the template; the built-in theme's templates show the variables each page has");
    if let Some(r) = report
        && let Some((shown, text)) = sources.get(r.filename())
    {
        let span = r.span();
        let width = if span.end_line == span.start_line {
            span.end_col.saturating_sub(span.start_col).max(1)
        } else {
            1
        };
        d = d
            .file(shown)
            .at(text, span.start_line, span.start_col + 1, width);
    } else if let Some(r) = report {
        d = d.file(format!("templates/{}", r.filename()));
    }
    d
}

fn lang_of(kwargs: &Kwargs, state: &State, fallback: &str) -> String {
    kwargs
        .get::<String>("lang")
        .ok()
        .flatten()
        .or_else(|| state.get::<String>("lang").ok().flatten())
        .unwrap_or_else(|| fallback.to_string())
}

/// An interface string in `lang`, or else in the default language.
fn string<'s>(strings: &'s Strings, lang: &str, fallback: &str, key: &str) -> Option<&'s String> {
    strings
        .get(lang)
        .and_then(|m| m.get(key))
        .or_else(|| strings.get(fallback).and_then(|m| m.get(key)))
}

/// Registers the template functions and filters of this site generator:
/// `t(key=…)`, `format_date`, `date_range(start=…, end=…)`, `list`.
fn register(tera: &mut Tera, strings: Arc<Strings>, default_language: String) {
    let fallback = default_language.clone();
    let list_strings = strings.clone();
    // `["Vienna", "Sofia", "Paris"] | list` → `Vienna, Sofia and Paris` in English, `维也纳、索非亚、巴黎`
    // in Chinese: the separators are the interface strings `list_separator` and
    // `list_last_separator` of the page's language, else those of its locale.
    tera.register_filter(
        "list",
        move |items: Vec<String>, kwargs: Kwargs, state: &State| -> tera::TeraResult<String> {
            let lang = lang_of(&kwargs, state, &fallback);
            // The theme's strings, else the language's own separators.
            let (own_sep, own_last) = crate::locale::of(&lang).list;
            let separator = |key: &str, own: &str| {
                string(&list_strings, &lang, &fallback, key)
                    .cloned()
                    .unwrap_or_else(|| own.to_string())
            };
            let (mut sep, mut last) = (
                separator("list_separator", own_sep),
                separator("list_last_separator", own_last),
            );
            // Places with commas of their own (`Vienna, Austria`) are set apart by semicolons:
            // `Vienna, Austria; Sofia, Bulgaria; and Paris, France`.
            if sep.trim() == "," && items.iter().any(|i| i.contains(',')) {
                last = format!("; {}", last.trim_start());
                sep = "; ".to_string();
            }
            Ok(match items.split_last() {
                None => String::new(),
                Some((only, [])) => only.clone(),
                Some((end, rest)) => format!("{}{last}{end}", rest.join(&sep)),
            })
        },
    );
    let fallback = default_language.clone();
    tera.register_function(
        "t",
        move |kwargs: Kwargs, state: &State| -> tera::TeraResult<Value> {
            let key: String = kwargs.must_get("key")?;
            let lang = lang_of(&kwargs, state, &fallback);
            let text = string(&strings, &lang, &fallback, &key).ok_or_else(|| {
                let also = if lang == fallback {
                    String::new()
                } else {
                    format!(" nor in i18n/{fallback}.yaml")
                };
                tera::Error::message(format!(
                    "no interface string `{key}` in i18n/{lang}.yaml{also}; add it to the theme's i18n files"
                ))
            })?;
            // Other arguments fill placeholders: t(key="until", date=…) fills {date}.
            let mut text = text.clone();
            for (name, value) in kwargs.iter() {
                let name = name.to_string();
                if name != "key" && name != "lang" {
                    let value = match value.as_str() {
                        Some(s) => s.to_string(),
                        None => value.to_string(),
                    };
                    text = text.replace(&format!("{{{name}}}"), &value);
                }
            }
            Ok(Value::from(text.as_str()))
        },
    );
    let fallback = default_language.clone();
    tera.register_filter(
        "format_date",
        move |value: String, kwargs: Kwargs, state: &State| -> tera::TeraResult<String> {
            let lang = lang_of(&kwargs, state, &fallback);
            let date = dates::date_of(&value).ok_or_else(|| {
                tera::Error::message(format!("format_date: `{value}` is not a date"))
            })?;
            Ok(crate::locale::format_date(date, &lang))
        },
    );
    let fallback = default_language;
    tera.register_function(
        "date_range",
        move |kwargs: Kwargs, state: &State| -> tera::TeraResult<String> {
            let lang = lang_of(&kwargs, state, &fallback);
            let start: String = kwargs.must_get("start")?;
            let end: String = kwargs.get("end")?.unwrap_or_else(|| start.clone());
            let parse = |v: &str| {
                dates::date_of(v)
                    .ok_or_else(|| tera::Error::message(format!("date_range: `{v}` is not a date")))
            };
            Ok(crate::locale::format_range(
                parse(&start)?,
                parse(&end)?,
                &lang,
            ))
        },
    );
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_built_in_themes_images_carry_no_metadata() {
        fn files(
            dir: &'static include_dir::Dir<'static>,
            out: &mut Vec<&'static include_dir::File<'static>>,
        ) {
            out.extend(dir.files());
            for d in dir.dirs() {
                files(d, out);
            }
        }
        let mut all = Vec::new();
        files(&super::DEFAULT_THEME, &mut all);
        let mut images = 0;
        for f in all {
            if crate::images::sniff(f.contents()) != crate::images::Kind::Other {
                images += 1;
                assert_eq!(
                    crate::images::metadata_problem(f.contents()),
                    None,
                    "{}",
                    f.path().display()
                );
            }
        }
        assert!(images > 0);
    }
}
