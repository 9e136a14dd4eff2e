//! Many calls in one request: answered in order, each through its own route.

use super::support::*;

#[tokio::test]
async fn batches_answer_each_call_in_order() {
    let server = spawn(RpcConfig::default()).await;
    let calls = json!([
        {"path": "math.sum", "input": {"x": 1, "y": 2}},
        {"path": "health"},
        {"path": "nope"},
        {"path": "things.create", "input": "lamp"},
        {"path": "count.to", "input": 3},
    ]);
    let response = server.http.get(server.url("/rpc")).query(&[("batch", calls.to_string())]).send().await.unwrap();
    let (status, body) = read(response).await;
    assert_eq!(status, StatusCode::OK);
    let results = body.as_array().unwrap();
    assert_eq!(results[0], json!({"status": 200, "body": 3}));
    assert_eq!(results[1], json!({"status": 200, "body": "ok"}));
    assert_eq!(results[2]["status"], 404);
    assert_eq!(results[3]["status"], 405, "a GET batch cannot carry mutations");
    assert_eq!(results[4]["status"], 400);
    assert_eq!(results[4]["body"]["error"]["code"], "NOT_BATCHABLE");

    let (status, body) = server
        .post(
            "/rpc",
            &json!([{"path": "things.create", "input": "lamp"}, {"path": "things.create", "input": "taken"}])
                .to_string(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body[0], json!({"status": 200, "body": "created lamp"}));
    assert_eq!(body[1]["status"], 409);
    assert_eq!(body[1]["body"]["error"]["code"], "CONFLICT");
}

#[tokio::test]
async fn batches_apply_guards_with_the_batch_headers() {
    let server = spawn(RpcConfig::default()).await;
    let calls = json!([{"path": "me.greet", "input": "hi"}]).to_string();
    let anonymous = server.http.get(server.url("/rpc")).query(&[("batch", &calls)]).send().await.unwrap();
    assert_eq!(read(anonymous).await.1[0]["status"], 401);
    let signed_in =
        server.http.get(server.url("/rpc")).query(&[("batch", &calls)]).header("x-user", "ada").send().await.unwrap();
    assert_eq!(read(signed_in).await.1[0], json!({"status": 200, "body": "hi, ada"}));
}

#[tokio::test]
async fn malformed_batches_are_rejected_whole() {
    let server = spawn(RpcConfig { max_batch: 2, ..RpcConfig::default() }).await;
    let (status, body) = server.post("/rpc", r#"[{"path": 1}]"#).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(protocol_code(&body), "INVALID_INPUT");
    let (status, body) = server.post("/rpc", r#"[{"path":"health"},{"path":"health"},{"path":"health"}]"#).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(protocol_code(&body), "BATCH_TOO_LARGE");
    let response = server.http.post(server.url("/rpc")).body("[]").send().await.unwrap();
    assert_eq!(read(response).await.0, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    server.assert_alive().await;
}
