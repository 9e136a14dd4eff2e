//! A router described for other languages: the TypeScript bindings (`typescript.rs`) and an
//! OpenAPI 3.1 document (`openapi.rs`), both from the same signatures. Nothing here runs a
//! procedure or needs a server.

mod openapi;
mod typescript;

use axum::{extract::FromRequestParts, http::StatusCode};
use specta::{Types, datatype::DataType};

use crate::{ProcedureError, Router, procedure::Kind, router::ErrorSignature};

pub use openapi::openapi;
pub use typescript::{protocol_typescript, typescript};

/// Why a router could not be described: a type the exporters cannot express (a plain `i64`,
/// say, which JavaScript cannot hold exactly).
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The TypeScript exporter refused a type.
    #[error(transparent)]
    Typescript(#[from] specta_typescript::Error),
    /// The OpenAPI exporter refused a type.
    #[error(transparent)]
    OpenApi(#[from] specta_openapi::Error),
}

/// One procedure as the exporters see it, its types registered in a [`Types`].
struct Entry {
    name: &'static str,
    kind: Kind,
    input: Option<DataType>,
    output: DataType,
    /// The handler's, each guard's and the context's error types.
    errors: Vec<ErrorEntry>,
    rate_limited: bool,
}

struct ErrorEntry {
    datatype: DataType,
    statuses: &'static [StatusCode],
}

/// The router's procedures sorted by name, whose context is extracted from state `S` (named,
/// never constructed: the context's rejection type is part of every error union).
fn entries<S, C>(router: &Router<C>, types: &mut Types) -> Vec<Entry>
where
    C: FromRequestParts<S>,
    C::Rejection: ProcedureError,
{
    let context_error = ErrorSignature::of::<C::Rejection>();
    let mut entries: Vec<Entry> = router
        .procedures
        .iter()
        .map(|procedure| {
            let signature = &procedure.signature;
            let errors = signature
                .errors
                .iter()
                .chain([&context_error])
                .map(|error| ErrorEntry { datatype: (error.definition)(types), statuses: error.statuses })
                .collect();
            Entry {
                name: procedure.meta.name,
                kind: procedure.meta.kind,
                input: signature.takes_input.then(|| (signature.input)(types)),
                output: (signature.output)(types),
                errors,
                rate_limited: !procedure.limiters.is_empty(),
            }
        })
        .collect();
    entries.sort_by_key(|entry| entry.name);
    entries
}
