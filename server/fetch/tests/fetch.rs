//! The client against a real HTTP upstream on loopback, scripted per test: retries, deadlines,
//! typed errors, cached reads under concurrent readers, tags, `no-store`, and the token.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    Router,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::any,
};
use isthmus_fetch::{Fetch, FetchConfig, FetchError, InvalidRequest, SecretString};
use serde_json::{Value, json};
use tokio::sync::Notify;

/// What the upstream does with one request.
enum Step {
    Answer(StatusCode, &'static [(&'static str, &'static str)], &'static str),
    /// Never answers.
    Hang,
}

/// The upstream: answers from its script, then `{"n": <requests so far>}`; records every
/// request's `Authorization`.
#[derive(Clone, Default)]
struct Upstream {
    script: Arc<Mutex<VecDeque<Step>>>,
    seen: Arc<Mutex<Vec<Option<String>>>>,
    arrived: Arc<Notify>,
    /// Headers of the default answer.
    headers: Arc<Mutex<Vec<(&'static str, &'static str)>>>,
}

impl Upstream {
    async fn start() -> (Upstream, String) {
        let upstream = Upstream::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let app = Router::new().fallback(any(answer)).with_state(upstream.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (upstream, url)
    }

    fn then(&self, step: Step) -> &Self {
        self.script.lock().unwrap().push_back(step);
        self
    }

    fn requests(&self) -> usize {
        self.seen.lock().unwrap().len()
    }

    /// Waits until the upstream has seen `count` requests.
    async fn until_requests(&self, count: usize) {
        loop {
            let arrived = self.arrived.notified();
            if self.requests() >= count {
                return;
            }
            arrived.await;
        }
    }
}

async fn answer(State(upstream): State<Upstream>, request_headers: HeaderMap) -> Response {
    let n = {
        let mut seen = upstream.seen.lock().unwrap();
        seen.push(request_headers.get("authorization").map(|value| value.to_str().unwrap().to_owned()));
        seen.len()
    };
    upstream.arrived.notify_waiters();
    let step = upstream.script.lock().unwrap().pop_front();
    match step {
        Some(Step::Answer(status, headers, body)) => {
            let mut response = (status, body).into_response();
            for (name, value) in headers {
                response.headers_mut().insert(*name, HeaderValue::from_static(value));
            }
            response
        }
        Some(Step::Hang) => std::future::pending().await,
        None => {
            let mut response = axum::Json(json!({ "n": n })).into_response();
            for (name, value) in upstream.headers.lock().unwrap().iter() {
                response.headers_mut().insert(*name, HeaderValue::from_static(value));
            }
            response
        }
    }
}

fn client(timeout: Duration) -> Fetch {
    Fetch::new(FetchConfig { timeout, backoff: Duration::from_millis(10), ..FetchConfig::default() }).unwrap()
}

fn n(response: isthmus_fetch::Response) -> u64 {
    response.json::<Value>().unwrap()["n"].as_u64().unwrap()
}

#[tokio::test]
async fn transient_failures_are_retried_for_idempotent_requests_only() {
    let (upstream, url) = Upstream::start().await;
    let fetch = client(Duration::from_secs(5));
    upstream.then(Step::Answer(StatusCode::SERVICE_UNAVAILABLE, &[], "busy"));
    assert_eq!(n(fetch.get(&url).send().await.unwrap()), 2, "the GET was answered on its second attempt");

    upstream.then(Step::Answer(StatusCode::BAD_GATEWAY, &[], ""));
    let posted = fetch.post(&url).json(&json!({ "to": "a@example.com" })).send().await;
    assert_eq!(posted.unwrap_err(), FetchError::Unavailable { retry_after: None });
    assert_eq!(upstream.requests(), 3, "a POST that may have been processed is not repeated");

    for _ in 0..3 {
        upstream.then(Step::Answer(StatusCode::SERVICE_UNAVAILABLE, &[], ""));
    }
    assert_eq!(fetch.get(&url).send().await.unwrap_err(), FetchError::Unavailable { retry_after: None });
    assert_eq!(upstream.requests(), 6, "the first attempt and two retries, no more");
}

#[tokio::test]
async fn a_retry_after_is_waited_for_when_it_fits_the_deadline() {
    let (upstream, url) = Upstream::start().await;
    let fetch = client(Duration::from_secs(5));
    upstream.then(Step::Answer(StatusCode::TOO_MANY_REQUESTS, &[("retry-after", "1")], ""));
    let posted = fetch.post(&url).json(&json!({})).send().await.unwrap();
    assert_eq!(n(posted), 2, "refused with a Retry-After, so even a POST is sent again");

    upstream.then(Step::Answer(StatusCode::SERVICE_UNAVAILABLE, &[("retry-after", "120")], ""));
    let refused = fetch.get(&url).send().await.unwrap_err();
    assert_eq!(refused, FetchError::Unavailable { retry_after: Some(Duration::from_secs(120)) });
    assert_eq!(upstream.requests(), 3, "a wait past the deadline is the caller's to schedule");
}

#[tokio::test]
async fn a_hanging_upstream_ends_the_call_at_its_deadline() {
    let (upstream, url) = Upstream::start().await;
    let fetch = client(Duration::from_secs(30));
    upstream.then(Step::Hang).then(Step::Hang);
    let started = std::time::Instant::now();
    let result = fetch.get(&url).timeout(Duration::from_millis(300)).send().await;
    assert_eq!(result.unwrap_err(), FetchError::Timeout);
    assert!(started.elapsed() < Duration::from_secs(10), "the per-call deadline holds, not the client's 30 s");
}

#[tokio::test]
async fn failures_are_typed_and_hold_nothing_of_the_answer() {
    let (upstream, url) = Upstream::start().await;
    let fetch = client(Duration::from_secs(5));
    upstream.then(Step::Answer(StatusCode::UNAUTHORIZED, &[("x-upstream-detail", "secret header")], "secret body"));
    let refused = fetch.get(&url).send().await.unwrap_err();
    assert_eq!(refused, FetchError::Status { code: StatusCode::UNAUTHORIZED });
    upstream.then(Step::Answer(StatusCode::OK, &[], "secret body, not JSON"));
    let garbled = fetch.get(&url).send().await.unwrap().json::<Value>().unwrap_err();
    assert!(matches!(garbled, FetchError::Decode { category: "syntax", line: 1, .. }), "{garbled:?}");
    for error in [refused, garbled] {
        let shown = format!("{error} {error:?}");
        assert!(!shown.contains("secret"), "{shown}");
    }

    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let nobody = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    assert_eq!(fetch.get(&nobody).send().await.unwrap_err(), FetchError::Unavailable { retry_after: None });
    assert_eq!(fetch.get("not a url").send().await.unwrap_err(), FetchError::Invalid(InvalidRequest::Url));
    let posted = fetch.post(&url).revalidate(Duration::from_secs(1)).send().await;
    assert_eq!(posted.unwrap_err(), FetchError::Invalid(InvalidRequest::NotCacheable));
}

#[tokio::test]
async fn a_cached_read_is_fetched_once_per_interval_however_many_read_it() {
    let (upstream, url) = Upstream::start().await;
    let fetch = client(Duration::from_secs(5));
    let every = Duration::from_secs(2);
    let read = || async { fetch.get(&url).revalidate(every).tags(["figures"]).send().await.unwrap() };

    let first = futures_util::future::join_all((0..50).map(|_| read())).await;
    assert!(first.iter().all(|answer| answer.json::<Value>().unwrap()["n"] == 1), "all share the one request");
    assert_eq!(upstream.requests(), 1);
    assert!(read().await.from_cache());
    assert_eq!(upstream.requests(), 1, "fresh: served from the cache");

    // Past the interval: the stale answer is served at once while one request refreshes it.
    tokio::time::sleep(every).await;
    let stale = futures_util::future::join_all((0..50).map(|_| read())).await;
    assert!(stale.iter().all(|answer| answer.json::<Value>().unwrap()["n"] == 1));
    upstream.until_requests(2).await;
    while n(read().await) != 2 {
        tokio::task::yield_now().await;
    }
    assert_eq!(upstream.requests(), 2, "fifty stale reads caused one refresh");

    let stats = fetch.stats();
    assert_eq!((stats.misses, stats.refreshes, stats.requests), (1, 1, 2), "{stats:?}");
    assert!(stats.hits >= 100, "{stats:?}");
}

#[tokio::test]
async fn a_tag_drops_its_answers_and_no_store_is_never_kept() {
    let (upstream, url) = Upstream::start().await;
    let fetch = client(Duration::from_secs(5));
    let read = |tag: &'static str| fetch.get(&url).revalidate(Duration::from_secs(3600)).tags([tag]).send();
    assert_eq!(n(read("figures").await.unwrap()), 1);
    assert_eq!(n(read("figures").await.unwrap()), 1);
    fetch.invalidate_tag("other");
    assert_eq!(n(read("figures").await.unwrap()), 1, "another tag leaves it");
    fetch.invalidate_tag("figures");
    assert_eq!(n(read("figures").await.unwrap()), 2, "fetched again after its tag");

    let other = format!("{url}/live");
    upstream.headers.lock().unwrap().push(("cache-control", "private, no-store"));
    let live = || fetch.get(&other).revalidate(Duration::from_secs(3600)).send();
    assert_eq!(n(live().await.unwrap()), 3);
    assert_eq!(n(live().await.unwrap()), 4, "the upstream said no-store");

    upstream.then(Step::Answer(StatusCode::NOT_FOUND, &[], ""));
    let third = format!("{url}/third");
    let failed = fetch.get(&third).revalidate(Duration::from_secs(3600)).send().await;
    assert!(failed.is_err());
    assert!(
        !fetch.get(&third).revalidate(Duration::from_secs(3600)).send().await.unwrap().from_cache(),
        "failures are not kept"
    );
}

#[tokio::test]
async fn the_token_goes_in_one_authorization_header_and_keys_the_cache() {
    let (upstream, url) = Upstream::start().await;
    let fetch = client(Duration::from_secs(5));
    let token = SecretString::from("tok-3f9a1c");
    let keyed = |token: &SecretString| fetch.get(&url).bearer(token).revalidate(Duration::from_secs(60)).send();
    assert_eq!(n(keyed(&token).await.unwrap()), 1);
    assert_eq!(n(keyed(&SecretString::from("another account")).await.unwrap()), 2, "another token, another answer");
    assert_eq!(n(keyed(&token).await.unwrap()), 1);
    assert_eq!(upstream.seen.lock().unwrap()[0].as_deref(), Some("Bearer tok-3f9a1c"));
    let twice = fetch.get(&url).bearer(&token).bearer(&token).send().await.unwrap();
    assert_eq!(n(twice), 3);
    assert_eq!(upstream.seen.lock().unwrap()[2].as_deref(), Some("Bearer tok-3f9a1c"), "one header, not two");
}
