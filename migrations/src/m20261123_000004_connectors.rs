//! Custom connector definitions registered by a workspace at run time.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Connectors::Table)
                    .col(string(Connectors::Id).primary_key())
                    .col(string(Connectors::WorkspaceId))
                    .col(string(Connectors::Name))
                    // The validated definition, as JSON.
                    .col(text(Connectors::Definition))
                    .col(timestamp_with_time_zone(Connectors::CreatedAt))
                    .col(timestamp_with_time_zone(Connectors::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_connectors_workspace")
                            .from(Connectors::Table, Connectors::WorkspaceId)
                            .to(Workspaces::Table, Workspaces::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_connectors_workspace_name")
                    .table(Connectors::Table)
                    .col(Connectors::WorkspaceId)
                    .col(Connectors::Name)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Connectors::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Workspaces {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Connectors {
    Table,
    Id,
    WorkspaceId,
    Name,
    Definition,
    CreatedAt,
    UpdatedAt,
}
