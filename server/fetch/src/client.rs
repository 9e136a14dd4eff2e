//! The client and its requests: one connection pool, a deadline per call, retries.

use std::{sync::Arc, time::Duration};

use bytes::Bytes;
use futures_util::FutureExt;
use reqwest::{
    Method, Url,
    header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue},
};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::time::Instant;
use tracing::Instrument;

use crate::{
    FetchError, FetchStats, InvalidRequest, Response,
    cache::{CacheKey, Keep, UpstreamCache},
    retry::{Failed, backoff},
};

/// How the client behaves unless a request says otherwise.
#[derive(Clone, Debug)]
pub struct FetchConfig {
    /// A call's deadline, retries and waits included (default 5 s).
    pub timeout: Duration,
    /// Attempts after the first, for transient failures (default 2).
    pub retries: u32,
    /// The wait before the first retry, doubled for each next one, when the upstream named
    /// none (`Retry-After`) (default 200 ms).
    pub backoff: Duration,
    /// Bytes of cached answers kept, least used dropped first (default 16 MiB).
    pub cache_bytes: usize,
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            timeout: Duration::from_secs(5),
            retries: 2,
            backoff: Duration::from_millis(200),
            cache_bytes: 16 * 1024 * 1024,
        }
    }
}

/// The client could not start (its TLS configuration failed to load).
#[derive(Debug, thiserror::Error)]
#[error("cannot start the HTTP client: {0}")]
pub struct StartError(#[source] reqwest::Error);

/// The server's HTTP client for upstream services. Cheap to clone: clones share the
/// connection pool, the cache and the figures. Keep one in the application state.
#[derive(Clone)]
pub struct Fetch {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    config: FetchConfig,
    cache: UpstreamCache,
}

impl std::fmt::Debug for Fetch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetch").field("config", &self.inner.config).field("stats", &self.stats()).finish()
    }
}

/// Redirects followed before an answer counts as final. reqwest drops `Authorization` and
/// cookies on a redirect to another host.
const MAX_REDIRECTS: usize = 5;

impl Fetch {
    /// A client with `config`.
    pub fn new(config: FetchConfig) -> Result<Self, StartError> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("isthmus-fetch/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::limited(MAX_REDIRECTS))
            .build()
            .map_err(StartError)?;
        Ok(Fetch { inner: Arc::new(Inner { cache: UpstreamCache::new(config.cache_bytes), http, config }) })
    }

    /// A GET of `url`.
    pub fn get(&self, url: &str) -> Request {
        self.request(Method::GET, url)
    }

    /// A POST to `url`.
    pub fn post(&self, url: &str) -> Request {
        self.request(Method::POST, url)
    }

    /// A request of any method to `url`.
    pub fn request(&self, method: Method, url: &str) -> Request {
        Request {
            fetch: self.clone(),
            method,
            url: Url::parse(url).map_err(|_| FetchError::Invalid(InvalidRequest::Url)),
            headers: HeaderMap::new(),
            body: None,
            timeout: self.inner.config.timeout,
            keep: None,
            invalid: None,
        }
    }

    /// Drops every cached answer tagged `tag`. Wire it to the query cache's invalidations
    /// (`ResponseCache::on_invalidate`) and one `revalidate_tag` drops both, in every process.
    pub fn invalidate_tag(&self, tag: &str) {
        self.inner.cache.invalidate(tag);
    }

    /// Cache hits and misses, requests and failures since start-up.
    pub fn stats(&self) -> FetchStats {
        self.inner.cache.stats()
    }
}

/// A request being built; [`send`](Request::send) makes the call.
#[must_use = "a request does nothing until it is sent"]
pub struct Request {
    fetch: Fetch,
    method: Method,
    url: Result<Url, FetchError>,
    headers: HeaderMap,
    body: Option<Bytes>,
    timeout: Duration,
    keep: Option<Keep>,
    /// The first builder step that failed: reported by `send`.
    invalid: Option<FetchError>,
}

impl Request {
    /// Adds a header.
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.append(name, value);
        self
    }

    /// `Authorization: Bearer <token>`. The value is marked sensitive, and cached answers are
    /// keyed by its hash, never by the token itself.
    pub fn bearer(mut self, token: &SecretString) -> Self {
        match HeaderValue::from_str(&format!("Bearer {}", token.expose_secret())) {
            Ok(mut value) => {
                value.set_sensitive(true);
                self.headers.insert(AUTHORIZATION, value);
                self
            }
            Err(_) => self.fail(FetchError::Invalid(InvalidRequest::HeaderValue)),
        }
    }

    /// A JSON body (`Content-Type: application/json`).
    pub fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Self {
        match serde_json::to_vec(body) {
            Ok(bytes) => {
                self.body = Some(bytes.into());
                self.header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            }
            Err(_) => self.fail(FetchError::Invalid(InvalidRequest::Body)),
        }
    }

    /// This call's deadline instead of the client's, retries included.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Caches the answer (GET only): fresh for `every`, then served stale while one
    /// background request refreshes it. Kept by method, URL and headers. An answer with
    /// `Cache-Control: no-store` is not kept; neither are failures.
    pub fn revalidate(mut self, every: Duration) -> Self {
        if self.method != Method::GET {
            return self.fail(FetchError::Invalid(InvalidRequest::NotCacheable));
        }
        self.keep.get_or_insert_with(|| Keep { every, tags: Vec::new() }).every = every;
        self
    }

    /// Tags of the cached answer, for [`Fetch::invalidate_tag`] (with `revalidate`).
    pub fn tags<T: Into<String>>(mut self, tags: impl IntoIterator<Item = T>) -> Self {
        match &mut self.keep {
            Some(keep) => keep.tags.extend(tags.into_iter().map(Into::into)),
            None => return self.fail(FetchError::Invalid(InvalidRequest::TagsWithoutRevalidate)),
        }
        self
    }

    fn fail(mut self, error: FetchError) -> Self {
        self.invalid.get_or_insert(error);
        self
    }

    /// Makes the call: from the cache when it is a cached read, otherwise upstream, retrying
    /// transient failures until the deadline. A 2xx answer is a [`Response`]; anything else
    /// a [`FetchError`].
    pub async fn send(self) -> Result<Response, FetchError> {
        if let Some(error) = self.invalid {
            return Err(error);
        }
        let cache = self.fetch.inner.cache.clone();
        let call = Call {
            fetch: self.fetch,
            method: self.method,
            url: self.url?,
            headers: self.headers,
            body: self.body,
            timeout: self.timeout,
        };
        let result = match self.keep {
            Some(keep) => {
                let (key, timeout) = (call.cache_key(), call.timeout);
                let call = Arc::new(call);
                // A reader sharing another's request still waits no longer than its own deadline.
                let shared = cache.get_or_fetch(key, keep, move || call.clone().run().boxed());
                tokio::time::timeout(timeout, shared).await.unwrap_or(Err(FetchError::Timeout))
            }
            None => Arc::new(call).run().await,
        };
        if result.is_err() {
            cache.count_failure();
        }
        result
    }
}

/// A request ready to be made, as often as retries and refreshes need.
struct Call {
    fetch: Fetch,
    method: Method,
    url: Url,
    headers: HeaderMap,
    body: Option<Bytes>,
    timeout: Duration,
}

impl Call {
    fn cache_key(&self) -> CacheKey {
        let mut hash = Sha256::new();
        hash.update(self.method.as_str());
        hash.update([0]);
        hash.update(self.url.as_str());
        let mut headers: Vec<_> = self.headers.iter().map(|(name, value)| (name.as_str(), value.as_bytes())).collect();
        headers.sort_unstable();
        for (name, value) in headers {
            hash.update([0]);
            hash.update(name);
            hash.update([0]);
            hash.update(value);
        }
        CacheKey(hash.finalize().into())
    }

    /// Attempts until an answer, a final failure, or the deadline. Never waits past the
    /// deadline: a `Retry-After` beyond it ends the call with `Unavailable { retry_after }`.
    async fn run(self: Arc<Self>) -> Result<Response, FetchError> {
        // The query string may hold credentials: spans name the host and path only.
        let span = tracing::info_span!("fetch", method = %self.method, host = self.url.host_str().unwrap_or_default(), path = self.url.path());
        async move {
            let deadline = Instant::now() + self.timeout;
            let config = &self.fetch.inner.config;
            let mut retry = 0;
            loop {
                let failed = match tokio::time::timeout_at(deadline, self.attempt()).await {
                    Err(_) => return Err(FetchError::Timeout),
                    Ok(Ok(response)) => return Ok(response),
                    Ok(Err(failed)) => failed,
                };
                let wait = failed.retry_after().unwrap_or_else(|| backoff(config.backoff, retry));
                if retry >= config.retries || !failed.may_retry(&self.method) || Instant::now() + wait >= deadline {
                    tracing::debug!(error = %failed.error, attempts = retry + 1, "upstream call failed");
                    return Err(failed.error);
                }
                tracing::debug!(error = %failed.error, wait_ms = wait.as_millis() as u64, "retrying upstream call");
                tokio::time::sleep(wait).await;
                retry += 1;
            }
        }
        .instrument(span)
        .await
    }

    async fn attempt(&self) -> Result<Response, Failed> {
        let mut request =
            self.fetch.inner.http.request(self.method.clone(), self.url.clone()).headers(self.headers.clone());
        if let Some(body) = &self.body {
            request = request.body(body.clone());
        }
        self.fetch.inner.cache.count_request();
        let answer = request.send().await.map_err(|error| Failed::from_transport(&error))?;
        let (status, headers) = (answer.status(), answer.headers().clone());
        if !status.is_success() {
            return Err(Failed::from_status(status, &headers));
        }
        let body = answer.bytes().await.map_err(|error| Failed::from_transport(&error))?;
        Ok(Response { status, headers, body, from_cache: false })
    }
}
