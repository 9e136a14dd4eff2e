//! Who is calling, for keys such as rate limits.

use std::net::SocketAddr;

use axum::{
    extract::ConnectInfo,
    http::{HeaderName, request::Parts},
};

/// The client's address: from the trusted proxy's header when one is configured (its last
/// entry, the one that proxy appended), else from the connection.
pub(crate) fn of(parts: &Parts, proxy_header: Option<&HeaderName>) -> String {
    if let Some(name) = proxy_header
        && let Some(value) = parts.headers.get(name).and_then(|v| v.to_str().ok())
        && let Some(last) = value.rsplit(',').map(str::trim).find(|entry| !entry.is_empty())
    {
        return last.to_owned();
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(address)| address.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned())
}
