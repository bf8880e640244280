//! Cursor pagination (`first`, `after`, `pageInfo`) shared by every list that can grow.
//! Cursors are the ids of the rows (UUIDv7, so id order is creation order).

use async_graphql::{
    OutputType,
    connection::{Connection, Edge},
};

use crate::{Error, Result};

/// Page size when `first` is not given.
pub const DEFAULT_PAGE_SIZE: i32 = 50;
/// Largest page a caller may ask for.
pub const MAX_PAGE_SIZE: i32 = 100;

/// Validates `first`: 1 to [`MAX_PAGE_SIZE`], default [`DEFAULT_PAGE_SIZE`].
pub fn page_size(first: Option<i32>) -> Result<u64> {
    let first = first.unwrap_or(DEFAULT_PAGE_SIZE);
    if !(1..=MAX_PAGE_SIZE).contains(&first) {
        return Err(Error::invalid_field(
            "first",
            format!("must be between 1 and {MAX_PAGE_SIZE}"),
        ));
    }
    Ok(first.unsigned_abs().into())
}

/// Builds a connection from rows fetched with `limit = size + 1` (the extra row only says
/// whether there is a next page).
pub fn connection<T: OutputType>(
    mut rows: Vec<T>,
    size: u64,
    has_previous: bool,
    cursor: impl Fn(&T) -> String,
) -> Connection<String, T> {
    let has_next = rows.len() as u64 > size;
    rows.truncate(size as usize);
    let mut connection = Connection::new(has_previous, has_next);
    connection
        .edges
        .extend(rows.into_iter().map(|row| Edge::new(cursor(&row), row)));
    connection
}
