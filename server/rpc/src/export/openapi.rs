//! The OpenAPI 3.1 document of a router, for clients in other languages: one path per
//! procedure (`/rpc/{name}`), its input as the JSON-encoded `input` query parameter (queries,
//! subscriptions) or the JSON body (mutations), its output, and every answer it can fail with,
//! per status, in the envelopes `transport/mod.rs` documents. Form posts and batches are the
//! browser's; the document leaves them out.
//!
//! The schemas are specta-openapi's (specta's JSON Schema exporter), so they describe the same
//! types, under the same names, as the TypeScript bindings.

use std::collections::BTreeMap;

use axum::{extract::FromRequestParts, http::StatusCode};
use serde_json::{Map, Value, json};
use specta::{
    Type, Types,
    datatype::{DataType, Field, NamedDataType, Struct},
};
use specta_openapi::OpenApi;

use super::{Entry, ExportError, entries};
use crate::{Never, ProcedureError, ProtocolError, Router, procedure::Kind};

/// A type that holds one field per type the paths use. Exported beside the real types, its
/// fields come back as what each use is written as (a `$ref`, or a schema in place for
/// unnamed types), so names are resolved by the exporter itself; then it is dropped.
const PROBE: &str = "__isthmus_probe";

/// Renders the OpenAPI document for `router`, whose context is extracted from state `S`, as
/// pretty JSON ending in a newline. Deterministic: paths are sorted by procedure name.
pub fn openapi<S, C>(router: &Router<C>, title: &str, version: &str) -> Result<String, ExportError>
where
    C: FromRequestParts<S>,
    C::Rejection: ProcedureError,
{
    let mut types = Types::default();
    let never = <Never as Type>::definition(&mut types);
    let protocol_error = <ProtocolError as Type>::definition(&mut types);
    let entries = entries::<S, C>(router, &mut types);

    let mut used = vec![protocol_error.clone()];
    for entry in &entries {
        let errors = entry.errors.iter().map(|error| &error.datatype).filter(|datatype| **datatype != never);
        for datatype in entry.input.iter().chain([&entry.output]).chain(errors) {
            if !used.contains(datatype) {
                used.push(datatype.clone());
            }
        }
    }
    let probe = used
        .iter()
        .enumerate()
        .fold(Struct::named(), |probe, (index, datatype)| probe.field(probe_field(index), Field::new(datatype.clone())))
        .build();
    NamedDataType::new(PROBE, &mut types, |_, named| named.ty = Some(probe));

    let mut schemas = OpenApi::default().export_components(&types, specta_serde::Format)?;
    schemas.values_mut().for_each(unindent_descriptions);
    let probe = schemas.remove(PROBE).ok_or(specta_openapi::Error::UnresolvedOperationTypes)?;
    let schema_of = |datatype: &DataType| -> Result<Value, ExportError> {
        used.iter()
            .position(|candidate| candidate == datatype)
            .and_then(|index| probe.pointer(&format!("/properties/{}", probe_field(index))))
            .cloned()
            .ok_or(ExportError::OpenApi(specta_openapi::Error::UnresolvedOperationTypes))
    };

    let protocol_error = schema_of(&protocol_error)?;
    schemas.insert("ProtocolFailure".into(), protocol_failure(protocol_error));
    schemas.insert("InternalFailure".into(), internal_failure());

    let mut paths = Map::new();
    for entry in &entries {
        let operation = operation(entry, &never, &schema_of)?;
        let method = entry.kind.method().as_str().to_ascii_lowercase();
        paths.insert(format!("/rpc/{}", entry.name), json!({ method: operation }));
    }
    let document = json!({
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": version,
            "description": "Every procedure of the server. Failures answer a JSON envelope: \
                `ProtocolFailure` (the layer refused the call), `InternalFailure` (details are \
                only in the server's log, under the request id) or a procedure's typed error \
                (`kind: \"procedure\"`). Mutations called from a browser need an allowed `Origin`.",
        },
        "paths": paths,
        "components": { "schemas": schemas },
    });
    let mut rendered = serde_json::to_string_pretty(&document).map_err(specta_openapi::Error::from)?;
    rendered.push('\n');
    Ok(rendered)
}

/// Doc comments arrive as written after `///`, each line with its leading space; a description
/// is the text without it.
fn unindent_descriptions(schema: &mut Value) {
    match schema {
        Value::Object(object) => {
            for (key, value) in object.iter_mut() {
                match value {
                    Value::String(text) if key == "description" => {
                        *text = text
                            .lines()
                            .map(|line| line.strip_prefix(' ').unwrap_or(line))
                            .collect::<Vec<_>>()
                            .join("\n");
                    }
                    _ => unindent_descriptions(value),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(unindent_descriptions),
        _ => {}
    }
}

fn probe_field(index: usize) -> String {
    format!("t{index}")
}

fn operation(
    entry: &Entry,
    never: &DataType,
    schema_of: &impl Fn(&DataType) -> Result<Value, ExportError>,
) -> Result<Value, ExportError> {
    let mut operation = Map::new();
    operation.insert("operationId".into(), json!(entry.name));
    operation.insert("tags".into(), json!([entry.name.split('.').next().unwrap_or(entry.name)]));
    operation.insert("x-isthmus-kind".into(), json!(entry.kind.as_str()));
    if let Some(input) = &entry.input {
        let required = !matches!(input, DataType::Nullable(_));
        let content = json!({ "application/json": { "schema": schema_of(input)? } });
        match entry.kind {
            Kind::Mutation => {
                operation.insert("requestBody".into(), json!({ "required": required, "content": content }));
            }
            Kind::Query | Kind::Subscription => {
                let parameter = json!({ "name": "input", "in": "query", "required": required, "content": content });
                operation.insert("parameters".into(), json!([parameter]));
            }
        }
    } else if entry.kind == Kind::Mutation {
        // Mutations read JSON bodies only, so even one without input is posted as JSON.
        let content = json!({ "application/json": { "schema": { "type": "null" } } });
        operation.insert("requestBody".into(), json!({ "required": false, "content": content }));
    }

    let output = schema_of(&entry.output)?;
    let success = match entry.kind {
        Kind::Subscription => json!({
            "description": "A stream of server-sent events: `event: data` with one item's JSON \
                (`x-isthmus-item`) per item, then `event: end`.",
            "content": { "text/event-stream": { "schema": { "type": "string" }, "x-isthmus-item": output } },
        }),
        Kind::Query | Kind::Mutation => json!({
            "description": "The procedure's output.",
            "content": { "application/json": { "schema": output } },
        }),
    };

    let mut failures: BTreeMap<u16, Vec<Value>> = BTreeMap::new();
    let mut typed: BTreeMap<u16, Vec<Value>> = BTreeMap::new();
    for error in entry.errors.iter().filter(|error| error.datatype != *never) {
        let schema = schema_of(&error.datatype)?;
        for status in error.statuses.iter().filter(|status| **status != StatusCode::INTERNAL_SERVER_ERROR) {
            let errors = typed.entry(status.as_u16()).or_default();
            if !errors.contains(&schema) {
                errors.push(schema.clone());
            }
        }
    }
    for (status, errors) in typed {
        failures.entry(status).or_default().push(procedure_failure(status, errors));
    }
    for status in protocol_statuses(entry) {
        failures.entry(status.as_u16()).or_default().push(json!({ "$ref": "#/components/schemas/ProtocolFailure" }));
    }
    failures.entry(500).or_default().push(json!({ "$ref": "#/components/schemas/InternalFailure" }));

    let mut responses = Map::new();
    responses.insert("200".into(), success);
    for (status, mut alternatives) in failures {
        let schema = if alternatives.len() == 1 { alternatives.remove(0) } else { json!({ "oneOf": alternatives }) };
        let reason =
            StatusCode::from_u16(status).ok().and_then(|status| status.canonical_reason()).unwrap_or("Failure");
        responses.insert(
            status.to_string(),
            json!({ "description": reason, "content": { "application/json": { "schema": schema } } }),
        );
    }
    operation.insert("responses".into(), Value::Object(responses));
    Ok(Value::Object(operation))
}

/// The statuses the layer itself may answer a call of this procedure with (see
/// [`ProtocolError::status`]).
fn protocol_statuses(entry: &Entry) -> Vec<StatusCode> {
    let mut statuses = vec![StatusCode::SERVICE_UNAVAILABLE];
    if entry.input.is_some() {
        statuses.extend([StatusCode::BAD_REQUEST, StatusCode::UNPROCESSABLE_ENTITY]);
    }
    match entry.kind {
        Kind::Mutation => statuses.extend([
            StatusCode::BAD_REQUEST,
            StatusCode::FORBIDDEN,
            StatusCode::REQUEST_TIMEOUT,
            StatusCode::PAYLOAD_TOO_LARGE,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ]),
        Kind::Subscription => statuses.push(StatusCode::TOO_MANY_REQUESTS),
        Kind::Query => {}
    }
    if entry.rate_limited {
        statuses.push(StatusCode::TOO_MANY_REQUESTS);
    }
    statuses.sort_unstable();
    statuses.dedup();
    statuses
}

fn procedure_failure(status: u16, mut errors: Vec<Value>) -> Value {
    let error = if errors.len() == 1 { errors.remove(0) } else { json!({ "anyOf": errors }) };
    json!({
        "type": "object",
        "description": "The procedure's own typed error.",
        "properties": {
            "kind": { "const": "procedure" },
            "status": { "const": status },
            "requestId": { "type": "string" },
            "error": error,
        },
        "required": ["kind", "status", "requestId", "error"],
        "additionalProperties": false,
    })
}

fn protocol_failure(error: Value) -> Value {
    json!({
        "type": "object",
        "description": "A call the layer refused before or around the procedure; `message` says why in English.",
        "properties": {
            "kind": { "const": "protocol" },
            "status": { "type": "integer" },
            "requestId": { "type": "string" },
            "error": error,
            "message": { "type": "string" },
        },
        "required": ["kind", "status", "requestId", "error", "message"],
        "additionalProperties": false,
    })
}

fn internal_failure() -> Value {
    json!({
        "type": "object",
        "description": "A failure whose details stay in the server's log, under `requestId`.",
        "properties": {
            "kind": { "const": "internal" },
            "status": { "const": 500 },
            "requestId": { "type": "string" },
        },
        "required": ["kind", "status", "requestId"],
        "additionalProperties": false,
    })
}
