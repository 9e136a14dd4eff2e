//! The runtime of the database client that `cargo prisma generate` writes from
//! `schema.prisma`: connections to SQLite or PostgreSQL chosen at run time, migrations in
//! Prisma's layout, typed rows and values, filters, and database errors as types.
//!
//! Generated code builds statements with sea-query and runs them here; every value is bound,
//! never interpolated. Nothing in this crate knows the application's models.

mod connection;
mod error;
pub mod filter;
pub mod migrate;
pub mod model;
mod notify;
mod row;
#[cfg(feature = "testing")]
pub mod testing;
mod value;
pub mod wire;

pub use connection::{Conn, Db, Provider, Tx, execute, fetch_all, fetch_optional};
pub use error::DbError;
pub use row::DbRow;
pub use value::{DbEnum, DbValue, cuid, now};

/// Re-exported for generated code, so the client crate pins nothing of its own.
pub use {chrono, rust_decimal, sea_query, serde_json, uuid};
