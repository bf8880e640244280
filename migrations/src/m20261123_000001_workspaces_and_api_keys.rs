//! The tenant (`workspaces`) and the credentials callers present (`api_keys`).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Workspaces::Table)
                    .col(string(Workspaces::Id).primary_key())
                    .col(string_uniq(Workspaces::Slug))
                    .col(string(Workspaces::Name))
                    .col(timestamp_with_time_zone(Workspaces::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ApiKeys::Table)
                    .col(string(ApiKeys::Id).primary_key())
                    .col(string(ApiKeys::WorkspaceId))
                    .col(string(ApiKeys::Name))
                    .col(string(ApiKeys::Prefix))
                    // Hex SHA-256 of the whole key: the only form in which a key is stored.
                    .col(string_uniq(ApiKeys::SecretHash))
                    // JSON array of scope strings, e.g. ["*"] or ["syncs:write"].
                    .col(text(ApiKeys::Scopes))
                    .col(integer_null(ApiKeys::RateLimitPerMinute))
                    .col(timestamp_with_time_zone_null(ApiKeys::ExpiresAt))
                    .col(timestamp_with_time_zone_null(ApiKeys::RevokedAt))
                    .col(timestamp_with_time_zone_null(ApiKeys::LastUsedAt))
                    .col(big_integer(ApiKeys::UsageCount).default(0))
                    .col(timestamp_with_time_zone(ApiKeys::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_api_keys_workspace")
                            .from(ApiKeys::Table, ApiKeys::WorkspaceId)
                            .to(Workspaces::Table, Workspaces::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_api_keys_workspace")
                    .table(ApiKeys::Table)
                    .col(ApiKeys::WorkspaceId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ApiKeys::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Workspaces::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Workspaces {
    Table,
    Id,
    Slug,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
    WorkspaceId,
    Name,
    Prefix,
    SecretHash,
    Scopes,
    RateLimitPerMinute,
    ExpiresAt,
    RevokedAt,
    LastUsedAt,
    UsageCount,
    CreatedAt,
}
