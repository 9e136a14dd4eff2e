//! Operational figures of this server process.

use fetch::FetchStats;
use rpc::{CacheStats, Never};
use serde::Serialize;
use specta::Type;

use crate::context::Ctx;

pub fn router() -> rpc::Router<Ctx> {
    rpc::Router::new().query("system.cacheStats", cache_stats)
}

/// The result cache's figures (query results), and beside them the upstream cache's (answers
/// of external services, `fetch` with `revalidate`).
#[derive(Debug, Serialize, Type)]
pub struct SystemCacheStats {
    #[serde(flatten)]
    pub queries: CacheStats,
    pub upstream: FetchStats,
}

/// Hits, misses and background refreshes of the query result cache and the upstream cache.
async fn cache_stats(ctx: Ctx) -> Result<SystemCacheStats, Never> {
    Ok(SystemCacheStats { queries: ctx.state.cache.stats(), upstream: ctx.state.fetch.stats() })
}
