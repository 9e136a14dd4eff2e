//! What the TypeScript export promises: named types, a `Procedures` map whose error unions
//! include guards' errors, and no lossy 64-bit integers.

use axum::{
    extract::FromRequestParts,
    http::{StatusCode, request::Parts},
};
use isthmus_rpc::{self as rpc, Int64, Never, ProcedureError, ProcedureMeta};
use serde::{Deserialize, Serialize};
use specta::Type;

#[derive(Clone)]
struct State;

struct Ctx;

impl FromRequestParts<State> for Ctx {
    type Rejection = Never;
    async fn from_request_parts(_: &mut Parts, _: &State) -> Result<Self, Never> {
        Ok(Ctx)
    }
}

struct Admin;

#[derive(Debug, Serialize, Type)]
#[serde(tag = "code")]
enum Forbidden {
    Forbidden,
}

impl ProcedureError for Forbidden {
    const STATUSES: &'static [StatusCode] = &[StatusCode::FORBIDDEN];

    fn status(&self) -> StatusCode {
        StatusCode::FORBIDDEN
    }
}

#[derive(Debug, Serialize, Type)]
#[serde(tag = "code")]
enum NotFound {
    NotFound,
}

impl ProcedureError for NotFound {
    const STATUSES: &'static [StatusCode] = &[StatusCode::NOT_FOUND];

    fn status(&self) -> StatusCode {
        StatusCode::NOT_FOUND
    }
}

/// Which order to get,
/// by its id.
#[derive(Deserialize, Type)]
#[serde(rename_all = "camelCase")]
struct GetOrder {
    order_id: Int64,
}

#[derive(Serialize, Type)]
#[serde(rename_all = "camelCase")]
struct Order {
    order_id: Int64,
    total_cents: u32,
}

async fn get_order(_: Admin, input: GetOrder) -> Result<Order, NotFound> {
    match input.order_id {
        Int64(0) => Err(NotFound::NotFound),
        order_id => Ok(Order { order_id, total_cents: 0 }),
    }
}

async fn ping(_: Ctx) -> Result<String, Never> {
    Ok("pong".into())
}

async fn require_admin(_: Ctx, _: ProcedureMeta) -> Result<Admin, Forbidden> {
    Err(Forbidden::Forbidden)
}

fn router() -> rpc::Router<Ctx> {
    rpc::Router::new().query("ping", ping).merge(rpc::Router::new().query("orders.get", get_order).guard(require_admin))
}

#[test]
fn the_procedures_map_names_kind_input_output_and_every_error() {
    let ts = rpc::typescript::<State, _>(&router()).unwrap();
    assert!(
        ts.contains(r#""orders.get": { kind: "query"; input: GetOrder; output: Order; error: NotFound | Forbidden };"#),
        "{ts}"
    );
    assert!(ts.contains(r#""ping": { kind: "query"; input: void; output: string; error: never };"#), "{ts}");
    assert!(ts.contains("orderId: string"), "Int64 is a string in TypeScript: {ts}");
    assert!(!ts.contains("export type ProtocolError"), "the layer's own types are in protocol.ts: {ts}");
    let protocol = rpc::protocol_typescript().unwrap();
    assert!(protocol.contains(r#"code: "RATE_LIMITED""#) && protocol.contains("retryAfter: number"), "{protocol}");
}

#[test]
fn plain_64_bit_integers_are_refused() {
    async fn big(_: Ctx) -> Result<i64, Never> {
        Ok(i64::MAX)
    }
    let error = rpc::typescript::<State, _>(&rpc::Router::new().query("big", big));
    assert!(error.is_err(), "an i64 would lose precision in JavaScript");
}

#[test]
#[should_panic(expected = "procedure `ping` is defined twice")]
fn duplicate_names_are_refused() {
    let _ = router().merge(rpc::Router::new().query("ping", ping));
}

#[test]
fn a_router_lists_its_procedures_guarded_or_not() {
    let listed: Vec<_> = router().procedures().map(|meta| (meta.name, meta.kind)).collect();
    assert_eq!(listed, [("ping", rpc::Kind::Query), ("orders.get", rpc::Kind::Query)]);
}

#[test]
fn the_openapi_document_has_a_path_per_procedure_with_its_input_output_and_errors_per_status() {
    async fn cancel(_: Ctx) -> Result<(), Never> {
        Ok(())
    }
    let router = router().merge(
        rpc::Router::new()
            .mutation("orders.cancel", cancel)
            .rate_limit(rpc::RateLimit::per_minute(std::num::NonZeroU32::new(10).unwrap())),
    );
    let rendered = rpc::openapi::<State, _>(&router, "Shop", "1.0.0").unwrap();
    let document: serde_json::Value = serde_json::from_str(&rendered).unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    assert_eq!(document["info"]["title"], "Shop");

    let get = &document["paths"]["/rpc/orders.get"]["get"];
    assert_eq!(get["operationId"], "orders.get");
    assert_eq!(get["parameters"][0]["name"], "input");
    assert_eq!(get["parameters"][0]["in"], "query");
    assert_eq!(get["parameters"][0]["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/GetOrder");
    assert_eq!(get["responses"]["200"]["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/Order");
    let typed = |status: &str| &get["responses"][status]["content"]["application/json"]["schema"];
    assert_eq!(typed("404")["properties"]["error"]["$ref"], "#/components/schemas/NotFound");
    assert_eq!(typed("404")["properties"]["status"]["const"], 404);
    assert_eq!(typed("403")["properties"]["error"]["$ref"], "#/components/schemas/Forbidden", "the guard's error");
    assert_eq!(typed("500")["$ref"], "#/components/schemas/InternalFailure");
    let bad_input = typed("400").to_string();
    assert!(bad_input.contains("#/components/schemas/ProtocolFailure"), "{bad_input}");
    assert!(get["responses"].get("429").is_none(), "not rate-limited: {get}");

    let ping = &document["paths"]["/rpc/ping"]["get"];
    assert!(ping.get("parameters").is_none(), "no input: {ping}");
    assert!(ping["responses"].get("400").is_none(), "nothing to decode: {ping}");

    let cancel = &document["paths"]["/rpc/orders.cancel"]["post"];
    assert_eq!(cancel["requestBody"]["required"], false);
    assert!(cancel["responses"].get("429").is_some(), "rate-limited: {cancel}");
    assert!(cancel["responses"].get("415").is_some(), "a mutation reads JSON: {cancel}");

    let get_order = &document["components"]["schemas"]["GetOrder"];
    assert_eq!(get_order["description"], "Which order to get,\nby its id.", "doc comments, unindented");
    let order = &document["components"]["schemas"]["Order"];
    assert_eq!(order["properties"]["orderId"]["type"], "string", "Int64 is a decimal string: {order}");
    assert_eq!(rendered, rpc::openapi::<State, _>(&router, "Shop", "1.0.0").unwrap(), "deterministic");
}
