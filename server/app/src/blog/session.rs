//! Sign-in sessions, stored in the database. The browser's cookie holds a random 256-bit token;
//! the table holds only its SHA-256, so reading the table signs nobody in. A session ends at
//! its absolute expiry, after an idle period, or at sign-out (the row is deleted).

use db::{Client, DbError, User, session, user};
use isthmus_db_runtime::chrono::{DateTime, Duration, Utc};

use super::token::{self, token_hash};

/// The session cookie's name.
pub const COOKIE: &str = "isthmus_session";

/// How long sessions last (`ISTHMUS_SESSION_DAYS`, `ISTHMUS_SESSION_IDLE_DAYS`).
#[derive(Clone, Copy, Debug)]
pub struct SessionPolicy {
    /// From sign-in to the end, however active.
    pub lifetime: Duration,
    /// Without a request for this long, the session ends.
    pub idle: Duration,
}

/// `last_seen_at` is written at most this often: a read per request, not a write.
const SEEN_GRANULARITY: Duration = Duration::minutes(1);

/// Starts a session for `user_id` and returns the cookie's token (shown once, never stored).
pub async fn start(db: &db::Db, user_id: i32, policy: SessionPolicy, now: DateTime<Utc>) -> Result<String, DbError> {
    let token = token::random();
    db.session().create(session::Create::new(token_hash(&token), user_id, now + policy.lifetime)).await?;
    Ok(token)
}

/// The user signed in by `token`, if its session is live; an expired or idle session is
/// deleted on sight.
pub async fn resolve(
    db: &db::Db,
    token: &str,
    policy: SessionPolicy,
    now: DateTime<Utc>,
) -> Result<Option<User>, DbError> {
    let hash = token_hash(token);
    let Some(found) = db.session().find_unique(session::UniqueWhere::TokenHash(hash.clone())).first().await? else {
        return Ok(None);
    };
    if now >= found.expires_at || now >= found.last_seen_at + policy.idle {
        db.session().delete_many(vec![session::token_hash().equals(hash)]).await?;
        return Ok(None);
    }
    if now >= found.last_seen_at + SEEN_GRANULARITY {
        db.session()
            .update_many(vec![session::token_hash().equals(hash)], vec![session::last_seen_at().set(now)])
            .await?;
    }
    db.user().find_unique(user::UniqueWhere::Id(found.user_id)).first().await
}

/// Ends the session of `token` (sign-out); nothing if there is none.
pub async fn end(db: &db::Db, token: &str) -> Result<(), DbError> {
    db.session().delete_many(vec![session::token_hash().equals(token_hash(token))]).await?;
    Ok(())
}

/// Deletes every session past its expiry or idle period; returns how many.
pub async fn prune(db: &db::Db, policy: SessionPolicy, now: DateTime<Utc>) -> Result<u64, DbError> {
    db.session()
        .delete_many(vec![db::or(vec![session::expires_at().lte(now), session::last_seen_at().lte(now - policy.idle)])])
        .await
}
