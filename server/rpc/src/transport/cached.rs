//! Cached results over HTTP: `ETag`, `Cache-Control`, and 304 for a client that already
//! holds the result.

use std::hash::{DefaultHasher, Hash, Hasher};

use axum::{
    body::{Body, Bytes},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

use headers::{ETag, Header, IfNoneMatch};

use crate::cache::Entry;

/// A cached result with its headers, kept with the entry; 304 when the client already has
/// it.
pub(crate) fn response<'a>(entry: &Entry, if_none_match: impl IntoIterator<Item = &'a HeaderValue>) -> Response {
    let mut headers = entry.http_headers.get_or_init(|| headers(entry)).clone();
    let unchanged = headers.get(header::ETAG).is_some_and(|etag| is_not_modified(if_none_match, etag));
    let mut response = if unchanged {
        headers.remove(header::CONTENT_TYPE);
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        Response::new(Body::from(entry.body.clone()))
    };
    *response.headers_mut() = headers;
    response
}

/// Whether a request's `If-None-Match` (all of its values) matches `etag`, with the weak
/// comparison RFC 9110 (13.1.2) prescribes for it: `W/"x"` matches `"x"` (what a proxy that
/// compressed the answer sends back), and `*` matches anything.
pub fn is_not_modified<'a>(if_none_match: impl IntoIterator<Item = &'a HeaderValue>, etag: &HeaderValue) -> bool {
    // Most requests carry no validator: they cost no parsing.
    let mut values = if_none_match.into_iter().peekable();
    if values.peek().is_none() {
        return false;
    }
    let Ok(etag) = etag.to_str().unwrap_or_default().parse::<ETag>() else { return false };
    match IfNoneMatch::decode(&mut values) {
        Ok(condition) => !condition.precondition_passes(&etag),
        Err(_) => false,
    }
}

/// `Content-Type`, `ETag` and `Cache-Control` (`no-cache`: HTTP caches must revalidate every
/// time, so a mutation's effect is never hidden by them; `private` for per-viewer results).
/// `Content-Length` is left to axum, which sets it after the procedure's layers.
fn headers(entry: &Entry) -> HeaderMap {
    let cache_control = if entry.per_viewer { "private, no-cache" } else { "public, no-cache" };
    HeaderMap::from_iter([
        (header::CONTENT_TYPE, HeaderValue::from_static("application/json")),
        (header::ETAG, strong_etag(&entry.body)),
        (header::CACHE_CONTROL, HeaderValue::from_static(cache_control)),
    ])
}

/// A strong validator for `body`: the same for the same bytes, in every process of one build.
pub fn strong_etag(body: &[u8]) -> HeaderValue {
    let mut hasher = DefaultHasher::new();
    body.hash(&mut hasher);
    let quoted_hex = Bytes::from(format!("\"{:016x}\"", hasher.finish()));
    HeaderValue::from_maybe_shared(quoted_hex).expect("quoted hex is a valid header value")
}
