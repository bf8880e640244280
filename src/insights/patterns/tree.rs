//! The clusters behind the patterns and the fixed-depth tree that finds a message's candidates.
//!
//! As in Drain (He et al., ICWS 2017), messages are routed by their token count and first token,
//! then compared with the few clusters of that leaf by token similarity. Unlike Drain, each
//! token position of a template remembers its segments (literal runs, typed variables and their
//! value while constant), so a template generalises piece by piece (`user=<*>`, `blk_<NUM>`,
//! `/v<*>/sobjects/<*>/`) instead of turning a whole token into `<*>`.

use std::collections::HashMap;

use foldhash::fast::RandomState;

use serde::{Deserialize, Serialize};

use super::mask::{Kind, SegKind, Segment, Token, TokenRef};

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
    /// A new slot holding exactly `token` (a [`Token`] or a [`TokenRef`]).
    pub fn from_token<'t>(token: impl Into<TokenRef<'t>>) -> Slot {
        let token = token.into();
        Slot(token.segments.iter().map(|s| seg_of(token, s)).collect())
    }

    /// How `token` fits this slot.
    pub fn fit<'t>(&self, token: impl Into<TokenRef<'t>>) -> Fit {
        let token = token.into();
        if self.0.len() == 1 && self.0[0] == TSeg::Wild {
            return Fit::Wild;
        }
        if !self.has_wild() {
            return if matches_exactly(&self.0, token) {
                Fit::Exact
            } else {
                Fit::Miss
            };
        }
        if align(&self.0, token).is_some() {
            Fit::Wild
        } else {
            Fit::Miss
        }
    }

    /// [`Slot::fit`], appending to `spans` the range of token segments each template segment
    /// covers when the token fits through a wildcard ([`Fit::Wild`]); nothing is appended
    /// otherwise.
    pub(crate) fn fit_into(&self, token: TokenRef<'_>, spans: &mut Vec<(usize, usize)>) -> Fit {
        if self.0.len() == 1 && self.0[0] == TSeg::Wild {
            spans.push((0, token.segments.len()));
            return Fit::Wild;
        }
        if !self.has_wild() {
            return if matches_exactly(&self.0, token) {
                Fit::Exact
            } else {
                Fit::Miss
            };
        }
        if align_into(&self.0, token, spans) {
            Fit::Wild
        } else {
            Fit::Miss
        }
    }

    /// About the length of the slot's template text and a space after it, to size the
    /// template's buffer.
    pub(crate) fn text_len_hint(&self) -> usize {
        1 + self
            .0
            .iter()
            .map(|s| match s {
                TSeg::Lit(l) => l.len(),
                TSeg::Var { value: Some(v), .. } => v.len().max(6),
                _ => 6,
            })
            .sum::<usize>()
    }

    /// Whether the slot holds a wildcard.
    fn has_wild(&self) -> bool {
        self.0.iter().any(|s| matches!(s, TSeg::Wild))
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
    pub fn absorb<'t>(&mut self, token: impl Into<TokenRef<'t>>) -> bool {
        let token = token.into();
        // The common case, a slot without wildcards matching segment for segment, needs no
        // alignment (and no allocation).
        if !self.has_wild() && matches_exactly(&self.0, token) {
            let mut changed = false;
            for (t, s) in self.0.iter_mut().zip(token.segments) {
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

    /// [`Slot::absorb`] for a token known to fit exactly ([`Fit::Exact`]).
    pub(crate) fn absorb_exact(&mut self, token: TokenRef<'_>) -> bool {
        debug_assert!(!self.has_wild() && matches_exactly(&self.0, token));
        let mut changed = false;
        for (t, s) in self.0.iter_mut().zip(token.segments) {
            changed |= absorb_var(t, token, s);
        }
        changed
    }

    /// [`Slot::absorb`] for a token that fits through a wildcard, with the `spans` that
    /// [`Slot::fit_into`] found.
    pub(crate) fn absorb_spans(&mut self, token: TokenRef<'_>, spans: &[(usize, usize)]) -> bool {
        debug_assert_eq!(align(&self.0, token).as_deref(), Some(spans));
        let mut changed = false;
        for (t, &(a, b)) in self.0.iter_mut().zip(spans) {
            if b > a {
                changed |= absorb_var(t, token, &token.segments[a]);
            }
        }
        changed
    }

    /// [`Slot::parameters`] for a token that fits through a wildcard, with the `spans` that
    /// [`Slot::fit_into`] found.
    pub(crate) fn parameters_spans(
        &self,
        token: TokenRef<'_>,
        spans: &[(usize, usize)],
        count: u64,
        r: Render,
        out: &mut Vec<String>,
    ) {
        debug_assert_eq!(align(&self.0, token).as_deref(), Some(spans));
        let (raw, segs) = (token.raw, token.segments);
        // The byte range template segment `k` covers in the token.
        let range = |k: usize| {
            let (a, b) = spans[k];
            if b > a {
                (segs[a].start, segs[b - 1].end)
            } else {
                // An empty wildcard: where the previous segment ended.
                let end = spans[..k]
                    .iter()
                    .rev()
                    .find(|(a, b)| b > a)
                    .map_or(0, |&(_, b)| segs[b - 1].end);
                (end, end)
            }
        };
        self.for_each_item(count, r, |item| {
            if let Item::Placeholder(_, first, last) = item {
                let (a, b) = (range(first).0, range(last).1);
                out.push(raw.get(a..b).unwrap_or("").to_owned());
            }
        });
    }

    /// [`Slot::parameters`] for a token known to fit exactly ([`Fit::Exact`]).
    pub(crate) fn parameters_exact(
        &self,
        token: TokenRef<'_>,
        count: u64,
        r: Render,
        out: &mut Vec<String>,
    ) {
        debug_assert!(!self.has_wild() && matches_exactly(&self.0, token));
        let (raw, segs) = (token.raw, token.segments);
        self.for_each_item(count, r, |item| {
            if let Item::Placeholder(_, first, last) = item {
                let (a, b) = (segs[first].start, segs[last].end);
                out.push(raw.get(a..b).unwrap_or("").to_owned());
            }
        });
    }

    /// Writes this slot's template text.
    pub fn render(&self, count: u64, r: Render, out: &mut String) {
        self.for_each_item(count, r, |item| match item {
            Item::Text(t) => out.push_str(t),
            Item::Placeholder(p, ..) => out.push_str(p),
        });
    }

    /// The values of `token` at this slot's placeholders.
    pub fn parameters<'t>(
        &self,
        token: impl Into<TokenRef<'t>>,
        count: u64,
        r: Render,
        out: &mut Vec<String>,
    ) {
        let token = token.into();
        // Most slots are literal text: no placeholder, no parameter.
        if self.is_literal() {
            return;
        }
        let raw = token.raw;
        if !self.has_wild() {
            // Without a wildcard, template segment k covers token segment k, if the token fits.
            if matches_exactly(&self.0, token) {
                self.parameters_exact(token, count, r, out);
            } else {
                out.push(raw.to_owned());
            }
            return;
        }
        match align(&self.0, token) {
            Some(spans) => self.parameters_spans(token, &spans, count, r, out),
            None => out.push(raw.to_owned()),
        }
    }

    /// The slot as text and placeholders, in order, passed to `f`. Placeholders next to each
    /// other, or separated only by a space inside one value (`12 KB` whose unit varies), read
    /// as one `<*>`.
    fn for_each_item<'s>(&'s self, count: u64, r: Render, mut f: impl FnMut(Item<'s>)) {
        // The placeholder run not yet passed on (it may still grow), and whitespace after it
        // that a following placeholder would swallow.
        let mut pending: Option<(&'static str, usize, usize)> = None;
        let mut gap: Option<&'s str> = None;
        for (k, seg) in self.0.iter().enumerate() {
            match shown(seg, count, r) {
                Shown::Text(t) => {
                    if pending.is_some() && gap.is_none() && !t.is_empty() && t.trim().is_empty() {
                        gap = Some(t);
                        continue;
                    }
                    if let Some((p, a, b)) = pending.take() {
                        f(Item::Placeholder(p, a, b));
                    }
                    if let Some(g) = gap.take() {
                        f(Item::Text(g));
                    }
                    f(Item::Text(t));
                }
                Shown::Placeholder(p) => {
                    pending = match pending {
                        Some((_, first, _)) => Some(("<*>", first, k)),
                        None => Some((p, k, k)),
                    };
                    gap = None;
                }
            }
        }
        if let Some((p, a, b)) = pending {
            f(Item::Placeholder(p, a, b));
        }
        if let Some(g) = gap {
            f(Item::Text(g));
        }
    }
}

/// Whether a slot without wildcards stands for `token` segment for segment.
fn matches_exactly(t: &[TSeg], token: TokenRef<'_>) -> bool {
    t.len() == token.segments.len()
        && t.iter()
            .zip(token.segments)
            .all(|(t, s)| compatible(t, token, s))
}

/// Updates a variable template segment with the token segment it matched; returns whether it
/// changed.
#[inline]
fn absorb_var(t: &mut TSeg, token: TokenRef<'_>, s: &Segment) -> bool {
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

fn seg_of(token: TokenRef<'_>, s: &Segment) -> TSeg {
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
#[inline]
fn compatible(t: &TSeg, token: TokenRef<'_>, s: &Segment) -> bool {
    match (t, s.kind) {
        (TSeg::Lit(text), SegKind::Lit) => same_text(text, token.text(s)),
        (TSeg::Var { kind, .. }, SegKind::Var { kind: k, .. }) => *kind == k,
        _ => false,
    }
}

/// String equality, inlined for the short texts of most segments (a punctuation character, a
/// word) instead of a call to `memcmp`.
#[inline]
pub(crate) fn same_text(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    if a.len() <= 16 {
        return a.iter().zip(b).all(|(x, y)| x == y);
    }
    a == b
}

/// Segments longer than this are compared by their ends only, to bound the work per token.
const MAX_ALIGN: usize = 200;

/// Matches the token's segments against the template's, a wildcard taking any number of them;
/// returns the range of token segments each template segment covers.
fn align(t: &[TSeg], token: TokenRef<'_>) -> Option<Vec<(usize, usize)>> {
    let mut spans = Vec::with_capacity(t.len());
    align_into(t, token, &mut spans).then_some(spans)
}

/// [`align`], appending the ranges to `out`; returns whether the token matches (if not, `out`
/// is left as it was).
fn align_into(t: &[TSeg], token: TokenRef<'_>, out: &mut Vec<(usize, usize)>) -> bool {
    let s = token.segments;
    let (m, n) = (t.len(), s.len());
    // The common cases need no search: one wildcard, or no wildcard at all.
    if m == 1 && t[0] == TSeg::Wild {
        out.push((0, n));
        return true;
    }
    let wilds = t.iter().filter(|x| **x == TSeg::Wild).count();
    if wilds == 0 {
        let same = m == n && t.iter().zip(s).all(|(a, b)| compatible(a, token, b));
        if same {
            out.extend((0..n).map(|k| (k, k + 1)));
        }
        return same;
    }
    if wilds == 1 {
        // One wildcard: the segments before it match the token's start, those after its end.
        let Some(w) = t.iter().position(|x| *x == TSeg::Wild) else {
            return false;
        };
        let tail = m - w - 1;
        if n < w + tail {
            return false;
        }
        let head_ok = (0..w).all(|k| compatible(&t[k], token, &s[k]));
        let tail_ok = (0..tail).all(|k| compatible(&t[w + 1 + k], token, &s[n - tail + k]));
        if !(head_ok && tail_ok) {
            return false;
        }
        out.extend((0..w).map(|k| (k, k + 1)));
        out.push((w, n - tail));
        out.extend((n - tail..n).map(|k| (k, k + 1)));
        return true;
    }
    if m > MAX_ALIGN || n > MAX_ALIGN {
        return false;
    }
    let mark = out.len();
    let found = align_runs(t, token, out).is_some();
    if !found {
        out.truncate(mark);
    }
    found
}

/// [`align`] for a template with two or more wildcards, appending to `out`. The runs of
/// template segments between wildcards are placed in turn: the first at the token's start, the
/// last at its end, each other one at the first position where it fits. That is the alignment
/// where every wildcard takes as few segments as still lets the rest match: what follows a
/// wildcard that matches from some position also matches from any earlier one, so the first
/// place that fits never prevents a match that a later place allows.
fn align_runs(t: &[TSeg], token: TokenRef<'_>, out: &mut Vec<(usize, usize)>) -> Option<()> {
    let s = token.segments;
    let (m, n) = (t.len(), s.len());
    // Whether template segments `from..from + len` fit token segments `at..at + len`.
    let fits = |from: usize, len: usize, at: usize| {
        (0..len).all(|k| compatible(&t[from + k], token, &s[at + k]))
    };
    let is_wild = |x: &TSeg| *x == TSeg::Wild;
    let mut wild = t.iter().position(is_wild)?;
    if wild > n || !fits(0, wild, 0) {
        return None;
    }
    out.extend((0..wild).map(|k| (k, k + 1)));
    // Token segments before `j` are covered.
    let mut j = wild;
    loop {
        let from = wild + 1;
        match t[from..].iter().position(is_wild) {
            Some(p) => {
                let len = p;
                let at = (j..=n.checked_sub(len)?).find(|&at| fits(from, len, at))?;
                out.push((j, at));
                out.extend((at..at + len).map(|k| (k, k + 1)));
                j = at + len;
                wild = from + p;
            }
            None => {
                let len = m - from;
                let at = n.checked_sub(len)?;
                if at < j || !fits(from, len, at) {
                    return None;
                }
                out.push((j, at));
                out.extend((at..n).map(|k| (k, k + 1)));
                return Some(());
            }
        }
    }
}

/// The search [`align_runs`] replaces, over every placement; kept to check it against.
#[cfg(test)]
fn align_search(t: &[TSeg], token: TokenRef<'_>) -> Option<Vec<(usize, usize)>> {
    let s = token.segments;
    let (m, n) = (t.len(), s.len());
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
fn generalise(t: &[TSeg], token: TokenRef<'_>) -> Vec<TSeg> {
    let s = token.segments;
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
fn ends_only(t: &[TSeg], token: TokenRef<'_>) -> Vec<TSeg> {
    let s = token.segments;
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
    // A fast hasher (seeded per map): routing hashes every message's leaf key.
    leaves: HashMap<usize, HashMap<String, Vec<usize>, RandomState>, RandomState>,
}

impl Tree {
    /// The leaf key of a message: its token count and its first token, or `<*>` when the first
    /// token holds a value that varies by its shape.
    pub fn key(tokens: &[Token<'_>]) -> (usize, String) {
        let mut first = String::new();
        Tree::first_key_into(tokens.first().map(Token::view), &mut first);
        (tokens.len(), first)
    }

    /// Writes the first-token part of a leaf key (see [`Tree::key`]) into `out`, replacing its
    /// content.
    pub fn first_key_into(first: Option<TokenRef<'_>>, out: &mut String) {
        out.clear();
        match first {
            Some(t) if !t.has_strong_var() => t.key_into(out),
            Some(_) => out.push_str("<*>"),
            None => {}
        }
    }

    /// Clusters (indices) in the leaf of `key`.
    pub fn leaf(&self, key: &(usize, String)) -> &[usize] {
        self.leaf_of(key.0, &key.1)
    }

    /// Clusters (indices) in the leaf of messages of `len` tokens whose first token has the
    /// key `first`.
    pub fn leaf_of(&self, len: usize, first: &str) -> &[usize] {
        self.leaves
            .get(&len)
            .and_then(|by_first| by_first.get(first))
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

    /// The first-fit placement of [`align_runs`] gives the alignment of the full search, on
    /// random templates and tokens over a small alphabet (so that runs recur).
    #[test]
    fn aligns_runs_as_the_full_search_does() {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move |k: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % k
        };
        let alphabet = ["a", "b", "-", "/", "1"];
        for _ in 0..20_000 {
            let n = next(10) as usize;
            let mut raw = String::new();
            let mut segments = Vec::new();
            for _ in 0..n {
                let start = raw.len();
                let kind = if next(4) == 0 {
                    SegKind::Var {
                        kind: Kind::Num,
                        strong: true,
                    }
                } else {
                    SegKind::Lit
                };
                raw.push_str(alphabet[next(alphabet.len() as u64) as usize]);
                segments.push(Segment {
                    start,
                    end: raw.len(),
                    kind,
                });
            }
            let token = TokenRef {
                raw: &raw,
                segments: &segments,
            };
            let m = 2 + next(8) as usize;
            let mut t: Vec<TSeg> = (0..m)
                .map(|_| match next(4) {
                    0 => TSeg::Wild,
                    1 => TSeg::Var {
                        kind: Kind::Num,
                        strong: true,
                        value: None,
                    },
                    _ => TSeg::Lit(alphabet[next(alphabet.len() as u64) as usize].to_owned()),
                })
                .collect();
            // At least two wildcards.
            let a = next(m as u64) as usize;
            t[a] = TSeg::Wild;
            let b = (a + 1 + next(m as u64 - 1) as usize) % m;
            t[b] = TSeg::Wild;
            let mut spans = Vec::new();
            assert_eq!(
                align_runs(&t, token, &mut spans).map(|()| spans),
                align_search(&t, token),
                "{t:?} / {raw:?} {segments:?}"
            );
        }
    }

    /// `fit_into` gives what `fit` and `align` give, on slots generalised from real tokens.
    #[test]
    fn fit_into_agrees_with_fit_and_align() {
        let lines = [
            "POST /repos/a/b/issues/1",
            "POST /repos/cc/dd/issues/22",
            "POST /services/data/v58.0/sobjects/Contact/",
            "POST /services/data/v60.0/sobjects/Lead/",
            r#"POST [a]","x":["a"]"#,
            r#"POST [a, b]","x":["a","b"]"#,
            "POST user=root",
            "POST user=admin",
            "POST files.upload",
            "POST chat.postMessage",
            "POST (a.b)",
            "POST ()",
        ];
        let toks: Vec<Token<'_>> = lines.iter().filter_map(|l| tokenize(l).pop()).collect();
        let mut slots = Vec::new();
        for a in &toks {
            for b in &toks {
                let mut slot = Slot::from_token(a);
                slot.absorb(b);
                slots.push(slot);
            }
        }
        let mut spans = Vec::new();
        for slot in &slots {
            for tok in &toks {
                spans.clear();
                let fit = slot.fit_into(tok.view(), &mut spans);
                assert_eq!(fit, slot.fit(tok), "{slot:?} / {:?}", tok.raw);
                match fit {
                    Fit::Wild => assert_eq!(Some(spans.clone()), align(&slot.0, tok.view())),
                    _ => assert!(spans.is_empty()),
                }
            }
        }
    }

    #[test]
    fn extracts_parameters_through_wildcards() {
        let lines = ["POST /repos/a/b/issues/1", "POST /repos/cc/dd/issues/2"];
        let toks: Vec<Token<'_>> = lines.iter().filter_map(|l| tokenize(l).pop()).collect();
        let mut slot = Slot::from_token(&toks[0]);
        slot.absorb(&toks[1]);
        let line = "POST /repos/x/yy/issues/3";
        let tok = tokenize(line).pop().expect("a token");
        let mut out = Vec::new();
        slot.parameters(&tok, 3, R, &mut out);
        assert_eq!(out, ["x", "yy", "3"]);
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
