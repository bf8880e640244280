//! Inbound syncs: their configuration, their runs (the checkpoint a crashed run resumes from,
//! the lease that keeps one process on a run), the failure log, the synced records keyed by
//! (connection, model, external id) with their content hash, and the outbox of events written
//! in the same transaction as the change that caused them.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Syncs::Table)
                    .col(string(Syncs::Id).primary_key())
                    .col(string(Syncs::WorkspaceId))
                    .col(string(Syncs::ConnectionId))
                    .col(string(Syncs::Stream))
                    .col(string(Syncs::Direction))
                    .col(string(Syncs::Mode))
                    .col(big_integer_null(Syncs::ScheduleEverySecs))
                    .col(string_null(Syncs::ScheduleCron))
                    .col(string_null(Syncs::MappingId))
                    .col(boolean(Syncs::Enabled))
                    .col(boolean(Syncs::Paused))
                    // Largest share of the stored records a full-scan diff may delete at once.
                    .col(double(Syncs::MaxDeleteShare))
                    // The incremental cursor: the highest cursor-field value of completed reads.
                    .col(text_null(Syncs::Cursor))
                    .col(timestamp_with_time_zone_null(Syncs::NextRunAt))
                    .col(timestamp_with_time_zone(Syncs::CreatedAt))
                    .col(timestamp_with_time_zone(Syncs::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_syncs_connection")
                            .from(Syncs::Table, Syncs::ConnectionId)
                            .to(Connections::Table, Connections::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_syncs_workspace")
                    .table(Syncs::Table)
                    .col(Syncs::WorkspaceId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_syncs_next_run_at")
                    .table(Syncs::Table)
                    .col(Syncs::NextRunAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SyncRuns::Table)
                    .col(string(SyncRuns::Id).primary_key())
                    .col(string(SyncRuns::SyncId))
                    .col(string(SyncRuns::WorkspaceId))
                    .col(string(SyncRuns::Status))
                    .col(string(SyncRuns::Trigger))
                    .col(boolean(SyncRuns::Full))
                    // The incremental cursor the run reads changes since (fixed for the run).
                    .col(text_null(SyncRuns::Since))
                    // The checkpoint: the paginator position after the last committed page.
                    .col(text_null(SyncRuns::PageCursor))
                    // The highest cursor-field value in committed pages.
                    .col(text_null(SyncRuns::CursorReached))
                    .col(big_integer(SyncRuns::Fetched).default(0))
                    .col(big_integer(SyncRuns::Created).default(0))
                    .col(big_integer(SyncRuns::Updated).default(0))
                    .col(big_integer(SyncRuns::Unchanged).default(0))
                    .col(big_integer(SyncRuns::Deleted).default(0))
                    .col(big_integer(SyncRuns::Failed).default(0))
                    .col(big_integer(SyncRuns::HeldDeletions).default(0))
                    .col(big_integer(SyncRuns::Pages).default(0))
                    .col(text_null(SyncRuns::ErrorSummary))
                    .col(boolean(SyncRuns::CancelRequested).default(false))
                    .col(string_null(SyncRuns::LockedBy))
                    .col(timestamp_with_time_zone_null(SyncRuns::LockedUntil))
                    .col(timestamp_with_time_zone_null(SyncRuns::WaitingUntil))
                    .col(timestamp_with_time_zone(SyncRuns::CreatedAt))
                    .col(timestamp_with_time_zone_null(SyncRuns::StartedAt))
                    .col(timestamp_with_time_zone_null(SyncRuns::FinishedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_sync_runs_sync")
                            .from(SyncRuns::Table, SyncRuns::SyncId)
                            .to(Syncs::Table, Syncs::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sync_runs_sync")
                    .table(SyncRuns::Table)
                    .col(SyncRuns::SyncId)
                    .col(SyncRuns::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sync_runs_status")
                    .table(SyncRuns::Table)
                    .col(SyncRuns::Status)
                    .to_owned(),
            )
            .await?;
        // At most one unfinished run per sync, whichever process or request creates it.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX idx_sync_runs_one_active ON sync_runs (sync_id) \
                 WHERE status IN ('queued', 'running', 'waiting')",
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SyncLogs::Table)
                    .col(string(SyncLogs::Id).primary_key())
                    .col(string(SyncLogs::WorkspaceId))
                    .col(string(SyncLogs::ConnectionId))
                    .col(string(SyncLogs::SyncId))
                    .col(string(SyncLogs::RunId))
                    .col(string(SyncLogs::Level))
                    .col(string(SyncLogs::Stage))
                    .col(string_null(SyncLogs::ExternalId))
                    .col(integer_null(SyncLogs::HttpStatus))
                    .col(string_null(SyncLogs::ProviderCode))
                    .col(text(SyncLogs::Message))
                    .col(timestamp_with_time_zone(SyncLogs::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_sync_logs_sync")
                            .from(SyncLogs::Table, SyncLogs::SyncId)
                            .to(Syncs::Table, Syncs::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_sync_logs_run", SyncLogs::RunId),
            ("idx_sync_logs_sync", SyncLogs::SyncId),
            ("idx_sync_logs_connection", SyncLogs::ConnectionId),
            ("idx_sync_logs_workspace", SyncLogs::WorkspaceId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(SyncLogs::Table)
                        .col(column)
                        .col(SyncLogs::CreatedAt)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Records::Table)
                    .col(string(Records::Id).primary_key())
                    .col(string(Records::WorkspaceId))
                    .col(string(Records::ConnectionId))
                    .col(string(Records::Model))
                    .col(string(Records::ExternalId))
                    .col(text(Records::Data))
                    .col(string(Records::Hash))
                    .col(timestamp_with_time_zone(Records::FirstSeenAt))
                    .col(timestamp_with_time_zone(Records::LastSeenAt))
                    .col(timestamp_with_time_zone(Records::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Records::DeletedAt))
                    // The run that last changed the record, and the last run that saw it.
                    .col(string(Records::LastChangedRunId))
                    .col(string(Records::LastSeenRunId))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_records_connection")
                            .from(Records::Table, Records::ConnectionId)
                            .to(Connections::Table, Connections::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_records_identity")
                    .table(Records::Table)
                    .col(Records::ConnectionId)
                    .col(Records::Model)
                    .col(Records::ExternalId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_records_updated")
                    .table(Records::Table)
                    .col(Records::ConnectionId)
                    .col(Records::Model)
                    .col(Records::UpdatedAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(OutboxEvents::Table)
                    .col(string(OutboxEvents::Id).primary_key())
                    .col(string(OutboxEvents::WorkspaceId))
                    .col(string(OutboxEvents::EventType))
                    .col(text(OutboxEvents::Data))
                    .col(timestamp_with_time_zone(OutboxEvents::CreatedAt))
                    // Set once the webhook dispatcher has fanned the event out to deliveries.
                    .col(timestamp_with_time_zone_null(OutboxEvents::DispatchedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_outbox_events_pending")
                    .table(OutboxEvents::Table)
                    .col(OutboxEvents::DispatchedAt)
                    .col(OutboxEvents::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            OutboxEvents::Table.into_iden(),
            Records::Table.into_iden(),
            SyncLogs::Table.into_iden(),
            SyncRuns::Table.into_iden(),
            Syncs::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Connections {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Syncs {
    Table,
    Id,
    WorkspaceId,
    ConnectionId,
    Stream,
    Direction,
    Mode,
    ScheduleEverySecs,
    ScheduleCron,
    MappingId,
    Enabled,
    Paused,
    MaxDeleteShare,
    Cursor,
    NextRunAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SyncRuns {
    Table,
    Id,
    SyncId,
    WorkspaceId,
    Status,
    Trigger,
    Full,
    Since,
    PageCursor,
    CursorReached,
    Fetched,
    Created,
    Updated,
    Unchanged,
    Deleted,
    Failed,
    HeldDeletions,
    Pages,
    ErrorSummary,
    CancelRequested,
    LockedBy,
    LockedUntil,
    WaitingUntil,
    CreatedAt,
    StartedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum SyncLogs {
    Table,
    Id,
    WorkspaceId,
    ConnectionId,
    SyncId,
    RunId,
    Level,
    Stage,
    ExternalId,
    HttpStatus,
    ProviderCode,
    Message,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Records {
    Table,
    Id,
    WorkspaceId,
    ConnectionId,
    Model,
    ExternalId,
    Data,
    Hash,
    FirstSeenAt,
    LastSeenAt,
    UpdatedAt,
    DeletedAt,
    LastChangedRunId,
    LastSeenRunId,
}

#[derive(DeriveIden)]
enum OutboxEvents {
    Table,
    Id,
    WorkspaceId,
    EventType,
    Data,
    CreatedAt,
    DispatchedAt,
}
