//! The server's HTTP client for external services, for procedures to call: pooled
//! connections (reqwest with rustls), a deadline per call, bounded retries with backoff, typed
//! errors, and cached reads — the equivalent of Next.js's `fetch(url, { next: { revalidate,
//! tags } })`.
//!
//! ```no_run
//! # async fn example(fetch: isthmus_fetch::Fetch, token: secrecy::SecretString) -> Result<(), isthmus_fetch::FetchError> {
//! use std::time::Duration;
//!
//! #[derive(serde::Deserialize)]
//! struct Figures { sent: u64 }
//!
//! let figures: Figures = fetch
//!     .get("https://api.example.com/stats")
//!     .bearer(&token)
//!     .revalidate(Duration::from_secs(60))
//!     .tags(["email-stats"])
//!     .send()
//!     .await?
//!     .json()?;
//! # Ok(()) }
//! ```
//!
//! - **Deadline**: a call ends within its timeout ([`FetchConfig::timeout`], or
//!   [`Request::timeout`]), retries and their waits included: a procedure that calls an
//!   upstream is never held longer than that.
//! - **Retries**: a request that made no connection, and one refused with 429 or 503 and a
//!   `Retry-After`, is retried whatever its method (nothing was processed); other transient
//!   failures (timeouts, 502, 503, 504, a dropped connection) only for idempotent methods. At
//!   most [`FetchConfig::retries`] times, waiting the upstream's `Retry-After` or a doubling
//!   backoff, and never past the deadline.
//! - **Errors** are [`FetchError`]: `Timeout`, `Unavailable { retry_after }`, `Status { code }`,
//!   `Decode`, `Invalid`. None holds the upstream's body or headers; a procedure maps them to
//!   its own typed error.
//! - **Cached reads**: [`Request::revalidate`] keeps a GET's answer by method, URL and headers,
//!   fresh for the interval, then served stale while one background request refreshes it;
//!   concurrent misses share one request. [`Request::tags`] name it for
//!   [`Fetch::invalidate_tag`]. `Cache-Control: no-store` (or `no-cache`) from the upstream is
//!   honoured; failures are never kept. [`Fetch::stats`] counts hits and misses.
//! - **Secrets**: [`Request::bearer`] takes a [`secrecy::SecretString`]; the header is marked
//!   sensitive and cache keys hold only a hash of the request's headers. Spans name the host
//!   and path, never the query string.

mod cache;
mod client;
mod error;
mod response;
mod retry;

pub use cache::FetchStats;
pub use client::{Fetch, FetchConfig, Request, StartError};
pub use error::{FetchError, InvalidRequest};
pub use response::Response;
pub use secrecy::SecretString;
