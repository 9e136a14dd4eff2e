//! Queries, mutations, guards, tower layers and subscriptions answer as declared.

use super::support::*;

#[tokio::test]
async fn queries_and_mutations_return_their_output() {
    let server = spawn(RpcConfig::default()).await;
    assert_eq!(server.query("math.sum", Some(r#"{"x":2,"y":3}"#)).await, (StatusCode::OK, json!(5)));
    assert_eq!(server.mutation("things.create", r#""lamp""#).await, (StatusCode::OK, json!("created lamp")));
    // 64-bit integers travel as strings, beyond JavaScript's 2^53.
    assert_eq!(
        server.query("math.next", Some(r#""9007199254740992""#)).await,
        (StatusCode::OK, json!("9007199254740993"))
    );
}

#[tokio::test]
async fn typed_errors_keep_their_type_and_status() {
    let server = spawn(RpcConfig::default()).await;
    let (status, body) = server.mutation("things.create", r#""""#).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["kind"], "procedure");
    assert_eq!(body["status"], 422);
    assert_eq!(body["error"], json!({"code": "VALIDATION", "fields": {"name": ["Required."]}}));
    let (status, body) = server.mutation("things.create", r#""taken""#).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"], json!({"code": "CONFLICT"}));
}

#[tokio::test]
async fn guards_run_before_input_decoding() {
    let server = spawn(RpcConfig::default()).await;
    let (status, body) = server.query("me.greet", Some("not json")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], json!({"code": "UNAUTHORIZED"}));
    let response = server
        .http
        .get(server.url("/rpc/me.greet"))
        .query(&[("input", r#""hello""#)])
        .header("x-user", "ada")
        .send()
        .await
        .unwrap();
    assert_eq!(read(response).await, (StatusCode::OK, json!("hello, ada")));
}

#[tokio::test]
async fn tower_layers_see_the_procedure() {
    let server = spawn(RpcConfig::default()).await;
    let response = server.http.get(server.url("/rpc/health")).send().await.unwrap();
    assert_eq!(response.headers()["x-procedure"], "health");
}

#[tokio::test]
async fn subscriptions_stream_server_sent_events() {
    let server = spawn(RpcConfig::default()).await;
    let response = server.http.get(server.url("/rpc/count.to")).query(&[("input", "3")]).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let text = tokio::time::timeout(Duration::from_secs(10), response.text()).await.unwrap().unwrap();
    let events: Vec<(&str, &str)> = text
        .split("\n\n")
        .filter_map(|event| {
            let name = event.lines().find_map(|l| l.strip_prefix("event: "))?;
            let data = event.lines().find_map(|l| l.strip_prefix("data: ").or(l.strip_prefix("data:"))).unwrap_or("");
            Some((name, data))
        })
        .collect();
    assert_eq!(events, [("data", "1"), ("data", "2"), ("data", "3"), ("end", "")]);

    let (status, body) = server.query("count.to", Some("\"three\"")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "errors before the stream are plain responses");
    assert_eq!(protocol_code(&body), "INVALID_INPUT");
}

#[tokio::test]
async fn a_shutdown_ends_open_subscriptions_with_an_end_event() {
    let shutdown = rpc::Shutdown::default();
    let server = spawn(RpcConfig { shutdown: shutdown.clone(), ..RpcConfig::default() }).await;
    let mut response = server.http.get(server.url("/rpc/ticks.forever")).send().await.unwrap();
    let first = response.chunk().await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&first).contains("event: data"), "{first:?}");
    shutdown.trigger();
    let rest = tokio::time::timeout(Duration::from_secs(10), response.text()).await.expect("the stream ends").unwrap();
    assert!(rest.contains("event: end"), "{rest}");
}
