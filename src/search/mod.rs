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
//!   holds the weighted word count of each briefing, by id; `stamp` is a hash of the keys
//!   of the other files (XXH3 of what each holds), added to their addresses
//!   (`words-3.json?v=<stamp>`).
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
//! A build remembers the index for the next ([`recall`]), which counts again only the words
//! of the briefings that changed, and keeps the files whose key is unchanged: an edit that
//! changes a few words rewrites `meta.json`, the briefing's `pages-<k>.json` and the buckets
//! of those words.

mod grouping;
pub mod query;
mod recall;

use rustc_hash::FxHashMap;
use std::time::Instant;

use rayon::prelude::*;
use rust_stemmers::Stemmer;
use serde::{Deserialize, Serialize};

use crate::content::Section;
use crate::error::Diagnostic;
use crate::memory::{Fingerprint, Key, Memory, Shelved};
use crate::output::{Body, OutputFile};
use crate::site::Site;
use grouping::{Group, Grouping};

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
/// all held at once. With the `memory` of the last build into the same output folder, the
/// words of the briefings that did not change are taken as it counted them, and files it
/// left with the same contents are kept; what this build learned is kept for the next.
pub fn index(
    site: &Site,
    languages: &[usize],
    write: &Writer,
    memory: Option<&Memory>,
) -> Result<Indexed, Diagnostic> {
    let started = Instant::now();
    let indexed: Vec<(usize, Shelved)> = languages
        .par_iter()
        .map(|&l| language_index(site, &site.config.languages[l].code, write, memory))
        .collect::<Result<_, _>>()?;
    let pages = indexed.iter().map(|(n, _)| n).sum();
    if let Some(memory) = memory {
        memory.keep_index(indexed.into_iter().map(|(_, l)| l).collect());
    }
    Ok(Indexed {
        report: SearchReport {
            took: started.elapsed(),
            pages,
        },
    })
}

/// Files on their way to the writer: handed over once they add up to [`WRITE_BYTES`]. Each
/// file has a key of what it holds (but `meta.json`): a file the last build left with the
/// same key is kept, and the keys make the stamp of `meta.json`.
struct Outbox<'a> {
    write: &'a Writer<'a>,
    memory: Option<&'a Memory>,
    files: Vec<OutputFile>,
    bytes: usize,
    stamp: xxhash_rust::xxh3::Xxh3,
}

impl<'a> Outbox<'a> {
    fn new(write: &'a Writer<'a>, memory: Option<&'a Memory>) -> Self {
        Outbox {
            write,
            memory,
            files: Vec::new(),
            bytes: 0,
            stamp: Default::default(),
        }
    }

    /// Hands on the file `path` of key `key`, kept if the last build left it, or made of
    /// `value`.
    fn push<T: Serialize>(
        &mut self,
        path: String,
        key: Option<Key>,
        value: impl FnOnce() -> T,
    ) -> Result<(), Diagnostic> {
        if let Some(key) = &key {
            self.stamp.update(key);
        }
        if let (Some(key), Some(memory)) = (key, self.memory)
            && let Some(stamp) = memory.kept(&path, &key)
        {
            let file = memory.file(&path);
            self.files.push(OutputFile::kept(path, file, stamp, key));
            return Ok(());
        }
        let body = serde_json::to_vec(&value()).map_err(fail)?;
        if key.is_none() {
            self.stamp.update(&body);
        }
        self.bytes += body.len();
        self.files.push(OutputFile {
            path,
            body: Body::Bytes(body),
            from: None,
            key,
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

    /// A hash of every file pushed so far: of its key, or of its bytes where it has none.
    fn stamp(&self) -> String {
        format!("{:016x}", self.stamp.digest())
    }
}

/// The key of a file of the index named `name` that holds `value`.
fn key_of(name: &str, value: &(impl Serialize + ?Sized)) -> Option<Key> {
    let mut f = Fingerprint::default();
    f.add("value", value);
    f.finish(name)
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
            ..
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

    /// Feeds all it holds to `h`, each part after its length: what a bucket's key is made of.
    fn hash_into(&self, h: &mut xxhash_rust::xxh3::Xxh3) {
        let Entry(words, postings, stem, titles) = self;
        h.update(&(words.len() as u64).to_le_bytes());
        for text in words.iter().chain([stem]) {
            h.update(&(text.len() as u64).to_le_bytes());
            h.update(text.as_bytes());
        }
        hash_u32s(h, postings);
        hash_u32s(h, titles);
    }

    /// The group it was made of (without the ids of each word).
    fn into_group(self) -> Group {
        let Entry(words, mut postings, stem, mut titles) = self;
        let mut last = 0;
        for pair in postings.chunks_mut(2) {
            pair[0] += last;
            last = pair[0];
        }
        let mut last = 0;
        for id in &mut titles {
            *id += last;
            last = *id;
        }
        Group {
            words,
            stem,
            postings,
            titles,
            word_ids: Vec::new(),
        }
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

/// The word groups of the briefings `notes` (each with its id), and each one's weighted word
/// count. Runs of briefings are counted in parallel, each into a grouping of its own, and
/// join the index in the order of their ids.
fn group_words(
    site: &Site,
    notes: &[(usize, u32)],
    stemmer: Option<&Stemmer>,
) -> (Grouping, Vec<u32>) {
    let mut grouping = Grouping::default();
    let mut lengths: Vec<u32> = Vec::with_capacity(notes.len());
    for runs in notes.chunks(RUN * RUNS_AT_ONCE) {
        let counted: Vec<(Grouping, Vec<u32>)> = runs
            .par_chunks(RUN)
            .map(|run| {
                let mut counts = Grouping::default();
                let lengths = run
                    .iter()
                    .map(|&(i, id)| {
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

/// The word groups of the briefings `notes` (by id, each with its path and key) and their
/// lengths: those the last build counted as it counted them, the others counted now; and
/// whether that is all as remembered.
fn groups_of(
    site: &Site,
    lang: &str,
    notes: &[usize],
    keyed: &[(String, Option<Key>)],
    memory: Option<&Memory>,
) -> (Vec<Group>, Vec<u32>, bool) {
    let stemmer = stemmer(lang);
    let Some(mut recalled) = recall::recall(memory.and_then(Memory::index), lang, keyed) else {
        let all: Vec<(usize, u32)> = (notes.iter().enumerate())
            .map(|(id, &i)| (i, id as u32))
            .collect();
        let (grouping, lengths) = group_words(site, &all, stemmer.as_ref());
        return (grouping.groups, lengths, false);
    };
    if !recalled.count.is_empty() {
        let fresh: Vec<(usize, u32)> = (recalled.count.iter())
            .map(|&id| (notes[id as usize], id))
            .collect();
        let (grouping, lengths) = group_words(site, &fresh, stemmer.as_ref());
        for (&id, length) in recalled.count.iter().zip(lengths) {
            recalled.lengths[id as usize] = length;
        }
        grouping::join_fresh(&mut recalled.groups, grouping);
    }
    (recalled.groups, recalled.lengths, recalled.same)
}

/// Writes the index files of language `lang`; says how many briefings they hold, and what
/// the next build may take of them.
fn language_index(
    site: &Site,
    lang: &str,
    write: &Writer,
    memory: Option<&Memory>,
) -> Result<(usize, Shelved), Diagnostic> {
    // Oldest first, then by path.
    let mut dated: Vec<(jiff::Timestamp, String, usize)> = (0..site.notes.len())
        .filter(|&i| site.notes[i].lang == lang && indexed(site, i))
        .map(|i| (site.notes[i].date.timestamp, site.notes[i].path(), i))
        .collect();
    dated.par_sort_unstable();
    let notes: Vec<usize> = dated.iter().map(|&(_, _, i)| i).collect();
    let keyed: Vec<(String, Option<Key>)> = dated
        .into_par_iter()
        .map(|(_, path, i)| {
            let key = recall::note_key(site, i, &path);
            (path, key)
        })
        .collect();
    let (mut groups, lengths, same) = groups_of(site, lang, &notes, &keyed, memory);
    groups.par_iter_mut().for_each(Group::sort_words);
    groups.par_sort_by(|a, b| a.words.cmp(&b.words));
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
    // Traditional characters a query may be typed in, for the characters the index holds.
    let held: rustc_hash::FxHashSet<char> = groups
        .iter()
        .flat_map(|g| g.words.iter())
        .filter(|w| is_cjk_word(w))
        .flat_map(|w| w.chars())
        .collect();
    let t2s = simplified_of(&held);
    // The ids of each word of the groups of two words or more, for the next build.
    let words: Vec<(u32, Vec<Vec<u32>>)> = (groups.iter_mut().enumerate())
        .filter(|(_, g)| !g.word_ids.is_empty())
        .map(|(e, g)| (e as u32, std::mem::take(&mut g.word_ids)))
        .collect();
    let entries: Vec<Entry> = groups.into_iter().map(Entry::of).collect();

    // The index files are beside the search page.
    let names = Names::ours();
    let file = |name: &str, n: usize| crate::urls::search_file(lang, name, n);
    let mut out = Outbox::new(write, memory);
    if !t2s.is_empty() {
        out.push(file(&names.t2s, 0), key_of("t2s", &t2s), || &t2s)?;
    }
    write_buckets(&mut out, &entries, buckets, |b| file(&names.words, b))?;
    let learned = recall::learned(lang, same, &keyed, &lengths, &entries, &words);
    drop(entries);
    let filters = filters(site, lang, &notes);
    out.push(file(&names.filters, 0), key_of("filters", &filters), || {
        &filters
    })?;
    for (k, chunk) in notes.chunks(CHUNK).enumerate() {
        let keys: Vec<_> = (k * CHUNK..k * CHUNK + chunk.len())
            .map(|id| keyed[id].1)
            .collect();
        let key = keys
            .iter()
            .all(Option::is_some)
            .then(|| key_of("pages", &keys));
        let records = || -> Vec<PageRecord> { chunk.iter().map(|&i| record(site, i)).collect() };
        out.push(file(&names.pages, k), key.flatten(), records)?;
    }
    let stamp = out.stamp();
    let meta = Meta {
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
    };
    out.push(crate::urls::search_meta(lang), None, || meta)?;
    out.flush()?;
    Ok((notes.len(), learned))
}

/// Writes the `words-<b>.json` files, `buckets` of them, named by `name`, of the groups
/// `entries` (in order): each group into the bucket of each of its words.
fn write_buckets(
    out: &mut Outbox,
    entries: &[Entry],
    buckets: usize,
    name: impl Fn(usize) -> String,
) -> Result<(), Diagnostic> {
    // Each bucket's entries, by their place in `entries`.
    let mut contents: Vec<Vec<usize>> = vec![Vec::new(); buckets];
    for (e, g) in entries.iter().enumerate() {
        let mut seen: Vec<usize> = g.0.iter().map(|w| bucket(w, buckets)).collect();
        seen.sort_unstable();
        seen.dedup();
        for b in seen {
            contents[b].push(e);
        }
    }
    let keyed: Vec<(Vec<&Entry>, Key)> = contents
        .par_iter()
        .map(|of| {
            let bucket: Vec<&Entry> = of.iter().map(|&e| &entries[e]).collect();
            let mut h = xxhash_rust::xxh3::Xxh3::new();
            h.update(b"words");
            bucket.iter().for_each(|e| e.hash_into(&mut h));
            (bucket, h.digest128().to_le_bytes())
        })
        .collect();
    for (b, (bucket, key)) in keyed.into_iter().enumerate() {
        out.push(name(b), Some(key), || bucket)?;
    }
    Ok(())
}

/// Feeds `values` to `h` after their count, as little-endian bytes.
fn hash_u32s(h: &mut xxhash_rust::xxh3::Xxh3, values: &[u32]) {
    h.update(&(values.len() as u64).to_le_bytes());
    let mut bytes = [0u8; 4096];
    for chunk in values.chunks(bytes.len() / 4) {
        for (to, v) in bytes.chunks_exact_mut(4).zip(chunk) {
            to.copy_from_slice(&v.to_le_bytes());
        }
        h.update(&bytes[..chunk.len() * 4]);
    }
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
            inline_values(site, lang, notes, name, &mut values, &mut of);
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

/// The projects or funders (`kind`) written in the notes themselves, not keys of site.yaml:
/// a value each, by name, after those of site.yaml; its key is the name's URL form, made
/// unique among the filter's keys.
fn inline_values(
    site: &Site,
    lang: &str,
    notes: &[usize],
    kind: &str,
    values: &mut Vec<(String, String)>,
    of: &mut [Vec<u32>],
) {
    let entity_of: fn(&crate::content::Note) -> &Option<crate::config::Entity> = match kind {
        "project" => |n| &n.project,
        "funder" => |n| &n.funder,
        _ => return,
    };
    let mut by_name: std::collections::BTreeMap<&str, Vec<usize>> = Default::default();
    for (id, &i) in notes.iter().enumerate() {
        if let Some(e) = entity_of(&site.notes[i])
            && e.key.is_none()
            && !e.name(lang).is_empty()
        {
            by_name.entry(e.name(lang)).or_default().push(id);
        }
    }
    for (name, ids) in by_name {
        // The URL form a tag's key has.
        let form = crate::site::tag_key(name).unwrap_or_else(|| name.to_string());
        let mut key = form.clone();
        let mut n = 2;
        while values.iter().any(|(k, _)| *k == key) {
            key = format!("{form}-{n}");
            n += 1;
        }
        for id in ids {
            of[id].push(values.len() as u32);
        }
        values.push((key, name.to_string()));
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
            if !is_whole_term(w) {
                length += weight;
            }
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
fn simplified_of(held: &rustc_hash::FxHashSet<char>) -> std::collections::BTreeMap<String, String> {
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
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match fold(c) {
            c if c.is_ascii() => out.push(c.to_ascii_lowercase()),
            // Chinese and Japanese have no case: no need to look them up.
            c if is_cjk(c) => out.push(c),
            // A capital sigma is lowercased by its place in the word, as
            // `str::to_lowercase` does: the text is lowercased by it.
            'Σ' => return text.chars().map(fold).collect::<String>().to_lowercase(),
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// Full-width forms of ASCII (a Chinese keyboard's `２０１５`, `ＩＯＭ`) as ASCII, the ideographic
/// space as a space, the typographic apostrophe as a plain one and hyphens as `-`.
fn fold(c: char) -> char {
    match c as u32 {
        0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        0x3000 => ' ',
        0x2019 => '\'',
        // The hyphen and the non-breaking hyphen, as a keyboard's hyphen-minus.
        0x2010 | 0x2011 => '-',
        _ => c,
    }
}

/// Calls `each` with every word of `text` (made by [`lower`]): runs of letters, marks and
/// digits, an apostrophe between two letters kept (`iom's`); a term with hyphens (`covid-19`,
/// `eu-china`) both as its parts and whole, after them; in runs of Chinese or Japanese,
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
            if run.contains('-') {
                run.split('-').for_each(&mut each);
            }
            each(run);
        }
    });
}

/// Whether `word` is a term with hyphens, indexed whole beside its parts: not stemmed, and
/// not counted in a briefing's length (its parts are).
pub fn is_whole_term(word: &str) -> bool {
    word.contains('-')
}

/// Calls `each` with every run of `text` (made by [`lower`]) and whether it is Chinese or
/// Japanese: runs of letters, marks and digits, an apostrophe or a hyphen between two of
/// them kept.
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
                (c == '\'' || c == '-')
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
            all("IOM’s work, COVID-19 and G20."),
            ["iom's", "work", "covid", "19", "covid-19", "and", "g20"]
        );
        assert_eq!(all("'quoted' rock'n'roll"), ["quoted", "rock'n'roll"]);
    }

    #[test]
    fn a_term_with_hyphens_is_a_word_whole_and_its_parts_are_words() {
        assert_eq!(
            all("EU‑China counter-trafficking, the 2030-Agenda - and well--known"),
            [
                "eu",
                "china",
                "eu-china",
                "counter",
                "trafficking",
                "counter-trafficking",
                "the",
                "2030",
                "agenda",
                "2030-agenda",
                "and",
                "well",
                "known"
            ]
        );
        assert_eq!(all("新冠-19"), ["新冠", "冠", "19"]);
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
