use std::{collections::HashSet, convert::Infallible, future::Future, sync::Arc};

use axum::{
    extract::Request,
    http::StatusCode,
    response::IntoResponse,
    routing::{MethodRouter, Route},
};
use futures_util::Stream;
use serde::Serialize;
use specta::{Type, Types, datatype::DataType};
use tower::{Layer, Service};

use super::{
    cache::{CacheScope, Revalidate},
    error::{Failure, ProcedureError},
    handler::{self, Call, Handler},
    procedure::{Kind, ProcedureMeta, is_valid_name},
    rate_limit::{Limiter, RateLimit},
};

/// A set of procedures over a context `C`. Build one per domain and merge them at the root.
///
/// ```
/// use isthmus_rpc::{Never, Router};
///
/// struct Ctx;
///
/// async fn list(_: Ctx) -> Result<Vec<String>, Never> {
///     Ok(Vec::new())
/// }
///
/// async fn create(_: Ctx, title: String) -> Result<String, Never> {
///     Ok(title)
/// }
///
/// let posts = Router::new().query("posts.list", list).mutation("posts.create", create);
/// let root: Router<Ctx> = Router::new().merge(posts);
/// ```
pub struct Router<C> {
    pub(crate) procedures: Vec<Procedure<C>>,
}

pub(crate) struct Procedure<C> {
    pub(crate) meta: ProcedureMeta,
    pub(crate) signature: Signature,
    pub(crate) call: Call<C>,
    pub(crate) layers: Vec<RouteLayer>,
    pub(crate) limiters: Vec<Arc<Limiter>>,
}

/// How to describe a procedure's types; evaluated only when bindings are exported.
pub(crate) struct Signature {
    pub(crate) takes_input: bool,
    pub(crate) input: fn(&mut Types) -> DataType,
    pub(crate) output: fn(&mut Types) -> DataType,
    /// The handler's error type first, then one per guard.
    pub(crate) errors: Vec<ErrorSignature>,
}

/// An error type a procedure can answer with, and its statuses.
#[derive(Clone, Copy)]
pub(crate) struct ErrorSignature {
    pub(crate) definition: fn(&mut Types) -> DataType,
    pub(crate) statuses: &'static [StatusCode],
}

impl ErrorSignature {
    pub(crate) fn of<E: ProcedureError>() -> Self {
        ErrorSignature { definition: <E as Type>::definition, statuses: E::STATUSES }
    }
}

/// A tower layer applied to one procedure's route.
pub(crate) type RouteLayer = Arc<dyn Fn(MethodRouter) -> MethodRouter + Send + Sync>;

impl<C: Send + 'static> Default for Router<C> {
    fn default() -> Self {
        Self::new()
    }
}

impl<C: Send + 'static> Router<C> {
    /// A router without procedures.
    pub fn new() -> Self {
        Router { procedures: Vec::new() }
    }

    /// The name and kind of every procedure, in the order they were added (for tests that
    /// walk the whole API, such as an authorization check).
    pub fn procedures(&self) -> impl Iterator<Item = ProcedureMeta> + '_ {
        self.procedures.iter().map(|procedure| procedure.meta)
    }

    /// Adds a query: a read, called with GET so that it can be cached.
    pub fn query<M, H>(self, name: &'static str, handler: H) -> Self
    where
        H: Handler<C, M>,
        H::Output: Serialize + Type,
    {
        let signature = signature::<C, M, H, H::Output>();
        self.add(name, Kind::Query, signature, handler::erase_json(handler))
    }

    /// Adds a query whose results are cached on the server (see [`Revalidate`]) in the
    /// state's [`ResponseCache`], answered with an `ETag` and 304 on `If-None-Match`. The
    /// context and guards run on every call; a fresh hit skips decoding the input (it matched, byte for byte, an input that decoded and validated before), so
    /// input rules must depend on the input alone. A miss runs the handler as its own task,
    /// shared by concurrent callers: it does not see the request's task-local values.
    ///
    /// [`ResponseCache`]: crate::ResponseCache
    pub fn cached_query<M, H>(self, name: &'static str, handler: H, policy: Revalidate<H::Input>) -> Self
    where
        C: CacheScope + Clone + Sync,
        H: Handler<C, M>,
        H::Input: Clone + Sync,
        H::Output: Serialize + Type,
    {
        let signature = signature::<C, M, H, H::Output>();
        self.add(name, Kind::Query, signature, handler::erase_cached(name, handler, policy))
    }

    /// Adds a mutation: a write, called with POST.
    pub fn mutation<M, H>(self, name: &'static str, handler: H) -> Self
    where
        H: Handler<C, M>,
        H::Output: Serialize + Type,
    {
        let signature = signature::<C, M, H, H::Output>();
        self.add(name, Kind::Mutation, signature, handler::erase_json(handler))
    }

    /// Adds a subscription: the handler returns a stream, each item sent as a server-sent
    /// event. Its output type in TypeScript is the item type.
    pub fn subscription<M, H, T>(self, name: &'static str, handler: H) -> Self
    where
        H: Handler<C, M>,
        H::Output: Stream<Item = T> + Send,
        T: Serialize + Type + Send + 'static,
    {
        let signature = signature::<C, M, H, T>();
        self.add(name, Kind::Subscription, signature, handler::erase_stream(handler))
    }

    /// Adds the procedures of `other`. Names must stay unique.
    pub fn merge(mut self, other: Router<C>) -> Self {
        for procedure in other.procedures {
            self.push(procedure);
        }
        self
    }

    /// Turns a router over an authenticated (or otherwise refined) context `C` into one over
    /// a plainer context `P`: `guard` runs before every procedure's input is decoded, and its
    /// error type joins each procedure's error type in the bindings.
    pub fn guard<P, G, Fut, E>(self, guard: G) -> Router<P>
    where
        P: Send + 'static,
        G: Fn(P, ProcedureMeta) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = Result<C, E>> + Send + 'static,
        E: ProcedureError,
    {
        let procedures = self
            .procedures
            .into_iter()
            .map(|mut procedure| {
                let meta = procedure.meta;
                let inner = procedure.call;
                let guard = guard.clone();
                let call: Call<P> = Arc::new(move |ctx, raw, env| {
                    let inner = inner.clone();
                    let guarded = guard(ctx, meta);
                    handler::later(async move {
                        let ctx = guarded.await.map_err(Failure::from_error)?;
                        inner(ctx, raw, env).await
                    })
                });
                procedure.signature.errors.push(ErrorSignature::of::<E>());
                Procedure {
                    meta,
                    signature: procedure.signature,
                    call,
                    layers: procedure.layers,
                    limiters: procedure.limiters,
                }
            })
            .collect();
        Router { procedures }
    }

    /// Applies a tower layer to every procedure of this router, inside layers added later
    /// and by enclosing routers. Batched calls pass through it too.
    /// `ProcedureMeta` is in the request extensions.
    pub fn layer<L>(mut self, layer: L) -> Self
    where
        L: Layer<Route> + Clone + Send + Sync + 'static,
        L::Service: Service<Request> + Clone + Send + Sync + 'static,
        <L::Service as Service<Request>>::Response: IntoResponse + 'static,
        <L::Service as Service<Request>>::Error: Into<Infallible> + 'static,
        <L::Service as Service<Request>>::Future: Send + 'static,
    {
        let apply: RouteLayer = Arc::new(move |route: MethodRouter| route.layer(layer.clone()));
        for procedure in &mut self.procedures {
            procedure.layers.push(apply.clone());
        }
        self
    }

    /// Limits calls to each procedure added so far, separately per procedure and per key
    /// (client IP by default); the call after the limit gets 429 with `Retry-After`.
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        for procedure in &mut self.procedures {
            procedure.limiters.push(Arc::new(Limiter::new(&limit)));
        }
        self
    }

    /// Each mutation added so far revalidates `tags` in the result cache when it succeeds,
    /// before its answer is sent: the caller's next read sees the write. (A handler can also
    /// call `ResponseCache::revalidate_tag` itself, for tags computed from its input.)
    pub fn revalidates(mut self, tags: &'static [&'static str]) -> Self {
        for procedure in self.procedures.iter_mut().filter(|p| p.meta.kind == Kind::Mutation) {
            let inner = procedure.call.clone();
            procedure.call = Arc::new(move |ctx, raw, env| {
                let cache = env.cache.clone();
                let call = inner(ctx, raw, env);
                handler::later(async move {
                    let reply = call.await?;
                    for tag in tags {
                        cache.revalidate_tag(tag);
                    }
                    Ok(reply)
                })
            });
        }
        self
    }

    fn add(self, name: &'static str, kind: Kind, signature: Signature, call: Call<C>) -> Self {
        let meta = ProcedureMeta { name, kind };
        let mut router = self;
        router.push(Procedure { meta, signature, call, layers: Vec::new(), limiters: Vec::new() });
        router
    }

    fn push(&mut self, procedure: Procedure<C>) {
        let name = procedure.meta.name;
        assert!(is_valid_name(name), "procedure name `{name}` is not a dotted identifier");
        let taken: HashSet<_> = self.procedures.iter().map(|p| p.meta.name).collect();
        assert!(!taken.contains(name), "procedure `{name}` is defined twice");
        self.procedures.push(procedure);
    }
}

fn signature<C, M, H: Handler<C, M>, O: Type>() -> Signature {
    Signature {
        takes_input: H::TAKES_INPUT,
        input: <H::Input as Type>::definition,
        output: <O as Type>::definition,
        errors: vec![ErrorSignature::of::<H::Error>()],
    }
}
