//! The result store: entries with their freshness and tags, invalidation generations, and
//! single flight for misses.

use std::{
    collections::HashMap,
    hash::{Hash, Hasher},
    panic::AssertUnwindSafe,
    sync::{
        Arc, Mutex, OnceLock,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::Duration,
};

use axum::{body::Bytes, http::HeaderMap};
use futures_util::{
    FutureExt,
    future::{BoxFuture, Shared},
};
use serde::Serialize;
use specta::Type;
use tokio::time::Instant;
use tracing::Instrument;

use crate::{error::Failure, lock};

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

/// How a computed result is kept: how long it is fresh, its tags, and whether it is one
/// viewer's.
pub(crate) struct Keep {
    pub(crate) every: Duration,
    pub(crate) tags: Vec<String>,
    pub(crate) per_viewer: bool,
}

/// A cached result.
pub(crate) struct Entry {
    pub(crate) body: Bytes,
    /// One viewer's result (`Revalidate::per_viewer`).
    pub(crate) per_viewer: bool,
    /// The answer's headers, built by the transport on the first send and kept with the
    /// result: a hit clones the map instead of building each header again.
    pub(crate) http_headers: OnceLock<HeaderMap>,
    fresh_until: Instant,
    tags: Vec<String>,
    /// The invalidation generation when its computation started.
    generation: u64,
    refreshing: AtomicBool,
}

impl Entry {
    pub(crate) fn tags(&self) -> &[String] {
        &self.tags
    }
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

/// A computation that concurrent misses of one key share; every caller gets its result.
type SharedComputation = Shared<BoxFuture<'static, Result<Arc<Entry>, Failure>>>;

struct Computation {
    /// The invalidation generation it started in: a reader arriving after an invalidation
    /// must not join a computation that may have read the data before the write.
    generation: u64,
    result: SharedComputation,
}

/// The shared cache of query results. Cheap to clone; bounded by entry count.
#[derive(Clone)]
pub struct ResponseCache {
    inner: Arc<Inner>,
}

struct Inner {
    /// quick_cache rather than moka: a hit is one sharded read lock and a hash probe, where
    /// moka also records every read for its eviction policy (a third of a hit's cost).
    entries: quick_cache::sync::Cache<Key, Arc<Entry>>,
    computing: Mutex<HashMap<Key, Computation>>,
    /// Bumped by every invalidation; per tag, the generation of its last invalidation.
    generation: AtomicU64,
    invalidated: Mutex<HashMap<String, u64>>,
    observers: Mutex<Vec<Observer>>,
    /// Told of every tag dropped in this process, wherever the invalidation came from.
    dropped: Mutex<Vec<Observer>>,
    hits: AtomicU64,
    misses: AtomicU64,
    refreshes: AtomicU64,
}

impl std::fmt::Debug for ResponseCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseCache")
            .field("entries", &self.inner.entries.len())
            .field("stats", &self.stats())
            .finish()
    }
}

impl ResponseCache {
    /// A cache holding at most `max_entries` results (the least useful are evicted first).
    pub fn new(max_entries: usize) -> Self {
        ResponseCache {
            inner: Arc::new(Inner {
                entries: quick_cache::sync::Cache::new(max_entries),
                computing: Mutex::default(),
                generation: AtomicU64::new(0),
                invalidated: Mutex::default(),
                observers: Mutex::default(),
                dropped: Mutex::default(),
                hits: AtomicU64::new(0),
                misses: AtomicU64::new(0),
                refreshes: AtomicU64::new(0),
            }),
        }
    }

    /// Hits, misses and refreshes since the cache was made.
    pub fn stats(&self) -> CacheStats {
        let count = |counter: &AtomicU64| u32::try_from(counter.load(Ordering::Relaxed)).unwrap_or(u32::MAX);
        CacheStats {
            hits: count(&self.inner.hits),
            misses: count(&self.inner.misses),
            refreshes: count(&self.inner.refreshes),
        }
    }

    /// Drops every result tagged `tag`, here and (through the observers) in other processes.
    pub fn revalidate_tag(&self, tag: &str) {
        self.invalidate_local(tag);
        for observer in lock(&self.inner.observers).iter() {
            observer(tag);
        }
    }

    /// Drops every result tagged `tag` in this process only (for invalidations received from
    /// other processes).
    pub fn invalidate_local(&self, tag: &str) {
        let generation = self.inner.generation.fetch_add(1, Ordering::SeqCst) + 1;
        // The latest generation wins even when two invalidations of one tag race here.
        lock(&self.inner.invalidated)
            .entry(tag.to_owned())
            .and_modify(|at| *at = (*at).max(generation))
            .or_insert(generation);
        self.inner.entries.retain(|_, entry| !entry.tags.iter().any(|t| t == tag));
        for observer in lock(&self.inner.dropped).iter() {
            observer(tag);
        }
    }

    /// Calls `observer` with every tag dropped in this process: revalidated here or received
    /// from another process. What is built from cached results (rendered pages) follows them
    /// this way.
    pub fn on_invalidate(&self, observer: impl Fn(&str) + Send + Sync + 'static) {
        lock(&self.inner.dropped).push(Box::new(observer));
    }

    /// Calls `observer` with every tag revalidated in this process.
    pub fn on_revalidate(&self, observer: impl Fn(&str) + Send + Sync + 'static) {
        lock(&self.inner.observers).push(Box::new(observer));
    }

    /// Whether an invalidation of one of its tags happened after `entry` started computing.
    fn is_outdated(&self, entry: &Entry) -> bool {
        // The common case, without the lock: no invalidation at all since it was computed.
        if entry.tags.is_empty() || entry.generation == self.inner.generation.load(Ordering::SeqCst) {
            return false;
        }
        let invalidated = lock(&self.inner.invalidated);
        entry.tags.iter().any(|tag| invalidated.get(tag).is_some_and(|&at| at > entry.generation))
    }

    /// The stored result for `key` while it is fresh, counted as a hit: the whole of a common
    /// read, without building the computation. On `None`, [`get_or_compute`](Self::get_or_compute).
    pub(crate) fn fresh(&self, key: &Key) -> Option<Arc<Entry>> {
        let entry = self.inner.entries.get(key)?;
        if Instant::now() >= entry.fresh_until || self.is_outdated(&entry) {
            return None;
        }
        self.inner.hits.fetch_add(1, Ordering::Relaxed);
        Some(entry)
    }

    /// The cached result for `key`, computing it on a miss (once for concurrent callers) and
    /// refreshing it in the background once it is stale.
    pub(crate) async fn get_or_compute<F, Fut>(&self, key: Key, keep: Keep, compute: F) -> Result<Arc<Entry>, Failure>
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Bytes, Failure>> + Send + 'static,
    {
        if let Some(entry) = self.inner.entries.get(&key) {
            if !self.is_outdated(&entry) {
                self.inner.hits.fetch_add(1, Ordering::Relaxed);
                if Instant::now() >= entry.fresh_until && !entry.refreshing.swap(true, Ordering::SeqCst) {
                    self.refresh_in_background(key, keep, entry.clone(), compute);
                }
                return Ok(entry);
            }
            // Only this entry: a fresh one stored meanwhile stays.
            self.inner.entries.remove_if(&key, |stored| Arc::ptr_eq(stored, &entry));
        }
        self.compute_shared(key, keep, compute).await
    }

    /// Computes `key` once however many callers miss it together. The computation runs as
    /// its own task: a caller that goes away does not cancel it for the others.
    async fn compute_shared<F, Fut>(&self, key: Key, keep: Keep, compute: F) -> Result<Arc<Entry>, Failure>
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Bytes, Failure>> + Send + 'static,
    {
        let generation = self.inner.generation.load(Ordering::SeqCst);
        let (result, replaced) = {
            let mut computing = lock(&self.inner.computing);
            match computing.get(&key) {
                // A computation that started at or after this read's generation: never
                // replaced by an older reader.
                Some(running) if running.generation >= generation => {
                    self.inner.hits.fetch_add(1, Ordering::Relaxed);
                    (running.result.clone(), None)
                }
                _ => {
                    self.inner.misses.fetch_add(1, Ordering::Relaxed);
                    let result = self.computation(key.clone(), generation, keep, compute);
                    let replaced = computing.insert(key, Computation { generation, result: result.clone() });
                    (result, replaced)
                }
            }
        };
        // Outside the lock: dropping an unstarted computation takes it.
        drop(replaced);
        result.await
    }

    /// The shared computation of `key`. Its first poll spawns the task, outside the
    /// registration's lock.
    fn computation<F, Fut>(&self, key: Key, generation: u64, keep: Keep, compute: F) -> SharedComputation
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Bytes, Failure>> + Send + 'static,
    {
        let done = Done { cache: self.clone(), key, generation };
        async move {
            let task = tokio::spawn(
                async move {
                    let entry = Arc::new(done.cache.compute_entry(keep, &compute).await?);
                    if !done.cache.is_outdated(&entry) {
                        done.cache.inner.entries.insert(done.key.clone(), entry.clone());
                    }
                    Ok(entry)
                }
                .in_current_span(),
            );
            task.await.unwrap_or_else(|error| {
                tracing::error!(%error, "cached procedure panicked");
                Err(Failure::Internal)
            })
        }
        .boxed()
        .shared()
    }

    async fn compute_entry<F, Fut>(&self, keep: Keep, compute: &F) -> Result<Entry, Failure>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<Bytes, Failure>>,
    {
        let generation = self.inner.generation.load(Ordering::SeqCst);
        let body = compute().await?;
        Ok(Entry {
            body,
            per_viewer: keep.per_viewer,
            http_headers: OnceLock::new(),
            fresh_until: Instant::now() + keep.every,
            tags: keep.tags,
            generation,
            refreshing: AtomicBool::new(false),
        })
    }

    fn refresh_in_background<F, Fut>(&self, key: Key, keep: Keep, stale: Arc<Entry>, compute: F)
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Bytes, Failure>> + Send + 'static,
    {
        self.inner.refreshes.fetch_add(1, Ordering::Relaxed);
        let cache = self.clone();
        tokio::spawn(
            async move {
                match AssertUnwindSafe(cache.compute_entry(keep, &compute)).catch_unwind().await {
                    Ok(Ok(fresh)) if !cache.is_outdated(&fresh) => cache.inner.entries.insert(key, Arc::new(fresh)),
                    // Failed, panicked or overtaken by an invalidation: the next read retries.
                    _ => stale.refreshing.store(false, Ordering::SeqCst),
                }
            }
            .in_current_span(),
        );
    }
}

/// Ends a shared computation's registration when its task finishes, panics included (a
/// drop guard), after the result is stored: a later miss starts afresh. Never dropped
/// under the registration's lock (it takes it).
struct Done {
    cache: ResponseCache,
    key: Key,
    generation: u64,
}

impl Drop for Done {
    fn drop(&mut self) {
        let mut computing = lock(&self.cache.inner.computing);
        if computing.get(&self.key).is_some_and(|running| running.generation == self.generation) {
            computing.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;

    fn keep(every: Duration, tags: Vec<String>) -> Keep {
        Keep { every, tags, per_viewer: false }
    }

    fn key(input: &'static str) -> Key {
        Key { procedure: "posts.list", input: Bytes::from_static(input.as_bytes()), scope: None }
    }

    fn counting(
        calls: Arc<AtomicUsize>,
    ) -> impl Fn() -> std::future::Ready<Result<Bytes, Failure>> + Send + Sync + 'static {
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
        let first = cache.get_or_compute(key("{}"), keep(every, vec![]), counting(calls.clone())).await.unwrap();
        assert_eq!(first.body, "1");
        let again = cache.get_or_compute(key("{}"), keep(every, vec![]), counting(calls.clone())).await.unwrap();
        assert_eq!((again.body.clone(), calls.load(Ordering::SeqCst)), (Bytes::from("1"), 1), "a hit runs nothing");

        tokio::time::advance(Duration::from_secs(61)).await;
        let readers = (0..1000).map(|_| cache.get_or_compute(key("{}"), keep(every, vec![]), counting(calls.clone())));
        let answers = futures_util::future::join_all(readers).await;
        assert!(answers.iter().all(|a| a.as_ref().unwrap().body == "1"), "the stale result is served meanwhile");
        tokio::task::yield_now().await;
        tokio::time::advance(Duration::from_millis(1)).await;
        assert_eq!(calls.load(Ordering::SeqCst), 2, "a thousand stale reads cause one refresh");
        let refreshed = cache.get_or_compute(key("{}"), keep(every, vec![]), counting(calls.clone())).await.unwrap();
        assert_eq!(refreshed.body, "2");
        assert_eq!(cache.stats().refreshes, 1);
    }

    #[tokio::test]
    async fn concurrent_misses_share_one_computation() {
        let cache = ResponseCache::new(100);
        let calls = Arc::new(AtomicUsize::new(0));
        let readers = (0..1000)
            .map(|_| cache.get_or_compute(key("{}"), keep(Duration::from_secs(60), vec![]), counting(calls.clone())));
        futures_util::future::join_all(readers).await;
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(cache.stats(), CacheStats { hits: 999, misses: 1, refreshes: 0 });
    }

    #[tokio::test]
    async fn revalidating_a_tag_drops_its_results_only() {
        let cache = ResponseCache::new(100);
        let calls = Arc::new(AtomicUsize::new(0));
        let every = Duration::from_secs(60);
        let tagged =
            |input| cache.get_or_compute(key(input), keep(every, vec!["posts".into()]), counting(calls.clone()));
        tagged("a").await.unwrap();
        cache.get_or_compute(key("b"), keep(every, vec!["users".into()]), counting(calls.clone())).await.unwrap();
        let observed = Arc::new(Mutex::new(Vec::new()));
        let sink = observed.clone();
        cache.on_revalidate(move |tag| sink.lock().unwrap().push(tag.to_owned()));
        cache.revalidate_tag("posts");
        assert_eq!(tagged("a").await.unwrap().body, "3", "recomputed after the invalidation");
        let untouched =
            cache.get_or_compute(key("b"), keep(every, vec!["users".into()]), counting(calls.clone())).await.unwrap();
        assert_eq!(untouched.body, "2");
        assert_eq!(*observed.lock().unwrap(), ["posts"], "other processes are told");
    }

    /// Counts its calls and waits for a permit of `gate` before answering the count.
    fn gated(
        calls: Arc<AtomicUsize>,
        gate: Arc<tokio::sync::Semaphore>,
    ) -> impl Fn() -> BoxFuture<'static, Result<Bytes, Failure>> + Send + Sync + 'static {
        move || {
            let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
            let gate = gate.clone();
            async move {
                gate.acquire().await.unwrap().forget();
                Ok(Bytes::from(n.to_string()))
            }
            .boxed()
        }
    }

    async fn until(condition: impl Fn() -> bool) {
        while !condition() {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test]
    async fn a_read_after_an_invalidation_does_not_join_an_older_computation() {
        let cache = ResponseCache::new(100);
        let (calls, gate) = (Arc::new(AtomicUsize::new(0)), Arc::new(tokio::sync::Semaphore::new(0)));
        let read = || {
            let (cache, compute) = (cache.clone(), gated(calls.clone(), gate.clone()));
            tokio::spawn(async move {
                cache.get_or_compute(key("{}"), keep(Duration::from_secs(60), vec!["posts".into()]), compute).await
            })
        };
        let before = read();
        until(|| calls.load(Ordering::SeqCst) == 1).await;
        cache.revalidate_tag("posts");
        let after = read();
        until(|| calls.load(Ordering::SeqCst) == 2).await;
        gate.add_permits(2);
        assert_eq!(before.await.unwrap().unwrap().body, "1");
        assert_eq!(after.await.unwrap().unwrap().body, "2", "computed after the write");
        let next = cache.get_or_compute(
            key("{}"),
            keep(Duration::from_secs(60), vec!["posts".into()]),
            counting(calls.clone()),
        );
        assert_eq!(next.await.unwrap().body, "2", "the older result was not stored over the newer");
        assert_eq!(cache.stats().misses, 2);
    }

    #[tokio::test]
    async fn concurrent_misses_share_a_failure_and_the_next_read_retries() {
        let cache = ResponseCache::new(100);
        let calls = Arc::new(AtomicUsize::new(0));
        let failing = |calls: Arc<AtomicUsize>| {
            move || {
                calls.fetch_add(1, Ordering::SeqCst);
                std::future::ready(Err::<Bytes, _>(Failure::Internal))
            }
        };
        let readers = (0..100)
            .map(|_| cache.get_or_compute(key("{}"), keep(Duration::from_secs(60), vec![]), failing(calls.clone())));
        let answers = futures_util::future::join_all(readers).await;
        assert!(answers.iter().all(|answer| matches!(answer, Err(Failure::Internal))));
        assert_eq!(calls.load(Ordering::SeqCst), 1, "one computation for a hundred readers");
        let retried = cache
            .get_or_compute(key("{}"), keep(Duration::from_secs(60), vec![]), counting(calls.clone()))
            .await
            .unwrap();
        assert_eq!(retried.body, "2", "failures are not stored");
    }

    #[tokio::test]
    async fn a_panicking_computation_answers_internal_and_is_not_remembered() {
        let cache = ResponseCache::new(100);
        let panicking = || -> std::future::Ready<Result<Bytes, Failure>> { panic!("the handler has a bug") };
        let failed = cache.get_or_compute(key("{}"), keep(Duration::from_secs(60), vec![]), panicking).await;
        assert!(matches!(failed, Err(Failure::Internal)));
        let calls = Arc::new(AtomicUsize::new(0));
        let next = cache
            .get_or_compute(key("{}"), keep(Duration::from_secs(60), vec![]), counting(calls.clone()))
            .await
            .unwrap();
        assert_eq!((next.body.clone(), calls.load(Ordering::SeqCst)), (Bytes::from("1"), 1));
    }
}
