//! The health of a connection as its last check saw it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        for column in [
            timestamp_with_time_zone_null(Connections::LastCheckedAt),
            boolean_null(Connections::LastCheckOk),
            integer_null(Connections::LastCheckStatus),
            integer_null(Connections::LastCheckLatencyMs),
            text_null(Connections::LastCheckError),
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
            Connections::LastCheckedAt,
            Connections::LastCheckOk,
            Connections::LastCheckStatus,
            Connections::LastCheckLatencyMs,
            Connections::LastCheckError,
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
    LastCheckedAt,
    LastCheckOk,
    LastCheckStatus,
    LastCheckLatencyMs,
    LastCheckError,
}
