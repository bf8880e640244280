//! Splitting field paths into segments and words (camelCase, snake_case, kebab-case, dotted, bracketed).

/// One segment of a dotted path, e.g. `lines[]` in `lines[].amount`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// The segment's lower-cased words, in order.
    pub words: Vec<String>,
    /// Whether the segment names an array (`lines[]`, `lines[0]`).
    pub is_array: bool,
}

/// Splits a path such as `BillAddr.PostalCode`, `lines[].amount` or `data/attributes/first-name`
/// into segments of words. Empty segments (a leading dot, `[]` on its own) are dropped.
pub fn split_path(path: &str) -> Vec<Segment> {
    let mut segments: Vec<Segment> = Vec::new();
    let mut current = String::new();
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '.' | '/' | '>' => flush(&mut current, &mut segments),
            '[' => {
                // Everything up to the closing bracket is an index or a wildcard, never a name
                // (unless it is a quoted key such as `["first name"]`).
                let mut inner = String::new();
                for d in chars.by_ref() {
                    if d == ']' {
                        break;
                    }
                    inner.push(d);
                }
                flush(&mut current, &mut segments);
                let key = inner.trim_matches(|x: char| x == '"' || x == '\'' || x == '*');
                if key.chars().any(|x| x.is_alphabetic()) {
                    segments.push(Segment {
                        words: words(key),
                        is_array: false,
                    });
                } else if let Some(last) = segments.last_mut() {
                    last.is_array = true;
                }
            }
            _ => current.push(c),
        }
    }
    flush(&mut current, &mut segments);
    segments.retain(|s| !s.words.is_empty());
    segments
}

fn flush(current: &mut String, segments: &mut Vec<Segment>) {
    if !current.is_empty() {
        segments.push(Segment {
            words: words(current),
            is_array: false,
        });
        current.clear();
    }
}

/// Splits one identifier into lower-cased words at separators, case changes
/// (`firstName`, `HTTPServer` → `http server`) and letter/digit boundaries (`line1` → `line 1`).
pub fn words(s: &str) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            push_word(&mut cur, &mut out);
            continue;
        }
        if let Some(&prev) = i.checked_sub(1).and_then(|j| chars.get(j)) {
            let next = chars.get(i + 1).copied();
            let boundary = (prev.is_lowercase() && c.is_uppercase())
                || (prev.is_alphabetic() && c.is_numeric())
                || (prev.is_numeric() && c.is_alphabetic())
                // The last capital of an acronym starts the next word: `URLPath` → `url path`.
                || (prev.is_uppercase()
                    && c.is_uppercase()
                    && next.is_some_and(|n| n.is_lowercase()));
            if boundary && prev.is_alphanumeric() {
                push_word(&mut cur, &mut out);
            }
        }
        for l in c.to_lowercase() {
            push_folded(l, &mut cur);
        }
    }
    push_word(&mut cur, &mut out);
    out
}

/// Pushes a lower-case letter without its accent (`é` → `e`, `ß` → `ss`): field names are
/// written with and without accents (`prénom` / `prenom`, `città` / `citta`), and should meet.
fn push_folded(c: char, out: &mut String) {
    let plain = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' => 'a',
        'ç' | 'č' | 'ć' => 'c',
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' | 'ě' => 'e',
        'ì' | 'í' | 'î' | 'ï' | 'ī' => 'i',
        'ñ' | 'ń' | 'ň' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' => 'o',
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' => 'u',
        'ý' | 'ÿ' => 'y',
        'š' | 'ś' => 's',
        'ž' | 'ź' | 'ż' => 'z',
        'ł' => 'l',
        'ř' => 'r',
        'ß' => {
            out.push_str("ss");
            return;
        }
        'æ' => {
            out.push_str("ae");
            return;
        }
        'œ' => {
            out.push_str("oe");
            return;
        }
        other => other,
    };
    out.push(plain);
}

fn push_word(cur: &mut String, out: &mut Vec<String>) {
    if !cur.is_empty() {
        out.push(std::mem::take(cur));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: &str) {
        let got: Vec<String> = split_path(input)
            .iter()
            .map(|s| {
                format!(
                    "{}{}",
                    s.words.join(" "),
                    if s.is_array { "[]" } else { "" }
                )
            })
            .collect();
        assert_eq!(got.join(" / "), expected, "split_path({input:?})");
    }

    #[test]
    fn splits_paths_in_every_common_style() {
        let table = [
            ("firstName", "first name"),
            ("Prénom.Straße", "prenom / strasse"),
            ("first_name", "first name"),
            ("first-name", "first name"),
            ("FIRST_NAME", "first name"),
            ("BillAddr.PostalCode", "bill addr / postal code"),
            ("properties.firstname", "properties / firstname"),
            ("lines[].amount", "lines[] / amount"),
            (
                "Line[0].SalesItemLineDetail.Qty",
                "line[] / sales item line detail / qty",
            ),
            ("address.line1", "address / line 1"),
            ("URLPath", "url path"),
            ("GSTIN", "gstin"),
            (
                "customFields[\"Lead Source\"]",
                "custom fields / lead source",
            ),
            (
                "data/attributes/created-at",
                "data / attributes / created at",
            ),
            (
                "jobs[].compensations[].rate",
                "jobs[] / compensations[] / rate",
            ),
            ("", ""),
            ("..", ""),
        ];
        for (input, expected) in table {
            check(input, expected);
        }
    }
}
