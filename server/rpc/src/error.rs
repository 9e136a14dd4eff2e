use std::{collections::BTreeMap, error::Error, fmt, io};

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Serialize;
use serde_json::value::RawValue;
use specta::Type;

/// An error a procedure (or a guard, or the context extractor) can return.
///
/// The value is sent to the client as JSON and its type is exported to TypeScript, so the
/// client receives exactly this type. Status 500 makes it an internal error instead: the
/// value is logged with the request id and the client receives only that id. Other 5xx
/// statuses (503 for an external service that is down, say) are typed errors like 4xx ones.
pub trait ProcedureError: Serialize + Type + fmt::Debug + Send + 'static {
    /// Every status [`status`](Self::status) can return but 500, for the OpenAPI document
    /// (see `openapi`). Debug builds check each answered error against it.
    const STATUSES: &'static [StatusCode];

    /// The HTTP status of this error; 500 makes it internal.
    fn status(&self) -> StatusCode;

    /// The [`Internal`] failure this error holds, if it is one. An internal failure caused by
    /// something unavailable (a database that is down or locked, see
    /// [`Internal::is_unavailable`]) is answered 503 `UNAVAILABLE` with `Retry-After` rather
    /// than 500: the client may try again. Implement it for error types with an `Internal`
    /// variant; the default says none.
    fn internal(&self) -> Option<&Internal> {
        None
    }
}

/// Seconds a client is told to wait after a 503 `UNAVAILABLE`.
const UNAVAILABLE_RETRY_AFTER: u32 = 5;

/// The error type of procedures that cannot fail and of contexts that never reject.
// Not `std::convert::Infallible`: serde does not implement `Serialize` for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Type)]
pub enum Never {}

impl ProcedureError for Never {
    const STATUSES: &'static [StatusCode] = &[];

    fn status(&self) -> StatusCode {
        match *self {}
    }
}

impl IntoResponse for Never {
    fn into_response(self) -> Response {
        match self {}
    }
}

/// Per-field validation messages, keyed by the field's path in the input (`email`,
/// `author.name`). The conventional payload of a 422.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

/// Errors of the protocol itself, raised before or around a procedure call. Every
/// procedure can answer with one of these, so the client types include it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type, thiserror::Error)]
#[serde(tag = "code", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ProtocolError {
    /// The input is not JSON.
    #[error("input is not valid JSON: {message}")]
    MalformedJson {
        /// The parser's complaint, with the position.
        message: String,
    },
    /// The body could not be read as its media type says (a broken multipart body, a
    /// connection cut mid-body).
    #[error("the body could not be read: {message}")]
    MalformedBody {
        /// What could not be read.
        message: String,
    },
    /// The input is JSON but not of the procedure's input type.
    #[error("input does not match the procedure's type at `{path}`: {message}")]
    InvalidInput {
        /// Where in the input, as `field.nested[0]` (`.` for the whole input).
        path: String,
        /// What was expected there.
        message: String,
    },
    /// The input nests arrays and objects deeper than the configured limit.
    #[error("input nests deeper than {limit} levels")]
    TooDeep {
        /// The deepest nesting accepted.
        limit: u32,
    },
    /// No procedure has this name.
    #[error("no procedure is named `{name}`")]
    UnknownProcedure {
        /// The name called.
        name: String,
    },
    /// A query or subscription was posted, or a mutation was fetched with GET.
    #[error("{name} is a {kind}: use {allowed}")]
    MethodNotAllowed {
        /// The procedure called.
        name: String,
        /// What it is: `query`, `mutation` or `subscription`.
        kind: String,
        /// The method it takes (also in the `Allow` header).
        allowed: String,
    },
    /// The body's `Content-Type` is not one the call accepts.
    #[error("expected a body of type {expected}")]
    UnsupportedMediaType {
        /// The media type to send.
        expected: String,
    },
    /// The body is larger than the server accepts.
    #[error("the body exceeds {limit} bytes")]
    PayloadTooLarge {
        /// The largest body accepted, in bytes.
        limit: u32,
    },
    /// The body did not arrive in time (a stalled upload); the connection is closed.
    #[error("the body did not arrive within {seconds} s")]
    BodyTimeout {
        /// How long the server waits for a whole body, in seconds.
        seconds: u32,
    },
    /// A batch holds more calls than the server accepts in one request.
    #[error("a batch holds at most {limit} calls")]
    BatchTooLarge {
        /// The most calls accepted in one batch.
        limit: u32,
    },
    /// A mutation posted from an origin that may not post (or, for a form, from no origin).
    #[error("requests from origin `{origin}` may not call mutations")]
    CrossOrigin {
        /// The `Origin` the request came with (`null` or empty when it had none).
        origin: String,
    },
    /// The server cannot answer now (its database is unreachable or locked); retry after
    /// `retryAfter` seconds (also in the `Retry-After` header).
    #[error("the service is unavailable; retry after {retry_after} s")]
    Unavailable {
        /// Seconds to wait before trying again.
        #[serde(rename = "retryAfter")]
        retry_after: u32,
    },
    /// This client already holds as many open subscriptions as the server allows.
    #[error("at most {limit} subscriptions may be open at once")]
    TooManySubscriptions {
        /// Subscriptions one client may hold open.
        limit: u32,
    },
    /// Too many calls; retry after `retryAfter` seconds (also in the `Retry-After` header).
    #[error("too many calls; retry after {retry_after} s")]
    RateLimited {
        /// Seconds until the next call is accepted.
        #[serde(rename = "retryAfter")]
        retry_after: u32,
    },
    /// The input has the right type but breaks the validation rules declared on it
    /// (`Valid<T>`): messages per field path.
    #[error("the input is invalid")]
    Validation {
        /// Messages per field path.
        fields: FieldErrors,
    },
    /// Subscriptions stream over their own connection and cannot be part of a batch.
    #[error("{name} is a subscription and cannot be batched")]
    NotBatchable {
        /// The subscription named in the batch.
        name: String,
    },
}

impl ProtocolError {
    /// The HTTP status this error is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            ProtocolError::MalformedJson { .. }
            | ProtocolError::MalformedBody { .. }
            | ProtocolError::InvalidInput { .. }
            | ProtocolError::TooDeep { .. }
            | ProtocolError::BatchTooLarge { .. }
            | ProtocolError::NotBatchable { .. } => StatusCode::BAD_REQUEST,
            ProtocolError::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ProtocolError::UnknownProcedure { .. } => StatusCode::NOT_FOUND,
            ProtocolError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ProtocolError::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ProtocolError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ProtocolError::BodyTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
            ProtocolError::CrossOrigin { .. } => StatusCode::FORBIDDEN,
            ProtocolError::RateLimited { .. } | ProtocolError::TooManySubscriptions { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            ProtocolError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

/// A failed call, with the typed error already serialized: everything past the typed
/// handler is generic.
#[derive(Debug, Clone)]
pub(crate) enum Failure {
    /// The procedure's, guard's or context's own error, as JSON.
    Procedure {
        status: StatusCode,
        error: Box<RawValue>,
    },
    Protocol(ProtocolError),
    /// Logged where it happened; the client learns only the request id.
    Internal,
}

impl Failure {
    /// Serializes a typed error, or logs it when its status marks it internal. Runs inside
    /// the call's span, so the log line carries the request id.
    pub(crate) fn from_error<E: ProcedureError>(error: E) -> Self {
        let status = error.status();
        debug_assert!(
            status == StatusCode::INTERNAL_SERVER_ERROR || E::STATUSES.contains(&status),
            "{} answered {status}, which its ProcedureError::STATUSES does not list",
            std::any::type_name::<E>(),
        );
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            if error.internal().is_some_and(Internal::is_unavailable) {
                tracing::warn!(error = ?error, "procedure failed: unavailable");
                return Failure::Protocol(ProtocolError::Unavailable { retry_after: UNAVAILABLE_RETRY_AFTER });
            }
            tracing::error!(error = ?error, "procedure failed");
            return Failure::Internal;
        }
        match serde_json::value::to_raw_value(&error) {
            Ok(error) => Failure::Procedure { status, error },
            Err(serialize_error) => {
                tracing::error!(error = ?error, %serialize_error, "procedure error is not serializable");
                Failure::Internal
            }
        }
    }

    pub(crate) fn status(&self) -> StatusCode {
        match self {
            Failure::Procedure { status, .. } => *status,
            Failure::Protocol(error) => error.status(),
            Failure::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The JSON error envelope documented in `transport/mod.rs`.
    pub(crate) fn envelope(&self, request_id: &str) -> String {
        #[derive(Serialize)]
        #[serde(tag = "kind", rename_all = "lowercase")]
        enum Envelope<'a> {
            Procedure {
                status: u16,
                #[serde(rename = "requestId")]
                request_id: &'a str,
                error: &'a RawValue,
            },
            Protocol {
                status: u16,
                #[serde(rename = "requestId")]
                request_id: &'a str,
                error: &'a ProtocolError,
                message: String,
            },
            Internal {
                status: u16,
                #[serde(rename = "requestId")]
                request_id: &'a str,
            },
        }
        let status = self.status().as_u16();
        let envelope = match self {
            Failure::Procedure { error, .. } => Envelope::Procedure { status, request_id, error },
            Failure::Protocol(error) => Envelope::Protocol { status, request_id, error, message: error.to_string() },
            Failure::Internal => Envelope::Internal { status, request_id },
        };
        serde_json::to_string(&envelope).expect("the envelope holds only JSON-safe values")
    }
}

impl From<ProtocolError> for Failure {
    fn from(error: ProtocolError) -> Self {
        Failure::Protocol(error)
    }
}

/// A failure whose details stay on the server: give it status 500 in the procedure's
/// error type (as a `#[serde(skip)]` variant) and the layer logs it with the request id and
/// answers only that id. Converts from any error.
pub struct Internal {
    error: Box<dyn Error + Send + Sync>,
    unavailable: bool,
}

impl<E: Error + Send + Sync + 'static> From<E> for Internal {
    fn from(error: E) -> Self {
        let unavailable = is_unavailable(&error);
        Internal { error: Box::new(error), unavailable }
    }
}

impl Internal {
    /// Whether the failure is something being unavailable rather than a bug: its error or a
    /// source of it is an [`io::Error`] of a kind that passes (refused, reset or aborted
    /// connections, timeouts, a busy resource). The database runtime reports a database that
    /// is down or locked so (`DbError::Unavailable`).
    pub fn is_unavailable(&self) -> bool {
        self.unavailable
    }
}

fn is_unavailable(error: &(dyn Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(error) = cause {
        if let Some(io) = error.downcast_ref::<io::Error>() {
            use io::ErrorKind::*;
            return matches!(
                io.kind(),
                ConnectionRefused
                    | ConnectionReset
                    | ConnectionAborted
                    | NotConnected
                    | TimedOut
                    | ResourceBusy
                    | HostUnreachable
                    | NetworkUnreachable
            );
        }
        cause = error.source();
    }
    false
}

impl fmt::Debug for Internal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error.fmt(f)
    }
}

impl fmt::Display for Internal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error.fmt(f)
    }
}

impl Serialize for Internal {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_unit()
    }
}

impl Type for Internal {
    fn definition(types: &mut specta::Types) -> specta::datatype::DataType {
        <Never as Type>::definition(types)
    }
}
