use std::fmt;

use sqlx::{Column, ColumnIndex, Decode, Postgres, Row, Sqlite, Type, ValueRef, postgres::PgRow, sqlite::SqliteRow};

use crate::DbError;

/// Where a value is in a row: its position (what generated code reads by, in the order it
/// selected) or its column name.
pub trait RowIndex: ColumnIndex<SqliteRow> + ColumnIndex<PgRow> + Copy + fmt::Display + Send {}

impl RowIndex for usize {}
impl RowIndex for &str {}

/// A result row from either backend.
pub enum DbRow {
    /// A row read from SQLite.
    Sqlite(SqliteRow),
    /// A row read from PostgreSQL.
    Postgres(PgRow),
}

impl DbRow {
    /// Decodes a column whose Rust type both drivers understand as is.
    pub fn get<T>(&self, column: impl RowIndex) -> Result<T, DbError>
    where
        T: for<'r> Decode<'r, Sqlite> + Type<Sqlite> + for<'r> Decode<'r, Postgres> + Type<Postgres>,
    {
        match self {
            DbRow::Sqlite(row) => row.try_get(column),
            DbRow::Postgres(row) => row.try_get(column),
        }
        .map_err(|error| DbError::decode(column, error))
    }

    /// The position of the column named `name` in the row's result set.
    pub(crate) fn position(&self, name: &str) -> Result<usize, DbError> {
        match self {
            DbRow::Sqlite(row) => row.try_column(name).map(Column::ordinal),
            DbRow::Postgres(row) => row.try_column(name).map(Column::ordinal),
        }
        .map_err(|error| DbError::decode(name, error))
    }

    /// Whether the value at `position` is NULL, whatever its type.
    pub(crate) fn is_null(&self, position: usize) -> Result<bool, DbError> {
        match self {
            DbRow::Sqlite(row) => row.try_get_raw(position).map(|value| value.is_null()),
            DbRow::Postgres(row) => row.try_get_raw(position).map(|value| value.is_null()),
        }
        .map_err(|error| DbError::decode(position, error))
    }

    /// Decodes a text representation whatever the declared column type (SQLite's NUMERIC
    /// affinity, PostgreSQL enum types).
    pub fn get_text(&self, column: impl RowIndex) -> Result<Option<String>, DbError> {
        match self {
            DbRow::Sqlite(row) => row.try_get_unchecked::<Option<String>, _>(column),
            DbRow::Postgres(row) => row.try_get_unchecked::<Option<String>, _>(column),
        }
        .map_err(|error| DbError::decode(column, error))
    }
}
