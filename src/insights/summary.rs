//! "Why do my syncs fail?" (pure): failure messages mined into patterns, each with its count,
//! share, first and last seen, a trend per time bucket with a spike flag, what it affects,
//! examples, the most common parameter values, and its likely cause and fix.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Duration, Utc};

use super::{
    explain::{self, Explanation, Failure},
    health::{self, SpikeConfig},
    patterns::miner::{Config, Miner},
};

/// One failure, as the sync log holds it.
#[derive(Debug, Clone)]
pub struct LoggedFailure {
    /// The message.
    pub message: String,
    /// When.
    pub at: DateTime<Utc>,
    /// The provider's HTTP status, when known.
    pub http_status: Option<u16>,
    /// The provider's error code, when known.
    pub provider_code: Option<String>,
    /// The connector of the connection.
    pub connector: String,
    /// The connection.
    pub connection_id: String,
    /// The sync.
    pub sync_id: String,
}

/// A value seen at a pattern's placeholder, and how often.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueCount {
    /// The placeholder's position in the template (0-based).
    pub position: usize,
    /// The value.
    pub value: String,
    /// How many messages had it there.
    pub count: u64,
}

/// One failure pattern.
#[derive(Debug, Clone)]
pub struct PatternSummary {
    /// The template, variable parts as `<*>` or typed placeholders.
    pub template: String,
    /// Messages of the pattern.
    pub count: u64,
    /// Its share of all failures in the window (0..1).
    pub share: f64,
    /// The first message's time.
    pub first_seen: DateTime<Utc>,
    /// The last message's time.
    pub last_seen: DateTime<Utc>,
    /// Messages per bucket, oldest first, covering the window.
    pub trend: Vec<u64>,
    /// The start of the first bucket.
    pub trend_start: DateTime<Utc>,
    /// Each bucket's length.
    pub bucket: Duration,
    /// Whether the last bucket jumps well above the ones before.
    pub spiking: bool,
    /// Connectors affected.
    pub connectors: Vec<String>,
    /// Connections affected.
    pub connection_ids: Vec<String>,
    /// Syncs affected.
    pub sync_ids: Vec<String>,
    /// Up to three example messages (the first distinct ones).
    pub examples: Vec<String>,
    /// The most common values at the placeholders (at most five).
    pub top_values: Vec<ValueCount>,
    /// The most common HTTP status among its messages.
    pub http_status: Option<u16>,
    /// The most common provider error code among its messages.
    pub provider_code: Option<String>,
    /// Likely cause and what to change, when a rule applies.
    pub explanation: Option<Explanation>,
}

/// Mines `failures` (any order) over the window `[since, until)` cut into `buckets` buckets;
/// returns the patterns, most frequent first.
pub fn summarise(
    failures: &[LoggedFailure],
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    buckets: usize,
) -> Vec<PatternSummary> {
    let mut ordered: Vec<&LoggedFailure> = failures.iter().collect();
    ordered.sort_by_key(|f| f.at);
    let mut miner = Miner::new(Config::default());
    let matches: Vec<_> = ordered.iter().map(|f| miner.add(&f.message)).collect();
    let buckets = buckets.max(2);
    let span = (until - since).max(Duration::seconds(1));
    let bucket = span / i32::try_from(buckets).unwrap_or(i32::MAX);
    let bucket = bucket.max(Duration::seconds(1));
    let mut groups: BTreeMap<u64, Group> = BTreeMap::new();
    for (failure, found) in ordered.iter().zip(&matches) {
        let id = miner.resolve(found.pattern_id);
        let group = groups.entry(id).or_insert_with(|| Group::new(buckets));
        group.add(failure, &found.parameters, since, bucket);
    }
    let total = failures.len().max(1) as f64;
    let mut out: Vec<PatternSummary> = groups
        .into_iter()
        .map(|(id, group)| {
            let template = miner.template(id).unwrap_or_default();
            group.finish(template, total, since, bucket)
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then(a.template.cmp(&b.template)));
    out
}

struct Group<'a> {
    count: u64,
    first: Option<DateTime<Utc>>,
    last: Option<DateTime<Utc>>,
    trend: Vec<u64>,
    connectors: BTreeSet<&'a str>,
    connections: BTreeSet<&'a str>,
    syncs: BTreeSet<&'a str>,
    examples: Vec<&'a str>,
    values: HashMap<(usize, String), u64>,
    statuses: HashMap<u16, u64>,
    codes: HashMap<&'a str, u64>,
    parameters: Vec<String>,
}

impl<'a> Group<'a> {
    fn new(buckets: usize) -> Self {
        Self {
            count: 0,
            first: None,
            last: None,
            trend: vec![0; buckets],
            connectors: BTreeSet::new(),
            connections: BTreeSet::new(),
            syncs: BTreeSet::new(),
            examples: Vec::new(),
            values: HashMap::new(),
            statuses: HashMap::new(),
            codes: HashMap::new(),
            parameters: Vec::new(),
        }
    }

    fn add(
        &mut self,
        failure: &'a LoggedFailure,
        parameters: &[String],
        since: DateTime<Utc>,
        bucket: Duration,
    ) {
        self.count += 1;
        self.first = Some(self.first.map_or(failure.at, |f| f.min(failure.at)));
        self.last = Some(self.last.map_or(failure.at, |l| l.max(failure.at)));
        let index = ((failure.at - since).num_milliseconds().max(0)
            / bucket.num_milliseconds().max(1)) as usize;
        let last = self.trend.len() - 1;
        self.trend[index.min(last)] += 1;
        self.connectors.insert(&failure.connector);
        self.connections.insert(&failure.connection_id);
        self.syncs.insert(&failure.sync_id);
        if self.examples.len() < 3 && !self.examples.contains(&failure.message.as_str()) {
            self.examples.push(&failure.message);
        }
        for (position, value) in parameters.iter().enumerate() {
            *self.values.entry((position, value.clone())).or_default() += 1;
        }
        if let Some(status) = failure.http_status {
            *self.statuses.entry(status).or_default() += 1;
        }
        if let Some(code) = &failure.provider_code {
            *self.codes.entry(code).or_default() += 1;
        }
        if self.parameters.is_empty() {
            self.parameters = parameters.to_vec();
        }
    }

    fn finish(
        self,
        template: String,
        total: f64,
        since: DateTime<Utc>,
        bucket: Duration,
    ) -> PatternSummary {
        let http_status = most_common(self.statuses);
        let provider_code = most_common(self.codes).map(str::to_owned);
        let explanation = explain::explain(&Failure {
            template: &template,
            http_status,
            provider_code: provider_code.as_deref(),
            parameters: &self.parameters,
        });
        let mut top_values: Vec<ValueCount> = self
            .values
            .into_iter()
            .filter(|(_, count)| *count > 1)
            .map(|((position, value), count)| ValueCount {
                position,
                value,
                count,
            })
            .collect();
        top_values.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then(a.position.cmp(&b.position))
                .then(a.value.cmp(&b.value))
        });
        top_values.truncate(5);
        let spiking = health::spike(&self.trend, &SpikeConfig::default()).is_some();
        PatternSummary {
            template,
            count: self.count,
            share: self.count as f64 / total,
            first_seen: self.first.unwrap_or(since),
            last_seen: self.last.unwrap_or(since),
            trend: self.trend,
            trend_start: since,
            bucket,
            spiking,
            connectors: self.connectors.into_iter().map(str::to_owned).collect(),
            connection_ids: self.connections.into_iter().map(str::to_owned).collect(),
            sync_ids: self.syncs.into_iter().map(str::to_owned).collect(),
            examples: self.examples.into_iter().map(str::to_owned).collect(),
            top_values,
            http_status,
            provider_code,
            explanation,
        }
    }
}

fn most_common<K: Ord + Copy>(counts: HashMap<K, u64>) -> Option<K> {
    counts
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
        .map(|(key, _)| key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::insights::explain::Cause;

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap() + Duration::minutes(minutes)
    }

    fn failure(message: &str, minute: i64, status: Option<u16>, sync: &str) -> LoggedFailure {
        LoggedFailure {
            message: message.into(),
            at: at(minute),
            http_status: status,
            provider_code: None,
            connector: "hubspot".into(),
            connection_id: "conn-1".into(),
            sync_id: sync.into(),
        }
    }

    #[test]
    fn failures_become_explained_patterns_most_frequent_first() {
        let mut failures = Vec::new();
        for i in 0..30 {
            failures.push(failure(
                &format!("Property lastname is required for contact {}", 1000 + i),
                i,
                Some(400),
                "sync-a",
            ));
        }
        let paths = ["contacts", "companies", "deals"];
        for i in 0..12 {
            failures.push(failure(
                &format!(
                    "Timeout calling https://api.example.com/crm/v3/objects/{} after {} ms",
                    paths[i % 3],
                    30_000 + i
                ),
                i as i64 * 2,
                None,
                if i % 2 == 0 { "sync-b" } else { "sync-c" },
            ));
        }
        let summary = summarise(&failures, at(0), at(60), 12);
        assert_eq!(summary.len(), 2, "{summary:#?}");
        let required = &summary[0];
        assert_eq!(
            required.template,
            "Property lastname is required for contact <NUM>"
        );
        assert_eq!(required.count, 30);
        assert!((required.share - 30.0 / 42.0).abs() < 1e-9);
        assert_eq!(required.first_seen, at(0));
        assert_eq!(required.last_seen, at(29));
        assert_eq!(required.trend.iter().sum::<u64>(), 30);
        assert_eq!(required.trend.len(), 12);
        assert_eq!(required.sync_ids, ["sync-a"]);
        assert_eq!(required.examples.len(), 3);
        assert_eq!(required.http_status, Some(400));
        assert!(required.top_values.is_empty(), "every contact id differs");
        assert_eq!(
            required.explanation.as_ref().map(|e| e.cause),
            Some(Cause::MissingRequiredField)
        );
        let timeouts = &summary[1];
        assert_eq!(timeouts.count, 12);
        assert_eq!(timeouts.sync_ids, ["sync-b", "sync-c"]);
        let urls: Vec<(&str, u64)> = timeouts
            .top_values
            .iter()
            .map(|v| (v.value.as_str(), v.count))
            .collect();
        assert_eq!(urls.len(), 3, "{timeouts:#?}");
        assert!(
            urls.iter()
                .all(|(url, count)| url.contains("/objects/") && *count == 4)
        );
        assert_eq!(
            timeouts.explanation.as_ref().map(|e| e.cause),
            Some(Cause::ProviderOutage)
        );
    }

    #[test]
    fn a_jump_in_the_last_bucket_is_a_spike_and_steady_noise_is_not() {
        let mut failures = Vec::new();
        // Two a bucket for eleven buckets, then forty in the last.
        for bucket in 0..11 {
            for j in 0..2 {
                failures.push(failure(
                    &format!("Connection reset by peer (attempt {j})"),
                    bucket * 5 + j,
                    None,
                    "s",
                ));
            }
        }
        for j in 0..40 {
            failures.push(failure(
                &format!("Connection reset by peer (attempt {j})"),
                56 + (j % 4),
                None,
                "s",
            ));
        }
        let summary = summarise(&failures, at(0), at(60), 12);
        assert!(summary[0].spiking, "{:?}", summary[0].trend);

        let steady: Vec<_> = (0..60)
            .map(|m| failure(&format!("Timeout after {m} ms"), m, None, "s"))
            .collect();
        let summary = summarise(&steady, at(0), at(60), 12);
        assert!(!summary[0].spiking, "{:?}", summary[0].trend);
    }

    #[test]
    fn nothing_in_nothing_out() {
        assert!(summarise(&[], at(0), at(60), 12).is_empty());
    }
}
