//! Cached queries: validators, revalidation by tag, per-viewer results, guards.

use super::support::*;

#[tokio::test]
async fn cached_queries_answer_304_and_see_writes_at_once() {
    let server = spawn(RpcConfig::default()).await;
    let first = server.http.get(server.url("/rpc/counter.value")).send().await.unwrap();
    assert_eq!(first.headers()["cache-control"], "public, no-cache");
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(read(first).await, (StatusCode::OK, json!(0)));

    let (status, body) = read(server.http.get(server.url("/rpc/counter.value?input=")).send().await.unwrap()).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (StatusCode::BAD_REQUEST, &json!("MALFORMED_JSON")),
        "an empty input is not the cached no-input"
    );

    let revalidation =
        server.http.get(server.url("/rpc/counter.value")).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(revalidation.status(), 304);
    assert_eq!(revalidation.headers()["etag"], etag.as_str());
    assert!(revalidation.bytes().await.unwrap().is_empty());
    // Weak comparison (RFC 9110): what a compressing proxy sends back, lists and `*` match too.
    for validator in [format!("W/{etag}"), format!("\"other\", {etag}"), "*".to_owned()] {
        let weak = server.http.get(server.url("/rpc/counter.value")).header("if-none-match", &validator).send();
        assert_eq!(weak.await.unwrap().status(), 304, "{validator}");
    }
    let other = server.http.get(server.url("/rpc/counter.value")).header("if-none-match", "\"other\"").send();
    assert_eq!(other.await.unwrap().status(), 200);
    let hits_before = server.state.cache.stats().hits;

    let (status, _) = post_bump(&server, "application/json", Some(APP_ORIGIN), "").await;
    assert_eq!(status, StatusCode::OK);
    let after = server.http.get(server.url("/rpc/counter.value")).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(after.status(), 200, "the mutation revalidated the tag: a new body and ETag");
    assert_ne!(after.headers()["etag"], etag.as_str());
    assert_eq!(read(after).await.1, json!(1), "read-your-writes");
    let stats = server.state.cache.stats();
    assert_eq!((stats.hits, stats.misses), (hits_before, 2), "one miss before and one after the write");
}

#[tokio::test]
async fn a_mutation_can_declare_the_tags_it_revalidates() {
    let server = spawn(RpcConfig::default()).await;
    assert_eq!(server.query("counter.value", None).await.1, json!(0));
    assert_eq!(server.mutation("counter.bumpDeclared", "").await.1, json!(1));
    assert_eq!(server.query("counter.value", None).await.1, json!(1), "the declared tag was revalidated");
    let (status, _) = server.mutation("counter.bumpDeclared", "{").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(server.query("counter.value", None).await.1, json!(1));
    assert_eq!(server.state.cache.stats().misses, 2, "a failed call revalidates nothing");
}

#[tokio::test]
async fn per_viewer_results_are_never_shared() {
    let server = spawn(RpcConfig::default()).await;
    let ask = |user| server.query_as("viewer.whoami", user);
    let ada = ask(Some("ada")).await;
    assert_eq!(ada.headers()["cache-control"], "private, no-cache");
    assert_eq!(read(ada).await.1, json!("ada"));
    assert_eq!(read(ask(Some("grace")).await).await.1, json!("grace"));
    assert_eq!(read(ask(None).await).await.1, json!("anonymous"));
    assert_eq!(read(ask(Some("ada")).await).await.1, json!("ada"));
    assert_eq!(server.state.cache.stats().misses, 3, "one entry per viewer, the fourth read a hit");
}

#[tokio::test]
async fn cached_results_behind_a_guard_are_refused_to_callers_it_refuses() {
    let server = spawn(RpcConfig::default()).await;
    let ask = async |user| read(server.query_as("members.news", user).await).await;
    assert_eq!(ask(Some("ada")).await, (StatusCode::OK, json!("members only")));
    let (status, body) = ask(None).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (StatusCode::UNAUTHORIZED, &json!("UNAUTHORIZED")),
        "the guard runs before the cache"
    );
    assert_eq!(ask(Some("grace")).await, (StatusCode::OK, json!("members only")));
    let stats = server.state.cache.stats();
    assert_eq!((stats.hits, stats.misses), (1, 1), "one result shared by every member");
}

#[tokio::test]
async fn head_never_runs_a_procedure() {
    let server = spawn(RpcConfig::default()).await;
    for path in ["/rpc/counter.value", "/rpc/ticks.forever", "/rpc?batch=%5B%7B%22path%22%3A%22counter.value%22%7D%5D"]
    {
        let response = server.http.head(server.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED, "{path}");
    }
    assert_eq!(server.state.cache.stats(), Default::default(), "nothing was computed or read");
}

#[tokio::test]
async fn inputs_that_differ_in_whitespace_key_order_or_escapes_share_one_entry() {
    let server = spawn(RpcConfig::default()).await;
    for variant in [r#"{"x":1,"y":2}"#, r#"{"y":2,"x":1}"#, " { \"x\" : 1 ,\n \"y\":2 } ", r#"{"x":1,"y":2.0e0}"#] {
        let (status, body) = server.query("math.cachedSum", Some(variant)).await;
        if variant.contains("2.0e0") {
            assert_eq!(status, StatusCode::BAD_REQUEST, "a float is not an i32, whatever the cache holds: {body}");
        } else {
            assert_eq!((status, body), (StatusCode::OK, json!(3)), "{variant}");
        }
    }
    let stats = server.state.cache.stats();
    assert_eq!((stats.misses, stats.hits), (1, 2), "one computation for the three spellings: {stats:?}");

    // Variants that decoding refuses never reach the cache, so they cannot push entries out.
    for refused in [r#"{"x":1,"y":2,"z":3}"#, "[1,2]", r#"{"x":1,"x":1,"y":2}"#] {
        let (status, _) = server.query("math.cachedSum", Some(refused)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    }
    assert_eq!(server.state.cache.stats().misses, 1, "{:?}", server.state.cache.stats());
}
