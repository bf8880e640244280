//! API keys: rotation with a grace period (the previous hash stays valid until a deadline),
//! a burst size for the per-key rate limit, and `changed_at`, the feed other processes poll
//! to drop a revoked or rotated key from their authentication cache.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        for column in [
            string_null(ApiKeys::PreviousSecretHash),
            timestamp_with_time_zone_null(ApiKeys::PreviousValidUntil),
            timestamp_with_time_zone_null(ApiKeys::RotatedAt),
            integer_null(ApiKeys::RateLimitBurst),
            timestamp_with_time_zone_null(ApiKeys::ChangedAt),
        ] {
            let mut column = column;
            manager
                .alter_table(
                    Table::alter()
                        .table(ApiKeys::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_api_keys_previous_secret_hash")
                    .table(ApiKeys::Table)
                    .col(ApiKeys::PreviousSecretHash)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_api_keys_changed_at")
                    .table(ApiKeys::Table)
                    .col(ApiKeys::ChangedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_api_keys_changed_at")
                    .table(ApiKeys::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_api_keys_previous_secret_hash")
                    .table(ApiKeys::Table)
                    .to_owned(),
            )
            .await?;
        for column in [
            ApiKeys::PreviousSecretHash,
            ApiKeys::PreviousValidUntil,
            ApiKeys::RotatedAt,
            ApiKeys::RateLimitBurst,
            ApiKeys::ChangedAt,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ApiKeys::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    PreviousSecretHash,
    PreviousValidUntil,
    RotatedAt,
    RateLimitBurst,
    ChangedAt,
}
