//! The harness: a test-only context and router with one procedure per behaviour, a server on
//! loopback, and request helpers.

pub(crate) use std::{
    net::SocketAddr,
    num::NonZeroU32,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

pub(crate) use axum::{
    extract::{FromRef, FromRequestParts, Request},
    http::{StatusCode, request::Parts},
    middleware::{self, Next},
    response::Response,
};
pub(crate) use futures_util::{Stream, StreamExt, stream};
pub(crate) use isthmus_rpc::{
    self as rpc, CacheScope, ConnectionLimits, Cookies, FieldErrors, Int64, Internal, Never, OriginPolicy,
    ProcedureError, ProcedureMeta, RateLimit, ResponseCache, Revalidate, RpcConfig, Upload, Valid,
};
pub(crate) use serde::{Deserialize, Serialize};
pub(crate) use serde_json::{Value, json};
pub(crate) use specta::Type;
pub(crate) use validator::Validate;

/// Counts executed `counter.bump` mutations, to prove that rejected calls ran nothing.
#[derive(Clone)]
pub(crate) struct TestState {
    pub(crate) bumps: Arc<AtomicUsize>,
    pub(crate) cache: ResponseCache,
}

impl FromRef<TestState> for ResponseCache {
    fn from_ref(state: &TestState) -> Self {
        state.cache.clone()
    }
}

/// A context that reads the caller from a header, as an application's would from a cookie.
#[derive(Clone)]
pub(crate) struct Ctx {
    user: Option<String>,
    bumps: Arc<AtomicUsize>,
    cache: ResponseCache,
    cookies: Cookies,
}

impl CacheScope for Ctx {
    fn cache_scope(&self) -> Option<String> {
        self.user.clone()
    }
}

impl FromRequestParts<TestState> for Ctx {
    type Rejection = Never;
    async fn from_request_parts(parts: &mut Parts, state: &TestState) -> Result<Self, Never> {
        let user = parts.headers.get("x-user").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let Ok(cookies) = Cookies::from_request_parts(parts, state).await;
        Ok(Ctx { user, bumps: state.bumps.clone(), cache: state.cache.clone(), cookies })
    }
}

#[derive(Clone)]
pub(crate) struct UserCtx {
    user: String,
}

impl CacheScope for UserCtx {
    fn cache_scope(&self) -> Option<String> {
        Some(self.user.clone())
    }
}

#[derive(Debug, Serialize, Type)]
#[serde(tag = "code", rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum AuthError {
    Unauthorized,
}

impl ProcedureError for AuthError {
    const STATUSES: &'static [StatusCode] = &[StatusCode::UNAUTHORIZED];

    fn status(&self) -> StatusCode {
        StatusCode::UNAUTHORIZED
    }
}

pub(crate) async fn require_user(ctx: Ctx, _meta: ProcedureMeta) -> Result<UserCtx, AuthError> {
    ctx.user.map(|user| UserCtx { user }).ok_or(AuthError::Unauthorized)
}

#[derive(Clone, Debug, Deserialize, Type)]
pub(crate) struct Point {
    x: i32,
    y: i32,
}

#[derive(Debug, Serialize, Type)]
#[serde(tag = "code", rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum TestError {
    Validation {
        fields: FieldErrors,
    },
    Conflict,
    Database {
        detail: String,
    },
    UpstreamDown,
    /// Answered with a status `STATUSES` leaves out, which debug builds refuse.
    Undeclared,
    #[serde(skip)]
    Internal(Internal),
}

impl ProcedureError for TestError {
    const STATUSES: &'static [StatusCode] =
        &[StatusCode::CONFLICT, StatusCode::UNPROCESSABLE_ENTITY, StatusCode::SERVICE_UNAVAILABLE];

    fn status(&self) -> StatusCode {
        match self {
            TestError::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            TestError::Conflict => StatusCode::CONFLICT,
            TestError::Database { .. } => StatusCode::INTERNAL_SERVER_ERROR,
            TestError::UpstreamDown => StatusCode::SERVICE_UNAVAILABLE,
            TestError::Undeclared => StatusCode::IM_A_TEAPOT,
            TestError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn internal(&self) -> Option<&Internal> {
        match self {
            TestError::Internal(internal) => Some(internal),
            _ => None,
        }
    }
}

pub(crate) async fn health(_: Ctx) -> Result<&'static str, Never> {
    Ok("ok")
}

pub(crate) async fn sum(_: Ctx, point: Point) -> Result<i32, Never> {
    Ok(point.x + point.y)
}

pub(crate) async fn echo_big(_: Ctx, value: Int64) -> Result<Int64, Never> {
    Ok(Int64(value.0 + 1))
}

pub(crate) async fn create(_: Ctx, name: String) -> Result<String, TestError> {
    match name.as_str() {
        "" => Err(TestError::Validation { fields: FieldErrors::from([("name".into(), vec!["Required.".into()])]) }),
        "taken" => Err(TestError::Conflict),
        "db" => Err(TestError::Database { detail: "SELECT secret FROM users".into() }),
        "upstream" => Err(TestError::UpstreamDown),
        "undeclared" => Err(TestError::Undeclared),
        // What the database runtime reports for a database that is down.
        "down" => Err(TestError::Internal(std::io::Error::from(std::io::ErrorKind::ConnectionRefused).into())),
        "bug" => Err(TestError::Internal(std::io::Error::other("a bug").into())),
        _ => Ok(format!("created {name}")),
    }
}

#[derive(Debug, Deserialize, Serialize, Type, Validate)]
pub(crate) struct Signup {
    #[validate(email(message = "Enter an email address."))]
    email: String,
    #[validate(range(min = 1))]
    age: u8,
    #[serde(default)]
    newsletter: bool,
    #[serde(default)]
    tags: Vec<String>,
}

pub(crate) async fn signup(ctx: Ctx, Valid(input): Valid<Signup>) -> Result<Signup, TestError> {
    ctx.bumps.fetch_add(1, Ordering::SeqCst);
    Ok(input)
}

#[derive(Debug, Deserialize, Type)]
pub(crate) struct Attachment {
    title: String,
    file: Upload,
}

pub(crate) async fn attach(_: Ctx, input: Attachment) -> Result<String, Never> {
    Ok(format!(
        "{}: {} ({}, {} bytes)",
        input.title,
        input.file.file_name,
        input.file.content_type,
        input.file.data.len()
    ))
}

pub(crate) async fn bump(ctx: Ctx) -> Result<usize, Never> {
    let bumps = ctx.bumps.fetch_add(1, Ordering::SeqCst) + 1;
    ctx.cache.revalidate_tag("counter");
    Ok(bumps)
}

/// Bumps without revalidating: its route declares the tag instead.
pub(crate) async fn bump_declared(ctx: Ctx) -> Result<usize, Never> {
    Ok(ctx.bumps.fetch_add(1, Ordering::SeqCst) + 1)
}

pub(crate) async fn bumps(ctx: Ctx) -> Result<usize, Never> {
    Ok(ctx.bumps.load(Ordering::SeqCst))
}

pub(crate) async fn whoami(ctx: Ctx) -> Result<String, Never> {
    Ok(ctx.user.unwrap_or_else(|| "anonymous".into()))
}

pub(crate) async fn boom(_: Ctx) -> Result<(), Never> {
    panic!("handler bug")
}

pub(crate) async fn members_news(_: UserCtx) -> Result<&'static str, Never> {
    Ok("members only")
}

pub(crate) async fn me(ctx: UserCtx, greeting: String) -> Result<String, Never> {
    Ok(format!("{greeting}, {}", ctx.user))
}

/// One tick, then nothing, ever: only a shutdown ends it.
pub(crate) async fn ticks_forever(_: Ctx) -> Result<impl Stream<Item = u32>, Never> {
    Ok(stream::iter([1]).chain(stream::pending()))
}

pub(crate) async fn count_to(_: Ctx, n: u32) -> Result<impl Stream<Item = u32>, Never> {
    Ok(stream::iter(1..=n))
}

pub(crate) async fn tag_procedure(request: Request, next: Next) -> Response {
    let name = request.extensions().get::<ProcedureMeta>().map(|meta| meta.name);
    let mut response = next.run(request).await;
    if let Some(name) = name {
        response.headers_mut().insert("x-procedure", name.parse().unwrap());
    }
    response
}

#[derive(Deserialize, Type)]
pub(crate) struct SessionStart {
    name: String,
}

pub(crate) async fn start_session(ctx: Ctx, input: SessionStart) -> Result<String, Never> {
    ctx.cookies.set("sid", input.name.clone(), Some(Duration::from_secs(3600)));
    Ok(input.name)
}

pub(crate) async fn end_session(ctx: Ctx) -> Result<(), Never> {
    ctx.cookies.remove("sid");
    Ok(())
}

pub(crate) async fn session_holder(ctx: Ctx) -> Result<Option<String>, Never> {
    Ok(ctx.cookies.get("sid").map(str::to_owned))
}

pub(crate) fn router() -> rpc::Router<Ctx> {
    let authed = rpc::Router::new()
        .query("me.greet", me)
        .cached_query("members.news", members_news, Revalidate::every(Duration::from_secs(60)))
        .guard(require_user);
    rpc::Router::new()
        .query("health", health)
        .query("math.sum", sum)
        .cached_query("math.cachedSum", sum, Revalidate::every(Duration::from_secs(60)))
        .query("math.next", echo_big)
        .mutation("things.create", create)
        .mutation("things.boom", boom)
        .subscription("count.to", count_to)
        .subscription("ticks.forever", ticks_forever)
        .mutation("counter.bump", bump)
        .cached_query(
            "counter.value",
            bumps,
            Revalidate::every(Duration::from_secs(60)).tags(|()| vec!["counter".into()]),
        )
        .cached_query("viewer.whoami", whoami, Revalidate::every(Duration::from_secs(60)).per_viewer())
        .mutation("signup.create", signup)
        .mutation("files.attach", attach)
        .mutation("session.start", start_session)
        .mutation("session.end", end_session)
        .merge(rpc::Router::new().mutation("counter.bumpDeclared", bump_declared).revalidates(&["counter"]))
        .query("session.holder", session_holder)
        .merge(authed)
        .merge(
            rpc::Router::new()
                .query("limited.ping", health)
                .rate_limit(RateLimit::per_minute(NonZeroU32::new(3).unwrap())),
        )
        .merge(
            rpc::Router::new().query("limited.byKey", health).rate_limit(
                RateLimit::per_minute(NonZeroU32::new(1).unwrap())
                    .keyed_by(|parts| parts.headers.get("x-api-key").and_then(|v| v.to_str().ok()).map(str::to_owned)),
            ),
        )
        .layer(middleware::from_fn(tag_procedure))
}

pub(crate) const FORM: &str = "application/x-www-form-urlencoded";

pub(crate) const APP_ORIGIN: &str = "http://app.test";

pub(crate) struct Server {
    pub(crate) address: SocketAddr,
    pub(crate) http: reqwest::Client,
    pub(crate) state: TestState,
}

pub(crate) async fn spawn(config: RpcConfig) -> Server {
    spawn_with_limits(config, ConnectionLimits::default()).await
}

/// The test router served by `isthmus_rpc::serve` within `limits`.
pub(crate) async fn spawn_with_limits(config: RpcConfig, limits: ConnectionLimits) -> Server {
    let state = TestState { bumps: Arc::default(), cache: ResponseCache::new(1_000) };
    let origins = if config.origins.public().is_some() {
        config.origins.clone()
    } else {
        OriginPolicy::new(APP_ORIGIN, []).unwrap()
    };
    let config = RpcConfig { origins, ..config };
    let app = router()
        .into_axum(state.clone(), config)
        .route("/signup", axum::routing::get(|| async { axum::response::Html("the signup page") }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { isthmus_rpc::serve(listener, app, limits, std::future::pending()).await.unwrap() });
    Server { address, http: reqwest::Client::new(), state }
}

impl Server {
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// A query as `user` (the `x-user` header the test context reads), or anonymously.
    pub(crate) async fn query_as(&self, name: &str, user: Option<&str>) -> reqwest::Response {
        let mut request = self.http.get(self.url(&format!("/rpc/{name}")));
        if let Some(user) = user {
            request = request.header("x-user", user);
        }
        request.send().await.unwrap()
    }

    pub(crate) async fn query(&self, name: &str, input: Option<&str>) -> (StatusCode, Value) {
        let mut request = self.http.get(self.url(&format!("/rpc/{name}")));
        if let Some(input) = input {
            request = request.query(&[("input", input)]);
        }
        read(request.send().await.unwrap()).await
    }

    pub(crate) async fn mutation(&self, name: &str, body: &str) -> (StatusCode, Value) {
        self.post(&format!("/rpc/{name}"), body).await
    }

    pub(crate) async fn post(&self, path: &str, body: &str) -> (StatusCode, Value) {
        read(self.post_json(path, body).await).await
    }

    pub(crate) async fn post_json(&self, path: &str, body: &str) -> reqwest::Response {
        let request = self.http.post(self.url(path)).header("content-type", "application/json");
        request.body(body.to_owned()).send().await.unwrap()
    }

    /// A form posted by a browser on the app's origin from the page `referer`, without
    /// following the answer.
    pub(crate) async fn submit_form(&self, path: &str, referer: &str, body: &str) -> reqwest::Response {
        let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let request = browser.post(self.url(path)).header("content-type", FORM).header("origin", APP_ORIGIN);
        request.header("referer", referer).body(body.to_owned()).send().await.unwrap()
    }

    /// The server still serves after whatever the test sent before.
    pub(crate) async fn assert_alive(&self) {
        assert_eq!(self.query("health", None).await, (StatusCode::OK, json!("ok")));
    }
}

pub(crate) async fn read(response: reqwest::Response) -> (StatusCode, Value) {
    let status = StatusCode::from_u16(response.status().as_u16()).unwrap();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (status, body)
}

pub(crate) fn protocol_code(body: &Value) -> &str {
    assert_eq!(body["kind"], "protocol", "{body}");
    assert!(body["requestId"].as_str().is_some_and(|id| !id.is_empty()), "{body}");
    body["error"]["code"].as_str().unwrap()
}

/// Posts to `counter.bump` with the given headers; returns status and error code.
pub(crate) async fn post_bump(
    server: &Server,
    content_type: &str,
    origin: Option<&str>,
    body: &str,
) -> (StatusCode, Value) {
    let mut request = server
        .http
        .post(server.url("/rpc/counter.bump"))
        .header("content-type", content_type)
        .header("accept", "application/json")
        .body(body.to_owned());
    if let Some(origin) = origin {
        request = request.header("origin", origin);
    }
    read(request.send().await.unwrap()).await
}
