//! Headers every answer carries, pages, procedures, files and errors alike: the browser's
//! defences against sniffing, framing (clickjacking a form) and script injection.

use axum::http::{HeaderName, HeaderValue, header};
use tower_http::set_header::SetResponseHeaderLayer;

/// The default `Content-Security-Policy`: scripts, styles and connections from this origin
/// only, no inline script (the server-rendered state is JSON data, not script), no framing.
pub const DEFAULT_CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; \
     frame-ancestors 'none'";

/// `router` with the security headers on every response that does not set them itself:
/// `policy` as the `Content-Security-Policy`, and `Strict-Transport-Security` when `https`.
pub fn apply(router: axum::Router, policy: HeaderValue, https: bool) -> axum::Router {
    let fixed = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    let router = router
        .layer(fixed(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(fixed(header::X_FRAME_OPTIONS, "DENY"))
        .layer(fixed(header::REFERRER_POLICY, "strict-origin-when-cross-origin"))
        .layer(SetResponseHeaderLayer::if_not_present(header::CONTENT_SECURITY_POLICY, policy));
    if https { router.layer(fixed(header::STRICT_TRANSPORT_SECURITY, "max-age=63072000")) } else { router }
}
