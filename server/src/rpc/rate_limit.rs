//! Per-procedure rate limits (governor's keyed GCRA), keyed by client IP or by a key read
//! from the request (a session cookie, an API key).

use std::{net::SocketAddr, num::NonZeroU32, sync::Arc, time::Duration};

use axum::{
    extract::ConnectInfo,
    http::{HeaderName, request::Parts},
};
use governor::{DefaultKeyedRateLimiter, Quota, clock::{Clock, DefaultClock}};

use super::ProtocolError;

/// Reads the rate-limit key from a request; `None` falls back to the client IP.
type KeyFn = Arc<dyn Fn(&Parts) -> Option<String> + Send + Sync>;

/// How many calls a key may make: `RateLimit::per_minute(10)`.
#[derive(Clone)]
pub struct RateLimit {
    quota: Quota,
    key: Option<KeyFn>,
}

impl RateLimit {
    /// `calls` per minute per key, in a burst of up to `calls`.
    pub fn per_minute(calls: NonZeroU32) -> Self {
        RateLimit { quota: Quota::per_minute(calls), key: None }
    }

    pub fn per_second(calls: NonZeroU32) -> Self {
        RateLimit { quota: Quota::per_second(calls), key: None }
    }

    /// Keys calls by what `key` reads from the request (falling back to the client IP when
    /// it returns `None`), instead of by IP alone.
    pub fn keyed_by(mut self, key: impl Fn(&Parts) -> Option<String> + Send + Sync + 'static) -> Self {
        self.key = Some(Arc::new(key));
        self
    }
}

/// One procedure's limiter.
pub(crate) struct Limiter {
    limiter: DefaultKeyedRateLimiter<String>,
    key: Option<KeyFn>,
}

impl Limiter {
    pub(crate) fn new(limit: &RateLimit) -> Self {
        Limiter { limiter: DefaultKeyedRateLimiter::keyed(limit.quota), key: limit.key.clone() }
    }

    pub(crate) fn check(&self, parts: &Parts, proxy_header: Option<&HeaderName>) -> Result<(), ProtocolError> {
        let key = self.key.as_ref().and_then(|key| key(parts)).unwrap_or_else(|| client_ip(parts, proxy_header));
        self.limiter.check_key(&key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            // Retry-After counts whole seconds; never say 0 while still limited.
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0 || wait == Duration::ZERO);
            ProtocolError::RateLimited { retry_after: u32::try_from(seconds).unwrap_or(u32::MAX) }
        })
    }
}

/// The client's address: from the trusted proxy's header when one is configured (its last
/// entry, the one that proxy appended), else from the connection.
pub(crate) fn client_ip(parts: &Parts, proxy_header: Option<&HeaderName>) -> String {
    if let Some(name) = proxy_header
        && let Some(value) = parts.headers.get(name).and_then(|v| v.to_str().ok())
        && let Some(last) = value.rsplit(',').map(str::trim).find(|entry| !entry.is_empty())
    {
        return last.to_owned();
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(address)| address.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned())
}
