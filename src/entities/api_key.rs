//! `api_keys`: callers' credentials, stored only as a SHA-256 hash.

use sea_orm::entity::prelude::*;

/// One API key row. The secret itself is never stored.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub workspace_id: String,
    pub name: String,
    /// The visible start of the key (`pb_live_AbCdEfGh`), to recognise it in listings.
    pub prefix: String,
    /// Hex SHA-256 of the whole key.
    #[sea_orm(unique)]
    pub secret_hash: String,
    /// JSON array of scope strings.
    #[sea_orm(column_type = "Text")]
    pub scopes: String,
    pub rate_limit_per_minute: Option<i32>,
    pub rate_limit_burst: Option<i32>,
    pub expires_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
    pub last_used_at: Option<DateTimeUtc>,
    pub usage_count: i64,
    pub created_at: DateTimeUtc,
    /// Hash of the secret this key had before its last rotation.
    #[sea_orm(unique)]
    pub previous_secret_hash: Option<String>,
    /// Until when the previous secret is still accepted.
    pub previous_valid_until: Option<DateTimeUtc>,
    pub rotated_at: Option<DateTimeUtc>,
    /// Last revocation or rotation: other processes poll it to refresh their key cache.
    pub changed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
