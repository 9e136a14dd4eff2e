//! Cross-site request protection for mutations: which `Origin`s may post.
//!
//! Browsers send `Origin` on every POST. A mutation posted with an `Origin` outside the
//! policy (including `null`, sent by sandboxed and privacy-sensitive contexts) is refused;
//! so is a form post without one. A JSON post without `Origin` comes from a non-browser
//! client: browsers cannot send `application/json` cross-site without a CORS preflight,
//! which this server never grants.

use axum::http::{HeaderMap, header, uri::Authority};

use crate::error::ProtocolError;

/// Which browser origins may call mutations (see the module's documentation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OriginPolicy {
    /// Normalised `scheme://host[:port]`, the public origin first.
    allowed: Vec<String>,
}

/// A configured origin that is not `scheme://host[:port]`.
#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not an origin (expected scheme://host[:port])")]
pub struct InvalidOrigin(pub String);

impl OriginPolicy {
    /// The site's public origin (from configuration, never from `Host`) and any others
    /// allowed to post.
    pub fn new<'a>(public: &'a str, extra: impl IntoIterator<Item = &'a str>) -> Result<Self, InvalidOrigin> {
        let allowed = std::iter::once(public)
            .chain(extra)
            .map(|origin| normalize(origin).ok_or_else(|| InvalidOrigin(origin.to_owned())))
            .collect::<Result<_, _>>()?;
        Ok(OriginPolicy { allowed })
    }

    /// Allows no browser origin at all: only non-browser JSON clients may mutate.
    pub fn none() -> Self {
        OriginPolicy { allowed: Vec::new() }
    }

    /// The site's public origin, where form posts may redirect back to.
    pub fn public(&self) -> Option<&str> {
        self.allowed.first().map(String::as_str)
    }

    /// Whether cookies must be `Secure`.
    pub fn is_https(&self) -> bool {
        self.public().is_some_and(|origin| origin.starts_with("https://"))
    }

    /// Whether `origin` (`scheme://host[:port]`) is allowed.
    pub fn allows(&self, origin: &str) -> bool {
        normalize(origin).is_some_and(|normal| self.allowed.contains(&normal))
    }

    pub(crate) fn check(&self, headers: &HeaderMap, is_form: bool) -> Result<(), ProtocolError> {
        let cross = |origin: &str| ProtocolError::CrossOrigin { origin: origin.to_owned() };
        match headers.get(header::ORIGIN).map(|v| v.to_str().unwrap_or("")) {
            None if is_form => Err(cross("")),
            None => Ok(()),
            Some(origin) if self.allows(origin) => Ok(()),
            Some(origin) => Err(cross(origin)),
        }
    }
}

/// `HTTPS://Example.COM:443` → `https://example.com`; `None` for `null`, anything with a
/// path or user, and authorities that are not a host with an optional port (`https://:443`).
fn normalize(origin: &str) -> Option<String> {
    let (scheme, rest) = origin.trim().split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if !matches!(scheme.as_str(), "http" | "https") || rest.contains(['/', '?', '#', '@']) {
        return None;
    }
    let authority: Authority = rest.parse().ok()?;
    if !is_host(authority.host()) {
        return None;
    }
    let host = authority.host().to_ascii_lowercase();
    let default_port = if scheme == "https" { 443 } else { 80 };
    // Text after the host is a port, which must be a number that fits (`:99999`, `:` are not).
    let has_port = authority.as_str().len() > authority.host().len();
    match authority.port_u16() {
        Some(port) if port != default_port => Some(format!("{scheme}://{host}:{port}")),
        Some(_) => Some(format!("{scheme}://{host}")),
        None if has_port => None,
        None => Some(format!("{scheme}://{host}")),
    }
}

/// A DNS name (letters, digits, `-` and `.`; international names in their ASCII form) or a
/// bracketed IPv6 address. http's parser is lenient here (`e[::1]` has a host `e[`).
fn is_host(host: &str) -> bool {
    match host.strip_prefix('[').and_then(|inner| inner.strip_suffix(']')) {
        Some(ipv6) => ipv6.parse::<std::net::Ipv6Addr>().is_ok(),
        None => {
            !host.is_empty() && host.bytes().all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.'))
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, HeaderValue, header};

    use super::*;

    fn headers(origin: Option<&str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(origin) = origin {
            headers.insert(header::ORIGIN, HeaderValue::from_str(origin).unwrap());
        }
        headers
    }

    #[test]
    fn origins_compare_normalised() {
        let policy = OriginPolicy::new("https://Example.com", ["http://localhost:5173"]).unwrap();
        assert!(policy.check(&headers(Some("https://example.COM:443")), true).is_ok());
        assert!(policy.check(&headers(Some("http://localhost:5173")), false).is_ok());
        assert!(policy.check(&headers(Some("https://evil.example")), false).is_err());
        assert!(policy.check(&headers(Some("http://example.com")), false).is_err(), "scheme matters");
        assert!(policy.check(&headers(Some("null")), false).is_err());
        assert!(policy.check(&headers(None), true).is_err(), "a form post must say where it comes from");
        assert!(policy.check(&headers(None), false).is_ok(), "non-browser JSON clients send no Origin");
        assert!(policy.is_https());
        assert!(OriginPolicy::new("example.com", []).is_err());
    }

    #[test]
    fn an_origin_is_a_host_with_an_optional_port() {
        for invalid in [
            "https://:443",
            "https://",
            "http://exa mple.com",
            "http://example.com:99999",
            "http://a:b",
            "https://e[::1]:3000",
        ] {
            assert!(OriginPolicy::new(invalid, []).is_err(), "{invalid}");
        }
        let policy = OriginPolicy::new("http://[::1]:3000", ["HTTP://Example.com:80"]).unwrap();
        assert!(policy.allows("http://[::1]:3000") && policy.allows("http://example.com"));
        assert!(!policy.allows("http://[::1]:3001"));
    }
}
