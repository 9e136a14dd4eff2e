//! The blog through its procedures over HTTP: signing in and out, the back-off, sessions,
//! writing and publishing posts (seen by readers at once), pagination, tags, sanitized bodies,
//! the feed and the health checks.

mod support;

use db::Client;
use isthmus_db_runtime::chrono::{Duration, Utc};
use isthmus_server::blog::session::{self, SessionPolicy};
use serde_json::{Value, json};
use support::{Session, TestApp, code};

fn credentials(email: &str, password: &str) -> Option<Value> {
    Some(json!({ "email": email, "password": password }))
}

#[tokio::test]
async fn sign_in_fails_alike_for_unknown_emails_wrong_passwords_and_locked_accounts() {
    let app = TestApp::spawn().await;
    app.author("ada@example.com", db::Role::Author).await;

    let (status, unknown) =
        app.call("POST", "auth.login", credentials("nobody@example.com", "whatever it is"), None).await;
    assert_eq!((status, code(&unknown)), (401, "INVALID_CREDENTIALS"));
    for _ in 0..3 {
        let (status, wrong) =
            app.call("POST", "auth.login", credentials("ada@example.com", "wrong password"), None).await;
        assert_eq!((status, code(&wrong)), (401, "INVALID_CREDENTIALS"), "{wrong}");
    }
    // Locked now: even the right password gets the one answer, which tells nothing more.
    let (status, locked) =
        app.call("POST", "auth.login", credentials("ADA@example.com", "a long enough password"), None).await;
    assert_eq!((status, code(&locked)), (401, "INVALID_CREDENTIALS"), "{locked}");
    let stored =
        app.db.user().find_unique(db::user::UniqueWhere::Email("ada@example.com".into())).first().await.unwrap();
    let stored = stored.unwrap();
    assert_eq!(stored.failed_logins, 3);
    assert!(stored.locked_until.is_some_and(|until| until > Utc::now()), "locked in the database");
}

#[tokio::test]
async fn a_session_lasts_until_sign_out_and_its_cookie_is_safe() {
    let app = TestApp::spawn().await;
    app.author("ada@example.com", db::Role::Author).await;
    let (status, viewer, cookie) =
        app.call_full("POST", "auth.login", credentials("ada@example.com", "a long enough password"), None).await;
    assert_eq!(status, 200, "{viewer}");
    assert_eq!(viewer["email"], "ada@example.com");
    assert!(viewer.get("passwordHash").is_none(), "{viewer}");
    let session = Session(cookie.unwrap());
    assert!(session.0.starts_with("isthmus_session=") && session.0.len() > 40, "a 256-bit token: {}", session.0);

    let (_, me) = app.call("GET", "auth.me", None, Some(&session)).await;
    assert_eq!(me["name"], "An Author");
    let (_, drafts) = app.call("GET", "posts.mine", None, Some(&session)).await;
    assert_eq!(drafts, json!([]));

    let (status, _) = app.call("POST", "auth.logout", None, Some(&session)).await;
    assert_eq!(status, 200);
    let (_, me) = app.call("GET", "auth.me", None, Some(&session)).await;
    assert_eq!(me, Value::Null, "the session row is gone");
    let (status, body) = app.call("GET", "posts.mine", None, Some(&session)).await;
    assert_eq!((status, code(&body)), (401, "UNAUTHENTICATED"));
}

#[tokio::test]
async fn expired_and_idle_sessions_sign_nobody_in_and_are_deleted() {
    let app = TestApp::spawn().await;
    let id = app.author("ada@example.com", db::Role::Author).await;
    let policy = SessionPolicy { lifetime: Duration::days(30), idle: Duration::days(7) };
    let now = Utc::now();
    let expired = session::start(&app.db, id, policy, now - Duration::days(31)).await.unwrap();
    let live = session::start(&app.db, id, policy, now).await.unwrap();
    assert!(session::resolve(&app.db, &expired, policy, now).await.unwrap().is_none());
    assert!(session::resolve(&app.db, &live, policy, now).await.unwrap().is_some());
    assert!(
        session::resolve(&app.db, &live, policy, now + Duration::days(8)).await.unwrap().is_none(),
        "idle too long"
    );
    assert_eq!(session::prune(&app.db, policy, now).await.unwrap(), 0, "both were deleted on sight");
}

async fn published(app: &TestApp, author: &Session, slug: &str, tags: Value, body: &str) -> Value {
    let input = json!({ "title": format!("Title of {slug}"), "slug": slug, "body": body, "tags": tags });
    let (status, created) = app.call("POST", "posts.create", Some(input), Some(author)).await;
    assert_eq!(status, 200, "{created}");
    let (status, post) = app.call("POST", "posts.publish", Some(json!({ "id": created["id"] })), Some(author)).await;
    assert_eq!(status, 200, "{post}");
    post
}

#[tokio::test]
async fn readers_see_publishing_editing_and_unpublishing_at_once() {
    let app = TestApp::spawn().await;
    app.author("ada@example.com", db::Role::Author).await;
    let ada = app.sign_in("ada@example.com").await;
    let list = || app.call("GET", "posts.list", Some(json!({})), None);
    assert_eq!(list().await.1["items"], json!([]), "cached empty");

    let hostile = "Hello <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)> <iframe src=https://evil.test></iframe>";
    let post = published(&app, &ada, "first-post", json!(["Rust", "web"]), hostile).await;
    assert_eq!(post["tags"], json!(["rust", "web"]), "tags are lowercased");
    let (_, page) = list().await;
    assert_eq!(page["items"][0]["slug"], "first-post", "the cached list was revalidated: {page}");
    assert_eq!(page["items"][0]["author"]["name"], "An Author");
    assert!(page["items"][0].get("body").is_none(), "lists never carry bodies");

    let (status, detail) = app.call("GET", "posts.bySlug", Some(json!({ "slug": "first-post" })), None).await;
    assert_eq!(status, 200, "{detail}");
    let html = detail["html"].as_str().unwrap();
    for active in ["<script", "javascript:", "onerror", "<iframe"] {
        assert!(!html.contains(active), "{active} reached the page: {html}");
    }

    let edit = json!({ "id": post["id"], "title": "A better title", "slug": "first-post", "body": "Plain now.", "tags": "rust" });
    let (status, _) = app.call("POST", "posts.update", Some(edit), Some(&ada)).await;
    assert_eq!(status, 200);
    let (_, detail) = app.call("GET", "posts.bySlug", Some(json!({ "slug": "first-post" })), None).await;
    assert_eq!(detail["title"], "A better title", "the cached page was revalidated");

    app.call("POST", "posts.unpublish", Some(json!({ "id": post["id"] })), Some(&ada)).await;
    let (status, gone) = app.call("GET", "posts.bySlug", Some(json!({ "slug": "first-post" })), None).await;
    assert_eq!((status, code(&gone)), (404, "NOT_FOUND"));
    assert_eq!(list().await.1["items"], json!([]));
}

#[tokio::test]
async fn a_taken_slug_and_a_bad_one_are_field_errors() {
    let app = TestApp::spawn().await;
    app.author("ada@example.com", db::Role::Author).await;
    let ada = app.sign_in("ada@example.com").await;
    published(&app, &ada, "taken", json!([]), "text").await;
    let again = json!({ "title": "Again", "slug": "taken", "body": "", "tags": [] });
    let (status, body) = app.call("POST", "posts.create", Some(again), Some(&ada)).await;
    assert_eq!((status, &body["error"]["fields"]["slug"]), (422, &json!(["Another post has this slug."])), "{body}");
    let bad = json!({ "title": "", "slug": "Not A Slug", "body": "", "tags": [] });
    let (status, body) = app.call("POST", "posts.create", Some(bad), Some(&ada)).await;
    assert_eq!((status, code(&body)), (422, "VALIDATION"));
    let fields = &body["error"]["fields"];
    assert!(fields["title"].is_array() && fields["slug"].is_array(), "{body}");
}

#[tokio::test]
async fn pages_follow_their_cursor_newest_first_and_filter_by_tag() {
    let app = TestApp::spawn().await;
    app.author("ada@example.com", db::Role::Author).await;
    let ada = app.sign_in("ada@example.com").await;
    for n in 1..=5 {
        let tags = if n % 2 == 0 { json!(["even"]) } else { json!(["odd"]) };
        published(&app, &ada, &format!("post-{n}"), tags, "text").await;
    }
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let (status, page) = app.call("GET", "posts.list", Some(json!({ "take": 2, "after": after })), None).await;
        assert_eq!(status, 200, "{page}");
        seen.extend(page["items"].as_array().unwrap().iter().map(|item| item["slug"].as_str().unwrap().to_owned()));
        after = page["next"].clone();
        if after.is_null() {
            break;
        }
    }
    assert_eq!(seen, ["post-5", "post-4", "post-3", "post-2", "post-1"]);
    let (_, even) = app.call("GET", "posts.list", Some(json!({ "tag": "even" })), None).await;
    let slugs: Vec<_> = even["items"].as_array().unwrap().iter().map(|item| item["slug"].clone()).collect();
    assert_eq!(slugs, [json!("post-4"), json!("post-2")]);
    let (status, body) = app.call("GET", "posts.list", Some(json!({ "after": "forged" })), None).await;
    assert_eq!((status, code(&body)), (400, "INVALID_CURSOR"));
    let (status, body) = app.call("GET", "posts.list", Some(json!({ "take": 101 })), None).await;
    assert_eq!((status, code(&body)), (422, "VALIDATION"));
}

#[tokio::test]
async fn the_feed_and_health_checks_are_plain_routes() {
    let app = TestApp::spawn().await;
    app.author("ada@example.com", db::Role::Author).await;
    let ada = app.sign_in("ada@example.com").await;
    published(&app, &ada, "in-the-feed", json!([]), "Fish & chips <b>bold</b>").await;
    let (status, feed) = app.get("/feed.xml").await;
    assert_eq!(status, 200);
    assert!(feed.starts_with(r#"<?xml version="1.0" encoding="UTF-8"?><rss version="2.0">"#), "{feed}");
    assert!(feed.contains(&format!("<link>{}/blog/in-the-feed</link>", app.url)), "{feed}");
    assert!(feed.contains("Fish &amp; chips"), "escaped: {feed}");
    assert_eq!(app.get("/healthz").await, (200, "ok".to_owned()));
    assert_eq!(app.get("/readyz").await, (200, "ready".to_owned()));
}
