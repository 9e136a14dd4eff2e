//! Mutations from browsers come from an allowed origin, or nothing runs.

use super::support::*;

#[tokio::test]
async fn cross_site_requests_are_refused_before_anything_runs() {
    let server = spawn(RpcConfig::default()).await;
    let form = "application/x-www-form-urlencoded";
    for (content_type, origin, expected) in [
        (form, Some("http://evil.test"), StatusCode::FORBIDDEN),
        (form, Some("null"), StatusCode::FORBIDDEN),
        (form, None, StatusCode::FORBIDDEN),
        ("multipart/form-data; boundary=x", Some("https://app.test"), StatusCode::FORBIDDEN),
        ("application/json", Some("http://evil.test"), StatusCode::FORBIDDEN),
        ("application/json", Some("null"), StatusCode::FORBIDDEN),
        ("text/plain", Some(APP_ORIGIN), StatusCode::UNSUPPORTED_MEDIA_TYPE),
    ] {
        let (status, body) = post_bump(&server, content_type, origin, "").await;
        assert_eq!(status, expected, "{content_type} from {origin:?}: {body}");
        let code = protocol_code(&body);
        assert_eq!(code, if status == StatusCode::FORBIDDEN { "CROSS_ORIGIN" } else { "UNSUPPORTED_MEDIA_TYPE" });
    }
    let response = server.http.get(server.url("/rpc/counter.bump")).header("origin", APP_ORIGIN).send().await.unwrap();
    assert_eq!(response.status(), 405);
    let navigation = server
        .http
        .post(server.url("/rpc/counter.bump"))
        .header("content-type", form)
        .header("origin", "http://evil.test")
        .send()
        .await
        .unwrap();
    assert_eq!(navigation.status(), 403, "a browser navigation gets the same refusal, as a page");
    assert!(navigation.text().await.unwrap().contains("may not call mutations"));
    let batch = server
        .http
        .post(server.url("/rpc"))
        .header("content-type", "application/json")
        .header("origin", "http://evil.test")
        .body(r#"[{"path":"counter.bump"}]"#)
        .send()
        .await
        .unwrap();
    assert_eq!(batch.status(), 403, "a posted batch follows the same rule");
    assert_eq!(server.state.bumps.load(Ordering::SeqCst), 0, "no rejected call ran");

    let (status, body) = post_bump(&server, "application/json", Some("HTTP://APP.test:80"), "").await;
    assert_eq!((status, body), (StatusCode::OK, json!(1)), "same origin, normalised");
    let (status, _) = post_bump(&server, "application/json", None, "").await;
    assert_eq!(status, StatusCode::OK, "non-browser JSON clients send no Origin");
    assert_eq!(server.state.bumps.load(Ordering::SeqCst), 2);
}
