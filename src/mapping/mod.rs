//! Field mappings between two schemas.

/// Pure suggestion engine: names, types, sample values, assignment and feedback.
pub mod suggest;
