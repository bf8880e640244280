//! Word normalisation: a light stemmer, stop words, and splitting of run-together compounds.

use std::collections::HashSet;

/// Words that carry no meaning of their own in field names (`is_active`, `date_of_birth`).
/// Phrases that contain them (`created at`) are matched in the dictionary before they are dropped.
const STOP_WORDS: &[&str] = &[
    "a", "an", "the", "of", "is", "has", "at", "on", "by", "in", "for", "and", "with",
];

/// Whether a word is a stop word.
pub fn is_stop_word(word: &str) -> bool {
    STOP_WORDS.contains(&word)
}

/// Reduces a lower-cased word to a comparison key, so that inflections meet:
/// `addresses`/`address`, `created`/`create`, `shipping`/`ship`, `categories`/`category`.
/// The key is only ever compared with other keys, so it need not be a real word.
pub fn stem(word: &str) -> String {
    let w = word;
    if w.len() < 4 || !w.chars().all(|c| c.is_ascii_alphabetic()) {
        return w.to_string();
    }
    let mut s = if let Some(base) = w.strip_suffix("ies") {
        format!("{base}y")
    } else if let Some(base) = w.strip_suffix("ied") {
        format!("{base}y")
    } else if w.ends_with("sses")
        || w.ends_with("xes")
        || w.ends_with("ches")
        || w.ends_with("shes")
    {
        w[..w.len() - 2].to_string()
    } else if w.ends_with('s') && !w.ends_with("ss") && !w.ends_with("us") && !w.ends_with("is") {
        w[..w.len() - 1].to_string()
    } else if w.len() > 5 && w.ends_with("ing") {
        w[..w.len() - 3].to_string()
    } else if w.len() > 4 && w.ends_with("ed") {
        w[..w.len() - 2].to_string()
    } else {
        w.to_string()
    };
    // `create` and `creat(ed)` must meet, so a final silent `e` goes.
    if s.len() > 4 && s.ends_with('e') {
        s.pop();
    }
    // `shipp(ing)` and `ship` must meet, so a doubled final consonant is halved.
    let b = s.as_bytes();
    if b.len() > 3
        && b[b.len() - 1] == b[b.len() - 2]
        && !matches!(b[b.len() - 1], b'a' | b'e' | b'i' | b'o' | b'u' | b's')
    {
        s.pop();
    }
    s
}

/// Splits a run-together word (`firstname`, `discounttype`, `lastupdatedtime`) into known words,
/// using the fewest pieces. Pieces of three letters or more must be in `vocab`; two-letter pieces
/// must be in `short_vocab` (dictionary abbreviations such as `id`, `no`). Returns `None` when the
/// word cannot be covered, or is short, or is itself a known word.
pub fn split_compound(
    word: &str,
    vocab: &HashSet<String>,
    short_vocab: &HashSet<String>,
) -> Option<Vec<String>> {
    let n = word.len();
    if n < 6 || !word.is_ascii() || vocab.contains(word) {
        return None;
    }
    // best[i] = fewest pieces covering word[..i], with the split point that achieved it.
    let mut best: Vec<Option<(usize, usize)>> = vec![None; n + 1];
    best[0] = Some((0, 0));
    for end in 2..=n {
        for start in 0..end - 1 {
            let Some((count, _)) = best[start] else {
                continue;
            };
            let piece = &word[start..end];
            let known = if piece.len() >= 3 {
                vocab.contains(piece)
            } else {
                short_vocab.contains(piece)
            };
            if known && best[end].is_none_or(|(c, _)| count + 1 < c) {
                best[end] = Some((count + 1, start));
            }
        }
    }
    let (count, _) = best[n]?;
    if !(2..=4).contains(&count) {
        return None;
    }
    let mut pieces = Vec::new();
    let mut end = n;
    while end > 0 {
        let (_, start) = best[end]?;
        pieces.push(word[start..end].to_string());
        end = start;
    }
    pieces.reverse();
    Some(pieces)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: &str) {
        assert_eq!(
            stem(input),
            stem(expected),
            "stem({input:?}) should equal stem({expected:?})"
        );
    }

    #[test]
    fn inflections_meet() {
        let table = [
            ("addresses", "address"),
            ("created", "create"),
            ("updated", "update"),
            ("shipping", "ship"),
            ("billing", "bill"),
            ("categories", "category"),
            ("modified", "modify"),
            ("phones", "phone"),
            ("status", "status"),
            ("invoices", "invoice"),
            ("closed", "close"),
        ];
        for (a, b) in table {
            check(a, b);
        }
    }

    #[test]
    fn different_words_stay_apart() {
        for (a, b) in [
            ("status", "state"),
            ("name", "names_x"),
            ("city", "country"),
            ("line", "lines1"),
        ] {
            assert_ne!(stem(a), stem(b), "{a} vs {b}");
        }
    }

    #[test]
    fn splits_run_together_words() {
        let vocab: HashSet<String> = [
            "first", "name", "last", "updated", "time", "discount", "type", "high", "qty",
            "postal", "code", "address",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let short: HashSet<String> = ["id", "no"].iter().map(|s| s.to_string()).collect();
        let table: &[(&str, Option<&str>)] = &[
            ("firstname", Some("first name")),
            ("lastupdatedtime", Some("last updated time")),
            ("discounttype", Some("discount type")),
            ("highqty", Some("high qty")),
            ("customerid", None),
            ("nameid", Some("name id")),
            ("address", None),
            ("xyzzyplugh", None),
            ("name", None),
        ];
        for (word, expected) in table {
            let got = split_compound(word, &vocab, &short).map(|p| p.join(" "));
            assert_eq!(got.as_deref(), *expected, "split_compound({word:?})");
        }
    }
}
