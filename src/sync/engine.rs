//! The sync engine: page → extract → map → hash → upsert, one transaction per page with the
//! run's counters, checkpoint and outbox events, then progress, then the next page.
//!
//! A run resumes from its last committed page (the paginator's checkpoint); the incremental
//! cursor it reads since is fixed when the run starts, and the sync's cursor only moves to the
//! highest value seen once the run completes (or page by page for streams read in cursor
//! order). A full-scan diff marks unseen records deleted only after a run that read every page,
//! and holds the deletion for review when it would delete more than the sync's threshold.

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, EntityTrait, QueryFilter, QuerySelect, TransactionTrait, sea_query::Expr,
};
use serde_json::{Value, json};

use super::{
    content,
    store::{self, Counts, LogRow, Owner, PageWrite, Prepared},
};
use crate::{
    Error, Result,
    connections::Live,
    connectors::{
        definition::{Deletes, Incremental, Stream},
        http::HttpError,
        paginate::{self, PageRequest, PageResponse, Paginator},
        path::JsonPath,
    },
    entities::{
        record,
        sync::{self as sync_entity, Entity as Syncs},
        sync_run::{self as run_entity, Entity as SyncRuns},
    },
    mapping::{store as mapping_store, transform::FieldRule},
    state::{AppState, Event},
};

/// The answer to a request sent ahead, if one was.
type Prefetched = Option<std::result::Result<PageResponse, HttpError>>;

/// How a run ended in this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Finished: succeeded, partial, failed or cancelled (see the run row).
    Finished,
    /// Parked until the provider's quota resets.
    Parked,
    /// Stopped at a page boundary for shutdown; another process (or this one, restarted)
    /// resumes it from its checkpoint.
    Released,
    /// Another process took the run over (this one's lease expired).
    LostLease,
}

/// Executes a run this process has claimed (status `running`, `locked_by` = `claim`, the
/// token of this claim: a later claim of the same run, even by this process, makes every
/// write of this execution fail its guard, so two executions never both commit).
pub async fn execute(state: &AppState, run_id: &str, claim: &str) -> Result<Outcome> {
    let run = SyncRuns::find_by_id(run_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| Error::NotFound(format!("run `{run_id}`")))?;
    let sync = Syncs::find_by_id(run.sync_id.as_str())
        .one(&state.db)
        .await?
        .ok_or_else(|| Error::NotFound(format!("sync `{}`", run.sync_id)))?;
    let mut engine = match Engine::prepare(state, run, sync, claim).await {
        Ok(engine) => engine,
        Err((run, error)) => {
            let message = error.public_message();
            finish_failed(state, &run, claim, "run", None, &message).await?;
            return Ok(Outcome::Finished);
        }
    };
    engine.run().await
}

struct Engine<'a> {
    state: &'a AppState,
    claim: &'a str,
    run: run_entity::Model,
    sync: sync_entity::Model,
    live: Live,
    stream: Stream,
    primary_key: Vec<JsonPath>,
    tombstone: Option<(crate::connectors::definition::Tombstone, JsonPath)>,
    rules: Option<Vec<FieldRule>>,
    since: Option<String>,
    cursor_reached: Option<String>,
    totals: Counts,
    fetched: i64,
    pages: i64,
}

impl<'a> Engine<'a> {
    async fn prepare(
        state: &'a AppState,
        run: run_entity::Model,
        sync: sync_entity::Model,
        claim: &'a str,
    ) -> std::result::Result<Self, (run_entity::Model, Error)> {
        let loaded = async {
            let live = Live::load(state, &sync.workspace_id, &sync.connection_id).await?;
            let stream = live
                .entry
                .definition
                .stream(&sync.stream)
                .cloned()
                .ok_or_else(|| {
                    Error::invalid(format!("the connector has no stream `{}`", sync.stream))
                })?;
            let primary_key = stream
                .primary_key
                .iter()
                .map(|p| JsonPath::parse(p).map_err(|e| Error::invalid(e.to_string())))
                .collect::<Result<Vec<_>>>()?;
            let tombstone = match &stream.deletes {
                Some(Deletes::Tombstone(t)) => Some((
                    t.clone(),
                    JsonPath::parse(&t.field).map_err(|e| Error::invalid(e.to_string()))?,
                )),
                _ => None,
            };
            let rules = match &sync.mapping_id {
                Some(id) => {
                    let row = mapping_store::find_mapping(&state.db, &sync.workspace_id, id)
                        .await?
                        .ok_or_else(|| {
                            Error::invalid(format!("the field mapping `{id}` is gone"))
                        })?;
                    Some(mapping_store::rules_of(&row)?)
                }
                None => None,
            };
            Ok::<_, Error>((live, stream, primary_key, tombstone, rules))
        }
        .await;
        let (live, stream, primary_key, tombstone, rules) = match loaded {
            Ok(parts) => parts,
            Err(error) => return Err((run, error)),
        };
        let since = match since_of(&run, &sync, &stream) {
            Ok(since) => since,
            Err(error) => return Err((run, error)),
        };
        Ok(Self {
            state,
            claim,
            cursor_reached: run.cursor_reached.clone(),
            totals: Counts {
                created: run.created,
                updated: run.updated,
                unchanged: run.unchanged,
                deleted: run.deleted,
                failed: run.failed,
            },
            fetched: run.fetched,
            pages: run.pages,
            run,
            sync,
            live,
            stream,
            primary_key,
            tombstone,
            rules,
            since,
        })
    }

    async fn run(&mut self) -> Result<Outcome> {
        let settings = self.live.settings.clone();
        let started = match &self.run.page_cursor {
            Some(checkpoint) => {
                Paginator::resume(&self.stream, &settings, self.since.clone(), checkpoint)
            }
            None => Paginator::new(&self.stream, &settings, self.since.clone()),
        };
        let mut paginator = match started {
            Ok(paginator) => paginator,
            Err(error) => return self.fail("fetch", None, &error.to_string()).await,
        };
        let mut request = match paginator.first_request() {
            Ok(request) => request,
            Err(error) => return self.fail("fetch", None, &error.to_string()).await,
        };
        self.publish("running");
        // The answer to the next page's request, fetched while the previous page commits.
        let mut prefetched = None;
        loop {
            if let Some(outcome) = self.should_stop().await? {
                return Ok(outcome);
            }
            let response = match prefetched.take() {
                Some(response) => response,
                None => {
                    self.live
                        .send(self.state, &request, self.stream.rate_limit)
                        .await
                }
            };
            let response = match response {
                Ok(response) => response,
                Err(HttpError::Park { until }) => return self.park(until).await,
                Err(error) => {
                    let (status, message) = status_and_message(&error);
                    return self.fail("fetch", status, &message).await;
                }
            };
            let page = match paginator.next_owned(response) {
                Ok(page) => page,
                Err(error) => return self.fail("fetch", None, &error.to_string()).await,
            };
            let (committed, next_response) = self
                .commit(
                    page.records,
                    page.cursor,
                    page.max_cursor_value,
                    page.next.as_ref(),
                )
                .await?;
            if !committed {
                return Ok(Outcome::LostLease);
            }
            prefetched = next_response;
            match page.next {
                Some(next) => request = next,
                None => break,
            }
        }
        let deleted = match self.read_deleted().await {
            Ok(deleted) => deleted,
            Err(HttpError::Park { until }) => return self.park(until).await,
            Err(error) => {
                let (status, message) = status_and_message(&error);
                return self
                    .fail(
                        "fetch",
                        status,
                        &format!("reading deleted records: {message}"),
                    )
                    .await;
            }
        };
        self.complete(deleted).await
    }

    /// The external ids the stream's deleted-records endpoint lists (since the run's window),
    /// when it declares one.
    async fn read_deleted(&mut self) -> std::result::Result<Vec<String>, HttpError> {
        let Some(Deletes::Endpoint(endpoint)) = self.stream.deletes.clone() else {
            return Ok(Vec::new());
        };
        let invalid = |e: &dyn std::fmt::Display| HttpError::Invalid(e.to_string());
        let listing = Stream {
            request: endpoint.request.clone(),
            pagination: endpoint.pagination.clone(),
            record_path: endpoint.record_path.clone(),
            primary_key: endpoint.primary_key.clone(),
            incremental: match (&self.stream.incremental, &endpoint.since) {
                (Some(incremental), Some(since)) => Some(Incremental {
                    since: since.clone(),
                    ..incremental.clone()
                }),
                _ => None,
            },
            deletes: None,
            ..self.stream.clone()
        };
        let key: Vec<JsonPath> = endpoint
            .primary_key
            .iter()
            .map(|p| JsonPath::parse(p).map_err(|e| invalid(&e)))
            .collect::<std::result::Result<_, _>>()?;
        let settings = self.live.settings.clone();
        let since = listing.incremental.as_ref().and(self.since.clone());
        let mut paginator = Paginator::new(&listing, &settings, since).map_err(|e| invalid(&e))?;
        let mut request = paginator.first_request().map_err(|e| invalid(&e))?;
        let mut ids = Vec::new();
        loop {
            let response = self
                .live
                .send(self.state, &request, self.stream.rate_limit)
                .await?;
            let page = paginator.next(&response).map_err(|e| invalid(&e))?;
            ids.extend(
                page.records
                    .iter()
                    .filter_map(|item| content::external_id(item, &key)),
            );
            match page.next {
                Some(next) => request = next,
                None => return Ok(ids),
            }
        }
    }

    /// Prepares and commits one page; `false` when the lease was lost. The next page's request,
    /// when there is one, is sent while the page commits (its answer is returned; the next
    /// iteration reads it after the checks at the page boundary): the provider's latency and
    /// the database's overlap, and a page is still committed before the next one is stored.
    async fn commit(
        &mut self,
        records: Vec<Value>,
        page_cursor: Option<String>,
        max_cursor: Option<String>,
        next: Option<&PageRequest>,
    ) -> Result<(bool, Prefetched)> {
        let fetched = records.len();
        let mut prepared = Vec::with_capacity(fetched);
        let mut logs = Vec::new();
        for record in records {
            let Some(external_id) = content::external_id(&record, &self.primary_key) else {
                logs.push(LogRow {
                    level: "error",
                    stage: "store",
                    external_id: None,
                    http_status: None,
                    provider_code: None,
                    message: format!(
                        "the record has no value at its primary key ({})",
                        self.stream.primary_key.join(", ")
                    ),
                });
                continue;
            };
            let tombstone = self
                .tombstone
                .as_ref()
                .is_some_and(|(t, path)| content::is_tombstone(&record, t, path));
            let data = match &self.rules {
                Some(rules) if !tombstone => {
                    match crate::mapping::transform::apply_rules(rules, &record) {
                        Ok(mapped) => mapped,
                        Err(errors) => {
                            logs.push(LogRow {
                                level: "error",
                                stage: "map",
                                external_id: Some(external_id),
                                http_status: None,
                                provider_code: None,
                                message: errors
                                    .iter()
                                    .map(ToString::to_string)
                                    .collect::<Vec<_>>()
                                    .join("; "),
                            });
                            continue;
                        }
                    }
                }
                _ => record,
            };
            // Hashed by streaming its canonical text; serialised once, for the store and the
            // event alike.
            prepared.push(Prepared {
                hash: content::content_hash(&data),
                data: serde_json::to_string(&data).unwrap_or_default(),
                external_id,
                tombstone,
            });
        }
        if let Some(max) = max_cursor {
            let later = match (&self.cursor_reached, &self.stream.incremental) {
                (Some(current), Some(incremental)) => {
                    paginate::is_later(&max, current, incremental.format)
                }
                _ => true,
            };
            if later {
                self.cursor_reached = Some(max);
            }
        }
        let ordered = self.stream.incremental.as_ref().is_some_and(|i| i.ordered);
        let sync_cursor = (ordered && self.is_incremental())
            .then(|| self.cursor_reached.clone())
            .flatten();
        let lease_until = self.lease_until();
        // The fields borrowed one by one: the request below needs the connection mutably.
        let owner = Owner {
            workspace_id: &self.sync.workspace_id,
            connection_id: &self.sync.connection_id,
            sync_id: &self.sync.id,
            run_id: &self.run.id,
            model: &self.sync.stream,
            claim: self.claim,
            lease_until,
        };
        let write = store::commit_page(
            &self.state.db,
            &owner,
            PageWrite {
                records: prepared,
                logs,
                fetched,
                page_cursor,
                cursor_reached: self.cursor_reached.clone(),
                sync_cursor,
            },
        );
        let (state, live, rate_limit) = (self.state, &mut self.live, self.stream.rate_limit);
        let fetch = async move {
            match next {
                Some(request) => Some(live.send(state, request, rate_limit).await),
                None => None,
            }
        };
        let (counts, next_response) = tokio::join!(write, fetch);
        let Some(counts) = counts? else {
            return Ok((false, None));
        };
        self.fetched += i64::try_from(fetched).unwrap_or(i64::MAX);
        self.pages += 1;
        self.totals.created += counts.created;
        self.totals.updated += counts.updated;
        self.totals.unchanged += counts.unchanged;
        self.totals.deleted += counts.deleted;
        self.totals.failed += counts.failed;
        self.publish("running");
        Ok((true, next_response))
    }

    /// After the last page: the full-scan diff, the sync's cursor, the final status and the
    /// `sync.succeeded` event, in one transaction.
    async fn complete(&mut self, listed_deleted: Vec<String>) -> Result<Outcome> {
        let now = Utc::now();
        let txn = self.state.db.begin().await?;
        if !store::hold(&txn, &self.owner(self.lease_until())).await? {
            txn.rollback().await?;
            return Ok(Outcome::LostLease);
        }
        let mut held = 0_i64;
        let mut deleted = 0_usize;
        let event_of = |id: &str| {
            store::outbox(
                &self.sync.workspace_id,
                "record.deleted",
                &json!({"recordId": id, "model": self.sync.stream,
                        "connectionId": self.sync.connection_id,
                        "syncId": self.sync.id, "runId": self.run.id}),
                now,
            )
        };
        let full_read = self.run.full || !self.is_incremental() || self.since.is_none();
        if matches!(self.stream.deletes, Some(Deletes::FullScan(_))) && full_read {
            // Counted and marked in SQL, a batch at a time: nothing here grows with the store.
            let owner = self.owner(now);
            let (live, unseen) = store::count_unseen(&txn, &owner).await?;
            let share = unseen as f64 / live.max(1) as f64;
            if unseen > 0 && share > self.sync.max_delete_share {
                held = unseen;
                store::insert_logs(
                    &txn,
                    &owner,
                    vec![LogRow {
                        level: "warning",
                        stage: "run",
                        external_id: None,
                        http_status: None,
                        provider_code: None,
                        message: format!(
                            "{held} of {live} records are gone at the provider ({:.0} %, above \
                             the sync's {:.0} % threshold); the deletion is held for review",
                            share * 100.0,
                            self.sync.max_delete_share * 100.0
                        ),
                    }],
                    now,
                )
                .await?;
            } else if unseen > 0 {
                let mut after: Option<String> = None;
                loop {
                    let ids = store::unseen_batch(&txn, &owner, after.as_deref()).await?;
                    let Some(last) = ids.last() else {
                        break;
                    };
                    after = Some(last.clone());
                    store::mark_deleted(&txn, &ids, &self.run.id, now).await?;
                    store::insert_events(&txn, ids.iter().map(|id| event_of(id)).collect()).await?;
                    deleted += ids.len();
                }
            }
        }
        for chunk in listed_deleted.chunks(500) {
            let ids: Vec<String> = record::Entity::find()
                .select_only()
                .column(record::Column::Id)
                .filter(record::Column::ConnectionId.eq(self.sync.connection_id.as_str()))
                .filter(record::Column::Model.eq(self.sync.stream.as_str()))
                .filter(record::Column::DeletedAt.is_null())
                .filter(record::Column::ExternalId.is_in(chunk.iter().map(String::as_str)))
                .into_tuple()
                .all(&txn)
                .await?;
            store::mark_deleted(&txn, &ids, &self.run.id, now).await?;
            store::insert_events(&txn, ids.iter().map(|id| event_of(id)).collect()).await?;
            deleted += ids.len();
        }
        self.totals.deleted += i64::try_from(deleted).unwrap_or(i64::MAX);
        if self.is_incremental()
            && let Some(reached) = &self.cursor_reached
        {
            let later = match (&self.sync.cursor, &self.stream.incremental) {
                (Some(current), Some(incremental)) => {
                    paginate::is_later(reached, current, incremental.format)
                }
                _ => true,
            };
            if later {
                Syncs::update_many()
                    .col_expr(sync_entity::Column::Cursor, Expr::value(reached.clone()))
                    .filter(sync_entity::Column::Id.eq(self.sync.id.as_str()))
                    .exec(&txn)
                    .await?;
            }
        }
        let status = if self.totals.failed > 0 {
            "partial"
        } else {
            "succeeded"
        };
        let finished = released(status)
            .col_expr(
                run_entity::Column::Deleted,
                Expr::value(self.totals.deleted),
            )
            .col_expr(run_entity::Column::HeldDeletions, Expr::value(held))
            .col_expr(run_entity::Column::FinishedAt, Expr::value(now))
            .col_expr(run_entity::Column::PageCursor, Expr::value(None::<String>))
            .filter(run_entity::Column::Id.eq(self.run.id.as_str()))
            .filter(run_entity::Column::LockedBy.eq(self.claim))
            .exec(&txn)
            .await?;
        if finished.rows_affected == 0 {
            txn.rollback().await?;
            return Ok(Outcome::LostLease);
        }
        store::insert_events(
            &txn,
            vec![store::outbox(
                &self.sync.workspace_id,
                "sync.succeeded",
                &self.summary(status),
                now,
            )],
        )
        .await?;
        txn.commit().await?;
        self.publish(status);
        Ok(Outcome::Finished)
    }

    /// Records the failure, ends the run `failed`, and emits `sync.failed`.
    async fn fail(
        &mut self,
        stage: &'static str,
        status: Option<u16>,
        message: &str,
    ) -> Result<Outcome> {
        finish_failed(self.state, &self.run, self.claim, stage, status, message).await?;
        self.publish("failed");
        Ok(Outcome::Finished)
    }

    /// Quota exhausted: the committed pages stay, the run waits until the reset.
    async fn park(&mut self, until: std::time::SystemTime) -> Result<Outcome> {
        let until: DateTime<Utc> = until.into();
        released("waiting")
            .col_expr(run_entity::Column::WaitingUntil, Expr::value(until))
            .filter(run_entity::Column::Id.eq(self.run.id.as_str()))
            .filter(run_entity::Column::LockedBy.eq(self.claim))
            .exec(&self.state.db)
            .await?;
        tracing::info!(run = %self.run.id, %until, "provider quota exhausted; run parked");
        self.publish("waiting");
        Ok(Outcome::Parked)
    }

    /// At a page boundary: a cancel request ends the run; shutdown releases it.
    async fn should_stop(&mut self) -> Result<Option<Outcome>> {
        let cancel: Option<bool> = SyncRuns::find_by_id(self.run.id.as_str())
            .select_only()
            .column(run_entity::Column::CancelRequested)
            .into_tuple()
            .one(&self.state.db)
            .await?;
        if cancel == Some(true) {
            released("cancelled")
                .col_expr(run_entity::Column::FinishedAt, Expr::value(Utc::now()))
                .filter(run_entity::Column::Id.eq(self.run.id.as_str()))
                .exec(&self.state.db)
                .await?;
            self.publish("cancelled");
            return Ok(Some(Outcome::Finished));
        }
        if self.state.shutdown.is_cancelled() {
            released("queued")
                .filter(run_entity::Column::Id.eq(self.run.id.as_str()))
                .filter(run_entity::Column::LockedBy.eq(self.claim))
                .exec(&self.state.db)
                .await?;
            return Ok(Some(Outcome::Released));
        }
        Ok(None)
    }

    fn is_incremental(&self) -> bool {
        self.sync.mode == "incremental" && self.stream.incremental.is_some()
    }

    fn lease_until(&self) -> DateTime<Utc> {
        Utc::now()
            + chrono::Duration::from_std(self.state.sync.lease)
                .unwrap_or(chrono::Duration::seconds(60))
    }

    fn owner(&self, lease_until: DateTime<Utc>) -> Owner<'_> {
        Owner {
            workspace_id: &self.sync.workspace_id,
            connection_id: &self.sync.connection_id,
            sync_id: &self.sync.id,
            run_id: &self.run.id,
            model: &self.sync.stream,
            claim: self.claim,
            lease_until,
        }
    }

    fn summary(&self, status: &str) -> Value {
        json!({
            "runId": self.run.id,
            "syncId": self.sync.id,
            "connectionId": self.sync.connection_id,
            "status": status,
            "pages": self.pages,
            "fetched": self.fetched,
            "created": self.totals.created,
            "updated": self.totals.updated,
            "unchanged": self.totals.unchanged,
            "deleted": self.totals.deleted,
            "failed": self.totals.failed,
        })
    }

    /// Live progress for subscribers (not persisted: the run row is the record).
    fn publish(&self, status: &str) {
        let _ = self.state.events.send(Event {
            workspace_id: self.sync.workspace_id.clone(),
            event_type: "sync.progress".into(),
            at: Utc::now(),
            data: self.summary(status),
        });
    }
}

/// An update of a run that sets its status and gives up its lease (locked_by/until cleared).
fn released(status: &str) -> sea_orm::UpdateMany<SyncRuns> {
    SyncRuns::update_many()
        .col_expr(run_entity::Column::Status, Expr::value(status))
        .col_expr(run_entity::Column::LockedBy, Expr::value(None::<String>))
        .col_expr(
            run_entity::Column::LockedUntil,
            Expr::value(None::<DateTime<Utc>>),
        )
}

/// The provider's status and the scrubbed message of a failed request, for the sync log.
fn status_and_message(error: &HttpError) -> (Option<u16>, String) {
    match error {
        HttpError::Upstream {
            status, excerpt, ..
        } => (*status, excerpt.clone()),
        other => (None, other.to_string()),
    }
}

/// The "changed since" value of a run: fixed at its start (stored in the run), so a resumed
/// run reads the same window.
fn since_of(
    run: &run_entity::Model,
    sync: &sync_entity::Model,
    stream: &Stream,
) -> Result<Option<String>> {
    let Some(incremental) = &stream.incremental else {
        return Ok(None);
    };
    if run.full || sync.mode != "incremental" {
        return Ok(None);
    }
    // A backfill names its window; otherwise the sync's cursor.
    let stored = match (&run.since, &sync.cursor) {
        (Some(since), _) if run.trigger == "backfill" => {
            let at = DateTime::parse_from_rfc3339(since)
                .map_err(|e| Error::invalid(format!("backfill since: {e}")))?;
            paginate::Timestamp {
                secs: at.timestamp(),
                nanos: at.timestamp_subsec_nanos(),
            }
            .format(incremental.format)
        }
        (_, Some(cursor)) => cursor.clone(),
        (_, None) => return Ok(None),
    };
    paginate::since_value(incremental, &stored)
        .map(Some)
        .map_err(|e| Error::invalid(e.to_string()))
}

/// Ends a run `failed` with a log row and the `sync.failed` event.
async fn finish_failed(
    state: &AppState,
    run: &run_entity::Model,
    claim: &str,
    stage: &'static str,
    status: Option<u16>,
    message: &str,
) -> Result<()> {
    let sync = Syncs::find_by_id(run.sync_id.as_str())
        .one(&state.db)
        .await?;
    let Some(sync) = sync else {
        return Ok(());
    };
    let now = Utc::now();
    let txn = state.db.begin().await?;
    let owner = Owner {
        workspace_id: &sync.workspace_id,
        connection_id: &sync.connection_id,
        sync_id: &sync.id,
        run_id: &run.id,
        model: &sync.stream,
        claim,
        lease_until: now,
    };
    store::insert_logs(
        &txn,
        &owner,
        vec![LogRow {
            level: "error",
            stage,
            external_id: None,
            http_status: status,
            provider_code: provider_code(message),
            message: message.to_owned(),
        }],
        now,
    )
    .await?;
    let failed = released("failed")
        .col_expr(run_entity::Column::ErrorSummary, Expr::value(message))
        .col_expr(run_entity::Column::FinishedAt, Expr::value(now))
        .filter(run_entity::Column::Id.eq(run.id.as_str()))
        .filter(run_entity::Column::LockedBy.eq(claim))
        .exec(&txn)
        .await?;
    if failed.rows_affected == 0 {
        // Another claim has the run now; it decides how the run ends.
        txn.rollback().await?;
        return Ok(());
    }
    store::insert_events(
        &txn,
        vec![store::outbox(
            &sync.workspace_id,
            "sync.failed",
            &json!({"runId": run.id, "syncId": sync.id, "connectionId": sync.connection_id,
                    "status": "failed", "stage": stage, "httpStatus": status, "error": message}),
            now,
        )],
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// A provider error code in a message, when the body names one (`"code": "…"`,
/// `"errorCode": "…"`, `"error": "…"`, `"type": "…"`).
fn provider_code(message: &str) -> Option<String> {
    let start = message.find('{')?;
    let body: Value = serde_json::from_str(&message[start..]).ok()?;
    let pick = |v: &Value| -> Option<String> {
        [
            "errorCode",
            "code",
            "error_code",
            "error",
            "type",
            "category",
        ]
        .iter()
        .find_map(|key| v.get(*key).and_then(Value::as_str).map(str::to_owned))
    };
    let first = match &body {
        Value::Array(items) => items.first().cloned().unwrap_or(Value::Null),
        other => other.clone(),
    };
    pick(&first).or_else(|| first.get("error").and_then(pick))
}
