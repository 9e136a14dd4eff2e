//! Faults the server survives without losing data: PostgreSQL going away and coming back, a
//! SQLite database locked by another writer, the process killed during a burst of writes, and
//! a migration that cannot apply. The results are in the README's "Security and limits".

mod support;

use std::{
    process::Command,
    time::{Duration, Instant},
};

use db::{Client, DbError, subscriber};
use isthmus_db_runtime::{Db, Provider, testing::TempDatabase};
use serde_json::json;
use support::{TestApp, code, process::ServerProcess, proxy::Proxy};

/// Subscribes `email`; the status, the error code if any, and `Retry-After`.
async fn subscribe(app: &TestApp, email: &str) -> (u16, Option<String>, Option<String>) {
    let response = reqwest::Client::new()
        .post(format!("{}/rpc/newsletter.subscribe", app.url))
        .header("content-type", "application/json")
        .header("origin", &app.url)
        .body(json!({ "email": email, "name": "Reader" }).to_string())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let retry_after = response.headers().get("retry-after").map(|value| value.to_str().unwrap().to_owned());
    let body: serde_json::Value = response.json().await.unwrap();
    let code = (status != 200).then(|| code(&body).to_owned());
    (status, code, retry_after)
}

#[tokio::test]
async fn postgresql_going_away_is_503_unavailable_and_its_return_needs_no_restart() {
    let postgres = TempDatabase::create(Provider::Postgresql).await;
    let proxy = Proxy::start("127.0.0.1:5432").await;
    let url = postgres.url().replacen("127.0.0.1:5432", &proxy.address, 1);
    assert_ne!(url, postgres.url(), "the database is reached through the proxy");
    let app = TestApp::spawn_with(|name| match name {
        "DATABASE_URL" => Some(url.clone()),
        "ISTHMUS_DATABASE_TIMEOUT" => Some("1".into()),
        _ => None,
    })
    .await;
    assert_eq!(subscribe(&app, "before@example.com").await.0, 200);
    assert_eq!(app.get("/readyz").await.0, 200);

    proxy.down();
    let (status, code, retry_after) = subscribe(&app, "during@example.com").await;
    assert_eq!((status, code.as_deref(), retry_after.as_deref()), (503, Some("UNAVAILABLE"), Some("5")));
    assert_eq!(app.get("/readyz").await.0, 503, "not ready");
    assert_eq!(app.get("/healthz").await.0, 200, "but alive");

    proxy.up();
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut attempt = 0;
    loop {
        attempt += 1;
        let (status, ..) = subscribe(&app, &format!("after{attempt}@example.com")).await;
        if status == 200 {
            break;
        }
        assert_eq!(status, 503, "until it reconnects, unavailable and nothing else");
        assert!(Instant::now() < deadline, "the server did not recover");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(app.get("/readyz").await.0, 200);
}

#[tokio::test]
async fn a_sqlite_database_locked_by_another_writer_is_waited_for_then_503() {
    let app = TestApp::spawn_with(|name| (name == "ISTHMUS_DATABASE_TIMEOUT").then(|| "1".into())).await;
    // Another writer holds the lock (an open IMMEDIATE transaction) past the busy timeout.
    let held = app
        .db
        .transaction(|_tx| async {
            let started = Instant::now();
            let answer = subscribe(&app, "locked@example.com").await;
            Ok::<_, DbError>((answer, started.elapsed()))
        })
        .await
        .unwrap();
    let ((status, code, retry_after), waited) = held;
    assert_eq!((status, code.as_deref(), retry_after.as_deref()), (503, Some("UNAVAILABLE"), Some("5")));
    assert!(waited >= Duration::from_millis(900), "it waited for the lock first: {waited:?}");
    assert_eq!(subscribe(&app, "locked@example.com").await.0, 200, "the lock released, the write goes through");
}

#[tokio::test]
async fn every_acknowledged_write_survives_kill_9() {
    let scratch = tempfile::tempdir().unwrap();
    let database_url = format!("sqlite:{}", scratch.path().join("app.db").display());
    let env = [("ISTHMUS_CLIENT_IP_HEADER", "x-forwarded-for")];
    let mut server = ServerProcess::start(&database_url, &env);
    let http = reqwest::Client::new();
    let (sent, mut results) = tokio::sync::mpsc::unbounded_channel();
    for n in 0..400_u32 {
        let (http, url, sent) = (http.clone(), server.url.clone(), sent.clone());
        tokio::spawn(async move {
            let email = format!("reader{n}@example.com");
            let answer = http
                .post(format!("{url}/rpc/newsletter.subscribe"))
                .header("content-type", "application/json")
                .header("origin", &url)
                // One client address each: the sign-up rate limit is per address.
                .header("x-forwarded-for", format!("10.1.{}.{}", n / 256, n % 256))
                .body(json!({ "email": email, "name": "Reader" }).to_string())
                .send()
                .await;
            let _ = sent.send((email, answer.is_ok_and(|answer| answer.status() == 200)));
        });
    }
    drop(sent);
    let mut acknowledged = Vec::new();
    while let Some((email, ok)) = results.recv().await {
        if ok {
            acknowledged.push(email);
        }
        if acknowledged.len() == 100 {
            server.kill();
        }
    }
    assert!(acknowledged.len() >= 100 && acknowledged.len() < 400, "killed mid-burst: {}", acknowledged.len());

    let db = Db::connect(&database_url).await.unwrap();
    let stored = db.subscriber().find_many(vec![subscriber::email().in_vec(acknowledged.clone())]).exec().await;
    assert_eq!(stored.unwrap().len(), acknowledged.len(), "every acknowledged sign-up is there");
}

#[test]
fn a_migration_that_cannot_apply_stops_start_up_and_leaves_the_database_as_it_was() {
    let scratch = tempfile::tempdir().unwrap();
    let database_url = format!("sqlite:{}", scratch.path().join("app.db").display());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let tables = |db: &Db| {
        let query = r#"SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"#;
        runtime.block_on(db.query_as::<(String,)>(query, vec![])).unwrap()
    };
    let db = runtime.block_on(Db::connect(&database_url)).unwrap();
    // A table the first migration creates, already there with another shape.
    runtime.block_on(db.execute_raw(r#"CREATE TABLE "users" ("legacy" TEXT)"#, vec![])).unwrap();
    let before = tables(&db);

    let started = Command::new(env!("CARGO_BIN_EXE_isthmus-server"))
        .env("DATABASE_URL", &database_url)
        .env("ISTHMUS_ADDRESS", "127.0.0.1:0")
        .output()
        .unwrap();
    assert!(!started.status.success(), "it refuses to start");
    let said = String::from_utf8_lossy(&started.stderr);
    assert!(said.contains("error: cannot migrate the database, which is left as it was"), "{said}");
    // The migrations' ledger is created before the first migration runs (as Prisma does), and
    // stays empty: nothing else was added or removed.
    let mut expected = before;
    expected.insert(0, ("_prisma_migrations".to_owned(),));
    assert_eq!(tables(&db), expected);
    let recorded = runtime.block_on(db.query_as::<(i64,)>(r#"SELECT count(*) FROM "_prisma_migrations""#, vec![]));
    assert_eq!(recorded.unwrap(), [(0,)], "no migration recorded as applied");
    let columns = runtime.block_on(db.query_as::<(String,)>(r#"SELECT name FROM pragma_table_info('users')"#, vec![]));
    assert_eq!(columns.unwrap(), [("legacy".to_owned(),)], "the table is as it was");
}
