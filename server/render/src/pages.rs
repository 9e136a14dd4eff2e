//! Answering a page request: the cached HTML, or a render whose data comes from in-process
//! query calls, then the document with its status, redirect, validator and cookies.

use std::{
    collections::BTreeSet,
    sync::{Arc, atomic::Ordering},
    time::Duration,
};

use axum::{
    body::{Body, Bytes},
    extract::{FromRequestParts, Request},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Response},
};
use futures_util::future::join_all;
use rpc::{CacheScope, LocalQueries, ProcedureError, ResponseCache};
use serde_json::value::RawValue;

use crate::{
    Engine, RenderError,
    document::Template,
    engine::Step,
    page_cache::{Lookup, Page, PageCache, PageKey, PageStats},
    protocol::{QueryCall, QueryResult, RenderInput, Rendered},
};

/// Most render steps for one page: each step after the first answers the queries the one
/// before asked for (a route whose data depends on other data takes several).
const MAX_STEPS: usize = 6;

/// How pages are served.
#[derive(Clone, Debug)]
pub struct PagesOptions {
    /// The site's public origin (`https://example.com`), what absolute links in a page
    /// (canonical URLs, Open Graph) start with.
    pub origin: String,
    /// The most HTML the page cache keeps, in bytes; 0 renders every request (to measure
    /// renders).
    pub cache_bytes: usize,
}

impl PagesOptions {
    /// The site at `origin`, with a page cache of 64 MiB.
    pub fn new(origin: impl Into<String>) -> Self {
        PagesOptions { origin: origin.into(), cache_bytes: 64 * 1024 * 1024 }
    }
}

/// Server-rendered pages of the app, as an axum handler (the router's fallback, after the
/// procedures and static files). Cheap to clone.
pub struct Pages<C, S> {
    inner: Arc<Inner<C, S>>,
}

impl<C, S> Clone for Pages<C, S> {
    fn clone(&self) -> Self {
        Pages { inner: self.inner.clone() }
    }
}

struct Inner<C, S> {
    engine: Engine,
    queries: LocalQueries<C, S>,
    template: Template,
    cache: PageCache,
    origin: String,
}

/// How one render ended, before it becomes a response.
enum Outcome {
    Page { status: StatusCode, html: Bytes, keep: Option<Keep> },
    Redirect { status: StatusCode, location: HeaderValue },
}

/// How a rendered page may be kept: the route's interval and the tags of its data.
struct Keep {
    every: Duration,
    tags: Vec<String>,
}

impl<C, S> Pages<C, S>
where
    C: FromRequestParts<S> + CacheScope + Clone + Send + Sync + 'static,
    C::Rejection: ProcedureError,
    S: Send + Sync + 'static,
{
    /// Pages rendered by `engine` with data from `queries`, into `template`. Cached pages
    /// follow the invalidations of `results`, the result cache the queries use.
    pub fn new(
        engine: Engine,
        queries: LocalQueries<C, S>,
        template: Template,
        results: &ResponseCache,
        options: PagesOptions,
    ) -> Self {
        let cache = PageCache::new(options.cache_bytes);
        let inner = Arc::new(Inner { engine, queries, template, cache, origin: options.origin });
        let weak = Arc::downgrade(&inner);
        results.on_invalidate(move |tag| {
            if let Some(inner) = weak.upgrade() {
                inner.cache.invalidate(tag);
            }
        });
        Pages { inner }
    }

    /// Hits, misses, refreshes and fallbacks of the page cache.
    pub fn stats(&self) -> PageStats {
        self.inner.cache.stats()
    }

    /// The engine's render counts.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// Answers a page request (`GET` or `HEAD`).
    pub async fn serve(self, request: Request) -> Response {
        let (mut parts, _body) = request.into_parts();
        if parts.method != Method::GET && parts.method != Method::HEAD {
            let mut response = StatusCode::METHOD_NOT_ALLOWED.into_response();
            response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            return response;
        }
        let url = parts.uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
        let ctx = match self.inner.queries.context(&mut parts).await {
            Ok(ctx) => ctx,
            Err(answer) => {
                tracing::error!(url, status = answer.status.as_u16(), "page context failed");
                return self.fallback(StatusCode::INTERNAL_SERVER_ERROR);
            }
        };
        let key = PageKey { url, scope: ctx.cache_scope() };
        let mut response = match self.inner.cache.lookup(&key) {
            Lookup::Fresh(page) => cached(&page, &parts.headers, key.scope.is_some()),
            Lookup::Stale { page, refresh } => {
                if refresh {
                    tokio::spawn(self.clone().refresh(key.clone(), ctx, page.clone()));
                }
                cached(&page, &parts.headers, key.scope.is_some())
            }
            Lookup::Missing => {
                let generation = self.inner.cache.generation();
                match self.render(&key.url, ctx).await {
                    Ok(Outcome::Page { status, html, keep }) => {
                        let private = key.scope.is_some() || keep.is_none();
                        match keep {
                            Some(keep) if status == StatusCode::OK => {
                                let page = Page::new(html, keep.every, keep.tags);
                                let response = page_response(status, &page.html, &page.etag, &parts.headers, private);
                                self.inner.cache.store(key, page, generation);
                                response
                            }
                            _ => page_response(status, &html, &rpc::strong_etag(&html), &parts.headers, private),
                        }
                    }
                    Ok(Outcome::Redirect { status, location }) => {
                        let mut response = status.into_response();
                        response.headers_mut().insert(header::LOCATION, location);
                        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                        response
                    }
                    Err(error) => {
                        self.inner.cache.fallbacks.fetch_add(1, Ordering::Relaxed);
                        tracing::error!(url = key.url, %error, "render failed; answering the client shell");
                        self.fallback(StatusCode::OK)
                    }
                }
            }
        };
        self.inner.queries.write_cookies(&parts, response.headers_mut());
        response
    }

    /// Renders a stale page again in the background; keeps the stale one if it fails.
    async fn refresh(self, key: PageKey, ctx: C, stale: Arc<Page>) {
        let generation = self.inner.cache.generation();
        match self.render(&key.url, ctx).await {
            Ok(Outcome::Page { status: StatusCode::OK, html, keep: Some(keep) }) => {
                // Not stored (an invalidation overlapped it): drop the stale page as well, so
                // that the next reader renders rather than a stale page staying for good.
                if !self.inner.cache.store(key.clone(), Page::new(html, keep.every, keep.tags), generation) {
                    self.inner.cache.forget(&key, &stale);
                }
            }
            Ok(_) => self.inner.cache.forget(&key, &stale),
            Err(error) => {
                self.inner.cache.fallbacks.fetch_add(1, Ordering::Relaxed);
                tracing::error!(url = key.url, %error, "background render failed; the next reader renders");
                self.inner.cache.forget(&key, &stale);
            }
        }
    }

    /// Runs render steps until the bundle answers, calling the queries it asks for between
    /// steps, concurrently, with the request's context.
    async fn render(&self, url: &str, ctx: C) -> Result<Outcome, RenderError> {
        let mut results: Vec<QueryResult> = Vec::new();
        for _ in 0..MAX_STEPS {
            let input = serde_json::to_string(&RenderInput { url, origin: &self.inner.origin, results: &results })
                .expect("serializable");
            match self.inner.engine.step(input).await? {
                Step::Done(answer) => return self.outcome(&answer, &results),
                Step::Needs(needs) => {
                    let calls: Vec<QueryCall> =
                        serde_json::from_str(&needs).map_err(|error| RenderError::Contract(error.to_string()))?;
                    let new: Vec<QueryCall> =
                        calls.into_iter().filter(|call| !results.iter().any(|r| &r.call == call)).collect();
                    if new.is_empty() {
                        return Err(RenderError::Stalled);
                    }
                    let answers = join_all(new.iter().map(|call| {
                        let input = call.input.clone().map(Bytes::from);
                        self.inner.queries.call(ctx.clone(), &call.name, input)
                    }))
                    .await;
                    for (call, answer) in new.into_iter().zip(answers) {
                        let body = String::from_utf8(answer.body.to_vec())
                            .ok()
                            .and_then(|json| RawValue::from_string(json).ok());
                        let Some(body) = body else {
                            return Err(RenderError::Contract(format!("{} answered non-JSON", call.name)));
                        };
                        let cached = answer.cached.map(|cached| cached.tags);
                        results.push(QueryResult { call, status: answer.status.as_u16(), body, cached });
                    }
                }
            }
        }
        Err(RenderError::Stalled)
    }

    fn outcome(&self, answer: &str, results: &[QueryResult]) -> Result<Outcome, RenderError> {
        let rendered: Rendered =
            serde_json::from_str(answer).map_err(|error| RenderError::Contract(error.to_string()))?;
        match rendered {
            Rendered::Page { status, html, head, state, revalidate } => {
                let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                // Kept only when every query it read is itself cached: their tags then say
                // when the page is out of date.
                let keep = revalidate.filter(|_| results.iter().all(|r| r.cached.is_some())).map(|seconds| Keep {
                    every: Duration::from_secs(seconds),
                    tags: results
                        .iter()
                        .flat_map(|r| r.cached.iter().flatten().cloned())
                        .collect::<BTreeSet<_>>()
                        .into_iter()
                        .collect(),
                });
                let html = self.inner.template.page(&head, &html, &state);
                Ok(Outcome::Page { status, html: html.into(), keep })
            }
            Rendered::Redirect { status, location } => {
                let redirection = [301, 302, 303, 307, 308];
                let status = StatusCode::from_u16(status).ok().filter(|s| redirection.contains(&s.as_u16()));
                let header = rpc::is_site_path(&location).then(|| HeaderValue::try_from(&location).ok()).flatten();
                match (status, header) {
                    (Some(status), Some(location)) => Ok(Outcome::Redirect { status, location }),
                    _ => Err(RenderError::Contract(format!(
                        "a route redirected off-site or with a bad status: {location}"
                    ))),
                }
            }
        }
    }

    /// The client shell: the page renders in the browser.
    fn fallback(&self, status: StatusCode) -> Response {
        let mut response = (status, self.inner.template.shell()).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

fn cached(page: &Page, request: &HeaderMap, private: bool) -> Response {
    page_response(StatusCode::OK, &page.html, &page.etag, request, private)
}

/// The document with its validator: 304 when the client holds it (weak comparison: a proxy
/// that compressed the page sends `W/"…"`).
fn page_response(status: StatusCode, html: &Bytes, etag: &HeaderValue, request: &HeaderMap, private: bool) -> Response {
    let unchanged = status == StatusCode::OK && rpc::is_not_modified(request.get_all(header::IF_NONE_MATCH), etag);
    let mut response = if unchanged {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (status, Body::from(html.clone())).into_response()
    };
    let headers = response.headers_mut();
    if !unchanged {
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    }
    headers.insert(header::ETAG, etag.clone());
    // Revalidated on every use: a write is never hidden by an HTTP cache.
    let cache_control = if private { "private, no-cache" } else { "public, no-cache" };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache_control));
    headers.insert(header::VARY, HeaderValue::from_static("Cookie"));
    response
}
