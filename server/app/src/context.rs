//! What every procedure receives: the application state and, per request, what the request
//! says about its caller. Built by an ordinary axum extractor.

use std::sync::Arc;

use axum::{
    extract::{FromRef, FromRequestParts},
    http::request::Parts,
};
use rpc::{CacheScope, Never, ResponseCache};

use crate::procedures::newsletter::NewsletterEvents;

/// Shared by all requests; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: db::Db,
    /// Cached query results: mutations revalidate tags by declaring them (`.revalidates`) or
    /// with `revalidate_tag` for tags computed from their input.
    pub cache: ResponseCache,
    pub newsletter: Arc<NewsletterEvents>,
}

impl AppState {
    /// The state over the migrated database and the result cache, which `startup` makes.
    pub fn new(db: db::Db, cache: ResponseCache) -> Self {
        AppState { db, cache, newsletter: Arc::default() }
    }
}

/// The layer keeps `cached_query` results here.
impl FromRef<AppState> for ResponseCache {
    fn from_ref(state: &AppState) -> Self {
        state.cache.clone()
    }
}

/// The context of one call.
#[derive(Clone)]
pub struct Ctx {
    pub state: AppState,
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = Never;

    async fn from_request_parts(_parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(Ctx { state: state.clone() })
    }
}

/// No sessions yet: every caller is anonymous, so per-viewer results share one scope.
impl CacheScope for Ctx {
    fn cache_scope(&self) -> Option<String> {
        None
    }
}
