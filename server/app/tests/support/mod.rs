//! The application on loopback over a fresh SQLite file, with helpers to sign in and call
//! procedures as a browser would (session cookie, same-origin `Origin`).

#![allow(dead_code, reason = "each test target uses part of the harness")]

pub mod process;
pub mod provider;
pub mod proxy;

use std::net::SocketAddr;

use isthmus_server::{configuration::Settings, procedures::auth, startup};
use serde_json::{Value, json};

pub struct TestApp {
    pub url: String,
    pub db: db::Db,
    http: reqwest::Client,
    _scratch: tempfile::TempDir,
}

/// A signed-in browser: its session cookie.
#[derive(Clone, Debug)]
pub struct Session(pub String);

impl TestApp {
    /// The app in production mode (no demo content), on its own database.
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(|_| None).await
    }

    /// The app serving the real web build, whose pages the server renders. Fails when the web
    /// has not been built (`npm run build -w web`, which `npm test` runs first).
    pub async fn spawn_with_pages() -> TestApp {
        let web = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web");
        let (dist, bundle) = (web.join("dist"), web.join("dist-server/entry-server.js"));
        assert!(
            dist.join("index.html").exists() && bundle.exists(),
            "the web build is missing: run `npm run build -w web` first"
        );
        let (dist, bundle) = (dist.display().to_string(), bundle.display().to_string());
        TestApp::spawn_with(move |name| match name {
            "ISTHMUS_WEB_DIR" => Some(dist.clone()),
            "ISTHMUS_SERVER_BUNDLE" => Some(bundle.clone()),
            "ISTHMUS_RENDER_WORKERS" => Some("1".into()),
            _ => None,
        })
        .await
    }

    /// Like [`spawn`](Self::spawn), with some settings from `extra`.
    pub async fn spawn_with(extra: impl Fn(&str) -> Option<String>) -> TestApp {
        let scratch = tempfile::tempdir().unwrap();
        let database_url = format!("sqlite:{}", scratch.path().join("app.db").display());
        let web_dir = scratch.path().display().to_string();
        let settings = Settings::from_lookup(|name| {
            extra(name).or_else(|| match name {
                "ISTHMUS_ADDRESS" => Some("127.0.0.1:0".into()),
                "ISTHMUS_ENV" => Some("production".into()),
                "DATABASE_URL" => Some(database_url.clone()),
                "ISTHMUS_WEB_DIR" => Some(web_dir.clone()),
                _ => None,
            })
        })
        .unwrap();
        let application = startup::Application::build(settings).await.unwrap();
        let address: SocketAddr = application.local_addr().unwrap();
        tokio::spawn(application.run_until_stopped());
        let db = startup::open_database(&database_url.clone().into()).await.unwrap();
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        TestApp { url: format!("http://{address}"), db, http, _scratch: scratch }
    }

    /// Creates an author who signs in with `password`.
    pub async fn author(&self, email: &str, role: db::Role) -> i32 {
        auth::create_author(&self.db, email, "An Author", "a long enough password", role).await.unwrap().id
    }

    /// Signs in; the session of the answer's cookie.
    pub async fn sign_in(&self, email: &str) -> Session {
        let (status, body, cookie) = self
            .call_full(
                "POST",
                "auth.login",
                Some(json!({ "email": email, "password": "a long enough password" })),
                None,
            )
            .await;
        assert_eq!(status, 200, "{body}");
        Session(cookie.expect("sign-in sets the session cookie"))
    }

    /// Calls procedure `name` (GET for `"GET"`, else POST as JSON from the site's origin).
    pub async fn call(
        &self,
        method: &str,
        name: &str,
        input: Option<Value>,
        session: Option<&Session>,
    ) -> (u16, Value) {
        let (status, body, _) = self.call_full(method, name, input, session).await;
        (status, body)
    }

    /// The status, JSON body and the `name=value` of a `Set-Cookie` of the answer.
    pub async fn call_full(
        &self,
        method: &str,
        name: &str,
        input: Option<Value>,
        session: Option<&Session>,
    ) -> (u16, Value, Option<String>) {
        let url = format!("{}/rpc/{name}", self.url);
        let mut request = if method == "GET" {
            let mut request = self.http.get(url);
            if let Some(input) = &input {
                request = request.query(&[("input", input.to_string())]);
            }
            request
        } else {
            let body = input.map(|input| input.to_string()).unwrap_or_default();
            self.http.post(url).header("content-type", "application/json").header("origin", &self.url).body(body)
        };
        if let Some(Session(cookie)) = session {
            request = request.header("cookie", cookie);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let cookie = response
            .headers()
            .get("set-cookie")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .map(str::to_owned);
        let text = response.text().await.unwrap();
        let body =
            if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
        (status, body, cookie)
    }

    /// A plain GET of `path`: status and text.
    pub async fn get(&self, path: &str) -> (u16, String) {
        let response = self.get_with(path, &[]).await;
        (response.status().as_u16(), response.text().await.unwrap())
    }

    /// A GET of `path` with extra request headers, redirects not followed.
    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
        let mut request = self.http.get(format!("{}{path}", self.url));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send().await.unwrap()
    }
}

/// The error code of a procedure's or the protocol's error envelope.
pub fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_else(|| panic!("no error code in {body}"))
}
