//! Field mappings between two schemas.

/// Pure suggestion engine: names, types, sample values, assignment and feedback.
pub mod suggest;

/// Reading schemas from field lists, JSON Schema, sample records or CSV (pure).
pub mod schema_input;

/// Persistence of mapping feedback and templates.
pub mod store;

/// Value transforms and the field rules that apply them to records (pure).
pub mod transform;

/// From the suggester's transform hints to runnable transforms (pure).
pub mod from_hint;
