//! Two real server processes sharing one PostgreSQL and one email provider: a confirmation in
//! one revalidates the cached subscriber count in the other (LISTEN/NOTIFY) and moves its live
//! count; both run the outbox, and each email is sent once.

mod support;

use std::time::{Duration, Instant};

use db::Client;
use isthmus_db_runtime::{Provider, testing::TempDatabase};
use isthmus_server::startup::open_database;
use serde_json::json;
use support::{
    process::ServerProcess,
    provider::{FakeProvider, TOKEN},
};

/// Two processes on `database`, sending through `provider`.
fn two_processes(database: &TempDatabase, provider: &FakeProvider) -> (ServerProcess, ServerProcess) {
    let env = [("ISTHMUS_EMAIL_API_URL", provider.url.as_str()), ("ISTHMUS_EMAIL_API_TOKEN", TOKEN)];
    (ServerProcess::start(database.url(), &env), ServerProcess::start(database.url(), &env))
}

/// Signs `email` up through `a` and confirms from the link the provider received.
async fn sign_up_and_confirm(a: &ServerProcess, provider: &FakeProvider, email: &str) {
    let (status, _) = a.call("newsletter.subscribe", Some(json!({ "email": email, "name": "Reader" }))).await;
    assert_eq!(status, 200);
    let token = provider.email_to(email).await.confirmation_token();
    let (status, _) = a.call("newsletter.confirm", Some(json!({ "token": token }))).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_revalidation_in_one_process_reaches_the_other() {
    let postgres = TempDatabase::create(Provider::Postgresql).await;
    let provider = FakeProvider::start().await;
    let (a, b) = two_processes(&postgres, &provider);
    assert_eq!(b.count().await, 0);
    assert_eq!(b.count().await, 0);
    let stats = b.call("system.cacheStats", None).await.1;
    assert_eq!(
        (stats["misses"].as_u64(), stats["hits"].as_u64()),
        (Some(1), Some(1)),
        "B answers from its cache: {stats}"
    );

    sign_up_and_confirm(&a, &provider, "ada@example.com").await;
    assert_eq!(a.count().await, 1, "read-your-writes in the writing process");
    // The notification travels through PostgreSQL: wait for it, within a bound.
    let deadline = Instant::now() + Duration::from_secs(10);
    while b.count().await != 1 {
        assert!(Instant::now() < deadline, "B never saw the invalidation");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let stats = b.call("system.cacheStats", None).await.1;
    assert!(stats["misses"].as_u64().unwrap() >= 2, "B recomputed after the invalidation: {stats}");
}

#[tokio::test]
async fn a_confirmation_in_one_process_moves_the_live_count_in_the_other() {
    let postgres = TempDatabase::create(Provider::Postgresql).await;
    let provider = FakeProvider::start().await;
    let (a, b) = two_processes(&postgres, &provider);
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

    sign_up_and_confirm(&a, &provider, "grace@example.com").await;
    let events = tokio::time::timeout(Duration::from_secs(10), next_event()).await.expect("B pushed the new count");
    assert!(events.contains(r#"data: {"subscriberCount":1}"#), "{events}");
}

#[tokio::test]
async fn two_processes_draining_one_outbox_send_each_email_once() {
    let postgres = TempDatabase::create(Provider::Postgresql).await;
    let provider = FakeProvider::start().await;
    let (a, b) = two_processes(&postgres, &provider);
    let readers: Vec<String> = (0..10).map(|n| format!("reader{n}@example.com")).collect();
    for (n, email) in readers.iter().enumerate() {
        let process = if n % 2 == 0 { &a } else { &b };
        let (status, _) = process.call("newsletter.subscribe", Some(json!({ "email": email, "name": "Reader" }))).await;
        assert_eq!(status, 200);
    }
    provider
        .until("an email to each reader", |provider| readers.iter().all(|r| !provider.emails_to(r).is_empty()))
        .await;
    // Once the outbox is empty no email is left to claim: every send has happened.
    let db = open_database(&postgres.url().to_owned().into()).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while db.outbox_email().count(vec![]).await.unwrap() > 0 {
        assert!(Instant::now() < deadline, "the outbox still holds emails");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let sent: Vec<String> = provider.emails().into_iter().map(|email| email.to).collect();
    assert_eq!(provider.email_requests(), 10, "{sent:?}");
}
