//! TypeScript bindings: every input, output and error type by name, plus a `Procedures` map
//! from procedure name to kind, input, output and error, which the client runtime in
//! `bindings/` is generic over.

use std::borrow::Cow;

use axum::extract::FromRequestParts;
use specta::{Type, Types};
use specta_typescript::{Exporter, Typescript};

use super::{ExportError, entries};
use crate::{Never, ProcedureError, ProtocolError, Router};

const HEADER: &str = "// Generated from the server's procedures by isthmus-rpc. Do not edit.\n\
/* eslint-disable */";

/// Renders the bindings module for `router`, whose context is extracted from state `S`
/// (named, never constructed: the context's rejection type is part of every error union).
/// Deterministic: procedures are sorted by name and types by the exporter.
pub fn typescript<S, C>(router: &Router<C>) -> Result<String, ExportError>
where
    C: FromRequestParts<S>,
    C::Rejection: ProcedureError,
{
    let mut types = Types::default();
    let never = <Never as Type>::definition(&mut types);
    let entries = entries::<S, C>(router, &mut types);

    Exporter::from(Typescript::default())
        .header(HEADER)
        .framework_prelude("")
        .framework_runtime(move |exporter| {
            // Unions drop `never` in TypeScript anyway; leaving it out keeps them readable.
            let never = exporter.reference(&never)?;
            let mut out = String::from(
                "/** Every procedure of the server: its kind, input (`void`: called without one), output and error. */\n\
                 export type Procedures = {\n",
            );
            for entry in &entries {
                let input = match &entry.input {
                    Some(input) => exporter.reference(input)?,
                    None => "void".to_owned(),
                };
                let mut errors = Vec::with_capacity(entry.errors.len());
                for error in &entry.errors {
                    let rendered = exporter.reference(&error.datatype)?;
                    if rendered != never && !errors.contains(&rendered) {
                        errors.push(rendered);
                    }
                }
                let error = if errors.is_empty() { "never".to_owned() } else { errors.join(" | ") };
                out.push_str(&format!(
                    "\t\"{}\": {{ kind: \"{}\"; input: {input}; output: {}; error: {error} }};\n",
                    entry.name,
                    entry.kind.as_str(),
                    exporter.reference(&entry.output)?,
                ));
            }
            out.push_str("};\n");
            Ok(Cow::Owned(out))
        })
        .export(&types, specta_serde::Format)
        .map_err(ExportError::from)
}

/// The layer's own wire types for the client runtime (`bindings/src/protocol.ts`): what any
/// server built on it can answer, whatever its procedures.
pub fn protocol_typescript() -> Result<String, ExportError> {
    let types = Types::default().register::<ProtocolError>();
    Exporter::from(Typescript::default())
        .header(HEADER)
        .framework_prelude("")
        .framework_runtime(|_| Ok(Cow::Borrowed("")))
        .export(&types, specta_serde::Format)
        .map_err(ExportError::from)
}
