//! Fake providers: real axum servers on loopback that behave like the providers' APIs.

pub mod oauth;
pub mod stripe;
