//! What may reach a published page from a user's file: the one allow-list of URL schemes for
//! every `href` and `src`, and the characters text may hold.

/// How a URL is used: as a link (`href`) or as an image (`src`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlUse {
    Link,
    Image,
}

/// The schemes a link may have. Anything else (`javascript:`, `vbscript:`, `data:` outside
/// images, `file:`) is refused.
const LINK_SCHEMES: [&str; 4] = ["http", "https", "mailto", "tel"];

/// The `data:` images a page may embed: raster formats only (an SVG can hold a script).
const DATA_IMAGES: [&str; 7] = [
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/avif",
    "image/bmp",
    "image/x-icon",
];

/// Checks `url` against the allow-list: http, https, mailto and tel URLs, site paths,
/// relative paths and fragments; `data:` only for raster images. The URL is read as a
/// browser reads it: spaces and control characters around it are dropped, tabs and line
/// breaks inside it ignored, the scheme's case ignored. On refusal, says what was refused.
pub fn check_url(url: &str, usage: UrlUse) -> Result<(), String> {
    let cleaned: String = url
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    // A scheme is what stands before the first `:`, when no `/`, `?` or `#` comes first.
    let Some(colon) = cleaned.find(':') else {
        return Ok(());
    };
    if cleaned[..colon].contains(['/', '?', '#']) {
        return Ok(());
    }
    let scheme = cleaned[..colon].to_ascii_lowercase();
    if LINK_SCHEMES.contains(&scheme.as_str()) {
        return Ok(());
    }
    if scheme == "data" && usage == UrlUse::Image {
        let kind = cleaned[colon + 1..]
            .split([';', ','])
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if DATA_IMAGES.contains(&kind.as_str()) {
            // What the image carries about where and with what it was made cannot be taken
            // out of a data: URL: such an image is refused.
            let (header, payload) = cleaned[colon + 1..].split_once(',').unwrap_or(("", ""));
            // As the Fetch standard reads it: `;`, any spaces, `base64`, any spaces.
            let header = header.trim_end().to_ascii_lowercase();
            let base64 = header
                .strip_suffix("base64")
                .is_some_and(|rest| rest.trim_end().ends_with(';'));
            // Escapes (`%2B`) are decoded first, as browsers do.
            let decoded: Vec<u8> = percent_encoding::percent_decode_str(payload).collect();
            let bytes = if base64 {
                use base64::Engine as _;
                use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
                // As browsers read it: with or without the `=` at its end, spaces ignored.
                let engine = GeneralPurpose::new(
                    &base64::alphabet::STANDARD,
                    GeneralPurposeConfig::new()
                        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
                );
                let compact: Vec<u8> = decoded
                    .into_iter()
                    .filter(|b| !b.is_ascii_whitespace())
                    .collect();
                engine.decode(compact).map_err(|_| {
                    "an embedded image whose base64 data cannot be read cannot be published"
                        .to_string()
                })?
            } else {
                decoded
            };
            return match crate::images::metadata_problem(&bytes) {
                None => Ok(()),
                Some(why) => Err(format!(
                    "an image written into the text as a data: URL cannot be published: {why}; save it as a file beside the note instead, which is published without that data"
                )),
            };
        }
        return Err(format!(
            "an embedded image of type `{kind}` cannot be published: only PNG, JPEG, GIF, WebP, AVIF, BMP and ICO images may be written as data: URLs"
        ));
    }
    Err(format!(
        "the address scheme `{}:` cannot be published",
        shorten(&cleaned[..colon], 40)
    ))
}

/// What to tell a user whose URL was refused.
pub const URL_HELP: &str = "links may be web addresses (https://…), email addresses (mailto:…), telephone numbers (tel:…), site paths (/en/…), or files of the site (photo.jpg); a file whose name has a colon is written ./name";

/// The first character of `text` that no XML or HTML file may hold (a control character
/// other than tab and line breaks, or a noncharacter), with its byte offset.
pub fn forbidden_char(text: &str) -> Option<(usize, char)> {
    text.char_indices().find(|&(_, c)| is_forbidden(c))
}

fn is_forbidden(c: char) -> bool {
    (c < ' ' && !matches!(c, '\t' | '\n' | '\r'))
        || c == '\u{7f}'
        || ('\u{80}'..='\u{9f}').contains(&c)
        || ('\u{fdd0}'..='\u{fdef}').contains(&c)
        || (c as u32 & 0xfffe) == 0xfffe
}

/// A forbidden character named for a user: `U+000B (vertical tab)`.
pub fn describe_char(c: char) -> String {
    let name = match c {
        '\0' => " (NUL)",
        '\u{8}' => " (backspace)",
        '\u{b}' => " (vertical tab)",
        '\u{c}' => " (form feed)",
        '\u{1b}' => " (escape)",
        '\u{7f}' => " (delete)",
        _ => "",
    };
    format!("U+{:04X}{name}", c as u32)
}

/// What to tell a user whose text holds a forbidden character.
pub const CHAR_HELP: &str = "delete the invisible character (it often comes with text copied from another program): retype the words around it";

/// Extensions of files a browser would run scripts from when they are served from the site's
/// own address (and `svgz`, an SVG that cannot be checked).
const ACTIVE_EXTENSIONS: [&str; 11] = [
    "html", "htm", "xhtml", "xht", "shtml", "mht", "mhtml", "xml", "xsl", "xslt", "svgz",
];

/// Whether a file of content/ is a page a browser would run scripts from (`.html`, `.xhtml`,
/// `.xml`, …): such files are published only when the site allows raw HTML.
pub fn is_active_file(name: &str) -> bool {
    name.rsplit_once('.')
        .is_some_and(|(_, ext)| ACTIVE_EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str()))
}

/// Extensions of programs a web server may run instead of sending them: a host set up for
/// PHP runs `report.php.pdf` too, so those are refused wherever they stand in a name.
const PROGRAM_EXTENSIONS: [&str; 10] = [
    "php", "php3", "php4", "php5", "php7", "php8", "phtml", "pht", "phar", "phps",
];
const PROGRAM_LAST_EXTENSIONS: [&str; 13] = [
    "jsp", "jspx", "asp", "aspx", "ascx", "ashx", "asmx", "cgi", "shtm", "shtml", "stm", "cfm",
    "cfml",
];

/// Whether a web server may run a file of this name as a program, or read it as its own
/// settings (`.htaccess`), rather than send it: such a file is never published.
pub fn is_program_file(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        ".htaccess" | ".htpasswd" | ".user.ini" | "web.config"
    ) {
        return true;
    }
    let mut parts: Vec<&str> = lower.split('.').skip(1).collect();
    let last = parts.pop();
    parts
        .iter()
        .chain(last.iter())
        .any(|ext| PROGRAM_EXTENSIONS.contains(ext))
        || last.is_some_and(|ext| PROGRAM_LAST_EXTENSIONS.contains(&ext))
}

/// Whether a file is a compressed page or drawing (`map.svg.gz`, `page.html.br`), which a
/// host may send as the page itself, unchecked.
pub fn is_compressed_active_file(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [".gz", ".br", ".zst", ".z"]
        .iter()
        .filter_map(|ext| lower.strip_suffix(ext))
        .any(|inner| is_active_file(inner) || inner.ends_with(".svg"))
}

/// Checks an SVG file for anything that would run a script or load something from elsewhere
/// when the file is opened from the site: `<script>`, event handlers, `<foreignObject>`,
/// references to other files or sites, animations of links. On refusal: what was found, and
/// its byte offset in the file.
pub fn check_svg(text: &str) -> Result<(), (String, usize)> {
    if let Some(refusal) = declarations(text) {
        return Err(refusal);
    }
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(text, options).map_err(|e| {
        (
            format!("it is not a well-formed SVG file ({e})"),
            offset_of(text, e.pos()),
        )
    })?;
    let external = |value: &str| {
        let v = value.trim();
        !(v.starts_with('#') || check_url(v, UrlUse::Image).is_ok() && v.starts_with("data:"))
    };
    let external_css = |css: &str| {
        let lower = css_unescaped(css).to_ascii_lowercase();
        lower.contains("@import")
            || lower.contains("image-set(")
            || lower.split("url(").skip(1).any(|rest| {
                external(
                    rest.trim_start_matches(['"', '\'', ' '])
                        .split(')')
                        .next()
                        .unwrap_or(""),
                )
            })
    };
    for node in doc.descendants() {
        let at = node.range().start;
        if node.is_pi() {
            return Err((
                "it has a processing instruction that loads another file".into(),
                at,
            ));
        }
        if node.is_text()
            && node
                .parent()
                .is_some_and(|p| p.tag_name().name() == "style")
            && external_css(node.text().unwrap_or(""))
        {
            return Err(("its styles load another file or site".into(), at));
        }
        if !node.is_element() {
            continue;
        }
        let name = node.tag_name().name().to_ascii_lowercase();
        if matches!(
            name.as_str(),
            "script" | "foreignobject" | "handler" | "iframe" | "embed" | "object"
        ) {
            return Err((format!("it has a <{}> element", node.tag_name().name()), at));
        }
        // `href` under any prefix: `xlink:href`, or another prefix bound to the same name.
        let animated = node.attributes().any(|a| {
            a.name().eq_ignore_ascii_case("attributeName")
                && a.value()
                    .trim()
                    .rsplit(':')
                    .next()
                    .is_some_and(|local| local.eq_ignore_ascii_case("href"))
        });
        if animated {
            return Err(("it has an animation that changes a link".into(), at));
        }
        for attr in node.attributes() {
            let attr_name = attr.name().to_ascii_lowercase();
            let at = attr.range().start;
            if attr_name.starts_with("on") {
                return Err((format!("it has an event handler `{}`", attr.name()), at));
            }
            if attr_name == "href" && external(attr.value()) {
                return Err((
                    format!(
                        "it refers to another file or site: `{}`",
                        shorten(attr.value(), 60)
                    ),
                    at,
                ));
            }
            if external_css(attr.value())
                && css_unescaped(attr.value())
                    .to_ascii_lowercase()
                    .contains("url(")
                || attr_name == "style" && external_css(attr.value())
            {
                return Err(("its styles load another file or site".into(), at));
            }
        }
    }
    Ok(())
}

/// The byte offset in `text` of a parser's 1-based row and column (in characters).
fn offset_of(text: &str, pos: roxmltree::TextPos) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(pos.row.saturating_sub(1) as usize)
        .map(str::len)
        .sum();
    let column: usize = text[line_start..]
        .chars()
        .take(pos.col.saturating_sub(1) as usize)
        .map(char::len_utf8)
        .sum();
    line_start + column
}

/// The refusal of a drawing that declares entities or attributes of its own: a document
/// type's internal subset can declare attributes (an `onload` with a default value) that no
/// element in the file shows. None is taken.
fn declarations(text: &str) -> Option<(String, usize)> {
    internal_subset(text).map(|at| {
        (
            "its DOCTYPE declares entities or attributes of its own (`[ … ]`), which can add a script to the drawing".into(),
            at,
        )
    })
}

/// Where a `<!DOCTYPE … [` internal subset starts, if the text has one: the declaration is
/// read past quoted identifiers, so that a `[` in a public identifier is not taken for one.
fn internal_subset(text: &str) -> Option<usize> {
    let lower = text.to_ascii_lowercase();
    // A declaration anywhere (even where a comment seems to hide it from a first look).
    if let Some(at) = ["<!attlist", "<!entity", "<!element", "<!notation"]
        .iter()
        .filter_map(|d| lower.find(d))
        .min()
    {
        return Some(at);
    }
    for (start, _) in lower.match_indices("<!doctype") {
        let mut quote = None;
        for (i, c) in text[start..].char_indices() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') => quote = Some(c),
                (None, '[') => return Some(start + i),
                (None, '>') => break,
                _ => {}
            }
        }
    }
    None
}

/// CSS text with its escapes decoded (`u\72l(` is `url(`) and its comments taken out, as a
/// browser reads it, for the checks of what a style loads.
fn css_unescaped(css: &str) -> String {
    let mut out = String::with_capacity(css.len());
    let mut chars = css.chars().peekable();
    // Inside a quoted string, `/*` is text, not a comment.
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        if matches!(c, '"' | '\'') {
            match quote {
                Some(q) if q == c => quote = None,
                None => quote = Some(c),
                _ => {}
            }
        }
        if quote.is_none() && c == '/' && chars.peek() == Some(&'*') {
            chars.next();
            let mut last = ' ';
            for c in chars.by_ref() {
                if last == '*' && c == '/' {
                    break;
                }
                last = c;
            }
            continue;
        }
        if c != '\\' {
            out.push(c);
            continue;
        }
        let mut hex = String::new();
        while hex.len() < 6 && chars.peek().is_some_and(char::is_ascii_hexdigit) {
            hex.extend(chars.next());
        }
        if hex.is_empty() {
            // `\` before any other character stands for that character; before a line end,
            // for nothing.
            match chars.next() {
                Some('\n') | None => {}
                Some(c) => out.push(c),
            }
            continue;
        }
        if chars.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            chars.next();
        }
        out.push(
            u32::from_str_radix(&hex, 16)
                .ok()
                .and_then(char::from_u32)
                .unwrap_or('\u{FFFD}'),
        );
    }
    out
}

/// Why a file or folder name cannot be copied to every web host: a name Windows reserves for
/// a device (`con`, `nul`, `com1`, … with any extension), a character Windows refuses in
/// names (`<>:"/\\|?*` and control characters), a trailing dot or space, or more than 200
/// bytes.
pub fn portable_name_problem(name: &str) -> Option<String> {
    const RESERVED: [&str; 6] = ["con", "prn", "aux", "nul", "conin$", "conout$"];
    let stem = name
        .split('.')
        .next()
        .unwrap_or(name)
        .trim_end()
        .to_ascii_lowercase();
    let numbered = ["com", "lpt"].iter().any(|p| {
        stem.strip_prefix(p).is_some_and(|n| {
            n.len() == 1 && n.as_bytes()[0].is_ascii_digit() || matches!(n, "¹" | "²" | "³")
        })
    });
    if RESERVED.contains(&stem.as_str()) || numbered {
        return Some(format!(
            "`{}` is a name Windows keeps for a device, so the site could not be copied to a Windows host",
            shorten(name, 40)
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| matches!(c, '<' | '>' | ':' | '"' | '/' | '\\' | '|' | '?' | '*') || *c < ' ')
    {
        return Some(format!(
            "`{}` contains `{}`, which Windows does not allow in names, so the site could not be copied to every host",
            shorten(name, 40),
            c.escape_default()
        ));
    }
    if name.ends_with(['.', ' ']) {
        return Some(format!(
            "`{}` ends with a dot or a space, which Windows drops from names",
            shorten(name, 40)
        ));
    }
    if name.len() > 200 {
        return Some(format!(
            "`{}` is {} bytes long; a name may have at most 200",
            shorten(name, 40),
            name.len()
        ));
    }
    None
}

/// `text` cut to its first `max` characters, with `…` when cut: for quoting input in messages.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() > max {
        format!("{}…", text.chars().take(max).collect::<String>())
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_allow_list() {
        for ok in [
            "https://example.org/a?b#c",
            "HTTP://example.org",
            "mailto:a@example.org",
            "tel:+861059799695",
            "/en/briefings/x/",
            "../visa.en.md",
            "photo.jpg",
            "./a:b.pdf",
            "#top",
            "?q=1",
            "",
            "a/b:c",
        ] {
            assert_eq!(check_url(ok, UrlUse::Link), Ok(()), "{ok}");
        }
        for bad in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            " \u{1}javascript:alert(1)",
            "java\tscript:alert(1)",
            "java\nscript:alert(1)",
            "vbscript:msgbox(1)",
            "data:text/html,<script>alert(1)</script>",
            "data:image/png;base64,AAAA",
            "file:///etc/passwd",
            "javascript:alert(1).pdf",
        ] {
            assert!(check_url(bad, UrlUse::Link).is_err(), "{bad:?}");
        }
        assert_eq!(
            check_url("data:image/png;base64,AAAA", UrlUse::Image),
            Ok(())
        );
        assert_eq!(
            check_url("DATA:IMAGE/JPEG;base64,AA", UrlUse::Image),
            Ok(())
        );
        for bad in [
            "data:image/svg+xml;base64,PHN2Zz4=",
            "data:text/html,x",
            "javascript:alert(1)",
        ] {
            assert!(check_url(bad, UrlUse::Image).is_err(), "{bad}");
        }
    }

    #[test]
    fn svg_files() {
        let ok = r##"<?xml version="1.0"?><!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><defs><linearGradient id="g"/></defs>
<style>.a { fill: url(#g) }</style><rect fill="url(#g)" class="a"/><use xlink:href="#g"/><text>Vienna</text></svg>"##;
        assert_eq!(check_svg(ok), Ok(()));
        for bad in [
            r#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><p xmlns="http://www.w3.org/1999/xhtml">x</p></foreignObject></svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg"><a href="javascript:alert(1)"><text>x</text></a></svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://www.w3.org/1999/xlink"><image x:href="https://tracker.example/x.png"/></svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg"><a><set attributeName="href" to="javascript:alert(1)"/></a></svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg"><style>@import url(https://x.example/a.css);</style></svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill: url('https://x.example/a')"/></svg>"#,
            r#"<?xml-stylesheet href="x.xsl"?><svg xmlns="http://www.w3.org/2000/svg"/>"#,
            r#"<!DOCTYPE svg [<!ENTITY s "<script>alert(1)</script>">]><svg xmlns="http://www.w3.org/2000/svg">&s;</svg>"#,
            r#"<!DOCTYPE svg [<!ATTLIST svg onload CDATA "alert(1)">]><svg xmlns="http://www.w3.org/2000/svg"/>"#,
            r#"<!doctype svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x.dtd" [ <!ATTLIST svg onload CDATA "alert(1)"> ]><svg xmlns="http://www.w3.org/2000/svg"/>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg"><style>.a { fill: u\72l(https://x.example/a) }</style></svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill: \75 rl('https://x.example/a')"/></svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg"><style>@\69mport "https://x.example/a.css";</style></svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg"><style>.a{content:"/*"} .b{fill:url(https://x.example/t)} .c{content:"*/"}</style></svg>"#,
            r#"<!-- <!doctype --><!DOCTYPE svg [<!ATTLIST svg onload CDATA "alert(1)">]><svg xmlns="http://www.w3.org/2000/svg"/>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg"><style>.a { background: image-set("https://x.example/a.png" 1x) }</style></svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:l="http://www.w3.org/1999/xlink"><a><animate attributeName="l:href" values="javascript:alert(1)"/></a></svg>"#,
            "<svg><unclosed></svg>",
        ] {
            assert!(check_svg(bad).is_err(), "{bad}");
        }
        assert!(is_active_file("page.HTML"));
        assert!(is_active_file("x.xhtml"));
        assert!(!is_active_file("programme.pdf"));
        for program in [
            "x.php",
            "x.PHTML",
            "report.php.pdf",
            "x.jsp",
            "x.asp",
            "x.aspx",
            "x.shtm",
            "x.cgi",
            ".htaccess",
            "x.phar",
        ] {
            assert!(is_program_file(program), "{program}");
        }
        for plain in [
            "programme.pdf",
            "php-guide.pdf",
            "photo.jpg",
            "report.pl.pdf",
        ] {
            assert!(!is_program_file(plain), "{plain}");
        }
        assert!(is_compressed_active_file("map.svg.gz"));
        assert!(is_compressed_active_file("page.HTML.br"));
        assert!(!is_compressed_active_file("photos.tar.gz"));
    }

    #[test]
    fn names_every_host_can_hold() {
        for bad in [
            "con",
            "CON",
            "nul.pdf",
            "aux.tar.gz",
            "com1",
            "LPT9.txt",
            "prn",
            "a:b.pdf",
            "what?.pdf",
            "x*.png",
            "trailing.",
            "trailing ",
            "tab\there",
            "CONIN$",
            "conout$.txt",
        ] {
            assert!(portable_name_problem(bad).is_some(), "{bad}");
        }
        assert!(portable_name_problem(&"a".repeat(201)).is_some());
        for fine in [
            "console",
            "com10",
            "null.pdf",
            "report #1 (100%).pdf",
            "人口贩运.pdf",
            "index.en.md",
        ] {
            assert_eq!(portable_name_problem(fine), None, "{fine}");
        }
    }

    #[test]
    fn forbidden_characters() {
        assert_eq!(forbidden_char("Visa\u{b}talks"), Some((4, '\u{b}')));
        assert_eq!(forbidden_char("a\0"), Some((1, '\0')));
        assert_eq!(forbidden_char("tab\tline\r\n人口 “quotes”"), None);
        assert!(forbidden_char("\u{fffe}").is_some());
        assert!(forbidden_char("\u{1fffe}").is_some());
        assert_eq!(describe_char('\u{b}'), "U+000B (vertical tab)");
    }
}
