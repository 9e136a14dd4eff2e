//! `cargo prisma`: the schema-to-code and schema-to-database tooling of Isthmus.

pub mod commands;
pub mod dmmf;
pub mod engine;
pub mod format;
pub mod generate;
