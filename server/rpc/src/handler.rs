//! Plain async functions as procedures, and their erasure into one call signature.

use std::{
    future::{Future, Ready, ready},
    sync::Arc,
};

use axum::body::Bytes;
use futures_util::{
    StreamExt,
    future::{BoxFuture, Either},
    stream::BoxStream,
};
use serde::{Serialize, de::DeserializeOwned};
use specta::Type;

use super::{
    cache::{CacheScope, Entry, Keep, Key, ResponseCache, Revalidate},
    error::{Failure, ProcedureError, ProtocolError},
    input::{self, DecodeInput},
};

/// An async function usable as a procedure: `async fn(ctx: C) -> Result<O, E>` or
/// `async fn(ctx: C, input: I) -> Result<O, E>`. `M` only tells the two shapes apart.
pub trait Handler<C, M>: Clone + Send + Sync + 'static {
    /// What the caller sends (`()` for `async fn(ctx)`).
    type Input: DecodeInput + Type;
    /// What the handler returns on success.
    type Output: Send + 'static;
    /// The handler's typed error.
    type Error: ProcedureError;
    /// False for `async fn(ctx)`: the client then calls it without an argument.
    const TAKES_INPUT: bool;

    /// Runs the handler.
    fn call(
        &self,
        ctx: C,
        input: Self::Input,
    ) -> impl Future<Output = Result<Self::Output, Self::Error>> + Send + 'static;
}

impl<C, F, Fut, O, E> Handler<C, ()> for F
where
    F: Fn(C) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<O, E>> + Send + 'static,
    O: Send + 'static,
    E: ProcedureError,
{
    type Input = ();
    type Output = O;
    type Error = E;
    const TAKES_INPUT: bool = false;

    fn call(&self, ctx: C, (): ()) -> impl Future<Output = Result<O, E>> + Send + 'static {
        self(ctx)
    }
}

impl<C, F, Fut, I, O, E> Handler<C, (I,)> for F
where
    F: Fn(C, I) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<O, E>> + Send + 'static,
    I: DecodeInput + Type,
    O: Send + 'static,
    E: ProcedureError,
{
    type Input = I;
    type Output = O;
    type Error = E;
    const TAKES_INPUT: bool = true;

    fn call(&self, ctx: C, input: I) -> impl Future<Output = Result<O, E>> + Send + 'static {
        self(ctx, input)
    }
}

/// What a successful call produces.
pub(crate) enum Reply {
    /// One JSON value (queries and mutations).
    Json(Bytes),
    /// A query's result from the cache (the transport adds its validator).
    Cached(Arc<Entry>),
    /// JSON values, one per event (subscriptions).
    Stream(BoxStream<'static, Bytes>),
}

/// A call's input before decoding.
pub enum RawInput {
    /// JSON text; `None` when the call has no input.
    Json(Option<Bytes>),
    /// An urlencoded form (multipart forms are converted to it), decoded with `max_depth`.
    Form {
        /// The urlencoded pairs.
        pairs: Bytes,
        /// The deepest nesting (`a[b][c]`) accepted.
        max_depth: u32,
    },
}

impl RawInput {
    /// The input's canonical form, to key cached results: variants in whitespace, key order
    /// or escapes share one entry. No input is keyed as the `null` it decodes as; input that
    /// is not JSON (never stored) keeps its own bytes.
    fn cache_key(&self) -> Bytes {
        match self {
            RawInput::Json(None) => Bytes::from_static(b"null"),
            RawInput::Json(Some(raw)) => input::canonical(raw).map_or_else(|| raw.clone(), Bytes::from),
            RawInput::Form { pairs, .. } => pairs.clone(),
        }
    }

    pub(crate) fn decode<T: DeserializeOwned>(&self) -> Result<T, ProtocolError> {
        match self {
            RawInput::Json(raw) => input::decode(raw.as_deref()),
            RawInput::Form { pairs, max_depth } => input::decode_form(pairs, *max_depth),
        }
    }
}

/// What the transport hands every call besides its input.
#[derive(Clone)]
pub(crate) struct CallEnv {
    pub(crate) cache: ResponseCache,
}

/// A call's outcome: ready at once (a fresh cache hit, which allocates nothing) or to be
/// awaited.
pub(crate) type Answer = Either<Ready<Result<Reply, Failure>>, BoxFuture<'static, Result<Reply, Failure>>>;

/// An [`Answer`] still to be computed.
pub(crate) fn later(outcome: impl Future<Output = Result<Reply, Failure>> + Send + 'static) -> Answer {
    Either::Right(Box::pin(outcome))
}

/// Every procedure after erasure: context and raw input in, reply or failure out.
pub(crate) type Call<C> = Arc<dyn Fn(C, RawInput, CallEnv) -> Answer + Send + Sync>;

pub(crate) fn erase_json<C, M, H>(handler: H) -> Call<C>
where
    C: Send + 'static,
    H: Handler<C, M>,
    H::Output: Serialize,
{
    Arc::new(move |ctx, raw, _| {
        let handler = handler.clone();
        later(async move { Ok(Reply::Json(run_json(&handler, ctx, H::Input::decode_input(&raw)?).await?)) })
    })
}

/// A query answered through the result cache (see `cache`).
pub(crate) fn erase_cached<C, M, H>(name: &'static str, handler: H, policy: Revalidate<H::Input>) -> Call<C>
where
    C: CacheScope + Clone + Send + Sync + 'static,
    H: Handler<C, M>,
    H::Input: Clone + Sync,
    H::Output: Serialize,
{
    let policy = Arc::new(policy);
    Arc::new(move |ctx, raw, env| {
        let (handler, cache) = (handler.clone(), env.cache);
        let key = Key {
            procedure: name,
            input: raw.cache_key(),
            scope: if policy.per_viewer { ctx.cache_scope() } else { None },
        };
        // A stored result was computed from an input of this canonical form, which decoded
        // (and passed validation) then, and so would this one: a fresh hit skips decoding.
        if let Some(entry) = cache.fresh(&key) {
            return Either::Left(ready(Ok(Reply::Cached(entry))));
        }
        let policy = policy.clone();
        later(async move {
            let input = H::Input::decode_input(&raw)?;
            let keep = Keep { every: policy.every, tags: (policy.tags)(&input), per_viewer: policy.per_viewer };
            // Callable again for background refreshes, with the context of the first reader
            // (same scope by construction of the key).
            let run = move || {
                let (handler, ctx, input) = (handler.clone(), ctx.clone(), input.clone());
                async move { run_json(&handler, ctx, input).await }
            };
            let entry = cache.get_or_compute(key, keep, run).await?;
            Ok(Reply::Cached(entry))
        })
    })
}

pub(crate) fn erase_stream<C, M, H, T>(handler: H) -> Call<C>
where
    C: Send + 'static,
    H: Handler<C, M>,
    H::Output: futures_util::Stream<Item = T> + Send,
    T: Serialize + Send + 'static,
{
    Arc::new(move |ctx, raw, _| {
        let handler = handler.clone();
        later(async move {
            let input = H::Input::decode_input(&raw)?;
            let stream = handler.call(ctx, input).await.map_err(Failure::from_error)?;
            // An item that cannot be serialized is a bug in the output type: end the
            // stream there rather than send something the client's types do not describe.
            let events = stream.map(|item| to_json(&item)).take_while(|item| std::future::ready(item.is_ok()));
            Ok(Reply::Stream(events.filter_map(|item| std::future::ready(item.ok())).boxed()))
        })
    })
}

/// Runs a handler and serializes its output.
async fn run_json<C, M, H>(handler: &H, ctx: C, input: H::Input) -> Result<Bytes, Failure>
where
    H: Handler<C, M>,
    H::Output: Serialize,
{
    to_json(&handler.call(ctx, input).await.map_err(Failure::from_error)?)
}

fn to_json<T: Serialize>(value: &T) -> Result<Bytes, Failure> {
    serde_json::to_vec(value).map(Bytes::from).map_err(|error| {
        tracing::error!(%error, "procedure output is not serializable");
        Failure::Internal
    })
}
