//! Cross-site request protection for mutations: which `Origin`s may post.
//!
//! Browsers send `Origin` on every POST. A mutation posted with an `Origin` outside the
//! policy (including `null`, sent by sandboxed and privacy-sensitive contexts) is refused;
//! so is a form post without one. A JSON post without `Origin` comes from a non-browser
//! client: browsers cannot send `application/json` cross-site without a CORS preflight,
//! which this server never grants.

use axum::http::{HeaderMap, header};

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

/// `HTTPS://Example.COM:443` → `https://example.com`; `None` for `null` or anything with a path.
fn normalize(origin: &str) -> Option<String> {
    let (scheme, rest) = origin.trim().split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if !matches!(scheme.as_str(), "http" | "https") || rest.is_empty() || rest.contains(['/', '?', '#', '@']) {
        return None;
    }
    let rest = rest.to_ascii_lowercase();
    let default_port = if scheme == "https" { ":443" } else { ":80" };
    let authority = rest.strip_suffix(default_port).unwrap_or(&rest);
    Some(format!("{scheme}://{authority}"))
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
}
