//! Evidence from sample values: what kind of values a field holds (e-mails, phones, postal codes,
//! dates, amounts, booleans, ids…), which values, and how alike two fields' samples are.

use std::collections::HashSet;

use serde_json::Value;

/// What a single sample value looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ValueClass {
    /// true/false, yes/no.
    Boolean,
    /// A whole number.
    Integer,
    /// A number with decimals.
    Decimal,
    /// A number with a currency sign or code (`$12.50`, `12,50 EUR`).
    CurrencyAmount,
    /// An e-mail address.
    Email,
    /// A web address.
    Url,
    /// A telephone number.
    Phone,
    /// A UUID.
    Uuid,
    /// A calendar date.
    Date,
    /// A date with a time.
    DateTime,
    /// A postal code that is not a plain number (`SW1A 1AA`, `94107-1234`, `K1A 0B1`).
    PostalCode,
    /// A two-letter upper-case code (ISO country, US state).
    Code2,
    /// A three-letter ISO currency code.
    CurrencyCode,
    /// A token mixing letters and digits without spaces (`INV-0042`, `A-C71970F`).
    IdLike,
    /// A few words.
    ShortText,
    /// A sentence or more.
    LongText,
}

/// Number of value classes (size of a class histogram).
const CLASSES: usize = 16;

impl ValueClass {
    fn index(self) -> usize {
        self as usize
    }

    /// Plain words for reasons ("look like postal codes").
    pub fn plural(self) -> &'static str {
        match self {
            ValueClass::Boolean => "booleans",
            ValueClass::Integer => "whole numbers",
            ValueClass::Decimal => "decimal numbers",
            ValueClass::CurrencyAmount => "currency amounts",
            ValueClass::Email => "e-mail addresses",
            ValueClass::Url => "URLs",
            ValueClass::Phone => "phone numbers",
            ValueClass::Uuid => "UUIDs",
            ValueClass::Date => "dates",
            ValueClass::DateTime => "date-times",
            ValueClass::PostalCode => "postal codes",
            ValueClass::Code2 => "two-letter codes",
            ValueClass::CurrencyCode => "currency codes",
            ValueClass::IdLike => "identifiers",
            ValueClass::ShortText => "short texts",
            ValueClass::LongText => "long texts",
        }
    }

    /// Classes that are different spellings of the same sort of value.
    fn family(self) -> u8 {
        use ValueClass::*;
        match self {
            Integer | Decimal | CurrencyAmount => 1,
            Date | DateTime => 2,
            Uuid | IdLike => 3,
            ShortText | LongText => 4,
            Code2 | CurrencyCode => 5,
            Boolean => 6,
            Email => 7,
            Url => 8,
            Phone => 9,
            PostalCode => 10,
        }
    }
}

/// How dates are written in a field's samples, for transform hints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateShape {
    /// `2024-03-01`.
    IsoDate,
    /// `2024-03-01T10:00:00Z` or `2024-03-01 10:00:00`.
    IsoDateTime,
    /// `03/01/2024` or `1/3/2024`.
    Slashed,
    /// Seconds since 1970.
    UnixSeconds,
    /// Milliseconds since 1970.
    UnixMillis,
}

/// What the samples of one field look like.
#[derive(Debug, Clone, Default)]
pub struct Profile {
    /// Number of non-empty samples.
    pub n: usize,
    counts: [u32; CLASSES],
    /// Canonical values (lower-cased, trimmed, numbers in one spelling).
    pub values: HashSet<String>,
    /// Min, max and mean when most samples are numbers.
    pub numeric: Option<(f64, f64, f64)>,
    /// Mean length of the samples as text.
    pub mean_len: f64,
    /// Whether any sample had upper-case letters (for lower-casing e-mails).
    pub has_upper: bool,
    /// Whether numbers came as JSON strings (`"42"`).
    pub numbers_as_text: bool,
    /// The date spelling most samples use, if they are dates.
    pub date_shape: Option<DateShape>,
    /// Samples as written, for value maps.
    pub raw: Vec<String>,
    /// Sorted hashes of `values`, so that comparing two fields is a merge, not a hash lookup.
    hashes: Vec<u64>,
    /// Share of samples per class, and per family of classes.
    dist: [f64; CLASSES],
    family_dist: [f64; 11],
    /// The non-zero entries of `dist` and `family_dist`, so that comparing two fields touches
    /// only the classes they have.
    sparse_dist: Vec<(u8, f64)>,
    sparse_family: Vec<(u8, f64)>,
    /// How telling a shared value is, 0..1, averaged over the values: `1`, `0` or `yes` are
    /// shared by unrelated fields all the time, `ada@example.com` or `94107` are not.
    specificity: f64,
}

/// How alike the samples of two fields are.
#[derive(Debug, Clone, Copy, Default)]
pub struct ValueEvidence {
    /// Overall value similarity, 0..1.
    pub score: f64,
    /// Agreement of value classes, 0..1.
    pub class_agreement: f64,
    /// Share of the smaller value set found in the other, 0..1.
    pub overlap: f64,
    /// The same share weighted by how specific the values are (long strings, numbers of many
    /// digits; not `1`, `yes`) and halved for tiny sets: 1 when the fields plainly hold the
    /// same data.
    pub specific_overlap: f64,
}

/// Classifies one sample value; `None` for nulls, empty strings, objects and arrays.
pub fn classify(v: &Value) -> Option<ValueClass> {
    match v {
        Value::Bool(_) => Some(ValueClass::Boolean),
        Value::Number(n) => Some(if n.is_i64() || n.is_u64() {
            ValueClass::Integer
        } else {
            ValueClass::Decimal
        }),
        Value::String(s) => classify_str(s),
        _ => None,
    }
}

/// Classifies a sample written as text.
pub fn classify_str(s: &str) -> Option<ValueClass> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let lower = s.to_ascii_lowercase();
    Some(
        if matches!(
            lower.as_str(),
            "true" | "false" | "yes" | "no" | "y" | "n" | "t" | "f"
        ) {
            ValueClass::Boolean
        } else if is_uuid(s) {
            ValueClass::Uuid
        } else if is_email(s) {
            ValueClass::Email
        } else if lower.starts_with("http://")
            || lower.starts_with("https://")
            || lower.starts_with("www.")
        {
            ValueClass::Url
        } else if let Some(shape) = date_shape(s) {
            if matches!(shape, DateShape::IsoDateTime) {
                ValueClass::DateTime
            } else {
                ValueClass::Date
            }
        } else if parse_number(s).is_some() {
            if s.contains(['.', ',']) {
                ValueClass::Decimal
            } else {
                ValueClass::Integer
            }
        } else if is_currency_amount(s) {
            ValueClass::CurrencyAmount
        } else if is_postal_code(s) {
            ValueClass::PostalCode
        } else if is_phone(s) {
            ValueClass::Phone
        } else if s.len() == 2 && s.chars().all(|c| c.is_ascii_uppercase()) {
            ValueClass::Code2
        } else if s.len() == 3 && CURRENCIES.contains(&s) {
            ValueClass::CurrencyCode
        } else if !s.contains(char::is_whitespace)
            && s.chars().any(|c| c.is_ascii_digit())
            && s.chars().any(|c| c.is_alphabetic())
        {
            ValueClass::IdLike
        } else if s.split_whitespace().count() <= 4 && s.len() <= 40 {
            ValueClass::ShortText
        } else {
            ValueClass::LongText
        },
    )
}

/// Common ISO 4217 codes: enough to tell a currency column from other three-letter codes.
const CURRENCIES: &[&str] = &[
    "USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "NZD", "CNY", "HKD", "SGD", "SEK", "NOK",
    "DKK", "PLN", "CZK", "HUF", "INR", "BRL", "MXN", "ZAR", "KRW", "TRY", "ILS", "AED", "SAR",
    "RUB", "THB", "IDR", "MYR", "PHP",
];

fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                *c == b'-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

fn is_email(s: &str) -> bool {
    let mut parts = s.splitn(2, '@');
    match (parts.next(), parts.next()) {
        (Some(local), Some(domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !s.contains(char::is_whitespace)
                && !domain.contains('@')
        }
        _ => false,
    }
}

fn digits(s: &str) -> usize {
    s.chars().filter(|c| c.is_ascii_digit()).count()
}

fn is_phone(s: &str) -> bool {
    let allowed = s
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c));
    let d = digits(s);
    let separated = s.starts_with('+') || s.contains([' ', '-', '(', '.']);
    allowed && (7..=15).contains(&d) && separated
}

fn is_postal_code(s: &str) -> bool {
    let b = s.as_bytes();
    // US ZIP+4.
    if b.len() == 10 && b[5] == b'-' && digits(s) == 9 {
        return true;
    }
    // Canadian (`K1A 0B1`) and UK (`SW1A 1AA`) shapes; other letter-digit codes are ids.
    let compact: Vec<char> = s.chars().filter(|c| *c != ' ').collect();
    if s.matches(' ').count() > 1
        || !compact
            .iter()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
    {
        return false;
    }
    let letter = |c: &char| c.is_ascii_uppercase();
    let digit = |c: &char| c.is_ascii_digit();
    let canadian = compact.len() == 6
        && compact
            .iter()
            .enumerate()
            .all(|(i, c)| if i % 2 == 0 { letter(c) } else { digit(c) });
    let uk = (5..=7).contains(&compact.len())
        && compact.first().is_some_and(letter)
        && compact.iter().rev().take(2).all(letter)
        && compact.get(compact.len() - 3).is_some_and(digit)
        && compact.iter().take(compact.len() - 3).any(digit);
    canadian || uk
}

fn is_currency_amount(s: &str) -> bool {
    let t = s
        .trim_start_matches(['$', '€', '£', '¥'])
        .trim_end_matches(['$', '€', '£', '¥'])
        .trim();
    if t.len() != s.len() && parse_number(t).is_some() {
        return true;
    }
    let mut parts = s.split_whitespace();
    match (parts.next(), parts.next(), parts.next()) {
        (Some(a), Some(b), None) => {
            (CURRENCIES.contains(&a) && parse_number(b).is_some())
                || (CURRENCIES.contains(&b) && parse_number(a).is_some())
        }
        _ => false,
    }
}

/// Parses `42`, `-3.5`, `1,234.50` or `1.234,50` into a number.
pub fn parse_number(s: &str) -> Option<f64> {
    let s = s.trim();
    if s.is_empty() || s.len() > 24 {
        return None;
    }
    if !s.chars().all(|c| c.is_ascii_digit() || "+-.,".contains(c))
        || !s.chars().any(|c| c.is_ascii_digit())
    {
        return None;
    }
    if let Ok(f) = s.parse::<f64>() {
        return f.is_finite().then_some(f);
    }
    // Locale-aware separators: the last of `.` / `,` is the decimal mark when followed by 1–2 digits.
    let last = s.rfind(['.', ','])?;
    let decimals = s.len() - last - 1;
    let cleaned: String = if decimals <= 2 {
        s.chars()
            .enumerate()
            .filter(|(i, c)| *i == last || c.is_ascii_digit() || *c == '-')
            .map(|(i, c)| if i == last { '.' } else { c })
            .collect()
    } else {
        s.chars()
            .filter(|c| c.is_ascii_digit() || *c == '-')
            .collect()
    };
    cleaned.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// Recognises the date spellings that transforms can convert.
pub fn date_shape(s: &str) -> Option<DateShape> {
    let b = s.as_bytes();
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    if b.len() >= 10
        && (0..4).all(digit)
        && (b[4] == b'-' || b[4] == b'/')
        && digit(5)
        && digit(6)
        && b[7] == b[4]
        && digit(8)
        && digit(9)
    {
        let month = (b[5] - b'0') * 10 + (b[6] - b'0');
        let day = (b[8] - b'0') * 10 + (b[9] - b'0');
        if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
            return None;
        }
        return Some(if b.len() == 10 {
            DateShape::IsoDate
        } else if (b[10] == b'T' || b[10] == b' ') && digit(11) {
            DateShape::IsoDateTime
        } else {
            return None;
        });
    }
    let parts: Vec<&str> = s.split('/').collect();
    if parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        && parts[0].len() <= 2
        && parts[1].len() <= 2
        && (parts[2].len() == 4 || parts[2].len() == 2)
    {
        return Some(DateShape::Slashed);
    }
    None
}

/// One spelling for equal values: trimmed, lower-cased, numbers without padding or trailing zeros.
fn canonical(v: &Value) -> Option<String> {
    let text = match v {
        Value::String(s) => s.trim().to_lowercase(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return None,
    };
    if text.is_empty() {
        return None;
    }
    if let Some(f) = parse_number(&text).filter(|_| !text.contains(',')) {
        return Some(format!("{f}"));
    }
    Some(text)
}

impl Profile {
    /// Builds the profile of up to `max` samples.
    pub fn build(samples: &[Value], max: usize) -> Profile {
        let mut p = Profile::default();
        let mut nums = Vec::new();
        let mut total_len = 0usize;
        let mut shapes: Vec<DateShape> = Vec::new();
        let mut all_epoch = true;
        for v in samples.iter().take(max) {
            let Some(class) = classify(v) else { continue };
            p.n += 1;
            p.counts[class.index()] += 1;
            if let Some(c) = canonical(v) {
                p.values.insert(c);
            }
            let text = match v {
                Value::String(s) => s.trim().to_string(),
                other => other.to_string(),
            };
            total_len += text.chars().count();
            p.has_upper |= text.chars().any(char::is_uppercase);
            let num = match v {
                Value::Number(n) => n.as_f64(),
                Value::String(s) if matches!(class, ValueClass::Integer | ValueClass::Decimal) => {
                    p.numbers_as_text = true;
                    parse_number(s)
                }
                _ => None,
            };
            if let Some(f) = num {
                nums.push(f);
                all_epoch &= class == ValueClass::Integer
                    && ((9.0e8..=4.2e9).contains(&f) || (9.0e11..=4.2e12).contains(&f));
            } else {
                all_epoch = false;
            }
            if let Some(s) = date_shape(&text) {
                shapes.push(s);
            }
            if p.raw.len() < 64 {
                p.raw.push(text);
            }
        }
        p.hashes = p
            .values
            .iter()
            .map(|v| {
                let mut h = std::hash::DefaultHasher::new();
                std::hash::Hash::hash(v, &mut h);
                std::hash::Hasher::finish(&h)
            })
            .collect();
        p.hashes.sort_unstable();
        if !p.values.is_empty() {
            p.specificity =
                p.values.iter().map(|v| specificity(v)).sum::<f64>() / p.values.len() as f64;
        }
        if p.n > 0 {
            for (i, class) in ALL.iter().enumerate() {
                let share = f64::from(p.counts[i]) / p.n as f64;
                p.dist[i] = share;
                p.family_dist[class.family() as usize] += share;
            }
        }
        p.sparse_dist = p
            .dist
            .iter()
            .enumerate()
            .filter(|(_, x)| **x > 0.0)
            .map(|(i, x)| (i as u8, *x))
            .collect();
        p.sparse_family = p
            .family_dist
            .iter()
            .enumerate()
            .filter(|(_, x)| **x > 0.0)
            .map(|(i, x)| (i as u8, *x))
            .collect();
        if p.n > 0 {
            p.mean_len = total_len as f64 / p.n as f64;
        }
        if !nums.is_empty() && nums.len() * 5 >= p.n * 4 {
            let min = nums.iter().copied().fold(f64::INFINITY, f64::min);
            let max = nums.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let mean = nums.iter().sum::<f64>() / nums.len() as f64;
            p.numeric = Some((min, max, mean));
        }
        p.date_shape = if shapes.len() * 2 > p.n {
            majority(&shapes)
        } else if all_epoch && nums.len() == p.n && p.n > 0 {
            let ms = nums.iter().all(|f| *f > 9.0e11);
            Some(if ms {
                DateShape::UnixMillis
            } else {
                DateShape::UnixSeconds
            })
        } else {
            None
        };
        p
    }

    /// The most frequent class and its share of the samples.
    pub fn dominant(&self) -> Option<(ValueClass, f64)> {
        if self.n == 0 {
            return None;
        }
        let (i, c) = self
            .counts
            .iter()
            .enumerate()
            .max_by_key(|(i, c)| (**c, std::cmp::Reverse(*i)))?;
        Some((ALL[i], *c as f64 / self.n as f64))
    }

    /// Share of samples in a class.
    pub fn share(&self, class: ValueClass) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            self.counts[class.index()] as f64 / self.n as f64
        }
    }

    /// Whether the field looks like a small set of repeated values (an enum).
    pub fn is_enum_like(&self) -> bool {
        self.n >= 4 && self.values.len() * 2 <= self.n && self.numeric.is_none()
    }
}

const ALL: [ValueClass; CLASSES] = [
    ValueClass::Boolean,
    ValueClass::Integer,
    ValueClass::Decimal,
    ValueClass::CurrencyAmount,
    ValueClass::Email,
    ValueClass::Url,
    ValueClass::Phone,
    ValueClass::Uuid,
    ValueClass::Date,
    ValueClass::DateTime,
    ValueClass::PostalCode,
    ValueClass::Code2,
    ValueClass::CurrencyCode,
    ValueClass::IdLike,
    ValueClass::ShortText,
    ValueClass::LongText,
];

fn majority(shapes: &[DateShape]) -> Option<DateShape> {
    let mut best: Option<(DateShape, usize)> = None;
    for s in shapes {
        let n = shapes.iter().filter(|x| *x == s).count();
        if best.is_none_or(|(_, m)| n > m) {
            best = Some((*s, n));
        }
    }
    best.map(|(s, _)| s)
}

fn specificity(v: &str) -> f64 {
    if parse_number(v).is_some() {
        let d = digits(v) as f64;
        ((d - 1.0) / 4.0).clamp(0.0, 1.0)
    } else {
        (v.chars().count() as f64 / 6.0).min(1.0)
    }
}

fn sorted_common(a: &[u64], b: &[u64]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

/// Compares the samples of two fields. Returns `None` when either side has none.
pub fn compare(a: &Profile, b: &Profile) -> Option<ValueEvidence> {
    if a.n == 0 || b.n == 0 {
        return None;
    }
    compare_counted(a, b, sorted_common(&a.hashes, &b.hashes))
}

/// For every source × target pair, how many distinct values their samples share (row-major,
/// `sources × targets`), from an index of the target values: work grows with the number of
/// shared values, not with the number of pairs times samples.
pub fn common_counts(sources: &[&Profile], targets: &[&Profile]) -> Vec<u16> {
    let cols = targets.len();
    let mut counts = vec![0u16; sources.len() * cols];
    let mut index: std::collections::HashMap<u64, Vec<u32>> = std::collections::HashMap::new();
    for (j, t) in targets.iter().enumerate() {
        for h in &t.hashes {
            index.entry(*h).or_default().push(j as u32);
        }
    }
    if index.is_empty() {
        return counts;
    }
    for (i, s) in sources.iter().enumerate() {
        let row = &mut counts[i * cols..(i + 1) * cols];
        for h in &s.hashes {
            for &j in index.get(h).map(Vec::as_slice).unwrap_or(&[]) {
                if let Some(c) = row.get_mut(j as usize) {
                    *c = c.saturating_add(1);
                }
            }
        }
    }
    counts
}

/// `compare` with the number of shared distinct values already counted.
pub fn compare_counted(a: &Profile, b: &Profile, common: usize) -> Option<ValueEvidence> {
    if a.n == 0 || b.n == 0 {
        return None;
    }
    let exact: f64 = a
        .sparse_dist
        .iter()
        .map(|(i, x)| x.min(b.dist[*i as usize]))
        .sum();
    let fam: f64 = a
        .sparse_family
        .iter()
        .map(|(i, x)| x.min(b.family_dist[*i as usize]))
        .sum();
    let class_agreement = 0.6 * exact + 0.4 * fam;

    let common = common as f64;
    let smaller = a.values.len().min(b.values.len()).max(1) as f64;
    let raw_overlap = common / smaller;
    let mut overlap = raw_overlap * (0.25 + 0.75 * a.specificity.min(b.specificity));
    let mut specific_overlap = raw_overlap * a.specificity.min(b.specificity);
    // Overlap of tiny value sets (0/1, yes/no) says little about which field is which.
    if smaller < 3.0 {
        overlap *= 0.5;
        specific_overlap *= 0.5;
    }

    let shape = match (a.numeric, b.numeric) {
        (Some((amin, amax, amean)), Some((bmin, bmax, bmean))) => {
            let inter = (amax.min(bmax) - amin.max(bmin)).max(0.0);
            let union = (amax.max(bmax) - amin.min(bmin)).max(1e-9);
            let range = if union <= 1e-9 { 1.0 } else { inter / union };
            let m = amean.abs().max(bmean.abs()).max(1e-9);
            let mean = 1.0 - ((amean - bmean).abs() / m).min(1.0);
            0.5 * range + 0.5 * mean
        }
        (None, None) => {
            let m = a.mean_len.max(b.mean_len).max(1.0);
            1.0 - ((a.mean_len - b.mean_len).abs() / m).min(1.0)
        }
        _ => 0.0,
    };
    let score =
        (0.35 * class_agreement + 0.45 * overlap + 0.2 * shape * class_agreement).clamp(0.0, 1.0);
    Some(ValueEvidence {
        score,
        class_agreement,
        overlap: raw_overlap,
        specific_overlap,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(input: Value, expected: Option<ValueClass>) {
        assert_eq!(classify(&input), expected, "classify({input})");
    }

    #[test]
    fn classifies_sample_values() {
        use ValueClass::*;
        let table = [
            (json!("ada@example.com"), Some(Email)),
            (json!("Ada@Example.COM"), Some(Email)),
            (json!("not@an email"), Some(ShortText)),
            (json!("+1 415 555 0100"), Some(Phone)),
            (json!("(415) 555-0100"), Some(Phone)),
            (json!("408 496-7223"), Some(Phone)),
            (json!("https://example.com/x"), Some(Url)),
            (json!("2024-03-01"), Some(Date)),
            (json!("2024-03-01T10:00:00Z"), Some(DateTime)),
            (json!("1991-10-26 00:00:00"), Some(DateTime)),
            (json!("03/01/2024"), Some(Date)),
            (json!("$12.50"), Some(CurrencyAmount)),
            (json!("12.50 EUR"), Some(CurrencyAmount)),
            (json!("94107-1234"), Some(PostalCode)),
            (json!("SW1A 1AA"), Some(PostalCode)),
            (json!("K1A 0B1"), Some(PostalCode)),
            (json!("BU1032"), Some(IdLike)),
            (json!("94107"), Some(Integer)),
            (json!("10.50"), Some(Decimal)),
            (json!(3.5), Some(Decimal)),
            (json!(42), Some(Integer)),
            (json!(true), Some(Boolean)),
            (json!("yes"), Some(Boolean)),
            (json!("US"), Some(Code2)),
            (json!("EUR"), Some(CurrencyCode)),
            (json!("123e4567-e89b-12d3-a456-426614174000"), Some(Uuid)),
            (json!("A-C71970F"), Some(IdLike)),
            (json!("Menlo Park"), Some(ShortText)),
            (
                json!("New Hire - Job not specified at all today"),
                Some(LongText),
            ),
            (json!(""), None),
            (json!(null), None),
        ];
        for (input, expected) in table {
            check(input, expected);
        }
    }

    #[test]
    fn parses_numbers_in_several_locales() {
        let table = [
            ("42", Some(42.0)),
            ("1,234.50", Some(1234.5)),
            ("1.234,50", Some(1234.5)),
            ("12,5", Some(12.5)),
            ("abc", None),
            ("", None),
        ];
        for (input, expected) in table {
            assert_eq!(parse_number(input), expected, "parse_number({input:?})");
        }
    }

    #[test]
    fn same_values_in_another_spelling_overlap() {
        let a = Profile::build(&[json!("0736"), json!("0877"), json!("1389")], 20);
        let b = Profile::build(&[json!(736), json!(877.0), json!(1389)], 20);
        let c = Profile::build(
            &[
                json!("ada@example.com"),
                json!("bob@example.com"),
                json!("eve@example.com"),
            ],
            20,
        );
        let ab = compare(&a, &b).map(|e| e.score).unwrap_or(0.0);
        let ac = compare(&a, &c).map(|e| e.score).unwrap_or(1.0);
        assert!(ab > 0.7, "ab = {ab}");
        assert!(ac < 0.2, "ac = {ac}");
        assert!(compare(&a, &Profile::default()).is_none());
    }

    #[test]
    fn indexed_common_counts_equal_pairwise_merges() {
        let a = Profile::build(&[json!("x1"), json!("x2"), json!("y3"), json!("x1")], 20);
        let b = Profile::build(&[json!("x2"), json!("x1"), json!("z9")], 20);
        let c = Profile::build(&[json!("q")], 20);
        let d = Profile::default();
        let all = [&a, &b, &c, &d];
        let counts = common_counts(&all, &all);
        for (i, p) in all.iter().enumerate() {
            for (j, q) in all.iter().enumerate() {
                assert_eq!(
                    usize::from(counts[i * all.len() + j]),
                    sorted_common(&p.hashes, &q.hashes),
                    "{i} {j}"
                );
            }
        }
        assert_eq!(counts[1], 2);
    }

    #[test]
    fn detects_epoch_and_date_shapes() {
        let s = Profile::build(&[json!(1700000000), json!(1710000000)], 20);
        assert_eq!(s.date_shape, Some(DateShape::UnixSeconds));
        let d = Profile::build(&[json!("2024-03-01"), json!("2024-04-01")], 20);
        assert_eq!(d.date_shape, Some(DateShape::IsoDate));
        let n = Profile::build(&[json!(12), json!(13)], 20);
        assert_eq!(n.date_shape, None);
    }
}
