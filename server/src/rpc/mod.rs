//! The procedure layer: typed queries, mutations and subscriptions served over HTTP.
//!
//! This module knows nothing about the application. It turns a [`Router`] of plain async
//! functions into an axum router (see `http.rs` for the wire format) and exports every
//! procedure's types to TypeScript (`export.rs`). The application supplies the context type,
//! an ordinary axum extractor, and the procedures.

mod batch;
mod cache;
mod cookies;
mod error;
mod export;
mod form;
mod handler;
mod http;
mod input;
mod int64;
mod origin;
mod procedure;
mod rate_limit;
mod router;
mod valid;

pub use cache::{CacheScope, CacheStats, ResponseCache, Revalidate};
pub use cookies::Cookies;
pub use error::{FieldErrors, Internal, Never, ProcedureError, ProtocolError};
pub use export::{ExportError, typescript};
pub use form::Upload;
pub use handler::Handler;
pub use http::RpcConfig;
pub use int64::Int64;
pub use origin::{InvalidOrigin, OriginPolicy};
pub use procedure::{Kind, ProcedureMeta};
pub use rate_limit::RateLimit;
pub use router::Router;
pub use valid::{Valid, trimmed};

/// Locks `mutex`, carrying on past a panic of another holder: every lock here guards state
/// that is valid between any two statements.
pub(crate) fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
