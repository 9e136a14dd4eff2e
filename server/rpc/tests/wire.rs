//! The procedure layer over real HTTP on loopback: every kind of bad input gets a precise
//! 4xx envelope, and the server keeps answering afterwards.

use std::{
    net::SocketAddr,
    num::NonZeroU32,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use axum::{
    extract::{FromRef, FromRequestParts, Request},
    http::{StatusCode, request::Parts},
    middleware::{self, Next},
    response::Response,
};
use futures_util::{Stream, stream};
use isthmus_rpc::{
    self as rpc, CacheScope, Cookies, FieldErrors, Int64, Never, OriginPolicy, ProcedureError, ProcedureMeta, RateLimit, ResponseCache,
    Revalidate, RpcConfig, Upload, Valid,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use specta::Type;
use validator::Validate;

/// Counts executed `counter.bump` mutations, to prove that rejected calls ran nothing.
#[derive(Clone)]
struct TestState {
    bumps: Arc<AtomicUsize>,
    cache: ResponseCache,
}

impl FromRef<TestState> for ResponseCache {
    fn from_ref(state: &TestState) -> Self {
        state.cache.clone()
    }
}

/// A context that reads the caller from a header, as an application's would from a cookie.
#[derive(Clone)]
struct Ctx {
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
struct UserCtx {
    user: String,
}

impl CacheScope for UserCtx {
    fn cache_scope(&self) -> Option<String> {
        Some(self.user.clone())
    }
}

#[derive(Debug, Serialize, Type)]
#[serde(tag = "code", rename_all = "SCREAMING_SNAKE_CASE")]
enum AuthError {
    Unauthorized,
}

impl ProcedureError for AuthError {
    fn status(&self) -> StatusCode {
        StatusCode::UNAUTHORIZED
    }
}

async fn require_user(ctx: Ctx, _meta: ProcedureMeta) -> Result<UserCtx, AuthError> {
    ctx.user.map(|user| UserCtx { user }).ok_or(AuthError::Unauthorized)
}

#[derive(Debug, Deserialize, Type)]
struct Point {
    x: i32,
    y: i32,
}

#[derive(Debug, Serialize, Type)]
#[serde(tag = "code", rename_all = "SCREAMING_SNAKE_CASE")]
enum TestError {
    Validation { fields: FieldErrors },
    Conflict,
    Database { detail: String },
}

impl ProcedureError for TestError {
    fn status(&self) -> StatusCode {
        match self {
            TestError::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            TestError::Conflict => StatusCode::CONFLICT,
            TestError::Database { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

async fn health(_: Ctx) -> Result<&'static str, Never> {
    Ok("ok")
}

async fn sum(_: Ctx, point: Point) -> Result<i32, Never> {
    Ok(point.x + point.y)
}

async fn echo_big(_: Ctx, value: Int64) -> Result<Int64, Never> {
    Ok(Int64(value.0 + 1))
}

async fn create(_: Ctx, name: String) -> Result<String, TestError> {
    match name.as_str() {
        "" => Err(TestError::Validation {
            fields: FieldErrors::from([("name".into(), vec!["Required.".into()])]),
        }),
        "taken" => Err(TestError::Conflict),
        "db" => Err(TestError::Database { detail: "SELECT secret FROM users".into() }),
        _ => Ok(format!("created {name}")),
    }
}

#[derive(Debug, Deserialize, Serialize, Type, Validate)]
struct Signup {
    #[validate(email(message = "Enter an email address."))]
    email: String,
    #[validate(range(min = 1))]
    age: u8,
    #[serde(default)]
    newsletter: bool,
    #[serde(default)]
    tags: Vec<String>,
}

async fn signup(ctx: Ctx, Valid(input): Valid<Signup>) -> Result<Signup, TestError> {
    ctx.bumps.fetch_add(1, Ordering::SeqCst);
    Ok(input)
}

#[derive(Debug, Deserialize, Type)]
struct Attachment {
    title: String,
    file: Upload,
}

async fn attach(_: Ctx, input: Attachment) -> Result<String, Never> {
    Ok(format!("{}: {} ({}, {} bytes)", input.title, input.file.file_name, input.file.content_type, input.file.data.len()))
}

async fn bump(ctx: Ctx) -> Result<usize, Never> {
    let bumps = ctx.bumps.fetch_add(1, Ordering::SeqCst) + 1;
    ctx.cache.revalidate_tag("counter");
    Ok(bumps)
}

/// Bumps without revalidating: its route declares the tag instead.
async fn bump_declared(ctx: Ctx) -> Result<usize, Never> {
    Ok(ctx.bumps.fetch_add(1, Ordering::SeqCst) + 1)
}

async fn bumps(ctx: Ctx) -> Result<usize, Never> {
    Ok(ctx.bumps.load(Ordering::SeqCst))
}

async fn whoami(ctx: Ctx) -> Result<String, Never> {
    Ok(ctx.user.unwrap_or_else(|| "anonymous".into()))
}

async fn boom(_: Ctx) -> Result<(), Never> {
    panic!("handler bug")
}

async fn members_news(_: UserCtx) -> Result<&'static str, Never> {
    Ok("members only")
}

async fn me(ctx: UserCtx, greeting: String) -> Result<String, Never> {
    Ok(format!("{greeting}, {}", ctx.user))
}

async fn count_to(_: Ctx, n: u32) -> Result<impl Stream<Item = u32>, Never> {
    Ok(stream::iter(1..=n))
}

async fn tag_procedure(request: Request, next: Next) -> Response {
    let name = request.extensions().get::<ProcedureMeta>().map(|meta| meta.name);
    let mut response = next.run(request).await;
    if let Some(name) = name {
        response.headers_mut().insert("x-procedure", name.parse().unwrap());
    }
    response
}

#[derive(Deserialize, Type)]
struct SessionStart {
    name: String,
}

async fn start_session(ctx: Ctx, input: SessionStart) -> Result<String, Never> {
    ctx.cookies.set("sid", input.name.clone(), Some(Duration::from_secs(3600)));
    Ok(input.name)
}

async fn end_session(ctx: Ctx) -> Result<(), Never> {
    ctx.cookies.remove("sid");
    Ok(())
}

async fn session_holder(ctx: Ctx) -> Result<Option<String>, Never> {
    Ok(ctx.cookies.get("sid").map(str::to_owned))
}

fn router() -> rpc::Router<Ctx> {
    let authed = rpc::Router::new()
        .query("me.greet", me)
        .cached_query("members.news", members_news, Revalidate::every(Duration::from_secs(60)))
        .guard(require_user);
    rpc::Router::new()
        .query("health", health)
        .query("math.sum", sum)
        .query("math.next", echo_big)
        .mutation("things.create", create)
        .mutation("things.boom", boom)
        .subscription("count.to", count_to)
        .mutation("counter.bump", bump)
        .cached_query("counter.value", bumps, Revalidate::every(Duration::from_secs(60)).tags(|()| vec!["counter".into()]))
        .cached_query("viewer.whoami", whoami, Revalidate::every(Duration::from_secs(60)).per_viewer())
        .mutation("signup.create", signup)
        .mutation("files.attach", attach)
        .mutation("session.start", start_session)
        .mutation("session.end", end_session)
        .merge(rpc::Router::new().mutation("counter.bumpDeclared", bump_declared).revalidates(&["counter"]))
        .query("session.holder", session_holder)
        .merge(authed)
        .merge(rpc::Router::new().query("limited.ping", health).rate_limit(RateLimit::per_minute(NonZeroU32::new(3).unwrap())))
        .merge(
            rpc::Router::new()
                .query("limited.byKey", health)
                .rate_limit(RateLimit::per_minute(NonZeroU32::new(1).unwrap()).keyed_by(|parts| {
                    parts.headers.get("x-api-key").and_then(|v| v.to_str().ok()).map(str::to_owned)
                })),
        )
        .layer(middleware::from_fn(tag_procedure))
}

const APP_ORIGIN: &str = "http://app.test";

struct Server {
    address: SocketAddr,
    http: reqwest::Client,
    state: TestState,
}

async fn spawn(config: RpcConfig) -> Server {
    let state = TestState { bumps: Arc::default(), cache: ResponseCache::new(1_000) };
    let origins = if config.origins.public().is_some() { config.origins.clone() } else { OriginPolicy::new(APP_ORIGIN, []).unwrap() };
    let config = RpcConfig { origins, ..config };
    let app = router()
        .into_axum(state.clone(), config)
        .route("/signup", axum::routing::get(|| async { axum::response::Html("the signup page") }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let service = app.into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, service).await.unwrap() });
    Server { address, http: reqwest::Client::new(), state }
}

impl Server {
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// A query as `user` (the `x-user` header the test context reads), or anonymously.
    async fn query_as(&self, name: &str, user: Option<&str>) -> reqwest::Response {
        let mut request = self.http.get(self.url(&format!("/rpc/{name}")));
        if let Some(user) = user {
            request = request.header("x-user", user);
        }
        request.send().await.unwrap()
    }

    async fn query(&self, name: &str, input: Option<&str>) -> (StatusCode, Value) {
        let mut request = self.http.get(self.url(&format!("/rpc/{name}")));
        if let Some(input) = input {
            request = request.query(&[("input", input)]);
        }
        read(request.send().await.unwrap()).await
    }

    async fn mutation(&self, name: &str, body: &str) -> (StatusCode, Value) {
        self.post(&format!("/rpc/{name}"), body).await
    }

    async fn post(&self, path: &str, body: &str) -> (StatusCode, Value) {
        read(self.post_json(path, body).await).await
    }

    async fn post_json(&self, path: &str, body: &str) -> reqwest::Response {
        let request = self.http.post(self.url(path)).header("content-type", "application/json");
        request.body(body.to_owned()).send().await.unwrap()
    }

    /// A form posted by a browser on the app's origin from the page `referer`, without
    /// following the answer.
    async fn submit_form(&self, path: &str, referer: &str, body: &str) -> reqwest::Response {
        let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let request = browser.post(self.url(path)).header("content-type", FORM).header("origin", APP_ORIGIN);
        request.header("referer", referer).body(body.to_owned()).send().await.unwrap()
    }

    /// The server still serves after whatever the test sent before.
    async fn assert_alive(&self) {
        assert_eq!(self.query("health", None).await, (StatusCode::OK, json!("ok")));
    }
}

async fn read(response: reqwest::Response) -> (StatusCode, Value) {
    let status = StatusCode::from_u16(response.status().as_u16()).unwrap();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (status, body)
}

fn protocol_code(body: &Value) -> &str {
    assert_eq!(body["kind"], "protocol", "{body}");
    assert!(body["requestId"].as_str().is_some_and(|id| !id.is_empty()), "{body}");
    body["error"]["code"].as_str().unwrap()
}

#[tokio::test]
async fn queries_and_mutations_return_their_output() {
    let server = spawn(RpcConfig::default()).await;
    assert_eq!(server.query("math.sum", Some(r#"{"x":2,"y":3}"#)).await, (StatusCode::OK, json!(5)));
    assert_eq!(
        server.mutation("things.create", r#""lamp""#).await,
        (StatusCode::OK, json!("created lamp"))
    );
    // 64-bit integers travel as strings, beyond JavaScript's 2^53.
    assert_eq!(
        server.query("math.next", Some(r#""9007199254740992""#)).await,
        (StatusCode::OK, json!("9007199254740993"))
    );
}

#[tokio::test]
async fn malformed_json_is_400_malformed_json() {
    let server = spawn(RpcConfig::default()).await;
    let (status, body) = server.mutation("things.create", r#"{"name": "#).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(protocol_code(&body), "MALFORMED_JSON");
    let (status, body) = server.query("math.sum", Some("{x:1}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(protocol_code(&body), "MALFORMED_JSON");
    server.assert_alive().await;
}

#[tokio::test]
async fn wrong_types_are_400_invalid_input_with_the_path() {
    let server = spawn(RpcConfig::default()).await;
    let (status, body) = server.query("math.sum", Some(r#"{"x":1,"y":"2"}"#)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(protocol_code(&body), "INVALID_INPUT");
    assert_eq!(body["error"]["path"], "y");
    let (status, body) = server.query("math.sum", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a required input is missing: {body}");
    assert_eq!(protocol_code(&body), "INVALID_INPUT");
    server.assert_alive().await;
}

#[tokio::test]
async fn unknown_procedure_is_404() {
    let server = spawn(RpcConfig::default()).await;
    let (status, body) = server.query("math.divide", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(protocol_code(&body), "UNKNOWN_PROCEDURE");
    assert_eq!(body["error"]["name"], "math.divide");
    let (status, body) = server.mutation("nope", "{}").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(protocol_code(&body), "UNKNOWN_PROCEDURE");
    server.assert_alive().await;
}

#[tokio::test]
async fn wrong_method_is_405_with_allow() {
    let server = spawn(RpcConfig::default()).await;
    let response = server.http.get(server.url("/rpc/things.create")).send().await.unwrap();
    assert_eq!(response.headers()["allow"], "POST");
    let (status, body) = read(response).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(protocol_code(&body), "METHOD_NOT_ALLOWED");
    let (status, body) = server.mutation("math.sum", r#"{"x":1,"y":2}"#).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body["error"]["allowed"], "GET");
    server.assert_alive().await;
}

#[tokio::test]
async fn mutations_require_a_json_content_type() {
    let server = spawn(RpcConfig::default()).await;
    for content_type in [None, Some("text/plain"), Some("application/xml")] {
        let mut request = server.http.post(server.url("/rpc/things.create")).header("origin", APP_ORIGIN).body(r#""lamp""#);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let (status, body) = read(request.send().await.unwrap()).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{content_type:?}");
        assert_eq!(protocol_code(&body), "UNSUPPORTED_MEDIA_TYPE");
    }
    let (status, _) = read(
        server
            .http
            .post(server.url("/rpc/things.create"))
            .header("content-type", "Application/JSON; charset=utf-8")
            .body(r#""lamp""#)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "media types compare case-insensitively, parameters aside");
}

#[tokio::test]
async fn bodies_over_the_cap_are_413() {
    let server = spawn(RpcConfig { body_limit: 1024, ..RpcConfig::default() }).await;
    let big = format!("\"{}\"", "a".repeat(2048));
    let (status, body) = server.mutation("things.create", &big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(protocol_code(&body), "PAYLOAD_TOO_LARGE");
    assert_eq!(body["error"]["limit"], 1024);

    // Without a Content-Length the cap still holds while streaming.
    let chunks = stream::iter((0..64).map(|_| Ok::<_, std::io::Error>(vec![b' '; 64])));
    let response = server
        .http
        .post(server.url("/rpc/things.create"))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await
        .unwrap();
    let (status, body) = read(response).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(protocol_code(&body), "PAYLOAD_TOO_LARGE");
    server.assert_alive().await;
}

#[tokio::test]
async fn deeply_nested_input_is_400_too_deep() {
    let server = spawn(RpcConfig::default()).await;
    let nested = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let (status, body) = server.mutation("things.create", &nested).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(protocol_code(&body), "TOO_DEEP");
    assert_eq!(body["error"]["limit"], 64);
    server.assert_alive().await;
}

#[tokio::test]
async fn typed_errors_keep_their_type_and_status() {
    let server = spawn(RpcConfig::default()).await;
    let (status, body) = server.mutation("things.create", r#""""#).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["kind"], "procedure");
    assert_eq!(body["status"], 422);
    assert_eq!(body["error"], json!({"code": "VALIDATION", "fields": {"name": ["Required."]}}));
    let (status, body) = server.mutation("things.create", r#""taken""#).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"], json!({"code": "CONFLICT"}));
}

#[tokio::test]
async fn internal_errors_and_panics_are_500_with_only_a_request_id() {
    let server = spawn(RpcConfig::default()).await;
    let response = server
        .http
        .post(server.url("/rpc/things.create"))
        .header("content-type", "application/json")
        .body(r#""db""#)
        .send()
        .await
        .unwrap();
    let header_id = response.headers()["x-request-id"].to_str().unwrap().to_owned();
    let (status, body) = read(response).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body, json!({"kind": "internal", "status": 500, "requestId": header_id}));
    assert!(!body.to_string().contains("SELECT"), "details never reach the client");

    let (status, body) = server.mutation("things.boom", "").await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body["kind"], "internal");
    assert!(!body.to_string().contains("handler bug"));
    server.assert_alive().await;
}

#[tokio::test]
async fn guards_run_before_input_decoding() {
    let server = spawn(RpcConfig::default()).await;
    let (status, body) = server.query("me.greet", Some("not json")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], json!({"code": "UNAUTHORIZED"}));
    let response = server
        .http
        .get(server.url("/rpc/me.greet"))
        .query(&[("input", r#""hello""#)])
        .header("x-user", "ada")
        .send()
        .await
        .unwrap();
    assert_eq!(read(response).await, (StatusCode::OK, json!("hello, ada")));
}

#[tokio::test]
async fn tower_layers_see_the_procedure() {
    let server = spawn(RpcConfig::default()).await;
    let response = server.http.get(server.url("/rpc/health")).send().await.unwrap();
    assert_eq!(response.headers()["x-procedure"], "health");
}

#[tokio::test]
async fn batches_answer_each_call_in_order() {
    let server = spawn(RpcConfig::default()).await;
    let calls = json!([
        {"path": "math.sum", "input": {"x": 1, "y": 2}},
        {"path": "health"},
        {"path": "nope"},
        {"path": "things.create", "input": "lamp"},
        {"path": "count.to", "input": 3},
    ]);
    let response = server
        .http
        .get(server.url("/rpc"))
        .query(&[("batch", calls.to_string())])
        .send()
        .await
        .unwrap();
    let (status, body) = read(response).await;
    assert_eq!(status, StatusCode::OK);
    let results = body.as_array().unwrap();
    assert_eq!(results[0], json!({"status": 200, "body": 3}));
    assert_eq!(results[1], json!({"status": 200, "body": "ok"}));
    assert_eq!(results[2]["status"], 404);
    assert_eq!(results[3]["status"], 405, "a GET batch cannot carry mutations");
    assert_eq!(results[4]["status"], 400);
    assert_eq!(results[4]["body"]["error"]["code"], "NOT_BATCHABLE");

    let (status, body) = server
        .post("/rpc", &json!([{"path": "things.create", "input": "lamp"}, {"path": "things.create", "input": "taken"}]).to_string())
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body[0], json!({"status": 200, "body": "created lamp"}));
    assert_eq!(body[1]["status"], 409);
    assert_eq!(body[1]["body"]["error"]["code"], "CONFLICT");
}

#[tokio::test]
async fn batches_apply_guards_with_the_batch_headers() {
    let server = spawn(RpcConfig::default()).await;
    let calls = json!([{"path": "me.greet", "input": "hi"}]).to_string();
    let anonymous = server.http.get(server.url("/rpc")).query(&[("batch", &calls)]).send().await.unwrap();
    assert_eq!(read(anonymous).await.1[0]["status"], 401);
    let signed_in = server
        .http
        .get(server.url("/rpc"))
        .query(&[("batch", &calls)])
        .header("x-user", "ada")
        .send()
        .await
        .unwrap();
    assert_eq!(read(signed_in).await.1[0], json!({"status": 200, "body": "hi, ada"}));
}

#[tokio::test]
async fn malformed_batches_are_rejected_whole() {
    let server = spawn(RpcConfig { max_batch: 2, ..RpcConfig::default() }).await;
    let (status, body) = server.post("/rpc", r#"[{"path": 1}]"#).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(protocol_code(&body), "INVALID_INPUT");
    let (status, body) = server.post("/rpc", r#"[{"path":"health"},{"path":"health"},{"path":"health"}]"#).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(protocol_code(&body), "BATCH_TOO_LARGE");
    let response = server.http.post(server.url("/rpc")).body("[]").send().await.unwrap();
    assert_eq!(read(response).await.0, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    server.assert_alive().await;
}

#[tokio::test]
async fn subscriptions_stream_server_sent_events() {
    let server = spawn(RpcConfig::default()).await;
    let response = server.http.get(server.url("/rpc/count.to")).query(&[("input", "3")]).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let text = tokio::time::timeout(Duration::from_secs(10), response.text()).await.unwrap().unwrap();
    let events: Vec<(&str, &str)> = text
        .split("\n\n")
        .filter_map(|event| {
            let name = event.lines().find_map(|l| l.strip_prefix("event: "))?;
            let data = event.lines().find_map(|l| l.strip_prefix("data: ").or(l.strip_prefix("data:"))).unwrap_or("");
            Some((name, data))
        })
        .collect();
    assert_eq!(events, [("data", "1"), ("data", "2"), ("data", "3"), ("end", "")]);

    let (status, body) = server.query("count.to", Some("\"three\"")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "errors before the stream are plain responses");
    assert_eq!(protocol_code(&body), "INVALID_INPUT");
}

/// Posts to `counter.bump` with the given headers; returns status and error code.
async fn post_bump(server: &Server, content_type: &str, origin: Option<&str>, body: &str) -> (StatusCode, Value) {
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

#[tokio::test]
async fn cross_site_requests_are_refused_before_anything_runs() {
    let server = spawn(RpcConfig::default()).await;
    let form = "application/x-www-form-urlencoded";
    for (content_type, origin, expected) in [
        (form, Some("http://evil.test"), StatusCode::FORBIDDEN),
        (form, Some("null"), StatusCode::FORBIDDEN),
        (form, None, StatusCode::FORBIDDEN),
        ("multipart/form-data; boundary=x", Some("https://app.test"), StatusCode::FORBIDDEN),
        ("application/json", Some("http://evil.test"), StatusCode::FORBIDDEN),
        ("application/json", Some("null"), StatusCode::FORBIDDEN),
        ("text/plain", Some(APP_ORIGIN), StatusCode::UNSUPPORTED_MEDIA_TYPE),
    ] {
        let (status, body) = post_bump(&server, content_type, origin, "").await;
        assert_eq!(status, expected, "{content_type} from {origin:?}: {body}");
        let code = protocol_code(&body);
        assert_eq!(code, if status == StatusCode::FORBIDDEN { "CROSS_ORIGIN" } else { "UNSUPPORTED_MEDIA_TYPE" });
    }
    let response = server.http.get(server.url("/rpc/counter.bump")).header("origin", APP_ORIGIN).send().await.unwrap();
    assert_eq!(response.status(), 405);
    let navigation = server.http.post(server.url("/rpc/counter.bump")).header("content-type", form).header("origin", "http://evil.test").send().await.unwrap();
    assert_eq!(navigation.status(), 403, "a browser navigation gets the same refusal, as a page");
    assert!(navigation.text().await.unwrap().contains("may not call mutations"));
    let batch = server
        .http
        .post(server.url("/rpc"))
        .header("content-type", "application/json")
        .header("origin", "http://evil.test")
        .body(r#"[{"path":"counter.bump"}]"#)
        .send()
        .await
        .unwrap();
    assert_eq!(batch.status(), 403, "a posted batch follows the same rule");
    assert_eq!(server.state.bumps.load(Ordering::SeqCst), 0, "no rejected call ran");

    let (status, body) = post_bump(&server, "application/json", Some("HTTP://APP.test:80"), "").await;
    assert_eq!((status, body), (StatusCode::OK, json!(1)), "same origin, normalised");
    let (status, _) = post_bump(&server, "application/json", None, "").await;
    assert_eq!(status, StatusCode::OK, "non-browser JSON clients send no Origin");
    assert_eq!(server.state.bumps.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn the_call_after_the_limit_gets_429_with_retry_after() {
    let server = spawn(RpcConfig::default()).await;
    for _ in 0..3 {
        assert_eq!(server.query("limited.ping", None).await.0, StatusCode::OK);
    }
    let response = server.http.get(server.url("/rpc/limited.ping")).send().await.unwrap();
    let retry_after: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let (status, body) = read(response).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(protocol_code(&body), "RATE_LIMITED");
    assert_eq!(body["error"]["retryAfter"].as_u64(), Some(retry_after));
    assert_eq!(server.query("health", None).await.0, StatusCode::OK, "limits are per procedure");

    let calls = json!([{"path": "limited.ping"}]).to_string();
    let batched = server.http.get(server.url("/rpc")).query(&[("batch", &calls)]).send().await.unwrap();
    assert_eq!(read(batched).await.1[0]["status"], 429, "batched calls count against the same limit");

    let keyed = |key: &'static str| server.http.get(server.url("/rpc/limited.byKey")).header("x-api-key", key).send();
    assert_eq!(keyed("a").await.unwrap().status(), 200);
    assert_eq!(keyed("a").await.unwrap().status(), 429);
    assert_eq!(keyed("b").await.unwrap().status(), 200, "another key has its own budget");
}

const FORM: &str = "application/x-www-form-urlencoded";

#[tokio::test]
async fn a_form_post_runs_the_mutation_and_redirects_back() {
    let server = spawn(RpcConfig::default()).await;
    let form = "email=ada%40example.com&age=36&newsletter=true&tags=math&tags=engines";
    let response = server.submit_form("/rpc/signup.create", &format!("{APP_ORIGIN}/signup?step=1"), form).await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/signup?step=1#signup.create", "the page, marked with what succeeded");
    assert_eq!(server.state.bumps.load(Ordering::SeqCst), 1, "the mutation ran");
    // Follow the 303 as a browser does: GET the page again.
    let location = response.headers()["location"].to_str().unwrap();
    let page = server.http.get(server.url(location.split('#').next().unwrap())).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.text().await.unwrap(), "the signup page");

    let elsewhere = server.submit_form("/rpc/signup.create", "https://evil.test/phish", "email=b%40example.com&age=1").await;
    assert_eq!(elsewhere.headers()["location"], "/#signup.create", "never redirects off the site");
}

#[tokio::test]
async fn validation_errors_are_422_with_field_messages_on_both_paths() {
    let server = spawn(RpcConfig::default()).await;
    let navigation = server
        .http
        .post(server.url("/rpc/signup.create"))
        .header("content-type", FORM)
        .header("origin", APP_ORIGIN)
        .header("accept", "text/html")
        .body("email=nope&age=3")
        .send()
        .await
        .unwrap();
    assert_eq!(navigation.status(), 422);
    assert!(navigation.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let page = navigation.text().await.unwrap();
    assert!(page.contains("<strong>email</strong>: Enter an email address."), "{page}");

    let enhanced = server
        .http
        .post(server.url("/rpc/signup.create"))
        .header("content-type", FORM)
        .header("origin", APP_ORIGIN)
        .header("accept", "application/json")
        .body("email=nope&age=3")
        .send()
        .await
        .unwrap();
    let (status, body) = read(enhanced).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["fields"]["email"][0], "Enter an email address.");

    let (status, body) = server.mutation("signup.create", r#"{"email":"nope","age":0}"#).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["kind"], "protocol");
    assert_eq!(
        body["error"],
        json!({"code": "VALIDATION", "fields": {"email": ["Enter an email address."], "age": ["must be at least 1"]}})
    );
    assert_eq!(server.state.bumps.load(Ordering::SeqCst), 0, "invalid input never reaches the procedure");

    let wrong_type = server
        .http
        .post(server.url("/rpc/signup.create"))
        .header("content-type", FORM)
        .header("origin", APP_ORIGIN)
        .header("accept", "application/json")
        .body("email=a%40b.c&age=old")
        .send()
        .await
        .unwrap();
    let (status, body) = read(wrong_type).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(protocol_code(&body), "INVALID_INPUT");
    assert_eq!(server.state.bumps.load(Ordering::SeqCst), 0);
    server.assert_alive().await;
}

#[tokio::test]
async fn multipart_forms_carry_files() {
    let server = spawn(RpcConfig::default()).await;
    let form = reqwest::multipart::Form::new().text("title", "Report").part(
        "file",
        reqwest::multipart::Part::bytes(vec![1_u8, 2, 3, 4]).file_name("report.bin").mime_str("application/octet-stream").unwrap(),
    );
    let response = server
        .http
        .post(server.url("/rpc/files.attach"))
        .header("origin", APP_ORIGIN)
        .header("accept", "application/json")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(read(response).await, (StatusCode::OK, json!("Report: report.bin (application/octet-stream, 4 bytes)")));

    let capped = spawn(RpcConfig { body_limit: 512, ..RpcConfig::default() }).await;
    let big = reqwest::multipart::Form::new()
        .text("title", "Big")
        .part("file", reqwest::multipart::Part::bytes(vec![0_u8; 4096]).file_name("big.bin"));
    let response = capped.http.post(capped.url("/rpc/files.attach")).header("origin", APP_ORIGIN).header("accept", "application/json").multipart(big).send().await.unwrap();
    let (status, body) = read(response).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(protocol_code(&body), "PAYLOAD_TOO_LARGE");
}

#[tokio::test]
async fn cached_queries_answer_304_and_see_writes_at_once() {
    let server = spawn(RpcConfig::default()).await;
    let first = server.http.get(server.url("/rpc/counter.value")).send().await.unwrap();
    assert_eq!(first.headers()["cache-control"], "public, no-cache");
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(read(first).await, (StatusCode::OK, json!(0)));

    let (status, body) = read(server.http.get(server.url("/rpc/counter.value?input=")).send().await.unwrap()).await;
    assert_eq!((status, &body["error"]["code"]), (StatusCode::BAD_REQUEST, &json!("MALFORMED_JSON")), "an empty input is not the cached no-input");

    let revalidation = server.http.get(server.url("/rpc/counter.value")).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(revalidation.status(), 304);
    assert_eq!(revalidation.headers()["etag"], etag.as_str());
    assert!(revalidation.bytes().await.unwrap().is_empty());
    let hits_before = server.state.cache.stats().hits;

    let (status, _) = post_bump(&server, "application/json", Some(APP_ORIGIN), "").await;
    assert_eq!(status, StatusCode::OK);
    let after = server.http.get(server.url("/rpc/counter.value")).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(after.status(), 200, "the mutation revalidated the tag: a new body and ETag");
    assert_ne!(after.headers()["etag"], etag.as_str());
    assert_eq!(read(after).await.1, json!(1), "read-your-writes");
    let stats = server.state.cache.stats();
    assert_eq!((stats.hits, stats.misses), (hits_before, 2), "one miss before and one after the write");
}

#[tokio::test]
async fn a_mutation_can_declare_the_tags_it_revalidates() {
    let server = spawn(RpcConfig::default()).await;
    assert_eq!(server.query("counter.value", None).await.1, json!(0));
    assert_eq!(server.mutation("counter.bumpDeclared", "").await.1, json!(1));
    assert_eq!(server.query("counter.value", None).await.1, json!(1), "the declared tag was revalidated");
    let (status, _) = server.mutation("counter.bumpDeclared", "{").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(server.query("counter.value", None).await.1, json!(1));
    assert_eq!(server.state.cache.stats().misses, 2, "a failed call revalidates nothing");
}

#[tokio::test]
async fn per_viewer_results_are_never_shared() {
    let server = spawn(RpcConfig::default()).await;
    let ask = |user| server.query_as("viewer.whoami", user);
    let ada = ask(Some("ada")).await;
    assert_eq!(ada.headers()["cache-control"], "private, no-cache");
    assert_eq!(read(ada).await.1, json!("ada"));
    assert_eq!(read(ask(Some("grace")).await).await.1, json!("grace"));
    assert_eq!(read(ask(None).await).await.1, json!("anonymous"));
    assert_eq!(read(ask(Some("ada")).await).await.1, json!("ada"));
    assert_eq!(server.state.cache.stats().misses, 3, "one entry per viewer, the fourth read a hit");
}

#[tokio::test]
async fn cached_results_behind_a_guard_are_refused_to_callers_it_refuses() {
    let server = spawn(RpcConfig::default()).await;
    let ask = async |user| read(server.query_as("members.news", user).await).await;
    assert_eq!(ask(Some("ada")).await, (StatusCode::OK, json!("members only")));
    let (status, body) = ask(None).await;
    assert_eq!((status, &body["error"]["code"]), (StatusCode::UNAUTHORIZED, &json!("UNAUTHORIZED")), "the guard runs before the cache");
    assert_eq!(ask(Some("grace")).await, (StatusCode::OK, json!("members only")));
    let stats = server.state.cache.stats();
    assert_eq!((stats.hits, stats.misses), (1, 1), "one result shared by every member");
}

fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn procedures_set_session_cookies_with_safe_attributes_on_every_path() {
    let server = spawn(RpcConfig::default()).await;
    let json = server.post_json("/rpc/session.start", r#"{"name":"ada"}"#).await;
    assert_eq!(json.status(), 200);
    assert_eq!(set_cookies(&json), ["sid=ada; HttpOnly; SameSite=Lax; Path=/; Max-Age=3600"], "no Secure over http");

    let held = server.http.get(server.url("/rpc/session.holder")).header("cookie", "theme=dark; sid=ada").send().await.unwrap();
    assert_eq!(read(held).await.1, json!("ada"), "the context reads the caller's cookie");

    let ended = server.post_json("/rpc/session.end", "").await;
    let removal = set_cookies(&ended);
    assert!(removal[0].starts_with("sid=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0"), "{removal:?}");

    let form = server.submit_form("/rpc/session.start", &format!("{APP_ORIGIN}/signup"), "name=cy").await;
    assert_eq!(form.status(), 303);
    assert_eq!(set_cookies(&form), ["sid=cy; HttpOnly; SameSite=Lax; Path=/; Max-Age=3600"], "the redirect sets it");

    let batch = server.post_json("/rpc", r#"[{"path":"session.start","input":{"name":"bea"}},{"path":"health"}]"#).await;
    assert_eq!(set_cookies(&batch), ["sid=bea; HttpOnly; SameSite=Lax; Path=/; Max-Age=3600"], "a batch passes its calls' cookies on");
}

#[tokio::test]
async fn session_cookies_are_secure_when_the_public_origin_is_https() {
    let config = RpcConfig { origins: OriginPolicy::new("https://app.test", []).unwrap(), ..RpcConfig::default() };
    let server = spawn(config).await;
    let response = server.post_json("/rpc/session.start", r#"{"name":"ada"}"#).await;
    assert_eq!(set_cookies(&response), ["sid=ada; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=3600"]);
}
