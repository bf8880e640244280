//! Field mappings: suggestions between two schemas and the feedback that teaches them.
//! Scope `mappings:read` to ask, `mappings:write` to teach.

use async_graphql::{Context, ID, InputObject, Json, Object, SimpleObject, connection::Connection};
use chrono::{DateTime, Utc};

use super::{
    app,
    pagination::{self, connection},
    principal,
};
use crate::{
    Error,
    auth::{Resource, Scope},
    connectors::registry,
    entities::field_mapping,
    error::GqlResultExt,
    mapping::{
        from_hint, schema_input,
        store::{self, Decision, MappingChanges, NewMapping},
        suggest::{self, Field, Schema, SuggestOptions},
        transform::{self, FieldRule},
    },
};

/// Most sample records one preview runs.
pub const MAX_PREVIEW_SAMPLES: usize = 100;

/// Most fields per schema the API accepts; the CLI takes larger ones.
pub const MAX_API_FIELDS: usize = 1_000;

#[derive(Default)]
pub struct MappingsQuery;

#[derive(Default)]
pub struct MappingsMutation;

/// A schema to map from or to: `fields`, a `document` in any supported form (a field list, a
/// JSON Schema, sample JSON records, or CSV with a header row), or a connector's stream
/// (`connector` and `stream`: its declared fields).
#[derive(InputObject)]
pub struct SchemaInput {
    /// The object's name, e.g. `hubspot.Contact`; feedback is kept per pair of names.
    /// Defaults to `connector.stream` for a stream.
    pub name: Option<String>,
    /// The fields, in Patchbay's field-list form.
    pub fields: Option<Vec<FieldInput>>,
    /// The schema as text; its format is detected from the content.
    pub document: Option<String>,
    /// A connector (built-in or the workspace's own) whose `stream` gives the fields.
    pub connector: Option<String>,
    /// A connection whose `stream` gives the fields, with samples read live from the
    /// provider (needs `records:read`).
    pub connection: Option<ID>,
    /// The connector's (or the connection's) stream, e.g. `contacts`.
    pub stream: Option<String>,
}

/// One field: a dotted path (arrays as `lines[].amount`), a type, optional sample values.
#[derive(InputObject)]
pub struct FieldInput {
    /// Dotted path, e.g. `properties.firstname` or `BillAddr.PostalCode`.
    pub path: String,
    /// Declared type (`string`, `integer`, `number`, `boolean`, `date`, `datetime`, `enum`, …).
    #[graphql(name = "type")]
    pub field_type: Option<String>,
    /// Sample values.
    #[graphql(default)]
    pub samples: Vec<Json<serde_json::Value>>,
}

/// Knobs of the suggester.
#[derive(InputObject, Default)]
pub struct SuggestOptionsInput {
    /// Only suggestions at or above this confidence (0 to 1); hints below 0.5 are otherwise
    /// included after the assigned pairs.
    pub min_confidence: Option<f64>,
    /// Sample values read per field (default 20).
    pub max_samples: Option<i32>,
    /// Other candidates listed per target as hints (default 2).
    pub alternatives: Option<i32>,
}

/// A proposed correspondence between a source field and a target field.
#[derive(SimpleObject)]
pub struct FieldMappingSuggestion {
    /// Source field path.
    pub source: String,
    /// Target field path.
    pub target: String,
    /// 0 to 1; at 0.5 and above it is a mapping, below it a hint.
    pub confidence: f64,
    /// The evidence in plain words.
    pub reason: String,
    /// The transform the values need (e.g. `{"kind": "to_number"}`), if any.
    pub transform: Option<Json<serde_json::Value>>,
}

/// A user's decision about a suggested pair.
#[derive(InputObject)]
pub struct MappingFeedbackInput {
    /// Name of the source schema, as given to `suggestFieldMappings`.
    pub source_object: String,
    /// Name of the target schema.
    pub target_object: String,
    /// Source field path.
    pub source_path: String,
    /// Target field path.
    pub target_path: String,
    /// Whether the suggestion was kept.
    pub accepted: bool,
}

/// What the workspace has said about one pair so far.
#[derive(SimpleObject)]
pub struct MappingFeedback {
    /// Source field path.
    pub source_path: String,
    /// Target field path.
    pub target_path: String,
    /// Times accepted.
    pub accepted: i32,
    /// Times rejected.
    pub rejected: i32,
}

/// A reusable mapping template: source object → target object through field rules.
#[derive(SimpleObject)]
pub struct FieldMapping {
    /// Stable identifier.
    pub id: ID,
    /// Unique name in the workspace.
    pub name: String,
    /// Name of the source object, e.g. `hubspot.Contact`.
    pub source_object: String,
    /// Name of the target object, e.g. `salesforce.Contact`.
    pub target_object: String,
    /// The field rules, applied in order.
    pub rules: Vec<FieldRuleOutput>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// One rule: where a value comes from, how it changes, where it goes.
#[derive(SimpleObject)]
#[graphql(name = "FieldRule")]
pub struct FieldRuleOutput {
    /// Dotted source paths; several reach the transforms as one array (for `join`, `concat`).
    pub source: Vec<String>,
    /// Dotted target path.
    pub target: String,
    /// Transforms applied in order, e.g. `{"kind": "to_number"}`.
    pub transforms: Vec<Json<serde_json::Value>>,
    /// Written when the source is missing or null.
    pub default: Option<Json<serde_json::Value>>,
    /// A target left empty is an error.
    pub required: bool,
}

/// One rule of a mapping template.
#[derive(InputObject)]
pub struct FieldRuleInput {
    /// Dotted source paths (`properties.firstname`, `lines[].amount`); usually one.
    pub source: Vec<String>,
    /// Dotted target path.
    pub target: String,
    /// Transforms applied in order: `{"kind": "to_number"}`, `{"kind": "date", "from":
    /// "unix_seconds", "to": "iso_date"}`, `{"kind": "value_map", "map": {…}}`, …
    #[graphql(default)]
    pub transforms: Vec<Json<serde_json::Value>>,
    /// Written when the source is missing or null.
    pub default: Option<Json<serde_json::Value>>,
    /// A target left empty is an error.
    #[graphql(default)]
    pub required: bool,
}

/// A new mapping template.
#[derive(InputObject)]
pub struct CreateFieldMappingInput {
    /// Unique name in the workspace.
    pub name: String,
    /// Name of the source object.
    pub source_object: String,
    /// Name of the target object.
    pub target_object: String,
    /// The rules.
    pub rules: Vec<FieldRuleInput>,
}

/// Changes to a mapping template; absent fields keep their value.
#[derive(InputObject)]
pub struct UpdateFieldMappingInput {
    /// New name.
    pub name: Option<String>,
    /// New source object name.
    pub source_object: Option<String>,
    /// New target object name.
    pub target_object: Option<String>,
    /// New rules, replacing all of them.
    pub rules: Option<Vec<FieldRuleInput>>,
}

/// A template made from the suggestions between two schemas.
#[derive(InputObject)]
pub struct CreateFieldMappingFromSuggestionsInput {
    /// Unique name in the workspace.
    pub name: String,
    /// The source schema; its name becomes the source object.
    pub source: SchemaInput,
    /// The target schema; its name becomes the target object.
    pub target: SchemaInput,
    /// Suggestions at or above this confidence become rules.
    #[graphql(default = 0.5)]
    pub min_confidence: f64,
}

/// One sample record through a mapping: what went in, what came out, or why not.
#[derive(SimpleObject)]
pub struct MappingPreview {
    /// The sample as given.
    pub input: Json<serde_json::Value>,
    /// The mapped record; null when any rule failed (records are never half-written).
    pub output: Option<Json<serde_json::Value>>,
    /// Every rule that failed.
    pub errors: Vec<MappingRuleError>,
}

/// A rule that could not produce its target for one record.
#[derive(SimpleObject)]
pub struct MappingRuleError {
    /// The source (or target) path the problem is at, with element indices.
    pub field: String,
    /// The rule's target path.
    pub target: String,
    /// What went wrong, e.g. `amount: cannot convert string "abc" to a number`.
    pub message: String,
}

#[Object]
impl MappingsQuery {
    /// The workspace's mapping templates, oldest first. Needs `mappings:read`.
    async fn field_mappings(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, FieldMapping>> {
        let caller = principal(ctx)?;
        caller.require(Scope::Read(Resource::Mappings)).gql()?;
        let size = pagination::page_size(first).gql()?;
        let rows = store::list_mappings(
            &app(ctx)?.db,
            &caller.workspace_id,
            after.as_deref(),
            size + 1,
        )
        .await
        .gql()?;
        let mappings = rows
            .into_iter()
            .map(to_graphql)
            .collect::<crate::Result<Vec<_>>>()
            .gql()?;
        Ok(connection(mappings, size, after.is_some(), |m| {
            m.id.to_string()
        }))
    }

    /// One mapping template. Needs `mappings:read`.
    async fn field_mapping(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<FieldMapping> {
        let caller = principal(ctx)?;
        caller.require(Scope::Read(Resource::Mappings)).gql()?;
        let row = store::find_mapping(&app(ctx)?.db, &caller.workspace_id, &id)
            .await
            .gql()?
            .ok_or_else(|| Error::NotFound(format!("field mapping `{}`", id.as_str())))
            .gql()?;
        to_graphql(row).gql()
    }

    /// Runs a template (by `id`) or ad-hoc `rules` over sample records and shows before →
    /// after, or every error. Nothing is saved. Needs `mappings:read`.
    async fn preview_field_mapping(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        rules: Option<Vec<FieldRuleInput>>,
        samples: Vec<Json<serde_json::Value>>,
    ) -> async_graphql::Result<Vec<MappingPreview>> {
        let caller = principal(ctx)?;
        caller.require(Scope::Read(Resource::Mappings)).gql()?;
        if samples.len() > MAX_PREVIEW_SAMPLES {
            return Err(Error::invalid_field(
                "samples",
                format!("at most {MAX_PREVIEW_SAMPLES} samples"),
            ))
            .gql();
        }
        let rules = match (id, rules) {
            (Some(id), None) => {
                let row = store::find_mapping(&app(ctx)?.db, &caller.workspace_id, &id)
                    .await
                    .gql()?
                    .ok_or_else(|| Error::NotFound(format!("field mapping `{}`", id.as_str())))
                    .gql()?;
                store::rules_of(&row).gql()?
            }
            (None, Some(rules)) => {
                let rules = read_rules(rules).gql()?;
                store::check_rules(&rules).gql()?;
                rules
            }
            _ => return Err(Error::invalid("give exactly one of `id` or `rules`")).gql(),
        };
        Ok(samples
            .into_iter()
            .map(|Json(sample)| {
                let (output, errors) = match transform::apply_rules(&rules, &sample) {
                    Ok(output) => (Some(Json(output)), Vec::new()),
                    Err(errors) => (
                        None,
                        errors
                            .into_iter()
                            .map(|e| MappingRuleError {
                                message: e.to_string(),
                                field: e.field,
                                target: e.target,
                            })
                            .collect(),
                    ),
                };
                MappingPreview {
                    input: Json(sample),
                    output,
                    errors,
                }
            })
            .collect())
    }

    /// Suggests which source field maps to which target field, with a confidence, the reason
    /// and the transform the values need. Learns from the workspace's feedback. Needs
    /// `mappings:read`.
    async fn suggest_field_mappings(
        &self,
        ctx: &Context<'_>,
        source: SchemaInput,
        target: SchemaInput,
        options: Option<SuggestOptionsInput>,
    ) -> async_graphql::Result<Vec<FieldMappingSuggestion>> {
        let caller = principal(ctx)?;
        caller.require(Scope::Read(Resource::Mappings)).gql()?;
        let options = options.unwrap_or_default();
        let max_samples = bounded("options.maxSamples", options.max_samples, 20, 100).gql()?;
        let alternatives = bounded("options.alternatives", options.alternatives, 2, 10).gql()?;
        let source = read_schema(ctx, "source", source, max_samples)
            .await
            .gql()?;
        let target = read_schema(ctx, "target", target, max_samples)
            .await
            .gql()?;
        let feedback = store::feedback_for(&app(ctx)?.db, &caller.workspace_id)
            .await
            .gql()?;
        let suggest_options = SuggestOptions {
            max_samples,
            alternatives,
            ..SuggestOptions::default()
        };
        // Scoring is CPU work: keep it off the async workers.
        let suggestions = tokio::task::spawn_blocking(move || {
            suggest::suggest(&source, &target, &suggest_options, &feedback)
        })
        .await
        .map_err(Error::internal)
        .gql()?;
        let floor = options.min_confidence.unwrap_or(0.0);
        Ok(suggestions
            .into_iter()
            .filter(|s| s.confidence >= floor)
            .map(|s| FieldMappingSuggestion {
                transform: s
                    .transform
                    .as_ref()
                    .and_then(|t| serde_json::to_value(t).ok())
                    .map(Json),
                source: s.source,
                target: s.target,
                confidence: s.confidence,
                reason: s.reason,
            })
            .collect())
    }
}

#[Object]
impl MappingsMutation {
    /// Creates a mapping template. Needs `mappings:write`.
    async fn create_field_mapping(
        &self,
        ctx: &Context<'_>,
        input: CreateFieldMappingInput,
    ) -> async_graphql::Result<FieldMapping> {
        let caller = principal(ctx)?;
        caller.require(Scope::Write(Resource::Mappings)).gql()?;
        let new = NewMapping {
            name: input.name,
            source_object: input.source_object,
            target_object: input.target_object,
            rules: read_rules(input.rules).gql()?,
        };
        let row = store::create_mapping(&app(ctx)?.db, &caller.workspace_id, new)
            .await
            .gql()?;
        to_graphql(row).gql()
    }

    /// Creates a template from the suggestions between two schemas: one rule per target for
    /// suggestions at or above `minConfidence`, with the suggested transforms. Needs
    /// `mappings:write`.
    async fn create_field_mapping_from_suggestions(
        &self,
        ctx: &Context<'_>,
        input: CreateFieldMappingFromSuggestionsInput,
    ) -> async_graphql::Result<FieldMapping> {
        let caller = principal(ctx)?;
        caller.require(Scope::Write(Resource::Mappings)).gql()?;
        let state = app(ctx)?;
        let source = read_schema(ctx, "input.source", input.source, 20)
            .await
            .gql()?;
        let target = read_schema(ctx, "input.target", input.target, 20)
            .await
            .gql()?;
        let feedback = store::feedback_for(&state.db, &caller.workspace_id)
            .await
            .gql()?;
        let min_confidence = input.min_confidence;
        let (source, target, rules) = tokio::task::spawn_blocking(move || {
            let suggestions =
                suggest::suggest(&source, &target, &SuggestOptions::default(), &feedback);
            let rules = from_hint::rules_from_suggestions(&suggestions, &source, min_confidence);
            (source, target, rules)
        })
        .await
        .map_err(Error::internal)
        .gql()?;
        if rules.is_empty() {
            return Err(Error::invalid_field(
                "input.minConfidence",
                "no suggestion reaches this confidence; lower it or map the fields by hand",
            ))
            .gql();
        }
        let new = NewMapping {
            name: input.name,
            source_object: source.name,
            target_object: target.name,
            rules,
        };
        let row = store::create_mapping(&state.db, &caller.workspace_id, new)
            .await
            .gql()?;
        to_graphql(row).gql()
    }

    /// Changes a mapping template. Needs `mappings:write`.
    async fn update_field_mapping(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateFieldMappingInput,
    ) -> async_graphql::Result<FieldMapping> {
        let caller = principal(ctx)?;
        caller.require(Scope::Write(Resource::Mappings)).gql()?;
        let changes = MappingChanges {
            name: input.name,
            source_object: input.source_object,
            target_object: input.target_object,
            rules: input.rules.map(read_rules).transpose().gql()?,
        };
        let row = store::update_mapping(&app(ctx)?.db, &caller.workspace_id, &id, changes)
            .await
            .gql()?;
        to_graphql(row).gql()
    }

    /// Deletes a mapping template; returns its id. Needs `mappings:write`.
    async fn delete_field_mapping(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ID> {
        let caller = principal(ctx)?;
        caller.require(Scope::Write(Resource::Mappings)).gql()?;
        store::delete_mapping(&app(ctx)?.db, &caller.workspace_id, &id)
            .await
            .gql()?;
        Ok(id)
    }

    /// Records that a suggestion was accepted or rejected; later suggestions in this
    /// workspace take it into account. Needs `mappings:write`.
    async fn record_mapping_feedback(
        &self,
        ctx: &Context<'_>,
        input: MappingFeedbackInput,
    ) -> async_graphql::Result<MappingFeedback> {
        let caller = principal(ctx)?;
        caller.require(Scope::Write(Resource::Mappings)).gql()?;
        let row = store::record_feedback(
            &app(ctx)?.db,
            &caller.workspace_id,
            Decision {
                source_object: &input.source_object,
                target_object: &input.target_object,
                source_path: &input.source_path,
                target_path: &input.target_path,
                accepted: input.accepted,
            },
        )
        .await
        .gql()?;
        Ok(MappingFeedback {
            source_path: row.source_path,
            target_path: row.target_path,
            accepted: row.accepted,
            rejected: row.rejected,
        })
    }
}

/// Reads a schema argument, naming the argument in errors.
async fn read_schema(
    ctx: &Context<'_>,
    argument: &str,
    input: SchemaInput,
    max_samples: usize,
) -> crate::Result<Schema> {
    if let Some(connection) = input.connection {
        return connection_schema(
            ctx,
            argument,
            &connection,
            input.name,
            input.stream,
            max_samples,
        )
        .await;
    }
    let schema = match (input.fields, input.document, input.connector) {
        (Some(fields), None, None) => Schema {
            name: input.name.unwrap_or_else(|| argument.to_owned()),
            fields: fields
                .into_iter()
                .map(|f| Field {
                    path: f.path,
                    field_type: f.field_type.unwrap_or_default(),
                    samples: f
                        .samples
                        .into_iter()
                        .map(|Json(v)| v)
                        .take(max_samples)
                        .collect(),
                })
                .collect(),
        },
        (None, Some(document), None) => {
            let name = input.name.unwrap_or_else(|| argument.to_owned());
            schema_input::parse(&name, &document, max_samples)
                .map_err(|e| Error::invalid_field(format!("{argument}.document"), e.to_string()))?
                .0
        }
        (None, None, Some(connector)) => {
            let caller = principal(ctx)
                .map_err(|_| Error::Unauthenticated("an API key is required".into()))?;
            let state = app(ctx).map_err(|_| Error::internal(anyhow::anyhow!("no state")))?;
            let stream_name = input.stream.unwrap_or_default();
            Schema {
                name: input
                    .name
                    .unwrap_or_else(|| format!("{connector}.{stream_name}")),
                fields: read_schema_declared(
                    state,
                    &caller.workspace_id,
                    &connector,
                    &stream_name,
                    argument,
                )
                .await?,
            }
        }
        _ => {
            return Err(Error::invalid_field(
                argument,
                "give exactly one of `fields`, `document`, `connector` with `stream`, or `connection` with `stream`",
            ));
        }
    };
    if schema.fields.is_empty() {
        return Err(Error::invalid_field(argument, "the schema has no fields"));
    }
    if schema.fields.len() > MAX_API_FIELDS {
        return Err(Error::invalid_field(
            argument,
            format!(
                "at most {MAX_API_FIELDS} fields per schema here (this one has {}); `patchbay mapping suggest` takes larger ones",
                schema.fields.len()
            ),
        ));
    }
    if let Some(i) = schema.fields.iter().position(|f| f.path.trim().is_empty()) {
        return Err(Error::invalid_field(
            format!("{argument}.fields[{i}].path"),
            "a path is required",
        ));
    }
    Ok(schema)
}

/// A connection's stream as a schema: the declared fields, with samples from records read live
/// (and any field the records have that the definition does not declare).
async fn connection_schema(
    ctx: &Context<'_>,
    argument: &str,
    connection: &ID,
    name: Option<String>,
    stream: Option<String>,
    max_samples: usize,
) -> crate::Result<Schema> {
    let caller =
        principal(ctx).map_err(|_| Error::Unauthenticated("an API key is required".into()))?;
    caller.require(Scope::Read(Resource::Records))?;
    let state = app(ctx).map_err(|_| Error::internal(anyhow::anyhow!("no state")))?;
    let stream_name = stream.ok_or_else(|| {
        Error::invalid_field(format!("{argument}.stream"), "required with `connection`")
    })?;
    let row = crate::connections::find(&state.db, &caller.workspace_id, connection)
        .await?
        .ok_or_else(|| {
            Error::invalid_field(
                format!("{argument}.connection"),
                format!("no connection `{}`", connection.as_str()),
            )
        })?;
    let declared = read_schema_declared(
        state,
        &caller.workspace_id,
        &row.connector_name,
        &stream_name,
        argument,
    )
    .await?;
    let records = crate::connections::sample_records(
        state,
        &caller.workspace_id,
        connection,
        &stream_name,
        max_samples.max(1),
    )
    .await
    .map_err(|e| match e {
        Error::InvalidInput { message, .. } => {
            Error::invalid_field(format!("{argument}.stream"), message)
        }
        other => other,
    })?;
    let sampled =
        schema_input::from_json(&stream_name, serde_json::Value::Array(records), max_samples)
            .map(|(schema, _)| schema.fields)
            .unwrap_or_default();
    let mut fields = declared;
    for field in &mut fields {
        if let Some(found) = sampled.iter().find(|s| s.path == field.path) {
            field.samples.clone_from(&found.samples);
        }
    }
    for extra in sampled {
        if !fields.iter().any(|f| f.path == extra.path) {
            fields.push(extra);
        }
    }
    Ok(Schema {
        name: name.unwrap_or_else(|| format!("{}.{stream_name}", row.connector_name)),
        fields,
    })
}

/// The declared fields of a connector's stream.
async fn read_schema_declared(
    state: &crate::state::AppState,
    workspace_id: &str,
    connector: &str,
    stream_name: &str,
    argument: &str,
) -> crate::Result<Vec<Field>> {
    let entry = registry::find(&state.db, workspace_id, connector)
        .await?
        .ok_or_else(|| {
            Error::invalid_field(
                format!("{argument}.connector"),
                format!("no connector named `{connector}`"),
            )
        })?;
    let stream = entry.definition.stream(stream_name).ok_or_else(|| {
        Error::invalid_field(
            format!("{argument}.stream"),
            format!("`{connector}` has no stream `{stream_name}`"),
        )
    })?;
    Ok(stream
        .fields
        .iter()
        .map(|f| Field {
            path: f.path.clone(),
            field_type: super::connectors::tag(&f.kind),
            samples: f.example.iter().cloned().collect(),
        })
        .collect())
}

fn bounded(field: &str, value: Option<i32>, default: usize, max: usize) -> crate::Result<usize> {
    match value {
        None => Ok(default),
        Some(v) if v >= 0 && v.unsigned_abs() as usize <= max => Ok(v.unsigned_abs() as usize),
        Some(_) => Err(Error::invalid_field(
            field,
            format!("must be between 0 and {max}"),
        )),
    }
}

/// Reads rule inputs into field rules, naming the offending rule.
fn read_rules(inputs: Vec<FieldRuleInput>) -> crate::Result<Vec<FieldRule>> {
    inputs
        .into_iter()
        .enumerate()
        .map(|(i, input)| {
            let value = serde_json::json!({
                "source": input.source,
                "target": input.target,
                "transforms": input.transforms.into_iter().map(|Json(t)| t).collect::<Vec<_>>(),
                "default": input.default.map(|Json(d)| d),
                "required": input.required,
            });
            serde_json::from_value::<FieldRule>(value)
                .map_err(|e| Error::invalid_field(format!("rules[{i}]"), e.to_string()))
        })
        .collect()
}

fn to_graphql(row: field_mapping::Model) -> crate::Result<FieldMapping> {
    let rules = store::rules_of(&row)?
        .into_iter()
        .map(|rule| FieldRuleOutput {
            transforms: rule
                .transforms
                .iter()
                .filter_map(|t| serde_json::to_value(t).ok())
                .map(Json)
                .collect(),
            default: rule.default.map(Json),
            source: rule.source,
            target: rule.target,
            required: rule.required,
        })
        .collect();
    Ok(FieldMapping {
        id: ID(row.id),
        name: row.name,
        source_object: row.source_object,
        target_object: row.target_object,
        rules,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}
