//! Field mappings: suggestions between two schemas and the feedback that teaches them.
//! Scope `mappings:read` to ask, `mappings:write` to teach.

use async_graphql::{Context, InputObject, Json, Object, SimpleObject};

use super::{app, principal};
use crate::{
    Error,
    auth::{Resource, Scope},
    error::GqlResultExt,
    mapping::{
        schema_input,
        store::{self, Decision},
        suggest::{self, Field, Schema, SuggestOptions},
    },
};

/// Most fields per schema the API accepts; the CLI takes larger ones.
pub const MAX_API_FIELDS: usize = 1_000;

#[derive(Default)]
pub struct MappingsQuery;

#[derive(Default)]
pub struct MappingsMutation;

/// A schema to map from or to: either `fields`, or a `document` in any supported form (a
/// field list, a JSON Schema, sample JSON records, or CSV with a header row).
#[derive(InputObject)]
pub struct SchemaInput {
    /// The object's name, e.g. `hubspot.Contact`; feedback is kept per pair of names.
    pub name: Option<String>,
    /// The fields, in Patchbay's field-list form.
    pub fields: Option<Vec<FieldInput>>,
    /// The schema as text; its format is detected from the content.
    pub document: Option<String>,
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

#[Object]
impl MappingsQuery {
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
        let source = read_schema("source", source, max_samples).gql()?;
        let target = read_schema("target", target, max_samples).gql()?;
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
fn read_schema(argument: &str, input: SchemaInput, max_samples: usize) -> crate::Result<Schema> {
    let name = input.name.unwrap_or_else(|| argument.to_owned());
    let schema = match (input.fields, input.document) {
        (Some(fields), None) => Schema {
            name,
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
        (None, Some(document)) => {
            schema_input::parse(&name, &document, max_samples)
                .map_err(|e| Error::invalid_field(format!("{argument}.document"), e.to_string()))?
                .0
        }
        _ => {
            return Err(Error::invalid_field(
                argument,
                "give exactly one of `fields` or `document`",
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
