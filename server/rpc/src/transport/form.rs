//! Mutations as the `action` of a plain HTML form (Next.js Server Actions, without the
//! framework).
//!
//! An `application/x-www-form-urlencoded` or `multipart/form-data` body decodes into the
//! procedure's input type, like the JSON call: nested fields as `author[name]`, repeated
//! fields (`tag=a&tag=b`) as lists, `true`/`false` for booleans (an unchecked checkbox is
//! absent: give the field `#[serde(default)]`). A file field decodes into [`Upload`].
//!
//! Without JavaScript the browser navigates: success answers 303 to the (same-origin) page
//! the form came from, with the procedure's name as the fragment (`/signup#signup.create`),
//! so that the page can show its success state with CSS alone (`:target`); failure answers
//! a small HTML page with the status and field messages. With
//! `Accept: application/json` (the bindings' form helper) the answers are those of a JSON
//! call.

use axum::{
    body::{Body, Bytes},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use serde::{Deserialize, Serialize};
use specta::Type;

use super::{
    body::{read_limited, too_large},
    origin::OriginPolicy,
};
use crate::error::{Failure, ProtocolError};

/// A file posted in a `multipart/form-data` form. JSON callers send the same shape, with
/// `data` in base64.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Upload {
    /// The file's name on the sender's side.
    pub file_name: String,
    /// Its media type as the sender declared it (`application/octet-stream` when it did not).
    pub content_type: String,
    /// The content, base64 on the wire.
    #[serde(with = "base64_bytes")]
    #[specta(type = String)]
    pub data: Vec<u8>,
}

mod base64_bytes {
    use base64::{Engine, engine::general_purpose::STANDARD};
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(value: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(value))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        STANDARD.decode(String::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

/// The form as urlencoded pairs, whichever encoding it came in: multipart fields become
/// pairs, files `name[fileName]`, `name[contentType]` and `name[data]` (base64).
pub(crate) async fn read(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes, ProtocolError> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !content_type.trim_start().to_ascii_lowercase().starts_with("multipart/") {
        return read_limited(body, limit).await;
    }
    // A multipart body without its boundary cannot be read: never guess it is urlencoded.
    let boundary = multer::parse_boundary(content_type)
        .map_err(|_| ProtocolError::MalformedBody { message: "multipart/form-data without a boundary".to_owned() })?;
    let constraints = multer::Constraints::new().size_limit(multer::SizeLimit::new().whole_stream(limit as u64));
    let mut multipart = multer::Multipart::with_constraints(body.into_data_stream(), boundary, constraints);
    let mut pairs: Vec<(String, String)> = Vec::new();
    let malformed = |error: multer::Error| match error {
        multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. } => too_large(limit),
        other => ProtocolError::MalformedBody { message: format!("malformed multipart body: {other}") },
    };
    while let Some(field) = multipart.next_field().await.map_err(malformed)? {
        let name = field.name().unwrap_or_default().to_owned();
        match field.file_name().map(str::to_owned) {
            Some(file_name) => {
                let content_type =
                    field.content_type().map_or("application/octet-stream".to_owned(), |m| m.to_string());
                let data = field.bytes().await.map_err(malformed)?;
                pairs.push((format!("{name}[fileName]"), file_name));
                pairs.push((format!("{name}[contentType]"), content_type));
                pairs.push((format!("{name}[data]"), STANDARD.encode(&data)));
            }
            None => {
                let value = field.text().await.map_err(malformed)?;
                pairs.push((name, value));
            }
        }
    }
    let encoded = form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
    Ok(Bytes::from(encoded))
}

/// How the caller of a form post wants the answer.
pub(crate) enum FormReply {
    /// A page navigation: redirect back, or an HTML page for errors.
    Navigation { back_to: String },
    /// The bindings' enhanced form: JSON, as for a JSON call.
    Json,
}

impl FormReply {
    pub(crate) fn of(headers: &HeaderMap, origins: &OriginPolicy) -> FormReply {
        let wants_json = headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("application/json"));
        if wants_json {
            return FormReply::Json;
        }
        FormReply::Navigation { back_to: same_origin_path(headers, origins).unwrap_or_else(|| "/".to_owned()) }
    }
}

/// The path of the page the form came from, when that page is on an allowed origin; never
/// another site (no open redirects).
fn same_origin_path(headers: &HeaderMap, origins: &OriginPolicy) -> Option<String> {
    let referer = headers.get(header::REFERER)?.to_str().ok()?;
    let (scheme, rest) = referer.split_once("://")?;
    let split = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(split);
    if !origins.allows(&format!("{scheme}://{authority}")) {
        return None;
    }
    let path = if path.is_empty() || path.starts_with(['?', '#']) { format!("/{path}") } else { path.to_owned() };
    is_site_path(&path).then_some(path)
}

/// Whether `path` is a path browsers resolve on this site, as a redirect target must be: one `/`, then anything but `/` or `\` (`//host` and
/// `/\host` name another host), and no control characters (a tab or newline is dropped by URL
/// parsing, so `/\t/host` is `//host`).
pub fn is_site_path(path: &str) -> bool {
    let mut chars = path.chars();
    chars.next() == Some('/') && !matches!(chars.next(), Some('/' | '\\')) && !path.chars().any(char::is_control)
}

/// 303 See Other to the page the form came from, marked with the procedure that succeeded:
/// the browser loads the page again with GET and targets the element with that id.
pub(crate) fn redirect_after(procedure: &str, back_to: &str) -> Response {
    let page = back_to.split_once('#').map_or(back_to, |(page, _)| page);
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("{page}#{procedure}")) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// A minimal page for a failed form navigation: the status and any field messages.
pub(crate) fn error_page(failure: &Failure, request_id: &str, back_to: &str) -> Response {
    let envelope: serde_json::Value = serde_json::from_str(&failure.envelope(request_id)).unwrap_or_default();
    let mut items = String::new();
    if let Some(fields) = envelope["error"]["fields"].as_object() {
        for (field, messages) in fields {
            for message in messages.as_array().into_iter().flatten().filter_map(|m| m.as_str()) {
                items.push_str(&format!("<li><strong>{}</strong>: {}</li>", escape(field), escape(message)));
            }
        }
    }
    let summary = envelope["message"]
        .as_str()
        .or(envelope["error"]["code"].as_str())
        .unwrap_or("The form could not be submitted.");
    let html = format!(
        "<!doctype html><meta charset=\"utf-8\"><title>Could not submit the form</title>\
         <h1>Could not submit the form</h1><p>{}</p><ul>{items}</ul>\
         <p><a href=\"{}\">Back</a></p><p><small>Request {}</small></p>",
        escape(summary),
        escape(back_to),
        escape(request_id),
    );
    let mut response = (failure.status(), html).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    response
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, HeaderValue, header};

    use super::*;

    fn referer(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::REFERER, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn redirects_only_back_to_the_site() {
        let origins = OriginPolicy::new("https://app.test", []).unwrap();
        assert_eq!(same_origin_path(&referer("https://app.test/signup?x=1"), &origins).as_deref(), Some("/signup?x=1"));
        assert_eq!(same_origin_path(&referer("https://APP.test"), &origins).as_deref(), Some("/"));
        assert_eq!(same_origin_path(&referer("https://evil.test/signup"), &origins), None);
        assert_eq!(same_origin_path(&referer("https://app.test//evil.test"), &origins), None);
        assert_eq!(same_origin_path(&referer("https://app.test/\\evil.test"), &origins), None);
        assert_eq!(
            same_origin_path(&referer("https://app.test/%09/evil.test"), &origins).as_deref(),
            Some("/%09/evil.test")
        );
        assert_eq!(same_origin_path(&HeaderMap::new(), &origins), None);
    }

    #[test]
    fn site_paths_start_with_one_slash_and_hold_no_control_characters() {
        for path in ["/", "/login?next=%2Fdashboard", "/a/b#c"] {
            assert!(is_site_path(path), "{path}");
        }
        for path in ["", "login", "//evil.test", "/\\evil.test", "/\t/evil.test", "/a\nb", "https://evil.test"] {
            assert!(!is_site_path(path), "{path:?}");
        }
    }
}
