//! Pages the server renders from the real web build, over HTTP without a browser: content in
//! the HTML, status codes, redirects, head tags, escaping, revalidation and validators.

mod support;

use serde_json::json;
use support::{Session, TestApp};

/// Creates and publishes a post as `session`; its id.
async fn publish(app: &TestApp, session: &Session, title: &str, slug: &str, body: &str) -> i64 {
    let input = json!({ "title": title, "slug": slug, "body": body, "tags": ["rendering"] });
    let (status, post) = app.call("POST", "posts.create", Some(input), Some(session)).await;
    assert_eq!(status, 200, "{post}");
    let id = post["id"].as_i64().unwrap();
    let (status, published) = app.call("POST", "posts.publish", Some(json!({ "id": id })), Some(session)).await;
    assert_eq!(status, 200, "{published}");
    id
}

async fn blog() -> (TestApp, Session) {
    let app = TestApp::spawn_with_pages().await;
    app.author("ada@example.com", db::Role::Author).await;
    let session = app.sign_in("ada@example.com").await;
    (app, session)
}

#[tokio::test]
async fn the_blog_and_a_post_arrive_with_their_content_and_head() {
    let (app, session) = blog().await;
    publish(&app, &session, "First light", "first-light", "Rendered **on the server**.").await;
    publish(&app, &session, "Second wind", "second-wind", "More.").await;

    let (status, index) = app.get("/blog").await;
    assert_eq!(status, 200);
    assert!(index.contains(">First light</a>") && index.contains(">Second wind</a>"), "{index}");
    assert!(index.contains("<title>Blog · Isthmus</title>"));
    assert!(index.contains(&format!(r#"<link rel="canonical" href="{}/blog">"#, app.url)));
    assert!(index.contains(r#"id="isthmus-state""#), "the query state for hydration");

    let (status, post) = app.get("/blog/first-light").await;
    assert_eq!(status, 200);
    assert!(post.contains("<strong>on the server</strong>"), "{post}");
    assert!(post.contains("<title>First light · Isthmus</title>"));
    assert!(post.contains(r#"<meta name="description" content="Rendered on the server.">"#), "{post}");
    assert!(post.contains(r#"<meta property="og:title" content="First light">"#));
    assert!(post.contains(&format!(r#"<meta property="og:url" content="{}/blog/first-light">"#, app.url)));
}

#[tokio::test]
async fn unknown_posts_and_paths_are_404_pages_of_the_app() {
    let (app, session) = blog().await;
    let id = publish(&app, &session, "Gone soon", "gone-soon", "Text.").await;
    app.call("POST", "posts.unpublish", Some(json!({ "id": id })), Some(&session)).await;

    for path in ["/blog/no-such-post", "/blog/gone-soon"] {
        let (status, html) = app.get(path).await;
        assert_eq!(status, 404, "{path}");
        assert!(html.contains("<h1>Post not found</h1>"), "{path}: {html}");
    }
    for path in ["/no/such/page", "/missing.js"] {
        let (status, html) = app.get(path).await;
        assert_eq!(status, 404, "{path}");
        assert!(html.contains("<h1>Page not found</h1>"), "{path}");
    }
}

#[tokio::test]
async fn the_dashboard_redirects_without_a_session_and_renders_for_its_author() {
    let (app, session) = blog().await;
    let response = app.get_with("/dashboard", &[]).await;
    assert_eq!(response.status(), 307);
    assert_eq!(response.headers()["location"], "/login?next=%2Fdashboard");

    let response = app.get_with("/dashboard", &[("cookie", &session.0)]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "private, no-cache");
    let html = response.text().await.unwrap();
    assert!(html.contains("Signed in as <!-- -->An Author") && html.contains("<h1>Dashboard</h1>"), "{html}");
    assert!(html.contains("<h2>Your posts</h2>") && html.contains("No posts yet."), "the loader's data, rendered");
}

#[tokio::test]
async fn a_hostile_title_cannot_leave_the_state_script() {
    let (app, session) = blog().await;
    publish(&app, &session, "</script><script>alert(1)</script>", "hostile", "Text.").await;
    let (_, html) = app.get("/blog").await;
    assert!(!html.contains("<script>alert(1)"), "{html}");
    assert!(html.contains(r#"\u003c/script\u003e\u003cscript\u003ealert(1)"#), "kept, escaped, in the state");
}

#[tokio::test]
async fn publishing_refreshes_the_cached_pages_for_the_next_reader() {
    let (app, session) = blog().await;
    publish(&app, &session, "Before", "before", "Text.").await;
    let first = app.get_with("/blog", &[]).await;
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    assert!(first.text().await.unwrap().contains(">Before</a>"));

    let unchanged = app.get_with("/blog", &[("if-none-match", &etag)]).await;
    assert_eq!(unchanged.status(), 304, "the cached page, validated");
    let weak = app.get_with("/blog", &[("if-none-match", &format!("W/{etag}"))]).await;
    assert_eq!(weak.status(), 304, "weak comparison, as behind a compressing proxy");

    publish(&app, &session, "After", "after", "Text.").await;
    let refreshed = app.get_with("/blog", &[("if-none-match", &etag)]).await;
    assert_eq!(refreshed.status(), 200, "the page changed");
    let html = refreshed.text().await.unwrap();
    assert!(html.contains(">After</a>") && html.contains(">Before</a>"), "{html}");
}

#[tokio::test]
async fn a_failing_query_renders_the_error_page_with_500_and_only_a_request_id() {
    let app = TestApp::spawn_with_pages().await;
    app.db.execute_raw(r#"DROP TABLE "subscribers""#, vec![]).await.unwrap();
    let (status, html) = app.get("/").await;
    assert_eq!(status, 500);
    let body = html.split("<div id=\"root\">").nth(1).unwrap();
    assert!(body.contains("<h1>Something went wrong</h1>"), "{body}");
    assert!(body.contains(" Request id: "), "{body}");
    assert!(!html.contains("no such table") && !html.contains("SELECT"), "no SQL reaches the page");
}
