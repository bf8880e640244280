//! The online miner: feed messages one at a time, get each one's pattern and parameters.
//!
//! State is bounded by the number of patterns, not of messages: a cluster keeps its template
//! slots and a count, never the messages themselves. The whole state serialises with serde, so
//! a caller can persist it and resume mining later.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::mask::{TokenBuf, TokenRef, Tokens};
use super::tree::{Cluster, Fit, Render, Slot, TSeg, Tree, same_text};

/// Settings of the miner. The defaults serve any log; there are no per-source settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Share of token positions (0–1) that must fit a pattern for a message to join it.
    pub similarity_threshold: f64,
    /// A value masked by its shape (a number, an IP…) that stayed the same over at least this
    /// many messages of a pattern is written literally (`HTTP 400`, `/crm/v3/`).
    pub literal_after: u64,
    /// Write typed placeholders (`<NUM>`, `<EMAIL>`…) rather than `<*>` everywhere.
    pub typed_placeholders: bool,
    /// Two messages differing in one plain word (`VM Started` / `VM Paused`) are different
    /// patterns, until this many patterns differ only by the word at that same position: then
    /// the word is a value (a user or provider name) and they merge into one.
    pub word_values_to_merge: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            similarity_threshold: 0.5,
            literal_after: 3,
            typed_placeholders: true,
            word_values_to_merge: 5,
        }
    }
}

/// The outcome of adding one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Match {
    /// Stable id of the pattern the message joined.
    pub pattern_id: u64,
    /// The pattern's template after this message.
    pub template: String,
    /// The message's values at the template's placeholders, in order.
    pub parameters: Vec<String>,
    /// Whether this message started the pattern.
    pub is_new: bool,
}

/// A pattern as listed by [`Miner::patterns`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pattern {
    /// Stable id.
    pub id: u64,
    /// Template with placeholders.
    pub template: String,
    /// Messages that joined it.
    pub count: u64,
}

/// The serialisable part of a miner; the routing tree is rebuilt from it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct State {
    config: Config,
    clusters: Vec<Cluster>,
    #[serde(default)]
    word_groups: BTreeMap<String, Vec<usize>>,
}

/// Online template miner.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(from = "State", into = "State")]
pub struct Miner {
    config: Config,
    clusters: Vec<Cluster>,
    /// Patterns that differ only by one plain word at one position, by that position and the
    /// rest of their template.
    word_groups: BTreeMap<String, Vec<usize>>,
    tree: Tree,
    /// Per cluster and slot: the slot's text when it is plain literal text (see
    /// [`literal_text`]), so that a token is compared with it in one go.
    literals: Vec<Vec<Option<Box<str>>>>,
    /// Reused storage for the work on the message being added.
    scratch: Scratch,
}

/// Storage reused from one message to the next, so that adding one allocates little.
#[derive(Debug, Clone, Default)]
struct Scratch {
    /// The tokens of the message.
    tokens: TokenBuf,
    work: Work,
}

/// What adding one message works with besides its tokens.
#[derive(Debug, Clone, Default)]
struct Work {
    /// The first-token part of the message's leaf key.
    first: String,
    /// How the tokens fit the slots of the best cluster of the leaf.
    fits: Fits,
    /// The same for another candidate.
    other_fits: Fits,
}

/// How each token of a message fits the slots of one cluster.
#[derive(Debug, Clone, Default)]
struct Fits {
    /// Per slot: the fit and, for [`Fit::Wild`], the range of `spans` that aligns it.
    fits: Vec<(Fit, usize, usize)>,
    /// The alignments of the slots the tokens fit through a wildcard ([`Slot::fit_into`]).
    spans: Vec<(usize, usize)>,
}

impl Fits {
    fn clear(&mut self) {
        self.fits.clear();
        self.spans.clear();
    }

    fn fit(&self, k: usize) -> Fit {
        self.fits[k].0
    }

    fn spans(&self, k: usize) -> &[(usize, usize)] {
        let (_, a, b) = self.fits[k];
        &self.spans[a..b]
    }
}

impl From<State> for Miner {
    fn from(state: State) -> Self {
        let mut tree = Tree::default();
        for (i, c) in state.clusters.iter().enumerate() {
            if c.merged_into.is_none() {
                tree.insert(key_of_cluster(c), i);
            }
        }
        let literals = state
            .clusters
            .iter()
            .map(|c| c.slots.iter().map(literal_text).collect())
            .collect();
        Miner {
            config: state.config,
            clusters: state.clusters,
            word_groups: state.word_groups,
            tree,
            literals,
            scratch: Scratch::default(),
        }
    }
}

impl From<Miner> for State {
    fn from(m: Miner) -> Self {
        State {
            config: m.config,
            clusters: m.clusters,
            word_groups: m.word_groups,
        }
    }
}

impl Default for Miner {
    fn default() -> Self {
        Miner::new(Config::default())
    }
}

impl Miner {
    /// A miner with no patterns yet.
    pub fn new(config: Config) -> Miner {
        Miner {
            config,
            clusters: Vec::new(),
            word_groups: BTreeMap::new(),
            tree: Tree::default(),
            literals: Vec::new(),
            scratch: Scratch::default(),
        }
    }

    /// The configuration in use.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Adds one message: it joins the most similar pattern or starts a new one.
    pub fn add(&mut self, message: &str) -> Match {
        // The buffers are taken out of `self` while the message's tokens borrow them.
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.tokens.fill(message);
        let m = self.add_tokens(scratch.tokens.tokens(message), &mut scratch.work);
        self.scratch = scratch;
        m
    }

    fn add_tokens(&mut self, tokens: Tokens<'_>, work: &mut Work) -> Match {
        let Work {
            first,
            fits,
            other_fits,
        } = work;
        Tree::first_key_into(tokens.first(), first);
        let mut found = self.best(tokens, first, fits, other_fits);
        // How the tokens fit the slots of the cluster they join, when `best` found it.
        let mut joined_fits = found.join.is_some().then_some(&*fits);
        if found.join.is_none() && found.sibling.is_none() {
            found.join = self.across_leaves(tokens, first);
        }
        let (mut index, is_new) = match found.join {
            Some(i) => {
                let c = &mut self.clusters[i];
                let literals = &mut self.literals[i];
                let mut changed = false;
                for (k, ((slot, lit), tok)) in c
                    .slots
                    .iter_mut()
                    .zip(literals.iter_mut())
                    .zip(tokens.iter())
                    .enumerate()
                {
                    let fit = match joined_fits {
                        Some(f) => f.fit(k),
                        None if lit.as_deref().is_some_and(|l| matches_literal(l, tok)) => {
                            Fit::Exact
                        }
                        // Not known: the general case.
                        None => Fit::Miss,
                    };
                    let slot_changed = match (fit, &lit) {
                        // A literal slot the token matches stays as it is.
                        (Fit::Exact, Some(_)) => false,
                        (Fit::Exact, None) => slot.absorb_exact(tok),
                        (Fit::Wild, _) => match joined_fits {
                            Some(f) => slot.absorb_spans(tok, f.spans(k)),
                            None => slot.absorb(tok),
                        },
                        (Fit::Miss, _) => slot.absorb(tok),
                    };
                    if slot_changed {
                        changed = true;
                        *lit = literal_text(slot);
                    }
                }
                c.count += 1;
                // The count decides whether repeated URLs are shown, once.
                if changed || c.count == self.config.literal_after {
                    c.cache = None;
                }
                (i, false)
            }
            None => {
                let id = self.clusters.len() as u64;
                let slots: Vec<Slot> = tokens.iter().map(Slot::from_token).collect();
                self.literals.push(slots.iter().map(literal_text).collect());
                self.clusters.push(Cluster {
                    id,
                    slots,
                    count: 1,
                    route: first.clone(),
                    cache: None,
                    merged_into: None,
                });
                let i = self.clusters.len() - 1;
                self.tree.insert((tokens.len(), first.clone()), i);
                (i, true)
            }
        };
        if let (true, Some((sibling, pos))) = (is_new, found.sibling) {
            index = self.group_word_sibling(index, sibling, pos);
        }
        if is_new {
            joined_fits = None;
        }
        let template = match &self.clusters[index].cache {
            Some(t) => t.clone(),
            None => {
                let t = self.render(&self.clusters[index]);
                self.clusters[index].cache = Some(t.clone());
                t
            }
        };
        let c = &self.clusters[index];
        Match {
            pattern_id: c.id,
            template,
            parameters: self.parameters(index, tokens, joined_fits),
            is_new,
        }
    }

    /// Finds the pattern `message` would join, without changing anything.
    pub fn find(&self, message: &str) -> Option<Match> {
        let mut buf = TokenBuf::default();
        buf.fill(message);
        let tokens = buf.tokens(message);
        let mut first = String::new();
        Tree::first_key_into(tokens.first(), &mut first);
        let (mut fits, mut other_fits) = (Fits::default(), Fits::default());
        let index = self.best(tokens, &first, &mut fits, &mut other_fits).join?;
        let c = &self.clusters[index];
        Some(Match {
            pattern_id: c.id,
            template: self.render(c),
            parameters: self.parameters(index, tokens, Some(&fits)),
            is_new: false,
        })
    }

    /// Every pattern with its count, in the order they were first seen (merged ones excluded).
    pub fn patterns(&self) -> Vec<Pattern> {
        self.clusters
            .iter()
            .filter(|c| c.merged_into.is_none())
            .map(|c| Pattern {
                id: c.id,
                template: self.render(c),
                count: c.count,
            })
            .collect()
    }

    /// The id pattern `id` goes by now: patterns found to differ only by a value are merged,
    /// and the merged ones point to the one they joined.
    pub fn resolve(&self, id: u64) -> u64 {
        let mut id = id;
        // Each merge points to an older pattern, so the chain ends.
        while let Some(next) = usize::try_from(id)
            .ok()
            .and_then(|i| self.clusters.get(i))
            .and_then(|c| c.merged_into)
        {
            id = next;
        }
        id
    }

    /// The current template of pattern `id` (or of the pattern it was merged into).
    pub fn template(&self, id: u64) -> Option<String> {
        self.clusters
            .get(usize::try_from(self.resolve(id)).ok()?)
            .map(|c| self.render(c))
    }

    /// Number of patterns.
    pub fn len(&self) -> usize {
        self.clusters
            .iter()
            .filter(|c| c.merged_into.is_none())
            .count()
    }

    /// Whether no message was added yet.
    pub fn is_empty(&self) -> bool {
        self.clusters.is_empty()
    }

    fn render_opts(&self) -> Render {
        Render {
            literal_after: self.config.literal_after,
            typed: self.config.typed_placeholders,
        }
    }

    fn render(&self, c: &Cluster) -> String {
        let mut out = String::with_capacity(c.slots.iter().map(Slot::text_len_hint).sum());
        for (i, slot) in c.slots.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            slot.render(c.count, self.render_opts(), &mut out);
        }
        out
    }

    /// The parameters of `tokens` in cluster `index`; `fits`, when known, says how each token
    /// fits its slot.
    fn parameters(&self, index: usize, tokens: Tokens<'_>, fits: Option<&Fits>) -> Vec<String> {
        let c = &self.clusters[index];
        let literals = &self.literals[index];
        let r = self.render_opts();
        let mut out = Vec::with_capacity(literals.iter().filter(|l| l.is_none()).count());
        for (k, ((slot, lit), tok)) in c.slots.iter().zip(literals).zip(tokens.iter()).enumerate() {
            // A literal slot has no placeholder.
            if lit.is_some() {
                continue;
            }
            match fits.map(|f| (f.fit(k), f)) {
                Some((Fit::Exact, _)) => slot.parameters_exact(tok, c.count, r, &mut out),
                Some((Fit::Wild, f)) => {
                    slot.parameters_spans(tok, f.spans(k), c.count, r, &mut out)
                }
                _ => slot.parameters(tok, c.count, r, &mut out),
            }
        }
        out
    }

    /// A cluster of another leaf this message may join when its first token is a name that
    /// varies (`com.apple.cache.daily:` / `com.apple.safari.update:`): same token count, same
    /// leading segment, no plain word differing, and nearly all other tokens fitting. The cluster
    /// is then also routed under this message's first token.
    fn across_leaves(&mut self, tokens: Tokens<'_>, key: &str) -> Option<usize> {
        let n = tokens.len();
        let first = tokens.first()?;
        if n < 3 || is_word_token(first) || key == "<*>" {
            return None;
        }
        let lead = first.segments.first().map(|s| first.text(s))?;
        let mut best: Option<(usize, usize)> = None;
        // The fewest fitting tokens a cluster needs.
        let needed = (0..n)
            .find(|&k| k as f64 >= ACROSS_LEAVES * (n - 1) as f64)
            .unwrap_or(n);
        // Oldest first, so that ties go the same way on every run.
        let mut candidates: Vec<usize> = self.tree.leaves_of_len(n).copied().collect();
        candidates.sort_unstable();
        candidates.dedup();
        for i in candidates {
            let c = &self.clusters[i];
            let same_lead = matches!(c.slots[0].0.first(), Some(TSeg::Lit(l)) if l == lead);
            if !same_lead || c.slots[0].is_word() {
                continue;
            }
            let mut fits = 0;
            let mut misses = 0;
            let mut hard = false;
            for (slot, tok) in c.slots[1..].iter().zip(tokens.iter().skip(1)) {
                match slot.fit(tok) {
                    Fit::Exact | Fit::Wild => fits += 1,
                    Fit::Miss => {
                        // The token's test first: it is the cheaper, and most often false.
                        if is_word_token(tok) && slot.is_word() {
                            hard = true;
                            break;
                        }
                        misses += 1;
                        // Past this, the cluster cannot be taken: its other slots do not matter.
                        let most = n - 1 - misses;
                        if most < needed || best.is_some_and(|(_, f)| most <= f) {
                            hard = true;
                            break;
                        }
                    }
                }
            }
            if !hard
                && fits as f64 >= ACROSS_LEAVES * (n - 1) as f64
                && best.is_none_or(|(_, f)| fits > f)
            {
                best = Some((i, fits));
            }
        }
        let (i, _) = best?;
        self.tree.insert((n, key.to_owned()), i);
        Some(i)
    }

    /// Records that new cluster `new` differs from `sibling` only by the word at `pos`; once
    /// enough such patterns exist, merges them into the oldest. Returns where `new` is now.
    fn group_word_sibling(&mut self, new: usize, sibling: usize, pos: usize) -> usize {
        let mut signature = format!("{}|{pos}|", self.clusters[sibling].slots.len());
        for (k, slot) in self.clusters[sibling].slots.iter().enumerate() {
            if k != pos {
                slot.render(
                    u64::MAX,
                    Render {
                        literal_after: 0,
                        typed: true,
                    },
                    &mut signature,
                );
            }
            signature.push(' ');
        }
        let group = self.word_groups.entry(signature.clone()).or_default();
        if group.is_empty() {
            group.push(sibling);
        }
        group.push(new);
        if group.len() >= self.config.word_values_to_merge.max(2) {
            return self.merge_group(&signature).unwrap_or(new);
        }
        // The same words taking turns at a position of two different patterns (`session opened
        // for user X by …`, `session closed for user X`) are values such as user names, not
        // verbs or states of one message: merge both groups early.
        let Some(shared_with) = self.group_sharing_words(&signature) else {
            return new;
        };
        self.merge_group(&shared_with);
        self.merge_group(&signature).unwrap_or(new)
    }

    /// The plain words that tell the patterns of group `signature` apart.
    fn group_words(&self, signature: &str) -> Vec<String> {
        let pos = signature
            .split('|')
            .nth(1)
            .and_then(|p| p.parse::<usize>().ok());
        let (Some(pos), Some(members)) = (pos, self.word_groups.get(signature)) else {
            return Vec::new();
        };
        let mut words: Vec<String> = members
            .iter()
            .filter_map(|&m| self.clusters.get(m)?.slots.get(pos))
            .map(|slot| {
                let mut w = String::new();
                slot.render(u64::MAX, self.render_opts(), &mut w);
                w
            })
            .collect();
        words.sort_unstable();
        words.dedup();
        words
    }

    /// Another group whose patterns are told apart by at least [`SHARED_WORDS`] of the same
    /// words as group `signature`.
    fn group_sharing_words(&self, signature: &str) -> Option<String> {
        let words = self.group_words(signature);
        if words.len() < SHARED_WORDS {
            return None;
        }
        self.word_groups
            .iter()
            .filter(|(other, members)| other.as_str() != signature && members.len() >= SHARED_WORDS)
            .find(|(other, _)| {
                let theirs = self.group_words(other);
                words.iter().filter(|w| theirs.contains(w)).count() >= SHARED_WORDS
            })
            .map(|(other, _)| other.clone())
    }

    /// Merges the patterns of word group `signature` into its oldest; returns that one.
    fn merge_group(&mut self, signature: &str) -> Option<usize> {
        let members = self.word_groups.remove(signature).unwrap_or_default();
        let (&target, rest) = members.split_first()?;
        let target_id = self.clusters[target].id;
        for &m in rest {
            let (count, slots) = {
                let c = &mut self.clusters[m];
                c.merged_into = Some(target_id);
                (c.count, std::mem::take(&mut c.slots))
            };
            let key = (slots.len(), self.clusters[m].route.clone());
            self.tree.remove(&key, m);
            let t = &mut self.clusters[target];
            t.count += count;
            t.cache = None;
            for (ts, ms) in t.slots.iter_mut().zip(&slots) {
                ts.merge(ms);
            }
            self.literals[target] = t.slots.iter().map(literal_text).collect();
            self.clusters[m].slots = slots;
        }
        Some(target)
    }

    /// The most similar cluster of the message's leaf, if similar enough, and a cluster that
    /// differs from the message only by one plain word, if any.
    /// `fits` receives how each token fits the slots of the best cluster; `scratch` is space
    /// for the same of the other candidates.
    fn best(
        &self,
        tokens: Tokens<'_>,
        first: &str,
        fits: &mut Fits,
        scratch: &mut Fits,
    ) -> Candidates {
        let n = tokens.len();
        let mut best: Option<(usize, f64, usize)> = None;
        let mut sibling = None;
        for &i in self.tree.leaf_of(n, first) {
            let c = &self.clusters[i];
            let (mut exact, mut wild) = (0usize, 0usize);
            let mut hard = None;
            let (mut hard_count, mut soft_misses) = (0, 0);
            scratch.clear();
            for (k, ((slot, lit), tok)) in c
                .slots
                .iter()
                .zip(&self.literals[i])
                .zip(tokens.iter())
                .enumerate()
            {
                let start = scratch.spans.len();
                let fit = match lit {
                    Some(l) if matches_literal(l, tok) => Fit::Exact,
                    Some(_) => Fit::Miss,
                    None => slot.fit_into(tok, &mut scratch.spans),
                };
                scratch.fits.push((fit, start, scratch.spans.len()));
                match fit {
                    Fit::Exact => exact += 1,
                    Fit::Wild => wild += 1,
                    Fit::Miss => {
                        // Two plain words differ, or text that stayed the same over many
                        // messages of the cluster does: a different message, not a value.
                        let settled = c.count >= SETTLED_AFTER && slot.is_literal();
                        // The token's test first: it is the cheaper, and most often false.
                        if settled || (is_word_token(tok) && slot.is_word()) {
                            hard = Some(k);
                            hard_count += 1;
                        } else {
                            soft_misses += 1;
                        }
                    }
                }
                // A cluster with a hard difference is not joined; it is the sibling only if
                // that is its one difference and no sibling was found yet. Past that, the
                // rest of its slots do not matter.
                if hard.is_some() && (hard_count > 1 || soft_misses > 0 || sibling.is_some()) {
                    break;
                }
            }
            if let Some(k) = hard {
                if hard_count == 1 && exact + wild + 1 == n && sibling.is_none() {
                    sibling = Some((i, k));
                }
                continue;
            }
            let score = if n == 0 {
                1.0
            } else {
                (exact + wild) as f64 / n as f64
            };
            if best.is_none_or(|(_, s, e)| score > s || (score == s && exact > e)) {
                best = Some((i, score, exact));
                std::mem::swap(fits, scratch);
            }
        }
        let join = best
            .filter(|(_, s, _)| *s >= self.config.similarity_threshold)
            .map(|(i, _, _)| i);
        Candidates { join, sibling }
    }
}

/// Share of the tokens after the first that must fit for a message to join a cluster of another
/// leaf: higher than the similarity threshold, as the first token already differs.
const ACROSS_LEAVES: f64 = 0.9;

/// A cluster this large whose slot kept one literal text throughout is not joined by a message
/// with other text there: that text is part of its template.
const SETTLED_AFTER: u64 = 10;

/// Number of words two word groups must share to show that the words are values.
const SHARED_WORDS: usize = 3;

/// What [`Miner::best`] found.
struct Candidates {
    /// The cluster to join.
    join: Option<usize>,
    /// A cluster differing only by the plain word at this position.
    sibling: Option<(usize, usize)>,
}

/// A cluster's leaf key, from its first slot as it was created. A generalised first slot keeps
/// the routing of the message that started it, which is what later messages are routed by.
fn key_of_cluster(c: &Cluster) -> (usize, String) {
    (c.slots.len(), c.route.clone())
}

/// The text of a slot that is plain literal text segmented as a token's text would be: word
/// runs without digits and single punctuation characters, two word runs never adjacent. A token
/// fits such a slot exactly when it has the same text and no variable (see [`matches_literal`]).
fn literal_text(slot: &Slot) -> Option<Box<str>> {
    // Checked first, so that the text is built in one allocation of the right size.
    let mut len = 0;
    let mut prev_word = false;
    for seg in &slot.0 {
        let TSeg::Lit(l) = seg else {
            return None;
        };
        let b = l.as_bytes();
        let word = match b {
            [] => return None,
            [c] if !is_word_byte(*c) => false,
            _ if b.iter().all(|&c| is_word_byte(c) && !c.is_ascii_digit()) => true,
            _ => return None,
        };
        if word && prev_word {
            return None;
        }
        prev_word = word;
        len += l.len();
    }
    let mut text = String::with_capacity(len);
    for seg in &slot.0 {
        if let TSeg::Lit(l) = seg {
            text.push_str(l);
        }
    }
    Some(text.into_boxed_str())
}

/// Whether `tok` fits a slot whose [`literal_text`] is `text` exactly. A token without variables
/// is segmented into its word runs and punctuation characters, as such a slot is, so the same
/// text means the same segments.
fn matches_literal(text: &str, tok: TokenRef<'_>) -> bool {
    same_text(tok.raw, text) && !tok.has_var()
}

/// A byte of a word run in a token: an ASCII letter or digit, or part of a non-ASCII character.
fn is_word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c >= 0x80
}

/// Whether a token is a plain word (letters, maybe closing punctuation): two different plain
/// words at one position usually mean two different messages, not one value.
fn is_word_token(tok: TokenRef<'_>) -> bool {
    let t = tok.raw.trim_start_matches(['"', '\'', '(', '[', '{']);
    let t = t.trim_end_matches(['.', ',', ':', ';', '!', '?', '"', '\'', ')', ']', '}']);
    !t.is_empty() && t.chars().all(char::is_alphabetic)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Mines `messages` and checks each one's final template.
    fn check(messages: &[&str], expected: &[&str]) {
        let mut miner = Miner::default();
        let ids: Vec<u64> = messages.iter().map(|m| miner.add(m).pattern_id).collect();
        let got: Vec<String> = ids
            .iter()
            .map(|&id| miner.template(id).unwrap_or_default())
            .collect();
        assert_eq!(got, expected, "mining {messages:?}");
    }

    #[test]
    fn groups_messages_of_one_template() {
        check(
            &[
                "Took 12 seconds to spawn",
                "Took 7 seconds to spawn",
                "Took 3 seconds to destroy",
            ],
            &[
                "Took <NUM> seconds to spawn",
                "Took <NUM> seconds to spawn",
                "Took <NUM> seconds to destroy",
            ],
        );
        check(
            &[
                "session opened for user=root",
                "session opened for user=bob",
            ],
            &["session opened for user=<*>", "session opened for user=<*>"],
        );
        check(
            &[
                "salesforce: missing: [Email, Name] now",
                "salesforce: missing: [Name] now",
            ],
            &[
                "salesforce: missing: [<*>] now",
                "salesforce: missing: [<*>] now",
            ],
        );
        check(
            &[
                "stripe: 404 No such customer: 'cus_eKdNnFRIBXuDL7'",
                "stripe: 404 No such customer: 'cus_JbW56eCuNGMGmS'",
            ],
            &[
                "stripe: 404 No such customer: '<ID>'",
                "stripe: 404 No such customer: '<ID>'",
            ],
        );
    }

    #[test]
    fn merges_patterns_once_a_word_takes_many_values() {
        let providers = ["slack", "hubspot", "github", "stripe", "xero", "slack"];
        let messages: Vec<String> = providers
            .iter()
            .map(|p| format!("signature mismatch for ({p} event 7"))
            .collect();
        let refs: Vec<&str> = messages.iter().map(String::as_str).collect();
        let expected = vec!["signature mismatch for (<*> event <NUM>"; providers.len()];
        check(&refs, &expected);
    }

    #[test]
    fn keeps_text_settled_over_many_messages() {
        let mut messages = vec!["worker w=main q=fast done"; 12];
        messages.push("worker w=side q=slow done");
        let mut expected = vec!["worker w=main q=fast done"; 12];
        expected.push("worker w=side q=slow done");
        check(&messages, &expected);
        // A young pattern still generalises.
        check(
            &["worker w=main q=fast done", "worker w=side q=slow done"],
            &["worker w=<*> q=<*> done", "worker w=<*> q=<*> done"],
        );
    }

    #[test]
    fn merges_words_that_take_turns_in_two_patterns() {
        let users = ["alice", "bob", "carol"];
        let mut messages: Vec<String> = users
            .iter()
            .map(|u| format!("session opened for user {u} by root"))
            .collect();
        messages.extend(users.iter().map(|u| format!("session closed for user {u}")));
        let refs: Vec<&str> = messages.iter().map(String::as_str).collect();
        let mut expected = vec!["session opened for user <*> by root"; 3];
        expected.extend(["session closed for user <*>"; 3]);
        check(&refs, &expected);
        // States of one message stay apart.
        check(
            &["VM Started", "VM Paused", "VM Resumed"],
            &["VM Started", "VM Paused", "VM Resumed"],
        );
    }

    #[test]
    fn merges_a_size_with_its_unit_only_when_the_unit_varies() {
        check(
            &["memory 512 MB, used 12 MB", "memory 2048 MB, used 8 MB"],
            &[
                "memory <NUM> MB, used <NUM> MB",
                "memory <NUM> MB, used <NUM> MB",
            ],
        );
        check(
            &["size 12 KB, ok", "size 3 B, ok"],
            &["size <*>, ok", "size <*>, ok"],
        );
    }

    #[test]
    fn extracts_parameters() {
        let mut miner = Miner::default();
        miner.add("connect to 10.0.0.1:8080 failed after 3 tries");
        let m = miner.add("connect to 10.0.0.2:9090 failed after 5 tries");
        assert_eq!(m.template, "connect to <IP>:<NUM> failed after <NUM> tries");
        assert_eq!(m.parameters, ["10.0.0.2", "9090", "5"]);
        assert!(!m.is_new);
        let user = miner.add("login user=alice ok");
        assert!(user.is_new);
        let bob = miner.add("login user=bob ok");
        assert_eq!(bob.parameters, ["bob"]);
    }

    #[test]
    fn state_round_trips() -> Result<(), serde_json::Error> {
        let mut miner = Miner::default();
        for m in ["a 1 b", "a 2 b", "x y z", "x q z"] {
            miner.add(m);
        }
        let json = serde_json::to_string(&miner)?;
        let mut restored: Miner = serde_json::from_str(&json)?;
        assert_eq!(restored.patterns(), miner.patterns());
        let next = restored.add("a 3 b");
        assert_eq!((next.pattern_id, next.is_new), (0, false));
        Ok(())
    }

    /// A token fits a slot whose literal text it has exactly when the general comparison says
    /// it fits exactly.
    #[test]
    fn literal_slots_fit_as_the_general_comparison_does() {
        let messages = [
            "a b-c d.e f:g h/i (j) [k] 'l' \"m\"",
            "a b_c d..e f::g h//i (j)) [[k] 'l '\"m\"",
            "a b-c d.e f:g h/i (j) [k] 'l' \"m\" x1",
            "café über-straße ß",
            "POST /a/b GET /c",
        ];
        let mut bufs: Vec<TokenBuf> = Vec::new();
        for m in messages {
            let mut buf = TokenBuf::default();
            buf.fill(m);
            bufs.push(buf);
        }
        let all: Vec<TokenRef<'_>> = bufs
            .iter()
            .zip(messages)
            .flat_map(|(b, m)| b.tokens(m).iter())
            .collect();
        let mut literal = 0;
        for a in &all {
            let slot = Slot::from_token(*a);
            let Some(text) = literal_text(&slot) else {
                continue;
            };
            literal += 1;
            for b in &all {
                assert_eq!(
                    matches_literal(&text, *b),
                    slot.fit(*b) == Fit::Exact,
                    "{:?} / {:?}",
                    a.raw,
                    b.raw
                );
            }
        }
        assert!(literal > 10);
        // Text not segmented as a token's would be is left to the general comparison.
        assert_eq!(
            literal_text(&Slot(vec![TSeg::Lit("ab".into()), TSeg::Lit("c".into())])),
            None
        );
        assert_eq!(literal_text(&Slot(vec![TSeg::Lit("::".into())])), None);
        assert_eq!(literal_text(&Slot(vec![TSeg::Lit("a1".into())])), None);
    }

    #[test]
    fn find_gives_what_add_gave() {
        let mut miner = Miner::default();
        let lines = [
            "connect to 10.0.0.1:8080 failed after 3 tries",
            "connect to 10.0.0.2:9090 failed after 5 tries",
            "GET /repos/a/b/issues/1 failed",
            "GET /repos/cc/dd/issues/2 failed",
        ];
        for l in lines {
            miner.add(l);
        }
        for l in lines {
            let found = miner.find(l).expect("a pattern");
            let mut again = miner.clone();
            let added = again.add(l);
            assert_eq!(
                (found.pattern_id, found.template, found.parameters),
                (added.pattern_id, added.template, added.parameters)
            );
        }
    }

    #[test]
    fn mining_does_not_depend_on_hash_order() -> Result<(), serde_json::Error> {
        // First tokens that vary route messages to other leaves (`across_leaves`); words that
        // take turns form word groups. Two miners hash differently, and must agree.
        let mut messages = Vec::new();
        for (k, app) in ["cache", "safari", "mail", "notes", "maps", "music"]
            .iter()
            .enumerate()
        {
            messages.push(format!("com.apple.{app}.daily: job {k} ran in {k}0 ms"));
            messages.push(format!("com.apple.{app}.update: job {k} failed with {k}"));
            messages.push(format!("session opened for user {app} by root"));
            messages.push(format!("session closed for user {app}"));
        }
        let mine = || {
            let mut m = Miner::default();
            let ids: Vec<u64> = messages.iter().map(|l| m.add(l).pattern_id).collect();
            (ids, m)
        };
        let (ids_a, a) = mine();
        let (ids_b, b) = mine();
        assert_eq!(ids_a, ids_b);
        let va: serde_json::Value = serde_json::from_str(&serde_json::to_string(&a)?)?;
        let vb: serde_json::Value = serde_json::from_str(&serde_json::to_string(&b)?)?;
        assert_eq!(va, vb);
        Ok(())
    }

    #[test]
    fn config_rejects_unknown_fields() {
        assert!(serde_json::from_str::<Config>(r#"{"similarity": 0.3}"#).is_err());
        assert!(serde_json::from_str::<Config>("{}").is_ok_and(|c| c == Config::default()));
    }
}
