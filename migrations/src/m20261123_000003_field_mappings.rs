//! Field mapping templates and the feedback that teaches the suggester.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(FieldMappings::Table)
                    .col(string(FieldMappings::Id).primary_key())
                    .col(string(FieldMappings::WorkspaceId))
                    .col(string(FieldMappings::Name))
                    .col(string(FieldMappings::SourceObject))
                    .col(string(FieldMappings::TargetObject))
                    // JSON array of field rules.
                    .col(text(FieldMappings::Rules))
                    .col(timestamp_with_time_zone(FieldMappings::CreatedAt))
                    .col(timestamp_with_time_zone(FieldMappings::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_field_mappings_workspace")
                            .from(FieldMappings::Table, FieldMappings::WorkspaceId)
                            .to(Workspaces::Table, Workspaces::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_field_mappings_workspace_name")
                    .table(FieldMappings::Table)
                    .col(FieldMappings::WorkspaceId)
                    .col(FieldMappings::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MappingFeedback::Table)
                    .col(string(MappingFeedback::Id).primary_key())
                    .col(string(MappingFeedback::WorkspaceId))
                    .col(string(MappingFeedback::SourceObject))
                    .col(string(MappingFeedback::TargetObject))
                    .col(string(MappingFeedback::SourcePath))
                    .col(string(MappingFeedback::TargetPath))
                    .col(integer(MappingFeedback::Accepted).default(0))
                    .col(integer(MappingFeedback::Rejected).default(0))
                    .col(timestamp_with_time_zone(MappingFeedback::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_mapping_feedback_workspace")
                            .from(MappingFeedback::Table, MappingFeedback::WorkspaceId)
                            .to(Workspaces::Table, Workspaces::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_mapping_feedback_pair")
                    .table(MappingFeedback::Table)
                    .col(MappingFeedback::WorkspaceId)
                    .col(MappingFeedback::SourceObject)
                    .col(MappingFeedback::TargetObject)
                    .col(MappingFeedback::SourcePath)
                    .col(MappingFeedback::TargetPath)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MappingFeedback::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(FieldMappings::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Workspaces {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum FieldMappings {
    Table,
    Id,
    WorkspaceId,
    Name,
    SourceObject,
    TargetObject,
    Rules,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum MappingFeedback {
    Table,
    Id,
    WorkspaceId,
    SourceObject,
    TargetObject,
    SourcePath,
    TargetPath,
    Accepted,
    Rejected,
    UpdatedAt,
}
