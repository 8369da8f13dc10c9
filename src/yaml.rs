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
    precheck(yaml, source, first_line, shown)?;
    unique_keys(yaml, source, first_line, shown)?;
    read(yaml, source, first_line, shown)
}

/// A key written twice in one mapping is an error at the second: read into a map, the later
/// entry would silently replace the earlier (a contact's number, a funder's name).
fn unique_keys(
    yaml: &str,
    source: &str,
    first_line: usize,
    shown: &Path,
) -> Result<(), Diagnostic> {
    match serde_yaml::from_str::<serde_yaml::Value>(yaml) {
        Err(e) if duplicated_key(&e.to_string()).is_some() => {
            let d = from_error(&e, source, first_line, shown);
            // The parser points at the mapping; the user wants the second key.
            let text = e.to_string();
            let second = e
                .location()
                .zip(duplicated_key(&text))
                .and_then(|(loc, key)| {
                    let line = second_key(yaml, loc.line(), loc.column(), key)?;
                    Some((line, loc.column(), key.chars().count()))
                });
            Err(match second {
                Some((line, column, width)) => d.at(source, first_line + line - 1, column, width),
                None => d,
            })
        }
        // Any other problem is reported by the reading itself, with its own explanation.
        _ => Ok(()),
    }
}

/// What is refused before the YAML parser sees the text: tabs, deep nesting (which makes the
/// parser slow) and control characters.
fn precheck(yaml: &str, source: &str, first_line: usize, shown: &Path) -> Result<(), Diagnostic> {
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
    if let Some((line, size)) = too_large_expanded(yaml) {
        return Err(Diagnostic::error(format!(
            "this YAML repeats its parts (`*name` for `&name`) so often that it would take {} once read: at most {} and {MAX_EXPANSION} times the size of the text are read",
            crate::size::human_size(size),
            crate::size::human_size(MAX_EXPANDED)
        ))
        .file(shown)
        .at_line(first_line + line - 1)
        .help("write the values out instead of repeating them with `*`, or repeat fewer of them"));
    }
    if let Some((line, column, c)) = fullwidth_separator(yaml) {
        let name = if c == '、' {
            "an enumeration comma `、` (U+3001)"
        } else {
            "a full-width comma `，` (U+FF0C)"
        };
        return Err(Diagnostic::error(format!(
            "{name} separates the items of this list, but YAML does not read it as a separator: the list would hold one item"
        ))
        .file(shown)
        .at(source, first_line + line - 1, column, 1)
        .help("separate the items with an ordinary comma and a space, in half-width (English) input mode: `[维也纳, 索非亚]`; if the mark belongs inside one item, put that item in quotes: `[\"维也纳、索非亚\"]`"));
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
    Ok(())
}

/// Reads text that passed [`precheck`] into `T`.
fn read<T: DeserializeOwned>(
    yaml: &str,
    source: &str,
    first_line: usize,
    shown: &Path,
) -> Result<T, Diagnostic> {
    let value: T = serde_yaml::from_str(yaml).map_err(|e| {
        // A mistake of typing explains the parser's complaint better than the parser can.
        typing_mistakes(yaml, source, first_line, shown)
            .into_iter()
            .next()
            .unwrap_or_else(|| from_error(&e, source, first_line, shown))
    })?;
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

/// A YAML mapping read key by key, so that every key's problem is reported at once.
pub struct Lenient<T> {
    /// The value read from the keys without problems.
    pub value: T,
    /// One error for each key that could not be read.
    pub errors: Vec<Diagnostic>,
    /// The top-level keys that had a problem, so that a caller does not also call them missing.
    pub bad_keys: Vec<String>,
}

/// Parses a YAML mapping into `T` like [`parse`], but when keys are unknown or have values of
/// the wrong type, reads the others and reports every bad key rather than the first one.
/// Errors that leave nothing to read (malformed YAML) are returned as they are.
pub fn parse_each<T: DeserializeOwned>(
    yaml: &str,
    source: &str,
    first_line: usize,
    shown: &Path,
) -> Result<Lenient<T>, Vec<Diagnostic>> {
    precheck(yaml, source, first_line, shown).map_err(|d| vec![d])?;
    let first = match read::<T>(yaml, source, first_line, shown) {
        Ok(value) => {
            return Ok(Lenient {
                value,
                errors: Vec::new(),
                bad_keys: Vec::new(),
            });
        }
        Err(d) => d,
    };
    let typing = typing_mistakes(yaml, source, first_line, shown);
    if !typing.is_empty() {
        return Err(typing);
    }
    let Ok(serde_yaml::Value::Mapping(map)) = serde_yaml::from_str::<serde_yaml::Value>(yaml)
    else {
        return Err(vec![first]);
    };
    let mut good = serde_yaml::Mapping::new();
    let mut errors = Vec::new();
    let mut bad_keys = Vec::new();
    for (key, value) in map {
        let mut one = serde_yaml::Mapping::new();
        one.insert(key.clone(), value.clone());
        match serde_yaml::from_value::<T>(serde_yaml::Value::Mapping(one)) {
            Ok(_) => {
                good.insert(key, value);
            }
            Err(_) if errors.len() >= MAX_KEY_ERRORS => {
                bad_keys.push(key.as_str().unwrap_or("?").to_string());
            }
            Err(e) => {
                let name = key.as_str().unwrap_or("?").to_string();
                // The key's own lines, parsed alone, say exactly where in them the problem is.
                let exact = key_location(yaml, &[&name]).and_then(|(line, _)| {
                    let block = key_block(yaml, line);
                    serde_yaml::from_str::<T>(block)
                        .err()
                        .map(|e| from_error(&e, source, first_line + line - 1, shown))
                });
                errors.push(exact.unwrap_or_else(|| {
                    key_error(&e.to_string(), &name, yaml, source, first_line, shown)
                }));
                bad_keys.push(name);
            }
        }
    }
    // Past the first few, the keys with problems are named in one message: finding each
    // one's line reads the text again.
    if bad_keys.len() > MAX_KEY_ERRORS {
        let rest = &bad_keys[MAX_KEY_ERRORS..];
        let mut names: Vec<&str> = rest.iter().take(10).map(String::as_str).collect();
        if rest.len() > names.len() {
            names.push("…");
        }
        errors.push(
            Diagnostic::error(format!(
                "{} more keys have problems: {}",
                rest.len(),
                names.join(", ")
            ))
            .file(shown)
            .at_line(first_line)
            .help("correct or delete the keys above, then check again"),
        );
    }
    match serde_yaml::from_value::<T>(serde_yaml::Value::Mapping(good)) {
        Ok(value) if !errors.is_empty() => Ok(Lenient {
            value,
            errors,
            bad_keys,
        }),
        _ => Err(vec![first]),
    }
}

/// The keys with problems reported one by one, at their line; the rest in one message.
const MAX_KEY_ERRORS: usize = 20;

/// The lines of the top-level key on 1-based line `line`: that line and the ones below it up
/// to the next top-level key.
fn key_block(yaml: &str, line: usize) -> &str {
    let start: usize = yaml
        .split_inclusive('\n')
        .take(line - 1)
        .map(str::len)
        .sum();
    let mut end = start;
    for (n, l) in yaml[start..].split_inclusive('\n').enumerate() {
        if n > 0 && !l.trim().is_empty() && !l.starts_with([' ', '-', '#']) {
            break;
        }
        end += l.len();
    }
    &yaml[start..end]
}

/// The error for one top-level key `key` whose value could not be read, pointing at the key
/// in the text it names (`contcts`, or `lokations` inside `event`) where it can find it.
fn key_error(
    raw: &str,
    key: &str,
    yaml: &str,
    source: &str,
    first_line: usize,
    shown: &Path,
) -> Diagnostic {
    let text = raw.find(" at line ").map_or(raw, |i| &raw[..i]);
    let (mut message, help) = explain(text);
    let unknown = text
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split_once('`'))
        .map(|(name, _)| name);
    let mut at = key_location(yaml, &[key]);
    let mut width = key.chars().count();
    if let Some(inner) = unknown.filter(|u| *u != key) {
        // Unknown inside the key's value: find it in the lines of the key's block.
        message = format!("{message} (in `{key}`)");
        if let Some((line, _)) = at {
            let found = yaml
                .lines()
                .enumerate()
                .skip(line)
                .take_while(|(_, l)| l.is_empty() || l.starts_with([' ', '-', '#']))
                .find_map(|(n, l)| {
                    let rest = l.trim_start_matches([' ', '-']);
                    let after = rest.strip_prefix(inner)?;
                    after
                        .trim_start()
                        .starts_with(':')
                        .then(|| (n + 1, l.len() - rest.len() + 1))
                });
            if let Some(found) = found {
                at = Some(found);
                width = inner.chars().count();
            }
        }
    } else if unknown.is_none() {
        message = format!("{message} (in `{key}`)");
    }
    let mut d = Diagnostic::error(message).file(shown);
    if let Some(help) = help {
        d = d.help(help);
    }
    match at {
        Some((line, column)) => d.at(source, first_line + line - 1, column, width),
        None => d.at_line(first_line),
    }
}

/// A bracket left open, at its own line and column, with the fix; looked for only where the
/// text is no YAML at all (a value of the wrong type is not a bracket's fault).
fn unclosed_bracket(yaml: &str) -> Option<(usize, usize, Diagnostic)> {
    if serde_yaml::from_str::<serde_yaml::Value>(yaml).is_ok() {
        return None;
    }
    let (n, column, open) = unclosed_flow(yaml)?;
    let close = if open == '[' { ']' } else { '}' };
    let example = if open == '[' {
        "tags: [visa, dialogue]"
    } else {
        "project: { name: Example, url: https://example.org }"
    };
    let d = Diagnostic::error(format!(
        "the `{open}` opened on this line is not closed with `{close}`"
    ))
    .help(format!(
        "close it at the end of the value, e.g. `{example}`"
    ));
    Some((n, column, d))
}

/// Mistakes of typing that the YAML parser reports badly or at the wrong line: a full-width
/// colon or space typed by a Chinese input method, and a key without its colon. Looked for
/// only once parsing has failed, so a valid file is never second-guessed.
fn typing_mistakes(yaml: &str, source: &str, first_line: usize, shown: &Path) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    let at = |n: usize, column: usize, width: usize, d: Diagnostic| {
        d.file(shown).at(source, first_line + n, column, width)
    };
    if let Some((n, column, d)) = unclosed_bracket(yaml) {
        found.push(at(n - 1, column, 1, d));
    }
    // Indentation of the last line that held a key, to tell a key line from a continuation.
    let mut key_indent: Option<usize> = None;
    for (n, line) in yaml.lines().enumerate() {
        let body = line.trim_start_matches([' ', '\u{3000}']);
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        let lead = &line[..line.len() - body.len()];
        if let Some(i) = lead.find('\u{3000}') {
            let column = line[..i].chars().count() + 1;
            found.push(at(
                n,
                column,
                lead[i..].chars().count(),
                Diagnostic::error(
                    "this line is indented with a full-width space `　` (U+3000), which YAML does not read as a space",
                )
                .help("delete the indentation and type it again with ordinary spaces: switch the input method to half-width (English) mode, often with Shift+Space"),
            ));
            continue;
        }
        let indent = lead.len();
        let item = body.strip_prefix("- ").unwrap_or(body);
        let key_len = item
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(item.len());
        let (key, after) = item.split_at(key_len);
        if !key.is_empty() && after.starts_with('：') {
            let column = line[..line.len() - after.len()].chars().count() + 1;
            let value = after['：'.len_utf8()..].trim_start_matches([' ', '\u{3000}']);
            found.push(at(
                n,
                column,
                1,
                Diagnostic::error(format!(
                    "the key `{key}` is followed by a full-width colon `：` (U+FF1A), which YAML does not read as a colon"
                ))
                .help(format!(
                    "type an ordinary colon and a space, in half-width (English) input mode: `{key}: {value}`"
                )),
            ));
            continue;
        }
        if !key.is_empty()
            && let Some(rest) = after.strip_prefix(':')
            && rest.starts_with('\u{3000}')
        {
            let column = line[..line.len() - rest.len()].chars().count() + 1;
            found.push(at(
                n,
                column,
                1,
                Diagnostic::error(format!(
                    "the colon after `{key}` is followed by a full-width space `　` (U+3000), which YAML does not read as a space"
                ))
                .help(format!(
                    "type an ordinary space after the colon: `{key}: {}`",
                    rest.trim_start_matches('\u{3000}')
                )),
            ));
            continue;
        }
        let has_colon = item.contains(": ") || item.ends_with(':');
        if has_colon && !body.starts_with("- ") {
            key_indent = Some(indent);
        } else if !has_colon
            && !body.starts_with('-')
            && key_indent == Some(indent)
            && !key.is_empty()
            && after.starts_with(' ')
        {
            found.push(at(
                n,
                indent + 1,
                key.chars().count(),
                Diagnostic::error(format!("the key `{key}` has no colon after it")).help(format!(
                    "write the key, a colon and a space, then the value: `{key}: {}`",
                    after.trim()
                )),
            ));
        }
    }
    found
}

/// Which lines are the text of a block scalar (`summary: |` or `>` and the lines indented
/// deeper below it, blank ones included): running text, where brackets, marks and stars are
/// the text's own.
fn block_scalar_lines(lines: &[&str]) -> Vec<bool> {
    let indent = |l: &str| l.len() - l.trim_start_matches(' ').len();
    let mut inside = vec![false; lines.len()];
    let mut scalar: Option<usize> = None;
    for (n, line) in lines.iter().enumerate() {
        if let Some(own) = scalar {
            if line.trim().is_empty() || indent(line) > own {
                inside[n] = true;
                continue;
            }
            scalar = None;
        }
        let body = line.trim_end();
        let value = body.rsplit_once(": ").map_or(body, |(_, v)| v).trim_start();
        let value = value.strip_prefix("- ").unwrap_or(value).trim_start();
        if value.starts_with(['|', '>'])
            && value[1..]
                .chars()
                .all(|c| c.is_ascii_digit() || c == '+' || c == '-')
        {
            scalar = Some(indent(line));
        }
    }
    inside
}

/// Where a value of `line` starts with `[` or `{` (after the key's `: ` or a list's `- `):
/// its byte offset in the line.
fn flow_start(line: &str) -> Option<usize> {
    let mut body = line.trim_start_matches(' ');
    while let Some(rest) = body.strip_prefix("- ") {
        body = rest.trim_start_matches(' ');
    }
    let value = if body.starts_with(['[', '{']) {
        body
    } else {
        let i = body.find(": ")?;
        if body[..i].contains(['"', '\'', '#']) {
            return None;
        }
        body[i + 2..].trim_start_matches(' ')
    };
    value
        .starts_with(['[', '{'])
        .then(|| line.len() - value.len())
}

/// Something the flow scanner met: an opening bracket, a closing one that closes the
/// collection, or a full-width comma between the items of a list.
enum Flow {
    /// The collection opened on (line, column) with this bracket was still open when the next
    /// key began.
    Unclosed(usize, usize, char),
    /// A `，` or `、` at (line, column) in a list.
    Fullwidth(usize, usize, char),
}

/// Reads the flow collections (`[…]`, `{…}`) that start values, as YAML does, outside quotes,
/// comments and block scalars, and reports each unclosed one and each full-width comma in a
/// list, in order, to `found` until it returns true. One pass: linear in the text.
fn scan_flows(yaml: &str, mut found: impl FnMut(Flow) -> bool) {
    let lines: Vec<&str> = yaml.lines().collect();
    let in_scalar = block_scalar_lines(&lines);
    let indent = |l: &str| l.len() - l.trim_start_matches(' ').len();
    // The open brackets: (line, column, bracket), and the indentation of the line that
    // opened the outermost.
    let mut open: Vec<(usize, usize, char)> = Vec::new();
    let mut opener_indent = 0;
    for (n, line) in lines.iter().enumerate() {
        if in_scalar[n] {
            continue;
        }
        let start = if open.is_empty() {
            match flow_start(line) {
                Some(start) => {
                    opener_indent = indent(line);
                    start
                }
                None => continue,
            }
        } else if !line.trim().is_empty()
            && indent(line) <= opener_indent
            && !line.trim_start().starts_with([']', '}'])
        {
            // The next key came while a bracket was open.
            if found(Flow::Unclosed(open[0].0, open[0].1, open[0].2)) {
                return;
            }
            open.clear();
            match flow_start(line) {
                Some(start) => {
                    opener_indent = indent(line);
                    start
                }
                None => continue,
            }
        } else {
            0
        };
        let mut column = line[..start].chars().count();
        let mut quote: Option<char> = None;
        let mut escaped = false;
        let mut previous = ' ';
        for c in line[start..].chars() {
            column += 1;
            if let Some(q) = quote {
                if escaped {
                    escaped = false;
                } else if q == '"' && c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
                previous = c;
                continue;
            }
            match c {
                '"' | '\'' if matches!(previous, ' ' | '\t' | '[' | '{' | ',' | ':') => {
                    quote = Some(c)
                }
                '[' | '{' => open.push((n + 1, column, c)),
                ']' | '}' => {
                    open.pop();
                    if open.is_empty() {
                        break;
                    }
                }
                '#' if matches!(previous, ' ' | '\t') => break,
                '，' | '、'
                    if open.last().is_some_and(|o| o.2 == '[')
                        && found(Flow::Fullwidth(n + 1, column, c)) =>
                {
                    return;
                }
                _ => {}
            }
            previous = c;
        }
    }
    if let Some(&(line, column, bracket)) = open.first() {
        found(Flow::Unclosed(line, column, bracket));
    }
}

/// A flow list or map (`[`, `{`) opened where a value starts and still open when the next
/// key begins (a line indented no deeper than the line that opened it): the parser reports
/// that on the next line; this finds the line, column (1-based) and bracket that opened it.
fn unclosed_flow(yaml: &str) -> Option<(usize, usize, char)> {
    first_flow(yaml, |flow| match flow {
        Flow::Unclosed(line, column, bracket) => Some((line, column, bracket)),
        Flow::Fullwidth(..) => None,
    })
}

/// The first of the things the flow scanner meets that `pick` takes.
fn first_flow(
    yaml: &str,
    pick: impl Fn(Flow) -> Option<(usize, usize, char)>,
) -> Option<(usize, usize, char)> {
    let mut first = None;
    scan_flows(yaml, |flow| {
        first = pick(flow);
        first.is_some()
    });
    first
}

/// The first full-width comma `，` or enumeration comma `、` typed between the items of a
/// flow list (`tags: [人口贩运，考察访问]`), outside quotes: (line, column), 1-based, and the
/// character. In a flow map (`{role: 新闻、传播}`) and in running text it is the text's own.
fn fullwidth_separator(yaml: &str) -> Option<(usize, usize, char)> {
    if !yaml.contains(['，', '、']) {
        return None;
    }
    first_flow(yaml, |flow| match flow {
        Flow::Fullwidth(line, column, c) => Some((line, column, c)),
        Flow::Unclosed(..) => None,
    })
}

/// The most bytes a YAML text may take once its aliases (`*name`) are replaced by what their
/// anchors (`&name`) name: more would let a small file fill the memory.
const MAX_EXPANDED: u64 = 16 * 1024 * 1024;
/// … and the most times its own size.
const MAX_EXPANSION: u64 = 100;

/// Where (the 1-based line of the alias that passes the limit) and how large a YAML text
/// would be once every alias is replaced by its anchor's node, if that is more than
/// [`MAX_EXPANDED`] bytes or [`MAX_EXPANSION`] times the text. An anchor's node is measured
/// from the anchor to the end of its item in a flow collection (the next `,` or closing
/// bracket at its depth), or, outside one, to the next line indented no deeper than its own;
/// the aliases inside it count expanded. One pass, with a stack of the anchors open (as deep
/// as the nesting): linear in the text.
fn too_large_expanded(yaml: &str) -> Option<(usize, u64)> {
    if !yaml.contains('*') {
        return None;
    }
    let limit = MAX_EXPANDED.min((yaml.len() as u64).saturating_mul(MAX_EXPANSION));
    let mut anchors = Anchors::default();
    let mut total = yaml.len() as u64;
    let mut offset = 0;
    let mut depth = 0usize;
    for (n, line) in yaml.lines().enumerate() {
        let indent = line.len() - line.trim_start_matches(' ').len();
        if depth == 0 && !line.trim().is_empty() {
            // A line no deeper than a block anchor's ends its node.
            anchors.close_while(offset, |o| o.depth.is_none() && o.indent >= indent);
        }
        let bytes = line.as_bytes();
        let mut quote: Option<u8> = None;
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if let Some(q) = quote {
                if b == b'\\' && q == b'"' {
                    i += 1;
                } else if b == q {
                    quote = None;
                }
                i += 1;
                continue;
            }
            let before = if i == 0 { b' ' } else { bytes[i - 1] };
            let starts_value = matches!(before, b' ' | b'\t' | b'[' | b'{' | b',');
            match b {
                b'#' if matches!(before, b' ' | b'\t') || i == 0 => break,
                b'"' | b'\'' if starts_value => quote = Some(b),
                b'[' | b'{' => depth += 1,
                b',' | b']' | b'}' => {
                    // The end of the item of every anchor open at this depth.
                    anchors.close_while(offset + i, |o| o.depth == Some(depth));
                    if b != b',' {
                        depth = depth.saturating_sub(1);
                    }
                }
                b'&' | b'*' if starts_value => {
                    let name_len = line[i + 1..]
                        .find(|c: char| c.is_whitespace() || ",[]{}".contains(c))
                        .unwrap_or(line.len() - i - 1);
                    let name = &line[i + 1..i + 1 + name_len];
                    if name_len > 0 && b == b'&' {
                        anchors.open.push(Anchor {
                            name,
                            start: offset + i,
                            depth: (depth > 0).then_some(depth),
                            indent,
                            inner: 0,
                        });
                    } else if name_len > 0 {
                        total = total.saturating_add(anchors.alias(name));
                        if total > limit {
                            return Some((n + 1, total));
                        }
                    }
                    i += name_len;
                }
                _ => {}
            }
            i += 1;
        }
        offset += line.len() + 1;
    }
    None
}

/// An anchor whose node is still being read.
struct Anchor<'a> {
    name: &'a str,
    start: usize,
    /// The flow depth of an anchor inside a flow collection; none outside one.
    depth: Option<usize>,
    indent: usize,
    /// What the aliases inside its node add to it.
    inner: u64,
}

/// The anchors of a text as [`too_large_expanded`] reads it: those still open, innermost
/// last, and the expanded size of each one closed.
#[derive(Default)]
struct Anchors<'a> {
    open: Vec<Anchor<'a>>,
    sizes: std::collections::HashMap<&'a str, u64>,
}

impl<'a> Anchors<'a> {
    /// Closes the innermost anchors at `end` while `ends` says their node ends there: each
    /// one's size is its bytes and what its aliases add, which is inside the node around it
    /// too.
    fn close_while(&mut self, end: usize, ends: impl Fn(&Anchor) -> bool) {
        while let Some(node) = self.open.pop_if(|o| ends(o)) {
            let size = (end.saturating_sub(node.start) as u64).saturating_add(node.inner);
            if let Some(outer) = self.open.last_mut() {
                outer.inner = outer.inner.saturating_add(node.inner);
            }
            self.sizes.insert(node.name, size);
        }
    }

    /// What an alias of `name` adds where it stands; an alias of an anchor still open is a
    /// loop, as large as can be.
    fn alias(&mut self, name: &str) -> u64 {
        let size = if self.open.last().is_some_and(|o| o.name == name)
            || !self.sizes.contains_key(name) && self.open.iter().any(|o| o.name == name)
        {
            u64::MAX
        } else {
            self.sizes.get(name).copied().unwrap_or(0)
        };
        if let Some(innermost) = self.open.last_mut() {
            innermost.inner = innermost.inner.saturating_add(size);
        }
        size
    }
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

/// The key a "duplicate entry" error of the YAML parser names, without its quotes and
/// without the location the parser appends.
fn duplicated_key(text: &str) -> Option<&str> {
    const MARK: &str = "duplicate entry with key ";
    let rest = &text[text.find(MARK)? + MARK.len()..];
    let key = rest.split(" at line ").next().unwrap_or(rest);
    Some(key.trim_matches(|c| c == '"' || c == '`'))
}

/// The line (from 1) of the second `key:` of the block mapping whose first key is at `line`,
/// `column`: the keys of one mapping stand at its column, and it ends at a line indented less.
fn second_key(yaml: &str, line: usize, column: usize, key: &str) -> Option<usize> {
    let indent = column - 1;
    let mut seen = 0;
    for (n, text) in yaml.lines().enumerate().skip(line - 1) {
        let trimmed = text.trim_start_matches(' ');
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let at = text.len() - trimmed.len();
        if at < indent {
            break;
        }
        let name = trimmed.split(':').next().unwrap_or("").trim();
        if at == indent && name.trim_matches(|c| c == '"' || c == '\'') == key {
            seen += 1;
            if seen == 2 {
                return Some(n + 1);
            }
        }
    }
    None
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
            let name = key.trim_matches('`');
            match closest(name, &keys.split(", ").collect::<Vec<_>>()) {
                Some(close) => {
                    format!("did you mean `{close}`? valid keys here are: {keys}")
                }
                None => format!("check the spelling; valid keys here are: {keys}"),
            }
        });
        return (format!("unknown key {key}"), help);
    }
    if text.starts_with("duplicate entry")
        && let Some(key) = duplicated_key(text)
    {
        return (
            format!("the key `{key}` is written twice in the same place"),
            Some(format!(
                "keep one `{key}:` here and delete or rename the other: the later one would replace the earlier without a word"
            )),
        );
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
    if text.starts_with("data did not match any variant of untagged enum Localised") {
        return (
            "wrong type of value: expected a text, or one text per language".to_string(),
            Some(
                "write the text once, or one line per language: name: { en: Li Wei, zh: 李伟 }"
                    .to_string(),
            ),
        );
    }
    if text.starts_with("expected a single value") {
        return (
            text.to_string(),
            Some("write one value after the colon, without [ ] and without keys on the lines below it".to_string()),
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

/// The one of `candidates` that `name` is a typo of: at most two letters apart.
pub fn closest<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|k| (edit_distance(name, k), *k))
        .filter(|(d, k)| *d <= 2 && *d < k.len())
        .min()
        .map(|(_, k)| k)
}

/// The number of single-character insertions, deletions and substitutions between `a` and
/// `b` (Levenshtein), to suggest the key a typo meant.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
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
    fn block_scalars_and_flow_maps_keep_their_marks() {
        for fine in [
            "summary: |\n  Note: [see the report\n  and more\ntitle: 维也纳、索非亚\n",
            "contact: {name: 李伟, role: 新闻、传播主任}\n",
            "summary: >-\n  [a，b]\n",
        ] {
            assert_eq!(fullwidth_separator(fine), None, "{fine}");
            assert_eq!(unclosed_flow(fine), None, "{fine}");
        }
        // In a list inside a map, it is a list's separator again.
        assert_eq!(
            fullwidth_separator("contact: {tags: [a，b]}\n"),
            Some((1, 19, '，'))
        );
    }

    #[test]
    fn a_megabyte_of_anchors_or_brackets_is_read_in_linear_time() {
        let anchors = format!(
            "tags: [{}, *x1]\n",
            (0..150_000)
                .map(|i| format!("&x{i} v"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let started = std::time::Instant::now();
        assert_eq!(too_large_expanded(&anchors), None);
        let brackets = format!("tags: [{}\ndate: x\n", "[],".repeat(300_000));
        assert!(unclosed_flow(&brackets).is_some());
        assert!(started.elapsed() < std::time::Duration::from_secs(20));
    }

    #[test]
    fn an_unclosed_bracket_is_found_on_its_own_line() {
        assert_eq!(
            unclosed_flow("title: x\ntags: [visa, dialogue\ndate: 2015-10-16\n"),
            Some((2, 7, '['))
        );
        assert_eq!(
            unclosed_flow("event:\n  locations: [Vienna, [Sofia]\n  start: 2015-10-19\n"),
            Some((2, 14, '['))
        );
        assert_eq!(unclosed_flow("tags: [a,\n  b]\ndate: 2015-10-16\n"), None);
        assert_eq!(unclosed_flow("title: \"[draft\"\ntags: [a]\n"), None);
        assert_eq!(unclosed_flow("tags: [a, \"b]\"]\n"), None);
    }

    #[test]
    fn repeated_anchors_have_a_limit() {
        // A billion laughs: each level repeats the one before ten times.
        let mut laughs = String::from("a: &a \"lol\"\n");
        let mut previous = 'a';
        for name in 'b'..='j' {
            let refs = vec![format!("*{previous}"); 10].join(", ");
            laughs.push_str(&format!("{name}: &{name} [{refs}]\n"));
            previous = name;
        }
        let (line, size) = too_large_expanded(&laughs).unwrap();
        assert!(size > MAX_EXPANDED || size > laughs.len() as u64 * MAX_EXPANSION);
        assert!(line <= 10, "{line}");
        // One large value repeated a thousand times.
        let big = format!(
            "x: &big {}\nlist: [{}]\n",
            "a".repeat(100_000),
            vec!["*big"; 1000].join(", ")
        );
        assert!(too_large_expanded(&big).is_some());
        // A block node repeated a few times is fine, and so is text with stars.
        let fine = "contact: &press\n  name: Li Wei\n  email: li@example.org\nevent:\n  contact: *press\nother: *press\ntitle: \"5 * 3 = *15*\"\nnote: a * b # *c\n";
        assert_eq!(too_large_expanded(fine), None);
    }

    #[test]
    fn a_fullwidth_comma_between_list_items_is_found() {
        assert_eq!(
            fullwidth_separator("title: x\ntags: [人口贩运，考察访问]\n"),
            Some((2, 12, '，'))
        );
        assert_eq!(
            fullwidth_separator("event:\n  locations: [维也纳、索非亚、巴黎]\n"),
            Some((2, 18, '、'))
        );
        assert_eq!(
            fullwidth_separator("tags:\n  - [a,\n     b，c]\n"),
            Some((3, 7, '，'))
        );
        for fine in [
            "title: 维也纳、索非亚和巴黎，三地\n",
            "tags: [\"维也纳、索非亚\", '人口，贩运']\n",
            "summary: |\n  见[附件]，以及[地图]、照片\n",
            "tags: [a, b] # 注：人口，贩运\n",
        ] {
            assert_eq!(fullwidth_separator(fine), None, "{fine}");
        }
    }

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
        let (m, h) = explain("unknown field `colour`, expected one of `title`, `date`");
        assert_eq!(m, "unknown key `colour`");
        assert_eq!(
            h.unwrap(),
            "check the spelling; valid keys here are: title, date"
        );
        let (_, h) = explain("unknown field `contcts`, expected one of `title`, `contacts`");
        assert_eq!(
            h.unwrap(),
            "did you mean `contacts`? valid keys here are: title, contacts"
        );
    }

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("contcts", "contacts"), 1);
        assert_eq!(edit_distance("datline", "dateline"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
