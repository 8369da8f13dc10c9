//! Words grouped by stem, with the briefings each group occurs in: counted a run of
//! briefings at a time and joined in the order of their ids, or taken as the last build left
//! them and brought up to date (see [`super::recall`]).

use rust_stemmers::Stemmer;
use rustc_hash::FxHashMap;

/// A group of words with one stem, and the briefings it occurs in.
#[derive(Default, Debug, Clone, PartialEq)]
pub(super) struct Group {
    pub words: Vec<String>,
    /// The stem, in a language with a stemmer; empty otherwise.
    pub stem: String,
    /// (id, weighted count), by id.
    pub postings: Vec<u32>,
    /// The ids of the briefings with a word of the group in their title, in order.
    pub titles: Vec<u32>,
    /// The ids of the briefings each word occurs in, by word, once the group has two words
    /// or more (a word leaves the group when no briefing has it any longer); empty while it
    /// has one, whose briefings are those of `postings`.
    pub word_ids: Vec<Vec<u32>>,
}

impl Group {
    /// What the group is found by: its stem, or its one word where it has no stem.
    pub fn key(&self) -> &str {
        match (self.stem.is_empty(), self.words.first()) {
            (true, Some(word)) => word,
            _ => &self.stem,
        }
    }

    /// The ids of the briefings it occurs in.
    pub fn ids(&self) -> impl Iterator<Item = u32> + '_ {
        self.postings.iter().step_by(2).copied()
    }

    /// Gives each word its own list of ids, as a group of two words or more has.
    fn spell_out(&mut self) {
        if self.word_ids.is_empty() && !self.words.is_empty() {
            self.word_ids = vec![self.ids().collect()];
        }
    }

    /// Adds the words and briefings of `other`, a group of the same key.
    pub fn merge(&mut self, mut other: Group) {
        if self.words.is_empty() {
            *self = other;
            return;
        }
        let one_word = self.word_ids.is_empty()
            && other.word_ids.is_empty()
            && self.words.first() == other.words.first();
        if !one_word {
            self.spell_out();
            other.spell_out();
            for (word, ids) in other.words.into_iter().zip(other.word_ids) {
                match self.words.iter().position(|w| *w == word) {
                    Some(w) => merge_ids(&mut self.word_ids[w], ids),
                    None => {
                        self.words.push(word);
                        self.word_ids.push(ids);
                    }
                }
            }
            if self.words.len() == 1 {
                self.word_ids.clear();
            }
        }
        merge_pairs(&mut self.postings, other.postings);
        merge_ids(&mut self.titles, other.titles);
    }

    /// Renumbers the briefings by `new` (the new id of each old one; none: it left the
    /// index), which keeps their order; says whether any briefing is left.
    pub fn renumber(&mut self, new: &[Option<u32>]) -> bool {
        let at = |id: u32| new.get(id as usize).copied().flatten();
        let mut kept = 0;
        for k in (0..self.postings.len()).step_by(2) {
            if let Some(id) = at(self.postings[k]) {
                self.postings[kept] = id;
                self.postings[kept + 1] = self.postings[k + 1];
                kept += 2;
            }
        }
        self.postings.truncate(kept);
        let renumber = |ids: &mut Vec<u32>| {
            ids.retain_mut(|id| match at(*id) {
                Some(n) => {
                    *id = n;
                    true
                }
                None => false,
            })
        };
        renumber(&mut self.titles);
        if !self.word_ids.is_empty() {
            self.word_ids.iter_mut().for_each(renumber);
            let mut ids = std::mem::take(&mut self.word_ids).into_iter();
            let words = std::mem::take(&mut self.words);
            for (word, ids) in words.into_iter().zip(ids.by_ref()) {
                if !ids.is_empty() {
                    self.words.push(word);
                    self.word_ids.push(ids);
                }
            }
            if self.words.len() == 1 {
                self.word_ids.clear();
            }
        }
        !self.postings.is_empty()
    }

    /// Puts the words in order (each with its ids).
    pub fn sort_words(&mut self) {
        if self.word_ids.is_empty() {
            self.words.sort();
            return;
        }
        let mut both: Vec<(String, Vec<u32>)> = std::mem::take(&mut self.words)
            .into_iter()
            .zip(std::mem::take(&mut self.word_ids))
            .collect();
        both.sort();
        (self.words, self.word_ids) = both.into_iter().unzip();
    }
}

/// Adds the ids `b` to the ids `a`, both in order; an id in both is there once.
fn merge_ids(a: &mut Vec<u32>, b: Vec<u32>) {
    if a.last().is_none_or(|&l| b.first().is_none_or(|&f| f > l)) {
        a.extend(b);
        return;
    }
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut x, mut y) = (a.iter().peekable(), b.iter().peekable());
    while let (Some(&&i), Some(&&j)) = (x.peek(), y.peek()) {
        out.push(i.min(j));
        if i <= j {
            x.next();
        }
        if j <= i {
            y.next();
        }
    }
    out.extend(x.chain(y));
    *a = out;
}

/// Adds the (id, count) pairs `b` to the pairs `a`, both by id; the counts of an id in both
/// add up.
fn merge_pairs(a: &mut Vec<u32>, b: Vec<u32>) {
    if a.len() < 2 || b.first().is_none_or(|&f| f > a[a.len() - 2]) {
        a.extend(b);
        return;
    }
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut x, mut y) = (a.chunks(2).peekable(), b.chunks(2).peekable());
    while let (Some(p), Some(q)) = (x.peek(), y.peek()) {
        let (i, j) = (p[0], q[0]);
        let count = match i.cmp(&j) {
            std::cmp::Ordering::Less => x.next().map_or(0, |p| p[1]),
            std::cmp::Ordering::Greater => y.next().map_or(0, |q| q[1]),
            std::cmp::Ordering::Equal => {
                x.next().map_or(0, |p| p[1]) + y.next().map_or(0, |q| q[1])
            }
        };
        out.extend([i.min(j), count]);
    }
    out.extend(x.chain(y).flatten());
    *a = out;
}

/// The groups of a language's index, or of a run of its briefings, as their words join them.
#[derive(Default)]
pub(super) struct Grouping {
    pub groups: Vec<Group>,
    /// Each word counted, with its group and its place in the group's words.
    by_word: FxHashMap<String, (usize, usize)>,
    /// Each group by its key: its stem, or its one word where it has no stem.
    pub by_key: FxHashMap<String, usize>,
}

impl Grouping {
    /// Counts `count` for `word` in briefing `id`; ids come in increasing order.
    pub fn add(
        &mut self,
        stemmer: Option<&Stemmer>,
        word: &str,
        id: u32,
        count: u32,
        in_title: bool,
    ) {
        let (g, w) = match self.by_word.get(word) {
            Some(&at) => at,
            None => {
                let stem = match stemmer {
                    Some(s) if !super::is_cjk_word(word) && !super::is_whole_term(word) => {
                        s.stem(word).into_owned()
                    }
                    _ => String::new(),
                };
                let key = if stem.is_empty() { word } else { &stem };
                let g = self.slot(key);
                self.groups[g].stem = stem;
                let w = self.join(g, word.to_string());
                (g, w)
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
        if let Some(ids) = group.word_ids.get_mut(w)
            && ids.last() != Some(&id)
        {
            ids.push(id);
        }
    }

    /// The group of key `key`: a new, empty one if there is none.
    fn slot(&mut self, key: &str) -> usize {
        if let Some(&g) = self.by_key.get(key) {
            return g;
        }
        self.by_key.insert(key.to_string(), self.groups.len());
        self.groups.push(Group::default());
        self.groups.len() - 1
    }

    /// Makes `word`, new here, a word of group `g`; says its place in the group's words.
    fn join(&mut self, g: usize, word: String) -> usize {
        let group = &mut self.groups[g];
        if group.words.len() == 1 {
            group.spell_out();
        }
        if !group.words.is_empty() {
            group.word_ids.push(Vec::new());
        }
        group.words.push(word.clone());
        let w = group.words.len() - 1;
        self.by_word.insert(word, (g, w));
        w
    }

    /// Adds the grouping of a run of briefings whose ids all follow the ids already here.
    pub fn absorb(&mut self, run: Grouping) {
        for group in run.groups {
            let g = self.slot(group.key());
            self.groups[g].merge(group);
        }
    }
}

/// Adds the groups of `fresh` (briefings counted now) to `groups` (those of the briefings
/// kept): each into the group of its key, or as a new group.
pub(super) fn join_fresh(groups: &mut Vec<Group>, fresh: Grouping) {
    let mut fresh_groups: Vec<Option<Group>> = fresh.groups.into_iter().map(Some).collect();
    for group in groups.iter_mut() {
        if let Some(&f) = fresh.by_key.get(group.key())
            && let Some(add) = fresh_groups[f].take()
        {
            group.merge(add);
        }
    }
    groups.extend(fresh_groups.into_iter().flatten());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counted(notes: &[&[&str]]) -> Vec<Group> {
        let stemmer = Stemmer::create(rust_stemmers::Algorithm::English);
        let mut all = Grouping::default();
        for (id, words) in notes.iter().enumerate() {
            let mut run = Grouping::default();
            for w in *words {
                run.add(Some(&stemmer), w, id as u32, 1, false);
            }
            all.absorb(run);
        }
        let mut groups = all.groups;
        groups.iter_mut().for_each(Group::sort_words);
        groups.sort_by(|a, b| a.words.cmp(&b.words));
        groups
    }

    #[test]
    fn renumbered_groups_are_those_of_the_briefings_left() {
        let notes: [&[&str]; 4] = [
            &["traffickers", "border"],
            &["trafficking", "border", "border"],
            &["trafficked"],
            &["border"],
        ];
        let mut groups = counted(&notes);
        let stem = groups.iter().find(|g| g.stem == "traffick").unwrap();
        assert_eq!(stem.words, ["trafficked", "traffickers", "trafficking"]);
        // Briefing 1 leaves, the others keep their order.
        let new = [Some(0), None, Some(1), Some(2)];
        groups.retain_mut(|g| g.renumber(&new));
        groups.iter_mut().for_each(Group::sort_words);
        let left: [&[&str]; 3] = [notes[0], notes[2], notes[3]];
        assert_eq!(groups, counted(&left));
    }

    #[test]
    fn a_group_merged_in_any_order_is_the_same_group() {
        let a = counted(&[&["trafficking", "border"], &[], &["traffickers"]]);
        let b = counted(&[&[], &["trafficked", "border", "border"]]);
        let mut merged = a.clone();
        for g in b {
            match merged.iter_mut().find(|m| m.key() == g.key()) {
                Some(m) => m.merge(g),
                None => merged.push(g),
            }
        }
        merged.iter_mut().for_each(Group::sort_words);
        merged.sort_by(|a, b| a.words.cmp(&b.words));
        let whole = counted(&[
            &["trafficking", "border"],
            &["trafficked", "border", "border"],
            &["traffickers"],
        ]);
        assert_eq!(merged, whole);
    }
}
