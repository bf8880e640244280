//! Spike detection over per-bucket failure counts and a recommended sync frequency.

use serde::{Deserialize, Serialize};

/// Settings of spike detection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SpikeConfig {
    /// How many buckets before the last one form the baseline.
    pub baseline_buckets: usize,
    /// The last bucket must exceed the baseline mean by this many standard deviations.
    pub min_z: f64,
    /// ...and be at least this many times the baseline mean.
    pub min_ratio: f64,
    /// ...and hold at least this many failures, so a jump from 0 to 2 is not an alert.
    pub min_count: u64,
}

impl Default for SpikeConfig {
    fn default() -> Self {
        SpikeConfig {
            baseline_buckets: 12,
            min_z: 3.0,
            min_ratio: 2.0,
            min_count: 10,
        }
    }
}

/// A detected spike.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spike {
    /// Failures in the last bucket.
    pub count: u64,
    /// Mean failures per bucket over the baseline.
    pub baseline: f64,
    /// How many standard deviations above the baseline.
    pub z: f64,
}

/// Whether the last bucket of `counts` (oldest first) spikes above its recent baseline.
pub fn spike(counts: &[u64], cfg: &SpikeConfig) -> Option<Spike> {
    let (&last, history) = counts.split_last()?;
    let base = &history[history.len().saturating_sub(cfg.baseline_buckets)..];
    if base.is_empty() || last < cfg.min_count {
        return None;
    }
    let n = base.len() as f64;
    let mean = base.iter().sum::<u64>() as f64 / n;
    let var = base.iter().map(|&c| (c as f64 - mean).powi(2)).sum::<f64>() / n;
    // A perfectly steady baseline has no deviation; Poisson noise (sqrt of the mean, at least 1)
    // keeps the z-score finite and meaningful.
    let sd = var.sqrt().max(mean.sqrt()).max(1.0);
    let z = (last as f64 - mean) / sd;
    (z >= cfg.min_z && last as f64 >= cfg.min_ratio * mean.max(1.0)).then_some(Spike {
        count: last,
        baseline: mean,
        z,
    })
}

/// One past run of a sync: when it ran (seconds) and how many records it found changed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RunObservation {
    /// Start time of the run, in seconds since any fixed origin.
    pub at_secs: u64,
    /// Records created or updated by the run.
    pub changed: u64,
}

/// A recommended schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recommendation {
    /// Run every this many seconds.
    pub every_secs: u64,
    /// Why, in a sentence.
    pub reason: String,
}

/// Bounds of recommended intervals: not more often than every minute, at least daily.
const MIN_SECS: u64 = 60;
const MAX_SECS: u64 = 86_400;

/// Recommends how often a sync should run from its past runs (oldest first): often enough that
/// a change waits about one average gap between changes, rare enough that most runs find
/// something; never more often than `min_interval_secs` (the provider's rate limit allows).
pub fn recommend_interval(
    runs: &[RunObservation],
    min_interval_secs: u64,
) -> Option<Recommendation> {
    if runs.len() < 3 {
        return None;
    }
    let span = runs.last()?.at_secs.saturating_sub(runs.first()?.at_secs);
    // Changes seen after the first run, over the time they span.
    let changes: u64 = runs[1..].iter().map(|r| r.changed).sum();
    let floor = MIN_SECS.max(min_interval_secs);
    if span == 0 {
        return None;
    }
    if changes == 0 {
        return Some(Recommendation {
            every_secs: MAX_SECS,
            reason: format!("no run in the last {} found a change", runs.len() - 1),
        });
    }
    let changing_runs = runs[1..].iter().filter(|r| r.changed > 0).count() as u64;
    // The mean gap between runs that found changes: running at that pace finds a change most
    // times, and a change waits at most one gap.
    let every = (span / changing_runs.max(1)).clamp(floor, MAX_SECS);
    Some(Recommendation {
        every_secs: every,
        reason: format!(
            "{changing_runs} of {} runs found changes ({changes} records) over {span} s",
            runs.len() - 1
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(counts: &[u64], expected: bool) {
        assert_eq!(
            spike(counts, &SpikeConfig::default()).is_some(),
            expected,
            "counts {counts:?}"
        );
    }

    #[test]
    fn spikes_only_on_a_jump() {
        check(&[10, 12, 9, 11, 10, 13, 9, 10, 12, 11, 10, 12], false);
        check(&[10, 12, 9, 11, 10, 13, 9, 10, 12, 11, 10, 60], true);
        check(&[0, 0, 0, 0, 0, 3], false);
        check(&[0, 0, 0, 0, 0, 25], true);
        check(&[], false);
    }

    fn runs(every: u64, changed: &[u64]) -> Vec<RunObservation> {
        changed
            .iter()
            .enumerate()
            .map(|(i, &c)| RunObservation {
                at_secs: i as u64 * every,
                changed: c,
            })
            .collect()
    }

    #[test]
    fn recommends_rarer_runs_when_most_are_empty() {
        let r = recommend_interval(&runs(300, &[0, 0, 0, 0, 5, 0, 0, 0, 4, 0, 0, 0, 6]), 0);
        assert_eq!(r.map(|r| r.every_secs), Some(1200));
        let busy = recommend_interval(&runs(300, &[3, 4, 5, 6, 7]), 0);
        assert_eq!(busy.map(|r| r.every_secs), Some(300));
        let limited = recommend_interval(&runs(300, &[3, 4, 5, 6, 7]), 900);
        assert_eq!(limited.map(|r| r.every_secs), Some(900));
        let idle = recommend_interval(&runs(300, &[0, 0, 0, 0]), 0);
        assert_eq!(idle.map(|r| r.every_secs), Some(MAX_SECS));
    }
}
