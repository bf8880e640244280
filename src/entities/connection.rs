//! `connections`: authenticated sessions with a connector; credentials only sealed.

use sea_orm::entity::prelude::*;

/// One connection row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "connections")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub workspace_id: String,
    pub connector_name: String,
    pub name: String,
    /// `sandbox` or `production`.
    pub environment: String,
    /// JSON object of settings (not secret).
    #[sea_orm(column_type = "Text")]
    pub settings: String,
    /// `v1:<key id>:<base64>`; see `crypto::Cipher`.
    #[sea_orm(column_type = "Text", nullable)]
    pub credentials_sealed: Option<String>,
    /// JSON array of the credential names set.
    #[sea_orm(column_type = "Text")]
    pub credential_fields: String,
    pub credentials_version: i32,
    pub base_url_override: Option<String>,
    /// `active`, `pending_authorization`, `needs_reauth` or `error`.
    pub status: String,
    pub token_expires_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub last_checked_at: Option<DateTimeUtc>,
    pub last_check_ok: Option<bool>,
    pub last_check_status: Option<i32>,
    pub last_check_latency_ms: Option<i32>,
    /// The provider's error, scrubbed of credentials.
    #[sea_orm(column_type = "Text", nullable)]
    pub last_check_error: Option<String>,
    /// The process refreshing the token now (a lease, see `refresh_locked_until`).
    pub refresh_locked_by: Option<String>,
    /// Until when that process holds the refresh lease.
    pub refresh_locked_until: Option<DateTimeUtc>,
    /// Why the connection needs attention (the provider's message), when it does.
    #[sea_orm(column_type = "Text", nullable)]
    pub status_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
