//! Every kind of bad input gets a precise 4xx envelope, and the server keeps answering.

use super::support::*;

#[tokio::test]
async fn malformed_json_is_400_malformed_json() {
    let server = spawn(RpcConfig::default()).await;
    let (status, body) = server.mutation("things.create", r#"{"name": "#).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(protocol_code(&body), "MALFORMED_JSON");
    let (status, body) = server.query("math.sum", Some("{x:1}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(protocol_code(&body), "MALFORMED_JSON");
    server.assert_alive().await;
}

#[tokio::test]
async fn wrong_types_are_400_invalid_input_with_the_path() {
    let server = spawn(RpcConfig::default()).await;
    let (status, body) = server.query("math.sum", Some(r#"{"x":1,"y":"2"}"#)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(protocol_code(&body), "INVALID_INPUT");
    assert_eq!(body["error"]["path"], "y");
    let (status, body) = server.query("math.sum", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a required input is missing: {body}");
    assert_eq!(protocol_code(&body), "INVALID_INPUT");
    server.assert_alive().await;
}

#[tokio::test]
async fn structs_take_objects_with_their_fields_only_and_strings_no_control_characters() {
    let server = spawn(RpcConfig::default()).await;
    let (status, body) = server.query("math.sum", Some("[1,2]")).await;
    assert_eq!((status, protocol_code(&body)), (StatusCode::BAD_REQUEST, "INVALID_INPUT"));
    assert_eq!(body["error"]["message"], "invalid type: sequence, expected an object");
    let (status, body) = server.query("math.sum", Some(r#"{"x":1,"y":2,"admin":true}"#)).await;
    assert_eq!((status, protocol_code(&body)), (StatusCode::BAD_REQUEST, "INVALID_INPUT"));
    assert_eq!(body["error"]["message"], "unknown field `admin`, expected `x` or `y`");
    let (status, body) = server.mutation("things.create", r#""nul\u0000""#).await;
    assert_eq!((status, protocol_code(&body)), (StatusCode::BAD_REQUEST, "INVALID_INPUT"));
    assert_eq!(body["error"]["message"], "control characters other than tab and line breaks are not allowed");
    let (status, body) = server.mutation("things.create", r#""two\nlines\tand a tab""#).await;
    assert_eq!((status, body), (StatusCode::OK, json!("created two\nlines\tand a tab")));
    server.assert_alive().await;
}

#[tokio::test]
async fn unknown_procedure_is_404() {
    let server = spawn(RpcConfig::default()).await;
    let (status, body) = server.query("math.divide", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(protocol_code(&body), "UNKNOWN_PROCEDURE");
    assert_eq!(body["error"]["name"], "math.divide");
    let (status, body) = server.mutation("nope", "{}").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(protocol_code(&body), "UNKNOWN_PROCEDURE");
    server.assert_alive().await;
}

#[tokio::test]
async fn wrong_method_is_405_with_allow() {
    let server = spawn(RpcConfig::default()).await;
    let response = server.http.get(server.url("/rpc/things.create")).send().await.unwrap();
    assert_eq!(response.headers()["allow"], "POST");
    let (status, body) = read(response).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(protocol_code(&body), "METHOD_NOT_ALLOWED");
    let (status, body) = server.mutation("math.sum", r#"{"x":1,"y":2}"#).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body["error"]["allowed"], "GET");
    server.assert_alive().await;
}

#[tokio::test]
async fn mutations_require_a_json_content_type() {
    let server = spawn(RpcConfig::default()).await;
    for content_type in [None, Some("text/plain"), Some("application/xml")] {
        let mut request =
            server.http.post(server.url("/rpc/things.create")).header("origin", APP_ORIGIN).body(r#""lamp""#);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let (status, body) = read(request.send().await.unwrap()).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{content_type:?}");
        assert_eq!(protocol_code(&body), "UNSUPPORTED_MEDIA_TYPE");
    }
    let (status, _) = read(
        server
            .http
            .post(server.url("/rpc/things.create"))
            .header("content-type", "Application/JSON; charset=utf-8")
            .body(r#""lamp""#)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "media types compare case-insensitively, parameters aside");
}

#[tokio::test]
async fn bodies_over_the_cap_are_413() {
    let server = spawn(RpcConfig { body_limit: 1024, ..RpcConfig::default() }).await;
    let big = format!("\"{}\"", "a".repeat(2048));
    let (status, body) = server.mutation("things.create", &big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(protocol_code(&body), "PAYLOAD_TOO_LARGE");
    assert_eq!(body["error"]["limit"], 1024);

    // Without a Content-Length the cap still holds while streaming.
    let chunks = stream::iter((0..64).map(|_| Ok::<_, std::io::Error>(vec![b' '; 64])));
    let response = server
        .http
        .post(server.url("/rpc/things.create"))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await
        .unwrap();
    let (status, body) = read(response).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(protocol_code(&body), "PAYLOAD_TOO_LARGE");
    server.assert_alive().await;
}

#[tokio::test]
async fn deeply_nested_input_is_400_too_deep() {
    let server = spawn(RpcConfig::default()).await;
    let nested = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let (status, body) = server.mutation("things.create", &nested).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(protocol_code(&body), "TOO_DEEP");
    assert_eq!(body["error"]["limit"], 64);
    server.assert_alive().await;
}

#[tokio::test]
async fn a_typed_503_reaches_the_client_as_typed() {
    let server = spawn(RpcConfig::default()).await;
    let (status, body) = server.mutation("things.create", r#""upstream""#).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["error"]["code"], "UPSTREAM_DOWN", "only 500 is internal: {body}");
}

/// The OpenAPI document lists each error type's `STATUSES`; an answer outside them would break
/// it, so debug builds (every test) fail the call instead.
#[tokio::test]
async fn a_typed_error_with_a_status_its_type_does_not_declare_fails_in_debug_builds() {
    let server = spawn(RpcConfig::default()).await;
    let (status, body) = server.mutation("things.create", r#""undeclared""#).await;
    assert_eq!((status, &body["kind"]), (StatusCode::INTERNAL_SERVER_ERROR, &json!("internal")), "{body}");
    server.assert_alive().await;
}

#[tokio::test]
async fn an_internal_failure_of_something_unavailable_is_503_with_retry_after() {
    let server = spawn(RpcConfig::default()).await;
    let response = server.http.post(server.url("/rpc/things.create")).header("content-type", "application/json");
    let response = response.body(r#""down""#).send().await.unwrap();
    assert_eq!(response.headers()["retry-after"], "5");
    let (status, body) = read(response).await;
    assert_eq!((status, protocol_code(&body)), (StatusCode::SERVICE_UNAVAILABLE, "UNAVAILABLE"));
    assert_eq!(body["error"]["retryAfter"], 5);
    assert!(!body.to_string().contains("refused"), "no details: {body}");
    let (status, body) = server.mutation("things.create", r#""bug""#).await;
    assert_eq!((status, &body["kind"]), (StatusCode::INTERNAL_SERVER_ERROR, &json!("internal")), "any other: 500");
}

#[tokio::test]
async fn internal_errors_and_panics_are_500_with_only_a_request_id() {
    let server = spawn(RpcConfig::default()).await;
    let response = server
        .http
        .post(server.url("/rpc/things.create"))
        .header("content-type", "application/json")
        .body(r#""db""#)
        .send()
        .await
        .unwrap();
    let header_id = response.headers()["x-request-id"].to_str().unwrap().to_owned();
    let (status, body) = read(response).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body, json!({"kind": "internal", "status": 500, "requestId": header_id}));
    assert!(!body.to_string().contains("SELECT"), "details never reach the client");

    let (status, body) = server.mutation("things.boom", "").await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body["kind"], "internal");
    assert!(!body.to_string().contains("handler bug"));
    server.assert_alive().await;
}
