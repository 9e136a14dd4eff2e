//! The runtime of the database client that `cargo prisma generate` writes from
//! `schema.prisma`: connections to SQLite or PostgreSQL chosen at run time, migrations in
//! Prisma's layout, typed rows and values, filters, and database errors as types.
//!
//! Generated code builds statements with sea-query and runs them here; every value is bound,
//! never interpolated (only a read's `LIMIT` is written in, as an integer: `model::Limited`).
//! Nothing in this crate knows the application's models.

pub mod aggregate;
mod column;
mod connection;
mod error;
pub mod filter;
pub mod json;
pub mod migrate;
pub mod model;
mod notify;
mod raw;
pub mod relation;
mod row;
#[cfg(feature = "testing")]
pub mod testing;
mod value;
pub mod wire;

pub use aggregate::{GroupBy, GroupOrder, Having, avg, count, max, min, sum};
pub use column::{Column, Comparable, Number, Text};
pub use connection::{Conn, DEFAULT_TIMEOUT, Db, Provider, Tx, execute, fetch_all, fetch_optional};
pub use error::DbError;
pub use filter::{Filter, OrderBy, Scope, Set, SortOrder, and, not, or};
pub use model::{Actions, FindMany, Insertion, Model, Page, Select, Table, UniqueKey, Whole};
pub use raw::{FromRow, Param};
pub use relation::{Include, Joins, Link, Many, One, Optional, Relation};
pub use row::DbRow;
pub use value::{DbEnum, DbValue, ListElement, cuid, cuid2, now};

/// Re-exported for generated code, so the client crate pins nothing of its own.
pub use {chrono, rust_decimal, sea_query, serde_json, uuid};
