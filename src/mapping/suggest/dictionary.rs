//! The curated synonym and abbreviation dictionary (`synonyms.txt`), and matching of its terms in
//! the words of a field name.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use super::normalise::stem;
use super::tokenize::words;

/// The dictionary's data: one group of synonyms per line, terms separated by `|`.
const SYNONYMS: &str = include_str!("synonyms.txt");

/// Longest phrase, in words, that the matcher tries.
const MAX_PHRASE: usize = 6;

/// A parsed synonym dictionary.
#[derive(Debug, Default)]
pub struct Dictionary {
    /// Display name of each group (its first term), for reasons.
    names: Vec<String>,
    /// Groups of each single-word term, by stem.
    single: HashMap<String, Vec<u32>>,
    /// Multi-word terms as stem sequences with their group, indexed by a key of their first word
    /// (its stem, or `#group` for each single-word group it belongs to).
    phrases: HashMap<String, Vec<(Vec<String>, u32)>>,
    /// Every word of the dictionary of three letters or more, for splitting compounds.
    vocab: HashSet<String>,
    /// Two-letter single-word terms (`id`, `no`, `dr`), allowed as pieces of compounds.
    short_vocab: HashSet<String>,
    /// Pairs of groups whose meanings are related but not the same (`~` lines: an identifier
    /// and a reference number, a hire date and a start date), both orders.
    related: HashSet<(u32, u32)>,
}

/// A word of a field name with its stem.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// The lower-cased word as written.
    pub word: String,
    /// Its comparison key.
    pub stem: String,
}

/// A unit of meaning in a field name: one word, or a dictionary phrase (`date of birth`).
#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    /// The words as written, joined with spaces.
    pub text: String,
    /// Stems of its words.
    pub stems: Vec<String>,
    /// Dictionary groups it belongs to.
    pub groups: Vec<u32>,
}

impl Term {
    /// The stems joined with spaces: equal keys mean equal terms.
    pub fn key(&self) -> String {
        self.stems.join(" ")
    }
}

/// The built-in dictionary, parsed once.
pub fn builtin() -> &'static Dictionary {
    static DICT: LazyLock<Dictionary> = LazyLock::new(|| Dictionary::parse(SYNONYMS));
    &DICT
}

impl Dictionary {
    /// Parses dictionary text: `#` starts a comment line, each other line is a group of terms
    /// separated by `|`. Any text parses; empty terms are skipped.
    pub fn parse(text: &str) -> Dictionary {
        let mut dict = Dictionary::default();
        let mut multi: Vec<(Vec<String>, u32)> = Vec::new();
        let mut related_lines: Vec<&str> = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(rest) = line.strip_prefix('~') {
                related_lines.push(rest);
                continue;
            }
            let group = dict.names.len() as u32;
            let mut name = None;
            for term in line.split('|') {
                let ws = words(term);
                if ws.is_empty() {
                    continue;
                }
                name.get_or_insert_with(|| ws.join(" "));
                for w in &ws {
                    if w.len() >= 3 {
                        dict.vocab.insert(w.clone());
                    }
                }
                let stems: Vec<String> = ws.iter().map(|w| stem(w)).collect();
                if let [single] = stems.as_slice() {
                    if ws[0].len() == 2 {
                        dict.short_vocab.insert(ws[0].clone());
                    }
                    let entry = dict.single.entry(single.clone()).or_default();
                    if !entry.contains(&group) {
                        entry.push(group);
                    }
                    // A run-together spelling (`postalcode`) also matches its spaced form.
                } else if stems.len() <= MAX_PHRASE {
                    multi.push((stems.clone(), group));
                    let joined: String = ws.concat();
                    let entry = dict.single.entry(stem(&joined)).or_default();
                    if !entry.contains(&group) {
                        entry.push(group);
                    }
                }
            }
            dict.names.push(name.unwrap_or_default());
        }
        // `~` lines name groups by their first term.
        for line in related_lines {
            let groups: Vec<u32> = line
                .split('|')
                .filter_map(|t| {
                    let name = words(t).join(" ");
                    dict.names
                        .iter()
                        .position(|n| !name.is_empty() && *n == name)
                        .map(|g| g as u32)
                })
                .collect();
            for &a in &groups {
                for &b in &groups {
                    if a != b {
                        dict.related.insert((a, b));
                    }
                }
            }
        }
        for (stems, group) in multi {
            let mut keys = vec![stems[0].clone()];
            if let Some(gs) = dict.single.get(&stems[0]) {
                keys.extend(gs.iter().map(|g| format!("#{g}")));
            }
            for key in keys {
                dict.phrases
                    .entry(key)
                    .or_default()
                    .push((stems.clone(), group));
            }
        }
        for list in dict.phrases.values_mut() {
            list.sort_by_key(|p| std::cmp::Reverse(p.0.len()));
            list.dedup();
        }
        dict
    }

    /// The display name of a group.
    pub fn group_name(&self, group: u32) -> &str {
        self.names
            .get(group as usize)
            .map(String::as_str)
            .unwrap_or("")
    }

    /// Whether two groups have related meanings (a `~` line).
    pub fn groups_related(&self, a: u32, b: u32) -> bool {
        self.related.contains(&(a, b))
    }

    /// Groups of a single-word stem.
    pub fn groups_of(&self, stem: &str) -> &[u32] {
        self.single.get(stem).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Words known to the dictionary (three letters or more).
    pub fn vocab(&self) -> &HashSet<String> {
        &self.vocab
    }

    /// Two-letter abbreviations known to the dictionary.
    pub fn short_vocab(&self) -> &HashSet<String> {
        &self.short_vocab
    }

    /// Whether two single-word stems are in a common group.
    fn related(&self, a: &str, b: &str) -> bool {
        a == b || {
            let ga = self.groups_of(a);
            !ga.is_empty() && self.groups_of(b).iter().any(|g| ga.contains(g))
        }
    }

    /// Groups the tokens of one path segment into terms, matching the longest dictionary phrase
    /// first; a phrase word matches a token with the same stem or a single-word synonym of it
    /// (so `email addr` matches the phrase `email address`). Stop words left over are dropped.
    pub fn terms(&self, tokens: &[Token]) -> Vec<Term> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < tokens.len() {
            if let Some((len, group)) = self.longest_phrase(&tokens[i..]) {
                let span = &tokens[i..i + len];
                out.push(Term {
                    text: span
                        .iter()
                        .map(|t| t.word.as_str())
                        .collect::<Vec<_>>()
                        .join(" "),
                    stems: span.iter().map(|t| t.stem.clone()).collect(),
                    groups: vec![group],
                });
                i += len;
                continue;
            }
            let t = &tokens[i];
            i += 1;
            if super::normalise::is_stop_word(&t.word) {
                continue;
            }
            out.push(Term {
                text: t.word.clone(),
                stems: vec![t.stem.clone()],
                groups: self.groups_of(&t.stem).to_vec(),
            });
        }
        out
    }

    /// The group of a phrase covering exactly these tokens (`phones` + `number` → phone).
    pub fn whole_phrase(&self, tokens: &[Token]) -> Option<u32> {
        self.longest_phrase(tokens)
            .filter(|(len, _)| *len == tokens.len())
            .map(|(_, g)| g)
    }

    fn longest_phrase(&self, tokens: &[Token]) -> Option<(usize, u32)> {
        let first = tokens.first()?;
        let mut keys = vec![first.stem.clone()];
        keys.extend(self.groups_of(&first.stem).iter().map(|g| format!("#{g}")));
        let mut best: Option<(usize, u32)> = None;
        for key in keys {
            for (stems, group) in self.phrases.get(&key).map(Vec::as_slice).unwrap_or(&[]) {
                let len = stems.len();
                if len > tokens.len() || best.is_some_and(|(l, _)| l >= len) {
                    continue;
                }
                if stems
                    .iter()
                    .zip(tokens)
                    .all(|(p, t)| self.related(p, &t.stem))
                {
                    best = Some((len, *group));
                }
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms_of(name: &str) -> Vec<Term> {
        let tokens: Vec<Token> = words(name)
            .into_iter()
            .map(|w| Token {
                stem: stem(&w),
                word: w,
            })
            .collect();
        builtin().terms(&tokens)
    }

    /// Two names are synonyms when each is a single term and the terms share a group.
    fn synonyms(a: &str, b: &str) -> bool {
        let (ta, tb) = (terms_of(a), terms_of(b));
        ta.len() == 1 && tb.len() == 1 && ta[0].groups.iter().any(|g| tb[0].groups.contains(g))
    }

    fn check(a: &str, b: &str, expected: bool) {
        assert_eq!(synonyms(a, b), expected, "synonyms({a:?}, {b:?})");
    }

    #[test]
    fn knows_the_domain_synonyms() {
        let table = [
            ("zip", "postal_code", true),
            ("postcode", "PostalCode", true),
            ("fname", "givenName", true),
            ("lname", "family_name", true),
            ("surname", "last-name", true),
            ("org", "company", true),
            ("amt", "amount", true),
            ("tel", "mobile", true),
            ("dob", "date_of_birth", true),
            ("birthdate", "DateOfBirth", true),
            ("addr", "address", true),
            ("qty", "quantity", true),
            ("desc", "description", true),
            ("createdAt", "creation_date", true),
            ("CreateTime", "created_at", true),
            ("email", "e-mail", true),
            ("emailAddr", "email", true),
            ("firstname", "first_name", true),
            ("zip", "city", false),
            ("first_name", "last_name", false),
            ("created_at", "updated_at", false),
            ("amount", "quantity", false),
        ];
        for (a, b, expected) in table {
            check(a, b, expected);
        }
    }

    #[test]
    fn stop_words_outside_phrases_are_dropped() {
        let t: Vec<String> = terms_of("is_taxable")
            .iter()
            .map(|t| t.text.clone())
            .collect();
        assert_eq!(t, vec!["taxable".to_string()]);
        let t: Vec<String> = terms_of("date_of_birth")
            .iter()
            .map(|t| t.text.clone())
            .collect();
        assert_eq!(t, vec!["date of birth".to_string()]);
    }

    #[test]
    fn related_lines_link_groups() {
        let d = Dictionary::parse(
            "id | identifier\nreference | ref\nstatus\n~ id | reference | nosuchgroup\n",
        );
        let (id, rf, st) = (
            d.groups_of("id")[0],
            d.groups_of("ref")[0],
            d.groups_of("status")[0],
        );
        assert!(d.groups_related(id, rf) && d.groups_related(rf, id));
        assert!(!d.groups_related(id, st) && !d.groups_related(id, id));
    }

    #[test]
    fn an_extra_line_extends_the_dictionary() {
        let d = Dictionary::parse("# comment\nfoo | bar baz\n\n  | \n");
        let tok = |w: &str| Token {
            word: w.to_string(),
            stem: stem(w),
        };
        let t = d.terms(&[tok("bar"), tok("baz")]);
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].groups, d.groups_of("foo").to_vec());
        assert_eq!(d.group_name(0), "foo");
    }
}
