//! The `date` transform: reading and writing dates as ISO 8601, Unix time or `strftime` text.

use std::fmt::{self, Write as _};

use chrono::format::StrftimeItems;
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::number::read_decimal;
use super::{Rounding, TransformError, convert_error};

/// A date spelling, written in JSON as one string: `iso_date` (`2024-03-01`), `iso_date_time`
/// (`2024-03-01T10:00:00Z`), `unix_seconds`, `unix_millis`, or a `strftime` pattern containing
/// `%` (`%d/%m/%Y %H:%M`).
///
/// Reading is lenient where it is safe: `iso_date` also accepts a date-time (its date, as
/// written in its own offset), `iso_date_time` accepts a date (midnight UTC) and a date-time
/// without offset (UTC), Unix times accept numbers and numeric text with fractions. A pattern
/// without an offset reads as UTC; one without a time reads as midnight. Writing Unix time
/// drops fractions of the unit (towards the past).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum DateFormat {
    /// `2024-03-01`.
    IsoDate,
    /// `2024-03-01T10:00:00Z`, offsets kept as written.
    IsoDateTime,
    /// Seconds since 1970-01-01T00:00:00Z.
    UnixSeconds,
    /// Milliseconds since 1970-01-01T00:00:00Z.
    UnixMillis,
    /// A `strftime` pattern, such as `%d/%m/%Y`.
    Strftime(String),
}

impl TryFrom<String> for DateFormat {
    type Error = String;

    fn try_from(name: String) -> Result<Self, String> {
        Ok(match name.as_str() {
            "iso_date" => Self::IsoDate,
            "iso_date_time" | "iso_datetime" => Self::IsoDateTime,
            "unix_seconds" => Self::UnixSeconds,
            "unix_millis" | "unix_ms" => Self::UnixMillis,
            _ if name.contains('%') => {
                if StrftimeItems::new(&name).parse().is_err() {
                    return Err(format!("invalid strftime pattern {name:?}"));
                }
                Self::Strftime(name)
            }
            _ => {
                return Err(format!(
                    "unknown date format {name:?}: expected iso_date, iso_date_time, \
                     unix_seconds, unix_millis or a strftime pattern with %"
                ));
            }
        })
    }
}

impl From<DateFormat> for String {
    fn from(format: DateFormat) -> String {
        format.to_string()
    }
}

impl fmt::Display for DateFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::IsoDate => "iso_date",
            Self::IsoDateTime => "iso_date_time",
            Self::UnixSeconds => "unix_seconds",
            Self::UnixMillis => "unix_millis",
            Self::Strftime(pattern) => pattern,
        })
    }
}

/// Converts `value` from one spelling to another.
pub(super) fn convert(
    value: Value,
    from: &DateFormat,
    to: &DateFormat,
) -> Result<Value, TransformError> {
    let instant = read(&value, from)?;
    write(instant, to)
}

fn read(value: &Value, format: &DateFormat) -> Result<DateTime<FixedOffset>, TransformError> {
    let expected = match format {
        DateFormat::IsoDate => "an ISO 8601 date",
        DateFormat::IsoDateTime => "an ISO 8601 date-time",
        DateFormat::UnixSeconds => "Unix seconds",
        DateFormat::UnixMillis => "Unix milliseconds",
        DateFormat::Strftime(_) => "a date",
    };
    let fail = |reason: Option<String>| convert_error(value, expected, reason);
    match (format, value) {
        (DateFormat::UnixSeconds | DateFormat::UnixMillis, Value::Number(_) | Value::String(_)) => {
            // Whole nanoseconds: nine decimals of a second, six of a millisecond.
            let scale = if *format == DateFormat::UnixSeconds {
                9
            } else {
                6
            };
            let nanos = read_decimal(value)
                .map_err(fail)?
                .round_to(scale, Rounding::Floor)
                .map_err(|r| fail(Some(r)))?;
            let secs = i64::try_from(nanos.div_euclid(1_000_000_000));
            let sub = u32::try_from(nanos.rem_euclid(1_000_000_000));
            match (secs, sub) {
                (Ok(secs), Ok(sub)) => DateTime::from_timestamp(secs, sub),
                _ => None,
            }
            .map(|dt| dt.fixed_offset())
            .ok_or_else(|| fail(Some("out of range".into())))
        }
        (DateFormat::IsoDate | DateFormat::IsoDateTime, Value::String(s)) => {
            parse_iso(s.trim()).ok_or_else(|| fail(None))
        }
        (DateFormat::Strftime(pattern), Value::String(s)) => parse_pattern(s.trim(), pattern)
            .map_err(|e| fail(Some(format!("does not match {pattern:?} ({e})")))),
        _ => Err(fail(None)),
    }
}

fn parse_iso(s: &str) -> Option<DateTime<FixedOffset>> {
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt);
    }
    [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ]
    .iter()
    .find_map(|p| NaiveDateTime::parse_from_str(s, p).ok())
    .or_else(|| {
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
    })
    .map(|naive| naive.and_utc().fixed_offset())
}

fn parse_pattern(s: &str, pattern: &str) -> Result<DateTime<FixedOffset>, chrono::ParseError> {
    if let Ok(dt) = DateTime::parse_from_str(s, pattern) {
        return Ok(dt);
    }
    if let Ok(naive) = NaiveDateTime::parse_from_str(s, pattern) {
        return Ok(naive.and_utc().fixed_offset());
    }
    let date = NaiveDate::parse_from_str(s, pattern)?;
    Ok(date
        .and_time(chrono::NaiveTime::MIN)
        .and_utc()
        .fixed_offset())
}

fn write(instant: DateTime<FixedOffset>, format: &DateFormat) -> Result<Value, TransformError> {
    Ok(match format {
        DateFormat::IsoDate => Value::String(instant.date_naive().format("%Y-%m-%d").to_string()),
        DateFormat::IsoDateTime => {
            Value::String(instant.to_rfc3339_opts(SecondsFormat::AutoSi, true))
        }
        DateFormat::UnixSeconds => Value::from(instant.with_timezone(&Utc).timestamp()),
        DateFormat::UnixMillis => Value::from(instant.with_timezone(&Utc).timestamp_millis()),
        DateFormat::Strftime(pattern) => {
            let mut out = String::new();
            // Formatting reports an error (rather than panicking) for a pattern chrono rejects.
            write!(out, "{}", instant.format(pattern)).map_err(|_| {
                TransformError::Invalid(format!("cannot format a date with {pattern:?}"))
            })?;
            Value::String(out)
        }
    })
}
