//! Answers the layer builds: JSON bodies, error envelopes, and the request id that ties an
//! answer to its log lines.

use std::{
    fmt,
    sync::{
        OnceLock,
        atomic::{AtomicU64, Ordering},
    },
};

use axum::{
    body::Body,
    http::{HeaderValue, StatusCode, header},
    response::Response,
};

use crate::error::{Failure, ProtocolError};

pub(crate) fn json_response(status: StatusCode, body: impl Into<Body>) -> Response {
    let mut response = Response::new(body.into());
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

pub(crate) fn failure_response(failure: &Failure, request_id: &RequestId) -> Response {
    let request_id = request_id.to_string();
    let mut response = json_response(failure.status(), failure.envelope(&request_id));
    // One caller's failure: no cache may keep it and answer it to the next.
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-request-id", value);
    }
    match failure {
        Failure::Protocol(ProtocolError::RateLimited { retry_after } | ProtocolError::Unavailable { retry_after }) => {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
        }
        // The rest of the body may still be on its way: the connection cannot be reused.
        Failure::Protocol(ProtocolError::BodyTimeout { .. }) => {
            response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        _ => {}
    }
    response
}

/// Identifies one call in logs and in its error envelope. Unique per process: a random-ish
/// prefix fixed at start-up and a counter, so minting one costs an atomic increment.
pub(crate) struct RequestId(u64);

impl RequestId {
    pub(crate) fn next() -> Self {
        static COUNTER: AtomicU64 = AtomicU64::new(1);
        RequestId(COUNTER.fetch_add(1, Ordering::Relaxed))
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        static PREFIX: OnceLock<u32> = OnceLock::new();
        let prefix = PREFIX.get_or_init(|| {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or_default();
            nanos ^ std::process::id().rotate_left(16)
        });
        write!(f, "{prefix:08x}-{:08x}", self.0)
    }
}
