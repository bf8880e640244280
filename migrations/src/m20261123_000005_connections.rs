//! Connections: a workspace's authenticated sessions with a connector. Credentials are stored
//! sealed (AES-256-GCM, the connection id as associated data), never in clear.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Connections::Table)
                    .col(string(Connections::Id).primary_key())
                    .col(string(Connections::WorkspaceId))
                    .col(string(Connections::ConnectorName))
                    .col(string(Connections::Name))
                    .col(string(Connections::Environment))
                    // JSON object of non-secret settings.
                    .col(text(Connections::Settings))
                    .col(text_null(Connections::CredentialsSealed))
                    // Names of the credential fields set, for display (JSON array).
                    .col(text(Connections::CredentialFields))
                    // Bumped on every credential change: the compare-and-swap guard of refreshes.
                    .col(integer(Connections::CredentialsVersion).default(0))
                    .col(string_null(Connections::BaseUrlOverride))
                    .col(string(Connections::Status))
                    .col(timestamp_with_time_zone_null(Connections::TokenExpiresAt))
                    .col(timestamp_with_time_zone(Connections::CreatedAt))
                    .col(timestamp_with_time_zone(Connections::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_connections_workspace")
                            .from(Connections::Table, Connections::WorkspaceId)
                            .to(Workspaces::Table, Workspaces::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_connections_workspace_name")
                    .table(Connections::Table)
                    .col(Connections::WorkspaceId)
                    .col(Connections::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_connections_workspace_connector")
                    .table(Connections::Table)
                    .col(Connections::WorkspaceId)
                    .col(Connections::ConnectorName)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Connections::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Workspaces {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Connections {
    Table,
    Id,
    WorkspaceId,
    ConnectorName,
    Name,
    Environment,
    Settings,
    CredentialsSealed,
    CredentialFields,
    CredentialsVersion,
    BaseUrlOverride,
    Status,
    TokenExpiresAt,
    CreatedAt,
    UpdatedAt,
}
