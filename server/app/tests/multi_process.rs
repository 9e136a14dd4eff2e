//! Two real server processes sharing one PostgreSQL: a sign-up in one revalidates the cached
//! subscriber count in the other (LISTEN/NOTIFY).

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use isthmus_db_runtime::{Provider, testing::TempDatabase};
use serde_json::{Value, json};

struct ServerProcess {
    child: Child,
    url: String,
    _web: tempfile::TempDir,
}

impl ServerProcess {
    fn start(database_url: &str) -> ServerProcess {
        let web = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_isthmus-server"))
            .env("DATABASE_URL", database_url)
            .env("ISTHMUS_ADDRESS", "127.0.0.1:0")
            .env("ISTHMUS_WEB_DIR", web.path())
            .env("RUST_LOG", "error")
            .env("ISTHMUS_ENV", "production")
            .stdout(Stdio::piped())
            .spawn()
            .expect("the server binary starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        ServerProcess { child, url, _web: web }
    }

    async fn call(&self, method: reqwest::Method, procedure: &str, body: Option<Value>) -> Value {
        let mut request = reqwest::Client::new().request(method, format!("{}/rpc/{procedure}", self.url));
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body.to_string());
        }
        let response = request.send().await.unwrap();
        assert!(response.status().is_success(), "{procedure}: {}", response.status());
        serde_json::from_str(&response.text().await.unwrap()).unwrap()
    }

    async fn count(&self) -> u64 {
        self.call(reqwest::Method::GET, "newsletter.stats", None).await["subscriberCount"].as_u64().unwrap()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn a_revalidation_in_one_process_reaches_the_other() {
    let postgres = TempDatabase::create(Provider::Postgresql).await;
    let a = ServerProcess::start(postgres.url());
    let b = ServerProcess::start(postgres.url());
    assert_eq!(b.count().await, 0);
    assert_eq!(b.count().await, 0);
    let stats = b.call(reqwest::Method::GET, "system.cacheStats", None).await;
    assert_eq!(
        (stats["misses"].as_u64(), stats["hits"].as_u64()),
        (Some(1), Some(1)),
        "B answers from its cache: {stats}"
    );

    a.call(reqwest::Method::POST, "newsletter.subscribe", Some(json!({"email": "ada@example.com", "name": "Ada"})))
        .await;
    assert_eq!(a.count().await, 1, "read-your-writes in the writing process");
    // The notification travels through PostgreSQL: wait for it, within a bound.
    let deadline = Instant::now() + Duration::from_secs(10);
    while b.count().await != 1 {
        assert!(Instant::now() < deadline, "B never saw the invalidation");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let stats = b.call(reqwest::Method::GET, "system.cacheStats", None).await;
    assert!(stats["misses"].as_u64().unwrap() >= 2, "B recomputed after the invalidation: {stats}");
}

#[tokio::test]
async fn a_sign_up_in_one_process_moves_the_live_count_in_the_other() {
    let postgres = TempDatabase::create(Provider::Postgresql).await;
    let a = ServerProcess::start(postgres.url());
    let b = ServerProcess::start(postgres.url());
    let mut live = reqwest::get(format!("{}/rpc/newsletter.watchStats", b.url)).await.unwrap();
    let mut seen = String::new();
    let mut next_event = async || {
        // Each event ends with a blank line; read until one more has arrived.
        let events = seen.matches("\n\n").count();
        while seen.matches("\n\n").count() == events {
            let chunk = live.chunk().await.unwrap().expect("the stream stays open");
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
        seen.clone()
    };
    assert!(next_event().await.contains(r#"data: {"subscriberCount":0}"#), "the current count first");

    a.call(reqwest::Method::POST, "newsletter.subscribe", Some(json!({"email": "grace@example.com", "name": "Grace"})))
        .await;
    let events = tokio::time::timeout(Duration::from_secs(10), next_event()).await.expect("B pushed the new count");
    assert!(events.contains(r#"data: {"subscriberCount":1}"#), "{events}");
}
