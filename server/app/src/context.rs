//! What every procedure receives: the application state and, per request, who is calling
//! (read once from the session cookie). Built by an ordinary axum extractor; the guard in
//! `procedures::auth` turns it into an [`AuthorCtx`] for procedures that need a signed-in author.

use std::sync::Arc;

use axum::{
    extract::{FromRef, FromRequestParts},
    http::request::Parts,
};
use db::DbError;
use fetch::Fetch;
use isthmus_db_runtime::chrono::{self, Utc};
use rpc::{CacheScope, Cookies, Internal, ResponseCache};
use serde::Serialize;
use specta::Type;

use crate::{
    blog::{
        email::Mailer,
        outbox::Outbox,
        password, seed,
        session::{self, SessionPolicy},
    },
    configuration::{Environment, Settings},
    procedures::{
        auth::AuthError,
        newsletter::{self, NewsletterEvents},
    },
};

/// Shared by all requests; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: db::Db,
    /// Cached query results: mutations revalidate tags by declaring them (`.revalidates`) or
    /// with `revalidate_tag` for tags computed from their input.
    pub cache: ResponseCache,
    pub newsletter: Arc<NewsletterEvents>,
    pub sessions: SessionPolicy,
    /// The site's public origin (`https://example.com`), for absolute links (the feed, emails).
    pub public_origin: String,
    /// The HTTP client for external services: timeouts, retries, cached reads (`isthmus-fetch`).
    pub fetch: Fetch,
    /// Where emails go; procedures queue them in the outbox rather than sending.
    pub mailer: Mailer,
    pub outbox: Outbox,
}

/// How often expired sessions and unconfirmed sign-ups are deleted.
const PRUNE_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

impl AppState {
    /// The application's start-up, which `startup` calls with the migrated database, the
    /// result cache and the HTTP client for external services: the state, the background tasks
    /// (live counts across processes, the outbox, pruning expired sessions and sign-ups), and
    /// in development the demo content of an empty database, whose author's password is
    /// printed once.
    pub async fn start(
        db: db::Db,
        cache: ResponseCache,
        fetch: Fetch,
        settings: &Settings,
        public_origin: String,
    ) -> Result<Self, DbError> {
        let days = |days: u32| chrono::Duration::days(i64::from(days));
        let sessions = SessionPolicy { lifetime: days(settings.session_days), idle: days(settings.session_idle_days) };
        let mailer = Mailer::new(settings.email_api.as_ref(), &settings.email_from, &fetch, settings.environment);
        let outbox = Outbox::new(db.clone(), mailer.clone(), settings.outbox_retry, settings.fetch_timeout);
        let state = AppState { db, cache, newsletter: Arc::default(), sessions, public_origin, fetch, mailer, outbox };
        newsletter::share_counts(&state.db, state.newsletter.clone()).await?;
        state.outbox.start();
        tokio::task::spawn_blocking(password::prepare_dummy);
        // Once before serving, then hourly: a prune never races the first requests.
        prune(&state.db, state.sessions).await;
        let (db, policy) = (state.db.clone(), state.sessions);
        tokio::spawn(async move {
            let mut every = tokio::time::interval_at(tokio::time::Instant::now() + PRUNE_EVERY, PRUNE_EVERY);
            loop {
                every.tick().await;
                prune(&db, policy).await;
            }
        });
        if settings.environment == Environment::Development
            && let Some(password) = seed::demo_content_if_empty(&state.db).await?
        {
            println!("seeded demo content: sign in as {} with the password {password}", seed::DEMO_EMAIL);
        }
        Ok(state)
    }
}

/// Drops expired sessions and expired unconfirmed sign-ups; a failure is logged and retried
/// at the next round.
async fn prune(db: &db::Db, policy: SessionPolicy) {
    if let Err(error) = session::prune(db, policy, Utc::now()).await {
        tracing::warn!(%error, "could not prune expired sessions");
    }
    if let Err(error) = newsletter::prune_unconfirmed(db, Utc::now()).await {
        tracing::warn!(%error, "could not prune unconfirmed sign-ups");
    }
}

/// The layer keeps `cached_query` results here.
impl FromRef<AppState> for ResponseCache {
    fn from_ref(state: &AppState) -> Self {
        state.cache.clone()
    }
}

/// A signed-in user as procedures and pages see them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Viewer {
    pub id: i32,
    pub name: String,
    pub email: String,
    pub role: db::Role,
}

impl From<db::User> for Viewer {
    fn from(user: db::User) -> Self {
        Viewer { id: user.id, name: user.name, email: user.email, role: user.role }
    }
}

/// The context of one call.
#[derive(Clone)]
pub struct Ctx {
    pub state: AppState,
    /// The signed-in user, if the session cookie names a live session.
    pub viewer: Option<Viewer>,
    /// The caller's cookies, and those the call sets (sign-in, sign-out).
    pub cookies: Cookies,
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = AuthError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AuthError> {
        let Ok(cookies) = Cookies::from_request_parts(parts, state).await;
        let viewer = match cookies.get(session::COOKIE) {
            Some(token) => session::resolve(&state.db, token, state.sessions, Utc::now())
                .await
                .map_err(|error| AuthError::Internal(Internal::from(error)))?
                .map(Viewer::from),
            None => None,
        };
        Ok(Ctx { state: state.clone(), viewer, cookies })
    }
}

/// Per-viewer results are kept per signed-in user.
impl CacheScope for Ctx {
    fn cache_scope(&self) -> Option<String> {
        self.viewer.as_ref().map(|viewer| viewer.id.to_string())
    }
}

/// The context behind the `require_author` guard: someone is signed in.
#[derive(Clone)]
pub struct AuthorCtx {
    pub state: AppState,
    pub viewer: Viewer,
    pub cookies: Cookies,
}

impl AuthorCtx {
    /// Whether the viewer may change what `author_id` wrote: its author, or an admin.
    pub fn may_edit(&self, author_id: i32) -> bool {
        self.viewer.id == author_id || self.viewer.role == db::Role::Admin
    }
}

impl CacheScope for AuthorCtx {
    fn cache_scope(&self) -> Option<String> {
        Some(self.viewer.id.to_string())
    }
}
