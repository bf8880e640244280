//! Inbound webhooks: `POST /webhooks/in/{connection}`. The request is verified against the
//! signature the connection's connector declares, with the connection's secret; each event it
//! carries becomes a record change — the same content hash, upsert key and outbox events as a
//! sync page — in one transaction with the provider's event id, so a repeated delivery changes
//! nothing. Records changed this way name `webhook:<event id>` as the run that changed them.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set,
    TransactionTrait, sea_query::Expr,
};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use super::inbound::{self, InboundError, InboundRequest, ProviderSecret};
use crate::{
    Error, Result,
    connectors::{
        definition::{RecordChange, ValueSource, WebhookSecret, Webhooks},
        path::JsonPath,
        registry,
    },
    entities::{
        connection::{self, Entity as Connections},
        inbound_webhook_event::{self as applied, Entity as Applied},
        record::{self, Entity as Records},
    },
    state::AppState,
    sync::content,
};

/// An incoming request, as the HTTP handler saw it.
pub struct Incoming<'a> {
    /// The connection id from the path.
    pub connection_id: &'a str,
    /// Header names in lower case.
    pub headers: &'a HashMap<String, String>,
    /// `POST`.
    pub method: &'a str,
    /// The URL the provider called (public URL + path and query).
    pub url: &'a str,
    /// The raw body.
    pub body: &'a [u8],
}

/// What a verified delivery did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Received {
    /// Records created.
    pub created: u32,
    /// Records whose content changed.
    pub updated: u32,
    /// Records whose content was already stored.
    pub unchanged: u32,
    /// Records marked deleted.
    pub deleted: u32,
    /// Events already applied before (same provider event id).
    pub duplicates: u32,
    /// Events of types the connector does not map to a stream.
    pub ignored: u32,
}

/// Why an inbound delivery is refused.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// No such connection, or its connector declares no webhooks.
    #[error("no webhook endpoint here")]
    NotFound,
    /// The signature does not verify (or its timestamp is stale).
    #[error("{0}")]
    Unverified(InboundError),
    /// The body is not what the connector declares.
    #[error("{0}")]
    Malformed(String),
    /// Anything else.
    #[error(transparent)]
    Failed(#[from] Error),
}

/// Verifies and applies one delivery.
pub async fn receive(state: &AppState, incoming: &Incoming<'_>) -> Result<Received, Refusal> {
    let Some(row) = Connections::find_by_id(incoming.connection_id)
        .one(&state.db)
        .await
        .map_err(Error::from)?
    else {
        return Err(Refusal::NotFound);
    };
    let entry = registry::find(&state.db, &row.workspace_id, &row.connector_name)
        .await?
        .ok_or(Refusal::NotFound)?;
    let Some(webhooks) = entry.definition.webhooks.clone() else {
        return Err(Refusal::NotFound);
    };
    let secret = secret_of(state, &row, &webhooks)?;
    let request = InboundRequest {
        headers: incoming.headers,
        method: incoming.method,
        url: incoming.url,
        body: incoming.body,
    };
    inbound::verify_declared(&webhooks.signature, &secret, &request, Utc::now())
        .map_err(Refusal::Unverified)?;
    let body: Value = serde_json::from_slice(incoming.body)
        .map_err(|e| Refusal::Malformed(format!("the body is not JSON: {e}")))?;
    let events = if webhooks.batch {
        body.as_array()
            .cloned()
            .ok_or_else(|| Refusal::Malformed("expected an array of events".to_owned()))?
    } else {
        vec![body]
    };
    let mut received = Received::default();
    let txn = state.db.begin().await.map_err(Error::from)?;
    for event in &events {
        apply(
            &txn,
            &row,
            &entry.definition,
            &webhooks,
            incoming,
            event,
            &mut received,
        )
        .await?;
    }
    txn.commit().await.map_err(Error::from)?;
    state.webhook_wakeup.notify_one();
    Ok(received)
}

/// The secret the connector's deliveries are signed with.
fn secret_of(
    state: &AppState,
    row: &connection::Model,
    webhooks: &Webhooks,
) -> Result<ProviderSecret, Refusal> {
    let name = match webhooks.signature.secret {
        WebhookSecret::WebhookSecret => "webhook_secret",
        WebhookSecret::ClientSecret => "client_secret",
    };
    let credentials = crate::connections::credentials_of(state, row)?;
    let secret = credentials.get(name).ok_or_else(|| {
        Refusal::Unverified(InboundError::MissingHeader(format!(
            "(no `{name}` credential on the connection to verify with)"
        )))
    })?;
    Ok(ProviderSecret::new(
        secret.expose_secret().as_bytes().to_vec(),
    ))
}

/// A value named by a [`ValueSource`], as text.
fn value_of(source: &ValueSource, incoming: &Incoming<'_>, event: &Value) -> Option<String> {
    match source {
        ValueSource::Header(header) => incoming
            .headers
            .get(&header.name.to_ascii_lowercase())
            .cloned(),
        ValueSource::Body(body) => {
            let value = JsonPath::parse(&body.path).ok()?.lookup(event)?;
            Some(crate::connectors::template::value_text(value)).filter(|t| !t.is_empty())
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn apply(
    txn: &impl ConnectionTrait,
    row: &connection::Model,
    definition: &crate::connectors::definition::Definition,
    webhooks: &Webhooks,
    incoming: &Incoming<'_>,
    event: &Value,
    received: &mut Received,
) -> Result<(), Refusal> {
    let event_type = value_of(&webhooks.event_type, incoming, event)
        .ok_or_else(|| Refusal::Malformed("the event has no type".to_owned()))?;
    let Some(mapped) = webhooks.events.iter().find(|e| e.event_type == event_type) else {
        received.ignored += 1;
        return Ok(());
    };
    let event_id = webhooks
        .event_id
        .as_ref()
        .and_then(|source| value_of(source, incoming, event))
        .unwrap_or_else(|| content::content_hash(event));
    let first_time = Applied::insert(applied::ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        connection_id: Set(row.id.clone()),
        event_id: Set(event_id.clone()),
        received_at: Set(Utc::now()),
    })
    .on_conflict_do_nothing_on([applied::Column::ConnectionId, applied::Column::EventId])
    .exec_without_returning(txn)
    .await
    .map_err(Error::from)?;
    if !inserted(&first_time) {
        received.duplicates += 1;
        return Ok(());
    }
    let record_path = mapped
        .record_path
        .as_deref()
        .or(webhooks.record_path.as_deref());
    let record = match record_path {
        Some(path) => JsonPath::parse(path)
            .ok()
            .and_then(|p| p.lookup(event).cloned())
            .ok_or_else(|| Refusal::Malformed(format!("the event has nothing at `{path}`")))?,
        None => event.clone(),
    };
    let stream = definition
        .stream(&mapped.stream)
        .ok_or_else(|| Refusal::Malformed(format!("no stream `{}`", mapped.stream)))?;
    let primary_key = stream
        .primary_key
        .iter()
        .map(|p| JsonPath::parse(p))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Refusal::Malformed(e.to_string()))?;
    let external_id = content::external_id(&record, &primary_key).ok_or_else(|| {
        Refusal::Malformed(format!(
            "the record has no `{}`",
            stream.primary_key.join("`, `")
        ))
    })?;
    let change = Change {
        row,
        model: &mapped.stream,
        external_id: &external_id,
        marker: format!("webhook:{event_id}"),
    };
    match mapped.change {
        RecordChange::Upsert => change.upsert(txn, &record, received).await?,
        RecordChange::Delete => change.delete(txn, received).await?,
    }
    Ok(())
}

fn inserted(result: &sea_orm::TryInsertResult<u64>) -> bool {
    matches!(result, sea_orm::TryInsertResult::Inserted(n) if *n > 0)
}

/// One record's change from a provider event.
struct Change<'a> {
    row: &'a connection::Model,
    model: &'a str,
    external_id: &'a str,
    marker: String,
}

impl Change<'_> {
    async fn existing(&self, txn: &impl ConnectionTrait) -> Result<Option<record::Model>> {
        Ok(Records::find()
            .filter(record::Column::ConnectionId.eq(self.row.id.as_str()))
            .filter(record::Column::Model.eq(self.model))
            .filter(record::Column::ExternalId.eq(self.external_id))
            .one(txn)
            .await?)
    }

    async fn upsert(
        &self,
        txn: &impl ConnectionTrait,
        data: &Value,
        received: &mut Received,
    ) -> Result<()> {
        let hash = content::content_hash(data);
        let now = Utc::now();
        let text = serde_json::to_string(data).map_err(Error::internal)?;
        let (record_id, event_type) = match self.existing(txn).await? {
            Some(old) if old.hash == hash && old.deleted_at.is_none() => {
                received.unchanged += 1;
                return Ok(());
            }
            Some(old) => {
                Records::update_many()
                    .col_expr(record::Column::Data, Expr::value(text))
                    .col_expr(record::Column::Hash, Expr::value(hash))
                    .col_expr(record::Column::UpdatedAt, Expr::value(now))
                    .col_expr(record::Column::LastSeenAt, Expr::value(now))
                    .col_expr(
                        record::Column::DeletedAt,
                        Expr::value(None::<chrono::DateTime<Utc>>),
                    )
                    .col_expr(
                        record::Column::LastChangedRunId,
                        Expr::value(self.marker.as_str()),
                    )
                    .filter(record::Column::Id.eq(old.id.as_str()))
                    .exec(txn)
                    .await?;
                received.updated += 1;
                (old.id, "record.updated")
            }
            None => {
                let id = uuid::Uuid::now_v7().to_string();
                record::ActiveModel {
                    id: Set(id.clone()),
                    workspace_id: Set(self.row.workspace_id.clone()),
                    connection_id: Set(self.row.id.clone()),
                    model: Set(self.model.to_owned()),
                    external_id: Set(self.external_id.to_owned()),
                    data: Set(text),
                    hash: Set(hash),
                    first_seen_at: Set(now),
                    last_seen_at: Set(now),
                    updated_at: Set(now),
                    deleted_at: Set(None),
                    last_changed_run_id: Set(self.marker.clone()),
                    last_seen_run_id: Set(self.marker.clone()),
                }
                .insert(txn)
                .await?;
                received.created += 1;
                (id, "record.created")
            }
        };
        self.emit(txn, event_type, &record_id, Some(data), now)
            .await
    }

    async fn delete(&self, txn: &impl ConnectionTrait, received: &mut Received) -> Result<()> {
        let Some(old) = self.existing(txn).await? else {
            received.unchanged += 1;
            return Ok(());
        };
        if old.deleted_at.is_some() {
            received.unchanged += 1;
            return Ok(());
        }
        let now = Utc::now();
        Records::update_many()
            .col_expr(record::Column::DeletedAt, Expr::value(now))
            .col_expr(record::Column::UpdatedAt, Expr::value(now))
            .col_expr(
                record::Column::LastChangedRunId,
                Expr::value(self.marker.as_str()),
            )
            .filter(record::Column::Id.eq(old.id.as_str()))
            .exec(txn)
            .await?;
        received.deleted += 1;
        self.emit(txn, "record.deleted", &old.id, None, now).await
    }

    async fn emit(
        &self,
        txn: &impl ConnectionTrait,
        event_type: &'static str,
        record_id: &str,
        data: Option<&Value>,
        now: chrono::DateTime<Utc>,
    ) -> Result<()> {
        let mut payload = json!({
            "recordId": record_id,
            "externalId": self.external_id,
            "model": self.model,
            "connectionId": self.row.id,
            "syncId": null,
            "runId": null,
            "source": "webhook",
        });
        if let Some(data) = data {
            payload["record"] = data.clone();
        }
        crate::sync::write_event(txn, &self.row.workspace_id, event_type, &payload, now).await
    }
}
