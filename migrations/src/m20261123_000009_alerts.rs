//! Alerts: a sync whose failures jump well above its recent baseline.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Alerts::Table)
                    .col(string(Alerts::Id).primary_key())
                    .col(string(Alerts::WorkspaceId))
                    .col(string(Alerts::Kind))
                    .col(string_null(Alerts::SyncId))
                    .col(string_null(Alerts::RunId))
                    .col(text(Alerts::Message))
                    .col(big_integer(Alerts::Count))
                    .col(double(Alerts::Baseline))
                    .col(string(Alerts::Status))
                    .col(timestamp_with_time_zone(Alerts::CreatedAt))
                    .col(timestamp_with_time_zone_null(Alerts::AcknowledgedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_alerts_workspace")
                            .from(Alerts::Table, Alerts::WorkspaceId)
                            .to(Workspaces::Table, Workspaces::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_alerts_workspace_status")
                    .table(Alerts::Table)
                    .col(Alerts::WorkspaceId)
                    .col(Alerts::Status)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Alerts::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Workspaces {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Alerts {
    Table,
    Id,
    WorkspaceId,
    Kind,
    SyncId,
    RunId,
    Message,
    Count,
    Baseline,
    Status,
    CreatedAt,
    AcknowledgedAt,
}
