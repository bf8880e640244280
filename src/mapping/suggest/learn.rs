//! Learning from feedback: accepted suggestions boost the same pair and, through their words,
//! similar pairs; rejected suggestions are not proposed again.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::dictionary::{Dictionary, Token};
use super::normalise::stem;
use super::tokenize::split_path;

/// Accepted and rejected suggestions of one workspace, as stored by the caller.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Feedback {
    /// The recorded decisions, oldest first.
    #[serde(default)]
    pub entries: Vec<FeedbackEntry>,
}

/// One decision about a suggested pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedbackEntry {
    /// Source field path.
    pub source: String,
    /// Target field path.
    pub target: String,
    /// Whether the user kept the suggestion.
    pub accepted: bool,
    /// How many times this decision was made (defaults to once).
    #[serde(default = "one")]
    pub count: u32,
}

fn one() -> u32 {
    1
}

impl Feedback {
    /// Records one decision.
    pub fn record(&mut self, source: &str, target: &str, accepted: bool) {
        self.entries.push(FeedbackEntry {
            source: source.into(),
            target: target.into(),
            accepted,
            count: 1,
        });
    }
}

/// What feedback says about one pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PairHistory {
    /// Times accepted.
    pub accepted: u32,
    /// Times rejected.
    pub rejected: u32,
}

/// Feedback digested for scoring.
#[derive(Debug, Clone, Default)]
pub struct Learned {
    /// Per source path, per target path.
    pairs: HashMap<String, HashMap<String, PairHistory>>,
    /// Leaf-term correspondences (`stem key`, `stem key`) of accepted pairs whose names differ.
    pub tokens: HashSet<(String, String)>,
}

/// Digests feedback: per-pair counts, and word correspondences of accepted pairs (the leaf of
/// `cust_ref` accepted for `customer_id` teaches that `ref` may stand for `id`).
pub fn digest(feedback: &Feedback, dict: &Dictionary) -> Learned {
    let mut learned = Learned::default();
    for e in &feedback.entries {
        let h = learned
            .pairs
            .entry(e.source.clone())
            .or_default()
            .entry(e.target.clone())
            .or_default();
        if e.accepted {
            h.accepted += e.count;
        } else {
            h.rejected += e.count;
        }
    }
    for (s, t, h) in learned
        .pairs
        .iter()
        .flat_map(|(s, m)| m.iter().map(move |(t, h)| (s, t, h)))
    {
        if h.accepted <= h.rejected {
            continue;
        }
        let (ls, lt) = (leaf_keys(s, dict), leaf_keys(t, dict));
        let only_s: Vec<&String> = ls.iter().filter(|k| !lt.contains(k)).collect();
        let only_t: Vec<&String> = lt.iter().filter(|k| !ls.contains(k)).collect();
        // Only an unambiguous correspondence generalises: one differing term on each side.
        if let ([a], [b]) = (only_s.as_slice(), only_t.as_slice()) {
            learned.tokens.insert(((*a).clone(), (*b).clone()));
        }
    }
    learned
}

fn leaf_keys(path: &str, dict: &Dictionary) -> Vec<String> {
    let Some(leaf) = split_path(path).pop() else {
        return Vec::new();
    };
    let tokens: Vec<Token> = leaf
        .words
        .iter()
        .map(|w| Token {
            word: w.clone(),
            stem: stem(w),
        })
        .collect();
    dict.terms(&tokens).iter().map(|t| t.key()).collect()
}

impl Learned {
    /// The history of one pair.
    pub fn history(&self, source: &str, target: &str) -> PairHistory {
        self.pairs
            .get(source)
            .and_then(|m| m.get(target))
            .copied()
            .unwrap_or_default()
    }

    /// Adjusts a score by the pair's history: a net rejection removes the pair (score 0), net
    /// acceptances move the score towards 1, more with each acceptance.
    pub fn adjust(&self, source: &str, target: &str, score: f64) -> f64 {
        let h = self.history(source, target);
        if h.rejected > h.accepted {
            return 0.0;
        }
        let net = h.accepted - h.rejected;
        if net == 0 {
            return score;
        }
        let pull = (0.5 + 0.15 * f64::from(net)).min(0.95);
        score + (1.0 - score) * pull
    }
}

#[cfg(test)]
mod tests {
    use super::super::dictionary::builtin;
    use super::*;

    fn check(entries: &[(&str, &str, bool)], pair: (&str, &str), score: f64, expected: f64) {
        let mut fb = Feedback::default();
        for (s, t, a) in entries {
            fb.record(s, t, *a);
        }
        let got = digest(&fb, builtin()).adjust(pair.0, pair.1, score);
        assert!(
            (got - expected).abs() < 1e-9,
            "{entries:?} {pair:?}: {got} != {expected}"
        );
    }

    #[test]
    fn feedback_moves_scores() {
        check(&[], ("a", "b"), 0.4, 0.4);
        check(&[("a", "b", true)], ("a", "b"), 0.4, 0.4 + 0.6 * 0.65);
        check(
            &[("a", "b", true), ("a", "b", true), ("a", "b", true)],
            ("a", "b"),
            0.4,
            0.4 + 0.6 * 0.95,
        );
        check(&[("a", "b", false)], ("a", "b"), 0.9, 0.0);
        check(&[("a", "b", true), ("a", "b", false)], ("a", "b"), 0.7, 0.7);
        check(&[("a", "b", false)], ("a", "c"), 0.7, 0.7);
    }

    #[test]
    fn accepted_pairs_teach_word_correspondences() {
        let mut fb = Feedback::default();
        fb.record("cust_ref", "customer_key_x", true);
        fb.record("zz_foo", "zz_bar", true);
        fb.record("a_b_c", "x_y_z", true);
        let l = digest(&fb, builtin());
        assert!(l.tokens.contains(&(stem("foo"), stem("bar"))));
        assert_eq!(l.tokens.len(), 1, "{:?}", l.tokens);
    }
}
