//! The application's procedures: one module per domain, merged here.

pub mod auth;
pub mod newsletter;
pub mod posts;
pub mod subscribers;
pub mod system;

use crate::context::Ctx;

pub fn router() -> rpc::Router<Ctx> {
    rpc::Router::new()
        .merge(auth::router())
        .merge(newsletter::router())
        .merge(posts::router())
        .merge(subscribers::router())
        .merge(system::router())
}

/// The procedures anyone may call. Every other one is behind `auth::require_author`, and
/// `tests/authorization.rs` calls each without a session to prove it: a new procedure is
/// refused to strangers until someone adds it here.
pub const PUBLIC: &[&str] = &[
    "auth.login",
    "auth.logout",
    "auth.me",
    "newsletter.confirm",
    "newsletter.stats",
    "newsletter.subscribe",
    "newsletter.watchStats",
    "posts.bySlug",
    "posts.list",
    "system.cacheStats",
];

/// The procedures that act on one post (`{ id }`): another author's post is refused (403).
pub const PER_POST: &[&str] = &["posts.delete", "posts.draft", "posts.publish", "posts.unpublish", "posts.update"];
