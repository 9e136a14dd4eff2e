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
    fn status(&self) -> StatusCode {
        StatusCode::NOT_FOUND
    }
}

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
