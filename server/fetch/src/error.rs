//! What can go wrong calling an upstream, as a type a procedure maps to its own typed error.

use std::time::Duration;

use reqwest::StatusCode;

/// A failed call. It never holds the upstream's body or headers, nor the request's: it can be
/// logged, and a procedure's error built from it reveals nothing of the upstream.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// No complete answer within the call's deadline ([`FetchConfig::timeout`](crate::FetchConfig)
    /// or [`Request::timeout`](crate::Request::timeout)), retries included.
    #[error("the upstream did not answer in time")]
    Timeout,
    /// The upstream could not be reached, or said it cannot serve now (429, 502, 503, 504) and
    /// retrying within the deadline did not help. `retry_after`: when it asked to be called
    /// again (`Retry-After`), if it did.
    #[error("the upstream is unavailable{}", retry_after.map(|after| format!(" (retry after {} s)", after.as_secs())).unwrap_or_default())]
    Unavailable {
        /// The upstream's `Retry-After`, if it sent one.
        retry_after: Option<Duration>,
    },
    /// The upstream answered with this status (any other non-2xx).
    #[error("the upstream answered {code}")]
    Status {
        /// The upstream's status.
        code: StatusCode,
    },
    /// The answer is not the JSON expected; where it stopped making sense, not what it said.
    #[error("the upstream's answer is not the expected JSON ({category} at line {line}, column {column})")]
    Decode {
        /// serde_json's category of the error: `syntax`, `data` or `eof`.
        category: &'static str,
        /// Where in the answer it failed.
        line: usize,
        /// Where in the line it failed.
        column: usize,
    },
    /// The request could not be built: a bug of the caller, never sent.
    #[error("invalid request: {0}")]
    Invalid(InvalidRequest),
}

/// Why a request could not be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvalidRequest {
    /// The URL does not parse, or reqwest refused it.
    #[error("the URL is not valid")]
    Url,
    /// A header value (the bearer token) holds characters a header cannot.
    #[error("a header value is not valid")]
    HeaderValue,
    /// The JSON body cannot be serialized.
    #[error("the body cannot be serialized to JSON")]
    Body,
    /// `revalidate` on a method other than GET.
    #[error("only GET requests are cached")]
    NotCacheable,
    /// `tags` without `revalidate` before it.
    #[error("tags need `revalidate` first")]
    TagsWithoutRevalidate,
}

impl FetchError {
    pub(crate) fn decode(error: &serde_json::Error) -> Self {
        let category = match error.classify() {
            serde_json::error::Category::Io => "io",
            serde_json::error::Category::Syntax => "syntax",
            serde_json::error::Category::Data => "data",
            serde_json::error::Category::Eof => "eof",
        };
        FetchError::Decode { category, line: error.line(), column: error.column() }
    }
}
