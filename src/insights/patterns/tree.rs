//! The clusters behind the patterns and the fixed-depth tree that finds a message's candidates.
//!
//! As in Drain (He et al., ICWS 2017), messages are routed by their token count and first token,
//! then compared with the few clusters of that leaf by token similarity. Unlike Drain, each
//! token position of a template remembers its segments (literal runs, typed variables and their
//! value while constant), so a template generalises piece by piece (`user=<*>`, `blk_<NUM>`,
//! `/v<*>/sobjects/<*>/`) instead of turning a whole token into `<*>`.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::mask::{Kind, SegKind, Segment, Token};

/// One segment of a template position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TSeg {
    /// Text every message of the cluster has here.
    Lit(String),
    /// A masked value; `value` is kept while every message had the same one.
    Var {
        /// Kind of value.
        kind: Kind,
        /// Whether it is masked even while constant (until the cluster is large enough).
        strong: bool,
        /// The value while it has not changed.
        value: Option<String>,
    },
    /// Text that differed between messages.
    Wild,
}

/// One token position of a template: a sequence of segments, where a [`TSeg::Wild`] stands for
/// any number of the token's segments (so `[<*>]` covers `[a]` and `[a, b]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Slot(pub Vec<TSeg>);

/// How a token fits a template position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    /// Same text, or same kinds of variables in the same places.
    Exact,
    /// Fits only through a part already known to vary.
    Wild,
    /// Does not fit.
    Miss,
}

/// A group of messages sharing one template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cluster {
    /// Stable id of the pattern.
    pub id: u64,
    /// One slot per token.
    pub slots: Vec<Slot>,
    /// Messages added to it.
    pub count: u64,
    /// The first-token part of its leaf key in the tree.
    pub route: String,
    /// The rendered template while no slot changed since.
    #[serde(skip)]
    pub cache: Option<String>,
    /// The pattern this one was merged into, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<u64>,
}

/// How templates are written.
#[derive(Debug, Clone, Copy)]
pub struct Render {
    /// A strong variable that kept one value over at least this many messages is shown literally.
    pub literal_after: u64,
    /// Write `<NUM>`, `<IP>`… rather than `<*>`.
    pub typed: bool,
}

impl Slot {
    /// A new slot holding exactly `token`.
    pub fn from_token(token: &Token<'_>) -> Slot {
        Slot(token.segments.iter().map(|s| seg_of(token, s)).collect())
    }

    /// How `token` fits this slot.
    pub fn fit(&self, token: &Token<'_>) -> Fit {
        if self.0.len() == 1 && self.0[0] == TSeg::Wild {
            return Fit::Wild;
        }
        let has_wild = self.0.contains(&TSeg::Wild);
        if !has_wild {
            let same = self.0.len() == token.segments.len()
                && self
                    .0
                    .iter()
                    .zip(&token.segments)
                    .all(|(t, s)| compatible(t, token, s));
            return if same { Fit::Exact } else { Fit::Miss };
        }
        if align(&self.0, token).is_some() {
            Fit::Wild
        } else {
            Fit::Miss
        }
    }

    /// Whether the slot is literal text only, with no variable or wildcard.
    pub fn is_literal(&self) -> bool {
        self.0.iter().all(|s| matches!(s, TSeg::Lit(_)))
    }

    /// Whether the slot is one literal plain word (letters, maybe closing punctuation).
    pub fn is_word(&self) -> bool {
        let mut words = 0;
        for seg in &self.0 {
            match seg {
                TSeg::Lit(t) if t.chars().all(char::is_alphabetic) => words += 1,
                TSeg::Lit(t)
                    if t.len() == 1
                        && matches!(
                            t.as_bytes()[0],
                            b'.' | b','
                                | b':'
                                | b';'
                                | b'!'
                                | b'?'
                                | b'"'
                                | b'\''
                                | b'('
                                | b')'
                                | b'['
                                | b']'
                                | b'{'
                                | b'}'
                        ) => {}
                _ => return false,
            }
        }
        words == 1
    }

    /// Generalises this slot so that it also covers everything `other` covers.
    pub fn merge(&mut self, other: &Slot) {
        if self == other {
            return;
        }
        if self.0.len() != other.0.len() {
            self.0 = vec![TSeg::Wild];
            return;
        }
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            let differs = match (&*a, b) {
                (TSeg::Lit(x), TSeg::Lit(y)) => x != y,
                (TSeg::Var { kind: x, .. }, TSeg::Var { kind: y, .. }) => x != y,
                (TSeg::Wild, _) => false,
                _ => true,
            };
            if differs {
                *a = TSeg::Wild;
                continue;
            }
            match (&mut *a, b) {
                (_, TSeg::Wild) => *a = TSeg::Wild,
                (
                    TSeg::Var { value, strong, .. },
                    TSeg::Var {
                        value: v,
                        strong: st,
                        ..
                    },
                ) => {
                    if value != v {
                        *value = None;
                    }
                    *strong |= *st;
                }
                _ => {}
            }
        }
    }

    /// Generalises this slot so that it also covers `token`.
    /// Returns whether the slot changed.
    pub fn absorb(&mut self, token: &Token<'_>) -> bool {
        // The common case, a slot without wildcards matching segment for segment, needs no
        // alignment (and no allocation).
        let direct = self.0.len() == token.segments.len()
            && !self.0.contains(&TSeg::Wild)
            && self
                .0
                .iter()
                .zip(&token.segments)
                .all(|(t, s)| compatible(t, token, s));
        if direct {
            let mut changed = false;
            for (t, s) in self.0.iter_mut().zip(&token.segments) {
                changed |= absorb_var(t, token, s);
            }
            return changed;
        }
        if let Some(spans) = align(&self.0, token) {
            let mut changed = false;
            for (t, &(a, b)) in self.0.iter_mut().zip(&spans) {
                if b > a {
                    changed |= absorb_var(t, token, &token.segments[a]);
                }
            }
            return changed;
        }
        let merged = generalise(&self.0, token);
        self.0 = collapse(merged);
        true
    }

    /// Writes this slot's template text.
    pub fn render(&self, count: u64, r: Render, out: &mut String) {
        for item in self.items(count, r) {
            match item {
                Item::Text(t) => out.push_str(t),
                Item::Placeholder(p, ..) => out.push_str(p),
            }
        }
    }

    /// The values of `token` at this slot's placeholders.
    pub fn parameters(&self, token: &Token<'_>, count: u64, r: Render, out: &mut Vec<String>) {
        // Most slots are literal text: no placeholder, no parameter.
        if self.0.iter().all(|s| matches!(s, TSeg::Lit(_))) {
            return;
        }
        let Some(spans) = align(&self.0, token) else {
            out.push(token.raw.to_owned());
            return;
        };
        // Byte range each template segment covers in the token.
        let mut ranges = Vec::with_capacity(spans.len());
        let mut cursor = 0;
        for &(a, b) in &spans {
            let range = if b > a {
                (token.segments[a].start, token.segments[b - 1].end)
            } else {
                (cursor, cursor)
            };
            cursor = range.1;
            ranges.push(range);
        }
        for item in self.items(count, r) {
            if let Item::Placeholder(_, first, last) = item {
                let (a, b) = (ranges[first].0, ranges[last].1);
                out.push(token.raw.get(a..b).unwrap_or("").to_owned());
            }
        }
    }

    /// The slot as text and placeholders. Placeholders next to each other, or separated only by
    /// a space inside one value (`12 KB` whose unit varies), read as one `<*>`.
    fn items(&self, count: u64, r: Render) -> Vec<Item<'_>> {
        let mut items: Vec<Item<'_>> = Vec::with_capacity(self.0.len());
        for (k, seg) in self.0.iter().enumerate() {
            match shown(seg, count, r) {
                Shown::Text(t) => items.push(Item::Text(t)),
                Shown::Placeholder(p) => {
                    let n = items.len();
                    let gap = n >= 2
                        && matches!(items[n - 1], Item::Text(t) if !t.is_empty() && t.trim().is_empty())
                        && matches!(items[n - 2], Item::Placeholder(..));
                    if gap {
                        items.pop();
                    }
                    match items.last_mut() {
                        Some(Item::Placeholder(q, _, last)) => {
                            *q = "<*>";
                            *last = k;
                        }
                        _ => items.push(Item::Placeholder(p, k, k)),
                    }
                }
            }
        }
        items
    }
}

/// Updates a variable template segment with the token segment it matched; returns whether it
/// changed.
fn absorb_var(t: &mut TSeg, token: &Token<'_>, s: &Segment) -> bool {
    let TSeg::Var { value, strong, .. } = t else {
        return false;
    };
    let mut changed = false;
    if value.is_some() && value.as_deref() != Some(token.text(s)) {
        *value = None;
        changed = true;
    }
    if let SegKind::Var { strong: true, .. } = s.kind {
        changed |= !*strong;
        *strong = true;
    }
    changed
}

/// A piece of a rendered slot: text, or a placeholder covering template segments `first..=last`.
enum Item<'a> {
    Text(&'a str),
    Placeholder(&'static str, usize, usize),
}

fn seg_of(token: &Token<'_>, s: &Segment) -> TSeg {
    match s.kind {
        SegKind::Lit => TSeg::Lit(token.text(s).to_owned()),
        SegKind::Var { kind, strong } => TSeg::Var {
            kind,
            strong,
            value: Some(token.text(s).to_owned()),
        },
    }
}

/// Whether a template segment (not a wildcard) stands for a token segment.
fn compatible(t: &TSeg, token: &Token<'_>, s: &Segment) -> bool {
    match (t, s.kind) {
        (TSeg::Lit(text), SegKind::Lit) => text == token.text(s),
        (TSeg::Var { kind, .. }, SegKind::Var { kind: k, .. }) => *kind == k,
        _ => false,
    }
}

/// Segments longer than this are compared by their ends only, to bound the work per token.
const MAX_ALIGN: usize = 200;

/// Matches the token's segments against the template's, a wildcard taking any number of them;
/// returns the range of token segments each template segment covers.
fn align(t: &[TSeg], token: &Token<'_>) -> Option<Vec<(usize, usize)>> {
    let s = &token.segments;
    let (m, n) = (t.len(), s.len());
    // The common cases need no search: one wildcard, or no wildcard at all.
    if m == 1 && t[0] == TSeg::Wild {
        return Some(vec![(0, n)]);
    }
    if !t.contains(&TSeg::Wild) {
        let same = m == n && t.iter().zip(s).all(|(a, b)| compatible(a, token, b));
        return same.then(|| (0..n).map(|k| (k, k + 1)).collect());
    }
    let wilds = t.iter().filter(|x| **x == TSeg::Wild).count();
    if wilds == 1 {
        // One wildcard: the segments before it match the token's start, those after its end.
        let w = t.iter().position(|x| *x == TSeg::Wild)?;
        let tail = m - w - 1;
        if n < w + tail {
            return None;
        }
        let head_ok = (0..w).all(|k| compatible(&t[k], token, &s[k]));
        let tail_ok = (0..tail).all(|k| compatible(&t[w + 1 + k], token, &s[n - tail + k]));
        if !(head_ok && tail_ok) {
            return None;
        }
        let mut spans: Vec<(usize, usize)> = (0..w).map(|k| (k, k + 1)).collect();
        spans.push((w, n - tail));
        spans.extend((n - tail..n).map(|k| (k, k + 1)));
        return Some(spans);
    }
    if m > MAX_ALIGN || n > MAX_ALIGN {
        return None;
    }
    // ok[i][j]: t[i..] matches s[j..].
    let w = n + 1;
    let mut ok = vec![false; (m + 1) * w];
    ok[m * w + n] = true;
    for i in (0..m).rev() {
        for j in (0..=n).rev() {
            ok[i * w + j] = if t[i] == TSeg::Wild {
                ok[(i + 1) * w + j] || (j < n && ok[i * w + j + 1])
            } else {
                j < n && compatible(&t[i], token, &s[j]) && ok[(i + 1) * w + j + 1]
            };
        }
    }
    if !ok[0] {
        return None;
    }
    let mut spans = Vec::with_capacity(m);
    let mut j = 0;
    for i in 0..m {
        if t[i] == TSeg::Wild {
            // Take as few segments as still lets the rest match.
            let mut k = j;
            while !ok[(i + 1) * w + k] {
                k += 1;
            }
            spans.push((j, k));
            j = k;
        } else {
            spans.push((j, j + 1));
            j += 1;
        }
    }
    Some(spans)
}

/// The template covering both `t` and `token`: their longest common subsequence of segments,
/// with a wildcard wherever either has something the other lacks.
fn generalise(t: &[TSeg], token: &Token<'_>) -> Vec<TSeg> {
    let s = &token.segments;
    let (m, n) = (t.len(), s.len());
    if m > MAX_ALIGN || n > MAX_ALIGN {
        return ends_only(t, token);
    }
    let w = n + 1;
    let mut l = vec![0u16; (m + 1) * w];
    for i in (0..m).rev() {
        for j in (0..n).rev() {
            l[i * w + j] = if t[i] != TSeg::Wild && compatible(&t[i], token, &s[j]) {
                l[(i + 1) * w + j + 1] + 1
            } else {
                l[(i + 1) * w + j].max(l[i * w + j + 1])
            };
        }
    }
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    let mut gap = false;
    while i < m || j < n {
        if i < m
            && j < n
            && t[i] != TSeg::Wild
            && compatible(&t[i], token, &s[j])
            && l[i * w + j] == l[(i + 1) * w + j + 1] + 1
        {
            if gap {
                out.push(TSeg::Wild);
                gap = false;
            }
            out.push(merge_seg(&t[i], token.text(&s[j]), s[j].kind));
            i += 1;
            j += 1;
        } else if j >= n || (i < m && l[(i + 1) * w + j] >= l[i * w + j + 1]) {
            gap = true;
            i += 1;
        } else {
            gap = true;
            j += 1;
        }
    }
    if gap {
        out.push(TSeg::Wild);
    }
    out
}

/// A template segment updated with a compatible token segment.
fn merge_seg(t: &TSeg, text: &str, kind: SegKind) -> TSeg {
    match (t, kind) {
        (
            TSeg::Var {
                kind,
                strong,
                value,
            },
            SegKind::Var { strong: st, .. },
        ) => TSeg::Var {
            kind: *kind,
            strong: *strong || st,
            value: value.as_deref().filter(|v| *v == text).map(str::to_owned),
        },
        _ => t.clone(),
    }
}

/// For very long tokens: the literal segments both share at each end, a wildcard between.
fn ends_only(t: &[TSeg], token: &Token<'_>) -> Vec<TSeg> {
    let s = &token.segments;
    let n = t.len().min(s.len());
    let mut p = 0;
    while p < n && matches!(&t[p], TSeg::Lit(_)) && compatible(&t[p], token, &s[p]) {
        p += 1;
    }
    let mut q = 0;
    while q < n - p && {
        let (a, b) = (t.len() - 1 - q, s.len() - 1 - q);
        matches!(&t[a], TSeg::Lit(_)) && compatible(&t[a], token, &s[b])
    } {
        q += 1;
    }
    let mut out: Vec<TSeg> = t[..p].to_vec();
    out.push(TSeg::Wild);
    out.extend_from_slice(&t[t.len() - q..]);
    out
}

/// Simplifies a generalised template: a lone punctuation character between two wildcards is
/// noise of the alignment (`<*>.<*>` from `files.upload` and `chat.postMessage`), so the three
/// become one wildcard, except `/`, which keeps a path's structure (`/repos/<*>/<*>/issues`);
/// wildcards never follow each other.
fn collapse(segs: Vec<TSeg>) -> Vec<TSeg> {
    let mut out: Vec<TSeg> = Vec::with_capacity(segs.len());
    for seg in segs {
        if seg == TSeg::Wild {
            let n = out.len();
            if n >= 2
                && out[n - 2] == TSeg::Wild
                && matches!(&out[n - 1], TSeg::Lit(l) if is_joiner(l))
            {
                out.pop();
                continue;
            }
            if out.last() == Some(&TSeg::Wild) {
                continue;
            }
        }
        out.push(seg);
    }
    out
}

fn is_joiner(l: &str) -> bool {
    l.len() == 1 && l != "/" && !l.chars().all(char::is_alphanumeric)
}

enum Shown<'a> {
    Text(&'a str),
    Placeholder(&'static str),
}

fn shown(seg: &TSeg, count: u64, r: Render) -> Shown<'_> {
    let ph = |kind: Kind| if r.typed { kind.placeholder() } else { "<*>" };
    match seg {
        TSeg::Lit(t) => Shown::Text(t),
        TSeg::Wild => Shown::Placeholder("<*>"),
        TSeg::Var {
            kind,
            strong,
            value,
        } => match value {
            // Numbers, ids and addresses stay masked however often they repeat: a log sample
            // is small, and a value constant in it is still a value. A URL or an e-mail address
            // repeated verbatim is part of the message (a documentation link, a sender).
            Some(v)
                if !*strong
                    || (matches!(kind, Kind::Url | Kind::Email) && count >= r.literal_after) =>
            {
                Shown::Text(v)
            }
            _ => Shown::Placeholder(ph(*kind)),
        },
    }
}

/// The routing part of the tree: token count, then first token, to the clusters of that leaf.
#[derive(Debug, Clone, Default)]
pub struct Tree {
    leaves: HashMap<usize, HashMap<String, Vec<usize>>>,
}

impl Tree {
    /// The leaf key of a message: its token count and its first token, or `<*>` when the first
    /// token holds a value that varies by its shape.
    pub fn key(tokens: &[Token<'_>]) -> (usize, String) {
        let first = match tokens.first() {
            Some(t)
                if !t
                    .segments
                    .iter()
                    .any(|s| matches!(s.kind, SegKind::Var { strong: true, .. })) =>
            {
                t.key()
            }
            Some(_) => "<*>".to_owned(),
            None => String::new(),
        };
        (tokens.len(), first)
    }

    /// Clusters (indices) in the leaf of `key`.
    pub fn leaf(&self, key: &(usize, String)) -> &[usize] {
        self.leaves
            .get(&key.0)
            .and_then(|by_first| by_first.get(key.1.as_str()))
            .map_or(&[], Vec::as_slice)
    }

    /// All leaves with `len` tokens.
    pub fn leaves_of_len(&self, len: usize) -> impl Iterator<Item = &usize> {
        self.leaves
            .get(&len)
            .into_iter()
            .flat_map(|by_first| by_first.values())
            .flat_map(|v| v.iter())
    }

    /// Forgets cluster `index` under `key`.
    pub fn remove(&mut self, key: &(usize, String), index: usize) {
        if let Some(v) = self
            .leaves
            .get_mut(&key.0)
            .and_then(|by_first| by_first.get_mut(key.1.as_str()))
        {
            v.retain(|&i| i != index);
        }
    }

    /// Records cluster `index` under `key`.
    pub fn insert(&mut self, key: (usize, String), index: usize) {
        self.leaves
            .entry(key.0)
            .or_default()
            .entry(key.1)
            .or_default()
            .push(index);
    }
}

#[cfg(test)]
mod tests {
    use super::super::mask::tokenize;
    use super::*;

    const R: Render = Render {
        literal_after: 3,
        typed: false,
    };

    fn check(tokens: &[&str], expected: &str) {
        // Each input is tokenised after `POST`, the context of an API route.
        let lines: Vec<String> = tokens.iter().map(|t| format!("POST {t}")).collect();
        let toks: Vec<Token<'_>> = lines.iter().filter_map(|l| tokenize(l).pop()).collect();
        let mut slot = Slot::from_token(&toks[0]);
        for tok in &toks[1..] {
            slot.absorb(tok);
        }
        let mut out = String::new();
        slot.render(tokens.len() as u64, R, &mut out);
        assert_eq!(out, expected, "generalising {tokens:?}");
    }

    #[test]
    fn generalises_piece_by_piece() {
        let table: &[(&[&str], &str)] = &[
            (&["user=root", "user=admin"], "user=<*>"),
            (&["a-b", "a-c"], "a-<*>"),
            (
                &[
                    "/services/data/v58.0/sobjects/Contact/",
                    "/services/data/v60.0/sobjects/Lead/",
                ],
                "/services/data/v<*>/sobjects/<*>/",
            ),
            (&["(a.b)", "()"], "(<*>)"),
            (&["files.upload", "chat.postMessage"], "<*>"),
            (
                &["/repos/a/b/issues/1", "/repos/cc/dd/issues/2"],
                "/repos/<*>/<*>/issues/<*>",
            ),
            (
                &["[a]\",\"x\":[\"a\"]", "[a, b]\",\"x\":[\"a\",\"b\"]"],
                "[<*>]\",\"x\":[<*>]",
            ),
            (&["wl0:", "wl0:"], "wl0:"),
            (&["wl0:", "wl1:"], "wl<*>:"),
            (&["HTTP", "HTTP", "HTTP"], "HTTP"),
            (&["404", "404"], "404"),
            (&["404", "500"], "<*>"),
            (&["7", "7", "7"], "<*>"),
        ];
        for (tokens, expected) in table {
            check(tokens, expected);
        }
    }
}
