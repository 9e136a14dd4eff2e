//! Demo content for development: an author, tagged posts and a few confirmed subscribers,
//! written only into an empty database (no users yet), so a restart or a real database is never
//! touched.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use db::{Client, DbError, post, subscriber};
use isthmus_db_runtime::chrono::{Duration, Utc};
use password_hash::rand_core::{OsRng, RngCore};

use crate::procedures::auth;

/// The demo author's email; the password is generated at seeding and printed once.
pub const DEMO_EMAIL: &str = "demo@example.com";

const POSTS: &[(&str, &str, &[&str], &str)] = &[
    (
        "hello-isthmus",
        "Hello, Isthmus",
        &["isthmus", "rust"],
        "Isthmus is a type-safe RPC monolith: **Rust procedures**, a generated TypeScript client, and one contract from the database to the browser.\n\nThis post was seeded on first run.",
    ),
    (
        "procedures-not-endpoints",
        "Procedures, not endpoints",
        &["rust", "api"],
        "A procedure is a plain `async fn`. Its input, output and error types reach TypeScript unchanged, so a renamed field breaks the build instead of the page.",
    ),
    (
        "forms-without-javascript",
        "Forms that work without JavaScript",
        &["web", "forms"],
        "Every mutation can be the `action` of a plain `<form>`. With JavaScript the same form is enhanced: pending state, typed result, errors beside each field.",
    ),
    (
        "caching-with-revalidation",
        "Caching with time-based revalidation",
        &["rust", "caching"],
        "Cached queries are fresh for a while, then refreshed in the background. A mutation revalidates their tags the moment it succeeds, for every reader.",
    ),
    (
        "one-schema-two-databases",
        "One schema, two databases",
        &["database"],
        "`schema.prisma` drives a typed Rust client and migrations for SQLite and PostgreSQL alike.\n\n| provider | use |\n|---|---|\n| SQLite | development, small sites |\n| PostgreSQL | several server processes |",
    ),
    (
        "live-figures",
        "Live figures over server-sent events",
        &["web", "api"],
        "Subscriptions stream typed values. The dashboard's subscriber count moves when someone signs up — in another browser, or on another server process.",
    ),
];

/// A random password of 22 URL-safe characters (128 bits).
pub fn generate_password() -> String {
    let mut bytes = [0_u8; 16];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Seeds the demo content if the database has no user yet; returns the demo author's
/// password when it did.
pub async fn demo_content_if_empty(db: &db::Db) -> Result<Option<String>, DbError> {
    if db.user().count(vec![]).await? > 0 {
        return Ok(None);
    }
    let password = generate_password();
    let author = auth::create_author(db, DEMO_EMAIL, "Demo Author", &password, db::Role::Author).await?;
    let now = Utc::now();
    for (age, (slug, title, tags, body)) in POSTS.iter().rev().enumerate() {
        let published_at = now - Duration::days(i64::try_from(age).unwrap_or(0));
        let create = post::Create {
            published: Some(true),
            published_at: Some(published_at),
            ..post::Create::new(*slug, *title, *body, author.id)
        };
        let created = db.post().create(create).await?;
        let names: Vec<String> = tags.iter().map(|tag| (*tag).to_owned()).collect();
        crate::procedures::posts::set_tags(db, &created, &names).await?;
    }
    let draft = post::Create::new("a-draft", "A draft", "Only its author sees this.", author.id);
    db.post().create(draft).await?;
    for (email, name) in [("ada@example.com", "Ada"), ("grace@example.com", "Grace"), ("linus@example.com", "Linus")] {
        let confirmed = subscriber::Create { confirmed_at: Some(now), ..subscriber::Create::new(email, name) };
        db.subscriber().create(confirmed).await?;
    }
    Ok(Some(password))
}
