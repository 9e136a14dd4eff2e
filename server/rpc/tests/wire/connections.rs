//! Connections within limits (`isthmus_rpc::serve`): idle and slow clients neither starve
//! others nor stay open.

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use super::support::*;

/// Reads until the server closes the connection (it may answer 408 first).
async fn closed_by_server(mut socket: TcpStream) -> bool {
    let mut buffer = [0_u8; 1024];
    loop {
        match socket.read(&mut buffer).await {
            Ok(0) | Err(_) => return true,
            Ok(_) => continue,
        }
    }
}

#[tokio::test]
async fn idle_and_slowloris_clients_neither_block_a_normal_client_nor_stay_open() {
    let limits = ConnectionLimits {
        max_connections: 2_000,
        header_timeout: Duration::from_secs(1),
        ..ConnectionLimits::default()
    };
    let server = spawn_with_limits(RpcConfig::default(), limits).await;
    let mut hostile = Vec::new();
    for _ in 0..1_000 {
        hostile.push(TcpStream::connect(server.address).await.unwrap());
    }
    for _ in 0..200 {
        let mut slow = TcpStream::connect(server.address).await.unwrap();
        slow.write_all(b"GET /rpc/health HTTP/1.1\r\nHost: slow\r\n").await.unwrap();
        hostile.push(slow);
    }
    let answered = tokio::time::timeout(Duration::from_secs(1), server.query("health", None)).await;
    assert_eq!(answered.expect("a normal client is answered within a second"), (StatusCode::OK, json!("ok")));

    // After the header timeout the server closes every one of them.
    let closing = futures_util::future::join_all(hostile.into_iter().map(closed_by_server));
    let closed = tokio::time::timeout(Duration::from_secs(15), closing).await.expect("closed after the timeout");
    assert!(closed.into_iter().all(|closed| closed));
    // On a new connection: the normal client's kept-alive one idled past the timeout too, and
    // reusing it races the server closing it.
    let fresh = reqwest::Client::new().get(server.url("/rpc/health")).send().await.unwrap();
    assert_eq!(fresh.status(), 200);
}

#[tokio::test]
async fn a_kept_alive_connection_is_closed_after_idling_past_the_timeout() {
    let limits =
        ConnectionLimits { max_connections: 10, header_timeout: Duration::from_secs(1), ..ConnectionLimits::default() };
    let server = spawn_with_limits(RpcConfig::default(), limits).await;
    let mut socket = TcpStream::connect(server.address).await.unwrap();
    socket.write_all(b"GET /rpc/health HTTP/1.1\r\nHost: idle\r\n\r\n").await.unwrap();
    let mut head = [0_u8; 12];
    socket.read_exact(&mut head).await.unwrap();
    assert_eq!(&head, b"HTTP/1.1 200", "served, then kept alive");
    let closed = tokio::time::timeout(Duration::from_secs(10), closed_by_server(socket)).await;
    assert!(closed.expect("closed after idling"));
}

#[tokio::test]
async fn a_body_that_stops_short_is_408_and_its_connection_closed() {
    let server = spawn(RpcConfig { body_timeout: Duration::from_millis(300), ..RpcConfig::default() }).await;
    let mut socket = TcpStream::connect(server.address).await.unwrap();
    let head = format!(
        "POST /rpc/counter.bump HTTP/1.1\r\nHost: app.test\r\nOrigin: {APP_ORIGIN}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"partial\""
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), socket.read_to_end(&mut answer)).await;
    read.expect("answered and closed").unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains(r#""code":"BODY_TIMEOUT""#), "{answer}");
    assert_eq!(server.state.bumps.load(Ordering::SeqCst), 0, "the mutation did not run");
    server.assert_alive().await;
}

/// Opens a subscription over a raw socket and reads until its first event.
async fn subscribe(server: &Server, path: &str) -> TcpStream {
    let mut socket = TcpStream::connect(server.address).await.unwrap();
    socket.write_all(format!("GET {path} HTTP/1.1\r\nHost: app.test\r\n\r\n").as_bytes()).await.unwrap();
    let mut seen = Vec::new();
    let mut buffer = [0_u8; 1024];
    while !String::from_utf8_lossy(&seen).contains("data:") {
        let read = socket.read(&mut buffer).await.unwrap();
        assert!(read > 0, "closed before its first event: {}", String::from_utf8_lossy(&seen));
        seen.extend_from_slice(&buffer[..read]);
    }
    assert!(seen.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&seen));
    socket
}

#[tokio::test]
async fn a_client_holds_at_most_its_share_of_subscriptions() {
    let server = spawn(RpcConfig { max_subscriptions_per_client: 2, ..RpcConfig::default() }).await;
    let first = subscribe(&server, "/rpc/ticks.forever").await;
    let _second = subscribe(&server, "/rpc/ticks.forever").await;
    let (status, body) = server.query("ticks.forever", None).await;
    assert_eq!((status, protocol_code(&body)), (StatusCode::TOO_MANY_REQUESTS, "TOO_MANY_SUBSCRIPTIONS"));
    assert_eq!(body["error"]["limit"], 2);
    assert_eq!(server.query("health", None).await.0, StatusCode::OK, "queries are not subscriptions");

    // A client that goes away frees its slot once the server notices the closed connection.
    drop(first);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let response = reqwest::Client::new().get(server.url("/rpc/ticks.forever")).send().await.unwrap();
        if response.status() == 200 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the slot was never freed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_client_that_stops_reading_is_closed_after_the_write_timeout() {
    let limits = ConnectionLimits { write_timeout: Duration::from_millis(500), ..ConnectionLimits::default() };
    let server = spawn_with_limits(RpcConfig { max_subscriptions_per_client: 1, ..RpcConfig::default() }, limits).await;
    // Millions of events, never read: the server's writes stall once the socket buffers fill.
    let socket = TcpStream::connect(server.address).await.unwrap();
    let mut socket = socket;
    socket.write_all(b"GET /rpc/count.to?input=100000000 HTTP/1.1\r\nHost: app.test\r\n\r\n").await.unwrap();
    // Its slot is taken while it lasts ...
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let response = reqwest::Client::new().get(server.url("/rpc/ticks.forever")).send().await.unwrap();
        if response.status() == 200 {
            break;
        }
        assert_eq!(response.status(), 429);
        assert!(std::time::Instant::now() < deadline, "the stalled subscriber was never closed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // ... and free again once the stalled write timed out and the connection was closed.
    assert!(tokio::time::timeout(Duration::from_secs(30), closed_by_server(socket)).await.unwrap());
}
