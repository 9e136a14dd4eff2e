//! Upstream answers kept for `revalidate`: fresh within the interval, then served stale while
//! one background request replaces them; concurrent misses share one request; a tag drops its
//! answers at once, and an answer fetched across an invalidation of one of its tags is never
//! served.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::Duration,
};

use futures_util::{
    FutureExt,
    future::{BoxFuture, Shared},
};
use reqwest::header::{CACHE_CONTROL, HeaderMap};
use serde::Serialize;
use specta::Type;
use tokio::time::Instant;
use tracing::Instrument;

use crate::{FetchError, Response};

/// A request's identity: the SHA-256 of its method, URL and headers. Headers count whole
/// (an `Authorization` of another account is another answer); hashing keeps credentials out
/// of the cache's keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct CacheKey(pub(crate) [u8; 32]);

/// How long an answer is fresh, and the tags that drop it.
#[derive(Clone)]
pub(crate) struct Keep {
    pub(crate) every: Duration,
    pub(crate) tags: Vec<String>,
}

struct Cached {
    response: Response,
    fresh_until: Instant,
    tags: Vec<String>,
    /// The invalidation generation when its request started.
    generation: u64,
    refreshing: AtomicBool,
}

/// Figures of the client since start-up: cached reads (hits, misses, refreshes), requests
/// sent and calls failed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Type)]
pub struct FetchStats {
    /// Cached reads answered from a stored answer (fresh or stale) or a shared request.
    pub hits: u32,
    /// Cached reads that made a request.
    pub misses: u32,
    /// Background refreshes of stale answers.
    pub refreshes: u32,
    /// Requests sent upstream, cached or not, retries included.
    pub requests: u32,
    /// Calls that ended in an error.
    pub failures: u32,
}

/// Weighs an answer by its body: the cache is bounded in bytes.
#[derive(Clone)]
struct BodyBytes;

impl quick_cache::Weighter<CacheKey, Arc<Cached>> for BodyBytes {
    fn weight(&self, _: &CacheKey, cached: &Arc<Cached>) -> u64 {
        (32 + cached.response.body.len()) as u64
    }
}

/// An answer is about this large, for sizing the cache's table.
const TYPICAL_ANSWER_BYTES: usize = 4 * 1024;

type SharedFetch = Shared<BoxFuture<'static, Result<Response, FetchError>>>;

struct InFlight {
    generation: u64,
    result: SharedFetch,
}

#[derive(Clone)]
pub(crate) struct UpstreamCache {
    inner: Arc<Inner>,
}

struct Inner {
    entries: quick_cache::sync::Cache<CacheKey, Arc<Cached>, BodyBytes>,
    in_flight: Mutex<HashMap<CacheKey, InFlight>>,
    /// Bumped by every invalidation; per tag, the generation of its last invalidation.
    generation: AtomicU64,
    invalidated: Mutex<HashMap<String, u64>>,
    hits: AtomicU64,
    misses: AtomicU64,
    refreshes: AtomicU64,
    requests: AtomicU64,
    failures: AtomicU64,
}

impl UpstreamCache {
    pub(crate) fn new(max_bytes: usize) -> Self {
        let answers = (max_bytes / TYPICAL_ANSWER_BYTES).max(16);
        UpstreamCache {
            inner: Arc::new(Inner {
                entries: quick_cache::sync::Cache::with_weighter(answers, max_bytes as u64, BodyBytes),
                in_flight: Mutex::default(),
                generation: AtomicU64::new(0),
                invalidated: Mutex::default(),
                hits: AtomicU64::new(0),
                misses: AtomicU64::new(0),
                refreshes: AtomicU64::new(0),
                requests: AtomicU64::new(0),
                failures: AtomicU64::new(0),
            }),
        }
    }

    pub(crate) fn count_request(&self) {
        self.inner.requests.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn count_failure(&self) {
        self.inner.failures.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn stats(&self) -> FetchStats {
        let read = |counter: &AtomicU64| u32::try_from(counter.load(Ordering::Relaxed)).unwrap_or(u32::MAX);
        FetchStats {
            hits: read(&self.inner.hits),
            misses: read(&self.inner.misses),
            refreshes: read(&self.inner.refreshes),
            requests: read(&self.inner.requests),
            failures: read(&self.inner.failures),
        }
    }

    pub(crate) fn invalidate(&self, tag: &str) {
        let generation = self.inner.generation.fetch_add(1, Ordering::SeqCst) + 1;
        // The latest generation wins even when two invalidations of one tag race here.
        lock(&self.inner.invalidated)
            .entry(tag.to_owned())
            .and_modify(|at| *at = (*at).max(generation))
            .or_insert(generation);
        self.inner.entries.retain(|_, cached| !cached.tags.iter().any(|t| t == tag));
    }

    fn generation(&self) -> u64 {
        self.inner.generation.load(Ordering::SeqCst)
    }

    /// Whether one of `tags` was invalidated after generation `since`: an answer whose request
    /// started then may predate the change. Invalidations of other tags do not count.
    fn outdated(&self, tags: &[String], since: u64) -> bool {
        // The common case, without the lock: no invalidation at all since.
        if tags.is_empty() || self.generation() == since {
            return false;
        }
        let invalidated = lock(&self.inner.invalidated);
        tags.iter().any(|tag| invalidated.get(tag).is_some_and(|&at| at > since))
    }

    /// The answer for `key`: stored, shared with a request in flight, or fetched by `fetch`.
    pub(crate) async fn get_or_fetch<F>(&self, key: CacheKey, keep: Keep, fetch: F) -> Result<Response, FetchError>
    where
        F: Fn() -> BoxFuture<'static, Result<Response, FetchError>> + Send + Sync + 'static,
    {
        if let Some(cached) = self.inner.entries.get(&key) {
            if !self.outdated(&cached.tags, cached.generation) {
                self.inner.hits.fetch_add(1, Ordering::Relaxed);
                if Instant::now() >= cached.fresh_until && !cached.refreshing.swap(true, Ordering::SeqCst) {
                    self.refresh_in_background(key, keep, cached.clone(), fetch);
                }
                return Ok(Response { from_cache: true, ..cached.response.clone() });
            }
            // Stored just as its tag was invalidated: only this entry goes, a newer one stays.
            self.inner.entries.remove_if(&key, |stored| Arc::ptr_eq(stored, &cached));
        }
        let (result, replaced) = {
            let mut in_flight = lock(&self.inner.in_flight);
            // Read under the lock: a reader never replaces a newer request with an older one.
            let generation = self.generation();
            match in_flight.get(&key) {
                // Joined only if none of its tags was invalidated since it started.
                Some(running) if !self.outdated(&keep.tags, running.generation) => {
                    self.inner.hits.fetch_add(1, Ordering::Relaxed);
                    (running.result.clone(), None)
                }
                _ => {
                    self.inner.misses.fetch_add(1, Ordering::Relaxed);
                    let result = self.fetch_and_store(key, generation, keep, fetch);
                    let replaced = in_flight.insert(key, InFlight { generation, result: result.clone() });
                    (result, replaced)
                }
            }
        };
        // Outside the lock: dropping an unstarted request drops its guard, which takes it.
        drop(replaced);
        result.await
    }

    /// One request for every reader that misses `key` meanwhile, run as its own task so that
    /// a reader going away does not cancel it for the others.
    fn fetch_and_store<F>(&self, key: CacheKey, generation: u64, keep: Keep, fetch: F) -> SharedFetch
    where
        F: Fn() -> BoxFuture<'static, Result<Response, FetchError>> + Send + Sync + 'static,
    {
        let done = Landed { cache: self.clone(), key, generation };
        async move {
            let task = tokio::spawn(
                async move {
                    let result = fetch().await;
                    if let Ok(response) = &result {
                        done.cache.store(key, response, keep, generation);
                    }
                    result
                }
                .in_current_span(),
            );
            task.await.unwrap_or(Err(FetchError::Unavailable { retry_after: None }))
        }
        .boxed()
        .shared()
    }

    fn refresh_in_background<F>(&self, key: CacheKey, keep: Keep, stale: Arc<Cached>, fetch: F)
    where
        F: Fn() -> BoxFuture<'static, Result<Response, FetchError>> + Send + Sync + 'static,
    {
        self.inner.refreshes.fetch_add(1, Ordering::Relaxed);
        let cache = self.clone();
        let generation = self.generation();
        tokio::spawn(
            async move {
                let stored = match fetch().await {
                    Ok(response) => cache.store(key, &response, keep, generation),
                    Err(error) => {
                        tracing::warn!(%error, "refreshing a cached upstream answer failed; serving the stale one");
                        false
                    }
                };
                if !stored {
                    // The next reader past the interval tries again.
                    stale.refreshing.store(false, Ordering::SeqCst);
                }
            }
            .in_current_span(),
        );
    }

    /// Stores `response` fetched since `generation`, unless the upstream forbids it or one of
    /// its tags was invalidated meanwhile. Whether it was stored.
    fn store(&self, key: CacheKey, response: &Response, keep: Keep, generation: u64) -> bool {
        if forbids_storing(&response.headers) || self.outdated(&keep.tags, generation) {
            return false;
        }
        let cached = Arc::new(Cached {
            response: response.clone(),
            fresh_until: Instant::now() + keep.every,
            tags: keep.tags,
            generation,
            refreshing: AtomicBool::new(false),
        });
        self.inner.entries.insert(key, cached.clone());
        // An invalidation between the check and the insert may have missed this answer (and a
        // reader meanwhile: reads check `outdated` too).
        if self.outdated(&cached.tags, generation) {
            self.inner.entries.remove_if(&key, |stored| Arc::ptr_eq(stored, &cached));
            return false;
        }
        true
    }
}

/// Ends a request's registration in flight when its task ends, by panic too (a drop guard),
/// after its answer is stored: a later miss starts afresh.
struct Landed {
    cache: UpstreamCache,
    key: CacheKey,
    generation: u64,
}

impl Drop for Landed {
    fn drop(&mut self) {
        let mut in_flight = lock(&self.cache.inner.in_flight);
        if in_flight.get(&self.key).is_some_and(|running| running.generation == self.generation) {
            in_flight.remove(&self.key);
        }
    }
}

/// `Cache-Control: no-store` (or `no-cache`, which allows no reuse without asking again).
fn forbids_storing(headers: &HeaderMap) -> bool {
    headers.get_all(CACHE_CONTROL).iter().filter_map(|value| value.to_str().ok()).any(|value| {
        value
            .split(',')
            .map(|directive| directive.trim())
            .any(|directive| directive.eq_ignore_ascii_case("no-store") || directive.eq_ignore_ascii_case("no-cache"))
    })
}

/// A poisoned lock still holds a consistent map: every critical section here is one insert
/// or removal.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use reqwest::{StatusCode, header::HeaderValue};
    use tokio::sync::Semaphore;

    use super::*;

    /// Answers its call count, once `gate` lets it.
    fn gated(
        calls: Arc<AtomicUsize>,
        gate: Arc<Semaphore>,
    ) -> impl Fn() -> BoxFuture<'static, Result<Response, FetchError>> + Send + Sync + 'static {
        move || {
            let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
            let gate = gate.clone();
            async move {
                gate.acquire().await.unwrap().forget();
                let body = n.to_string().into();
                Ok(Response { status: StatusCode::OK, headers: HeaderMap::new(), body, from_cache: false })
            }
            .boxed()
        }
    }

    fn keep(tag: &str) -> Keep {
        Keep { every: Duration::from_secs(3600), tags: vec![tag.into()] }
    }

    /// Starts a read of `key` tagged `tag` whose request waits for `gate`; returns once the
    /// request has started.
    async fn start_read(
        cache: &UpstreamCache,
        calls: &Arc<AtomicUsize>,
        gate: &Arc<Semaphore>,
        tag: &'static str,
    ) -> tokio::task::JoinHandle<Result<Response, FetchError>> {
        let before = calls.load(Ordering::SeqCst);
        let (reader, fetch) = (cache.clone(), gated(calls.clone(), gate.clone()));
        let read = tokio::spawn(async move { reader.get_or_fetch(CacheKey([1; 32]), keep(tag), fetch).await });
        while calls.load(Ordering::SeqCst) == before {
            tokio::task::yield_now().await;
        }
        read
    }

    #[tokio::test]
    async fn only_an_invalidation_of_its_own_tag_keeps_an_answer_from_being_stored() {
        let cache = UpstreamCache::new(1 << 20);
        let (calls, gate) = (Arc::new(AtomicUsize::new(0)), Arc::new(Semaphore::new(0)));
        let read = start_read(&cache, &calls, &gate, "figures").await;
        cache.invalidate("other");
        gate.add_permits(1);
        assert_eq!(read.await.unwrap().unwrap().body, "1");
        let again = cache.get_or_fetch(CacheKey([1; 32]), keep("figures"), gated(calls.clone(), gate.clone()));
        assert!(again.await.unwrap().from_cache, "stored despite another tag's invalidation");

        cache.invalidate("figures");
        let read = start_read(&cache, &calls, &gate, "figures").await;
        cache.invalidate("figures");
        gate.add_permits(2);
        assert_eq!(read.await.unwrap().unwrap().body, "2", "its readers get it");
        let after = cache.get_or_fetch(CacheKey([1; 32]), keep("figures"), gated(calls.clone(), gate.clone()));
        assert_eq!(after.await.unwrap().body, "3", "not stored: it may predate the change");
    }

    #[test]
    fn no_store_and_no_cache_are_honoured_in_any_spelling() {
        let mut headers = HeaderMap::new();
        assert!(!forbids_storing(&headers));
        headers.insert("cache-control", HeaderValue::from_static("public, max-age=60"));
        assert!(!forbids_storing(&headers));
        headers.append("cache-control", HeaderValue::from_static("private, No-Store"));
        assert!(forbids_storing(&headers));
    }
}
