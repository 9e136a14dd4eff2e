//! Operational figures of this server process.

use rpc::{CacheStats, Never};

use crate::context::Ctx;

pub fn router() -> rpc::Router<Ctx> {
    rpc::Router::new().query("system.cacheStats", cache_stats)
}

/// Hits, misses and background refreshes of the query result cache.
async fn cache_stats(ctx: Ctx) -> Result<CacheStats, Never> {
    Ok(ctx.state.cache.stats())
}
