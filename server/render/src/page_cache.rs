//! Rendered pages kept as HTML: fresh for the route's `revalidate`, then served stale while
//! one background render replaces them, and dropped when a cache tag of a query they were
//! built from is revalidated (in this process or, through the result cache, in another).

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::Duration,
};

use axum::{body::Bytes, http::HeaderValue};
use tokio::time::Instant;

/// A page's cache key: its URL (path and query) and the viewer it was rendered for (`None`:
/// anonymous). Pages are never shared between viewers: the layout may show who is signed in.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct PageKey {
    pub(crate) url: String,
    pub(crate) scope: Option<String>,
}

/// A rendered page.
pub(crate) struct Page {
    pub(crate) html: Bytes,
    pub(crate) etag: HeaderValue,
    fresh_until: Instant,
    tags: Vec<String>,
    refreshing: AtomicBool,
}

impl Page {
    pub(crate) fn new(html: Bytes, fresh_for: Duration, tags: Vec<String>) -> Self {
        Page {
            etag: rpc::strong_etag(&html),
            html,
            fresh_until: Instant::now() + fresh_for,
            tags,
            refreshing: AtomicBool::new(false),
        }
    }
}

/// What a lookup found.
pub(crate) enum Lookup {
    Fresh(Arc<Page>),
    /// Past its interval. `refresh`: this reader is the one to render it again.
    Stale {
        page: Arc<Page>,
        refresh: bool,
    },
    Missing,
}

/// Hit and miss counts of the page cache since start-up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PageStats {
    /// Pages answered from the cache, fresh or stale.
    pub hits: u64,
    /// Pages rendered because none was stored.
    pub misses: u64,
    /// Background renders of stale pages.
    pub refreshes: u64,
    /// Renders that failed and answered the client shell instead.
    pub fallbacks: u64,
}

/// Weighs a page by its HTML, so that the cache is bounded in bytes: many distinct URLs of
/// large pages cannot grow it past its budget.
#[derive(Clone)]
struct HtmlBytes;

impl quick_cache::Weighter<PageKey, Arc<Page>> for HtmlBytes {
    fn weight(&self, key: &PageKey, page: &Arc<Page>) -> u64 {
        (key.url.len() + page.html.len()) as u64
    }
}

/// A page is about this large, for sizing the cache's table.
const TYPICAL_PAGE_BYTES: usize = 32 * 1024;

pub(crate) struct PageCache {
    /// `None`: caching is off, every request renders.
    entries: Option<quick_cache::sync::Cache<PageKey, Arc<Page>, HtmlBytes>>,
    /// Bumped by every invalidation: a render that overlapped one is not stored.
    generation: AtomicU64,
    pub(crate) hits: AtomicU64,
    pub(crate) misses: AtomicU64,
    pub(crate) refreshes: AtomicU64,
    pub(crate) fallbacks: AtomicU64,
}

impl PageCache {
    /// A cache holding pages up to `max_bytes` of HTML; 0 keeps none.
    pub(crate) fn new(max_bytes: usize) -> Self {
        let cache = || {
            let pages = (max_bytes / TYPICAL_PAGE_BYTES).max(16);
            quick_cache::sync::Cache::with_weighter(pages, max_bytes as u64, HtmlBytes)
        };
        PageCache {
            entries: (max_bytes > 0).then(cache),
            generation: AtomicU64::new(0),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            refreshes: AtomicU64::new(0),
            fallbacks: AtomicU64::new(0),
        }
    }

    pub(crate) fn lookup(&self, key: &PageKey) -> Lookup {
        let Some(page) = self.entries.as_ref().and_then(|entries| entries.get(key)) else {
            self.misses.fetch_add(1, Ordering::Relaxed);
            return Lookup::Missing;
        };
        self.hits.fetch_add(1, Ordering::Relaxed);
        if Instant::now() < page.fresh_until {
            return Lookup::Fresh(page);
        }
        let refresh = !page.refreshing.swap(true, Ordering::SeqCst);
        if refresh {
            self.refreshes.fetch_add(1, Ordering::Relaxed);
        }
        Lookup::Stale { page, refresh }
    }

    /// The generation a render starts in; pass it to [`store`](Self::store).
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Stores a page rendered since `generation`, unless an invalidation happened meanwhile
    /// (the render may have read data from before a write; conservative: any tag counts).
    /// Whether it was stored.
    pub(crate) fn store(&self, key: PageKey, page: Page, generation: u64) -> bool {
        let Some(entries) = &self.entries else { return false };
        if self.generation() != generation {
            return false;
        }
        let page = Arc::new(page);
        entries.insert(key.clone(), page.clone());
        // An invalidation between the check and the insert may have missed this page.
        if self.generation() != generation {
            entries.remove_if(&key, |stored| Arc::ptr_eq(stored, &page));
            return false;
        }
        true
    }

    /// A stale page whose refresh failed or is no longer cacheable: the next reader renders.
    pub(crate) fn forget(&self, key: &PageKey, stale: &Arc<Page>) {
        if let Some(entries) = &self.entries {
            entries.remove_if(key, |stored| Arc::ptr_eq(stored, stale));
        }
    }

    pub(crate) fn invalidate(&self, tag: &str) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        if let Some(entries) = &self.entries {
            entries.retain(|_, page| !page.tags.iter().any(|t| t == tag));
        }
    }

    pub(crate) fn stats(&self) -> PageStats {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        PageStats {
            hits: read(&self.hits),
            misses: read(&self.misses),
            refreshes: read(&self.refreshes),
            fallbacks: read(&self.fallbacks),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUDGET: usize = 1024 * 1024;

    fn key(url: &str) -> PageKey {
        PageKey { url: url.into(), scope: None }
    }

    #[tokio::test(start_paused = true)]
    async fn a_stale_page_is_served_and_one_reader_refreshes_it() {
        let cache = PageCache::new(BUDGET);
        assert!(cache.store(key("/a"), Page::new("a".into(), Duration::from_secs(60), vec![]), cache.generation()));
        assert!(matches!(cache.lookup(&key("/a")), Lookup::Fresh(_)));
        tokio::time::advance(Duration::from_secs(61)).await;
        assert!(matches!(cache.lookup(&key("/a")), Lookup::Stale { refresh: true, .. }));
        assert!(matches!(cache.lookup(&key("/a")), Lookup::Stale { refresh: false, .. }), "one refresh at a time");
        assert!(matches!(cache.lookup(&key("/b")), Lookup::Missing));
        assert_eq!(cache.stats(), PageStats { hits: 3, misses: 1, refreshes: 1, fallbacks: 0 });
    }

    #[test]
    fn a_tag_drops_its_pages_and_a_render_overlapping_an_invalidation_is_not_stored() {
        let cache = PageCache::new(BUDGET);
        let every = Duration::from_secs(60);
        cache.store(key("/blog"), Page::new("list".into(), every, vec!["posts".into()]), cache.generation());
        cache.store(key("/about"), Page::new("about".into(), every, vec![]), cache.generation());
        let started = cache.generation();
        cache.invalidate("posts");
        assert!(matches!(cache.lookup(&key("/blog")), Lookup::Missing));
        assert!(matches!(cache.lookup(&key("/about")), Lookup::Fresh(_)));
        assert!(!cache.store(key("/blog"), Page::new("old".into(), every, vec!["posts".into()]), started));
        assert!(matches!(cache.lookup(&key("/blog")), Lookup::Missing), "rendered from data before the write");
    }

    #[test]
    fn the_cache_is_bounded_in_bytes_of_html() {
        let cache = PageCache::new(BUDGET);
        let big = Bytes::from(vec![b'x'; 64 * 1024]);
        for n in 0..100 {
            cache.store(key(&format!("/page?{n}")), Page::new(big.clone(), Duration::from_secs(60), vec![]), 0);
        }
        let stored = cache.entries.as_ref().unwrap().weight();
        assert!(stored <= BUDGET as u64, "{stored} bytes stored");
        assert!(PageCache::new(0).entries.is_none(), "0 keeps no pages");
    }
}
