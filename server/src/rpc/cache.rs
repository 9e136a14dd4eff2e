//! Server-side caching of query results with time-based revalidation and tags (Next.js's
//! `fetch(…, { next: { revalidate, tags } })` and `revalidateTag`).
//!
//! A cached query's result is kept per procedure, input and — for `per_viewer` queries —
//! the caller's [`CacheScope`]. Past its interval the stale result is still served while one
//! background refresh runs (stale-while-revalidate, single flight); concurrent misses share
//! one computation too. `revalidate_tag` drops every result carrying the tag at once, so the
//! next read sees the write (read-your-writes); results computed across an invalidation are
//! never stored as fresh. Observers (`on_revalidate`) carry invalidations to other processes.

use std::{
    collections::HashMap,
    hash::{DefaultHasher, Hash, Hasher},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::Duration,
};

use axum::{body::Bytes, http::HeaderValue};
use serde::Serialize;
use specta::Type;
use tokio::time::Instant;

use super::error::Failure;

/// Computes a query's cache tags from its input.
type TagsFn<I> = Arc<dyn Fn(&I) -> Vec<String> + Send + Sync>;

/// How a query is cached: `Revalidate::every(Duration::from_secs(60)).tags(|input| …)`.
pub struct Revalidate<I> {
    pub(crate) every: Duration,
    pub(crate) tags: TagsFn<I>,
    pub(crate) per_viewer: bool,
}

impl<I> Revalidate<I> {
    /// Results are fresh for `every`; after that a read serves the stale result and
    /// refreshes it in the background.
    pub fn every(every: Duration) -> Self {
        Revalidate { every, tags: Arc::new(|_| Vec::new()), per_viewer: false }
    }

    /// Tags for `revalidate_tag`, computed from the input.
    pub fn tags(mut self, tags: impl Fn(&I) -> Vec<String> + Send + Sync + 'static) -> Self {
        self.tags = Arc::new(tags);
        self
    }

    /// The result depends on who asks: cached per [`CacheScope`], never shared between
    /// viewers, and marked `private` for HTTP caches.
    pub fn per_viewer(mut self) -> Self {
        self.per_viewer = true;
        self
    }
}

/// Who a per-viewer result belongs to (the signed-in user's id); `None` for anonymous.
pub trait CacheScope {
    fn cache_scope(&self) -> Option<String>;
}

#[derive(Clone, Debug, Eq)]
pub(crate) struct Key {
    pub(crate) procedure: &'static str,
    pub(crate) input: Bytes,
    pub(crate) scope: Option<String>,
}

/// Compared on every lookup: a procedure's name is one `&'static str` from its
/// registration, so the pointers settle the common case without comparing bytes. Equal
/// either way means equal text, which is what `Hash` reads.
impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        (std::ptr::eq(self.procedure, other.procedure) || self.procedure == other.procedure)
            && self.input == other.input
            && self.scope == other.scope
    }
}

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.procedure.hash(state);
        self.input.hash(state);
        self.scope.hash(state);
    }
}

/// A cached result.
pub(crate) struct Entry {
    pub(crate) body: Bytes,
    /// Ready to send: a hit copies no bytes.
    pub(crate) etag: HeaderValue,
    fresh_until: Instant,
    tags: Vec<String>,
    /// The invalidation generation when its computation started.
    generation: u64,
    refreshing: AtomicBool,
}

/// Hit and miss counts since start-up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Type)]
pub struct CacheStats {
    /// Reads answered from a stored result (fresh or stale) or a shared computation.
    pub hits: u32,
    /// Reads that ran the procedure.
    pub misses: u32,
    /// Background refreshes of stale results.
    pub refreshes: u32,
}

type Observer = Box<dyn Fn(&str) + Send + Sync>;

/// The shared cache of query results. Cheap to clone; bounded by entry count.
#[derive(Clone)]
pub struct ResponseCache {
    inner: Arc<Inner>,
}

struct Inner {
    entries: moka::future::Cache<Key, Arc<Entry>>,
    /// Bumped by every invalidation; per tag, the generation of its last invalidation.
    generation: AtomicU64,
    invalidated: Mutex<HashMap<String, u64>>,
    observers: Mutex<Vec<Observer>>,
    hits: AtomicU64,
    misses: AtomicU64,
    refreshes: AtomicU64,
}

impl std::fmt::Debug for ResponseCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseCache").field("entries", &self.inner.entries.entry_count()).field("stats", &self.stats()).finish()
    }
}

impl ResponseCache {
    pub fn new(max_entries: u64) -> Self {
        let entries = moka::future::Cache::builder().max_capacity(max_entries).support_invalidation_closures().build();
        ResponseCache {
            inner: Arc::new(Inner {
                entries,
                generation: AtomicU64::new(0),
                invalidated: Mutex::default(),
                observers: Mutex::default(),
                hits: AtomicU64::new(0),
                misses: AtomicU64::new(0),
                refreshes: AtomicU64::new(0),
            }),
        }
    }

    pub fn stats(&self) -> CacheStats {
        let count = |counter: &AtomicU64| u32::try_from(counter.load(Ordering::Relaxed)).unwrap_or(u32::MAX);
        CacheStats { hits: count(&self.inner.hits), misses: count(&self.inner.misses), refreshes: count(&self.inner.refreshes) }
    }

    /// Drops every result tagged `tag`, here and (through the observers) in other processes.
    pub fn revalidate_tag(&self, tag: &str) {
        self.invalidate_local(tag);
        for observer in self.inner.observers.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            observer(tag);
        }
    }

    /// Drops every result tagged `tag` in this process only (for invalidations received from
    /// other processes).
    pub fn invalidate_local(&self, tag: &str) {
        let generation = self.inner.generation.fetch_add(1, Ordering::SeqCst) + 1;
        self.inner.invalidated.lock().unwrap_or_else(|p| p.into_inner()).insert(tag.to_owned(), generation);
        let tag = tag.to_owned();
        // Only fails when closures are not enabled, which `new` does.
        let _ = self.inner.entries.invalidate_entries_if(move |_, entry| entry.tags.contains(&tag));
    }

    /// Calls `observer` with every tag revalidated in this process.
    pub fn on_revalidate(&self, observer: impl Fn(&str) + Send + Sync + 'static) {
        self.inner.observers.lock().unwrap_or_else(|p| p.into_inner()).push(Box::new(observer));
    }

    /// Whether an invalidation of one of its tags happened after `entry` started computing.
    fn is_outdated(&self, entry: &Entry) -> bool {
        // The common case, without the lock: no invalidation at all since it was computed.
        if entry.tags.is_empty() || entry.generation == self.inner.generation.load(Ordering::SeqCst) {
            return false;
        }
        let invalidated = self.inner.invalidated.lock().unwrap_or_else(|p| p.into_inner());
        entry.tags.iter().any(|tag| invalidated.get(tag).is_some_and(|&at| at > entry.generation))
    }

    /// The cached result for `key`, computing it on a miss (once for concurrent callers) and
    /// refreshing it in the background once it is stale.
    pub(crate) async fn get_or_compute<F, Fut>(
        &self,
        key: Key,
        every: Duration,
        tags: Vec<String>,
        compute: F,
    ) -> Result<Arc<Entry>, Failure>
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Bytes, Failure>> + Send + 'static,
    {
        let outdated = match self.inner.entries.get(&key).await {
            Some(entry) if !self.is_outdated(&entry) => {
                self.inner.hits.fetch_add(1, Ordering::Relaxed);
                if Instant::now() >= entry.fresh_until && !entry.refreshing.swap(true, Ordering::SeqCst) {
                    self.refresh_in_background(key, every, tags, entry.clone(), compute);
                }
                return Ok(entry);
            }
            found => found.is_some(),
        };
        // Boxed: the miss path's future is large, and every hit would otherwise carry it (a
        // larger allocation per call, and bytes moved).
        Box::pin(self.compute_shared(key, outdated, every, tags, compute)).await
    }

    /// Computes `key` once however many callers miss it together, after dropping an
    /// `outdated` result.
    async fn compute_shared<F, Fut>(
        &self,
        key: Key,
        outdated: bool,
        every: Duration,
        tags: Vec<String>,
        compute: F,
    ) -> Result<Arc<Entry>, Failure>
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Bytes, Failure>> + Send + 'static,
    {
        if outdated {
            self.inner.entries.invalidate(&key).await;
        }
        let computed = Arc::new(AtomicBool::new(false));
        let flag = computed.clone();
        let cache = self.clone();
        let result = self
            .inner
            .entries
            .try_get_with(key, async move {
                flag.store(true, Ordering::Relaxed);
                cache.inner.misses.fetch_add(1, Ordering::Relaxed);
                cache.compute_entry(every, tags, &compute).await.map(Arc::new)
            })
            .await
            .map_err(|failure: Arc<Failure>| (*failure).clone());
        if !computed.load(Ordering::Relaxed) {
            self.inner.hits.fetch_add(1, Ordering::Relaxed);
        }
        result
    }

    async fn compute_entry<F, Fut>(&self, every: Duration, tags: Vec<String>, compute: &F) -> Result<Entry, Failure>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<Bytes, Failure>>,
    {
        let generation = self.inner.generation.load(Ordering::SeqCst);
        let body = compute().await?;
        Ok(Entry {
            etag: etag(&body),
            body,
            fresh_until: Instant::now() + every,
            tags,
            generation,
            refreshing: AtomicBool::new(false),
        })
    }

    fn refresh_in_background<F, Fut>(&self, key: Key, every: Duration, tags: Vec<String>, stale: Arc<Entry>, compute: F)
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Bytes, Failure>> + Send + 'static,
    {
        self.inner.refreshes.fetch_add(1, Ordering::Relaxed);
        let cache = self.clone();
        tokio::spawn(async move {
            match cache.compute_entry(every, tags, &compute).await {
                Ok(fresh) if !cache.is_outdated(&fresh) => cache.inner.entries.insert(key, Arc::new(fresh)).await,
                // Failed or overtaken by an invalidation: the next read retries.
                _ => stale.refreshing.store(false, Ordering::SeqCst),
            }
        });
    }
}

/// A strong validator for the body: stable across processes for the same bytes.
fn etag(body: &[u8]) -> HeaderValue {
    let mut hasher = DefaultHasher::new();
    body.hash(&mut hasher);
    let quoted_hex = Bytes::from(format!("\"{:016x}\"", hasher.finish()));
    HeaderValue::from_maybe_shared(quoted_hex).expect("quoted hex is a valid header value")
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;

    fn key(input: &'static str) -> Key {
        Key { procedure: "posts.list", input: Bytes::from_static(input.as_bytes()), scope: None }
    }

    fn counting(calls: Arc<AtomicUsize>) -> impl Fn() -> std::future::Ready<Result<Bytes, Failure>> + Send + Sync + 'static {
        move || {
            let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
            std::future::ready(Ok(Bytes::from(n.to_string())))
        }
    }

    #[tokio::test(start_paused = true)]
    async fn stale_results_are_served_while_one_refresh_runs() {
        let cache = ResponseCache::new(100);
        let calls = Arc::new(AtomicUsize::new(0));
        let every = Duration::from_secs(60);
        let first = cache.get_or_compute(key("{}"), every, vec![], counting(calls.clone())).await.unwrap();
        assert_eq!(first.body, "1");
        let again = cache.get_or_compute(key("{}"), every, vec![], counting(calls.clone())).await.unwrap();
        assert_eq!((again.body.clone(), calls.load(Ordering::SeqCst)), (Bytes::from("1"), 1), "a hit runs nothing");

        tokio::time::advance(Duration::from_secs(61)).await;
        let readers = (0..1000).map(|_| cache.get_or_compute(key("{}"), every, vec![], counting(calls.clone())));
        let answers = futures_util::future::join_all(readers).await;
        assert!(answers.iter().all(|a| a.as_ref().unwrap().body == "1"), "the stale result is served meanwhile");
        tokio::task::yield_now().await;
        tokio::time::advance(Duration::from_millis(1)).await;
        assert_eq!(calls.load(Ordering::SeqCst), 2, "a thousand stale reads cause one refresh");
        let refreshed = cache.get_or_compute(key("{}"), every, vec![], counting(calls.clone())).await.unwrap();
        assert_eq!(refreshed.body, "2");
        assert_eq!(cache.stats().refreshes, 1);
    }

    #[tokio::test]
    async fn concurrent_misses_share_one_computation() {
        let cache = ResponseCache::new(100);
        let calls = Arc::new(AtomicUsize::new(0));
        let readers = (0..1000).map(|_| cache.get_or_compute(key("{}"), Duration::from_secs(60), vec![], counting(calls.clone())));
        futures_util::future::join_all(readers).await;
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(cache.stats(), CacheStats { hits: 999, misses: 1, refreshes: 0 });
    }

    #[tokio::test]
    async fn revalidating_a_tag_drops_its_results_only() {
        let cache = ResponseCache::new(100);
        let calls = Arc::new(AtomicUsize::new(0));
        let every = Duration::from_secs(60);
        let tagged = |input| cache.get_or_compute(key(input), every, vec!["posts".into()], counting(calls.clone()));
        tagged("a").await.unwrap();
        cache.get_or_compute(key("b"), every, vec!["users".into()], counting(calls.clone())).await.unwrap();
        let observed = Arc::new(Mutex::new(Vec::new()));
        let sink = observed.clone();
        cache.on_revalidate(move |tag| sink.lock().unwrap().push(tag.to_owned()));
        cache.revalidate_tag("posts");
        assert_eq!(tagged("a").await.unwrap().body, "3", "recomputed after the invalidation");
        let untouched = cache.get_or_compute(key("b"), every, vec!["users".into()], counting(calls.clone())).await.unwrap();
        assert_eq!(untouched.body, "2");
        assert_eq!(*observed.lock().unwrap(), ["posts"], "other processes are told");
    }
}
