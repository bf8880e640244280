//! Numbers without floating-point drift: locale-aware parsing into an exact decimal, rounding
//! rules, and the cents ↔ decimal conversions.

use serde_json::{Number, Value};

use super::{AmountOutput, DecimalSeparator, Rounding, TransformError, convert_error};

/// `to_number`: numbers stay, text is parsed with the given or detected decimal separator.
pub(super) fn to_number(
    value: Value,
    separator: Option<DecimalSeparator>,
) -> Result<Value, TransformError> {
    const EXPECTED: &str = "a number";
    let dec = match &value {
        Value::Number(_) => return Ok(value),
        Value::String(s) if s.trim().is_empty() => return Ok(Value::Null),
        Value::String(s) => parse_text(s, separator),
        _ => return Err(convert_error(&value, EXPECTED, None)),
    };
    let dec = dec.map_err(|reason| convert_error(&value, EXPECTED, Some(reason)))?;
    dec.to_json_number()
        .ok_or_else(|| convert_error(&value, EXPECTED, Some("out of range".into())))
}

/// `to_integer`: the exact value, rounded by `rounding` or refused when it has a fraction.
pub(super) fn to_integer(value: Value, rounding: Rounding) -> Result<Value, TransformError> {
    const EXPECTED: &str = "an integer";
    if matches!(&value, Value::String(s) if s.trim().is_empty()) {
        return Ok(Value::Null);
    }
    let dec = read_decimal(&value).map_err(|r| convert_error(&value, EXPECTED, r))?;
    let whole = dec
        .round_to(0, rounding)
        .map_err(|r| convert_error(&value, EXPECTED, Some(r)))?;
    i64::try_from(whole)
        .map(Value::from)
        .map_err(|_| convert_error(&value, EXPECTED, Some("out of range".into())))
}

/// `cents_to_decimal`: whole cents divided by 100 by moving the decimal point.
pub(super) fn cents_to_decimal(
    value: Value,
    output: AmountOutput,
) -> Result<Value, TransformError> {
    const EXPECTED: &str = "a decimal amount";
    let dec = read_decimal(&value).map_err(|r| convert_error(&value, EXPECTED, r))?;
    let cents = dec.round_to(0, Rounding::Refuse).map_err(|_| {
        convert_error(
            &value,
            EXPECTED,
            Some("cents must be a whole number".into()),
        )
    })?;
    let amount = Decimal {
        mantissa: cents,
        scale: 2,
    };
    match output {
        AmountOutput::String => Ok(Value::String(amount.to_fixed())),
        // Beyond 2^53 an f64 cannot hold every cent, so the number would not be exact.
        AmountOutput::Number if cents.unsigned_abs() > 1 << 53 => Err(convert_error(
            &value,
            EXPECTED,
            Some("too large for an exact JSON number; use output \"string\"".into()),
        )),
        AmountOutput::Number => amount
            .to_json_number()
            .ok_or_else(|| convert_error(&value, EXPECTED, Some("out of range".into()))),
    }
}

/// `decimal_to_cents`: the amount times 100, exactly, rounded only when a rule allows it.
pub(super) fn decimal_to_cents(value: Value, rounding: Rounding) -> Result<Value, TransformError> {
    const EXPECTED: &str = "whole cents";
    let dec = read_decimal(&value).map_err(|r| convert_error(&value, EXPECTED, r))?;
    let cents = dec.round_to(2, rounding).map_err(|_| {
        convert_error(
            &value,
            EXPECTED,
            Some("it has fractions of a cent (set rounding)".into()),
        )
    })?;
    i64::try_from(cents)
        .map(Value::from)
        .map_err(|_| convert_error(&value, EXPECTED, Some("out of range".into())))
}

/// An exact decimal: `mantissa / 10^scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Decimal {
    pub(super) mantissa: i128,
    pub(super) scale: u32,
}

/// More fraction digits than this are refused; `10^MAX_SCALE` and twice it fit in an i128.
const MAX_SCALE: u32 = 36;

/// Reads a number or numeric text as an exact decimal. `Err(None)` means the type is wrong.
pub(super) fn read_decimal(value: &Value) -> Result<Decimal, Option<String>> {
    match value {
        // serde_json writes floats as their shortest round-trip text, so this is the exact
        // decimal the sender wrote.
        Value::Number(n) => Decimal::parse_plain(&n.to_string()).map_err(Some),
        Value::String(s) => parse_text(s, None).map_err(Some),
        _ => Err(None),
    }
}

/// Parses human-written numeric text (see `Transform::ToNumber` for the rules).
pub(super) fn parse_text(
    text: &str,
    separator: Option<DecimalSeparator>,
) -> Result<Decimal, String> {
    let t = text.trim();
    let plain =
        t.matches('.').count() <= 1 && t.chars().all(|c| c.is_ascii_digit() || "+-.eE".contains(c));
    if plain && separator != Some(DecimalSeparator::Comma) {
        return Decimal::parse_plain(t);
    }
    let (negative, body) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let is_group_space = |c: char| matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\'');
    if let Some(bad) = body
        .chars()
        .find(|&c| !(c.is_ascii_digit() || c == '.' || c == ',' || is_group_space(c)))
    {
        return Err(format!("unexpected character {bad:?}"));
    }
    let decimal = match separator {
        Some(DecimalSeparator::Dot) => Some('.'),
        Some(DecimalSeparator::Comma) => Some(','),
        None => detect_decimal(body, body.chars().any(is_group_space))?,
    };
    let mut normalised = String::with_capacity(body.len() + 1);
    if negative {
        normalised.push('-');
    }
    let chars: Vec<char> = body.chars().collect();
    let mut seen_decimal = false;
    // Digits since the last grouping character: every grouping style (thousands, lakhs)
    // ends with a group of three before the decimals.
    let mut group: Option<usize> = None;
    let misplaced = |c: char| format!("misplaced separator {c:?}");
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_digit() {
            normalised.push(c);
            if !seen_decimal {
                group = group.map(|n| n + 1);
            }
        } else if Some(c) == decimal {
            if seen_decimal {
                return Err(format!("more than one decimal separator {c:?}"));
            }
            if group.is_some_and(|n| n != 3) {
                return Err("digit groups must end with three digits".into());
            }
            seen_decimal = true;
            normalised.push('.');
        } else {
            // A grouping character must sit between two digits of the integer part.
            let between = i > 0
                && chars.get(i - 1).is_some_and(char::is_ascii_digit)
                && chars.get(i + 1).is_some_and(char::is_ascii_digit);
            if !between || seen_decimal {
                return Err(misplaced(c));
            }
            group = Some(0);
        }
    }
    if !seen_decimal && group.is_some_and(|n| n != 3) {
        return Err("digit groups must end with three digits".into());
    }
    Decimal::parse_plain(&normalised)
}

/// Which of `.` and `,` is the decimal separator in `body` (`None`: only grouping).
fn detect_decimal(body: &str, spaces_group: bool) -> Result<Option<char>, String> {
    let (dots, commas) = (body.matches('.').count(), body.matches(',').count());
    let last = |c: char| body.rfind(c);
    Ok(match (dots, commas) {
        (0, 0) => None,
        (_, 0) if dots > 1 => None,
        (_, 0) => Some('.'),
        (0, _) if commas > 1 => None,
        (0, _) => {
            let after = body
                .rsplit(',')
                .next()
                .map_or(0, |s| s.chars().filter(char::is_ascii_digit).count());
            if after == 3 && !spaces_group {
                return Err(
                    "the comma could group thousands or separate decimals (set decimal_separator)"
                        .into(),
                );
            }
            Some(',')
        }
        _ if last('.') > last(',') => Some('.'),
        _ => Some(','),
    })
}

impl Decimal {
    /// Parses `[+-]digits[.digits][e[+-]digits]`.
    pub(super) fn parse_plain(text: &str) -> Result<Self, String> {
        let not_a_number = || "not a number".to_string();
        let (negative, rest) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let (digits, exponent) = match rest.find(['e', 'E']) {
            Some(at) => {
                let exp: i32 = rest
                    .get(at + 1..)
                    .and_then(|e| e.parse().ok())
                    .ok_or_else(not_a_number)?;
                (rest.get(..at).unwrap_or_default(), exp)
            }
            None => (rest, 0),
        };
        let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
        let all_digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
        if int.len() + frac.len() == 0 || !all_digits(int) || !all_digits(frac) {
            return Err(not_a_number());
        }
        let too_long = || "too many digits".to_string();
        let mut mantissa: i128 = 0;
        for d in int.bytes().chain(frac.bytes()) {
            mantissa = mantissa
                .checked_mul(10)
                .and_then(|m| m.checked_add(i128::from(d - b'0')))
                .ok_or_else(too_long)?;
        }
        let mut scale = i64::try_from(frac.len()).map_err(|_| too_long())? - i64::from(exponent);
        if scale < 0 {
            let factor =
                pow10(u32::try_from(-scale).map_err(|_| too_long())?).ok_or_else(too_long)?;
            mantissa = mantissa.checked_mul(factor).ok_or_else(too_long)?;
            scale = 0;
        }
        let mut dec = Decimal {
            mantissa: if negative { -mantissa } else { mantissa },
            scale: u32::try_from(scale).map_err(|_| too_long())?,
        };
        while dec.scale > 0 && dec.mantissa % 10 == 0 {
            dec.mantissa /= 10;
            dec.scale -= 1;
        }
        if dec.scale > MAX_SCALE {
            return Err(too_long());
        }
        Ok(dec)
    }

    /// The value times `10^scale`, as an integer, rounded by `rounding`.
    pub(super) fn round_to(self, scale: u32, rounding: Rounding) -> Result<i128, String> {
        let out_of_range = || "out of range".to_string();
        if self.scale <= scale {
            let factor = pow10(scale - self.scale).ok_or_else(out_of_range)?;
            return self.mantissa.checked_mul(factor).ok_or_else(out_of_range);
        }
        let divisor = pow10(self.scale - scale).ok_or_else(out_of_range)?;
        let (q, r) = (self.mantissa / divisor, self.mantissa % divisor);
        if r == 0 {
            return Ok(q);
        }
        let away = if self.mantissa < 0 { q - 1 } else { q + 1 };
        let twice = r.unsigned_abs() * 2;
        let half = divisor.unsigned_abs();
        Ok(match rounding {
            Rounding::Refuse => return Err("it has a fraction (set rounding)".into()),
            Rounding::TowardZero => q,
            Rounding::Floor => q.min(away),
            Rounding::Ceil => q.max(away),
            Rounding::HalfAwayFromZero if twice >= half => away,
            Rounding::HalfEven if twice > half || (twice == half && q % 2 != 0) => away,
            Rounding::HalfAwayFromZero | Rounding::HalfEven => q,
        })
    }

    /// Text with exactly `scale` decimals (`-0.05`).
    pub(super) fn to_fixed(self) -> String {
        let digits = self.mantissa.unsigned_abs().to_string();
        let scale = self.scale as usize;
        let padded = format!("{digits:0>width$}", width = scale + 1);
        let (int, frac) = padded.split_at(padded.len() - scale);
        let sign = if self.mantissa < 0 { "-" } else { "" };
        if frac.is_empty() {
            format!("{sign}{int}")
        } else {
            format!("{sign}{int}.{frac}")
        }
    }

    /// A JSON number: an integer when there is no fraction, else the nearest f64.
    pub(super) fn to_json_number(mut self) -> Option<Value> {
        while self.scale > 0 && self.mantissa % 10 == 0 {
            self.mantissa /= 10;
            self.scale -= 1;
        }
        if self.scale == 0
            && let Ok(i) = i64::try_from(self.mantissa)
        {
            return Some(Value::from(i));
        }
        let f: f64 = self.to_fixed().parse().ok()?;
        Number::from_f64(f).map(Value::Number)
    }
}

fn pow10(exp: u32) -> Option<i128> {
    10i128.checked_pow(exp)
}
