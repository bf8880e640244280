//! When a sync runs (pure): `every` a duration (`30s`, `15m`, `2h`, `1d`, `1h30m`) or a cron
//! expression (five fields, UTC, as cron and Vixie cron read them).

use std::{str::FromStr, time::Duration};

use chrono::{DateTime, Utc};

/// Shortest interval a schedule may have.
pub const MIN_EVERY: Duration = Duration::from_secs(10);

/// A parsed schedule.
#[derive(Debug, Clone)]
pub enum Schedule {
    /// A fixed interval after the previous planned time.
    Every(Duration),
    /// A cron expression, in UTC.
    Cron(Box<croner::Cron>),
}

impl Schedule {
    /// Parses `every` (a duration) or `cron`; exactly one must be given.
    pub fn parse(every: Option<&str>, cron: Option<&str>) -> Result<Self, (&'static str, String)> {
        match (every, cron) {
            (Some(every), None) => parse_every(every)
                .map(Self::Every)
                .map_err(|message| ("schedule.every", message)),
            (None, Some(cron)) => croner::Cron::from_str(cron.trim())
                .map(|cron| Self::Cron(Box::new(cron)))
                .map_err(|e| ("schedule.cron", format!("not a cron expression: {e}"))),
            (Some(_), Some(_)) => Err(("schedule", "give `every` or `cron`, not both".into())),
            (None, None) => Err(("schedule", "give `every` or `cron`".into())),
        }
    }

    /// The first planned time strictly after `after`.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Self::Every(every) => chrono::Duration::from_std(*every)
                .ok()
                .and_then(|step| after.checked_add_signed(step)),
            Self::Cron(cron) => cron.find_next_occurrence(&after, false).ok(),
        }
    }
}

/// `90s`, `15m`, `2h`, `1d`, or combinations such as `1h30m`; at least [`MIN_EVERY`].
pub fn parse_every(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let mut total: u64 = 0;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => {
                return Err(format!(
                    "`{text}`: use a number and s, m, h or d (e.g. `15m`)"
                ));
            }
        };
        let value: u64 = number
            .parse()
            .map_err(|_| format!("`{text}`: a unit needs a number before it"))?;
        total = total.saturating_add(value.saturating_mul(unit));
        number.clear();
    }
    if !number.is_empty() || total == 0 {
        return Err(format!(
            "`{text}`: use a number and s, m, h or d (e.g. `15m`)"
        ));
    }
    let every = Duration::from_secs(total);
    if every < MIN_EVERY {
        return Err(format!(
            "`{text}`: the shortest interval is {}s",
            MIN_EVERY.as_secs()
        ));
    }
    Ok(every)
}

/// Writes an interval the way [`parse_every`] reads it (`1h30m`).
pub fn format_every(every: Duration) -> String {
    let mut secs = every.as_secs();
    let mut out = String::new();
    for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] {
        if secs >= size {
            out.push_str(&format!("{}{unit}", secs / size));
            secs %= size;
        }
    }
    if out.is_empty() { "0s".into() } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_read_and_write_alike() {
        for (text, secs) in [
            ("15m", 900),
            ("1h30m", 5400),
            ("90s", 90),
            ("1d", 86_400),
            (" 2h ", 7200),
        ] {
            let every = parse_every(text).unwrap();
            assert_eq!(every.as_secs(), secs, "{text}");
            assert_eq!(parse_every(&format_every(every)).unwrap(), every);
        }
        for bad in ["", "15", "m", "5s", "1w", "-1m", "1.5h"] {
            assert!(parse_every(bad).is_err(), "{bad}");
        }
        assert_eq!(format_every(Duration::from_secs(5400)), "1h30m");
    }

    #[test]
    fn schedules_plan_the_next_run() {
        let now = DateTime::parse_from_rfc3339("2026-11-23T10:07:30Z")
            .unwrap()
            .to_utc();
        let every = Schedule::parse(Some("15m"), None).unwrap();
        assert_eq!(
            every.next_after(now).unwrap().to_rfc3339(),
            "2026-11-23T10:22:30+00:00"
        );
        let cron = Schedule::parse(None, Some("*/15 * * * *")).unwrap();
        assert_eq!(
            cron.next_after(now).unwrap().to_rfc3339(),
            "2026-11-23T10:15:00+00:00"
        );
        let nightly = Schedule::parse(None, Some("0 3 * * *")).unwrap();
        assert_eq!(
            nightly.next_after(now).unwrap().to_rfc3339(),
            "2026-11-24T03:00:00+00:00"
        );
        assert_eq!(
            Schedule::parse(None, Some("61 * * * *")).unwrap_err().0,
            "schedule.cron"
        );
        assert_eq!(
            Schedule::parse(Some("1m"), Some("* * * * *"))
                .unwrap_err()
                .0,
            "schedule"
        );
        assert_eq!(Schedule::parse(None, None).unwrap_err().0, "schedule");
    }
}
