//! Signing authors in and out. Passwords are checked with Argon2id (`password.rs`), sessions
//! live in the database (`session.rs`), and the cookie is written by the procedure layer
//! (HttpOnly, SameSite=Lax, Secure under https).

use std::{num::NonZeroU32, time::Duration};

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
};
use db::{Client, user};
use isthmus_db_runtime::chrono::{self, Utc};
use rpc::{Internal, Never, ProcedureError, ProcedureMeta, RateLimit, Revalidate, Valid};
use serde::{Deserialize, Serialize};
use specta::Type;
use validator::Validate;

use crate::{
    blog::{password, session},
    context::{AuthorCtx, Ctx, Viewer},
};

/// Sign-in attempts per client address and minute.
const LOGINS_PER_MINUTE: NonZeroU32 = NonZeroU32::new(10).unwrap();

/// How long `auth.me` is answered from the cache. The cache key is the viewer the session
/// resolves to on each call, so signing out or an expired session is seen at once.
const ME_FRESH_FOR: Duration = Duration::from_secs(60);

/// Failed sign-ins to one account before it is locked for a while, and how that wait grows.
const FREE_FAILURES: i32 = 3;
const FIRST_LOCK: chrono::Duration = chrono::Duration::seconds(2);
const LONGEST_LOCK: chrono::Duration = chrono::Duration::minutes(15);

pub fn router() -> rpc::Router<Ctx> {
    rpc::Router::new()
        .mutation("auth.login", login)
        .rate_limit(RateLimit::per_minute(LOGINS_PER_MINUTE))
        .mutation("auth.logout", logout)
        // Per viewer: every page's header shows it, and pages are cached per viewer.
        .cached_query("auth.me", me, Revalidate::every(ME_FRESH_FOR).per_viewer())
}

/// Why a call about the caller's identity failed.
#[derive(Debug, Serialize, Type)]
#[serde(tag = "code", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AuthError {
    /// No one is signed in (401).
    Unauthenticated,
    /// The session could not be read (500, details logged).
    #[serde(skip)]
    Internal(Internal),
}

/// What axum would answer for a rejected context; the procedure layer answers the typed
/// envelope instead, so this only satisfies `FromRequestParts`.
impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        self.status().into_response()
    }
}

impl ProcedureError for AuthError {
    const STATUSES: &'static [StatusCode] = &[StatusCode::UNAUTHORIZED];

    fn status(&self) -> StatusCode {
        match self {
            AuthError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AuthError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn internal(&self) -> Option<&Internal> {
        match self {
            AuthError::Internal(internal) => Some(internal),
            _ => None,
        }
    }
}

/// The shortest password `author create` accepts.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// Creates an author (or an admin) who signs in with `password`; the email is stored
/// lowercased, as sign-in looks it up.
pub async fn create_author(
    db: &db::Db,
    email: &str,
    name: &str,
    password: &str,
    role: db::Role,
) -> Result<db::User, db::DbError> {
    let hash = password::hash(password);
    let create = user::Create { role: Some(role), ..user::Create::new(email.trim().to_lowercase(), name.trim(), hash) };
    db.user().create(create).await
}

/// The guard of every procedure that needs a signed-in author.
pub async fn require_author(ctx: Ctx, _meta: ProcedureMeta) -> Result<AuthorCtx, AuthError> {
    let viewer = ctx.viewer.ok_or(AuthError::Unauthenticated)?;
    Ok(AuthorCtx { state: ctx.state, viewer, cookies: ctx.cookies })
}

#[derive(Debug, Deserialize, Type, Validate)]
#[serde(rename_all = "camelCase")]
pub struct Login {
    #[serde(deserialize_with = "rpc::trimmed")]
    #[specta(type = String)]
    #[validate(length(min = 1, message = "Enter your email address."))]
    pub email: String,
    #[validate(length(min = 1, max = 1024, message = "Enter your password."))]
    pub password: String,
}

#[derive(Debug, Serialize, Type)]
#[serde(tag = "code", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LoginError {
    /// The email and password do not match an author, or the account is locked after repeated
    /// failures: the same answer, after the same work, whether or not the email exists.
    InvalidCredentials,
    #[serde(skip)]
    Internal(Internal),
}

impl ProcedureError for LoginError {
    const STATUSES: &'static [StatusCode] = &[StatusCode::UNAUTHORIZED];

    fn status(&self) -> StatusCode {
        match self {
            LoginError::InvalidCredentials => StatusCode::UNAUTHORIZED,
            LoginError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn internal(&self) -> Option<&Internal> {
        match self {
            LoginError::Internal(internal) => Some(internal),
            _ => None,
        }
    }
}

impl From<db::DbError> for LoginError {
    fn from(error: db::DbError) -> Self {
        LoginError::Internal(error.into())
    }
}

/// Counts a failed sign-in in the database (atomically: concurrent guesses all count) and locks
/// the account when the count calls for it. A count whose last lock ended long ago starts over.
async fn record_failure(db: &db::Db, found: &db::User, now: chrono::DateTime<Utc>) -> Result<(), db::DbError> {
    let stale = found.locked_until.is_some_and(|until| now >= until + LONGEST_LOCK);
    let count = if stale { user::failed_logins().set(1) } else { user::failed_logins().increment(1) };
    let counted = db.user().update(user::UniqueWhere::Id(found.id), vec![count]).await?;
    if let Some(lock) = lock_after(counted.failed_logins) {
        db.user().update(user::UniqueWhere::Id(found.id), vec![user::locked_until().set(Some(now + lock))]).await?;
    }
    Ok(())
}

/// How long an account stays locked after its `failures`-th failed sign-in in a row.
fn lock_after(failures: i32) -> Option<chrono::Duration> {
    let beyond = failures - FREE_FAILURES;
    (beyond >= 0).then(|| (FIRST_LOCK * 2_i32.pow(beyond.min(16) as u32)).min(LONGEST_LOCK))
}

async fn login(ctx: Ctx, Valid(input): Valid<Login>) -> Result<Viewer, LoginError> {
    let db = &ctx.state.db;
    let now = Utc::now();
    let email = input.email.to_lowercase();
    let found = db.user().find_unique(user::UniqueWhere::Email(email)).first().await?;
    // Unknown, locked or wrong: one answer, after one hash, so that neither the answer nor its
    // timing tells whether the email has an account or whether it is locked.
    let locked = found.as_ref().is_some_and(|user| user.locked_until.is_some_and(|until| until > now));
    let stored = found.as_ref().filter(|_| !locked).map(|user| user.password_hash.clone());
    let attempt = input.password;
    // Hashing takes tens of milliseconds: off the async workers.
    let matches = tokio::task::spawn_blocking(move || match stored {
        Some(stored) => password::verify(&attempt, &stored),
        None => password::verify_dummy(&attempt),
    })
    .await
    .map_err(|error| LoginError::Internal(error.into()))?;
    let Some(found) = found else { return Err(LoginError::InvalidCredentials) };
    if locked {
        return Err(LoginError::InvalidCredentials);
    }
    if !matches {
        record_failure(db, &found, now).await?;
        return Err(LoginError::InvalidCredentials);
    }
    if found.failed_logins > 0 || found.locked_until.is_some() {
        let set = vec![user::failed_logins().set(0), user::locked_until().set(None)];
        db.user().update(user::UniqueWhere::Id(found.id), set).await?;
    }
    // A fresh token at every sign-in; the previous cookie's session, if any, ends.
    if let Some(previous) = ctx.cookies.get(session::COOKIE) {
        session::end(db, previous).await?;
    }
    let policy = ctx.state.sessions;
    let token = session::start(db, found.id, policy, now).await?;
    let max_age = Duration::from_secs(u64::try_from(policy.lifetime.num_seconds()).unwrap_or(0));
    ctx.cookies.set(session::COOKIE, token, Some(max_age));
    Ok(Viewer::from(found))
}

async fn logout(ctx: Ctx) -> Result<(), AuthError> {
    if let Some(token) = ctx.cookies.get(session::COOKIE) {
        session::end(&ctx.state.db, token).await.map_err(|error| AuthError::Internal(error.into()))?;
    }
    ctx.cookies.remove(session::COOKIE);
    Ok(())
}

/// Who is signed in, if anyone.
async fn me(ctx: Ctx) -> Result<Option<Viewer>, Never> {
    Ok(ctx.viewer)
}
