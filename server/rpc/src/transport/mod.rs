//! The HTTP transport of a [`Router`]: one axum route per procedure plus the batch route.
//!
//! # Wire format
//!
//! - Query: `GET /rpc/{name}?input=<url-encoded JSON>`; omit `input` for procedures without one.
//! - Mutation: `POST /rpc/{name}`, `Content-Type: application/json`, the input as the body
//!   (an empty body means no input); or an HTML form post (see `form.rs`). Browsers must
//!   send an allowed `Origin` (see `origin.rs`).
//! - Subscription: `GET /rpc/{name}?input=…`, answered with `text/event-stream`: one
//!   `event: data` per item (its JSON in `data:`), then `event: end` when the stream ends.
//!   Errors before the stream starts are ordinary error responses.
//! - Success: status 200 and the output's JSON as the body.
//! - Failure: the status (400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 500, …) and an envelope
//!   `{"kind":"procedure","status":409,"requestId":"…","error":<the procedure's error>}`,
//!   `{"kind":"protocol","status":400,"requestId":"…","error":{"code":"MALFORMED_JSON",…},"message":"…"}` or
//!   `{"kind":"internal","status":500,"requestId":"…"}`. The request id is also in `x-request-id`.
//! - A body that cannot be read as its media type says (a broken multipart body, a connection
//!   cut mid-body) is `MALFORMED_BODY` (400); JSON that does not parse is `MALFORMED_JSON`.
//! - Batch: see `batch.rs`.

mod accept;
mod batch;
mod body;
mod cached;
mod client_ip;
mod cookies;
mod form;
mod local;
mod origin;
mod response;
mod shutdown;
mod subscriptions;

use std::{
    convert::Infallible,
    panic::AssertUnwindSafe,
    sync::Arc,
    time::{Duration, Instant},
};

use axum::{
    Extension,
    body::{Body, Bytes},
    extract::{FromRef, FromRequestParts, Request},
    http::{HeaderName, HeaderValue, StatusCode, header, request::Parts},
    response::{
        IntoResponse, Response,
        sse::{Event, KeepAlive, Sse},
    },
    routing::{MethodRouter, any, get, post},
};
use futures_util::{FutureExt, StreamExt, stream};
use tracing::{Instrument, field};

pub use accept::{ConnectionLimits, serve};
pub use cached::{is_not_modified, strong_etag};
pub use cookies::Cookies;
pub use form::Upload;
pub use form::is_site_path;
pub use local::{CachedAs, LocalAnswer, LocalQueries};
pub use origin::{InvalidOrigin, OriginPolicy};
pub use shutdown::Shutdown;

use self::{
    body::{is_form, query_param, read_json_body, within},
    form::FormReply,
    response::{RequestId, failure_response, json_response},
    subscriptions::SubscriptionSlots,
};
use crate::{
    Router,
    cache::ResponseCache,
    error::{Failure, ProcedureError, ProtocolError},
    handler::{Call, CallEnv, RawInput, Reply},
    input,
    procedure::{Kind, ProcedureMeta},
    rate_limit::Limiter,
};

/// How the layer serves: limits applied to every call, who may call mutations, and the handle
/// that ends subscriptions at shutdown. An application builds it from its settings at start-up.
#[derive(Clone, Debug)]
pub struct RpcConfig {
    /// Largest accepted request body, in bytes (mutations and POSTed batches).
    pub body_limit: usize,
    /// Longest wait for a whole request body; a stalled one is 408 and its connection closed.
    pub body_timeout: Duration,
    /// Deepest accepted nesting of arrays and objects in an input.
    pub max_depth: u32,
    /// Most calls accepted in one batch.
    pub max_batch: usize,
    /// Origins allowed to call mutations from a browser (default: none).
    pub origins: OriginPolicy,
    /// The header a trusted reverse proxy puts the client address in (`x-forwarded-for`);
    /// `None` trusts only the connection's address.
    pub client_ip_header: Option<HeaderName>,
    /// Subscriptions one client (by address, as for rate limits) may hold open at once; the
    /// next is refused with 429 `TOO_MANY_SUBSCRIPTIONS`.
    pub max_subscriptions_per_client: usize,
    /// Ends open subscriptions when triggered (before a graceful shutdown waits for them).
    pub shutdown: Shutdown,
}

impl Default for RpcConfig {
    fn default() -> Self {
        RpcConfig {
            body_limit: 1024 * 1024,
            body_timeout: Duration::from_secs(30),
            max_depth: 64,
            max_batch: 32,
            origins: OriginPolicy::none(),
            client_ip_header: None,
            max_subscriptions_per_client: 16,
            shutdown: Shutdown::default(),
        }
    }
}

/// Input already taken from a batch request; the procedure route must not read its own.
#[derive(Clone)]
pub(crate) struct BatchedInput(pub(crate) Option<Bytes>);

impl<C: Send + 'static> Router<C> {
    /// Serves the procedures under `/rpc`. `C` is built per call by its `FromRequestParts`
    /// implementation over `state`. `cached_query` results are kept in the state's
    /// [`ResponseCache`], read once here: `FromRef` must hand out the state's one cache (a
    /// clone of its handle), the same one procedures revalidate tags through. Every state
    /// provides one, even for routers without cached queries.
    pub fn into_axum<S>(self, state: S, config: RpcConfig) -> axum::Router
    where
        C: FromRequestParts<S>,
        C::Rejection: ProcedureError,
        S: Clone + Send + Sync + 'static,
        ResponseCache: FromRef<S>,
    {
        let cache = ResponseCache::from_ref(&state);
        let config = Arc::new(config);
        let subscriptions = Arc::new(SubscriptionSlots::default());
        let kinds = self.procedures.iter().map(|p| (p.meta.name, p.meta.kind)).collect();
        let mut routes = axum::Router::new();
        for procedure in self.procedures {
            let meta = procedure.meta;
            let call = procedure.call;
            let target = Arc::new(Target {
                call,
                meta,
                limiters: procedure.limiters,
                state: state.clone(),
                cache: cache.clone(),
                config: config.clone(),
                subscriptions: subscriptions.clone(),
            });
            let handler = move |request: Request| answer(target.clone(), request);
            let route: MethodRouter = match meta.kind {
                // HEAD would run the procedure for nothing (axum answers it with GET's handler).
                Kind::Query | Kind::Subscription => get(handler).head(move || async move { method_not_allowed(meta) }),
                Kind::Mutation => post(handler),
            };
            let mut route = route.fallback(move || async move { method_not_allowed(meta) });
            // Layering boxes the route, a cost per call: only where the application asked.
            if !procedure.layers.is_empty() {
                for layer in &procedure.layers {
                    route = layer(route);
                }
                // Outermost, so that the application's layers can read it.
                route = route.layer(Extension(meta));
            }
            routes = routes.route(&format!("/rpc/{}", meta.name), route);
        }
        let routes = routes.route("/rpc/", any(unknown_procedure)).route("/rpc/{*name}", any(unknown_procedure));
        let batch = batch::route(routes.clone(), kinds, config);
        routes.route("/rpc", batch)
    }
}

/// What one procedure route calls; one `Arc` per route, so a call clones one pointer.
struct Target<C, S> {
    call: Call<C>,
    meta: ProcedureMeta,
    limiters: Vec<Arc<Limiter>>,
    state: S,
    cache: ResponseCache,
    config: Arc<RpcConfig>,
    /// Shared by the router's subscriptions.
    subscriptions: Arc<SubscriptionSlots>,
}

async fn answer<C, S>(target: Arc<Target<C, S>>, request: Request) -> Response
where
    C: FromRequestParts<S> + Send + 'static,
    C::Rejection: ProcedureError,
    S: Send + Sync,
{
    let (meta, config) = (target.meta, &target.config);
    let request_id = RequestId::next();
    let span = tracing::info_span!(
        "rpc",
        procedure = meta.name,
        kind = meta.kind.as_str(),
        request_id = %request_id,
        outcome = field::Empty,
        status = field::Empty,
        duration_us = field::Empty,
    );
    // Only measured when the span records it.
    let started = (!span.is_disabled()).then(Instant::now);
    let (mut parts, body) = request.into_parts();
    let form_reply = (meta.kind == Kind::Mutation && is_form(&parts.headers))
        .then(|| FormReply::of(&parts.headers, &config.origins));
    let outcome = AssertUnwindSafe(execute(&target, &mut parts, body))
        .catch_unwind()
        .instrument(span.clone())
        .await
        .unwrap_or_else(|panic| {
            let message = panic_message(&*panic);
            span.in_scope(|| tracing::error!(panic = message, "procedure panicked"));
            Err(Failure::Internal)
        });
    let mut response = match (outcome, form_reply) {
        (Ok(Reply::Json(_)), Some(FormReply::Navigation { back_to })) => form::redirect_after(meta.name, &back_to),
        (Err(failure), Some(FormReply::Navigation { back_to })) => {
            form::error_page(&failure, &request_id.to_string(), &back_to)
        }
        (Ok(Reply::Json(body)), _) => json_response(StatusCode::OK, body),
        (Ok(Reply::Cached(entry)), _) => cached::response(&entry, parts.headers.get_all(header::IF_NONE_MATCH)),
        (Ok(Reply::Stream(items)), _) => event_stream(items, config.shutdown.triggered()),
        (Err(failure), _) => failure_response(&failure, &request_id),
    };
    if let Some(cookies) = parts.extensions.get::<Cookies>() {
        cookies.write(response.headers_mut(), config.origins.is_https());
    }
    let status = response.status();
    let _entered = span.enter();
    span.record("status", status.as_u16());
    if let Some(started) = started {
        span.record("duration_us", started.elapsed().as_micros() as u64);
    }
    if status.is_server_error() {
        span.record("outcome", "error");
        tracing::error!("call failed");
    } else if status.is_client_error() {
        span.record("outcome", "rejected");
        tracing::info!("call rejected");
    } else {
        span.record("outcome", "ok");
        tracing::debug!("call succeeded");
    }
    drop(_entered);
    response
}

/// Runs one call. What the context extracted stays in `parts` (the call's `Cookies`).
async fn execute<C, S>(target: &Target<C, S>, parts: &mut Parts, body: Body) -> Result<Reply, Failure>
where
    C: FromRequestParts<S> + Send + 'static,
    C::Rejection: ProcedureError,
    S: Send + Sync,
{
    let config = &target.config;
    let batched = parts.extensions.remove::<BatchedInput>();
    if batched.is_none() && target.meta.kind == Kind::Mutation {
        config.origins.check(&parts.headers, is_form(&parts.headers))?;
    }
    for limiter in target.limiters.iter() {
        let key = limiter.key(parts).unwrap_or_else(|| client_ip::of(parts, config.client_ip_header.as_ref()));
        limiter.check(&key)?;
    }
    let slot = match target.meta.kind {
        Kind::Subscription => Some(
            target
                .subscriptions
                .take(client_ip::of(parts, config.client_ip_header.as_ref()), config.max_subscriptions_per_client)?,
        ),
        Kind::Query | Kind::Mutation => None,
    };
    let raw = match batched {
        Some(BatchedInput(raw)) => RawInput::Json(raw),
        None if target.meta.kind == Kind::Mutation && is_form(&parts.headers) => RawInput::Form {
            pairs: Box::pin(within(config.body_timeout, form::read(&parts.headers, body, config.body_limit))).await?,
            max_depth: config.max_depth,
        },
        None if target.meta.kind == Kind::Mutation => RawInput::Json(
            Box::pin(within(config.body_timeout, read_json_body(&parts.headers, body, config.body_limit))).await?,
        ),
        None => RawInput::Json(query_param(parts, "input")),
    };
    if let RawInput::Json(Some(raw)) = &raw {
        input::check_depth(raw, config.max_depth)?;
    }
    let ctx = C::from_request_parts(parts, &target.state).await.map_err(Failure::from_error)?;
    let reply = (target.call)(ctx, raw, CallEnv { cache: target.cache.clone() }).await?;
    Ok(match (reply, slot) {
        // The slot lives as long as the stream: until it ends or its client goes away.
        (Reply::Stream(items), Some(slot)) => Reply::Stream(
            items
                .map(move |item| {
                    let _open = &slot;
                    item
                })
                .boxed(),
        ),
        (reply, _) => reply,
    })
}

fn method_not_allowed(meta: ProcedureMeta) -> Response {
    let allowed = meta.kind.method();
    let error = ProtocolError::MethodNotAllowed {
        name: meta.name.to_owned(),
        kind: meta.kind.as_str().to_owned(),
        allowed: allowed.to_string(),
    };
    let request_id = RequestId::next();
    tracing::info!(procedure = meta.name, %request_id, "wrong method for procedure");
    let mut response = failure_response(&error.into(), &request_id);
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_str(allowed.as_str()).expect("a method is a valid header"));
    response
}

async fn unknown_procedure(request: Request) -> Response {
    let name = request.uri().path().trim_start_matches("/rpc/").to_owned();
    let request_id = RequestId::next();
    tracing::info!(procedure = %name, %request_id, "unknown procedure");
    failure_response(&ProtocolError::UnknownProcedure { name }.into(), &request_id)
}

/// The items as server-sent events, then `event: end` — when the items end, or when the server
/// stops (`stopping`).
fn event_stream(
    items: futures_util::stream::BoxStream<'static, Bytes>,
    stopping: impl Future<Output = ()> + Send + 'static,
) -> Response {
    let events = items
        .take_until(stopping)
        .map(|json| Event::default().event("data").data(String::from_utf8_lossy(&json)))
        .chain(stream::once(async { Event::default().event("end").data("") }))
        .map(Ok::<_, Infallible>);
    Sse::new(events).keep_alive(KeepAlive::default()).into_response()
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("non-string panic payload")
}
