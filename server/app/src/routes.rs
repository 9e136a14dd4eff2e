//! Plain axum routes beside `/rpc`: health checks and the RSS feed. This is where a webhook
//! or another feed goes (see "Add a plain route" in the README).

use axum::{
    Router,
    extract::State,
    http::{StatusCode, header},
    response::IntoResponse,
    routing::get,
};
use db::{Client, SortOrder, post};

use crate::context::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz)).route("/readyz", get(readyz)).route("/feed.xml", get(feed))
}

/// The process is alive.
async fn healthz() -> &'static str {
    "ok"
}

/// The database answers; 503 otherwise (the load balancer sends traffic elsewhere).
async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match state.db.ping().await {
        Ok(_) => (StatusCode::OK, "ready"),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}

/// Escapes text for XML character data and attribute values.
fn xml(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&apos;")
}

/// RSS 2.0 of the 20 newest published posts, with links on the public origin.
async fn feed(State(state): State<AppState>) -> impl IntoResponse {
    let posts = state
        .db
        .post()
        .find_many(vec![post::published().equals(true)])
        .order_by(post::published_at().order(SortOrder::Desc))
        .order_by(post::id().order(SortOrder::Desc))
        .take(20)
        .exec()
        .await;
    let posts = match posts {
        Ok(posts) => posts,
        Err(error) => {
            tracing::error!(%error, "feed query failed");
            return (StatusCode::INTERNAL_SERVER_ERROR, [(header::CONTENT_TYPE, "text/plain")], String::new());
        }
    };
    let site = &state.public_origin;
    let mut items = String::new();
    for post in posts {
        let link = format!("{site}/blog/{}", post.slug);
        let date = post.published_at.map(|at| at.to_rfc2822()).unwrap_or_default();
        let excerpt = crate::blog::markdown::excerpt(&post.body, 400);
        items.push_str(&format!(
            "<item><title>{}</title><link>{}</link><guid>{}</guid><pubDate>{}</pubDate><description>{}</description></item>",
            xml(&post.title),
            xml(&link),
            xml(&link),
            xml(&date),
            xml(&excerpt),
        ));
    }
    let body = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Isthmus</title><link>{}</link><description>The Isthmus blog</description>{items}</channel></rss>"#,
        xml(site)
    );
    (StatusCode::OK, [(header::CONTENT_TYPE, "application/rss+xml; charset=utf-8")], body)
}
