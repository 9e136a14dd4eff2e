//! Queries called from inside the server process, for a request the process is already
//! answering (a page rendered on the server reads its data this way): no HTTP round trip,
//! the context built once per request, and the same decoding, guards and result cache as
//! `GET /rpc/{name}`.

use std::{collections::HashMap, panic::AssertUnwindSafe, sync::Arc};

use axum::{
    body::Bytes,
    extract::{FromRef, FromRequestParts},
    http::{HeaderMap, StatusCode, request::Parts},
};
use futures_util::FutureExt;
use tracing::Instrument;

use super::{Cookies, RpcConfig, panic_message, response::RequestId};
use crate::{
    Router,
    cache::ResponseCache,
    error::{Failure, ProcedureError, ProtocolError},
    handler::{Call, CallEnv, RawInput, Reply},
    input,
    procedure::Kind,
};

/// The queries of a router, callable in-process with a context the caller built (see
/// [`Router::local_queries`]). Cheap to clone.
///
/// What HTTP adds around a call does not apply here: rate limits and tower layers guard
/// requests, and the request that triggered these calls already passed them.
pub struct LocalQueries<C, S> {
    inner: Arc<Inner<C, S>>,
}

impl<C, S> Clone for LocalQueries<C, S> {
    fn clone(&self) -> Self {
        LocalQueries { inner: self.inner.clone() }
    }
}

struct Inner<C, S> {
    queries: HashMap<&'static str, Call<C>>,
    state: S,
    cache: ResponseCache,
    max_depth: u32,
    secure_cookies: bool,
}

/// The answer to one in-process call: what `GET /rpc/{name}` would have answered.
#[derive(Clone, Debug)]
pub struct LocalAnswer {
    /// 200, or the status of the failure.
    pub status: StatusCode,
    /// The output's JSON, or the error envelope (see the wire format).
    pub body: Bytes,
    /// How the result is cached, when it came from (or went into) the result cache.
    pub cached: Option<CachedAs>,
}

/// How a cached query's result is kept: what a page built from it inherits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CachedAs {
    /// Its cache tags: revalidating one drops the result.
    pub tags: Vec<String>,
}

impl LocalAnswer {
    /// The failure's envelope under `request_id`, the id its log lines carry.
    fn failure(failure: &Failure, request_id: &RequestId) -> Self {
        let body = failure.envelope(&request_id.to_string()).into();
        LocalAnswer { status: failure.status(), body, cached: None }
    }
}

impl<C: Send + 'static> Router<C> {
    /// The router's queries for in-process calls over `state`, as [`Router::into_axum`] serves
    /// them (take them before, which consumes the router). Mutations and subscriptions are not
    /// included: only reads run on behalf of a page.
    pub fn local_queries<S>(&self, state: S, config: &RpcConfig) -> LocalQueries<C, S>
    where
        ResponseCache: FromRef<S>,
    {
        let queries = self
            .procedures
            .iter()
            .filter(|procedure| procedure.meta.kind == Kind::Query)
            .map(|procedure| (procedure.meta.name, procedure.call.clone()))
            .collect();
        LocalQueries {
            inner: Arc::new(Inner {
                queries,
                cache: ResponseCache::from_ref(&state),
                state,
                max_depth: config.max_depth,
                secure_cookies: config.origins.is_https(),
            }),
        }
    }
}

impl<C, S> LocalQueries<C, S>
where
    C: FromRequestParts<S> + Clone + Send + 'static,
    C::Rejection: ProcedureError,
    S: Send + Sync,
{
    /// The request's context, built once for all the calls made on its behalf; a rejection
    /// (the context's typed error) is answered as a call would have been.
    pub async fn context(&self, parts: &mut Parts) -> Result<C, LocalAnswer> {
        C::from_request_parts(parts, &self.inner.state)
            .await
            .map_err(|rejection| LocalAnswer::failure(&Failure::from_error(rejection), &RequestId::next()))
    }

    /// Calls query `name` with `input` (JSON text; `None` for no input) as `ctx`.
    pub async fn call(&self, ctx: C, name: &str, input: Option<Bytes>) -> LocalAnswer {
        let request_id = RequestId::next();
        let span =
            tracing::info_span!("rpc", procedure = name, kind = "query", transport = "local", request_id = %request_id);
        let Some(call) = self.inner.queries.get(name) else {
            tracing::info!(parent: &span, "unknown procedure");
            return LocalAnswer::failure(
                &ProtocolError::UnknownProcedure { name: name.to_owned() }.into(),
                &request_id,
            );
        };
        if let Some(raw) = &input
            && let Err(error) = input::check_depth(raw, self.inner.max_depth)
        {
            return LocalAnswer::failure(&error.into(), &request_id);
        }
        let env = CallEnv { cache: self.inner.cache.clone() };
        let outcome = AssertUnwindSafe(call(ctx, RawInput::Json(input), env))
            .catch_unwind()
            .instrument(span.clone())
            .await
            .unwrap_or_else(|panic| {
                span.in_scope(|| tracing::error!(panic = panic_message(&*panic), "procedure panicked"));
                Err(Failure::Internal)
            });
        match outcome {
            Ok(Reply::Json(body)) => LocalAnswer { status: StatusCode::OK, body, cached: None },
            Ok(Reply::Cached(entry)) => LocalAnswer {
                status: StatusCode::OK,
                body: entry.body.clone(),
                cached: Some(CachedAs { tags: entry.tags().to_vec() }),
            },
            Ok(Reply::Stream(_)) => unreachable!("only queries are registered"),
            Err(failure) => {
                span.in_scope(|| match failure {
                    Failure::Internal => tracing::error!("call failed"),
                    _ => tracing::info!(status = failure.status().as_u16(), "call rejected"),
                });
                LocalAnswer::failure(&failure, &request_id)
            }
        }
    }

    /// Writes the cookies the context and the calls set onto the answer's headers, as the
    /// procedure routes do.
    pub fn write_cookies(&self, parts: &Parts, headers: &mut HeaderMap) {
        if let Some(cookies) = parts.extensions.get::<Cookies>() {
            cookies.write(headers, self.inner.secure_cookies);
        }
    }
}
