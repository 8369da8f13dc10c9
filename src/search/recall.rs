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
struct Learned<N, L, E, W> {
    /// By id: each briefing's path and key.
    notes: N,
    lengths: L,
    /// The groups, as `words-<b>.json` holds them.
    entries: E,
    /// The groups of two words or more, by their place in `entries`: each word's ids.
    words: W,
}

type Read = Learned<Vec<(String, Option<Key>)>, Vec<u32>, Vec<Entry>, Vec<(u32, Vec<Vec<u32>>)>>;

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
    let mut groups: Vec<Group> = learned.entries.into_iter().map(Entry::into_group).collect();
    for (g, ids) in learned.words {
        groups.get_mut(g as usize)?.word_ids = ids;
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
    let learned = Learned {
        notes,
        lengths,
        entries,
        words,
    };
    // About what it takes: two bytes for each id and count.
    let size = (entries.iter())
        .map(|e| 2 * (e.1.len() + e.3.len()) + e.0.iter().map(|w| w.len() + 2).sum::<usize>())
        .sum::<usize>()
        + 24 * notes.len();
    match postcard::to_extend(&learned, Vec::with_capacity(size + size / 4)) {
        Ok(bytes) => Shelved::New(key, bytes),
        // Nothing remembered: the next build counts every briefing.
        Err(_) => Shelved::New(key, Vec::new()),
    }
}
