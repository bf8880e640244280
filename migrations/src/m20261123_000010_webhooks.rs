//! Webhooks: outbound subscriptions with their sealed signing secrets, one delivery row per
//! (event, subscription) with its retry state and lease, every attempt made, and the ids of
//! inbound provider events already applied.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WebhookSubscriptions::Table)
                    .col(string(WebhookSubscriptions::Id).primary_key())
                    .col(string(WebhookSubscriptions::WorkspaceId))
                    .col(text(WebhookSubscriptions::Url))
                    .col(text_null(WebhookSubscriptions::Description))
                    .col(text(WebhookSubscriptions::EventTypes))
                    .col(text_null(WebhookSubscriptions::Filter))
                    .col(string_null(WebhookSubscriptions::RetrySchedule))
                    .col(integer(WebhookSubscriptions::MaxAttempts))
                    .col(boolean(WebhookSubscriptions::Ordered))
                    .col(boolean(WebhookSubscriptions::Enabled))
                    .col(text_null(WebhookSubscriptions::DisabledReason))
                    .col(text(WebhookSubscriptions::Secret))
                    .col(text_null(WebhookSubscriptions::PreviousSecret))
                    .col(timestamp_with_time_zone_null(
                        WebhookSubscriptions::PreviousSecretUntil,
                    ))
                    .col(timestamp_with_time_zone_null(
                        WebhookSubscriptions::FailingSince,
                    ))
                    .col(timestamp_with_time_zone_null(
                        WebhookSubscriptions::WarnedAt,
                    ))
                    .col(timestamp_with_time_zone(WebhookSubscriptions::CreatedAt))
                    .col(timestamp_with_time_zone(WebhookSubscriptions::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_webhook_subscriptions_workspace")
                            .from(
                                WebhookSubscriptions::Table,
                                WebhookSubscriptions::WorkspaceId,
                            )
                            .to(Workspaces::Table, Workspaces::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_subscriptions_workspace")
                    .table(WebhookSubscriptions::Table)
                    .col(WebhookSubscriptions::WorkspaceId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookDeliveries::Table)
                    .col(string(WebhookDeliveries::Id).primary_key())
                    .col(string(WebhookDeliveries::WorkspaceId))
                    .col(string(WebhookDeliveries::SubscriptionId))
                    .col(string(WebhookDeliveries::EventId))
                    .col(string(WebhookDeliveries::EventType))
                    .col(timestamp_with_time_zone(WebhookDeliveries::EventCreatedAt))
                    .col(text(WebhookDeliveries::Payload))
                    .col(string_null(WebhookDeliveries::OrderingKey))
                    .col(string(WebhookDeliveries::Status))
                    .col(integer(WebhookDeliveries::Attempts))
                    .col(timestamp_with_time_zone_null(
                        WebhookDeliveries::NextAttemptAt,
                    ))
                    .col(string_null(WebhookDeliveries::LockedBy))
                    .col(timestamp_with_time_zone_null(
                        WebhookDeliveries::LockedUntil,
                    ))
                    .col(timestamp_with_time_zone_null(
                        WebhookDeliveries::LastAttemptAt,
                    ))
                    .col(integer_null(WebhookDeliveries::LastStatusCode))
                    .col(text_null(WebhookDeliveries::LastError))
                    .col(timestamp_with_time_zone_null(
                        WebhookDeliveries::DeliveredAt,
                    ))
                    .col(timestamp_with_time_zone(WebhookDeliveries::CreatedAt))
                    .col(timestamp_with_time_zone(WebhookDeliveries::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_webhook_deliveries_subscription")
                            .from(WebhookDeliveries::Table, WebhookDeliveries::SubscriptionId)
                            .to(WebhookSubscriptions::Table, WebhookSubscriptions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // One delivery per event and subscription, whichever process dispatches the event.
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_deliveries_event_subscription")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::SubscriptionId)
                    .col(WebhookDeliveries::EventId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_deliveries_due")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::Status)
                    .col(WebhookDeliveries::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_deliveries_ordering")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::SubscriptionId)
                    .col(WebhookDeliveries::OrderingKey)
                    .col(WebhookDeliveries::Status)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookAttempts::Table)
                    .col(string(WebhookAttempts::Id).primary_key())
                    .col(string(WebhookAttempts::DeliveryId))
                    .col(string(WebhookAttempts::WorkspaceId))
                    .col(integer(WebhookAttempts::Attempt))
                    .col(timestamp_with_time_zone(WebhookAttempts::AttemptedAt))
                    .col(integer_null(WebhookAttempts::StatusCode))
                    .col(text_null(WebhookAttempts::ResponseExcerpt))
                    .col(big_integer(WebhookAttempts::DurationMs))
                    .col(text_null(WebhookAttempts::Error))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_webhook_attempts_delivery")
                            .from(WebhookAttempts::Table, WebhookAttempts::DeliveryId)
                            .to(WebhookDeliveries::Table, WebhookDeliveries::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_attempts_delivery")
                    .table(WebhookAttempts::Table)
                    .col(WebhookAttempts::DeliveryId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(InboundWebhookEvents::Table)
                    .col(string(InboundWebhookEvents::Id).primary_key())
                    .col(string(InboundWebhookEvents::ConnectionId))
                    .col(string(InboundWebhookEvents::EventId))
                    .col(timestamp_with_time_zone(InboundWebhookEvents::ReceivedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_inbound_webhook_events_connection")
                            .from(
                                InboundWebhookEvents::Table,
                                InboundWebhookEvents::ConnectionId,
                            )
                            .to(Connections::Table, Connections::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_inbound_webhook_events_event")
                    .table(InboundWebhookEvents::Table)
                    .col(InboundWebhookEvents::ConnectionId)
                    .col(InboundWebhookEvents::EventId)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            InboundWebhookEvents::Table.into_iden(),
            WebhookAttempts::Table.into_iden(),
            WebhookDeliveries::Table.into_iden(),
            WebhookSubscriptions::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
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
}

#[derive(DeriveIden)]
enum WebhookSubscriptions {
    Table,
    Id,
    WorkspaceId,
    Url,
    Description,
    EventTypes,
    Filter,
    RetrySchedule,
    MaxAttempts,
    Ordered,
    Enabled,
    DisabledReason,
    Secret,
    PreviousSecret,
    PreviousSecretUntil,
    FailingSince,
    WarnedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    WorkspaceId,
    SubscriptionId,
    EventId,
    EventType,
    EventCreatedAt,
    Payload,
    OrderingKey,
    Status,
    Attempts,
    NextAttemptAt,
    LockedBy,
    LockedUntil,
    LastAttemptAt,
    LastStatusCode,
    LastError,
    DeliveredAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WebhookAttempts {
    Table,
    Id,
    DeliveryId,
    WorkspaceId,
    Attempt,
    AttemptedAt,
    StatusCode,
    ResponseExcerpt,
    DurationMs,
    Error,
}

#[derive(DeriveIden)]
enum InboundWebhookEvents {
    Table,
    Id,
    ConnectionId,
    EventId,
    ReceivedAt,
}
