//! Database entities (sea-orm). API types live in `graphql`; nothing here derives GraphQL.

pub mod api_key;
pub mod workspace;
