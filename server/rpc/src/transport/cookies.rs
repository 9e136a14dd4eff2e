//! Cookies for procedures: the context reads the caller's cookies, and procedures set or
//! remove cookies on the response, with the attributes a session cookie must have.

use std::{
    convert::Infallible,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    extract::FromRequestParts,
    http::{HeaderMap, HeaderValue, header, request::Parts},
};
use cookie::{Cookie, SameSite};

use crate::lock;

/// The request's cookies, and the cookies to send back. Extract it in the application's
/// context (`Cookies::from_request_parts(parts, state)`); procedures then read and write it
/// through the context. Clones share the outgoing cookies.
///
/// Every cookie written through it is `HttpOnly` (page scripts never see it), `SameSite=Lax`
/// (browsers leave it off cross-site posts), `Path=/`, and `Secure` when the public origin is
/// https. The layer applies these when it writes `Set-Cookie`; a procedure cannot weaken them.
/// Cookies are written on the call's answer, redirects and errors included, and make it
/// `Cache-Control: private, no-store`. Cookies set where there is no answer to carry them are
/// not sent: from a subscription's stream once it has started, from a cached query's
/// background refresh, or from a cached computation shared by several callers (only the one
/// who ran it gets them). Set cookies from mutations.
#[derive(Clone, Debug, Default)]
pub struct Cookies {
    received: Arc<[(String, String)]>,
    outgoing: Arc<Mutex<Vec<Outgoing>>>,
}

#[derive(Debug)]
enum Outgoing {
    Set { name: String, value: String, max_age: Option<Duration> },
    Remove { name: String },
}

impl Cookies {
    fn from_headers(headers: &HeaderMap) -> Self {
        let received = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(Cookie::split_parse_encoded)
            .filter_map(Result::ok)
            .map(|cookie| (cookie.name().to_owned(), cookie.value().to_owned()))
            .collect();
        Cookies { received, outgoing: Arc::default() }
    }

    /// The value the caller sent under `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.received.iter().find(|(n, _)| n == name).map(|(_, value)| value.as_str())
    }

    /// Sets a cookie for `max_age`, or until the browser closes when `None`.
    pub fn set(&self, name: impl Into<String>, value: impl Into<String>, max_age: Option<Duration>) {
        self.push(Outgoing::Set { name: name.into(), value: value.into(), max_age });
    }

    /// Tells the browser to forget a cookie.
    pub fn remove(&self, name: impl Into<String>) {
        self.push(Outgoing::Remove { name: name.into() });
    }

    fn push(&self, cookie: Outgoing) {
        lock(&self.outgoing).push(cookie);
    }

    /// Appends a `Set-Cookie` header per cookie set or removed during the call; an answer
    /// that sets cookies is one caller's, never to be stored by HTTP caches.
    pub(crate) fn write(&self, headers: &mut HeaderMap, secure: bool) {
        let outgoing = lock(&self.outgoing);
        if !outgoing.is_empty() {
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
        }
        for cookie in outgoing.iter() {
            let mut cookie = match cookie {
                Outgoing::Set { name, value, max_age } => {
                    let mut cookie = Cookie::new(name.clone(), value.clone());
                    if let Some(max_age) = max_age {
                        cookie.set_max_age(cookie::time::Duration::try_from(*max_age).ok());
                    }
                    cookie
                }
                Outgoing::Remove { name } => {
                    let mut cookie = Cookie::from(name.clone());
                    cookie.make_removal();
                    cookie
                }
            };
            cookie.set_http_only(true);
            cookie.set_same_site(SameSite::Lax);
            cookie.set_path("/");
            cookie.set_secure(secure);
            match HeaderValue::from_str(&cookie.encoded().to_string()) {
                Ok(value) => {
                    headers.append(header::SET_COOKIE, value);
                }
                Err(error) => tracing::error!(%error, name = cookie.name(), "cookie is not a valid header"),
            }
        }
    }
}

/// One `Cookies` per request: the first extraction parses the `Cookie` header and leaves the
/// value in the request, where the layer finds what the call set.
impl<S: Sync> FromRequestParts<S> for Cookies {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        if let Some(cookies) = parts.extensions.get::<Cookies>() {
            return Ok(cookies.clone());
        }
        let cookies = Cookies::from_headers(&parts.headers);
        parts.extensions.insert(cookies.clone());
        Ok(cookies)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(cookies: &Cookies, secure: bool) -> Vec<String> {
        let mut headers = HeaderMap::new();
        cookies.write(&mut headers, secure);
        headers.get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_owned()).collect()
    }

    #[test]
    fn reads_every_cookie_header_and_decodes_values() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, HeaderValue::from_static("theme=dark; sid=a%20b"));
        headers.append(header::COOKIE, HeaderValue::from_static("lang=nb"));
        let cookies = Cookies::from_headers(&headers);
        assert_eq!(cookies.get("sid"), Some("a b"));
        assert_eq!(cookies.get("lang"), Some("nb"));
        assert_eq!(cookies.get("missing"), None);
    }

    #[test]
    fn written_cookies_carry_the_session_attributes() {
        let cookies = Cookies::default();
        cookies.set("sid", "tok en", Some(Duration::from_secs(3600)));
        cookies.remove("old");
        let plain = written(&cookies, false);
        assert_eq!(plain[0], "sid=tok%20en; HttpOnly; SameSite=Lax; Path=/; Max-Age=3600");
        assert!(plain[1].starts_with("old=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0; Expires="), "{}", plain[1]);
        let https = written(&cookies, true);
        assert_eq!(https[0], "sid=tok%20en; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=3600");
    }

    #[test]
    fn an_answer_that_sets_cookies_is_never_stored_by_shared_caches() {
        let mut headers = HeaderMap::new();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, no-cache"));
        Cookies::default().write(&mut headers, false);
        assert_eq!(headers[header::CACHE_CONTROL], "public, no-cache", "untouched without cookies");
        let cookies = Cookies::default();
        cookies.set("sid", "a", None);
        cookies.write(&mut headers, false);
        assert_eq!(headers[header::CACHE_CONTROL], "private, no-store");
    }
}
