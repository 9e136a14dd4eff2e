//! Accepting connections within limits: at most so many at once, each closed when its client
//! is slow to send a request head, sits idle between requests or stops reading what it is
//! sent, and a pause after a failed `accept` (out of file descriptors) instead of spinning.
//! What `axum::serve` leaves open.

use std::{io, net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    Router,
    body::Body,
    extract::{ConnectInfo, Request},
};
use hyper::body::Incoming;
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    server::graceful::GracefulShutdown,
};
use tokio::{net::TcpListener, sync::Semaphore};
use tower::ServiceExt;

/// Limits on the connections a server accepts.
#[derive(Clone, Debug)]
pub struct ConnectionLimits {
    /// Connections served at once; beyond it, new ones wait in the listen backlog.
    pub max_connections: usize,
    /// How long a client may take to send a request head, and how long a kept-alive
    /// connection may sit idle before its next request; the connection is then closed.
    pub header_timeout: Duration,
    /// How long a write may wait for the client to take bytes (it stopped reading: a slow-read
    /// attack, or a subscriber that is gone without closing); the connection is then closed.
    pub write_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            max_connections: 10_000,
            header_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(30),
        }
    }
}

/// The pause after a failed `accept`, doubled on each failure in a row up to the maximum.
const ACCEPT_BACKOFF: (Duration, Duration) = (Duration::from_millis(5), Duration::from_secs(1));

/// Serves `app` on `listener` within `limits` until `stopping` completes, then lets the
/// requests in flight finish. Requests carry [`ConnectInfo<SocketAddr>`], as with
/// `into_make_service_with_connect_info`, and responses leave without Nagle's delay.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    stopping: impl Future<Output = ()> + Send,
) -> io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout);
    let mut backoff = ACCEPT_BACKOFF.0;
    tokio::pin!(stopping);
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
            () = &mut stopping => break,
        };
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, pause_ms = backoff.as_millis() as u64, "accept failed; pausing");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(ACCEPT_BACKOFF.1);
                    continue;
                }
            },
            () = &mut stopping => break,
        };
        backoff = ACCEPT_BACKOFF.0;
        // A response written in two parts (a file's head, then its body) would otherwise wait
        // for the client's delayed ACK: 40 ms per request on keep-alive.
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "cannot set TCP_NODELAY");
        }
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo::<SocketAddr>(remote));
            app.clone().oneshot(request.map(Body::new))
        });
        let mut stream = tokio_io_timeout::TimeoutStream::new(stream);
        stream.set_write_timeout(Some(limits.write_timeout));
        let connection = graceful.watch(http.serve_connection(TokioIo::new(Box::pin(stream)), service));
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}
