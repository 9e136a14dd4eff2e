//! When a failed attempt is worth another: which failures are transient, how long to wait.

use std::time::{Duration, SystemTime};

use reqwest::{
    Method, StatusCode,
    header::{HeaderMap, RETRY_AFTER},
};

use crate::{FetchError, InvalidRequest};

/// How one attempt failed, and whether another may follow.
pub(crate) struct Failed {
    pub(crate) error: FetchError,
    pub(crate) retry: Retry,
}

pub(crate) enum Retry {
    /// Never: the answer is final (a 4xx, an invalid request).
    Never,
    /// Only when repeating the request cannot do something twice: the request may have
    /// reached the upstream.
    IfIdempotent,
    /// Whatever the method: nothing was processed (no connection was made, or the upstream
    /// refused it with 429/503 and said when to come back).
    Always,
}

impl Failed {
    /// An answer with a status other than 2xx.
    pub(crate) fn from_status(code: StatusCode, headers: &HeaderMap) -> Self {
        match code {
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => {
                let retry_after = retry_after(headers, SystemTime::now());
                let retry = if retry_after.is_some() { Retry::Always } else { Retry::IfIdempotent };
                Failed { error: FetchError::Unavailable { retry_after }, retry }
            }
            StatusCode::BAD_GATEWAY | StatusCode::GATEWAY_TIMEOUT => {
                Failed { error: FetchError::Unavailable { retry_after: None }, retry: Retry::IfIdempotent }
            }
            code => Failed { error: FetchError::Status { code }, retry: Retry::Never },
        }
    }

    /// A request that got no answer.
    pub(crate) fn from_transport(error: &reqwest::Error) -> Self {
        let unavailable = FetchError::Unavailable { retry_after: None };
        if error.is_builder() {
            Failed { error: FetchError::Invalid(InvalidRequest::Url), retry: Retry::Never }
        } else if error.is_connect() {
            Failed { error: unavailable, retry: Retry::Always }
        } else if error.is_timeout() {
            Failed { error: FetchError::Timeout, retry: Retry::IfIdempotent }
        } else {
            Failed { error: unavailable, retry: Retry::IfIdempotent }
        }
    }

    /// Whether another attempt of `method` may follow.
    pub(crate) fn may_retry(&self, method: &Method) -> bool {
        match self.retry {
            Retry::Never => false,
            Retry::IfIdempotent => is_idempotent(method),
            Retry::Always => true,
        }
    }

    /// How long the upstream asked to wait, if it did.
    pub(crate) fn retry_after(&self) -> Option<Duration> {
        match self.error {
            FetchError::Unavailable { retry_after } => retry_after,
            _ => None,
        }
    }
}

/// RFC 9110: repeating these has the effect of doing them once.
fn is_idempotent(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS | Method::PUT | Method::DELETE | Method::TRACE)
}

/// `Retry-After` as seconds or as an HTTP date.
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or_default())
}

/// The wait before retry `attempt` (0 for the first retry): `base` doubled each time.
pub(crate) fn backoff(base: Duration, attempt: u32) -> Duration {
    base.saturating_mul(2_u32.saturating_pow(attempt))
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    #[test]
    fn retry_after_is_read_as_seconds_or_a_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers, now), None);
        headers.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(7)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(90));
        headers.insert(RETRY_AFTER, HeaderValue::from_str(&later).unwrap());
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(90)));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&headers, now), None);
    }

    #[test]
    fn only_transient_failures_are_retried_and_posts_only_when_nothing_was_processed() {
        let mut headers = HeaderMap::new();
        let unavailable = Failed::from_status(StatusCode::SERVICE_UNAVAILABLE, &headers);
        assert!(unavailable.may_retry(&Method::GET) && !unavailable.may_retry(&Method::POST));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("1"));
        let told_when = Failed::from_status(StatusCode::TOO_MANY_REQUESTS, &headers);
        assert!(told_when.may_retry(&Method::POST));
        assert_eq!(told_when.retry_after(), Some(Duration::from_secs(1)));
        let refused = Failed::from_status(StatusCode::UNPROCESSABLE_ENTITY, &headers);
        assert!(!refused.may_retry(&Method::GET));
        assert_eq!(refused.error, FetchError::Status { code: StatusCode::UNPROCESSABLE_ENTITY });
        assert_eq!(backoff(Duration::from_millis(100), 3), Duration::from_millis(800));
    }
}
