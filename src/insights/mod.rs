//! Failure-pattern mining: turns many failure messages into a few explained patterns.
//!
//! Everything here is pure: data in, data out, no I/O.

pub mod explain;
pub mod health;
pub mod patterns;
pub mod summary;
