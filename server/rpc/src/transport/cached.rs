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
    let values: Vec<&HeaderValue> = values.collect();
    // A tag with a space or a control character inside its quotes is no validator (RFC 9110
    // etagc), and the `headers` crate asserts it never sees one (a panic in debug builds).
    if !values.iter().all(|value| tags_are_valid(value.as_bytes())) {
        return false;
    }
    let mut values = values.into_iter();
    let Ok(etag) = etag.to_str().unwrap_or_default().parse::<ETag>() else { return false };
    match IfNoneMatch::decode(&mut values) {
        Ok(condition) => !condition.precondition_passes(&etag),
        Err(_) => false,
    }
}

/// Whether every quoted entity tag in `value` holds only `etagc` characters: `!`, `#` to `~`,
/// and bytes from 0x80.
fn tags_are_valid(value: &[u8]) -> bool {
    let mut quoted = false;
    value.iter().all(|&byte| {
        if byte == b'"' {
            quoted = !quoted;
            return true;
        }
        !quoted || matches!(byte, 0x21 | 0x23..=0x7e | 0x80..)
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_validator_with_a_space_or_control_character_in_its_tag_matches_nothing() {
        let etag = strong_etag(b"body");
        let tag = etag.to_str().unwrap().to_owned();
        for broken in [format!("W/\"a b\", {tag}"), "\"a\tb\"".to_owned(), "W/\"x y\", *".to_owned()] {
            let value = HeaderValue::from_bytes(broken.as_bytes()).unwrap();
            assert!(!is_not_modified([&value], &etag), "{broken:?}");
        }
        let valid = HeaderValue::from_str(&format!("\"other\", W/{tag}")).unwrap();
        assert!(is_not_modified([&valid], &etag));
    }
}
