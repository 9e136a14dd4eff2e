//! Per-procedure rate limits (governor's keyed GCRA), keyed by client IP or by a key read
//! from the request (a session cookie, an API key).

use std::{
    num::NonZeroU32,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use axum::http::request::Parts;
use governor::{
    Quota, RateLimiter,
    clock::{Clock, DefaultClock},
    middleware::NoOpMiddleware,
    state::keyed::DefaultKeyedStateStore,
};

use crate::error::ProtocolError;

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

    /// `calls` per second per key, in a burst of up to `calls`.
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

/// After this many checks a limiter forgets the keys whose budget has refilled, so that
/// the state of callers who came once does not accumulate.
const PRUNE_EVERY: u64 = 4096;

/// One procedure's limiter.
pub(crate) struct Limiter<C: Clock = DefaultClock> {
    limiter: RateLimiter<String, DefaultKeyedStateStore<String>, C, NoOpMiddleware<C::Instant>>,
    key: Option<KeyFn>,
    checks: AtomicU64,
}

impl Limiter {
    pub(crate) fn new(limit: &RateLimit) -> Self {
        Limiter::with_clock(limit, DefaultClock::default())
    }
}

impl<C: Clock> Limiter<C> {
    fn with_clock(limit: &RateLimit, clock: C) -> Self {
        let limiter = RateLimiter::new(limit.quota, DefaultKeyedStateStore::default(), clock);
        Limiter { limiter, key: limit.key.clone(), checks: AtomicU64::new(0) }
    }

    /// The call's key when the limit reads its own (`keyed_by`); `None`: the client's IP.
    pub(crate) fn key(&self, parts: &Parts) -> Option<String> {
        self.key.as_ref().and_then(|key| key(parts))
    }

    pub(crate) fn check(&self, key: &String) -> Result<(), ProtocolError> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
        }
        self.limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.limiter.clock().now());
            // Retry-After counts whole seconds; never say 0 while still limited.
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0 || wait == Duration::ZERO);
            ProtocolError::RateLimited { retry_after: u32::try_from(seconds).unwrap_or(u32::MAX) }
        })
    }
}

#[cfg(test)]
mod tests {
    use governor::clock::FakeRelativeClock;

    use super::*;

    #[test]
    fn keys_whose_budget_refilled_are_forgotten() {
        let clock = FakeRelativeClock::default();
        let limiter = Limiter::with_clock(&RateLimit::per_second(NonZeroU32::new(1).unwrap()), clock.clone());
        // One check short of a pruning round, counting the limited call below.
        for caller in 0..PRUNE_EVERY - 2 {
            limiter.check(&format!("10.0.{}.{}", caller / 256, caller % 256)).unwrap();
        }
        assert_eq!(limiter.limiter.len(), (PRUNE_EVERY - 2) as usize);
        let limited = limiter.check(&"10.0.0.0".to_owned());
        assert_eq!(limited, Err(ProtocolError::RateLimited { retry_after: 1 }), "still within its second");

        clock.advance(Duration::from_secs(2));
        limiter.check(&"10.9.9.9".to_owned()).unwrap();
        assert_eq!(limiter.limiter.len(), 1, "only the caller of this second is kept");
    }
}
