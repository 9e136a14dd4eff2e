//! How a query's results are cached: for how long, under which tags, for whom.

use std::{sync::Arc, time::Duration};

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
    /// The viewer's key, or `None` for anonymous callers (who share one scope).
    fn cache_scope(&self) -> Option<String>;
}
