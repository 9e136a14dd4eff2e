//! Pages over real HTTP on loopback, rendered by a hand-written bundle (`bundles/fixture.js`)
//! with data from a procedure router of the test's own: no React, no example app.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU32, Ordering},
    },
    time::{Duration, Instant},
};

use axum::{
    body::Body,
    extract::{FromRef, FromRequestParts, Request},
    http::{StatusCode, request::Parts},
    routing::any,
};
use isthmus_render::{Engine, EngineConfig, EngineError, Pages, PagesOptions, Template};
use rpc::{CacheScope, Never, ProcedureError, ResponseCache, Revalidate, Router, RpcConfig};
use serde::Serialize;
use specta::Type;

const BUNDLE: &str = include_str!("bundles/fixture.js");
const TEMPLATE: &str = "<html><head><!--ssr-head--></head><body><div id=\"root\"><!--ssr-body--></div></body></html>";

#[derive(Clone)]
struct State {
    cache: ResponseCache,
    counted: Arc<AtomicU32>,
}

impl FromRef<State> for ResponseCache {
    fn from_ref(state: &State) -> Self {
        state.cache.clone()
    }
}

#[derive(Clone)]
struct Ctx {
    state: State,
    viewer: Option<String>,
}

impl FromRequestParts<State> for Ctx {
    type Rejection = Never;

    async fn from_request_parts(parts: &mut Parts, state: &State) -> Result<Self, Never> {
        let viewer = parts.headers.get("x-viewer").and_then(|v| v.to_str().ok()).map(str::to_owned);
        Ok(Ctx { state: state.clone(), viewer })
    }
}

impl CacheScope for Ctx {
    fn cache_scope(&self) -> Option<String> {
        self.viewer.clone()
    }
}

#[derive(Debug, Serialize, Type)]
#[serde(tag = "code")]
enum GreetingError {
    NotFound,
}

impl ProcedureError for GreetingError {
    const STATUSES: &'static [StatusCode] = &[StatusCode::NOT_FOUND];

    fn status(&self) -> StatusCode {
        StatusCode::NOT_FOUND
    }
}

async fn count(ctx: Ctx) -> Result<u32, Never> {
    Ok(ctx.state.counted.load(Ordering::SeqCst))
}

async fn greeting(_: Ctx, name: String) -> Result<String, GreetingError> {
    if name == "nobody" { Err(GreetingError::NotFound) } else { Ok(format!("Hello, {name}")) }
}

struct Site {
    url: String,
    state: State,
    pages: Pages<Ctx, State>,
    http: reqwest::Client,
}

async fn site(deadline: Duration) -> Site {
    let state = State { cache: ResponseCache::new(100), counted: Arc::default() };
    let procedures = Router::new()
        .cached_query("count", count, Revalidate::every(Duration::from_secs(60)).tags(|()| vec!["count".into()]))
        .cached_query("greeting", greeting, Revalidate::every(Duration::from_secs(60)));
    let config = RpcConfig::default();
    let engine = Engine::start(BUNDLE, EngineConfig { workers: 1, deadline, ..EngineConfig::default() }).unwrap();
    let queries = procedures.local_queries(state.clone(), &config);
    let pages = Pages::new(
        engine,
        queries,
        Template::parse(TEMPLATE).unwrap(),
        &state.cache,
        PagesOptions::new("https://example.com"),
    );
    let handler = pages.clone();
    let app = procedures
        .into_axum(state.clone(), config)
        .fallback_service(any(move |request: Request| handler.clone().serve(request)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    Site { url, state, pages, http }
}

impl Site {
    async fn get(&self, path: &str) -> (StatusCode, String, reqwest::header::HeaderMap) {
        let response = self.http.get(format!("{}{path}", self.url)).send().await.unwrap();
        let (status, headers) = (response.status(), response.headers().clone());
        (status, response.text().await.unwrap(), headers)
    }
}

#[tokio::test]
async fn a_page_is_rendered_with_its_data_from_in_process_queries_and_served_from_the_cache() {
    let site = site(Duration::from_secs(2)).await;
    let (status, html, headers) = site.get("/ada").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("<div id=\"root\"><h1>Hello, ada</h1><p>count 0</p><p>origin https://example.com</p></div>"),
        "{html}"
    );
    assert!(html.contains("<title>Hello, ada</title><meta name=\"render\" content=\"1\">"));
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(headers["cache-control"], "public, no-cache");

    let (_, again, _) = site.get("/ada").await;
    assert_eq!(again, html);
    let stats = site.pages.stats();
    assert_eq!((stats.misses, stats.hits), (1, 1), "the second read is the stored page");
    assert_eq!(
        site.pages.engine().stats().steps,
        3,
        "three steps for the first read (count, greeting, page), none for the second"
    );
}

#[tokio::test]
async fn the_state_script_cannot_be_broken_out_of() {
    let site = site(Duration::from_secs(2)).await;
    let (_, html, _) = site.get("/%3C%2Fscript%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E").await;
    let state = html.split("<script type=\"application/json\" id=\"isthmus-state\">").nth(1).unwrap();
    let state = state.split("</script>").next().unwrap();
    assert!(!state.contains('<') && !state.contains('>'), "{state}");
    assert!(state.contains("\\u003c/script\\u003e"));
}

#[tokio::test(start_paused = true)]
async fn a_stale_page_is_served_while_one_background_render_replaces_it() {
    let site = site(Duration::from_secs(2)).await;
    let read = || async {
        let response = site.pages.clone().serve(Request::get("/ada").body(Body::empty()).unwrap()).await;
        String::from_utf8(axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap().to_vec()).unwrap()
    };
    let first = read().await;
    assert!(first.contains(r#"<meta name="render" content="1">"#), "{first}");
    tokio::time::advance(Duration::from_secs(61)).await;

    let stale = futures_util::future::join_all((0..10).map(|_| read())).await;
    assert!(stale.iter().all(|page| *page == first), "the stale page is served meanwhile");
    assert_eq!(site.pages.stats().refreshes, 1, "ten stale reads, one background render");
    let mut next = read().await;
    // The background render runs on a worker thread: yield until its page is stored.
    for _ in 0..100_000 {
        if next != first {
            break;
        }
        tokio::task::yield_now().await;
        next = read().await;
    }
    assert!(next.contains(r#"<meta name="render" content="2">"#), "{next}");
    let stats = site.pages.stats();
    assert_eq!((stats.misses, stats.refreshes), (1, 1), "never rendered in a reader's request");
}

#[tokio::test]
async fn a_revalidated_tag_drops_the_pages_built_from_it() {
    let site = site(Duration::from_secs(2)).await;
    assert!(site.get("/ada").await.1.contains("count 0"));
    site.state.counted.store(7, Ordering::SeqCst);
    assert!(site.get("/ada").await.1.contains("count 0"), "fresh for its interval");
    site.state.cache.revalidate_tag("count");
    assert!(site.get("/ada").await.1.contains("count 7"), "rendered again after the write");
}

#[tokio::test]
async fn validators_answer_304_with_weak_comparison() {
    let site = site(Duration::from_secs(2)).await;
    let (_, _, headers) = site.get("/ada").await;
    let etag = headers["etag"].to_str().unwrap().to_owned();
    for validator in [etag.clone(), format!("W/{etag}"), format!("\"other\", {etag}")] {
        let response =
            site.http.get(format!("{}/ada", site.url)).header("if-none-match", &validator).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_MODIFIED, "{validator}");
        assert!(response.text().await.unwrap().is_empty());
    }
    let changed = site.http.get(format!("{}/ada", site.url)).header("if-none-match", "\"other\"").send().await.unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
}

#[tokio::test]
async fn pages_are_kept_per_viewer_and_only_when_the_route_says_so() {
    let site = site(Duration::from_secs(2)).await;
    site.get("/ada").await;
    let viewer = site.http.get(format!("{}/ada", site.url)).header("x-viewer", "7").send().await.unwrap();
    assert_eq!(viewer.headers()["cache-control"], "private, no-cache");
    assert_eq!(site.pages.stats().misses, 2, "another viewer's page is not shared");
    site.get("/uncached").await;
    site.get("/uncached").await;
    assert_eq!(site.pages.stats().misses, 4, "a route without revalidate renders on every request");
}

#[tokio::test]
async fn a_not_found_procedure_makes_a_404_page_and_redirects_stay_on_the_site() {
    let site = site(Duration::from_secs(2)).await;
    let (status, html, _) = site.get("/nobody").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("<h1>404</h1>"));

    let (status, _, headers) = site.get("/redirects").await;
    assert_eq!(status, StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(headers["location"], "/login?next=%2Fredirects");
    let (status, html, headers) = site.get("/redirects-off-site").await;
    assert_eq!(status, StatusCode::OK, "refused: the client shell instead");
    assert!(headers.get("location").is_none());
    assert!(html.contains("<div id=\"root\"></div>"));
}

/// Renders that throw, loop, queue work forever, exhaust memory or wait for a timer.
#[tokio::test]
async fn failed_renders_fall_back_to_the_shell_and_the_server_keeps_serving() {
    let deadline = Duration::from_millis(300);
    let site = site(deadline).await;
    let failing = ["/throws", "/loops", "/queues-work-forever", "/allocates", "/waits-for-a-timer"];
    for path in failing {
        let started = Instant::now();
        let (status, html, headers) = site.get(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(html, TEMPLATE.replace("<!--ssr-head-->", "").replace("<!--ssr-body-->", ""), "{path}: the shell");
        assert_eq!(headers["cache-control"], "no-store");
        assert!(started.elapsed() < deadline * 4, "{path} took {:?}", started.elapsed());
        let (status, html, _) = site.get("/ada").await;
        assert_eq!(status, StatusCode::OK, "after {path}");
        assert!(html.contains("Hello, ada"), "after {path}: the rebuilt worker renders");
    }
    assert_eq!(site.pages.stats().fallbacks, failing.len() as u64);
    assert_eq!(site.pages.engine().stats().failures, failing.len() as u64);
}

#[tokio::test]
async fn only_get_and_head_render() {
    let site = site(Duration::from_secs(2)).await;
    let response = site.http.post(format!("{}/ada", site.url)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.headers()["allow"], "GET, HEAD");
}

#[test]
fn a_bundle_that_does_not_load_or_lacks_an_export_stops_start_up() {
    let config = EngineConfig { workers: 1, ..EngineConfig::default() };
    assert!(matches!(Engine::start("export function render( {", config.clone()), Err(EngineError::Load(_))));
    assert!(matches!(Engine::start("throw new Error('at load')", config.clone()), Err(EngineError::Load(_))));
    assert!(matches!(
        Engine::start("export function render() {}", config),
        Err(EngineError::MissingExport("pendingQueries"))
    ));
}
