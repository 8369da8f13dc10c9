//! Markdown to HTML with pulldown-cmark: tables, footnotes, strikethrough, smart punctuation,
//! heading anchors, and links to other notes' source files rewritten to their URLs.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd, html};
use pulldown_cmark_escape::{escape_href, escape_html};

use crate::config::RawHtml;
use crate::safety::{self, UrlUse};

/// A note's body as HTML, and as plain text: whole (for the search index), and its first
/// paragraph.
///
/// A build remembers all of it but its texts (`html`, `text`, `feed_html`) for the next one:
/// such an outline has `outline` set and its texts empty, and the site model renders the
/// note again the first time a page asks for them (`Site::body`).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Rendered {
    #[serde(skip)]
    pub html: String,
    /// The key of `html` (XXH3-128): what a page's fingerprint takes of it.
    pub html_key: crate::memory::Key,
    #[serde(skip)]
    pub text: String,
    /// The key of `text`: what the search index remembers of it.
    pub text_key: crate::memory::Key,
    /// Remembered without its texts.
    #[serde(skip)]
    pub outline: bool,
    pub first_paragraph: String,
    /// Byte offsets in the body of images that have no alt text.
    pub images_without_alt: Vec<usize>,
    /// The loose files of content/ it links to (paths under content/).
    pub loose_links: Vec<String>,
    /// Links to what is not published yet, published as their words alone: byte offset in
    /// the body, and a message saying when they become links.
    pub held_links: Vec<(usize, String)>,
    /// Links and images to site paths (`/en/about/`): byte offset in the body, and the path
    /// under the site root as written (`en/about/`), to check against the site's files.
    pub site_links: Vec<(usize, String)>,
    /// The files of content/ shown as images in the text, in order.
    pub images: Vec<ShownImage>,
    /// The HTML again with every URL absolute, for feeds: set by the site model for the notes
    /// its feeds carry.
    #[serde(skip)]
    pub feed_html: Option<String>,
    /// Tags of elements that would hide the text after them (`<script>`, `<textarea>`, …),
    /// written in the text and published as written: byte offset in the body, and the tag.
    pub swallowing_tags: Vec<(usize, String)>,
}

/// Elements whose content a browser (and the sanitiser) takes as raw text, or drops: a tag of
/// one written in a note's text would swallow everything after it.
const SWALLOWING: [&str; 11] = [
    "script",
    "style",
    "template",
    "textarea",
    "title",
    "xmp",
    "noscript",
    "iframe",
    "plaintext",
    "noembed",
    "noframes",
];

/// Stands for a `<` that is published as written: a control character, which no note may
/// hold (every one is refused before rendering), one byte long so that offsets stay true.
const LITERAL_LT: char = '\u{1}';

/// The name of a swallowing element whose opening tag starts `text` right after its `<`.
fn swallowing_tag(text: &str) -> Option<&'static str> {
    SWALLOWING.into_iter().find(|name| {
        text.len() >= name.len()
            && text.as_bytes()[..name.len()].eq_ignore_ascii_case(name.as_bytes())
            && text[name.len()..]
                .chars()
                .next()
                .is_none_or(|c| c.is_ascii_whitespace() || c == '>' || c == '/')
    })
}

/// `body` with the `<` of each tag of a swallowing element in raw HTML replaced by
/// [`LITERAL_LT`], so that Markdown reads it as text, and where each was. Parsed again
/// until none is left: taking one out can end an HTML block, which shows the next.
fn without_swallowing_tags(body: &str) -> (std::borrow::Cow<'_, str>, Vec<(usize, String)>) {
    let mut found: Vec<(usize, String)> = Vec::new();
    if !body.contains('<') {
        return (body.into(), found);
    }
    let mut text = std::borrow::Cow::Borrowed(body);
    // The tag at the start of `source`, after its `<`, if it hides what follows: a swallowing
    // element's opening or closing tag, or a comment that is never closed.
    let hiding = |source: &str, comment_closed_after: bool| -> Option<String> {
        let (closing, after) = match source.strip_prefix('/') {
            Some(rest) => (true, rest),
            None => (false, source),
        };
        if let Some(name) = swallowing_tag(after) {
            // A closing tag is shown as written too, beside its opening one.
            let slash = if closing { "/" } else { "" };
            return Some(format!("<{slash}{name}>"));
        }
        (!closing && source.starts_with("!--") && !comment_closed_after).then(|| "<!--".to_string())
    };
    for pass in 0.. {
        let mut more = Vec::new();
        // Where the text's last `-->` ends: a `<!--` after it is never closed.
        let last_close = text.rfind("-->").map_or(0, |i| i + 3);
        if pass == MAX_PASSES {
            // Code spans and tags can take turns hiding one another, one more each pass: past
            // a few passes every such tag outside code is shown as written, in one go.
            let mut code: Vec<std::ops::Range<usize>> = Vec::new();
            let mut in_block = false;
            for (event, range) in Parser::new_ext(&text, options()).into_offset_iter() {
                match event {
                    Event::Start(Tag::CodeBlock(_)) => in_block = true,
                    Event::End(TagEnd::CodeBlock) => in_block = false,
                    Event::Code(_) => code.push(range),
                    Event::Text(_) if in_block => code.push(range),
                    _ => {}
                }
            }
            // Both in the order of the text: one walk through the code.
            let mut code = code.into_iter().peekable();
            for (i, _) in text.match_indices('<') {
                while code.peek().is_some_and(|r| r.end <= i) {
                    code.next();
                }
                if !code.peek().is_some_and(|r| r.contains(&i))
                    && let Some(tag) = hiding(&text[i + 1..], i < last_close)
                {
                    more.push((i, tag));
                }
            }
        } else {
            for (event, range) in Parser::new_ext(&text, options()).into_offset_iter() {
                if !matches!(event, Event::Html(_) | Event::InlineHtml(_)) {
                    continue;
                }
                let source = &text[range.clone()];
                for (i, _) in source.match_indices('<') {
                    if let Some(tag) = hiding(&source[i + 1..], range.start + i < last_close) {
                        more.push((range.start + i, tag));
                    }
                }
            }
        }
        if more.is_empty() {
            break;
        }
        let bytes = text.to_mut();
        for (at, _) in &more {
            bytes.replace_range(*at..*at + 1, "\u{1}");
        }
        found.extend(more);
        if pass == MAX_PASSES {
            break;
        }
    }
    found.sort();
    (text, found)
}

/// How many times a note is parsed to find the tags that hide text, before the last pass
/// takes every such tag outside code at once.
const MAX_PASSES: usize = 8;

/// A file of content/ shown as an image in a note's text.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ShownImage {
    /// Its path under content/.
    pub content: String,
    /// For an image resized for the web, the fingerprint of the copies the text shows.
    pub stamp: Option<u64>,
    /// Its alt text.
    pub alt: String,
}

/// Where a link or image of a note leads.
#[derive(Debug, Clone, Default)]
pub struct Target {
    /// The URL to write, when it is not the one written in the note.
    pub url: Option<String>,
    /// The file of the site it names, if any (for an image's width and height).
    pub file: Option<PathBuf>,
    /// The loose file of content/ it names (its path under content/), if any.
    pub loose: Option<String>,
    /// Set when what it names is not published yet: when it will be (`content/x.md is
    /// published at …`). A link is then published as its words alone; an image is an error.
    pub held: Option<String>,
    /// The path under the site root a site path (`/en/about/#team`) names: `en/about/`.
    pub site_path: Option<String>,
    /// The file of content/ it names, beside a note or loose (its path under content/).
    pub content: Option<String>,
    /// For an image resized for the web: its sizes and the URLs of its copies.
    pub sizes: Option<Sizes>,
}

/// An image resized for the web, as its `<img>` offers it.
#[derive(Debug, Clone, Default)]
pub struct Sizes {
    /// As displayed, in pixels.
    pub width: u32,
    pub height: u32,
    /// The resized copies in the original's format, `(URL, width)`, narrowest first; empty
    /// when the image is small enough as it is.
    pub srcset: Vec<(String, u32)>,
    /// The same widths in WebP, when those are smaller.
    pub webp: Vec<(String, u32)>,
    /// A fingerprint of the files, to tell whether a note rendered before shows them as they
    /// are now.
    pub stamp: u64,
}

/// How wide an image in a note's text is shown, for the browser to choose a copy before it
/// lays out the page: the text column of the default theme, or the screen less its margins.
const IMAGE_SIZES: &str = "(min-width: 42rem) 40rem, calc(100vw - 2rem)";

/// A link the resolver could not follow: byte offset in the body, message, help.
#[derive(Debug, Clone)]
pub struct LinkError {
    pub offset: usize,
    pub message: String,
    pub help: String,
}

/// The Markdown extensions notes are written with.
pub fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_SMART_PUNCTUATION
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// Renders `body`. `resolve` says where a link or image target leads, or why it is broken.
/// Images get their width and height from the file, and `loading="lazy"`.
pub fn render<F>(body: &str, raw_html: RawHtml, resolve: F) -> Result<Rendered, Vec<LinkError>>
where
    F: FnMut(&str, UrlUse) -> Result<Target, (String, String)>,
{
    let (body, swallowing_tags) = match raw_html {
        RawHtml::Sanitize => without_swallowing_tags(body),
        RawHtml::Allow => (body.into(), Vec::new()),
    };
    let body = body.as_ref();
    let mut reader = Reader::new(resolve, body.len());
    for (event, range) in Parser::new_ext(body, options()).into_offset_iter() {
        if let Some(event) = reader.translate(event, range.start) {
            reader.keep(event);
        }
    }
    reader.finish(raw_html, swallowing_tags, body.len())
}

/// A walk through a note's events: what it rewrote, and what it gathered so far.
struct Reader<'a, F> {
    resolve: F,
    /// The events to write, images already made tags.
    events: Vec<Event<'a>>,
    errors: Vec<LinkError>,
    /// The loose files of content/ the note links to, as the resolver names them.
    loose_links: Vec<String>,
    site_links: Vec<(usize, String)>,
    held_links: Vec<(usize, String)>,
    images: Vec<ShownImage>,
    images_without_alt: Vec<usize>,
    /// An open image: its index in `events`, where it leads, and where it starts in the body.
    image: Option<(usize, Option<Target>, usize)>,
    /// Inside a link published as its words alone.
    unlinked: bool,
    has_raw_html: bool,
    ids: HeadingIds,
    /// The index in `events` of an open heading.
    heading: Option<usize>,
    teaser: Teaser,
    text: String,
}

impl<'a, F> Reader<'a, F>
where
    F: FnMut(&str, UrlUse) -> Result<Target, (String, String)>,
{
    fn new(resolve: F, body_len: usize) -> Self {
        Reader {
            resolve,
            events: Vec::new(),
            errors: Vec::new(),
            loose_links: Vec::new(),
            site_links: Vec::new(),
            held_links: Vec::new(),
            images: Vec::new(),
            images_without_alt: Vec::new(),
            image: None,
            unlinked: false,
            has_raw_html: false,
            ids: HeadingIds::default(),
            heading: None,
            teaser: Teaser::default(),
            text: String::with_capacity(body_len),
        }
    }

    /// Where `dest`, written at `offset` in the body, leads, noting what it names.
    fn rewrite(
        &mut self,
        dest: CowStr<'a>,
        usage: UrlUse,
        offset: usize,
    ) -> (CowStr<'a>, Option<Target>, Option<String>) {
        let Reader {
            resolve,
            loose_links,
            site_links,
            errors,
            ..
        } = self;
        let mut resolve = |dest: &str, offset: usize, usage: UrlUse| {
            let target = resolve(dest, usage)?;
            loose_links.extend(target.loose.clone());
            if let Some(path) = &target.site_path {
                site_links.push((offset, path.clone()));
            }
            Ok(target)
        };
        rewrite(dest, usage, offset, &mut resolve, errors)
    }

    /// The event as it is written, links and images leading where they resolve; `None` for
    /// what is not written (the ends of links published as their words alone).
    fn translate(&mut self, event: Event<'a>, offset: usize) -> Option<Event<'a>> {
        Some(match event {
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let (dest_url, _, held) = self.rewrite(dest_url, UrlUse::Link, offset);
                if let Some(message) = held {
                    self.held_links.push((offset, message));
                    self.unlinked = true;
                    return None;
                }
                Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                })
            }
            Event::End(TagEnd::Link) if self.unlinked => {
                self.unlinked = false;
                return None;
            }
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let (dest_url, target, _) = self.rewrite(dest_url, UrlUse::Image, offset);
                if let Some(t) = &target
                    && let Some(content) = &t.content
                {
                    self.images.push(ShownImage {
                        content: content.clone(),
                        stamp: t.sizes.as_ref().map(|s| s.stamp),
                        alt: String::new(),
                    });
                }
                self.image = Some((self.events.len(), target, offset));
                Event::Start(Tag::Image {
                    link_type,
                    dest_url,
                    title,
                    id,
                })
            }
            event @ (Event::Html(_) | Event::InlineHtml(_)) => {
                self.has_raw_html = true;
                event
            }
            // Only an id and classes come from Markdown: `{onclick=…}` after a heading is dropped.
            Event::Start(Tag::Heading {
                level,
                id,
                classes,
                attrs: _,
            }) => Event::Start(Tag::Heading {
                level,
                id,
                classes,
                attrs: Vec::new(),
            }),
            other => other,
        })
    }

    /// Takes a written event into the text, the teaser and the events; a heading gets its id
    /// and an image becomes its tag once they end.
    fn keep(&mut self, event: Event<'a>) {
        self.teaser.see(&event, self.image.is_some());
        plain_text(&mut self.text, &event, self.image.is_some());
        match event {
            Event::Start(Tag::Heading { .. }) => {
                self.heading = Some(self.events.len());
                self.events.push(event);
            }
            Event::End(TagEnd::Heading(level)) => {
                if let Some(start) = self.heading.take() {
                    set_heading_id(&mut self.events, start, level, &mut self.ids);
                }
                self.events.push(Event::End(TagEnd::Heading(level)));
            }
            Event::End(TagEnd::Image) => {
                if let Some((start, target, offset)) = self.image.take() {
                    self.close_image(start, target, offset);
                }
            }
            other => self.events.push(other),
        }
    }

    /// Replaces the events of the image that starts at `start` with its `<img>` tag.
    fn close_image(&mut self, start: usize, target: Option<Target>, offset: usize) {
        let (tag, alt) = image_tag(&self.events[start..], target.as_ref());
        if alt.trim().is_empty() {
            self.images_without_alt.push(offset);
        }
        if let Some(shown) = self
            .images
            .last_mut()
            .filter(|_| target.as_ref().is_some_and(|t| t.content.is_some()))
        {
            shown.alt = alt.replace(LITERAL_LT, "<");
        }
        self.events.truncate(start);
        self.events.push(Event::InlineHtml(CowStr::from(tag)));
    }

    /// The note as HTML and text, or every link that could not be followed.
    fn finish(
        self,
        raw_html: RawHtml,
        swallowing_tags: Vec<(usize, String)>,
        body_len: usize,
    ) -> Result<Rendered, Vec<LinkError>> {
        if !self.errors.is_empty() {
            return Err(self.errors);
        }
        let mut out = String::with_capacity(body_len * 3 / 2);
        html::push_html(&mut out, self.events.into_iter());
        let mut text = self.text;
        let mut teaser = self.teaser;
        // Raw HTML may open an element in one block and close it in another: the note is
        // sanitised whole. Without it, every tag is pulldown-cmark's own or the image tag
        // above, every text and attribute is escaped by them, and every URL passed
        // [`safety::check_url`]: there is nothing for the sanitiser to take out.
        if !swallowing_tags.is_empty() {
            out = out.replace(LITERAL_LT, "&lt;");
            text = text.replace(LITERAL_LT, "<");
            teaser.first_paragraph = teaser.first_paragraph.replace(LITERAL_LT, "<");
        }
        if raw_html == RawHtml::Sanitize && self.has_raw_html {
            out = sanitizer().clean(&out).to_string();
        }
        let text = text.trim_end().to_string();
        Ok(Rendered {
            html_key: crate::memory::key_of(&[out.as_bytes()]),
            html: out,
            text_key: crate::memory::key_of(&[text.as_bytes()]),
            text,
            outline: false,
            first_paragraph: teaser.summary(),
            swallowing_tags,
            images_without_alt: self.images_without_alt,
            loose_links: self.loose_links,
            held_links: self.held_links,
            site_links: self.site_links,
            images: self.images,
            feed_html: None,
        })
    }
}

/// The first paragraph of a note as it is read, for the summary of listings and feeds: at
/// the top level (not in a list, quote, footnote or table), without the alt text of images.
#[derive(Default)]
struct Teaser {
    state: Summary,
    /// Nesting of lists, quotes, footnotes and tables.
    depth: usize,
    first_paragraph: String,
    /// Whether the first paragraph was longer than what was kept of it.
    cut: bool,
}

impl Teaser {
    fn see(&mut self, event: &Event, in_image: bool) {
        match event {
            Event::Start(
                Tag::List(_) | Tag::BlockQuote(_) | Tag::FootnoteDefinition(_) | Tag::Table(_),
            ) => self.depth += 1,
            Event::End(
                TagEnd::List(_)
                | TagEnd::BlockQuote(_)
                | TagEnd::FootnoteDefinition
                | TagEnd::Table,
            ) => self.depth = self.depth.saturating_sub(1),
            Event::Start(Tag::Paragraph) if self.depth == 0 && self.state == Summary::Waiting => {
                self.state = Summary::Reading
            }
            Event::End(TagEnd::Paragraph) if self.state == Summary::Reading => {
                self.state = Summary::Done
            }
            // Enough of the paragraph for the teaser, whatever its length.
            Event::Text(t) | Event::Code(t) if self.state == Summary::Reading && !in_image => {
                let room = TEASER_BYTES.saturating_sub(self.first_paragraph.len());
                let end = t.floor_char_boundary(room.min(t.len()));
                self.first_paragraph.push_str(&t[..end]);
                self.cut |= end < t.len();
            }
            Event::SoftBreak | Event::HardBreak if self.state == Summary::Reading => {
                self.first_paragraph.push(' ')
            }
            _ => {}
        }
    }

    fn summary(&self) -> String {
        teaser(&self.first_paragraph, self.cut)
    }
}

/// The words of an event into a note's plain text (for search and feeds): a line a block.
fn plain_text(text: &mut String, event: &Event, in_image: bool) {
    match event {
        Event::Text(t) | Event::Code(t) if !in_image => text.push_str(t),
        Event::SoftBreak | Event::HardBreak => text.push(' '),
        Event::End(
            TagEnd::Paragraph
            | TagEnd::Heading(_)
            | TagEnd::Item
            | TagEnd::TableCell
            | TagEnd::CodeBlock
            | TagEnd::FootnoteDefinition,
        ) => text.push('\n'),
        _ => {}
    }
}

/// The longest summary taken from a note's first paragraph, in characters.
const TEASER_CHARS: usize = 1_000;

/// How much of a first paragraph is read for the teaser, in bytes: room for
/// [`TEASER_CHARS`] characters of any script, and spaces to fold.
const TEASER_BYTES: usize = TEASER_CHARS * 8;

/// A first paragraph as a summary: whitespace folded, and cut at a word after
/// [`TEASER_CHARS`] characters with `…` (a summary is repeated on every listing of the note);
/// `truncated` when only the beginning of the paragraph was kept.
fn teaser(paragraph: &str, truncated: bool) -> String {
    let mut folded = String::with_capacity(paragraph.len().min(TEASER_BYTES));
    for word in paragraph.split_whitespace() {
        if !folded.is_empty() {
            folded.push(' ');
        }
        folded.push_str(word);
    }
    let Some((cut, _)) = folded.char_indices().nth(TEASER_CHARS) else {
        if truncated {
            folded.push('…');
        }
        return folded;
    };
    let head = &folded[..cut];
    // Back to the last space, unless that throws away much (Chinese has none).
    let head = match head.rfind(' ') {
        Some(space) if cut - space < 200 => &head[..space],
        _ => head,
    };
    format!("{}…", head.trim_end_matches([',', ';', ':', ' ']))
}

/// An `<img>` for the events of an image (its start and its alt text), with the width and
/// height of `file` when they can be read, and lazy loading. Attributes are escaped by
/// pulldown-cmark's escaping functions. Also gives the alt text.
fn image_tag(events: &[Event], target: Option<&Target>) -> (String, String) {
    let Some(Event::Start(Tag::Image {
        dest_url, title, ..
    })) = events.first()
    else {
        return (String::new(), String::new());
    };
    let alt: String = events[1..]
        .iter()
        .filter_map(|e| match e {
            Event::Text(t) | Event::Code(t) => Some(t.as_ref()),
            _ => None,
        })
        .collect();
    let sizes = target.and_then(|t| t.sizes.as_ref());
    let mut out = String::new();
    let srcset = |out: &mut String, set: &[(String, u32)]| {
        for (n, (url, width)) in set.iter().enumerate() {
            if n > 0 {
                out.push_str(", ");
            }
            let _ = escape_href(&mut *out, url);
            out.push_str(&format!(" {width}w"));
        }
    };
    if let Some(s) = sizes.filter(|s| !s.webp.is_empty()) {
        out.push_str("<picture><source type=\"image/webp\" srcset=\"");
        srcset(&mut out, &s.webp);
        out.push_str(&format!("\" sizes=\"{IMAGE_SIZES}\">"));
    }
    out.push_str("<img src=\"");
    // The largest resized copy, for browsers that do not read srcset.
    match sizes.and_then(|s| s.srcset.last()) {
        Some((url, _)) => {
            let _ = escape_href(&mut out, url);
        }
        None => {
            let _ = escape_href(&mut out, dest_url);
        }
    }
    if let Some(s) = sizes.filter(|s| !s.srcset.is_empty()) {
        out.push_str("\" srcset=\"");
        srcset(&mut out, &s.srcset);
        out.push_str(&format!("\" sizes=\"{IMAGE_SIZES}"));
    }
    out.push_str("\" alt=\"");
    let _ = escape_html(&mut out, &alt);
    out.push('"');
    if !title.is_empty() {
        out.push_str(" title=\"");
        let _ = escape_html(&mut out, title);
        out.push('"');
    }
    let size = match sizes {
        Some(s) => Some((s.width as usize, s.height as usize)),
        None => target
            .and_then(|t| t.file.as_ref())
            .and_then(|f| imagesize::size(f).ok())
            .map(|s| (s.width, s.height)),
    };
    if let Some((width, height)) = size {
        out.push_str(&format!(" width=\"{width}\" height=\"{height}\""));
    }
    out.push_str(" loading=\"lazy\" decoding=\"async\">");
    if sizes.is_some_and(|s| !s.webp.is_empty()) {
        out.push_str("</picture>");
    }
    (out, alt)
}

/// The sanitiser every note's HTML passes through: what Markdown itself produces is kept
/// (heading ids, footnotes, image sizes, table alignment); scripts, event handlers, iframes,
/// forms and styles are removed, and every URL passes [`safety::check_url`].
fn sanitizer() -> &'static ammonia::Builder<'static> {
    static SANITIZER: std::sync::LazyLock<ammonia::Builder<'static>> =
        std::sync::LazyLock::new(|| {
            let mut b = ammonia::Builder::default();
            b.url_schemes(["http", "https", "mailto", "tel", "data"].into())
                .attribute_filter(|element, attribute, value| {
                    let usage = match (element, attribute) {
                        ("img" | "source", "srcset") => {
                            // Each candidate: a URL, then a width.
                            let fine = value.split(',').all(|candidate| {
                                let url = candidate.split_whitespace().next().unwrap_or("");
                                safety::check_url(url, UrlUse::Image).is_ok()
                            });
                            return fine.then(|| value.into());
                        }
                        ("img", "src") => UrlUse::Image,
                        (_, "href" | "src" | "cite" | "action" | "formaction" | "poster") => {
                            UrlUse::Link
                        }
                        _ => return Some(value.into()),
                    };
                    safety::check_url(value, usage).ok().map(|()| value.into())
                })
                .link_rel(None)
                .add_generic_attributes(["id", "class"])
                .add_tags(["picture", "source"])
                .add_tag_attributes(
                    "img",
                    ["width", "height", "loading", "decoding", "srcset", "sizes"],
                )
                .add_tag_attributes("source", ["type", "srcset", "sizes"])
                .add_tag_attributes("th", ["style"])
                .add_tag_attributes("td", ["style"])
                .filter_style_properties(["text-align"].into_iter().collect());
            b
        });
    &SANITIZER
}

#[derive(PartialEq, Eq, Default)]
enum Summary {
    #[default]
    Waiting,
    Reading,
    Done,
}

/// Where a link or image leads: the resolver's URL, or the one written when its scheme is
/// allowed (see [`safety::check_url`]).
fn rewrite<'a, F>(
    dest: CowStr<'a>,
    usage: UrlUse,
    offset: usize,
    resolve: &mut F,
    errors: &mut Vec<LinkError>,
) -> (CowStr<'a>, Option<Target>, Option<String>)
where
    F: FnMut(&str, usize, UrlUse) -> Result<Target, (String, String)>,
{
    if let Err(message) = safety::check_url(&dest, usage) {
        errors.push(LinkError {
            offset,
            message: format!("{message}: `{}`", safety::shorten(&dest, 60)),
            help: safety::URL_HELP.to_string(),
        });
        return (CowStr::from(""), None, None);
    }
    match resolve(&dest, offset, usage) {
        // Not published yet: a link keeps its words, an image cannot be shown.
        Ok(Target {
            held: Some(when), ..
        }) => {
            let shown = safety::shorten(&dest, 60);
            match usage {
                UrlUse::Link => (
                    dest,
                    None,
                    Some(format!("the link `{shown}` becomes a link when {when}")),
                ),
                UrlUse::Image => {
                    errors.push(LinkError {
                        offset,
                        message: format!(
                            "the image `{shown}` belongs to a note that is not published yet: it can be shown when {when}"
                        ),
                        help: "publish that note first, or put a copy of the image beside this note"
                            .to_string(),
                    });
                    (dest, None, None)
                }
            }
        }
        Ok(mut target) => match target.url.take() {
            Some(url) => (CowStr::from(url), Some(target), None),
            None => (dest, Some(target), None),
        },
        Err((message, help)) => {
            errors.push(LinkError {
                offset,
                message,
                help,
            });
            (dest, None, None)
        }
    }
}

/// The heading ids of a note so far, and per id the next number to try for a heading with
/// the same text, so that many equal headings take linear time.
struct HeadingIds {
    taken: HashSet<String>,
    next: HashMap<String, usize>,
}

/// The ids the theme gives elements of its own on a note's page: a heading of the note
/// (`## Main`, `## Title {#main}`) never takes one, so that the skip link and the theme's
/// sections still lead where they should.
const THEME_IDS: [&str; 6] = [
    "main",
    "contacts-heading",
    "downloads-heading",
    "search",
    "search-heading",
    "search-query",
];

impl Default for HeadingIds {
    fn default() -> Self {
        HeadingIds {
            taken: THEME_IDS.iter().map(|id| id.to_string()).collect(),
            next: HashMap::new(),
        }
    }
}

/// Gives a heading an id made from its text, unless it has one (`## Title {#id}`).
fn set_heading_id(events: &mut [Event], start: usize, level: HeadingLevel, ids: &mut HeadingIds) {
    let text: String = events[start + 1..]
        .iter()
        .filter_map(|e| match e {
            Event::Text(t) | Event::Code(t) => Some(t.as_ref()),
            _ => None,
        })
        .collect();
    if let Event::Start(Tag::Heading {
        id, classes, attrs, ..
    }) = &events[start]
    {
        let base = match id {
            Some(id) => id.to_string(),
            None => anchor(&text),
        };
        let mut unique = base.clone();
        if !ids.taken.insert(unique.clone()) {
            // The next number to try for this base: each heading starts where the last stopped.
            let n = ids.next.entry(base.clone()).or_insert(1);
            loop {
                unique = format!("{base}-{n}");
                *n += 1;
                if ids.taken.insert(unique.clone()) {
                    break;
                }
            }
        }
        events[start] = Event::Start(Tag::Heading {
            level,
            id: Some(CowStr::from(unique)),
            classes: classes.clone(),
            attrs: attrs.clone(),
        });
    }
}

/// An anchor from heading text: `Key outcomes` → `key-outcomes`, `主要成果` → `主要成果`.
pub fn anchor(text: &str) -> String {
    let out = url_form(text);
    if out.is_empty() {
        "section".to_string()
    } else {
        out
    }
}

/// Text as a URL segment: lowercase letters and digits of any script, other runs → `-`.
/// Empty when the text has no letters or digits.
pub fn url_form(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

/// Whether a link target points into the site's own files (not a URL, a fragment or a site path).
pub fn is_relative_file(dest: &str) -> bool {
    !(dest.is_empty()
        || dest.starts_with('#')
        || dest.starts_with('/')
        || dest.starts_with('?')
        || dest.contains("://")
        || dest.split_once(':').is_some_and(|(scheme, _)| {
            !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn md(text: &str) -> Rendered {
        render(text, RawHtml::Sanitize, |_, _| Ok(Target::default())).unwrap()
    }

    #[test]
    fn features() {
        let r = md(
            "## Key outcomes\n\n## 主要成果\n\n## Key outcomes\n\n| a |\n|---|\n| b |\n\n~~x~~ \"q\"[^1]\n\n[^1]: note\n",
        );
        assert!(r.html.contains(r#"<h2 id="key-outcomes">"#), "{}", r.html);
        assert!(r.html.contains(r#"<h2 id="主要成果">"#));
        assert!(r.html.contains(r#"<h2 id="key-outcomes-1">"#));
        assert!(r.html.contains("<table>"));
        assert!(r.html.contains("<del>x</del>"));
        assert!(r.html.contains("“q”"));
        assert!(r.html.contains("footnote-definition"));
    }

    #[test]
    fn a_long_first_paragraph_is_cut_at_a_word() {
        let long = "word ".repeat(400);
        let t = teaser(&long, false);
        assert!(t.ends_with("word…"), "{t}");
        assert!(t.chars().count() <= TEASER_CHARS + 1);
        let chinese = "人口贩运".repeat(400);
        assert_eq!(teaser(&chinese, false).chars().count(), TEASER_CHARS + 1);
        assert_eq!(teaser("Short  one.", false), "Short one.");
        assert_eq!(teaser("Kept part", true), "Kept part…");
        let spaced = render(
            &format!("a{}b", " ".repeat(20_000)),
            RawHtml::Sanitize,
            |_, _| Ok(Target::default()),
        )
        .unwrap();
        assert_eq!(spaced.first_paragraph, "a…");
    }

    #[test]
    fn summary_is_first_top_level_paragraph() {
        let r = md("- list\n\n> quote\n\nFirst *para*graph,\n`two` lines.\n\nSecond.");
        assert_eq!(r.first_paragraph, "First paragraph, two lines.");
    }

    #[test]
    fn raw_html_is_sanitised() {
        let r = md(concat!(
            "<script>alert(1)</script>\n\n",
            "Hi <b onclick=\"steal()\">bold</b> <a href=\"javascript:alert(1)\">x</a>\n\n",
            "<iframe src=\"https://example.org\"></iframe>\n\n",
            "<p style=\"color:red\">styled</p>\n\n",
            "| a |\n|--:|\n| 1 |\n\n## Title\n\n[^1]\n\n[^1]: note\n"
        ));
        for gone in ["<script", "onclick", "javascript:", "<iframe", "color:red"] {
            assert!(!r.html.contains(gone), "{gone} in {}", r.html);
        }
        // Tags that would hide the rest of the note are published as written, as text.
        assert!(
            r.html
                .contains("<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"),
            "{}",
            r.html
        );
        assert_eq!(
            r.swallowing_tags,
            [
                (0, "<script>".to_string()),
                (16, "</script>".to_string()),
                (97, "<iframe>".to_string()),
                (131, "</iframe>".to_string())
            ]
        );
        assert!(r.html.contains("<b>bold</b>"), "{}", r.html);
        assert!(r.html.contains(r#"<h2 id="title">"#), "{}", r.html);
        assert!(r.html.contains(r#"style="text-align:right""#), "{}", r.html);
        assert!(r.html.contains("footnote-definition"), "{}", r.html);
        let allowed = render("<b onclick=\"x()\">b</b>", RawHtml::Allow, |_, _| {
            Ok(Target::default())
        })
        .unwrap();
        assert!(
            allowed.html.contains("onclick"),
            "allow keeps raw HTML as written"
        );
    }

    #[test]
    fn headings_never_take_the_themes_ids() {
        let r = md("## Main\n\n## Title {#main}\n\n## Contacts heading\n\n## Main\n");
        for id in ["main-1", "main-2", "contacts-heading-1", "main-3"] {
            assert!(r.html.contains(&format!("id=\"{id}\"")), "{id}: {}", r.html);
        }
        assert!(!r.html.contains("id=\"main\""), "{}", r.html);
        assert!(!r.html.contains("id=\"contacts-heading\""), "{}", r.html);
        // Every id the default theme writes is kept from headings.
        let templates =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default/templates");
        for entry in walkdir::WalkDir::new(templates) {
            let entry = entry.unwrap();
            if !entry.file_type().is_file() {
                continue;
            }
            let text = std::fs::read_to_string(entry.path()).unwrap();
            for part in text.split(" id=\"").skip(1) {
                let id = part.split('"').next().unwrap();
                if !id.contains('{') {
                    assert!(
                        THEME_IDS.contains(&id),
                        "{id} in {}",
                        entry.path().display()
                    );
                }
            }
        }
    }

    #[test]
    fn a_tag_name_in_the_text_hides_nothing_after_it() {
        for tag in SWALLOWING {
            let r = md(&format!(
                "Do not bring a <{tag}> to the *briefing*.\n\nThe rest of the note.\n\n<{tag}>\n\nLast words.\n"
            ));
            assert!(
                r.html.contains("The rest of the note."),
                "{tag}: {}",
                r.html
            );
            assert!(r.html.contains("Last words."), "{tag}: {}", r.html);
            assert!(
                r.html.contains(&format!(
                    "Do not bring a &lt;{tag}&gt; to the <em>briefing</em>."
                )),
                "{tag}: {}",
                r.html
            );
            assert!(!r.html.contains(&format!("<{tag}")), "{tag}: {}", r.html);
            assert!(r.text.contains(&format!("<{tag}>")), "{tag}: {}", r.text);
            assert_eq!(r.swallowing_tags.len(), 2, "{tag}");
        }
        // In code, a tag is text already: nothing to report.
        let r = md("Write `<script>` like this.\n\n```\n<textarea>\n```\n");
        assert!(r.swallowing_tags.is_empty());
        assert!(r.html.contains("<code>&lt;script&gt;</code>"), "{}", r.html);
        // A comment never closed would hide the rest too; one closed is a comment.
        let r = md("Before.\n\n<!-- a note to self\n\nThe rest.\n");
        assert!(r.html.contains("The rest."), "{}", r.html);
        assert_eq!(r.swallowing_tags, [(9, "<!--".to_string())]);
        let r = md("Before <!-- hidden --> after.\n");
        assert!(!r.html.contains("hidden"), "{}", r.html);
        assert!(r.swallowing_tags.is_empty());
        // Tags and code spans that take turns hiding each other end in a few passes.
        let tangle = "x <script a='`'>`".repeat(2000);
        let r = md(&tangle);
        assert!(!r.html.contains("<script"));
    }

    #[test]
    fn relative_files() {
        assert!(is_relative_file("../x.en.md"));
        assert!(is_relative_file("photo.jpg"));
        for abs in ["https://x", "mailto:a@b", "#top", "/en/", "tel:+1"] {
            assert!(!is_relative_file(abs), "{abs}");
        }
    }
}
