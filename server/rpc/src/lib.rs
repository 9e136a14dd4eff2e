//! Isthmus's procedure layer: typed queries, mutations and subscriptions served over axum,
//! with their types exported to TypeScript.
//!
//! The crate knows nothing about any application. An application supplies a context type (an
//! ordinary axum extractor), writes procedures as plain async functions, registers them on a
//! [`Router`] and serves it with [`Router::into_axum`]:
//!
//! ```
//! use axum::{extract::{FromRef, FromRequestParts}, http::request::Parts};
//! use isthmus_rpc::{Never, ResponseCache, Router, RpcConfig};
//!
//! #[derive(Clone)]
//! struct State { cache: ResponseCache }
//!
//! impl FromRef<State> for ResponseCache {
//!     fn from_ref(state: &State) -> Self { state.cache.clone() }
//! }
//!
//! struct Ctx;
//!
//! impl FromRequestParts<State> for Ctx {
//!     type Rejection = Never;
//!     async fn from_request_parts(_: &mut Parts, _: &State) -> Result<Self, Never> { Ok(Ctx) }
//! }
//!
//! async fn greet(_: Ctx, name: String) -> Result<String, Never> {
//!     Ok(format!("Hello, {name}!"))
//! }
//!
//! let router = Router::new().query("greet", greet);
//! let bindings = isthmus_rpc::typescript::<State, Ctx>(&router).unwrap();
//! assert!(bindings.contains(r#""greet": { kind: "query"; input: string; output: string"#));
//! let app: axum::Router = router.into_axum(State { cache: ResponseCache::new(100) }, RpcConfig::default());
//! ```
//!
//! The core — [`Router`], [`Handler`], errors, input decoding and validation, the result
//! cache — knows procedures, not HTTP requests. `transport` maps them onto HTTP: routes,
//! batches, forms, origins, cookies, cache validators and server-sent events; its wire format
//! is documented there.

mod cache;
mod error;
mod explorer;
mod export;
mod handler;
mod input;
mod int64;
mod procedure;
mod rate_limit;
mod router;
mod strict;
mod transport;
mod valid;

pub use cache::{CacheScope, CacheStats, ResponseCache, Revalidate};
pub use error::{FieldErrors, Internal, Never, ProcedureError, ProtocolError};
pub use explorer::explorer;
pub use export::{ExportError, openapi, protocol_typescript, typescript};
pub use handler::{Handler, RawInput};
pub use input::DecodeInput;
pub use int64::Int64;
pub use procedure::{Kind, ProcedureMeta};
pub use rate_limit::RateLimit;
pub use router::Router;
pub use strict::RawText;
pub use transport::{
    CachedAs, ConnectionLimits, Cookies, InvalidOrigin, LocalAnswer, LocalQueries, OriginPolicy, RpcConfig, Shutdown,
    Upload, is_not_modified, is_site_path, serve, strong_etag,
};
pub use valid::{Valid, trimmed};

/// Locks `mutex`, carrying on past a panic of another holder: every lock here guards state
/// that is valid between any two statements.
fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
