//! The search index: the words of every published briefing, per language, in small JSON files
//! under `<lang>/search/` that the theme's `search.js` fetches as a query needs them; the
//! same files answer `briefing search` ([`query`]), by the same rules.
//!
//! Words are runs of letters, marks and digits, lowercased, with full-width letters and digits
//! read as their usual forms (`２０１５` is `2015`). Chinese and Japanese text, written without
//! spaces, is indexed as overlapping pairs of characters (`边境管理`: `边境`, `境管`, `管理`), as
//! Lucene's CJK analysers do, so that any text of two characters or more that a note contains
//! is found, however a dictionary would have cut it into words; the last character of a run
//! is indexed alone too, so that a single character is found wherever it is. In a language
//! with a Snowball stemmer (`rust-stemmers`), words with one stem form a group, so
//! `trafficking` also finds `traffickers`. Each group lists the briefings it occurs in with a
//! weighted count (a word of the title counts five times) and the briefings with it in their
//! title; the year of each briefing is one of its words.
//!
//! The files, for a language with `N` indexed briefings:
//! - `meta.json`: `{version, language, stamp, pages, buckets, chunk, lengths}`; `lengths`
//!   holds the weighted word count of each briefing, by id; `stamp` is a hash of the other
//!   files, added to their addresses (`words-3.json?v=<stamp>`).
//! - `words-<b>.json` for `b < buckets`: the groups with a word in bucket `b` (see [`bucket`]),
//!   each `[[word, …], [id, count, id, count, …], stem, [id, …]]`: its words, the briefings
//!   with their counts, the stem (empty in a language without a stemmer, and for Chinese),
//!   and the briefings with it in their title. Ids in both lists are written as the
//!   difference from the id before them, which keeps the files small.
//! - `t2s.json`: `{traditional: simplified}` for the Chinese characters the index holds (from
//!   OpenCC's table), so that 人口販運 finds 人口贩运; only when the index holds Chinese.
//! - `filters.json`: `{years, filters: [{name, values: [[key, name], …], of}]}`: the year of
//!   each briefing, and for the project, the funder and the tag, the values (their keys, for
//!   the page's address, and names) and each briefing's values, by id.
//! - `pages-<k>.json`: briefings `k·chunk` to `k·chunk + chunk − 1`, each
//!   `{url, title, date, datetime, text}`, for the results and their excerpts.
//!
//! Ids number the briefings oldest first, so ids stay as they are when a briefing is added.
//! Since the output folder keeps files whose bytes are unchanged, an edit that changes a few
//! words rewrites `meta.json`, the briefing's `pages-<k>.json` and the buckets of those words.

pub mod query;

use rustc_hash::FxHashMap;
use std::time::Instant;

use rayon::prelude::*;
use rust_stemmers::Stemmer;
use serde::{Deserialize, Serialize};

use crate::content::Section;
use crate::error::Diagnostic;
use crate::output::{Body, OutputFile};
use crate::site::Site;

/// What building the search index took.
#[derive(Debug)]
pub struct SearchReport {
    pub took: std::time::Duration,
    /// The briefings indexed, in all languages.
    pub pages: usize,
}

/// The version of the index's files, which `search.js` checks.
pub const INDEX_VERSION: u32 = 3;

/// Briefings per `pages-<k>.json` file: one, so that showing ten results fetches the texts of
/// those ten only (a tenth of the bytes that files of ten briefings each made it fetch).
const CHUNK: usize = 1;

/// Briefings whose words are counted together, apart from the others (in parallel), before
/// they join the index: a run's grouping holds each word of its briefings once.
const RUN: usize = 128;

/// Runs counted at a time, so that only that many runs' groupings are held apart.
const RUNS_AT_ONCE: usize = 16;

/// About how many bytes a `words-<b>.json` file holds: the count of buckets follows from it.
const BUCKET_BYTES: usize = 32 * 1024;

/// The most buckets a language's index has.
const MAX_BUCKETS: usize = 4096;

/// How many times a word counts, by the field it is in.
const TITLE: u32 = 5;
const SUBTITLE: u32 = 3;
const LABEL: u32 = 2;
const BODY: u32 = 1;

/// Whether a note goes into the index: a published briefing, neither a draft nor under embargo.
pub fn indexed(site: &Site, i: usize) -> bool {
    let n = &site.notes[i];
    n.section == Section::Briefings
        && site.is_published(i)
        && !n.draft
        && site.embargo(i).is_none_or(|e| e.timestamp <= site.now)
}

/// What building the index made.
pub struct Indexed {
    pub report: SearchReport,
}

/// Where the index's files go, a few megabytes at a time, from any thread.
pub type Writer<'a> = dyn Fn(&[OutputFile]) -> Result<(), Diagnostic> + Sync + 'a;

/// About how many bytes of files are handed to the writer at once.
const WRITE_BYTES: usize = 4 << 20;

/// Builds the index of each language of `languages` (the plan's) from the site's notes and
/// their rendered bodies, and hands its files to `write` as they are made, so they are never
/// all held at once.
pub fn index(site: &Site, languages: &[usize], write: &Writer) -> Result<Indexed, Diagnostic> {
    let started = Instant::now();
    let indexed: Vec<usize> = languages
        .par_iter()
        .map(|&l| language_index(site, &site.config.languages[l].code, write))
        .collect::<Result<_, _>>()?;
    Ok(Indexed {
        report: SearchReport {
            took: started.elapsed(),
            pages: indexed.iter().sum(),
        },
    })
}

/// Files on their way to the writer: handed over once they add up to [`WRITE_BYTES`], and
/// hashed as they come for the stamp of `meta.json`.
struct Outbox<'a> {
    write: &'a Writer<'a>,
    files: Vec<OutputFile>,
    bytes: usize,
    hash: std::hash::DefaultHasher,
}

impl<'a> Outbox<'a> {
    fn new(write: &'a Writer<'a>) -> Self {
        Outbox {
            write,
            files: Vec::new(),
            bytes: 0,
            hash: Default::default(),
        }
    }

    fn push(&mut self, path: String, value: &impl Serialize) -> Result<(), Diagnostic> {
        use std::hash::Hasher;
        let bytes = serde_json::to_vec(value).map_err(fail)?;
        self.hash.write(&bytes);
        self.bytes += bytes.len();
        self.files.push(OutputFile {
            path,
            body: Body::Bytes(bytes),
            from: None,
            key: None,
        });
        if self.bytes >= WRITE_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), Diagnostic> {
        (self.write)(&self.files)?;
        self.files.clear();
        self.bytes = 0;
        Ok(())
    }

    /// A hash of every file pushed so far.
    fn stamp(&self) -> String {
        use std::hash::Hasher;
        format!("{:016x}", self.hash.finish())
    }
}

/// A group of words with one stem, and the briefings it occurs in.
struct Group {
    words: Vec<String>,
    /// The stem, in a language with a stemmer; empty otherwise.
    stem: String,
    /// (id, weighted count), by id.
    postings: Vec<u32>,
    /// The ids of the briefings with a word of the group in their title, in order.
    titles: Vec<u32>,
}

/// A group as `words-<b>.json` holds it: `[[word, …], [id, count, …], stem, [id, …]]`,
/// each id the difference from the one before it.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Entry(pub Vec<String>, pub Vec<u32>, pub String, pub Vec<u32>);

impl Entry {
    fn of(group: Group) -> Entry {
        let Group {
            words,
            stem,
            mut postings,
            mut titles,
        } = group;
        let mut last = 0;
        for pair in postings.chunks_mut(2) {
            (pair[0], last) = (pair[0] - last, pair[0]);
        }
        let mut last = 0;
        for id in &mut titles {
            (*id, last) = (*id - last, *id);
        }
        Entry(words, postings, stem, titles)
    }

    /// The group's (id, count) pairs, ids as they are.
    pub fn postings(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.1.chunks(2).scan(0, |id, pair| {
            *id += pair[0];
            Some((*id, pair.get(1).copied().unwrap_or(0)))
        })
    }

    /// The ids of the briefings with the group in their title.
    pub fn titles(&self) -> impl Iterator<Item = u32> + '_ {
        self.3.iter().scan(0, |id, gap| {
            *id += gap;
            Some(*id)
        })
    }
}

#[derive(Serialize, Deserialize)]
pub struct Meta {
    pub version: u32,
    pub language: String,
    /// A hash of the other files, which `search.js` adds to their addresses so that a browser
    /// never mixes files of two builds from its cache.
    pub stamp: String,
    pub pages: usize,
    pub buckets: usize,
    pub chunk: usize,
    pub lengths: Vec<u32>,
    /// Whether `t2s.json` is there: the traditional forms of the Chinese characters the
    /// index holds, for queries typed in traditional characters.
    #[serde(default)]
    pub t2s: bool,
    /// The stemmer the search page applies to the words of a query (`english`), from the
    /// locale table: one that `search.js` carries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_stemmer: Option<String>,
    /// The names of the other files, `{}` standing for a file's number: the search script
    /// knows them from here only. The names are those the index always had, so the version
    /// stays: a site's own copy of an older `search.js` still reads the index.
    #[serde(default = "Names::ours")]
    pub files: Names,
}

/// The names of an index's files beside `meta.json`, as [`crate::urls`] gives them.
#[derive(Serialize, Deserialize)]
pub struct Names {
    pub words: String,
    pub pages: String,
    pub filters: String,
    pub t2s: String,
}

impl Names {
    fn ours() -> Names {
        use crate::urls::{SEARCH_FILTERS, SEARCH_PAGES, SEARCH_T2S, SEARCH_WORDS};
        Names {
            words: SEARCH_WORDS.into(),
            pages: SEARCH_PAGES.into(),
            filters: SEARCH_FILTERS.into(),
            t2s: SEARCH_T2S.into(),
        }
    }
}

#[derive(Serialize, Deserialize)]
pub struct PageRecord {
    pub url: String,
    pub title: String,
    pub date: String,
    pub datetime: String,
    pub text: String,
}

/// The groups of a language's index, or of a run of its briefings, as their words join them.
#[derive(Default)]
struct Grouping {
    groups: Vec<Group>,
    by_word: FxHashMap<String, usize>,
    /// Each group by its key: its stem, or its one word where it has no stem.
    by_key: FxHashMap<String, usize>,
}

impl Grouping {
    /// Counts `count` for `word` in briefing `id`; ids come in increasing order.
    fn add(&mut self, stemmer: Option<&Stemmer>, word: &str, id: u32, count: u32, in_title: bool) {
        let g = match self.by_word.get(word) {
            Some(&g) => g,
            None => {
                let stem = match stemmer {
                    Some(s) if !is_cjk_word(word) => s.stem(word).into_owned(),
                    _ => String::new(),
                };
                let g = self.group_of(stem, word);
                self.join(g, word.to_string());
                g
            }
        };
        let group = &mut self.groups[g];
        let postings = &mut group.postings;
        match postings.len() {
            n if n >= 2 && postings[n - 2] == id => postings[n - 1] += count,
            _ => postings.extend([id, count]),
        }
        if in_title && group.titles.last() != Some(&id) {
            group.titles.push(id);
        }
    }

    /// The group with stem `stem` (or of `word`, without a stem): a new one if there is none.
    fn group_of(&mut self, stem: String, word: &str) -> usize {
        let key = if stem.is_empty() { word } else { &stem };
        if let Some(&g) = self.by_key.get(key) {
            return g;
        }
        self.by_key.insert(key.to_string(), self.groups.len());
        self.groups.push(Group {
            words: Vec::new(),
            stem,
            postings: Vec::new(),
            titles: Vec::new(),
        });
        self.groups.len() - 1
    }

    /// Makes `word`, new here, a word of group `g`.
    fn join(&mut self, g: usize, word: String) {
        self.groups[g].words.push(word.clone());
        self.by_word.insert(word, g);
    }

    /// Adds the grouping of a run of briefings whose ids all follow the ids already here.
    fn absorb(&mut self, run: Grouping) {
        for group in run.groups {
            let g = self.group_of(group.stem, &group.words[0]);
            for word in group.words {
                if !self.by_word.contains_key(&word) {
                    self.join(g, word);
                }
            }
            let into = &mut self.groups[g];
            into.postings.extend(group.postings);
            into.titles.extend(group.titles);
        }
    }
}

/// The word groups of the briefings `notes` (their ids: their places in it), and each one's
/// weighted word count. Runs of briefings are counted in parallel, each into a grouping of
/// its own, and join the index in the order of their ids.
fn group_words(site: &Site, notes: &[usize], stemmer: Option<&Stemmer>) -> (Grouping, Vec<u32>) {
    let mut grouping = Grouping::default();
    let mut lengths: Vec<u32> = Vec::with_capacity(notes.len());
    for (k, runs) in notes.chunks(RUN * RUNS_AT_ONCE).enumerate() {
        let first = k * RUN * RUNS_AT_ONCE;
        let counted: Vec<(Grouping, Vec<u32>)> = runs
            .par_chunks(RUN)
            .enumerate()
            .map(|(r, run)| {
                let mut counts = Grouping::default();
                let lengths = run
                    .iter()
                    .enumerate()
                    .map(|(n, &i)| {
                        let id = (first + r * RUN + n) as u32;
                        count(site, i, |word, weight, in_title| {
                            counts.add(stemmer, word, id, weight, in_title)
                        })
                    })
                    .collect();
                (counts, lengths)
            })
            .collect();
        for (counts, run_lengths) in counted {
            grouping.absorb(counts);
            lengths.extend(run_lengths);
        }
    }
    (grouping, lengths)
}

/// Writes the index files of language `lang`; says how many briefings they hold.
fn language_index(site: &Site, lang: &str, write: &Writer) -> Result<usize, Diagnostic> {
    let mut notes: Vec<usize> = (0..site.notes.len())
        .filter(|&i| site.notes[i].lang == lang && indexed(site, i))
        .collect();
    notes.sort_by(|&a, &b| {
        let (x, y) = (&site.notes[a], &site.notes[b]);
        (x.date.timestamp, x.path()).cmp(&(y.date.timestamp, y.path()))
    });
    let (grouping, lengths) = group_words(site, &notes, stemmer(lang).as_ref());
    let mut groups = grouping.groups;

    let size: usize = groups
        .iter()
        .map(|g| {
            g.words.iter().map(|w| w.len() + 3).sum::<usize>()
                + g.postings.len() * 5
                + g.stem.len()
                + 9
        })
        .sum();
    let buckets = size
        .div_ceil(BUCKET_BYTES)
        .next_power_of_two()
        .min(MAX_BUCKETS);
    for g in &mut groups {
        g.words.sort();
    }
    groups.sort_by(|a, b| a.words.cmp(&b.words));
    // Traditional characters a query may be typed in, for the characters the index holds.
    let held: std::collections::HashSet<char> = groups
        .iter()
        .flat_map(|g| g.words.iter())
        .filter(|w| is_cjk_word(w))
        .flat_map(|w| w.chars())
        .collect();
    let t2s = simplified_of(&held);

    // Each bucket's entries, by their place in `entries`.
    let mut contents: Vec<Vec<usize>> = vec![Vec::new(); buckets];
    for (e, g) in groups.iter().enumerate() {
        let mut seen: Vec<usize> = g.words.iter().map(|w| bucket(w, buckets)).collect();
        seen.sort_unstable();
        seen.dedup();
        for b in seen {
            contents[b].push(e);
        }
    }
    let entries: Vec<Entry> = groups.into_iter().map(Entry::of).collect();

    // The index files are beside the search page.
    let names = Names::ours();
    let file = |name: &str, n: usize| crate::urls::search_file(lang, name, n);
    let mut out = Outbox::new(write);
    if !t2s.is_empty() {
        out.push(file(&names.t2s, 0), &t2s)?;
    }
    for (b, of) in contents.iter().enumerate() {
        let bucket: Vec<&Entry> = of.iter().map(|&e| &entries[e]).collect();
        out.push(file(&names.words, b), &bucket)?;
    }
    drop(contents);
    drop(entries);
    out.push(file(&names.filters, 0), &filters(site, lang, &notes))?;
    for (k, chunk) in notes.chunks(CHUNK).enumerate() {
        let records: Vec<PageRecord> = chunk.iter().map(|&i| record(site, i)).collect();
        out.push(file(&names.pages, k), &records)?;
    }
    let stamp = out.stamp();
    out.push(
        crate::urls::search_meta(lang),
        &Meta {
            version: INDEX_VERSION,
            language: lang.to_string(),
            stamp,
            pages: notes.len(),
            buckets,
            chunk: CHUNK,
            lengths,
            t2s: !t2s.is_empty(),
            query_stemmer: crate::locale::of(lang).query_stemmer.map(String::from),
            files: names,
        },
    )?;
    out.flush()?;
    Ok(notes.len())
}

/// `filters.json`: what the search page filters and counts results by.
#[derive(Serialize)]
struct Filters {
    /// The year of each briefing, by id.
    years: Vec<i16>,
    filters: Vec<Filter>,
}

/// One way to filter: the project, the funder or the tag.
#[derive(Serialize)]
struct Filter {
    name: &'static str,
    /// Each value: its key (for the page's address) and its name in the language.
    values: Vec<(String, String)>,
    /// The values of each briefing, by id: indexes into `values`.
    of: Vec<Vec<u32>>,
}

/// The filters of the briefings `notes` (ids in order) of language `lang`.
fn filters(site: &Site, lang: &str, notes: &[usize]) -> Filters {
    let id_of: FxHashMap<usize, usize> = notes.iter().enumerate().map(|(id, &i)| (i, id)).collect();
    let index = site.languages.get(lang);
    let kinds: [(&'static str, &[crate::site::Term]); 3] = match index {
        Some(index) => [
            ("project", &index.projects),
            ("funder", &index.funders),
            ("tag", &index.tags),
        ],
        None => [("project", &[]), ("funder", &[]), ("tag", &[])],
    };
    let filters = kinds
        .into_iter()
        .map(|(name, terms)| {
            let mut values = Vec::new();
            let mut of = vec![Vec::new(); notes.len()];
            for term in terms {
                let ids: Vec<usize> = term
                    .notes
                    .iter()
                    .filter_map(|i| id_of.get(i).copied())
                    .collect();
                if ids.is_empty() {
                    continue;
                }
                for id in ids {
                    of[id].push(values.len() as u32);
                }
                values.push((term.key.clone(), term.name.clone()));
            }
            Filter { name, values, of }
        })
        .collect();
    Filters {
        years: notes
            .iter()
            .map(|&i| site.notes[i].date.date.year())
            .collect(),
        filters,
    }
}

/// Calls `each` with every word of briefing `i`, the weight of its field and whether the field
/// is the title; says the sum of the weights, the briefing's length.
fn count(site: &Site, i: usize, mut each: impl FnMut(&str, u32, bool)) -> u32 {
    let n = &site.notes[i];
    let mut fields: Vec<(&str, u32)> = vec![(&n.title, TITLE)];
    fields.extend(n.subtitle.as_deref().map(|s| (s, SUBTITLE)));
    fields.extend(n.summary.as_deref().map(|s| (s, LABEL)));
    for entity in [&n.project, &n.funder].into_iter().flatten() {
        fields.push((entity.name(&n.lang), LABEL));
    }
    fields.extend(n.tags.iter().map(|t| (t.as_str(), LABEL)));
    if let Some(event) = &n.event {
        fields.extend(event.locations.iter().map(|p| (p.as_str(), LABEL)));
    }
    fields.extend(n.dateline.as_deref().map(|d| (d, BODY)));
    if let Some(r) = site.body(i) {
        fields.push((&r.text, BODY));
    }
    // The year, as a reader adds it to a query: `trafficking 2015`.
    let year = n.date.date.year().to_string();
    fields.push((&year, LABEL));
    let mut length = 0;
    for (field, (text, weight)) in fields.into_iter().enumerate() {
        // The title is the first field.
        words(&lower(text), |w| {
            each(w, weight, field == 0);
            length += weight;
        });
    }
    length
}

/// What a result shows of briefing `i`.
fn record(site: &Site, i: usize) -> PageRecord {
    let n = &site.notes[i];
    let body = site.body(i).map_or("", |r| r.text.as_str());
    let text = match &n.summary {
        Some(s) => format!("{s}\n{body}"),
        None => body.to_string(),
    };
    PageRecord {
        url: site.config.link(&n.path()),
        title: n.title.clone(),
        date: crate::locale::format_date(n.date.date, &n.lang),
        datetime: n.date.date.to_string(),
        text,
    }
}

/// OpenCC's table of traditional Chinese characters and their simplified forms
/// (`data/dictionary/TSCharacters.txt` of OpenCC 1.4.1, Apache-2.0).
const TS_CHARACTERS: &str = include_str!("TSCharacters.txt");

/// Each traditional character whose simplified form is one of `held`, with that form: `販`
/// → `贩`. Ordered, so that the file it goes into has the same bytes at every build.
fn simplified_of(
    held: &std::collections::HashSet<char>,
) -> std::collections::BTreeMap<String, String> {
    TS_CHARACTERS
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|line| {
            let (key, values) = line.split_once('\t')?;
            let mut key_chars = key.chars();
            let traditional = key_chars.next()?;
            // The first of the simplified forms is the usual one.
            let simplified = values.split(' ').next()?.chars().next()?;
            (key_chars.next().is_none() && traditional != simplified && held.contains(&simplified))
                .then(|| (traditional.to_string(), simplified.to_string()))
        })
        .collect()
}

/// `text` with each traditional character of `t2s` in its simplified form.
pub fn simplify(text: &str, t2s: &std::collections::HashMap<String, String>) -> String {
    let mut buf = [0u8; 4];
    text.chars()
        .map(|c| {
            t2s.get(&*c.encode_utf8(&mut buf))
                .and_then(|s| s.chars().next())
                .unwrap_or(c)
        })
        .collect()
}

/// The Snowball stemmer of a language code, if the locale table has one.
fn stemmer(lang: &str) -> Option<Stemmer> {
    crate::locale::of(lang).stemmer.map(Stemmer::create)
}

/// Whether `c` is written without spaces between words: Han ideographs and Japanese kana.
/// `search.js` uses the same ranges.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x31F0..=0x31FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
        | 0xF900..=0xFAFF | 0x20000..=0x3FFFF)
}

fn is_cjk_word(word: &str) -> bool {
    word.chars().next().is_some_and(is_cjk)
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        // The common Chinese characters, every one a letter, without a look-up.
        || matches!(c as u32, 0x4E00..=0x9FFF)
        || (!c.is_ascii() && (c.is_alphanumeric() || is_mark(c)))
}

/// Combining marks (of Latin, Cyrillic, Greek, Devanagari and others), part of a word.
fn is_mark(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x0483..=0x0489 | 0x0591..=0x05BD | 0x0610..=0x061A
        | 0x064B..=0x065F | 0x0900..=0x0903 | 0x093A..=0x094F | 0x0E31..=0x0E3A
        | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

/// `text` as [`words`] reads it: lowercased, with typographic apostrophes plain.
pub fn lower(text: &str) -> String {
    // A capital sigma is lowercased by its place in the word, as `str::to_lowercase` does.
    if text.contains('Σ') {
        return text.chars().map(fold).collect::<String>().to_lowercase();
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match fold(c) {
            c if c.is_ascii() => out.push(c.to_ascii_lowercase()),
            // Chinese and Japanese have no case: no need to look them up.
            c if is_cjk(c) => out.push(c),
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// Full-width forms of ASCII (a Chinese keyboard's `２０１５`, `ＩＯＭ`) as ASCII, the ideographic
/// space as a space, and the typographic apostrophe as a plain one.
fn fold(c: char) -> char {
    match c as u32 {
        0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        0x3000 => ' ',
        0x2019 => '\'',
        _ => c,
    }
}

/// Calls `each` with every word of `text` (made by [`lower`]): runs of letters, marks and
/// digits, an apostrophe between two letters kept (`iom's`); in runs of Chinese or Japanese,
/// every pair of neighbouring characters and the run's last character alone. `search.js`
/// splits a query the same way.
pub fn words<'a>(text: &'a str, mut each: impl FnMut(&'a str)) {
    runs(text, |run, cjk| {
        if cjk {
            // Where the character before the current one starts, and where the current starts.
            let (mut before, mut current) = (None, 0);
            for (next, _) in run.char_indices().skip(1) {
                if let Some(b) = before {
                    each(&run[b..next]);
                }
                (before, current) = (Some(current), next);
            }
            if let Some(b) = before {
                each(&run[b..]);
            }
            each(&run[current..]);
        } else {
            each(run);
        }
    });
}

/// Calls `each` with every run of `text` (made by [`lower`]) and whether it is Chinese or
/// Japanese: runs of letters, marks and digits, an apostrophe between two letters kept.
pub fn runs<'a>(text: &'a str, mut each: impl FnMut(&'a str, bool)) {
    // The current run: where it starts, and whether it is Chinese or Japanese.
    let mut run: Option<(usize, bool)> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let class = if is_word_char(c) {
            Some(is_cjk(c))
        } else {
            None
        };
        let goes_on = match (run, class) {
            (Some((_, cjk)), Some(k)) => cjk == k,
            (Some((_, false)), None) => {
                c == '\''
                    && chars
                        .peek()
                        .is_some_and(|&(_, n)| is_word_char(n) && !is_cjk(n))
            }
            _ => false,
        };
        if !goes_on {
            if let Some((start, cjk)) = run {
                each(&text[start..i], cjk);
            }
            run = class.map(|cjk| (i, cjk));
        }
    }
    if let Some((start, cjk)) = run {
        each(&text[start..], cjk);
    }
}

/// How many buckets the pairs of Chinese characters that begin with one character are spread
/// over, by their second character: a common first character (国, 的) would otherwise make
/// one bucket many times the size of the others.
const SPREAD: u32 = 8;

/// The bucket of a word among `buckets`. A word of Chinese or Japanese: a hash of its first
/// character and of its second modulo [`SPREAD`]; every word one character begins is in
/// [`prefix_buckets`]. Another word: a hash of its first three characters, so every word that
/// a query word of three letters or more begins is in one bucket. `search.js` computes the
/// same.
pub fn bucket(word: &str, buckets: usize) -> usize {
    let mut chars = word.chars();
    let Some(first) = chars.next() else {
        return 0;
    };
    let mut h = first as u32;
    if is_cjk(first) {
        let second = chars.next().map_or(0, |c| c as u32 % SPREAD);
        h = h.wrapping_mul(31).wrapping_add(second);
    } else {
        for c in chars.take(2) {
            h = h.wrapping_mul(31).wrapping_add(c as u32);
        }
    }
    h as usize % buckets
}

/// The buckets of every word that the Chinese or Japanese character `c` begins.
pub fn prefix_buckets(c: char, buckets: usize) -> Vec<usize> {
    let mut all: Vec<usize> = (0..SPREAD)
        .map(|s| (c as u32).wrapping_mul(31).wrapping_add(s) as usize % buckets)
        .collect();
    all.sort_unstable();
    all.dedup();
    all
}

fn fail(e: impl std::fmt::Display) -> Diagnostic {
    Diagnostic::error(format!("the search index could not be built: {e}"))
        .help("set `search: false` in site.yaml to build without search, and report this problem")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        words(&lower(text), |w| out.push(w.to_string()));
        out
    }

    #[test]
    fn words_are_lowercased_runs_of_letters_and_digits() {
        assert_eq!(
            all("IOM’s counter-trafficking work, COVID-19."),
            ["iom's", "counter", "trafficking", "work", "covid", "19"]
        );
        assert_eq!(all("'quoted' rock'n'roll"), ["quoted", "rock'n'roll"]);
    }

    #[test]
    fn chinese_is_indexed_as_pairs_of_characters_and_the_last_alone() {
        assert_eq!(
            all("打击人口贩运"),
            ["打击", "击人", "人口", "口贩", "贩运", "运"]
        );
        assert_eq!(all("IOM在北京"), ["iom", "在北", "北京", "京"]);
        assert_eq!(all("量，"), ["量"]);
    }

    #[test]
    fn lowering_is_that_of_the_standard_library_after_folding() {
        for text in [
            "IOM’s Ｗork in 北京, ΟΔΟΣ and ΣΟΦΙΑ Σ; İstanbul ÀÉÎ Straße ДОМ，２０１５",
            "Plain ASCII, MIXED case.",
        ] {
            let folded: String = text.chars().map(fold).collect();
            assert_eq!(lower(text), folded.to_lowercase(), "{text}");
        }
        assert_eq!(lower("ΟΔΟΣ"), "οδος");
        assert_eq!(all("北京"), ["北京", "京"]);
    }

    #[test]
    fn full_width_letters_and_digits_are_their_usual_forms() {
        assert_eq!(all("２０１５年ＩＯＭ"), ["2015", "年", "iom"]);
    }

    #[test]
    fn a_prefix_falls_in_the_bucket_of_its_words() {
        for (prefix, word) in [("tra", "trafficking"), ("é", "é")] {
            assert_eq!(bucket(prefix, 64), bucket(word, 64));
        }
        for word in ["人口", "人", "人民"] {
            assert!(
                prefix_buckets('人', 64).contains(&bucket(word, 64)),
                "{word}"
            );
        }
    }
}
