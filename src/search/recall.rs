//! What a build learned of the search index, for the next one: per language, its word
//! groups, each briefing's weighted length, and by id each briefing's path and a key of all
//! it gives the index ([`note_key`]). The next build counts the words of the briefings whose
//! key changed (and of the new ones) only; the others' counts are taken as remembered,
//! renumbered where briefings came or went. The files made from them are the same bytes a
//! build counting every briefing makes (tested in `tests/memory.rs`).
//!
//! Kept on a [`Shelf`] beside the memory of pages, checked like it: a damaged shelf, or one
//! of another program, is forgotten and every briefing counted.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::Entry;
use super::grouping::Group;
use crate::memory::{Fingerprint, Key, Shelf, Shelved};
use crate::site::Site;

/// A language's index as remembered: the slices a build has, the vectors the next reads.
#[derive(Serialize, Deserialize)]
struct Learned<N, L, G, P, W> {
    /// By id: each briefing's path and key.
    notes: N,
    lengths: L,
    /// Each group, in order: its words, its stem, and how many of `numbers` are its postings
    /// and how many its titles.
    groups: G,
    /// The numbers of each group in turn, its postings then its titles, as `words-<b>.json`
    /// holds them (each id the difference from the one before), packed ([`pack`]).
    numbers: P,
    /// The groups of two words or more, by their place in `groups`: each word's ids.
    words: W,
}

type Read<'a> = Learned<
    Vec<(String, Option<Key>)>,
    Vec<u32>,
    Vec<(Vec<String>, String, u32, u32)>,
    &'a [u8],
    Vec<(u32, Vec<Vec<u32>>)>,
>;

/// Appends `values` to `out` in LEB128, seven bits a byte, as postcard writes a number:
/// most numbers here (differences of ids, counts) take one byte. Done here for the tens of
/// millions of them, a value at a time through serde being four times slower.
fn pack(values: &[u32], out: &mut Vec<u8>) {
    for &v in values {
        let mut v = v;
        while v >= 0x80 {
            out.push(v as u8 | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }
}

/// Reads `n` numbers that [`pack`] wrote from the start of `bytes`, and moves past them;
/// none if `bytes` ends first or holds a number too large.
fn unpack(bytes: &mut &[u8], n: usize) -> Option<Vec<u32>> {
    let mut values = Vec::with_capacity(n);
    let mut at = 0;
    for _ in 0..n {
        let (mut v, mut shift) = (0u32, 0);
        loop {
            let b = *bytes.get(at)?;
            at += 1;
            v |= u32::from(b & 0x7f).checked_shl(shift)?;
            if b < 0x80 {
                break;
            }
            shift += 7;
            if shift > 28 {
                return None;
            }
        }
        values.push(v);
    }
    *bytes = &bytes[at..];
    Some(values)
}

/// Where a build starts a language's index from.
pub(super) struct Recalled {
    /// The groups of the briefings kept, by their new ids.
    pub groups: Vec<Group>,
    /// Each briefing's length; those still to count have none yet.
    pub lengths: Vec<u32>,
    /// The ids of the briefings whose words are counted again.
    pub count: Vec<u32>,
    /// Whether the index holds what was remembered, unchanged.
    pub same: bool,
}

/// The key a language's index is shelved under.
fn shelved_as(lang: &str) -> Key {
    crate::memory::key_of(&[b"search", lang.as_bytes()])
}

/// A key of all that briefing `i` (at site path `path`) gives the index: the words of its
/// fields (its text by the key of its rendered text) and what a result shows of it. None
/// when it cannot be made: the briefing is then counted again.
pub(super) fn note_key(site: &Site, i: usize, path: &str) -> Option<Key> {
    let n = &site.notes[i];
    let entities = [&n.project, &n.funder].map(|e| e.as_ref().map(|e| e.name(&n.lang)));
    let mut f = Fingerprint::default();
    f.add("title", &n.title);
    f.add("subtitle", &n.subtitle);
    f.add("summary", &n.summary);
    f.add("entities", &entities);
    f.add("tags", &n.tags);
    f.add("locations", &n.event.as_ref().map(|e| &e.locations));
    f.add("dateline", &n.dateline);
    f.add("date", &n.date.date.to_string());
    f.add("url", &site.config.link(path));
    f.add("text", &site.rendered[i].as_ref().map(|r| r.text_key));
    f.finish("search")
}

/// The index of `lang` as the last build left it, brought to the briefings `notes` (by id:
/// path and key); none when nothing was remembered for it, or nothing to trust.
pub(super) fn recall(
    shelf: Option<&Shelf>,
    lang: &str,
    notes: &[(String, Option<Key>)],
) -> Option<Recalled> {
    let learned: Read = postcard::from_bytes(shelf?.get(&shelved_as(lang))?).ok()?;
    if learned.lengths.len() != learned.notes.len() {
        return None;
    }
    let old: FxHashMap<&str, (usize, &Option<Key>)> = (learned.notes.iter().enumerate())
        .map(|(o, (path, key))| (path.as_str(), (o, key)))
        .collect();
    // The new id of each remembered briefing whose key is the same.
    let mut new: Vec<Option<u32>> = vec![None; learned.notes.len()];
    let mut lengths = vec![0; notes.len()];
    let mut count = Vec::new();
    for (j, (path, key)) in notes.iter().enumerate() {
        match old.get(path.as_str()) {
            Some(&(o, was)) if key.is_some() && was == key => {
                new[o] = Some(j as u32);
                lengths[j] = learned.lengths[o];
            }
            _ => count.push(j as u32),
        }
    }
    // The briefings kept keep their order (the order of ids is that of their dates, which
    // their keys hold): otherwise every briefing is counted.
    let kept: Vec<u32> = new.iter().flatten().copied().collect();
    if kept.windows(2).any(|w| w[0] >= w[1]) {
        return None;
    }
    let same = count.is_empty() && notes.len() == learned.notes.len();
    let mut numbers = learned.numbers;
    let mut groups = Vec::with_capacity(learned.groups.len());
    for (words, stem, postings, titles) in learned.groups {
        let postings = unpack(&mut numbers, postings as usize)?;
        let titles = unpack(&mut numbers, titles as usize)?;
        groups.push(Entry(words, postings, stem, titles).into_group());
    }
    for (g, ids) in learned.words {
        let group = groups.get_mut(g as usize)?;
        if ids.len() != group.words.len() {
            return None;
        }
        group.word_ids = ids;
    }
    if !same {
        groups.retain_mut(|g| g.renumber(&new));
    }
    Some(Recalled {
        groups,
        lengths,
        count,
        same,
    })
}

/// What the index of `lang` gives the next build: the briefings `notes` (path and key, by
/// id), their `lengths`, the `entries` of its groups and the words of those of two words or
/// more (by their place in `entries`).
pub(super) fn learned(
    lang: &str,
    same: bool,
    notes: &[(String, Option<Key>)],
    lengths: &[u32],
    entries: &[Entry],
    words: &[(u32, Vec<Vec<u32>>)],
) -> Shelved {
    let key = shelved_as(lang);
    if same {
        return Shelved::Again(key);
    }
    let groups: Vec<(&[String], &str, u32, u32)> = (entries.iter())
        .map(|e| (&e.0[..], &e.2[..], e.1.len() as u32, e.3.len() as u32))
        .collect();
    let mut numbers = Vec::with_capacity(entries.iter().map(|e| e.1.len() + e.3.len()).sum());
    for e in entries {
        pack(&e.1, &mut numbers);
        pack(&e.3, &mut numbers);
    }
    let learned = Learned {
        notes,
        lengths,
        groups,
        numbers: crate::memory::Bytes(&numbers),
        words,
    };
    let size = numbers.len() + 24 * notes.len() + 16 * entries.len();
    match postcard::to_extend(&learned, Vec::with_capacity(size + size / 4)) {
        Ok(bytes) => Shelved::New(key, bytes),
        Err(_) => Shelved::New(key, Vec::new()),
    }
}
