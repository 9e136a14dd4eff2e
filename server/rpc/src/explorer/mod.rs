//! The procedures explorer: a page at `/_isthmus` that lists every procedure of the OpenAPI
//! document (kind, input, output, failures) and calls it with an editable JSON input. For
//! development: mount it only there, since it hands out the whole API at a glance.

use axum::{
    Router,
    http::{HeaderValue, header},
    response::IntoResponse,
    routing::get,
};

/// The explorer's routes under `/_isthmus`, over `document` (what [`openapi`](crate::openapi)
/// renders). Its script and style are files of their own, so a strict Content-Security-Policy
/// (`script-src 'self'`) allows them.
pub fn explorer<S: Clone + Send + Sync + 'static>(document: String) -> Router<S> {
    let file = |content_type: &'static str, body: &'static str| {
        move || async move { ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "no-store")], body) }
    };
    Router::new()
        .route("/_isthmus", get(file("text/html; charset=utf-8", include_str!("explorer.html"))))
        .route("/_isthmus/explorer.js", get(file("text/javascript; charset=utf-8", include_str!("explorer.js"))))
        .route("/_isthmus/explorer.css", get(file("text/css; charset=utf-8", include_str!("explorer.css"))))
        .route(
            "/_isthmus/openapi.json",
            get(move || async move {
                let headers = [
                    (header::CONTENT_TYPE, HeaderValue::from_static("application/json")),
                    (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
                ];
                (headers, document).into_response()
            }),
        )
}
