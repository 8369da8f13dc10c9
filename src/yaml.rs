//! YAML helpers shared by site.yaml and front matter: errors that point into the file.

use serde::de::DeserializeOwned;
use std::path::Path;

use crate::error::{Diagnostic, line_col};
use crate::safety;

/// Parses `yaml`, which starts at line `first_line` of `source` (the whole file), into `T`.
/// Errors name the line and column in the file, not in the block.
pub fn parse<T: DeserializeOwned>(
    yaml: &str,
    source: &str,
    first_line: usize,
    shown: &Path,
) -> Result<T, Diagnostic> {
    if yaml.contains('\t')
        && let Some((n, line)) = yaml
            .lines()
            .enumerate()
            .find(|(_, l)| l.trim_start_matches(' ').starts_with('\t'))
    {
        let column = line.find('\t').map_or(1, |i| i + 1);
        return Err(Diagnostic::error("a tab is used to indent this line")
            .file(shown)
            .at(source, first_line + n, column, 1)
            .help("YAML indents with spaces only: replace the tab with spaces"));
    }
    if let Some(line) = too_deep(yaml) {
        return Err(Diagnostic::error(format!(
            "the values here are nested more than {MAX_DEPTH} levels deep"
        ))
        .file(shown)
        .at_line(first_line + line - 1)
        .help("write lists and keys at most a few levels deep, as in the front matter reference; check for stray `[`, `{` or `- `"));
    }
    if let Some((offset, c)) = safety::forbidden_char(yaml) {
        let (line, column) = line_col(yaml, offset);
        return Err(Diagnostic::error(format!(
            "{}holds an invisible control character, {}",
            key_of_line(yaml, line).map_or(String::new(), |k| format!("the value of `{k}` ")),
            safety::describe_char(c)
        ))
        .file(shown)
        .at(source, first_line + line - 1, column, 1)
        .help(safety::CHAR_HELP));
    }
    let value: T =
        serde_yaml::from_str(yaml).map_err(|e| from_error(&e, source, first_line, shown))?;
    // An escape in a quoted value ("\v", "\0") can still make a control character.
    if yaml.contains('\\')
        && let Ok(tree) = serde_yaml::from_str::<serde_yaml::Value>(yaml)
        && let Some((path, c)) = forbidden_in(&tree, &mut Vec::new())
    {
        let keys: Vec<&str> = path.iter().map(String::as_str).collect();
        let d = Diagnostic::error(format!(
            "the value of `{}` holds an invisible control character, {}, written as an escape",
            keys.join("."),
            safety::describe_char(c)
        ))
        .file(shown)
        .help("remove the escape (a backslash and the letters after it) from the quoted value");
        return Err(match key_location(yaml, &keys) {
            Some((line, column)) => d.at(
                source,
                first_line + line - 1,
                column,
                keys.last().map_or(1, |k| k.len()),
            ),
            None => d.at_line(first_line),
        });
    }
    Ok(value)
}

/// How deeply the values of site.yaml or front matter may nest: far deeper than any real
/// file, far shallower than what makes the YAML parser slow.
const MAX_DEPTH: usize = 32;

/// The 1-based line on which a YAML block nests deeper than [`MAX_DEPTH`], counting the
/// flow lists and maps open (`[`, `{`) and the block list items and keys that start a line
/// (`- - - x`). Quoted text is skipped.
fn too_deep(yaml: &str) -> Option<usize> {
    let bytes = yaml.as_bytes();
    let mut flow = 0usize;
    let mut line = 1;
    let mut line_start = true;
    // Whether the next character may begin a value (where `[`, `{` and quotes have meaning).
    let mut value_start = true;
    let mut block = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'\n' => {
                line += 1;
                line_start = true;
                value_start = true;
                block = 0;
            }
            b' ' => {}
            b'-' | b'?'
                if line_start && bytes.get(i + 1).is_none_or(|n| *n == b' ' || *n == b'\n') =>
            {
                block += 1;
                value_start = true;
            }
            b'[' | b'{' if value_start => {
                flow += 1;
                line_start = false;
            }
            b']' | b'}' if flow > 0 => {
                flow -= 1;
                value_start = false;
                line_start = false;
            }
            b',' if flow > 0 => value_start = true,
            b':' => value_start = bytes.get(i + 1).is_none_or(|n| n.is_ascii_whitespace()),
            b'#' if value_start || line_start => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'\'' | b'"' if value_start => {
                // Skip the quoted text: '' inside single quotes, \" inside double quotes.
                i += 1;
                while i < bytes.len() {
                    match bytes[i] {
                        b'\n' => line += 1,
                        b'\\' if b == b'"' => i += 1,
                        c if c == b => {
                            if b == b'\'' && bytes.get(i + 1) == Some(&b'\'') {
                                i += 1;
                            } else {
                                break;
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
                line_start = false;
                value_start = false;
            }
            _ => {
                line_start = false;
                value_start = false;
            }
        }
        if flow + block > MAX_DEPTH {
            return Some(line);
        }
        i += 1;
    }
    None
}

/// The key path and character of the first text in `value` that holds a forbidden character.
fn forbidden_in(value: &serde_yaml::Value, path: &mut Vec<String>) -> Option<(Vec<String>, char)> {
    use serde_yaml::Value;
    match value {
        Value::String(s) => safety::forbidden_char(s).map(|(_, c)| (path.clone(), c)),
        Value::Sequence(items) => items.iter().find_map(|v| forbidden_in(v, path)),
        Value::Mapping(m) => m.iter().find_map(|(k, v)| {
            if let Some((_, c)) = k.as_str().and_then(safety::forbidden_char) {
                return Some((path.clone(), c));
            }
            path.push(k.as_str().unwrap_or("?").to_string());
            let found = forbidden_in(v, path);
            path.pop();
            found
        }),
        Value::Tagged(t) => forbidden_in(&t.value, path),
        _ => None,
    }
}

/// The key written on line `line` (1-based) of a YAML block, or on the nearest line above
/// that has one: for naming the value a character belongs to.
fn key_of_line(yaml: &str, line: usize) -> Option<String> {
    yaml.lines()
        .take(line)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .find_map(|l| {
            let l = l.trim_start_matches([' ', '-']);
            let (key, _) = l.split_once(':')?;
            (!key.is_empty()
                && key
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '-'))
            .then(|| key.to_string())
        })
}

fn from_error(e: &serde_yaml::Error, source: &str, first_line: usize, shown: &Path) -> Diagnostic {
    let raw = e.to_string();
    // serde_yaml appends " at line L column C"; the location is shown separately.
    let text = match raw.find(" at line ") {
        Some(i) => raw[..i].to_string(),
        None => raw.clone(),
    };
    let (message, help) = explain(&text);
    let mut d = Diagnostic::error(message).file(shown);
    if let Some(help) = help {
        d = d.help(help);
    }
    match e.location() {
        Some(loc) => {
            let line = first_line + loc.line() - 1;
            let width = source
                .lines()
                .nth(line - 1)
                .map(|l| {
                    l.chars()
                        .skip(loc.column() - 1)
                        .take_while(|c| *c != ':' && !c.is_whitespace())
                        .count()
                })
                .unwrap_or(1);
            d.at(source, line, loc.column(), width)
        }
        None => d.at_line(first_line),
    }
}

/// Turns serde's wording into a user's: "field" becomes "key", and valid keys go to the help.
/// A value's place (`contacts[0].email: …`) is kept in front of the message.
fn explain(text: &str) -> (String, Option<String>) {
    if let Some((place, rest)) = text.split_once(": ")
        && !place.is_empty()
        && !place.contains(' ')
    {
        let (message, help) = explain_plain(rest);
        return (format!("{message} (in `{place}`)"), help);
    }
    explain_plain(text)
}

fn explain_plain(text: &str) -> (String, Option<String>) {
    if let Some(rest) = text.strip_prefix("unknown field ") {
        let (key, expected) = match rest.split_once(", expected ") {
            Some((k, e)) => (k, Some(e)),
            None => (rest, None),
        };
        let help = expected.map(|e| {
            let keys = e.trim_start_matches("one of ").replace('`', "");
            format!("check the spelling; valid keys here are: {keys}")
        });
        return (format!("unknown key {key}"), help);
    }
    if let Some(rest) = text.strip_prefix("missing field ") {
        return (
            format!("missing required key {rest}"),
            Some(format!("add a line {}: …", rest.trim_matches('`'))),
        );
    }
    if let Some(rest) = text.strip_prefix("unknown variant ") {
        let (value, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
        return (
            format!("unknown value {value}"),
            Some(format!(
                "use {}",
                expected.trim_start_matches("one of ").replace('`', "")
            )),
        );
    }
    if text.contains("unexpected end of stream") || text.contains("found unexpected end") {
        return (
            "the front matter ends inside a quoted value".to_string(),
            Some(
                "close every quote you open: title: \"…\" needs its closing \" on the same line"
                    .to_string(),
            ),
        );
    }
    if text.contains("did not find expected") || text.contains("mapping values are not allowed") {
        return (
            format!("the YAML is malformed: {text}"),
            Some(
                "check the indentation and quote values that contain a colon, e.g. title: \"Note: …\""
                    .to_string(),
            ),
        );
    }
    if let Some(rest) = text.strip_prefix("invalid type: ") {
        let readable = rest
            .replace("a sequence", "a list")
            .replace("sequence", "list")
            .replace("map", "keys and values");
        let readable = match readable.find("struct ") {
            Some(i) => format!("{}keys and values", &readable[..i]),
            None => readable,
        };
        let help = if readable.ends_with("expected a list") {
            "write a list: tags: [first, second], or one item a line, each starting with `- `"
        } else if readable.ends_with("expected keys and values") {
            "write the keys of this value on the lines below it, indented, e.g.\nevent:\n  start: 2015-10-19"
        } else {
            "check the value's type against the front matter reference"
        };
        return (
            format!("wrong type of value: {readable}"),
            Some(help.to_string()),
        );
    }
    (text.to_string(), None)
}

/// Finds the 1-based line and column of a key path (e.g. ["event", "start"]) in a YAML block.
pub fn key_location(yaml: &str, path: &[&str]) -> Option<(usize, usize)> {
    let mut depth = 0usize;
    // The indentation of the keys at the current depth; the top level has none.
    let mut level: Option<usize> = Some(0);
    let mut parent_indent = 0usize;
    for (n, line) in yaml.lines().enumerate() {
        let trimmed = line.trim_start_matches(' ');
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = line.len() - trimmed.len();
        if depth > 0 && indent <= parent_indent {
            return None;
        }
        let indent = *level.get_or_insert(indent);
        if line.len() - trimmed.len() != indent {
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix(path[depth])
            && rest.trim_start().starts_with(':')
        {
            if depth + 1 == path.len() {
                return Some((n + 1, indent + 1));
            }
            depth += 1;
            parent_indent = indent;
            level = None;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_has_a_limit() {
        let deep = format!("tags: {}{}", "[".repeat(40), "]".repeat(40));
        assert_eq!(too_deep(&deep), Some(1));
        let dashes = format!("title: x\ntags:\n{}x\n", "- ".repeat(40));
        assert_eq!(too_deep(&dashes), Some(3));
        for fine in [
            "title: \"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"\n",
            "title: it's [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n",
            "title: '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[''[['\n",
            "# [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\nevent:\n  locations: [a, [b], {c: d}]\n",
        ] {
            assert_eq!(too_deep(fine), None, "{fine}");
        }
    }

    #[test]
    fn finds_nested_keys() {
        let yaml = "title: x\nevent:\n  start: 2015-10-19\n  end: 2015-10-28\nend: 1\n";
        assert_eq!(key_location(yaml, &["event", "end"]), Some((4, 3)));
        assert_eq!(key_location(yaml, &["end"]), Some((5, 1)));
        assert_eq!(key_location(yaml, &["missing"]), None);
    }

    #[test]
    fn unknown_field_lists_valid_keys() {
        let (m, h) = explain("unknown field `contcts`, expected one of `title`, `date`");
        assert_eq!(m, "unknown key `contcts`");
        assert_eq!(
            h.unwrap(),
            "check the spelling; valid keys here are: title, date"
        );
    }
}
