//! Token refresh guarded across processes: a short lease on the connection row
//! (`refresh_locked_by`, `refresh_locked_until`) taken before the provider is called, and the
//! reason a connection needs attention (`status_reason`, e.g. the provider's `invalid_grant`).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        for column in [
            string_null(Connections::RefreshLockedBy),
            timestamp_with_time_zone_null(Connections::RefreshLockedUntil),
            text_null(Connections::StatusReason),
        ] {
            let mut column = column;
            manager
                .alter_table(
                    Table::alter()
                        .table(Connections::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            Connections::RefreshLockedBy,
            Connections::RefreshLockedUntil,
            Connections::StatusReason,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Connections::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Connections {
    Table,
    RefreshLockedBy,
    RefreshLockedUntil,
    StatusReason,
}
