//! Reading what a call sends: the query string's input, a JSON body under its size cap, and
//! which media type a body declares.

use std::time::Duration;

use axum::{
    body::{Body, Bytes},
    http::{HeaderMap, header, request::Parts},
};

use crate::error::ProtocolError;

/// The value of `key` in the query string, URL-decoded.
pub(crate) fn query_param(parts: &Parts, key: &str) -> Option<Bytes> {
    let query = parts.uri.query()?;
    form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == key).map(|(_, value)| Bytes::from(value.into_owned()))
}

/// Reads a JSON request body, enforcing the media type and the size cap. `None` when empty.
pub(crate) async fn read_json_body(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Option<Bytes>, ProtocolError> {
    if !is_json(headers) {
        return Err(ProtocolError::UnsupportedMediaType { expected: "application/json".into() });
    }
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(too_large(limit));
    }
    let bytes = read_limited(body, limit).await?;
    Ok((!bytes.is_empty()).then_some(bytes))
}

/// The whole body, at most `limit` bytes: `PAYLOAD_TOO_LARGE` past it, `MALFORMED_BODY` when
/// it cannot be read.
pub(crate) async fn read_limited(body: Body, limit: usize) -> Result<Bytes, ProtocolError> {
    axum::body::to_bytes(body, limit).await.map_err(|error| {
        let error = error.into_inner();
        if error.downcast_ref::<http_body_util::LengthLimitError>().is_some() {
            too_large(limit)
        } else {
            ProtocolError::MalformedBody { message: error.to_string() }
        }
    })
}

/// Reads a body within `timeout`: one that stalls (a client that stops short of its
/// `Content-Length`) is 408 `BODY_TIMEOUT`, instead of holding the connection forever.
pub(crate) async fn within<T>(
    timeout: Duration,
    read: impl Future<Output = Result<T, ProtocolError>>,
) -> Result<T, ProtocolError> {
    let seconds = u32::try_from(timeout.as_secs()).unwrap_or(u32::MAX);
    tokio::time::timeout(timeout, read).await.unwrap_or(Err(ProtocolError::BodyTimeout { seconds }))
}

pub(crate) fn too_large(limit: usize) -> ProtocolError {
    ProtocolError::PayloadTooLarge { limit: u32::try_from(limit).unwrap_or(u32::MAX) }
}

fn media_type(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).and_then(|v| v.split(';').next()).map(str::trim)
}

fn is_json(headers: &HeaderMap) -> bool {
    media_type(headers).is_some_and(|media| media.eq_ignore_ascii_case("application/json"))
}

/// What an HTML form posts.
pub(crate) fn is_form(headers: &HeaderMap) -> bool {
    media_type(headers).is_some_and(|media| {
        media.eq_ignore_ascii_case("application/x-www-form-urlencoded")
            || media.eq_ignore_ascii_case("multipart/form-data")
    })
}
