//! HTTP batching: the calls a page makes in one tick travel in one request.
//!
//! # Format
//!
//! - `GET /rpc?batch=<url-encoded JSON>` for queries only (cacheable like a single query), or
//!   `POST /rpc` with `Content-Type: application/json` for queries and mutations.
//! - The batch is an array of calls: `[{"path":"posts.list","input":{…}},{"path":"health"}]`.
//! - The answer is 200 with one result per call, in order:
//!   `[{"status":200,"body":<output>},{"status":404,"body":<error envelope>}]`, where status
//!   and body are exactly what the call would have answered on its own.
//! - Calls run concurrently; each passes through its procedure's route with the batch's
//!   headers, so context, guards and tower layers behave as for a single call.
//! - Cookies a call sets (`Set-Cookie`) are set by the batch's answer.
//! - Subscriptions cannot be batched. A malformed batch fails as a whole with a protocol error.

use std::{collections::HashMap, net::SocketAddr, sync::Arc};

use axum::{
    body::{Body, Bytes},
    extract::{ConnectInfo, Request},
    http::{HeaderValue, Method, StatusCode, header},
    response::Response,
    routing::{MethodRouter, get},
};
use futures_util::future::join_all;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use tower::ServiceExt;
use tracing::Instrument;

use super::{
    BatchedInput, RpcConfig,
    body::{is_form, query_param, read_json_body, within},
    response::{RequestId, failure_response, json_response},
};
use crate::{
    error::{Failure, ProtocolError},
    input,
    procedure::{Kind, is_valid_name},
};

#[derive(Deserialize)]
struct BatchCall {
    path: String,
    input: Option<Box<RawValue>>,
}

#[derive(Serialize)]
struct BatchResult {
    status: u16,
    body: Box<RawValue>,
}

struct Batch {
    procedures: axum::Router,
    kinds: HashMap<&'static str, Kind>,
    config: Arc<RpcConfig>,
}

pub(crate) fn route(
    procedures: axum::Router,
    kinds: HashMap<&'static str, Kind>,
    config: Arc<RpcConfig>,
) -> MethodRouter {
    let batch = Arc::new(Batch { procedures, kinds, config });
    let for_post = batch.clone();
    get(move |request: Request| serve(batch.clone(), request))
        .post(move |request: Request| serve(for_post.clone(), request))
        // HEAD would run every call of the batch for nothing.
        .head(|| async { StatusCode::METHOD_NOT_ALLOWED })
}

async fn serve(batch: Arc<Batch>, request: Request) -> Response {
    let request_id = RequestId::next();
    let span = tracing::info_span!("rpc.batch", request_id = %request_id, calls = tracing::field::Empty);
    async {
        match batch.run(request).await {
            Ok((body, cookies)) => {
                let mut response = json_response(StatusCode::OK, body);
                for cookie in cookies {
                    response.headers_mut().append(header::SET_COOKIE, cookie);
                }
                response
            }
            Err(error) => {
                tracing::info!(%error, "batch rejected");
                failure_response(&Failure::Protocol(error), &request_id)
            }
        }
    }
    .instrument(span)
    .await
}

impl Batch {
    /// The results as JSON, and the `Set-Cookie` values of all calls.
    async fn run(&self, request: Request) -> Result<(String, Vec<HeaderValue>), ProtocolError> {
        let (parts, body) = request.into_parts();
        let via_get = parts.method == Method::GET;
        let raw = if via_get {
            query_param(&parts, "batch")
        } else {
            // A posted batch may carry mutations: the same origin rule as a single mutation.
            self.config.origins.check(&parts.headers, is_form(&parts.headers))?;
            within(self.config.body_timeout, read_json_body(&parts.headers, body, self.config.body_limit)).await?
        };
        let raw =
            raw.ok_or_else(|| ProtocolError::MalformedJson { message: "a batch needs a JSON array of calls".into() })?;
        // The array and each call's object add two levels above the inputs.
        input::check_depth(&raw, self.config.max_depth.saturating_add(2))?;
        let calls: Vec<BatchCall> = input::decode(Some(&raw))?;
        if calls.len() > self.config.max_batch {
            return Err(ProtocolError::BatchTooLarge {
                limit: u32::try_from(self.config.max_batch).unwrap_or(u32::MAX),
            });
        }
        tracing::Span::current().record("calls", calls.len());
        let mut headers = parts.headers;
        headers.remove(header::CONTENT_LENGTH);
        // Rate limits key on the caller's address: each call of the batch carries it too.
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().copied();
        let answers = join_all(calls.into_iter().map(|call| self.call(call, via_get, &headers, peer))).await;
        let (results, cookies): (Vec<BatchResult>, Vec<Vec<HeaderValue>>) = answers.into_iter().unzip();
        let json = serde_json::to_string(&results).expect("batch results are JSON");
        Ok((json, cookies.into_iter().flatten().collect()))
    }

    async fn call(
        &self,
        call: BatchCall,
        via_get: bool,
        headers: &header::HeaderMap,
        peer: Option<ConnectInfo<SocketAddr>>,
    ) -> (BatchResult, Vec<HeaderValue>) {
        let kind = self.kinds.get(call.path.as_str()).copied();
        if !is_valid_name(&call.path) || kind.is_none() {
            return (local_failure(ProtocolError::UnknownProcedure { name: call.path }), Vec::new());
        }
        let method = match kind {
            Some(Kind::Subscription) => {
                return (local_failure(ProtocolError::NotBatchable { name: call.path }), Vec::new());
            }
            Some(Kind::Mutation) if !via_get => Method::POST,
            _ => Method::GET,
        };
        let input = call.input.map(|raw| Bytes::from(Box::<str>::from(raw).into_boxed_bytes()));
        let mut request = Request::new(Body::empty());
        *request.method_mut() = method;
        *request.uri_mut() = format!("/rpc/{}", call.path).parse().expect("procedure names are valid paths");
        *request.headers_mut() = headers.clone();
        request.extensions_mut().insert(BatchedInput(input));
        if let Some(peer) = peer {
            request.extensions_mut().insert(peer);
        }
        let response = self.procedures.clone().oneshot(request).await.unwrap_or_else(|never| match never {});
        let status = response.status().as_u16();
        let cookies = response.headers().get_all(header::SET_COOKIE).iter().cloned().collect();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap_or_default();
        (BatchResult { status, body: embed(body) }, cookies)
    }
}

fn local_failure(error: ProtocolError) -> BatchResult {
    let failure = Failure::Protocol(error);
    let envelope = failure.envelope(&RequestId::next().to_string());
    BatchResult {
        status: failure.status().as_u16(),
        body: RawValue::from_string(envelope).expect("envelopes are JSON"),
    }
}

/// Responses from procedure routes are JSON; a body from an application layer that is not
/// is embedded as a JSON string rather than corrupting the batch.
fn embed(body: Bytes) -> Box<RawValue> {
    let text = String::from_utf8_lossy(&body).into_owned();
    match serde_json::from_str::<&RawValue>(&text) {
        Ok(_) => RawValue::from_string(text).expect("validated above"),
        Err(_) => serde_json::value::to_raw_value(&text).expect("a string is JSON"),
    }
}
