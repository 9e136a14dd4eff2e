//! Per-procedure rate limits: 429 with `Retry-After`.

use super::support::*;

#[tokio::test]
async fn the_call_after_the_limit_gets_429_with_retry_after() {
    let server = spawn(RpcConfig::default()).await;
    for _ in 0..3 {
        assert_eq!(server.query("limited.ping", None).await.0, StatusCode::OK);
    }
    let response = server.http.get(server.url("/rpc/limited.ping")).send().await.unwrap();
    let retry_after: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let (status, body) = read(response).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(protocol_code(&body), "RATE_LIMITED");
    assert_eq!(body["error"]["retryAfter"].as_u64(), Some(retry_after));
    assert_eq!(server.query("health", None).await.0, StatusCode::OK, "limits are per procedure");

    let calls = json!([{"path": "limited.ping"}]).to_string();
    let batched = server.http.get(server.url("/rpc")).query(&[("batch", &calls)]).send().await.unwrap();
    assert_eq!(read(batched).await.1[0]["status"], 429, "batched calls count against the same limit");

    let keyed = |key: &'static str| server.http.get(server.url("/rpc/limited.byKey")).header("x-api-key", key).send();
    assert_eq!(keyed("a").await.unwrap().status(), 200);
    assert_eq!(keyed("a").await.unwrap().status(), 429);
    assert_eq!(keyed("b").await.unwrap().status(), 200, "another key has its own budget");
}

#[tokio::test]
async fn behind_a_proxy_the_client_cannot_choose_its_key() {
    let config = RpcConfig { client_ip_header: Some("x-forwarded-for".parse().unwrap()), ..RpcConfig::default() };
    let server = spawn(config).await;
    // The client writes a line of its own; the proxy appends the address it saw as a new line.
    let call = |spoofed: &str| {
        server
            .http
            .get(server.url("/rpc/limited.ping"))
            .header("x-forwarded-for", spoofed)
            .header("x-forwarded-for", "203.0.113.7")
            .send()
    };
    for n in 0..3 {
        assert_eq!(call(&format!("198.51.100.{n}")).await.unwrap().status(), 200);
    }
    assert_eq!(call("198.51.100.99").await.unwrap().status(), 429, "one budget for the address the proxy saw");

    let v6 = |address: &'static str| {
        server.http.get(server.url("/rpc/limited.ping")).header("x-forwarded-for", address).send()
    };
    for address in ["2001:db8::1", "2001:db8::2", "2001:db8::3"] {
        assert_eq!(v6(address).await.unwrap().status(), 200);
    }
    assert_eq!(v6("2001:db8::ffff").await.unwrap().status(), 429, "one budget per IPv6 /64");
}
