//! The fixture of the TypeScript client's tests (`bindings/test`): a guestbook with one
//! procedure per behaviour the client must handle — a query without input, a validated
//! mutation with a typed error, a cached query revalidated by that mutation, and a
//! subscription — kept in memory, so the tests need no database and no example app.

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    extract::{FromRef, FromRequestParts},
    http::{StatusCode, request::Parts},
};
use futures_util::{Stream, StreamExt, stream};
use isthmus_rpc::{
    self as rpc, CacheScope, Never, OriginPolicy, ProcedureError, ResponseCache, Revalidate, RpcConfig, Valid,
};
use serde::{Deserialize, Serialize};
use specta::Type;
use tokio::sync::watch;
use validator::Validate;

pub mod scale;

/// The guestbook, shared by every call.
#[derive(Clone)]
pub struct State {
    signatures: Arc<Mutex<BTreeMap<String, Signature>>>,
    count: Arc<watch::Sender<GuestbookCount>>,
    cache: ResponseCache,
}

impl Default for State {
    fn default() -> Self {
        State {
            signatures: Arc::default(),
            count: Arc::new(watch::Sender::new(GuestbookCount { signature_count: 0 })),
            cache: ResponseCache::new(100),
        }
    }
}

impl FromRef<State> for ResponseCache {
    fn from_ref(state: &State) -> Self {
        state.cache.clone()
    }
}

/// Every caller is anonymous.
#[derive(Clone)]
pub struct Ctx {
    state: State,
}

impl CacheScope for Ctx {
    fn cache_scope(&self) -> Option<String> {
        None
    }
}

impl FromRequestParts<State> for Ctx {
    type Rejection = Never;

    async fn from_request_parts(_: &mut Parts, state: &State) -> Result<Self, Never> {
        Ok(Ctx { state: state.clone() })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct GuestbookCount {
    pub signature_count: u32,
}

#[derive(Debug, Deserialize, Type, Validate)]
#[serde(rename_all = "camelCase")]
pub struct Sign {
    #[serde(deserialize_with = "rpc::trimmed")]
    #[specta(type = String)]
    #[validate(email(message = "Enter a valid email address."))]
    pub email: String,
    #[serde(deserialize_with = "rpc::trimmed")]
    #[specta(type = String)]
    #[validate(length(min = 1, max = 100, message = "Enter a name of 1 to 100 characters."))]
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Signature {
    pub id: u32,
    pub email: String,
    pub name: String,
}

#[derive(Debug, Serialize, Type)]
#[serde(tag = "code", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SignError {
    AlreadySigned { email: String },
}

impl ProcedureError for SignError {
    const STATUSES: &'static [StatusCode] = &[StatusCode::CONFLICT];

    fn status(&self) -> StatusCode {
        StatusCode::CONFLICT
    }
}

const TAG: &str = "guestbook";

pub fn router() -> rpc::Router<Ctx> {
    rpc::Router::new()
        .mutation("guestbook.sign", sign)
        .revalidates(&[TAG])
        .cached_query("guestbook.count", count, Revalidate::every(Duration::from_secs(60)).tags(|()| vec![TAG.into()]))
        .subscription("guestbook.watchCount", watch_count)
}

async fn sign(ctx: Ctx, Valid(input): Valid<Sign>) -> Result<Signature, SignError> {
    let email = input.email.to_lowercase();
    let signature = {
        let mut signatures = ctx.state.signatures.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if signatures.contains_key(&email) {
            return Err(SignError::AlreadySigned { email });
        }
        let id = u32::try_from(signatures.len()).unwrap_or(u32::MAX) + 1;
        let signature = Signature { id, email: email.clone(), name: input.name };
        signatures.insert(email, signature.clone());
        signature
    };
    ctx.state.count.send_modify(|count| count.signature_count += 1);
    Ok(signature)
}

async fn count(ctx: Ctx) -> Result<GuestbookCount, Never> {
    Ok(*ctx.state.count.borrow())
}

/// The current count, then each change.
async fn watch_count(ctx: Ctx) -> Result<impl Stream<Item = GuestbookCount>, Never> {
    let mut changes = ctx.state.count.subscribe();
    let current = *changes.borrow_and_update();
    let later = stream::unfold(changes, |mut changes| async move {
        changes.changed().await.ok()?;
        let count = *changes.borrow_and_update();
        Some((count, changes))
    });
    Ok(stream::iter([current]).chain(later))
}

/// The fixture's bindings, as committed in `bindings/test/fixture/generated.ts` (kept up to
/// date by `tests/bindings.rs`).
pub fn bindings() -> Result<String, rpc::ExportError> {
    rpc::typescript::<State, Ctx>(&router())
}

/// Where the committed bindings live, under the workspace root `root`.
pub fn bindings_path(root: &Path) -> PathBuf {
    root.join("bindings/test/fixture/generated.ts")
}

/// The fixture served on `address`, with mutations allowed from its own origin.
pub fn app(address: SocketAddr) -> Result<axum::Router, rpc::InvalidOrigin> {
    let config = RpcConfig { origins: OriginPolicy::new(&format!("http://{address}"), [])?, ..RpcConfig::default() };
    Ok(router().into_axum(State::default(), config))
}
