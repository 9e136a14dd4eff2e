//! Writes the database client crate (`prisma/client/src`) from the DMMF of `schema.prisma`
//! and the migrations folders. Pure: the same inputs give byte-identical files.
//!
//! Two steps: [`ir`] resolves the DMMF into Rust names, types and relation links (and refuses
//! what the client cannot express, naming `schema.prisma:line:column`); [`emit`] turns that
//! into declarations with `quote!`, printed by `prettyplease`. What the declarations do is
//! generic code in `isthmus-db-runtime`.

mod emit;
pub mod ir;
mod names;
pub mod source;

use std::collections::BTreeMap;

/// Why a schema does not generate: where, what, and what to do.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("{location}: {subject}: {message}")]
    Unsupported { location: String, subject: String, message: String },
    #[error("{location}: {kind} {item} clashes with a name the generated code uses ({name}): {help}")]
    ReservedName { location: String, kind: &'static str, item: String, name: &'static str, help: &'static str },
}

impl GenerateError {
    fn at(location: String, subject: String, message: impl Into<String>) -> Self {
        GenerateError::Unsupported { location, subject, message: message.into() }
    }
}

/// Generated files by path relative to the client crate's `src/`.
pub type Files = BTreeMap<String, String>;

/// Migration folder names per provider, in order (`sqlite`, `postgresql`).
pub struct MigrationNames<'a> {
    /// The migrations folder as seen from the client's `src/` (`../../migrations`).
    pub folder: &'a str,
    pub sqlite: &'a [String],
    pub postgresql: &'a [String],
}

/// The client's files for `schema`, unformatted (rustfmt gives them the workspace's style).
pub fn client(schema: &ir::Schema, migrations: &MigrationNames) -> Files {
    let mut files = Files::new();
    files.insert("lib.rs".into(), emit::crate_root(schema));
    if !schema.enums.is_empty() {
        files.insert("enums.rs".into(), emit::enums(schema));
    }
    for model in &schema.models {
        files.insert(format!("{}.rs", model.module.trim_start_matches("r#")), emit::model(schema, model));
    }
    files.insert("migrations.rs".into(), emit::migrations(migrations));
    files
}
