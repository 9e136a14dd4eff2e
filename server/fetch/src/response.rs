//! A successful answer, read whole.

use bytes::Bytes;
use reqwest::{StatusCode, header::HeaderMap};
use serde::de::DeserializeOwned;

use crate::FetchError;

/// An upstream's 2xx answer: status, headers and the whole body. Cached reads share one.
#[derive(Clone, Debug)]
pub struct Response {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    pub(crate) from_cache: bool,
}

impl Response {
    /// The upstream's status (2xx).
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The upstream's headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The body as received.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// Whether this answer came from the cache rather than from a request made for this call.
    pub fn from_cache(&self) -> bool {
        self.from_cache
    }

    /// The body decoded from JSON into `T`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, FetchError> {
        serde_json::from_slice(&self.body).map_err(|error| FetchError::decode(&error))
    }
}
