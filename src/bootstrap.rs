//! First start: an empty database gets the `default` workspace and an admin key.
//!
//! The key is returned to the caller (the CLI prints it once on standard output, not to the
//! log stream). When several processes start on one empty database, the unique workspace slug
//! lets exactly one of them win; the others see an existing workspace and print nothing.

use sea_orm::{DatabaseConnection, TransactionTrait};
use secrecy::SecretString;

use crate::{
    Result,
    auth::{
        Resource, Scope,
        api_key::KeyKind,
        store::{self, NewKey},
    },
    workspaces,
};

/// The admin key created on first start.
pub struct BootstrapKey {
    /// The workspace's slug (`default`).
    pub workspace_slug: String,
    /// The key's id.
    pub key_id: String,
    /// The key itself, shown once.
    pub secret: SecretString,
}

/// Creates the default workspace and an admin key when the database has no workspace yet.
pub async fn first_start(db: &DatabaseConnection) -> Result<Option<BootstrapKey>> {
    if workspaces::count(db).await? > 0 {
        return Ok(None);
    }
    let txn = db.begin().await?;
    let workspace = match workspaces::create(&txn, workspaces::DEFAULT_SLUG, "Default").await {
        Ok(workspace) => workspace,
        // Another process bootstrapped between our count and our insert.
        Err(_) if workspaces::count(db).await? > 0 => return Ok(None),
        Err(error) => return Err(error),
    };
    let (key, secret) = store::create(
        &txn,
        NewKey {
            workspace_id: workspace.id.clone(),
            name: "bootstrap admin".into(),
            scopes: vec![Scope::All, Scope::Write(Resource::Workspaces)],
            rate_limit_per_minute: None,
            rate_limit_burst: None,
            expires_at: None,
            kind: KeyKind::Live,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(Some(BootstrapKey {
        workspace_slug: workspace.slug,
        key_id: key.id,
        secret,
    }))
}
