//! Whole requests through the procedure layer, in process: routing, methods, media types,
//! JSON and form bodies, batches, origins, validators, cached queries and subscriptions. The
//! fuzz input is a request written as text — `METHOD TARGET`, header lines, a blank line, the
//! body — so seeds are readable. No request makes the layer panic or answer 500: these
//! procedures never fail internally, so a 500 is the layer's own bug.

#![no_main]

use std::{sync::OnceLock, time::Duration};

use axum::{
    body::{Body, Bytes},
    extract::{FromRef, FromRequestParts},
    http::{HeaderName, HeaderValue, Method, Request, StatusCode, request::Parts},
};
use futures_util::{Stream, stream};
use http_body_util::BodyExt;
use isthmus_rpc::{Never, OriginPolicy, ResponseCache, Revalidate, Router, RpcConfig, Valid};
use libfuzzer_sys::fuzz_target;
use serde::Deserialize;
use tower::ServiceExt;
use validator::Validate;

#[derive(Clone)]
struct State {
    cache: ResponseCache,
}

impl FromRef<State> for ResponseCache {
    fn from_ref(state: &State) -> Self {
        state.cache.clone()
    }
}

#[derive(Clone)]
struct Ctx;

impl FromRequestParts<State> for Ctx {
    type Rejection = Never;

    async fn from_request_parts(_: &mut Parts, _: &State) -> Result<Self, Never> {
        Ok(Ctx)
    }
}

impl isthmus_rpc::CacheScope for Ctx {
    fn cache_scope(&self) -> Option<String> {
        None
    }
}

#[derive(Clone, Debug, Deserialize, specta::Type, Validate)]
struct Point {
    x: i32,
    #[validate(range(min = -100, max = 100))]
    y: i32,
}

async fn sum(_: Ctx, point: Point) -> Result<i64, Never> {
    Ok(i64::from(point.x) + i64::from(point.y))
}

async fn checked(_: Ctx, Valid(point): Valid<Point>) -> Result<i64, Never> {
    Ok(i64::from(point.x) - i64::from(point.y))
}

async fn echo(_: Ctx, text: Option<String>) -> Result<Option<String>, Never> {
    Ok(text)
}

async fn count_to(_: Ctx, n: u8) -> Result<impl Stream<Item = u8>, Never> {
    Ok(stream::iter(1..=n))
}

fn app() -> &'static axum::Router {
    static APP: OnceLock<axum::Router> = OnceLock::new();
    APP.get_or_init(|| {
        let router = Router::new()
            .query("math.sum", sum)
            .cached_query("math.cachedSum", sum, Revalidate::every(Duration::from_secs(60)))
            .mutation("math.checked", checked)
            .mutation("text.echo", echo)
            .subscription("count.to", count_to);
        let config = RpcConfig {
            origins: OriginPolicy::new("http://app.test", []).expect("a valid origin"),
            body_limit: 64 * 1024,
            ..RpcConfig::default()
        };
        router.into_axum(State { cache: ResponseCache::new(1_000) }, config)
    })
}

/// The request the text describes, if it is one http can represent.
fn request(data: &[u8]) -> Option<Request<Body>> {
    let split = data.windows(2).position(|pair| pair == b"\n\n");
    let (head, body) = match split {
        Some(at) => (&data[..at], &data[at + 2..]),
        None => (data, &[][..]),
    };
    let head = std::str::from_utf8(head).ok()?;
    let mut lines = head.lines();
    let (method, target) = lines.next()?.split_once(' ')?;
    let mut request = Request::builder().method(Method::from_bytes(method.as_bytes()).ok()?).uri(target);
    for line in lines {
        let (name, value) = line.split_once(':')?;
        request = request.header(HeaderName::try_from(name.trim()).ok()?, HeaderValue::from_str(value.trim()).ok()?);
    }
    request.body(Body::from(Bytes::copy_from_slice(body))).ok()
}

fuzz_target!(|data: &[u8]| {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    let runtime =
        RUNTIME.get_or_init(|| tokio::runtime::Builder::new_current_thread().enable_time().build().expect("a runtime"));
    let Some(request) = request(data) else { return };
    runtime.block_on(async {
        let response = app().clone().oneshot(request).await.expect("the router is infallible");
        let status = response.status();
        let body = response.into_body().collect().await.map(|body| body.to_bytes());
        assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body:?}");
    });
});
