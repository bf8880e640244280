//! Name similarity: fields become weighted terms (leaf words weigh most, rare words more than
//! common ones), and two fields are as similar as their terms can be paired up.

use std::collections::{HashMap, HashSet};

use super::dictionary::{Dictionary, Term, Token};
use super::normalise::{split_compound, stem};
use super::tokenize::{split_path, words};

/// Weight of a term by how far its segment is from the leaf: the leaf names the field, the
/// parents give context (`BillAddr.City` vs `ShipAddr.City`).
const DEPTH_WEIGHT: [f64; 4] = [1.0, 0.55, 0.4, 0.3];

/// Wrapper words of JSON APIs that say nothing about the value (`data.attributes.email`,
/// `Name_Detail_Data.First_Name`, `CurrencyRef.value`): they weigh little wherever they appear.
const FILLER: &[&str] = &[
    "data",
    "attribute",
    "attr",
    "property",
    "prop",
    "field",
    "record",
    "object",
    "obj",
    "payload",
    "result",
    "response",
    "node",
    "edge",
    "value",
    "val",
    "detail",
    "meta",
    "metadata",
    "info",
    // A boolean's marker (`ActiveInd`, `is_deleted_flag`): the type already says it.
    "indicator",
    "ind",
    "flag",
    "flg",
];

/// Whether a stem is a wrapper word's (`value` stems to `valu`, so stems are compared).
fn is_filler(stem_key: &str) -> bool {
    static STEMS: std::sync::LazyLock<HashSet<String>> =
        std::sync::LazyLock::new(|| FILLER.iter().map(|w| stem(w)).collect());
    STEMS.contains(stem_key)
}

/// Weight of a filler word relative to a meaningful one.
const FILLER_WEIGHT: f64 = 0.15;

/// Weight of a word naming the schema's own object relative to a meaningful one.
const ENTITY_WEIGHT: f64 = 0.3;

/// Weight of a parent segment's word in the flat view, relative to a leaf word.
const FLAT_PARENT_WEIGHT: f64 = 0.6;

/// Share of the flat view's similarity that counts: it ignores the structure the term view
/// sees, so it only carries pairs whose words agree across segments.
const FLAT_SHARE: f64 = 0.85;

/// The parents together weigh at most this share of the leaf: deep paths keep their context
/// without drowning the leaf's own name.
const PARENT_CAP: f64 = 0.8;

/// Similarity of two terms that share a dictionary group.
pub const SYNONYM: f64 = 0.9;
/// Similarity of two terms whose dictionary groups are related (`id` / `reference`).
pub const RELATED: f64 = 0.6;
/// Share of the shared-word similarity kept by two phrases of different dictionary groups.
pub const DISTINCT_PHRASES: f64 = 0.4;
/// Share of a term match kept in the structured view when a leaf's term is matched by a
/// parent's (`film_category.film_id` vs `film_category.category_id`: the second `film` names the
/// table, not the column). The flat view still sees words across segments.
pub const CROSS_DEPTH: f64 = 0.6;
/// Similarity of two terms linked by accepted feedback.
pub const LEARNED: f64 = 0.85;

/// A field name reduced to weighted terms.
#[derive(Debug, Clone, Default)]
pub struct NameRepr {
    /// Interned term ids with their weights (depth × rarity).
    pub terms: Vec<(u32, f64)>,
    /// The path's single words, segment boundaries and phrases ignored, with their weights
    /// (rarity, leaf over parents): the flat view that matches `AccountRef.name` with
    /// `account_name` whichever segment a word sits in.
    pub flat: Vec<(u32, f64)>,
    /// Interned ids of the leaf segment's terms.
    pub leaf: Vec<u32>,
    /// The leaf's words run together (`customerid`), for initialisms.
    pub leaf_joined: String,
    /// Share of the leaf's terms that are known words (dictionary terms): a name made of known
    /// words that differ from the other name's is evidence against the pair, a code-like name
    /// (`davckrcj`, `A`) is no evidence at all.
    pub known: f64,
    /// Number of parent segments.
    pub depth: usize,
    /// Interned ids of the parent segments' meaningful terms (wrapper words left out): the
    /// object the field belongs to (`assignee` in `assignee.id`).
    pub parents: Vec<u32>,
}

/// All distinct terms of both schemas, and a cache of their pairwise similarities.
#[derive(Debug, Default)]
pub struct Vocabulary {
    /// Terms by id.
    pub terms: Vec<Term>,
    ids: HashMap<String, u32>,
}

impl Vocabulary {
    fn intern(&mut self, term: Term) -> u32 {
        let key = term.key();
        if let Some(id) = self.ids.get(&key) {
            return *id;
        }
        let id = self.terms.len() as u32;
        self.terms.push(term);
        self.ids.insert(key, id);
        id
    }
}

/// Words used to split run-together words: the dictionary's and every word of both schemas.
pub fn compound_vocab<'a>(
    dict: &Dictionary,
    paths: impl Iterator<Item = &'a str>,
) -> HashSet<String> {
    let mut vocab = dict.vocab().clone();
    for p in paths {
        for seg in split_path(p) {
            vocab.extend(
                seg.words
                    .into_iter()
                    .filter(|w| w.len() >= 3 && w.chars().all(|c| c.is_ascii_alphabetic())),
            );
        }
    }
    vocab
}

/// Stems of the words naming the object a schema describes (`unanet.UnanetCompany` → `unanet`,
/// `company`): inside that object, `CompanyId` is its `id`. Empty for a schema of several
/// tables (`actor+address+…`), whose fields belong to different objects.
pub fn entity_stems(schema_name: &str) -> HashSet<String> {
    let last = schema_name.rsplit('.').next().unwrap_or("");
    let object = last.split('(').next().unwrap_or("");
    if object.contains('+') {
        return HashSet::new();
    }
    words(object)
        .iter()
        .filter(|w| w.len() >= 3)
        .map(|w| stem(w))
        .filter(|s| !is_filler(s))
        .collect()
}

/// How much a term says about its field, before depth and rarity: wrapper words and the name of
/// the schema's own object (`Company` in `CompanyId` of a company) say little.
fn term_weight(term: &Term, entity: &HashSet<String>) -> f64 {
    if term.stems.len() == 1 && is_filler(&term.stems[0]) {
        FILLER_WEIGHT
    } else if !entity.is_empty() && term.stems.iter().all(|s| entity.contains(s)) {
        ENTITY_WEIGHT
    } else {
        1.0
    }
}

/// Builds the weighted terms of every field of one schema. Rarity (inverse document frequency
/// within the schema) lowers words that every field repeats (`properties.`, `Ref.value`);
/// `entity` holds the stems of the schema's object name (`entity_stems`).
pub fn represent(
    paths: &[&str],
    entity: &HashSet<String>,
    dict: &Dictionary,
    compounds: &HashSet<String>,
    vocab: &mut Vocabulary,
) -> Vec<NameRepr> {
    // Per field: (term id, depth) pairs, leaf term ids, leaf words run together.
    type Raw = (Vec<(u32, usize)>, Vec<u32>, String, Vec<(u32, usize)>);
    let mut raw: Vec<Raw> = Vec::with_capacity(paths.len());
    let mut known_share = Vec::with_capacity(paths.len());
    let mut depths = Vec::with_capacity(paths.len());
    let mut df: HashMap<u32, usize> = HashMap::new();
    for path in paths {
        let segments = split_path(path);
        let depth_count = segments.len();
        let mut terms = Vec::new();
        let mut leaf = Vec::new();
        let mut leaf_joined = String::new();
        let mut seg_tokens: Vec<Vec<Token>> = segments
            .iter()
            .map(|seg| {
                let mut tokens = Vec::new();
                for w in &seg.words {
                    match split_compound(w, compounds, dict.short_vocab()) {
                        Some(pieces) => tokens.extend(pieces.into_iter().map(|p| Token {
                            stem: stem(&p),
                            word: p,
                        })),
                        None => tokens.push(Token {
                            stem: stem(w),
                            word: w.clone(),
                        }),
                    }
                }
                tokens
            })
            .collect();
        let flat = flat_terms(&seg_tokens, dict, vocab);
        let mut leaf_phrase = None;
        if let [.., parent, leaf_tokens] = seg_tokens.as_mut_slice() {
            // A phrase split over the last two segments names the leaf: `phones[].number` is a
            // phone number, `emails[].address` an e-mail address.
            for k in 1..=parent.len().min(3) {
                let mut span: Vec<Token> = parent[parent.len() - k..].to_vec();
                span.extend(leaf_tokens.iter().cloned());
                if let Some(group) = dict.whole_phrase(&span) {
                    parent.truncate(parent.len() - k);
                    leaf_phrase = Some(Term {
                        text: span
                            .iter()
                            .map(|t| t.word.as_str())
                            .collect::<Vec<_>>()
                            .join(" "),
                        stems: span.iter().map(|t| t.stem.clone()).collect(),
                        groups: vec![group],
                    });
                    break;
                }
            }
        }
        // A leaf made only of wrapper words (`CurrencyRef.value`, `ID[].$value`) holds the value
        // its parent names: the parent counts as part of the leaf.
        let wrapped = depth_count >= 2
            && leaf_phrase.is_none()
            && seg_tokens
                .last()
                .is_some_and(|t| !t.is_empty() && t.iter().all(|t| is_filler(&t.stem)));
        depths.push(depth_count.saturating_sub(if wrapped { 2 } else { 1 }));
        for (i, tokens) in seg_tokens.iter().enumerate() {
            let mut depth = depth_count - 1 - i;
            if wrapped {
                depth = depth.saturating_sub(1);
            }
            let seg = &segments[i];
            let seg_terms = match (&leaf_phrase, depth) {
                (Some(term), 0) => vec![term.clone()],
                _ => dict.terms(tokens),
            };
            for term in seg_terms {
                let id = vocab.intern(term);
                terms.push((id, depth));
                if depth == 0 {
                    leaf.push(id);
                }
            }
            if depth == 0 && leaf_joined.is_empty() {
                leaf_joined = seg.words.concat();
            }
        }
        let known = leaf
            .iter()
            .filter(|id| {
                vocab.terms.get(**id as usize).is_some_and(|t| {
                    !t.groups.is_empty()
                        || t.text
                            .split(' ')
                            .all(|w| w.len() >= 3 && dict.vocab().contains(w))
                })
            })
            .count();
        known_share.push(if leaf.is_empty() {
            0.0
        } else {
            known as f64 / leaf.len() as f64
        });
        let mut seen = HashSet::new();
        for (id, _) in terms.iter().chain(&flat) {
            if seen.insert(*id) {
                *df.entry(*id).or_default() += 1;
            }
        }
        raw.push((terms, leaf, leaf_joined, flat));
    }
    let n = paths.len().max(1) as f64;
    raw.into_iter()
        .zip(known_share)
        .zip(depths)
        .map(|(((terms, leaf, leaf_joined, flat), known), depth)| {
            let mut terms: Vec<(u32, f64, usize)> = terms
                .into_iter()
                .map(|(id, depth)| {
                    let idf = (1.0 + n / df.get(&id).copied().unwrap_or(1) as f64).ln();
                    let w = DEPTH_WEIGHT[depth.min(DEPTH_WEIGHT.len() - 1)]
                        * idf
                        * vocab
                            .terms
                            .get(id as usize)
                            .map_or(1.0, |t| term_weight(t, entity));
                    (id, w, depth)
                })
                .collect();
            let parents: Vec<u32> = terms
                .iter()
                .filter(|t| {
                    t.2 > 0
                        && vocab.terms.get(t.0 as usize).is_some_and(|term| {
                            !(term.stems.len() == 1 && is_filler(&term.stems[0]))
                        })
                })
                .map(|t| t.0)
                .collect();
            let leaf_sum: f64 = terms.iter().filter(|t| t.2 == 0).map(|t| t.1).sum();
            let parent_sum: f64 = terms.iter().filter(|t| t.2 > 0).map(|t| t.1).sum();
            if leaf_sum > 0.0 && parent_sum > PARENT_CAP * leaf_sum {
                let scale = PARENT_CAP * leaf_sum / parent_sum;
                for t in terms.iter_mut().filter(|t| t.2 > 0) {
                    t.1 *= scale;
                }
            }
            let terms = terms.into_iter().map(|(id, w, _)| (id, w)).collect();
            let flat = flat
                .into_iter()
                .map(|(id, depth)| {
                    let idf = (1.0 + n / df.get(&id).copied().unwrap_or(1) as f64).ln();
                    let w = if depth == 0 { 1.0 } else { FLAT_PARENT_WEIGHT }
                        * idf
                        * vocab
                            .terms
                            .get(id as usize)
                            .map_or(1.0, |t| term_weight(t, entity));
                    (id, w)
                })
                .collect();
            NameRepr {
                terms,
                flat,
                leaf,
                leaf_joined,
                known,
                depth,
                parents,
            }
        })
        .collect()
}

/// The single words of a path's segments as terms, each with its segment's distance from the
/// leaf; stop words and repeats are dropped.
fn flat_terms(
    seg_tokens: &[Vec<Token>],
    dict: &Dictionary,
    vocab: &mut Vocabulary,
) -> Vec<(u32, usize)> {
    let mut out: Vec<(u32, usize)> = Vec::new();
    for (i, tokens) in seg_tokens.iter().enumerate().rev() {
        let depth = seg_tokens.len() - 1 - i;
        for t in tokens {
            if super::normalise::is_stop_word(&t.word) {
                continue;
            }
            let id = vocab.intern(Term {
                text: t.word.clone(),
                stems: vec![t.stem.clone()],
                groups: dict.groups_of(&t.stem).to_vec(),
            });
            if !out.iter().any(|(x, _)| *x == id) {
                out.push((id, depth));
            }
        }
    }
    out
}

/// Largest dense similarity table (source terms × target terms) before falling back to a map.
const DENSE_LIMIT: usize = 4_000_000;

/// Pairwise term similarities between the source's and the target's vocabularies, computed on
/// first use. A dense table keeps the inner loop of 500 × 500-field schemas free of hashing.
pub struct TermCache<'a> {
    vocab: &'a Vocabulary,
    learned: &'a HashSet<(String, String)>,
    related: Option<&'a Dictionary>,
    row: Vec<u32>,
    col: Vec<u32>,
    /// Term id of each local row and column.
    row_ids: Vec<u32>,
    col_ids: Vec<u32>,
    cols: usize,
    dense: Vec<f32>,
    sparse: HashMap<(u32, u32), f64>,
}

const NONE: u32 = u32::MAX;

impl<'a> TermCache<'a> {
    /// A cache over one vocabulary, with token correspondences learned from feedback.
    /// `source` and `target` are the fields whose term pairs will be asked for most.
    pub fn new(
        vocab: &'a Vocabulary,
        learned: &'a HashSet<(String, String)>,
        source: &[NameRepr],
        target: &[NameRepr],
    ) -> Self {
        let local = |fields: &[NameRepr]| {
            let mut map = vec![NONE; vocab.terms.len()];
            let mut ids = Vec::new();
            for f in fields {
                for (id, _) in f.terms.iter().chain(&f.flat) {
                    if let Some(slot) = map.get_mut(*id as usize).filter(|s| **s == NONE) {
                        *slot = ids.len() as u32;
                        ids.push(*id);
                    }
                }
            }
            (map, ids)
        };
        let (row, row_ids) = local(source);
        let (col, col_ids) = local(target);
        let (rows, cols) = (row_ids.len(), col_ids.len());
        let dense = if rows * cols <= DENSE_LIMIT {
            vec![-1.0; rows * cols]
        } else {
            Vec::new()
        };
        TermCache {
            vocab,
            learned,
            related: None,
            row,
            col,
            row_ids,
            col_ids,
            cols,
            dense,
            sparse: HashMap::new(),
        }
    }

    /// Also counts terms of related dictionary groups (`~` lines) as partly alike.
    pub fn with_related(mut self, dict: &'a Dictionary) -> Self {
        self.related = Some(dict);
        self
    }

    /// Computes every source-term × target-term similarity up front, so that `name_sim_dense`
    /// can read them without branching. Returns whether the dense table exists.
    pub fn fill(&mut self) -> bool {
        if self.dense.is_empty() {
            return false;
        }
        let (rows, cols) = (
            std::mem::take(&mut self.row_ids),
            std::mem::take(&mut self.col_ids),
        );
        for (r, &a) in rows.iter().enumerate() {
            for (c, &b) in cols.iter().enumerate() {
                let v = self.sim(a, b) as f32;
                if let Some(slot) = self.dense.get_mut(r * self.cols + c) {
                    *slot = v;
                }
            }
        }
        self.row_ids = rows;
        self.col_ids = cols;
        true
    }

    /// Offsets into the dense table of a source field's terms (`rows`) or a target field's
    /// terms (`!rows`); `None` without a dense table.
    pub fn offsets(&self, f: &NameRepr, rows: bool) -> Option<Vec<u32>> {
        if self.dense.is_empty() {
            return None;
        }
        let (map, scale) = if rows {
            (&self.row, self.cols as u32)
        } else {
            (&self.col, 1)
        };
        f.terms
            .iter()
            .chain(&f.flat)
            .map(|(id, _)| {
                map.get(*id as usize)
                    .filter(|r| **r != NONE)
                    .map(|r| r * scale)
            })
            .collect()
    }

    /// `name_sim` from a filled dense table (`fill`), given both fields' `offsets`.
    pub fn name_sim_dense(&self, a: &NameRepr, rows: &[u32], b: &NameRepr, cols: &[u32]) -> f64 {
        let dense = &self.dense;
        name_sim_with(a, b, self, |x, y| match (rows.get(x), cols.get(y)) {
            (Some(r), Some(c)) => dense.get((r + c) as usize).map_or(0.0, |v| f64::from(*v)),
            _ => 0.0,
        })
    }

    /// Similarity of two interned terms.
    pub fn sim(&mut self, a: u32, b: u32) -> f64 {
        if a == b {
            return 1.0;
        }
        let slot = match (self.row.get(a as usize), self.col.get(b as usize)) {
            (Some(&r), Some(&c)) if r != NONE && c != NONE && !self.dense.is_empty() => {
                Some(r as usize * self.cols + c as usize)
            }
            _ => None,
        };
        if let Some(i) = slot {
            let v = self.dense[i];
            if v >= 0.0 {
                return f64::from(v);
            }
        } else if let Some(s) = self.sparse.get(&(a, b)) {
            return *s;
        }
        let (ta, tb) = (&self.vocab.terms[a as usize], &self.vocab.terms[b as usize]);
        let mut s = term_sim(ta, tb, self.learned);
        if s < RELATED
            && let Some(dict) = self.related
            && ta
                .groups
                .iter()
                .any(|g| tb.groups.iter().any(|h| dict.groups_related(*g, *h)))
        {
            s = RELATED;
        }
        match slot {
            Some(i) => self.dense[i] = s as f32,
            None => {
                self.sparse.insert((a, b), s);
            }
        }
        s
    }

    /// Word correspondences learned from feedback.
    pub fn learned(&self) -> &HashSet<(String, String)> {
        self.learned
    }

    /// The term behind an id.
    pub fn term(&self, id: u32) -> Option<&Term> {
        self.vocab.terms.get(id as usize)
    }
}

/// Similarity of two terms: equal stems, dictionary synonyms, learned correspondences,
/// abbreviations (`qty`/`quantity`), shared words of phrases, and spelling variants.
pub fn term_sim(a: &Term, b: &Term, learned: &HashSet<(String, String)>) -> f64 {
    if a.stems == b.stems {
        return 1.0;
    }
    if a.groups.iter().any(|g| b.groups.contains(g)) {
        return SYNONYM;
    }
    if !learned.is_empty() {
        let (ka, kb) = (a.key(), b.key());
        if learned.contains(&(ka.clone(), kb.clone())) || learned.contains(&(kb, ka)) {
            return LEARNED;
        }
    }
    if a.stems.len() > 1 || b.stems.len() > 1 {
        // Phrases that share words (`display name` / `name`) are partly alike.
        let common = a.stems.iter().filter(|s| b.stems.contains(s)).count();
        // Sharing the head word (`txn date` / `date`) says more than sharing a modifier.
        let head = if a.stems.last() == b.stems.last() {
            0.15
        } else {
            0.0
        };
        let shared = 0.8 * common as f64 / a.stems.len().max(b.stems.len()) as f64 + head;
        // Two phrases the dictionary knows as different concepts (`first name` / `last name`,
        // `due date` / `start date`) share a word, not a meaning.
        if a.stems.len() > 1 && b.stems.len() > 1 && !a.groups.is_empty() && !b.groups.is_empty() {
            return shared * DISTINCT_PHRASES;
        }
        return shared;
    }
    let (wa, wb) = (a.text.as_str(), b.text.as_str());
    let (short, long) = if wa.len() <= wb.len() {
        (wa, wb)
    } else {
        (wb, wa)
    };
    if let Some(s) = abbreviation(short, long) {
        return s;
    }
    if short.len() >= 4 && wa.chars().next() == wb.chars().next() {
        let jw = strsim::jaro_winkler(wa, wb);
        if jw >= 0.9 {
            return (0.5 + (jw - 0.9) * 3.5).min(0.85);
        }
    }
    0.0
}

/// Whether `short` abbreviates `long` (same first letter, letters in order: `qty`/`quantity`,
/// `dept`/`department`, `cid`/`customerid`), and how strongly.
pub fn abbreviation(short: &str, long: &str) -> Option<f64> {
    if short.is_empty() || long.len() < short.len() + 2 || !short.chars().all(|c| c.is_alphabetic())
    {
        return None;
    }
    if short.chars().next() != long.chars().next() {
        return None;
    }
    let mut rest = long.chars();
    if !short.chars().all(|c| rest.any(|d| d == c)) {
        return None;
    }
    Some(match short.chars().count() {
        1 => 0.35,
        2 => 0.5,
        _ => 0.75,
    })
}

/// Similarity of two field names, 0..1: each side's terms are paired with their best match on
/// the other side, weighted, in both directions; the flat view of the words counts too.
pub fn name_sim(a: &NameRepr, b: &NameRepr, cache: &mut TermCache<'_>) -> f64 {
    let ids = |f: &NameRepr| -> Vec<u32> { f.terms.iter().chain(&f.flat).map(|t| t.0).collect() };
    let (xs, ys) = (ids(a), ids(b));
    let sims: Vec<f64> = xs
        .iter()
        .flat_map(|x| ys.iter().map(move |y| (*x, *y)))
        .map(|(x, y)| cache.sim(x, y))
        .collect();
    let n = ys.len();
    name_sim_with(a, b, cache, |x, y| {
        sims.get(x * n + y).copied().unwrap_or(0.0)
    })
}

/// `name_sim` with term similarities by position (`sim(i, j)` for the i-th term of `a` and the
/// j-th of `b`, the flat view's terms numbered after the term view's).
fn name_sim_with(
    a: &NameRepr,
    b: &NameRepr,
    cache: &TermCache<'_>,
    sim: impl Fn(usize, usize) -> f64,
) -> f64 {
    // Leaves spelled alike once run together (`eTag` / `etag`) are the same word.
    let same_leaf = !a.leaf_joined.is_empty() && a.leaf_joined == b.leaf_joined;
    // The leaf's terms come last.
    let (la, lb) = (
        a.terms.len().saturating_sub(a.leaf.len()),
        b.terms.len().saturating_sub(b.leaf.len()),
    );
    // Only between two nested fields: a top-level name often spells its parent's words into
    // the leaf (`VendorRef.name` → `vendor_name`).
    let cross = if la > 0 && lb > 0 { CROSS_DEPTH } else { 1.0 };
    let terms = soft_match(&a.terms, &b.terms, |x, y| {
        if same_leaf && a.leaf.contains(&a.terms[x].0) && b.leaf.contains(&b.terms[y].0) {
            1.0
        } else if (x >= la) == (y >= lb) {
            sim(x, y)
        } else {
            cross * sim(x, y)
        }
    });
    let (ka, kb) = (a.terms.len(), b.terms.len());
    let flat = soft_match(&a.flat, &b.flat, |x, y| sim(ka + x, kb + y));
    let full = terms.max(FLAT_SHARE * flat);
    if a.leaf.len() == 1 || b.leaf.len() == 1 {
        full.max(initialism(a, b, cache))
            .max(initialism(b, a, cache))
    } else {
        full
    }
}

/// Weighted mean of each term's best match on the other side, both directions (a symmetric
/// Monge-Elkan), from one pass over the pairs.
fn soft_match(a: &[(u32, f64)], b: &[(u32, f64)], sim: impl Fn(usize, usize) -> f64) -> f64 {
    let mut best_b = [0.0f64; 32];
    let (mut num, mut den) = (0.0, 0.0);
    for (x, (_, wa)) in a.iter().enumerate() {
        let mut best = 0.0f64;
        for y in 0..b.len() {
            let s = sim(x, y);
            best = best.max(s);
            if let Some(slot) = best_b.get_mut(y) {
                *slot = slot.max(s);
            }
        }
        num += wa * best;
        den += wa;
    }
    for (k, (_, wb)) in b.iter().enumerate() {
        num += wb * best_b.get(k).copied().unwrap_or(0.0);
        den += wb;
    }
    if den > 0.0 { num / den } else { 0.0 }
}

/// A one-word leaf that abbreviates the other leaf's words (`CID` / `CustomerID`).
fn initialism(a: &NameRepr, b: &NameRepr, cache: &TermCache<'_>) -> f64 {
    let [only] = a.leaf.as_slice() else {
        return 0.0;
    };
    if b.leaf.len() < 2 {
        return 0.0;
    }
    let Some(term) = cache.term(*only) else {
        return 0.0;
    };
    if term.stems.len() != 1 || !term.groups.is_empty() || !(2..=5).contains(&term.text.len()) {
        return 0.0;
    }
    let words: Vec<&str> = b
        .leaf
        .iter()
        .filter_map(|id| cache.term(*id))
        .flat_map(|t| t.text.split(' '))
        .collect();
    match abbreviation(&term.text, &b.leaf_joined) {
        Some(s) if initialism_of(term.text.as_bytes(), &words) => s * 0.9,
        _ => 0.0,
    }
}

/// Whether `short` spells the initials of `words`, each word's first letter in turn, optionally
/// followed by more of that word's letters (`cid` / customer id, `dob` / date of birth, `pid` /
/// product id; not `ssn` / supervisor secondary code, whose last word has no letter).
pub fn initialism_of(short: &[u8], words: &[&str]) -> bool {
    let Some((word, rest)) = words.split_first() else {
        return short.is_empty();
    };
    let (Some(first), Some(c)) = (word.as_bytes().first(), short.first()) else {
        return false;
    };
    if first != c {
        return false;
    }
    // After the initial, the next `k` letters of `short` may come from the same word.
    let tail = &word.as_bytes()[1..];
    let mut pos = 0;
    for k in 0..short.len() {
        if k > 0 {
            match tail[pos..].iter().position(|b| *b == short[k]) {
                Some(p) => pos += p + 1,
                None => return false,
            }
        }
        if initialism_of(&short[k + 1..], rest) {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::super::dictionary::builtin;
    use super::*;

    fn sims(sources: &[&str], targets: &[&str]) -> Vec<Vec<f64>> {
        let dict = builtin();
        let compounds = compound_vocab(dict, sources.iter().chain(targets).copied());
        let mut vocab = Vocabulary::default();
        let s = represent(sources, &HashSet::new(), dict, &compounds, &mut vocab);
        let t = represent(targets, &HashSet::new(), dict, &compounds, &mut vocab);
        let learned = HashSet::new();
        let mut cache = TermCache::new(&vocab, &learned, &s, &t);
        s.iter()
            .map(|a| t.iter().map(|b| name_sim(a, b, &mut cache)).collect())
            .collect()
    }

    /// `expected` names, for each source, the target it should be most similar to.
    fn check(sources: &[&str], targets: &[&str], expected: &[&str]) {
        let m = sims(sources, targets);
        for (i, row) in m.iter().enumerate() {
            let best = row
                .iter()
                .enumerate()
                .max_by(|x, y| x.1.total_cmp(y.1))
                .map(|(j, _)| targets[j]);
            assert_eq!(
                best,
                Some(expected[i]),
                "best target for {} (scores {row:?})",
                sources[i]
            );
        }
    }

    #[test]
    fn parent_context_separates_billing_from_shipping() {
        check(
            &["BillAddr.City", "ShipAddr.City", "BillAddr.PostalCode"],
            &[
                "shipping_address.city",
                "billing_address.city",
                "billing_address.zip",
            ],
            &[
                "billing_address.city",
                "shipping_address.city",
                "billing_address.zip",
            ],
        );
    }

    #[test]
    fn synonyms_abbreviations_and_initialisms_match() {
        check(
            &[
                "fname",
                "CID",
                "qty",
                "MetaData.CreateTime",
                "department_uuid",
                "PrimaryPhone.FreeFormNumber",
                "Fax.FreeFormNumber",
            ],
            &[
                "first_name",
                "CustomerID",
                "quantity",
                "created_at",
                "department.id",
                "phone",
                "fax",
            ],
            &[
                "first_name",
                "CustomerID",
                "quantity",
                "created_at",
                "department.id",
                "phone",
                "fax",
            ],
        );
    }

    #[test]
    fn wrapper_leaves_and_run_together_spellings_match() {
        check(
            &[
                "CurrencyRef.value",
                "CurrencyRef.type",
                "eTag",
                "Worker_Reference.ID[].$value",
            ],
            &["currency", "etag", "currency_type", "worker_id"],
            &["currency", "currency_type", "etag", "worker_id"],
        );
    }

    #[test]
    fn dense_and_lazy_name_similarity_agree() {
        let dict = builtin();
        let (sources, targets) = (
            ["BillAddr.City", "CID", "eTag", "AccountRef.value"],
            ["billing_address.city", "CustomerID", "etag", "account_id"],
        );
        let compounds = compound_vocab(dict, sources.iter().chain(&targets).copied());
        let mut vocab = Vocabulary::default();
        let s = represent(&sources, &HashSet::new(), dict, &compounds, &mut vocab);
        let t = represent(&targets, &HashSet::new(), dict, &compounds, &mut vocab);
        let learned = HashSet::new();
        let mut lazy = TermCache::new(&vocab, &learned, &s, &t).with_related(dict);
        let mut dense = TermCache::new(&vocab, &learned, &s, &t).with_related(dict);
        assert!(dense.fill());
        for a in &s {
            for b in &t {
                let (r, c) = (
                    dense.offsets(a, true).unwrap_or_default(),
                    dense.offsets(b, false).unwrap_or_default(),
                );
                let (x, y) = (
                    name_sim(a, b, &mut lazy),
                    dense.name_sim_dense(a, &r, b, &c),
                );
                assert!((x - y).abs() < 1e-6, "{x} vs {y}");
            }
        }
    }

    #[test]
    fn initialisms_use_every_word() {
        let table: [(&str, &[&str], bool); 7] = [
            ("cid", &["customer", "id"], true),
            ("dob", &["date", "of", "birth"], true),
            ("pid", &["product", "id"], true),
            ("ssn", &["social", "security", "number"], true),
            ("ssn", &["supervisor", "secondary", "code"], false),
            ("cid", &["customer"], false),
            ("id", &["customer", "identifier"], false),
        ];
        for (short, words, expected) in table {
            assert_eq!(
                initialism_of(short.as_bytes(), words),
                expected,
                "initialism_of({short}, {words:?})"
            );
        }
    }

    #[test]
    fn object_names_of_schemas() {
        let table: [(&str, &[&str]); 4] = [
            ("unanet.UnanetCompany", &["unanet", "company"]),
            ("pennylane.Customer(api)", &["customer"]),
            ("gorgias.GorgiasMessageResponse", &["gorgias", "message"]),
            ("actor+address+city", &[]),
        ];
        for (name, expected) in table {
            let mut got: Vec<String> = entity_stems(name).into_iter().collect();
            got.sort();
            let mut want: Vec<String> = expected.iter().map(|w| stem(w)).collect();
            want.sort();
            assert_eq!(got, want, "entity_stems({name})");
        }
    }

    #[test]
    fn abbreviations() {
        let table = [
            ("qty", "quantity", true),
            ("dept", "department", true),
            ("xq", "quantity", false),
            ("qty", "qt", false),
        ];
        for (s, l, expected) in table {
            assert_eq!(
                abbreviation(s, l).is_some(),
                expected,
                "abbreviation({s}, {l})"
            );
        }
    }
}
