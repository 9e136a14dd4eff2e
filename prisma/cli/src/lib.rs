//! `cargo prisma`: the schema-to-code and schema-to-database tooling of Isthmus.

// Its interface is the command line (documented in `cargo prisma help` and the README); the
// library exists for the binary and its tests.
#![allow(missing_docs)]

pub mod commands;
pub mod dmmf;
pub mod engine;
pub mod format;
pub mod generate;
pub mod schema;
