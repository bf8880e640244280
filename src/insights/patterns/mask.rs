//! Typed masking of the variable parts of a log message (numbers, ids, e-mails, URLs, IPs, …).
//!
//! A message is split into whitespace-separated tokens (a date written with spaces, or a
//! bracketed list such as `[Email, Name]`, stays one token), and each token into segments:
//! literal text (one segment per alphanumeric run or punctuation character, so templates can be
//! generalised piece by piece) and variables with a [`Kind`]. Variables are *strong* when their
//! shape alone says they vary (a number standing alone, a UUID, an IP address) and *weak* when
//! they are often part of a name (`wl0`, `IPv4`, a quoted word): the miner shows a weak variable
//! literally until it has seen it change.
//!
//! Masking is hand-written byte scanning: one pass splits the message and notes which characters
//! each token holds, so that recognisers needing a character a token lacks are not tried; the
//! regexes for dates, sizes and lists written with spaces run only on the few messages that may
//! hold one. [`TokenBuf`] keeps the tokens of a message in storage reused from one message to the
//! next; [`tokenize`] returns them as [`Token`]s.

use std::fmt;
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

/// The kind of a masked value; its placeholder is written `<NAME>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Kind {
    /// A number: integer or decimal, possibly signed, possibly followed by a unit (`60s`, `15GB`).
    Num,
    /// A hexadecimal value (`0x1f`, `deadbeef01`).
    Hex,
    /// A UUID.
    Uuid,
    /// An opaque identifier (`cus_9aZk…`, Salesforce `0038d00008TPQxjq4i`).
    Id,
    /// An e-mail address.
    Email,
    /// A URL with a scheme.
    Url,
    /// A file path (`/var/log/x.log`, `C:\\temp`).
    Path,
    /// An IPv4 address, with its port if any.
    Ip,
    /// A host name under a common top-level domain.
    Host,
    /// A date, a time or both.
    Time,
    /// The content of a quoted value or of a bracketed list.
    Value,
}

impl Kind {
    /// The placeholder written in templates, such as `<NUM>`.
    pub fn placeholder(self) -> &'static str {
        match self {
            Kind::Num => "<NUM>",
            Kind::Hex => "<HEX>",
            Kind::Uuid => "<UUID>",
            Kind::Id => "<ID>",
            Kind::Email => "<EMAIL>",
            Kind::Url => "<URL>",
            Kind::Path => "<PATH>",
            Kind::Ip => "<IP>",
            Kind::Host => "<HOST>",
            Kind::Time => "<TIME>",
            Kind::Value => "<*>",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.placeholder())
    }
}

/// What one segment of a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegKind {
    /// Literal text.
    Lit,
    /// A variable of this kind; `strong` when its shape alone says it varies.
    Var {
        /// The kind of value.
        kind: Kind,
        /// Whether the value is masked even before it has been seen to change.
        strong: bool,
    },
}

/// One segment of a token: a byte range of the token's text and what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    /// Start byte offset within the token.
    pub start: usize,
    /// End byte offset (exclusive) within the token.
    pub end: usize,
    /// Literal or variable.
    pub kind: SegKind,
}

/// A token of a message with its segments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token<'a> {
    /// The token as written in the message.
    pub raw: &'a str,
    /// Its segments, covering `raw` from start to end.
    pub segments: Vec<Segment>,
}

impl Token<'_> {
    /// The text of one segment.
    pub fn text(&self, seg: &Segment) -> &str {
        self.raw.get(seg.start..seg.end).unwrap_or("")
    }

    /// The token with its variables replaced by placeholders; tokens with equal keys are
    /// interchangeable for grouping.
    pub fn key(&self) -> String {
        self.view().key()
    }

    /// Whether the token holds any variable segment.
    pub fn has_var(&self) -> bool {
        self.view().has_var()
    }

    /// The token as a borrowed [`TokenRef`].
    pub fn view(&self) -> TokenRef<'_> {
        TokenRef {
            raw: self.raw,
            segments: &self.segments,
        }
    }
}

impl<'a> From<&'a Token<'_>> for TokenRef<'a> {
    fn from(token: &'a Token<'_>) -> TokenRef<'a> {
        token.view()
    }
}

/// A token whose segments are borrowed (from a [`TokenBuf`] or a [`Token`]): what the miner
/// works on, so that mining a message allocates no vector per token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenRef<'a> {
    /// The token as written in the message.
    pub raw: &'a str,
    /// Its segments, covering `raw` from start to end.
    pub segments: &'a [Segment],
}

impl<'a> TokenRef<'a> {
    /// The text of one segment.
    pub fn text(&self, seg: &Segment) -> &'a str {
        self.raw.get(seg.start..seg.end).unwrap_or("")
    }

    /// The token with its variables replaced by placeholders (see [`Token::key`]).
    pub fn key(&self) -> String {
        let mut out = String::with_capacity(self.raw.len());
        self.key_into(&mut out);
        out
    }

    /// Appends [`TokenRef::key`] to `out`.
    pub fn key_into(&self, out: &mut String) {
        for seg in self.segments {
            match seg.kind {
                SegKind::Lit => out.push_str(self.text(seg)),
                SegKind::Var { kind, .. } => out.push_str(kind.placeholder()),
            }
        }
    }

    /// Whether the token holds any variable segment.
    pub fn has_var(&self) -> bool {
        self.segments
            .iter()
            .any(|s| matches!(s.kind, SegKind::Var { .. }))
    }

    /// Whether the token holds a strong variable segment.
    pub fn has_strong_var(&self) -> bool {
        self.segments
            .iter()
            .any(|s| matches!(s.kind, SegKind::Var { strong: true, .. }))
    }
}

/// Reusable storage for the tokens of one message: all segments in one vector, so that
/// tokenising a message allocates nothing once the buffer has grown. Fill it with
/// [`TokenBuf::fill`], read it with [`TokenBuf::tokens`] and the same message.
#[derive(Debug, Clone, Default)]
pub struct TokenBuf {
    /// Byte range of each token in the message and the range of its segments in `segs`.
    toks: Vec<TokSpan>,
    /// The segments of all tokens, each relative to its token's start.
    segs: Vec<Segment>,
    /// Scratch: token spans of the message.
    spans: Vec<Span>,
    /// Scratch: date, size and list spans of the message.
    protected: Vec<(usize, usize, Kind)>,
}

#[derive(Debug, Clone, Copy)]
struct TokSpan {
    start: usize,
    end: usize,
    seg_start: usize,
    seg_end: usize,
}

impl TokenBuf {
    /// Splits `message` into masked tokens, replacing what the buffer held.
    pub fn fill(&mut self, message: &str) {
        self.toks.clear();
        self.segs.clear();
        spans_into(message, &mut self.spans, &mut self.protected);
        for k in 0..self.spans.len() {
            let Span {
                start,
                end,
                protected,
                shape,
            } = self.spans[k];
            let raw = message.get(start..end).unwrap_or("");
            let prev = match k.checked_sub(1).map(|p| self.spans[p]) {
                Some(p) => message.get(p.start..p.end).unwrap_or(""),
                None => "",
            };
            let seg_start = self.segs.len();
            match protected {
                Some((Kind::Value, _)) => {
                    // A bracketed list: keep the brackets literal, the items are one value.
                    list_segments_into(raw, &mut self.segs);
                }
                Some((kind, head)) => protected_segments_into(raw, kind, head, &mut self.segs),
                None => {
                    let shape = shape.unwrap_or_else(|| Shape::of(raw.as_bytes()));
                    segment_into(raw, shape, Ctx { prev }, 0, &mut self.segs);
                }
            }
            self.toks.push(TokSpan {
                start,
                end,
                seg_start,
                seg_end: self.segs.len(),
            });
        }
    }

    /// The tokens of `message`, which must be the message the buffer was last filled with.
    pub fn tokens<'a>(&'a self, message: &'a str) -> Tokens<'a> {
        Tokens {
            msg: message,
            buf: self,
        }
    }
}

/// The tokens of one message, as filled into a [`TokenBuf`].
#[derive(Debug, Clone, Copy)]
pub struct Tokens<'a> {
    msg: &'a str,
    buf: &'a TokenBuf,
}

impl<'a> Tokens<'a> {
    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.buf.toks.len()
    }

    /// Whether the message has no token.
    pub fn is_empty(&self) -> bool {
        self.buf.toks.is_empty()
    }

    /// Token `k`.
    ///
    /// # Panics
    /// When `k` is out of range.
    pub fn get(&self, k: usize) -> TokenRef<'a> {
        let t = self.buf.toks[k];
        TokenRef {
            raw: self.msg.get(t.start..t.end).unwrap_or(""),
            segments: self.buf.segs.get(t.seg_start..t.seg_end).unwrap_or(&[]),
        }
    }

    /// The first token, if any.
    pub fn first(&self) -> Option<TokenRef<'a>> {
        (!self.is_empty()).then(|| self.get(0))
    }

    /// The tokens in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = TokenRef<'a>> + use<'a> {
        let this = *self;
        (0..this.len()).map(move |k| this.get(k))
    }
}

/// Masks every variable part of `message` with typed placeholders, e.g.
/// `user 42 logged in from 10.0.0.1` → `user <NUM> logged in from <IP>`. Whitespace runs become
/// one space.
/// Weak variables (an error code, the digits of `wl0`) are kept: one message cannot show them
/// varying.
pub fn mask(message: &str) -> String {
    let mut buf = TokenBuf::default();
    buf.fill(message);
    let mut out = String::with_capacity(message.len());
    for (i, token) in buf.tokens(message).iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        for seg in token.segments {
            match seg.kind {
                SegKind::Var { kind, strong: true } => out.push_str(kind.placeholder()),
                _ => out.push_str(token.text(seg)),
            }
        }
    }
    out
}

/// Splits `message` into masked tokens.
pub fn tokenize(message: &str) -> Vec<Token<'_>> {
    let mut buf = TokenBuf::default();
    buf.fill(message);
    buf.toks
        .iter()
        .map(|t| Token {
            raw: message.get(t.start..t.end).unwrap_or(""),
            segments: buf.segs[t.seg_start..t.seg_end].to_vec(),
        })
        .collect()
}

/// Segments of a token that starts with a date or a size written with spaces (`head` bytes
/// long), then whatever is glued after it. A size's unit is a weak value: shown while constant
/// (`<NUM> MB`), merged into the size once it varies (`<*>` for `12 KB` and `3 MB`).
fn protected_segments_into(raw: &str, kind: Kind, head: usize, out: &mut Vec<Segment>) {
    let space = raw[..head].rfind(' ').filter(|_| kind == Kind::Num);
    match space {
        Some(sp) => {
            push_seg(out, 0, sp, SegKind::Var { kind, strong: true });
            push_seg(out, sp, sp + 1, SegKind::Lit);
            push_seg(
                out,
                sp + 1,
                head,
                SegKind::Var {
                    kind: Kind::Value,
                    strong: false,
                },
            );
        }
        None => push_seg(out, 0, head, SegKind::Var { kind, strong: true }),
    }
    segment_str(&raw[head..], Ctx::default(), head, out);
}

fn push_seg(out: &mut Vec<Segment>, start: usize, end: usize, kind: SegKind) {
    out.push(Segment { start, end, kind });
}

/// Dates written with spaces (`Sat Jul  9 12:16:49 2005`, `2024-05-01 10:00:00`) are one value.
static DATE_SPAN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?:\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,?\s+)?",
        r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2},?(?:\s+\d{4})?\s+\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:\s+\d{4}\b)?",
        r"|\b\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?",
        r"|\b\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}(?:[.,]\d+)?",
    ))
    .expect("the date pattern is a valid regex")
});

/// A size with its unit after a space (`12.5 KB`): the unit changes with the size, so both are
/// one value.
static SIZE_SPAN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b\d+(?:\.\d+)?\s(?:B|KB|MB|GB|TB|PB|KiB|MiB|GiB|TiB)\b")
        .expect("the size pattern is a valid regex")
});

/// A bracketed list with `, ` between items (`[Email, CloseDate]`) is one value whatever its
/// length, so messages that differ only in how many items they list still group together.
static LIST_SPAN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\[[^\[\]\s][^\[\]]*,\s[^\[\]]*\]").expect("the list pattern is a valid regex")
});

/// Month names as they start a written date.
const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// A cheap necessary condition for [`DATE_SPAN`] to find a date with a space in it: a month
/// name followed (after letters or a dot) by whitespace, or
/// `dddd-dd-dd ` / `dddd/dd/dd `. Most messages fail it, and skip the regex.
fn may_hold_spaced_date(b: &[u8]) -> bool {
    let digit = |k: usize| b.get(k).is_some_and(u8::is_ascii_digit);
    for k in 0..b.len() {
        let c = b[k];
        if c.is_ascii_uppercase()
            && b.len() >= k + 4
            && MONTHS.iter().any(|m| &b[k..k + 3] == m.as_slice())
        {
            let mut e = k + 3;
            while e < b.len() && (b[e].is_ascii_lowercase() || b[e] == b'.') {
                e += 1;
            }
            if b.get(e).is_some_and(u8::is_ascii_whitespace) {
                return true;
            }
        }
        if c.is_ascii_digit()
            && digit(k + 1)
            && digit(k + 2)
            && digit(k + 3)
            && matches!(b.get(k + 4), Some(b'-' | b'/'))
            && digit(k + 5)
            && digit(k + 6)
            && b.get(k + 7) == b.get(k + 4)
            && digit(k + 8)
            && digit(k + 9)
            && b.get(k + 10) == Some(&b' ')
        {
            return true;
        }
    }
    false
}

/// A token's byte range in its message, what protects it from splitting, if anything, and its
/// [`Shape`] when the splitting pass found it on the way.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: usize,
    end: usize,
    /// The kind of a date or size that starts the token, with its length, or [`Kind::Value`]
    /// for a token holding a list.
    protected: Option<(Kind, usize)>,
    shape: Option<Shape>,
}

/// Cheap necessary conditions for the span patterns, found in one pass over the message.
#[derive(Debug, Default)]
struct Gates {
    /// An ASCII digit occurs (every date and size pattern holds one).
    digit: bool,
    /// A `:` between two digits occurs: [`DATE_SPAN`] always holds `\d:\d`. A byte of a
    /// non-ASCII character counts as a digit, as `\d` also matches other scripts' digits.
    colon_digit: bool,
    /// A digit, one whitespace character and a unit ending at a word boundary, as
    /// [`SIZE_SPAN`] needs (or the message has characters other than ASCII digits and
    /// whitespace that `\d` or `\s` match, and a digit, a whitespace character and a unit's
    /// first letter).
    size: bool,
    /// `[` occurs.
    bracket: bool,
    /// `, ` occurs.
    comma_space: bool,
}

/// A byte of a digit, as `\d` matches it: an ASCII digit or any byte of a non-ASCII character.
fn digitish(c: u8) -> bool {
    c.is_ascii_digit() || c >= 0x80
}

/// Splits `b` at ASCII whitespace into `out`, with each token's [`Shape`], and finds the
/// message's [`Gates`] in the same pass.
fn split_plain(b: &[u8], out: &mut Vec<Span>) -> Gates {
    let mut g = Gates::default();
    let mut all = 0u16;
    // A digit, one whitespace character and a unit's first letter.
    let mut loose_size = false;
    let n = b.len();
    let mut i = 0;
    loop {
        while i < n && CLASS[b[i] as usize] & SPACE != 0 {
            if i > 0
                && b[i - 1].is_ascii_digit()
                && i + 1 < n
                && CLASS[b[i + 1] as usize] & UNIT != 0
            {
                loose_size = true;
                g.size |= size_unit_at(b, i + 1);
            }
            if b[i] == b' ' && i > 0 && b[i - 1] == b',' {
                g.comma_space = true;
            }
            i += 1;
        }
        if i == n {
            break;
        }
        let start = i;
        let (mut acc, mut dots, mut colon_slash) = (0u16, 0usize, false);
        while i < n {
            let c = b[i];
            let f = CLASS[c as usize];
            if f & SPACE != 0 {
                break;
            }
            acc |= f;
            if f & (COLON | DOT) != 0 {
                if c == b'.' {
                    dots += 1;
                } else {
                    if b.get(i + 1) == Some(&b'/') && b.get(i + 2) == Some(&b'/') {
                        colon_slash = true;
                    }
                    if i > 0 && digitish(b[i - 1]) && b.get(i + 1).is_some_and(|&d| digitish(d)) {
                        g.colon_digit = true;
                    }
                }
            }
            i += 1;
        }
        all |= acc;
        out.push(Span {
            start,
            end: i,
            protected: None,
            shape: Some(Shape::from_classes(acc, dots, colon_slash)),
        });
    }
    g.digit = all & DIGIT != 0;
    g.bracket = all & BRACKET != 0;
    // Where `\d` or `\s` may match a non-ASCII character or a vertical tab (whitespace to the
    // regex, not to the splitting), the regex may find a size elsewhere.
    g.size |= loose_size && all & (HIGH | VTAB) != 0;
    g
}

/// Whether a unit of [`SIZE_SPAN`] starts at `b[k]` and is not followed by an ASCII word
/// character (so that `\b` may hold after it).
fn size_unit_at(b: &[u8], k: usize) -> bool {
    const UNITS: [&[u8]; 10] = [
        b"B", b"KB", b"MB", b"GB", b"TB", b"PB", b"KiB", b"MiB", b"GiB", b"TiB",
    ];
    let rest = &b[k..];
    UNITS.iter().any(|u| {
        rest.starts_with(u)
            && rest
                .get(u.len())
                .is_none_or(|&c| !(c.is_ascii_alphanumeric() || c == b'_'))
    })
}

/// Token spans `(start, end, protected)` of `message` into `out`, with `protected` as scratch
/// space: whitespace-separated, except that date, size and list spans are never split.
/// `protected` is the kind of a date or size that starts the token, with its length, or
/// [`Kind::Value`] for a token holding a list.
fn spans_into(message: &str, out: &mut Vec<Span>, protected: &mut Vec<(usize, usize, Kind)>) {
    out.clear();
    protected.clear();
    let bytes = message.as_bytes();
    // The common case: plain whitespace splitting, which also tells whether a date, size or
    // list may hold whitespace.
    let gates = split_plain(bytes, out);
    if gates.digit {
        // Every date pattern holds a time (`d:dd`), every size unit a `B`: skip the regexes
        // for the many messages that cannot match.
        if gates.colon_digit && may_hold_spaced_date(bytes) {
            for m in DATE_SPAN.find_iter(message) {
                if m.as_str().contains(char::is_whitespace) {
                    protected.push((m.start(), m.end(), Kind::Time));
                }
            }
        }
        if gates.size {
            for m in SIZE_SPAN.find_iter(message) {
                if !protected.iter().any(|p| p.0 < m.end() && m.start() < p.1) {
                    protected.push((m.start(), m.end(), Kind::Num));
                }
            }
        }
        protected.sort_by_key(|p| p.0);
    }
    if gates.bracket && gates.comma_space {
        for m in LIST_SPAN.find_iter(message) {
            if !protected.iter().any(|p| p.0 < m.end() && m.start() < p.1) {
                protected.push((m.start(), m.end(), Kind::Value));
            }
        }
        protected.sort_by_key(|p| p.0);
    }
    if protected.is_empty() {
        return;
    }
    // Some spans must not be split: split again around them.
    out.clear();
    let mut i = 0;
    let mut next_protected = protected.iter().peekable();
    while i < bytes.len() {
        if bytes[i].is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        let mut kind = None;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
            while let Some(p) = next_protected.peek() {
                if p.1 <= i {
                    next_protected.next();
                } else {
                    break;
                }
            }
            match next_protected.peek() {
                Some(p) if p.0 == i => {
                    if p.2 != Kind::Value && i == start {
                        kind = Some((p.2, p.1 - start));
                    }
                    i = p.1;
                    next_protected.next();
                }
                _ => i += 1,
            }
        }
        if kind.is_none()
            && message
                .get(start..i)
                .is_some_and(|t| t.contains(char::is_whitespace))
        {
            kind = Some((Kind::Value, i - start));
        }
        out.push(Span {
            start,
            end: i,
            protected: kind,
            shape: None,
        });
    }
}

/// Segments of a token holding a bracketed list: the list's content is one weak value, the rest
/// is segmented as usual.
fn list_segments_into(raw: &str, out: &mut Vec<Segment>) {
    let open_close = raw
        .find('[')
        .and_then(|open| raw[open..].find(']').map(|c| (open, open + c)));
    let Some((open, close)) = open_close else {
        segment_str(raw, Ctx::default(), 0, out);
        return;
    };
    segment_str(&raw[..=open], Ctx::default(), 0, out);
    push_seg(
        out,
        open + 1,
        close,
        SegKind::Var {
            kind: Kind::Value,
            strong: false,
        },
    );
    segment_str(&raw[close..], Ctx::default(), close, out);
}

fn is_word(b: u8) -> bool {
    CLASS[b as usize] & WORD != 0
}

/// Byte classes, as bit flags in [`CLASS`]: one table look-up answers what a byte is.
const WORD: u16 = 1;
const DIGIT: u16 = 1 << 1;
const SPACE: u16 = 1 << 2;
const COLON: u16 = 1 << 3;
const AT: u16 = 1 << 4;
const DASH: u16 = 1 << 5;
const UNDERSCORE: u16 = 1 << 6;
const DOT: u16 = 1 << 7;
const BRACKET: u16 = 1 << 8;
const COMMA: u16 = 1 << 9;
/// First letter of a size unit written after a space (`B`, `KB`, `MB`…).
const UNIT: u16 = 1 << 10;
/// An ASCII hexadecimal digit.
const HEX: u16 = 1 << 11;
/// A byte of a non-ASCII character.
const HIGH: u16 = 1 << 12;
/// A vertical tab.
const VTAB: u16 = 1 << 13;
/// An ASCII upper-case letter.
const UPPER: u16 = 1 << 14;

/// The class flags of every byte value. [`WORD`] is an ASCII letter or digit or any byte of a
/// non-ASCII character; [`SPACE`] is ASCII whitespace as [`u8::is_ascii_whitespace`] has it.
static CLASS: [u16; 256] = {
    let mut t = [0u16; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        let mut f = 0;
        if b.is_ascii_alphanumeric() || b >= 0x80 {
            f |= WORD;
        }
        if b.is_ascii_digit() {
            f |= DIGIT;
        }
        if b.is_ascii_whitespace() {
            f |= SPACE;
        }
        if b.is_ascii_hexdigit() {
            f |= HEX;
        }
        if b >= 0x80 {
            f |= HIGH;
        }
        if b == 0x0B {
            f |= VTAB;
        }
        if b.is_ascii_uppercase() {
            f |= UPPER;
        }
        f |= match b {
            b':' => COLON,
            b'@' => AT,
            b'-' => DASH,
            b'_' => UNDERSCORE,
            b'.' => DOT,
            b'[' => BRACKET,
            b',' => COMMA,
            b'B' | b'K' | b'M' | b'G' | b'T' | b'P' => UNIT,
            _ => 0,
        };
        t[c] = f;
        c += 1;
    }
    t
};

/// The union of the class flags of the bytes of `b`.
fn classes(b: &[u8]) -> u16 {
    b.iter().fold(0, |acc, &c| acc | CLASS[c as usize])
}

/// What the segmenter knows of a token's surroundings.
#[derive(Debug, Clone, Copy, Default)]
struct Ctx<'a> {
    /// The previous token of the message.
    prev: &'a str,
}

/// HTTP methods: the path after one is an API route, whose fixed segments name the endpoint.
const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/// Words after which a number names an error rather than varies (`HTTP 404`, `os error 111`).
const CODE_WORDS: &[&str] = &[
    "http",
    "->",
    "status",
    "code",
    "error",
    "errno",
    "statuscode",
    "errorcode",
];

/// Segments one whitespace-free token.
pub fn segment_token(tok: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    segment_str(tok, Ctx::default(), 0, &mut out);
    out
}

/// Appends the segments of `tok` to `out`, each offset by `base`.
fn segment_str(tok: &str, ctx: Ctx<'_>, base: usize, out: &mut Vec<Segment>) {
    segment_into(tok, Shape::of(tok.as_bytes()), ctx, base, out);
}

/// [`segment_str`] for a token whose [`Shape`] is known.
fn segment_into(tok: &str, shape: Shape, ctx: Ctx<'_>, base: usize, out: &mut Vec<Segment>) {
    let b = tok.as_bytes();
    let first_seg = out.len();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let at_boundary = i == 0 || !is_word(b[i - 1]);
        // Whole variables start at a word boundary, with a word character, a slash, a tilde or
        // a sign.
        let word = is_word(c);
        if at_boundary
            && (word || matches!(c, b'/' | b'~' | b'-' | b'+'))
            && let Some((end, kind, strong)) = recognise(tok, i, ctx, shape)
        {
            // A number is an error code, fixed for one kind of error, after a code word
            // (`HTTP 404`, `code=610`) or when it is an HTTP error status.
            let code = kind == Kind::Num
                && (names_code(&tok[..i], ctx.prev)
                    || is_error_status(&tok[i..end], i, end, b.len()));
            push_seg(
                out,
                base + i,
                base + end,
                SegKind::Var {
                    kind,
                    strong: strong && !code,
                },
            );
            i = end;
            continue;
        }
        if word {
            // The word run, counting its digits and whether it is hexadecimal on the way.
            let (mut j, mut digits, mut hexish) = (i, 0, true);
            while j < b.len() {
                let f = CLASS[b[j] as usize];
                if f & WORD == 0 {
                    break;
                }
                digits += usize::from(f & DIGIT != 0);
                hexish &= f & HEX != 0;
                j += 1;
            }
            word_segments(b, i, j, (digits, hexish), base, out);
            // A version glued to a word (`v58.0`, `sha1.2`) is one number.
            let ends_in_digit = b[j - 1].is_ascii_digit();
            if ends_in_digit && j + 1 < b.len() && b[j] == b'.' && b[j + 1].is_ascii_digit() {
                let mut e = j;
                while e + 1 < b.len() && b[e] == b'.' && b[e + 1].is_ascii_digit() {
                    e += 1;
                    while e < b.len() && b[e].is_ascii_digit() {
                        e += 1;
                    }
                }
                if (e == b.len() || !is_word(b[e]))
                    && out.len() > first_seg
                    && let Some(last) = out.last_mut()
                    && matches!(
                        last.kind,
                        SegKind::Var {
                            kind: Kind::Num,
                            ..
                        }
                    )
                {
                    last.end = base + e;
                    i = e;
                    continue;
                }
            }
            i = j;
            continue;
        }
        if c == b'['
            && let Some(n) = json_list(&tok[i..])
        {
            // A JSON list of strings or numbers: its items are one weak value, however many.
            push_seg(out, base + i, base + i + 1, SegKind::Lit);
            push_seg(
                out,
                base + i + 1,
                base + i + n - 1,
                SegKind::Var {
                    kind: Kind::Value,
                    strong: false,
                },
            );
            push_seg(out, base + i + n - 1, base + i + n, SegKind::Lit);
            i += n;
            continue;
        }
        if c == b'\''
            && at_boundary
            && let Some(close) = tok[i + 1..].find('\'').map(|c| c + i + 1)
        {
            let inner = &tok[i + 1..close];
            // A quoted plain word (`'Active'`) names a state or a setting: it stays literal.
            let plain_word = inner.chars().all(char::is_alphabetic);
            if close > i + 1 && !plain_word {
                // Segment the inside in place, only to see whether it is one variable.
                let mark = out.len();
                segment_str(inner, Ctx::default(), 0, out);
                let single_var =
                    out.len() == mark + 1 && matches!(out[mark].kind, SegKind::Var { .. });
                out.truncate(mark);
                if !single_var {
                    // A quoted value: one weak value, its quotes kept literal.
                    push_seg(out, base + i, base + i + 1, SegKind::Lit);
                    push_seg(
                        out,
                        base + i + 1,
                        base + close,
                        SegKind::Var {
                            kind: Kind::Value,
                            strong: false,
                        },
                    );
                    push_seg(out, base + close, base + close + 1, SegKind::Lit);
                    i = close + 1;
                    continue;
                }
            }
        }
        // One punctuation character per segment; a non-ASCII character is a word byte.
        push_seg(out, base + i, base + i + 1, SegKind::Lit);
        i += 1;
    }
}

/// Length of a flat JSON list of strings or numbers at the start of `s` (`["a","b"]`), if any.
fn json_list(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut n = 1;
    let mut items = 0;
    loop {
        match b.get(n)? {
            b'"' => {
                n += 1;
                while *b.get(n)? != b'"' {
                    n += if b[n] == b'\\' { 2 } else { 1 };
                }
                n += 1;
            }
            c if c.is_ascii_digit() || *c == b'-' => {
                while b
                    .get(n)
                    .is_some_and(|c| c.is_ascii_digit() || matches!(c, b'.' | b'-' | b'e'))
                {
                    n += 1;
                }
            }
            _ => return None,
        }
        items += 1;
        match b.get(n)? {
            b',' => n += 1,
            b']' => return (items > 0).then_some(n + 1),
            _ => return None,
        }
    }
}

/// Whether the text before a number (in its token, else the previous token) is a code word.
fn names_code(before: &str, prev: &str) -> bool {
    let key = if before.is_empty() { prev } else { before };
    let key = key.trim_end_matches(['=', ':', '"', ' ', '(', '[']);
    // The word is the run of ASCII letters, digits, `-` and `>` that ends the key.
    let kb = key.as_bytes();
    let word_len = kb
        .iter()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'>'))
        .count();
    let word = &kb[kb.len() - word_len..];
    CODE_WORDS.iter().any(|w| {
        let w = w.as_bytes();
        (word.len() == w.len() || (w.len() > 3 && word.len() > w.len()))
            && word[word.len() - w.len()..].eq_ignore_ascii_case(w)
    })
}

/// A whole-token three-digit HTTP error status (400–599).
fn is_error_status(num: &str, start: usize, end: usize, len: usize) -> bool {
    let whole = start == 0 && (end == len || end + 1 == len);
    whole && num.len() == 3 && matches!(num.as_bytes()[0], b'4' | b'5')
}

/// Classifies the alphanumeric run `tok[i..j]` that no recogniser took as a whole.
/// `counts` is the number of ASCII digits in the run and whether all its bytes are hexadecimal
/// digits.
fn word_segments(
    b: &[u8],
    i: usize,
    j: usize,
    counts: (usize, bool),
    base: usize,
    segs: &mut Vec<Segment>,
) {
    let w = &b[i..j];
    let (digits, hexish) = counts;
    let lit = |segs: &mut Vec<Segment>, s, e| push_seg(segs, base + s, base + e, SegKind::Lit);
    if digits == 0 {
        lit(segs, i, j);
        return;
    }
    let letters = w.len() - digits;
    // Long runs mixing letters and digits are generated identifiers (hashes, Salesforce ids,
    // tokens), not words.
    if (hexish && w.len() >= 8)
        || (w.len() >= 10 && digits >= 2 && letters >= 1 && !looks_like_word(w))
    {
        let kind = if hexish { Kind::Hex } else { Kind::Id };
        push_seg(
            segs,
            base + i,
            base + j,
            SegKind::Var { kind, strong: true },
        );
        return;
    }
    // A word with digits (`wl0`, `IPv4`, `x86`, `v2`): the digit runs are weak numbers.
    let mut k = i;
    while k < j {
        let digit = b[k].is_ascii_digit();
        let mut e = k;
        while e < j && b[e].is_ascii_digit() == digit {
            e += 1;
        }
        if digit {
            push_seg(
                segs,
                base + k,
                base + e,
                SegKind::Var {
                    kind: Kind::Num,
                    strong: false,
                },
            );
        } else {
            lit(segs, k, e);
        }
        k = e;
    }
}

/// A run like `Cs4Handler` or `utf8` reads as a word: its digits are few and its letters form
/// longer lower-case stretches; random ids switch case and class often.
fn looks_like_word(w: &[u8]) -> bool {
    let mut switches = 0;
    for pair in w.windows(2) {
        let class = |c: u8| {
            if c.is_ascii_digit() {
                0
            } else if c.is_ascii_uppercase() {
                1
            } else {
                2
            }
        };
        if class(pair[0]) != class(pair[1]) {
            switches += 1;
        }
    }
    switches * 3 < w.len()
}

/// Which characters a token holds, found in one pass, so that recognisers which need a
/// character the token lacks are not tried at every word boundary.
#[derive(Debug, Clone, Copy, Default)]
struct Shape {
    /// `://` occurs (a URL needs it).
    colon_slash: bool,
    /// `:` occurs (a time needs it).
    colon: bool,
    /// `@` occurs (an e-mail address needs it).
    at: bool,
    /// `-` occurs (UUIDs and compound ids).
    dash: bool,
    /// `_` occurs (provider and compound ids).
    underscore: bool,
    /// Number of `.` (a host name has at least two).
    dots: usize,
    /// An ASCII digit occurs (a compound id needs one).
    digit: bool,
    /// An ASCII upper-case letter occurs (a provider id needs one or a digit).
    upper: bool,
}

impl Shape {
    fn of(b: &[u8]) -> Shape {
        let acc = classes(b);
        let colon_slash = acc & COLON != 0 && b.windows(3).any(|w| w == b"://");
        let dots = if acc & DOT != 0 {
            b.iter().filter(|&&c| c == b'.').count()
        } else {
            0
        };
        Shape::from_classes(acc, dots, colon_slash)
    }

    /// The shape of a token whose bytes have the class flags `acc` (see [`classes`]), with
    /// `dots` dots and `://` in it or not.
    fn from_classes(acc: u16, dots: usize, colon_slash: bool) -> Shape {
        Shape {
            colon_slash,
            colon: acc & COLON != 0,
            at: acc & AT != 0,
            dash: acc & DASH != 0,
            underscore: acc & UNDERSCORE != 0,
            dots,
            digit: acc & DIGIT != 0,
            upper: acc & UPPER != 0,
        }
    }
}

/// Tries every recogniser of a whole variable at byte `i` (a word boundary) of `tok`, which
/// holds a word character, a slash, a tilde or a sign (no recogniser takes anything else).
/// Returns the end offset, the kind and whether it is strong.
#[inline(always)]
fn recognise(tok: &str, i: usize, ctx: Ctx<'_>, shape: Shape) -> Option<(usize, Kind, bool)> {
    let s = &tok[i..];
    let b = s.as_bytes();
    let first = *b.first()?;
    let end_ok = |n: usize| n == b.len() || !is_word(b[n]);
    if shape.colon_slash
        && first.is_ascii_alphabetic()
        && let Some(n) = url(s)
    {
        return Some((i + n, Kind::Url, true));
    }
    if shape.at
        && is_word(first)
        && let Some(n) = email(s)
    {
        return Some((i + n, Kind::Email, true));
    }
    // A UUID is 36 bytes long with its first `-` at byte 8.
    if shape.dash
        && first.is_ascii_hexdigit()
        && b.len() >= 36
        && b[8] == b'-'
        && let Some(n) = uuid(s)
    {
        return Some((i + n, Kind::Uuid, true));
    }
    if first == b'/' && i == 0 && s.len() > 1 && s.as_bytes()[1].is_ascii_digit() {
        // `/10.0.0.1`: the slash that Java prints before an address belongs to it.
        if shape.dots >= 3
            && let Some(n) = ipv4(&s[1..])
        {
            return Some((i + 1 + n, Kind::Ip, true));
        }
    }
    if (first == b'/' || first == b'~')
        && !METHODS.contains(&ctx.prev.trim_start_matches('"'))
        && let Some(n) = path(s)
    {
        return Some((i + n, Kind::Path, true));
    }
    if first.is_ascii_digit() {
        // An address has three dots; a date has a `-`, a time a `:`.
        if shape.dots >= 3
            && let Some(n) = ipv4(s)
        {
            return Some((i + n, Kind::Ip, true));
        }
        if (shape.dash || shape.colon)
            && let Some(n) = date_or_time(s)
        {
            return Some((i + n, Kind::Time, true));
        }
        if first == b'0' && b.len() > 2 && (b[1] == b'x' || b[1] == b'X') {
            let n = 2 + b[2..].iter().take_while(|c| c.is_ascii_hexdigit()).count();
            if n > 2 && end_ok(n) {
                return Some((i + n, Kind::Hex, true));
            }
        }
    }
    if first.is_ascii_alphabetic() {
        // A provider id has a prefix of at least two letters, `_` and a body of at least 8.
        if shape.underscore
            && (shape.digit || shape.upper)
            && b.len() >= 11
            && let Some(n) = provider_id(s)
        {
            return Some((i + n, Kind::Id, true));
        }
        if shape.dots >= 2
            && let Some(n) = host(s)
        {
            return Some((i + n, Kind::Host, true));
        }
    }
    if (shape.underscore || shape.dash)
        && shape.digit
        && first.is_ascii_alphanumeric()
        && let Some(n) = compound_id(s)
    {
        return Some((i + n, Kind::Id, true));
    }
    let signed = first == b'-' || first == b'+';
    if first.is_ascii_digit() || (signed && b.len() > 1 && b[1].is_ascii_digit()) {
        return number(s).map(|n| (i + n, Kind::Num, true));
    }
    None
}

/// `scheme://rest` up to a closing quote or bracket.
fn url(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let scheme = b
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'.' | b'-'))
        .count();
    if scheme == 0 || !s[scheme..].starts_with("://") {
        return None;
    }
    let mut n = scheme + 3;
    while n < b.len() && !matches!(b[n], b'"' | b'\'' | b'<' | b'>' | b')' | b']' | b'}' | b'`') {
        n += 1;
    }
    while n > scheme + 3 && matches!(b[n - 1], b'.' | b',' | b';' | b':') {
        n -= 1;
    }
    (n > scheme + 3).then_some(n)
}

fn email(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let local = b
        .iter()
        .take_while(|c| is_word(**c) || matches!(c, b'.' | b'_' | b'%' | b'+' | b'-'))
        .count();
    if local == 0 || b.get(local) != Some(&b'@') {
        return None;
    }
    let dom = domain_len(&b[local + 1..])?;
    Some(local + 1 + dom)
}

/// Length of a dotted domain name with at least two labels and an alphabetic last label.
fn domain_len(b: &[u8]) -> Option<usize> {
    let mut n = 0;
    let mut labels = 0;
    let mut last_alpha = false;
    loop {
        let l = b[n..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == b'-')
            .count();
        if l == 0 {
            break;
        }
        last_alpha = b[n..n + l].iter().all(u8::is_ascii_alphabetic);
        n += l;
        labels += 1;
        if b.get(n) == Some(&b'.') && b.get(n + 1).is_some_and(u8::is_ascii_alphanumeric) {
            n += 1;
        } else {
            break;
        }
    }
    (labels >= 2 && last_alpha).then_some(n)
}

fn uuid(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let groups = [8, 4, 4, 4, 12];
    let mut n = 0;
    for (k, g) in groups.iter().enumerate() {
        if k > 0 {
            if b.get(n) != Some(&b'-') {
                return None;
            }
            n += 1;
        }
        if b.len() < n + g || !b[n..n + g].iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        n += g;
    }
    (n == b.len() || !is_word(b[n])).then_some(n)
}

/// An IPv4 address; a port after it is a number of its own.
fn ipv4(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut n: usize = 0;
    for k in 0..4 {
        if k > 0 {
            if b.get(n) != Some(&b'.') {
                return None;
            }
            n += 1;
        }
        let d = b[n..].iter().take_while(|c| c.is_ascii_digit()).count();
        if d == 0 || d > 3 {
            return None;
        }
        n += d;
    }
    if n < b.len()
        && (is_word(b[n]) || (b[n] == b'.' && b.get(n + 1).is_some_and(u8::is_ascii_digit)))
    {
        return None;
    }
    Some(n)
}

/// `2024-05-01`, `2024-05-01T10:00:00Z`, `12:16:49`, `21:27:07.761`.
fn date_or_time(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let digits = |from: usize| {
        b.get(from..)
            .map_or(0, |r| r.iter().take_while(|c| c.is_ascii_digit()).count())
    };
    let mut n;
    if digits(0) == 4
        && b.get(4) == Some(&b'-')
        && digits(5) == 2
        && b.get(7) == Some(&b'-')
        && digits(8) == 2
    {
        n = 10;
        if b.get(n) == Some(&b'T') && digits(n + 1) == 2 {
            n += 1;
        } else {
            return (n == b.len() || !is_word(b[n])).then_some(n);
        }
    } else {
        n = 0;
    }
    let h = digits(n);
    if !(1..=2).contains(&h) || b.get(n + h) != Some(&b':') || digits(n + h + 1) != 2 {
        return if n > 0 { Some(n - 1) } else { None };
    }
    n += h + 3;
    if b.get(n) == Some(&b':') && digits(n + 1) == 2 {
        n += 3;
        if matches!(b.get(n), Some(b'.') | Some(b',')) && digits(n + 1) > 0 {
            n += 1 + digits(n + 1);
        }
    }
    if b.get(n) == Some(&b'Z') {
        n += 1;
    } else if matches!(b.get(n), Some(b'+') | Some(b'-')) && digits(n + 1) == 2 {
        n += 3;
        if b.get(n) == Some(&b':') && digits(n + 1) == 2 {
            n += 3;
        } else if digits(n) == 2 {
            n += 2;
        }
    }
    (n == b.len() || !is_word(b[n])).then_some(n)
}

/// Provider ids: a short lower-case prefix, `_`, and a random-looking alphanumeric body
/// (`cus_9aZkLm2Pq`, `req_DxtpYlSXpf`, `ch_3N…`). Bodies of digits only are left to the number
/// rule, so `blk_123` reads `blk_<NUM>`.
fn provider_id(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let p = b.iter().take_while(|c| c.is_ascii_lowercase()).count();
    if !(2..=8).contains(&p) || b.get(p) != Some(&b'_') {
        return None;
    }
    let body = b[p + 1..]
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric())
        .count();
    let body_b = &b[p + 1..p + 1 + body];
    let has_digit = body_b.iter().any(u8::is_ascii_digit);
    let has_upper = body_b.iter().any(u8::is_ascii_uppercase);
    let has_lower = body_b.iter().any(u8::is_ascii_lowercase);
    let n = p + 1 + body;
    let random = (has_upper && has_lower) || (has_digit && (has_upper || has_lower));
    (body >= 8 && random && (n == b.len() || !is_word(b[n]) && b[n] != b'_')).then_some(n)
}

/// A path starting with `/` or `~/`: runs of path characters up to punctuation that ends it.
fn path(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut n = usize::from(b[0] == b'~');
    if b.get(n) != Some(&b'/') {
        return None;
    }
    while n < b.len()
        && (is_word(b[n])
            || matches!(
                b[n],
                b'/' | b'.' | b'_' | b'-' | b'+' | b'~' | b'%' | b'@' | b'$'
            ))
    {
        n += 1;
    }
    while n > 1 && matches!(b[n - 1], b'.') {
        n -= 1;
    }
    // A lone `/` or `//` is punctuation, not a path.
    b[..n].iter().any(|c| is_word(*c)).then_some(n)
}

/// A compound identifier: alphanumeric parts joined by `_` or `-` with digits in them
/// (`blk_-5078`, `attempt_1445_0020_m_000009_0`, `msra-sa-41`). Its parts are not words of the
/// template, so the whole is one value.
fn compound_id(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let alnum = b.iter().take_while(|c| c.is_ascii_alphanumeric()).count();
    if !matches!(b.get(alnum), Some(b'_' | b'-')) {
        // No `_` or `-` after the leading run: nothing joins it to another part.
        return None;
    }
    let mut n = alnum
        + b[alnum..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-'))
            .count();
    while n > 0 && matches!(b[n - 1], b'_' | b'-') {
        n -= 1;
    }
    let (mut digits, mut underscore, mut dash, mut digits_and_dashes) = (0, false, false, true);
    for &c in &b[..n] {
        match c {
            b'0'..=b'9' => digits += 1,
            b'-' => dash = true,
            b'_' => {
                underscore = true;
                digits_and_dashes = false;
            }
            _ => digits_and_dashes = false,
        }
    }
    let joined = underscore || dash;
    let ok = joined && digits > 0 && (underscore || digits >= 2) && !digits_and_dashes;
    (ok && (n == b.len() || !is_word(b[n]))).then_some(n)
}

/// Top-level domains common enough that a dotted name ending in one is a host, not a Java
/// package or a file name.
const TLDS: &[&str] = &[
    "com", "net", "org", "edu", "gov", "mil", "io", "co", "us", "uk", "de", "fr", "jp", "cn", "in",
    "ru", "br", "au", "ca", "nl", "it", "es", "info", "biz", "local", "internal", "lan", "cloud",
    "dev", "app",
];

fn host(s: &str) -> Option<usize> {
    let n = domain_len(s.as_bytes())?;
    let name = &s[..n];
    let tld = name.rsplit('.').next()?;
    let labels = name.split('.').count();
    let ok = labels >= 3 && TLDS.iter().any(|t| t.eq_ignore_ascii_case(tld));
    let b = s.as_bytes();
    (ok && (n == b.len() || !is_word(b[n]))).then_some(n)
}

/// Units that may follow a number without a space (`60s`, `15GB`, `250ms`).
const UNITS: &[&str] = &[
    "ns", "us", "µs", "ms", "s", "sec", "secs", "m", "min", "mins", "h", "hr", "hrs", "d", "b",
    "k", "kb", "kib", "m", "mb", "mib", "g", "gb", "gib", "t", "tb", "tib", "x", "px", "th", "st",
    "nd", "rd",
];

/// A number (`42`, `-3`, `0.25`, `1,000`, `1.2.3`) with an optional unit; only when it stands
/// alone, not when it begins a word such as `3com`.
fn number(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut n = usize::from(matches!(b[0], b'-' | b'+'));
    let d = b[n..].iter().take_while(|c| c.is_ascii_digit()).count();
    if d == 0 {
        return None;
    }
    n += d;
    while n + 1 < b.len() && matches!(b[n], b'.' | b',') && b[n + 1].is_ascii_digit() {
        n += 1 + b[n + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
    }
    if n == b.len() || !is_word(b[n]) {
        return Some(n);
    }
    let w = b[n..].iter().take_while(|c| is_word(**c)).count();
    let unit = &s[n..n + w];
    UNITS
        .iter()
        .any(|u| u.eq_ignore_ascii_case(unit))
        .then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: &str) {
        assert_eq!(mask(input), expected, "masking {input:?}");
    }

    #[test]
    fn masks_each_kind() {
        let table = [
            ("took 42 ms", "took <NUM> ms"),
            ("offset -17 and 0.295472", "offset <NUM> and <NUM>"),
            ("retry after 60s", "retry after <NUM>s"),
            ("size 15GB used", "size <NUM>GB used"),
            ("block blk_-5078186985701364847 done", "block <ID> done"),
            (
                "task attempt_1445144423722_0020_m_000009_0 at msra-sa-41:8030",
                "task <ID> at <ID>:<NUM>",
            ),
            (
                "Deleting /mnt/hadoop/dfs/data/current/subdir5/blk_1 now",
                "Deleting <PATH> now",
            ),
            (
                "POST /services/data/v58.0/sobjects/Lead/",
                "POST /services/data/v58.0/sobjects/Lead/",
            ),
            (
                "-> 404 and HTTP 400, code=610 (os error 111)",
                "-> 404 and HTTP 400, code=610 (os error 111)",
            ),
            ("reg 0x00002000 set", "reg <HEX> set"),
            (
                "instance 17288ea8-cbf4-4f0e-94fe-853fd2735f29 up",
                "instance <UUID> up",
            ),
            ("tenant 54fadb412c4e40cdbaed9335e4c35a9e", "tenant <HEX>"),
            (
                "No such customer: 'cus_eKdNnFRIBXuDL7'",
                "No such customer: '<ID>'",
            ),
            ("record 0038d00008TPQxjq4i locked", "record <ID> locked"),
            ("mail bob.smith@example.com bounced", "mail <EMAIL> bounced"),
            (
                "GET (https://api.stripe.com/v1/charges?limit=100)",
                "GET (<URL>)",
            ),
            (
                "from /10.251.37.240:35757 to 10.0.0.1",
                "from <IP>:<NUM> to <IP>",
            ),
            (
                "host cp-1.slowvm1.tcloud-pg0.utah.cloudlab.us ok",
                "host <HOST> ok",
            ),
            ("at Sat Jul  9 12:16:49 2005", "at <TIME>"),
            (
                "at 2024-05-01T10:00:00Z and 2024-05-01",
                "at <TIME> and <TIME>",
            ),
            ("[21:27:07.761] start", "[<TIME>] start"),
            (
                "missing: [Email, CloseDate] now",
                "missing: [Email, CloseDate] now",
            ),
            (
                "estimated size 12.5 KB, free 3 MB)",
                "estimated size <NUM> KB, free <NUM> MB)",
            ),
            ("at Sat Jul  9 12:16:49 2005, again", "at <TIME>, again"),
            (
                "class org.apache.hadoop.mapreduce.v2.app.MRAppMaster",
                "class org.apache.hadoop.mapreduce.v2.app.MRAppMaster",
            ),
            ("wl0: up", "wl0: up"),
            ("user=root uid=0", "user=root uid=<NUM>"),
        ];
        for (input, expected) in table {
            check(input, expected);
        }
    }

    #[test]
    fn masks_after_non_ascii_text() {
        // The word before a number ends with a multi-byte character: no code word, no panic.
        check("café 42", "café <NUM>");
        check("naïve=5 über 7", "naïve=<NUM> über <NUM>");
        // `\s` and `\d` of the size pattern also match non-ASCII characters.
        check("5 Bx 7\u{a0}MB", "<NUM> Bx <NUM>");
        check("free 7\u{a0}MB now", "free 7\u{a0}MB now");
        check("took 5 MB, 3 KiB_x", "took <NUM> MB, <NUM> KiB_x");
    }

    /// Messages that exercise every path of the tokeniser.
    const SAMPLES: &[&str] = &[
        "user 42 logged in from 10.0.0.1",
        "at Sat Jul  9 12:16:49 2005, again and 2024-05-01 10:00:00",
        "estimated size 12.5 KB, free 3 MB) and [Email, Name] missing",
        "stripe: 404 No such customer: 'cus_eKdNnFRIBXuDL7' (request req_DxtpYlSXpfKtHF)",
        r#"salesforce: POST /services/data/v58.0/sobjects/Lead/ -> 400 [{"fields":["A","B"]}]"#,
        "GET https://api.example.com/v1/x?limit=100 bob.smith@example.com /var/log/x.log",
        "café 42 über-5 'Active' '' ~/x",
        "",
        "   ",
    ];

    #[test]
    fn reused_buffer_gives_the_tokens_of_each_message() {
        let mut buf = TokenBuf::default();
        for _ in 0..2 {
            for m in SAMPLES {
                buf.fill(m);
                let reused: Vec<TokenRef<'_>> = buf.tokens(m).iter().collect();
                let fresh = tokenize(m);
                let fresh: Vec<TokenRef<'_>> = fresh.iter().map(Token::view).collect();
                assert_eq!(reused, fresh, "tokens of {m:?}");
                assert_eq!(buf.tokens(m).len(), fresh.len());
                assert_eq!(buf.tokens(m).first(), fresh.first().copied());
            }
        }
    }

    #[test]
    fn split_pass_finds_the_gates_and_shapes_it_stands_for() {
        // The one-pass split must agree with the plain definitions of what it finds.
        let pieces = [
            " ", "  ", "\t", "a", "Z", "7", "12", ":", "::", "://", "/", ".", ",", ", ", "[", "]",
            "@", "-", "_", "B", "KB", "MiB", "x", "\u{a0}", "é", "٣", "\n", "\u{b}",
        ];
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move |k: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % k as u64) as usize
        };
        let mut spans = Vec::new();
        for _ in 0..20_000 {
            let n = next(16);
            let m: String = (0..n).map(|_| pieces[next(pieces.len())]).collect();
            let b = m.as_bytes();
            spans.clear();
            let g = split_plain(b, &mut spans);
            let digitish = |c: u8| c.is_ascii_digit() || c >= 0x80;
            assert_eq!(g.digit, b.iter().any(u8::is_ascii_digit), "{m:?}");
            assert_eq!(
                g.colon_digit,
                (1..b.len().saturating_sub(1))
                    .any(|k| b[k] == b':' && digitish(b[k - 1]) && digitish(b[k + 1])),
                "{m:?}"
            );
            let loose = b.windows(3).any(|w| {
                w[0].is_ascii_digit()
                    && w[1].is_ascii_whitespace()
                    && matches!(w[2], b'B' | b'K' | b'M' | b'G' | b'T' | b'P')
            });
            // The size gate may be tighter than the loose window, never looser.
            assert!(!g.size || loose, "{m:?}");
            // Wherever the regex finds a size once the loose window is there, the gate is open.
            if loose && SIZE_SPAN.is_match(&m) {
                assert!(g.size, "{m:?}");
            }
            assert_eq!(g.bracket, m.contains('['), "{m:?}");
            assert_eq!(
                g.bracket && g.comma_space,
                m.contains('[') && m.contains(", ")
            );
            let tokens: Vec<&str> = m.split_ascii_whitespace().collect();
            assert_eq!(spans.len(), tokens.len(), "{m:?}");
            for (span, tok) in spans.iter().zip(tokens) {
                assert_eq!(&m[span.start..span.end], tok);
                let (a, e) = (span.shape.unwrap_or_default(), Shape::of(tok.as_bytes()));
                assert_eq!(
                    (
                        a.colon_slash,
                        a.colon,
                        a.at,
                        a.dash,
                        a.underscore,
                        a.dots,
                        a.digit,
                        a.upper
                    ),
                    (
                        e.colon_slash,
                        e.colon,
                        e.at,
                        e.dash,
                        e.underscore,
                        e.dots,
                        e.digit,
                        e.upper
                    ),
                    "{tok:?}"
                );
            }
        }
    }

    #[test]
    fn keeps_words_with_digits_as_weak_numbers() {
        let toks = tokenize("IPv4 x86");
        let weak = toks
            .iter()
            .flat_map(|t| t.segments.iter())
            .all(|s| match s.kind {
                SegKind::Var { strong, .. } => !strong,
                SegKind::Lit => true,
            });
        assert!(weak);
    }
}
