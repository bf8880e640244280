//! A cache of authenticated keys, so a request does not pay a database read to authenticate.
//!
//! Correctness rests on invalidation, not on expiry:
//! - the process that revokes or rotates a key drops it at once;
//! - every process polls `api_keys.changed_at` (see [`refresh`]) and drops the keys changed
//!   since its last look, so a revocation reaches every process sharing the database within
//!   one refresh interval (100 ms by default);
//! - entries older than [`MAX_AGE`] are read again anyway, as a safety net.
//!
//! Expiry and rotation grace are checked on every hit against the cached row.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use super::store::{self, Matched};
use crate::{Result, entities::api_key};

/// Entries older than this are read from the database again.
pub const MAX_AGE: Duration = Duration::from_secs(300);
/// At most this many keys are cached; beyond it, keys are simply not cached.
pub const MAX_ENTRIES: usize = 10_000;
/// How far back each refresh looks, to absorb clock skew between processes and the time
/// between a change's timestamp and its commit.
pub const LOOKBACK: chrono::TimeDelta = chrono::TimeDelta::seconds(30);

struct Entry {
    key: Arc<api_key::Model>,
    matched: Matched,
    cached_at: Instant,
}

/// Authenticated keys by the SHA-256 of the presented secret.
#[derive(Default)]
pub struct KeyCache {
    entries: Mutex<HashMap<String, Entry>>,
}

impl KeyCache {
    /// The cached key for this hash, if fresh.
    pub fn get(&self, hash: &str) -> Option<(Arc<api_key::Model>, Matched)> {
        let entries = self.entries.lock().ok()?;
        let entry = entries.get(hash)?;
        (entry.cached_at.elapsed() < MAX_AGE).then(|| (entry.key.clone(), entry.matched))
    }

    /// Remembers a key read from the database.
    pub fn insert(&self, hash: &str, key: Arc<api_key::Model>, matched: Matched) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.len() < MAX_ENTRIES || entries.contains_key(hash) {
            entries.insert(
                hash.to_owned(),
                Entry {
                    key,
                    matched,
                    cached_at: Instant::now(),
                },
            );
        }
    }

    /// Drops every entry of these key ids (current and previous secrets alike).
    pub fn invalidate(&self, ids: &[String]) {
        if ids.is_empty() {
            return;
        }
        if let Ok(mut entries) = self.entries.lock() {
            entries.retain(|_, entry| !ids.contains(&entry.key.id));
        }
    }

    /// Drops entries past [`MAX_AGE`].
    pub fn evict_stale(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.retain(|_, entry| entry.cached_at.elapsed() < MAX_AGE);
        }
    }

    /// How many keys are cached.
    pub fn len(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or_default()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Drops the keys revoked or rotated (by any process) in the last [`LOOKBACK`]; returns how
/// many ids the feed named.
pub async fn refresh(cache: &KeyCache, db: &impl ConnectionTrait) -> Result<usize> {
    let since: DateTime<Utc> = Utc::now() - LOOKBACK;
    let changed = store::changed_since(db, since).await?;
    cache.invalidate(&changed);
    Ok(changed.len())
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    fn key(id: &str) -> Arc<api_key::Model> {
        Arc::new(api_key::Model {
            id: id.to_owned(),
            workspace_id: "w".into(),
            name: "n".into(),
            prefix: "pb_live_x".into(),
            secret_hash: format!("hash-{id}"),
            scopes: "[\"*\"]".into(),
            rate_limit_per_minute: None,
            rate_limit_burst: None,
            expires_at: None,
            revoked_at: None,
            last_used_at: None,
            usage_count: 0,
            created_at: Utc::now(),
            previous_secret_hash: None,
            previous_valid_until: None,
            rotated_at: None,
            changed_at: None,
        })
    }

    #[test]
    fn invalidating_a_key_drops_its_current_and_previous_secrets_only() {
        let cache = KeyCache::default();
        cache.insert("current", key("a"), Matched::Current);
        cache.insert("previous", key("a"), Matched::Previous);
        cache.insert("other", key("b"), Matched::Current);
        assert_eq!(cache.len(), 3);
        assert_eq!(
            cache.get("previous").map(|(_, m)| m),
            Some(Matched::Previous)
        );
        cache.invalidate(&["a".to_owned()]);
        assert!(cache.get("current").is_none() && cache.get("previous").is_none());
        assert_eq!(
            cache.get("other").map(|(k, _)| k.id.clone()),
            Some("b".to_owned())
        );
    }

    #[test]
    fn the_cache_is_bounded() {
        let cache = KeyCache::default();
        for i in 0..MAX_ENTRIES + 10 {
            cache.insert(&format!("h{i}"), key(&i.to_string()), Matched::Current);
        }
        assert_eq!(cache.len(), MAX_ENTRIES);
    }
}
