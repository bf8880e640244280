//! Patchbay's database migrations: one file per step, the same steps on SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_workspaces_and_api_keys;
mod m20261123_000002_api_key_rotation_and_burst;
mod m20261123_000003_field_mappings;
mod m20261123_000004_connectors;
mod m20261123_000005_connections;
mod m20261123_000006_connection_health;
mod m20261123_000007_token_refresh;
mod m20261123_000008_syncs;
mod m20261123_000009_alerts;
mod m20261123_000010_webhooks;

/// Every migration of Patchbay, in the order they apply.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_workspaces_and_api_keys::Migration),
            Box::new(m20261123_000002_api_key_rotation_and_burst::Migration),
            Box::new(m20261123_000003_field_mappings::Migration),
            Box::new(m20261123_000004_connectors::Migration),
            Box::new(m20261123_000005_connections::Migration),
            Box::new(m20261123_000006_connection_health::Migration),
            Box::new(m20261123_000007_token_refresh::Migration),
            Box::new(m20261123_000008_syncs::Migration),
            Box::new(m20261123_000009_alerts::Migration),
            Box::new(m20261123_000010_webhooks::Migration),
        ]
    }
}
