//! Typed raw queries: SQL the builder cannot say, with bound parameters (`$1`, `$2`, … on
//! both backends) and rows decoded into tuples or `#[derive(sqlx::FromRow)]` structs.

use sea_query::{Value, Values};
use sea_query_sqlx::SqlxValues;
use sqlx::{postgres::PgRow, sqlite::SqliteRow};

use crate::{Conn, Db, DbError, DbRow, Tx};

/// One bound parameter of a raw query: `5.into()`, `"text".into()`, `Some(id).into()`.
pub type Param = Value;

/// A row type both backends decode: a tuple of plain types, or a `sqlx::FromRow` struct.
pub trait FromRow: Sized + Send + Unpin {
    /// Decodes one row.
    fn from_db_row(row: &DbRow) -> Result<Self, DbError>;
}

impl<T> FromRow for T
where
    T: for<'r> sqlx::FromRow<'r, SqliteRow> + for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin,
{
    fn from_db_row(row: &DbRow) -> Result<Self, DbError> {
        match row {
            DbRow::Sqlite(row) => T::from_row(row),
            DbRow::Postgres(row) => T::from_row(row),
        }
        .map_err(|error| DbError::decode("a raw query's row", error))
    }
}

async fn query_as<T: FromRow>(conn: &impl Conn, sql: &str, params: Vec<Param>) -> Result<Vec<T>, DbError> {
    let rows = conn.fetch(sql.to_owned(), SqlxValues(Values(params))).await?;
    rows.iter().map(T::from_db_row).collect()
}

async fn execute_raw(conn: &impl Conn, sql: &str, params: Vec<Param>) -> Result<u64, DbError> {
    conn.run(sql.to_owned(), SqlxValues(Values(params))).await
}

macro_rules! raw_queries {
    ($($conn:ty),*) => {$(
        impl $conn {
            /// Rows of SQL the builder cannot say, decoded as `T` (a tuple or a
            /// `sqlx::FromRow` struct). `params` are bound to `$1`, `$2`, … and never spliced
            /// into the text: build `sql` from constants only.
            pub async fn query_as<T: FromRow>(&self, sql: &str, params: Vec<Param>) -> Result<Vec<T>, DbError> {
                query_as(self, sql, params).await
            }

            /// Runs a statement the builder cannot say, `params` bound in order; returns the
            /// number of rows it affected.
            pub async fn execute_raw(&self, sql: &str, params: Vec<Param>) -> Result<u64, DbError> {
                execute_raw(self, sql, params).await
            }
        }
    )*};
}

raw_queries!(Db, Tx);
