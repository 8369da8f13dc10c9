//! A query against a language's index files, by the rules the theme's `search.js` follows
//! (they are tested to agree): what `briefing search` answers.
//!
//! - A query is split as the briefings were ([`runs`]): words, and runs of Chinese or
//!   Japanese.
//! - A word finds the group it is in, and in English the group of its stem (`universities`
//!   finds `university`). Only a word the index does not hold finds the words it begins (a word
//!   still being typed: `traffick`), from three letters on.
//! - A term with hyphens (`covid-19`) finds the briefings that write it whole; if none
//!   does, the briefings with every one of its parts; a part no briefing has, none.
//! - A run of two characters or more finds the briefings that hold each of its pairs of
//!   characters; one character finds every briefing with it. A query whose Chinese finds
//!   nothing as typed is read again with traditional characters in their simplified forms
//!   (`t2s.json`).
//! - A briefing must hold every part of the query the index knows; a part it does not know
//!   is left out, and said to be, as long as another part is known.
//! - Ranking: briefings with every part in their title first, then by BM25 (a title's word
//!   counts five times), then the newest first.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::{Entry, INDEX_VERSION, Meta, PageRecord, bucket, lower, prefix_buckets, runs, stemmer};

const K1: f64 = 1.2;
const B: f64 = 0.75;
/// How much a group a word only begins counts, against the word itself.
const BEGINS: f64 = 0.5;

/// A language's index, read from the folder it was built into, bucket by bucket as queries
/// need them.
pub struct Index {
    dir: PathBuf,
    pub meta: Meta,
    average: f64,
    buckets: HashMap<usize, Vec<Entry>>,
    /// The files read so far, as a browser fetches them: `meta.json`, `words-3.json`, …
    pub fetched: Vec<String>,
}

/// What a query found.
#[derive(Debug, Default)]
pub struct Found {
    /// The briefings' ids, best first.
    pub ids: Vec<u32>,
    /// The words of the index (or the Chinese text) to mark in excerpts.
    pub marked: Vec<String>,
    /// The parts of the query the index does not know, left out.
    pub ignored: Vec<String>,
}

/// What one part of a query matched: each briefing's score, and the briefings with the part
/// in their title.
struct Part {
    scores: HashMap<u32, f64>,
    titles: HashSet<u32>,
}

impl Part {
    /// The briefings both parts find, with the sum of their scores, and those with both in
    /// their title.
    fn and(mut self, other: Part) -> Part {
        self.scores.retain(|id, _| other.scores.contains_key(id));
        for (id, s) in self.scores.iter_mut() {
            *s += other.scores[id];
        }
        self.titles.retain(|id| other.titles.contains(id));
        self
    }
}

impl Index {
    /// Opens the index whose `meta.json` is at `meta`, as the search page's script does:
    /// the other files' names come from it.
    pub fn open(meta_file: &Path) -> Result<Index, String> {
        let dir = meta_file.parent().unwrap_or(Path::new(""));
        let meta: Meta = read(meta_file)?;
        if meta.version != INDEX_VERSION {
            return Err(format!(
                "the search index in {} was built by another version of briefing",
                dir.display()
            ));
        }
        if meta.buckets == 0 {
            return Err(format!(
                "the search index in {} is damaged (its meta.json names no buckets): build the site again",
                dir.display()
            ));
        }
        let total: u64 = meta.lengths.iter().map(|&l| u64::from(l)).sum();
        let average = if meta.pages == 0 {
            1.0
        } else {
            total as f64 / meta.pages as f64
        };
        Ok(Index {
            dir: dir.to_path_buf(),
            meta,
            average,
            buckets: HashMap::new(),
            fetched: vec![crate::urls::SEARCH_META.to_string()],
        })
    }

    /// The groups in the bucket of `word`.
    fn entries(&mut self, word: &str) -> Result<&[Entry], String> {
        let b = bucket(word, self.meta.buckets);
        self.load(b)?;
        Ok(&self.buckets[&b])
    }

    /// Reads bucket `b`, once.
    fn load(&mut self, b: usize) -> Result<(), String> {
        if !self.buckets.contains_key(&b) {
            let name = crate::urls::numbered(&self.meta.files.words, b);
            let entries = read(&self.dir.join(&name))?;
            self.fetched.push(name);
            self.buckets.insert(b, entries);
        }
        Ok(())
    }

    /// What the results show of briefing `id`.
    pub fn page(&mut self, id: u32) -> Result<PageRecord, String> {
        let chunk = self.meta.chunk.max(1);
        let k = id as usize / chunk;
        let name = crate::urls::numbered(&self.meta.files.pages, k);
        let mut records: Vec<PageRecord> = read(&self.dir.join(&name))?;
        if !self.fetched.contains(&name) {
            self.fetched.push(name.clone());
        }
        let at = id as usize % chunk;
        if at >= records.len() {
            return Err(format!("briefing {id} is not in {name}: build again"));
        }
        Ok(records.swap_remove(at))
    }

    /// The briefings that `query` finds, best first.
    pub fn search(&mut self, query: &str) -> Result<Found, String> {
        let lowered = lower(query);
        let found = self.search_text(&lowered)?;
        // Typed in traditional characters, which the briefings do not hold: as their
        // simplified text.
        let unknown_chinese =
            found.ids.is_empty() || found.ignored.iter().any(|w| w.chars().any(super::is_cjk));
        if !(self.meta.t2s && unknown_chinese && lowered.chars().any(super::is_cjk)) {
            return Ok(found);
        }
        let t2s: HashMap<String, String> = read(&self.dir.join(&self.meta.files.t2s))?;
        self.fetched.push(self.meta.files.t2s.clone());
        let simplified = super::simplify(&lowered, &t2s);
        if simplified == lowered {
            return Ok(found);
        }
        self.search_text(&simplified)
    }

    /// The briefings that `lowered` (a query made by [`lower`]) finds, best first.
    fn search_text(&mut self, lowered: &str) -> Result<Found, String> {
        let mut tokens: Vec<(String, bool)> = Vec::new();
        runs(lowered, |run, cjk| tokens.push((run.to_string(), cjk)));
        // As the search page does: with the stemmer `meta.json` names (English only, the one
        // `search.js` carries).
        let stemmer = self
            .meta
            .query_stemmer
            .is_some()
            .then(|| stemmer(&self.meta.language))
            .flatten();
        let mut found = Found::default();
        let mut parts: Vec<Part> = Vec::new();
        let last = tokens.len().saturating_sub(1);
        for (n, (token, cjk)) in tokens.iter().enumerate() {
            let part = if *cjk {
                self.run_part(token, &mut found.marked)?
            } else {
                self.term_part(token, n == last, stemmer.as_ref(), &mut found.marked)?
            };
            match part {
                Some(part) => parts.push(part),
                None => found.ignored.push(token.clone()),
            }
        }
        if parts.is_empty() {
            found.ignored.clear();
            return Ok(found);
        }
        let whole = parts.into_iter().reduce(Part::and).expect("a known part");
        let mut ranked: Vec<(bool, f64, u32)> = whole
            .scores
            .into_iter()
            .map(|(id, s)| (whole.titles.contains(&id), s, id))
            .collect();
        ranked.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.total_cmp(&a.1)).then(b.2.cmp(&a.2)));
        found.ids = ranked.into_iter().map(|(_, _, id)| id).collect();
        found.marked.sort();
        found.marked.dedup();
        Ok(found)
    }

    /// A word, or a term with hyphens: found whole (`covid-19` as the briefings write it),
    /// else by its parts as words, each a part of the query (`COVID 19` written apart), as
    /// long as every part is known.
    fn term_part(
        &mut self,
        token: &str,
        last: bool,
        stemmer: Option<&rust_stemmers::Stemmer>,
        marked: &mut Vec<String>,
    ) -> Result<Option<Part>, String> {
        if !super::is_whole_term(token) {
            return self.word_part(token, last, stemmer, marked);
        }
        if let Some(whole) = self.word_part(token, last, None, marked)? {
            return Ok(Some(whole));
        }
        // A part no briefing has: no briefing has the term either (`COVID-19` is not `19`).
        // The parts' words are marked only if the term is found by them.
        let pieces: Vec<&str> = token.split('-').collect();
        let mut pieces_marked = Vec::new();
        let mut joined: Option<Part> = None;
        for (k, piece) in pieces.iter().enumerate() {
            let last = last && k + 1 == pieces.len();
            let Some(piece) = self.word_part(piece, last, stemmer, &mut pieces_marked)? else {
                return Ok(None);
            };
            joined = Some(match joined {
                Some(j) => j.and(piece),
                None => piece,
            });
        }
        marked.append(&mut pieces_marked);
        Ok(joined)
    }

    /// A word finds the group it is in and the group of its stem; only a word the index does
    /// not hold, typed `last`, finds the words it begins.
    fn word_part(
        &mut self,
        token: &str,
        last: bool,
        stemmer: Option<&rust_stemmers::Stemmer>,
        marked: &mut Vec<String>,
    ) -> Result<Option<Part>, String> {
        let stem = stemmer.map(|s| s.stem(token).into_owned());
        let entries = self.entries(token)?;
        let mut groups: Vec<(Entry, f64)> = entries
            .iter()
            .filter(|e| {
                e.0.iter().any(|w| w == token)
                    || stem.as_deref().is_some_and(|s| !e.2.is_empty() && e.2 == s)
            })
            .map(|e| (e.clone(), 1.0))
            .collect();
        if groups.is_empty() && last && token.chars().count() >= 3 {
            groups = entries
                .iter()
                .filter(|e| e.0.iter().any(|w| w.starts_with(token)))
                .map(|e| (e.clone(), BEGINS))
                .collect();
        }
        for (e, _) in &groups {
            marked.extend(e.0.iter().cloned());
        }
        Ok(self.any_of(&groups))
    }

    /// A run of Chinese or Japanese: one character finds the groups it begins; more find
    /// the briefings with every pair of neighbouring characters.
    fn run_part(&mut self, run: &str, marked: &mut Vec<String>) -> Result<Option<Part>, String> {
        let chars: Vec<char> = run.chars().collect();
        if chars.len() == 1 {
            let mut groups: Vec<(Entry, f64)> = Vec::new();
            for b in prefix_buckets(chars[0], self.meta.buckets) {
                self.load(b)?;
                groups.extend(
                    self.buckets[&b]
                        .iter()
                        .filter(|e| e.0.iter().any(|w| w.starts_with(run)))
                        .map(|e| (e.clone(), 1.0)),
                );
            }
            let part = self.any_of(&groups);
            if part.is_some() {
                marked.push(run.to_string());
            }
            return Ok(part);
        }
        let mut whole: Option<Part> = None;
        for pair in chars.windows(2) {
            let pair: String = pair.iter().collect();
            let groups: Vec<(Entry, f64)> = self
                .entries(&pair)?
                .iter()
                .filter(|e| e.0.contains(&pair))
                .map(|e| (e.clone(), 1.0))
                .collect();
            let Some(part) = self.any_of(&groups) else {
                return Ok(None);
            };
            whole = Some(match whole {
                None => part,
                Some(so_far) => so_far.and(part),
            });
        }
        marked.push(run.to_string());
        Ok(whole)
    }

    /// The briefings any of `groups` finds, each scored by the best of them; none when there
    /// is no group.
    fn any_of(&self, groups: &[(Entry, f64)]) -> Option<Part> {
        if groups.is_empty() {
            return None;
        }
        let pages = self.meta.pages as f64;
        let mut part = Part {
            scores: HashMap::new(),
            titles: HashSet::new(),
        };
        for (entry, weight) in groups {
            let df = (entry.1.len() / 2) as f64;
            let idf = (1.0 + (pages - df + 0.5) / (df + 0.5)).ln();
            for (id, count) in entry.postings() {
                let length = self.meta.lengths.get(id as usize).copied().unwrap_or(1);
                let norm = K1 * (1.0 - B + B * f64::from(length) / self.average);
                let count = f64::from(count);
                let s = weight * idf * count * (K1 + 1.0) / (count + norm);
                let best = part.scores.entry(id).or_insert(0.0);
                if s > *best {
                    *best = s;
                }
            }
            part.titles.extend(entry.titles());
        }
        Some(part)
    }
}

fn read<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, String> {
    let bytes = std::fs::read(path)
        .map_err(|e| format!("cannot read the search index file {}: {e}", path.display()))?;
    serde_json::from_slice(&bytes).map_err(|e| {
        format!(
            "the search index file {} cannot be read: {e}",
            path.display()
        )
    })
}

/// `briefing search`: what a reader of the built site finds for a query.
#[derive(Debug, serde::Serialize)]
pub struct Answer {
    pub query: String,
    pub language: String,
    /// How many briefings the query finds.
    pub total: usize,
    /// The parts of the query left out, as no briefing has them.
    pub ignored: Vec<String>,
    /// The first results, best first.
    pub results: Vec<Hit>,
    /// The index files a browser fetches to show these results (in the index's folder).
    pub fetched: Vec<String>,
}

#[derive(Debug, serde::Serialize)]
pub struct Hit {
    pub title: String,
    pub url: String,
    pub date: String,
}

impl Answer {
    pub fn human(&self) -> String {
        let mut out = match self.total {
            0 => format!(
                "No briefing found for “{}” ({}).\n",
                self.query, self.language
            ),
            1 => format!(
                "1 briefing found for “{}” ({}):\n",
                self.query, self.language
            ),
            n => format!(
                "{n} briefings found for “{}” ({}):\n",
                self.query, self.language
            ),
        };
        for (n, hit) in self.results.iter().enumerate() {
            out += &format!(
                "{:>4}. {}  {}\n      {}\n",
                n + 1,
                hit.date,
                hit.title,
                hit.url
            );
        }
        if self.results.len() < self.total {
            out += &format!("      … and {} more\n", self.total - self.results.len());
        }
        if !self.ignored.is_empty() {
            out += &format!(
                "Left out of the query, as no briefing has it: {}\n",
                self.ignored.join(", ")
            );
        }
        out
    }
}

/// Answers `query` from the index a build wrote for language `lang` (the site's default
/// language when none is given), with its first `limit` results.
pub fn answer(
    root: &Path,
    output: Option<&Path>,
    lang: Option<&str>,
    query: &str,
    limit: usize,
) -> Result<Answer, crate::error::Diagnostics> {
    use crate::error::Diagnostic;
    let config = crate::config::Config::load(root)?;
    let lang = lang.unwrap_or(&config.default_language).to_string();
    if !config.languages.iter().any(|l| l.code == lang) {
        let codes: Vec<&str> = config.languages.iter().map(|l| l.code.as_str()).collect();
        return Err(
            Diagnostic::error(format!("the site has no language `{lang}`"))
                .help(format!("use one of: {}", codes.join(", ")))
                .into(),
        );
    }
    if !config.search {
        return Err(Diagnostic::error(
            "the site has no search index (`search: false` in site.yaml)",
        )
        .help("set `search: true` in site.yaml, or remove the line, and build again")
        .into());
    }
    let output = output.map_or_else(|| root.join("output"), Path::to_path_buf);
    let meta = output.join(crate::urls::search_meta(&lang));
    let fail = |e: String| Diagnostic::error(e).help("run `briefing build`, then search again");
    let mut index = Index::open(&meta).map_err(fail)?;
    let found = index.search(query).map_err(fail)?;
    let results = found
        .ids
        .iter()
        .take(limit)
        .map(|&id| {
            index.page(id).map(|p| Hit {
                title: p.title,
                url: p.url,
                date: p.datetime,
            })
        })
        .collect::<Result<_, _>>()
        .map_err(fail)?;
    Ok(Answer {
        query: query.to_string(),
        language: lang,
        total: found.ids.len(),
        ignored: found.ignored,
        results,
        fetched: index.fetched,
    })
}
