//! Plain async functions as procedures, and their erasure into one call signature.

use std::{
    future::{Future, Ready, ready},
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
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
    let size = OutputSize::default();
    Arc::new(move |ctx, raw, _| {
        let (handler, size) = (handler.clone(), size.clone());
        later(async move { Ok(Reply::Json(run_json(&handler, ctx, H::Input::decode_input(&raw)?, &size).await?)) })
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
    let size = OutputSize::default();
    Arc::new(move |ctx, raw, env| {
        let (handler, cache, size) = (handler.clone(), env.cache, size.clone());
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
                let (handler, ctx, input, size) = (handler.clone(), ctx.clone(), input.clone(), size.clone());
                async move { run_json(&handler, ctx, input, &size).await }
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
    let size = OutputSize::default();
    Arc::new(move |ctx, raw, _| {
        let (handler, size) = (handler.clone(), size.clone());
        later(async move {
            let input = H::Input::decode_input(&raw)?;
            let stream = handler.call(ctx, input).await.map_err(Failure::from_error)?;
            // An item that cannot be serialized is a bug in the output type: end the
            // stream there rather than send something the client's types do not describe.
            let events = stream.map(move |item| size.to_json(&item)).take_while(|item| ready(item.is_ok()));
            Ok(Reply::Stream(events.filter_map(|item| ready(item.ok())).boxed()))
        })
    })
}

/// Runs a handler and serializes its output.
async fn run_json<C, M, H>(handler: &H, ctx: C, input: H::Input, size: &OutputSize) -> Result<Bytes, Failure>
where
    H: Handler<C, M>,
    H::Output: Serialize,
{
    size.to_json(&handler.call(ctx, input).await.map_err(Failure::from_error)?)
}

/// The length of a procedure's last answer, which sizes the buffer of its next one: answers of
/// one procedure are mostly alike, and a page of posts (10 KB) written into serde_json's
/// 128 bytes would grow through seven copies.
#[derive(Clone, Default)]
struct OutputSize(Arc<AtomicUsize>);

/// The largest buffer reserved ahead: past it, growing by doubling costs little beside writing.
const MAX_RESERVED: usize = 64 * 1024;

impl OutputSize {
    fn to_json<T: Serialize>(&self, value: &T) -> Result<Bytes, Failure> {
        let mut buffer = Vec::with_capacity(self.0.load(Ordering::Relaxed).min(MAX_RESERVED));
        serde_json::to_writer(&mut buffer, value).map_err(|error| {
            tracing::error!(%error, "procedure output is not serializable");
            Failure::Internal
        })?;
        self.0.store(buffer.len(), Ordering::Relaxed);
        // A much shorter answer than the last gives the spare room back: the result cache may
        // keep it for long.
        if buffer.len() < buffer.capacity() / 2 {
            buffer.shrink_to_fit();
        }
        Ok(Bytes::from(buffer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_whole_whatever_the_length_of_the_last() {
        let size = OutputSize::default();
        let long = "x".repeat(3 * MAX_RESERVED);
        for value in ["short", long.as_str(), "", long.as_str(), "short"] {
            assert_eq!(size.to_json(&value).unwrap(), serde_json::to_vec(&value).unwrap());
            assert_eq!(size.0.load(Ordering::Relaxed), value.len() + 2, "the next answer is sized by this one");
        }
    }
}
