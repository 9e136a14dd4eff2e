//! The newsletter's double opt-in against a real email provider on loopback: one email per
//! sign-up with a single-use link, confirmation counted once, expiry, re-sending limits, the
//! outbox surviving a provider that fails or hangs, and the provider's delivery figures cached
//! under concurrent readers.

mod support;

use db::{Client, subscriber};
use isthmus_db_runtime::chrono::{self, Utc};
use isthmus_server::procedures::newsletter;
use serde_json::{Value, json};
use support::{
    TestApp, code,
    provider::{FakeProvider, Misbehave, TOKEN},
};

/// The app sending through `provider`, retrying failed emails after 100 ms (then 200, 400, …)
/// and giving up on a call to the provider after 1 s.
async fn app_with(provider: &FakeProvider) -> TestApp {
    TestApp::spawn_with(|name| {
        provider.settings(name).or_else(|| match name {
            "ISTHMUS_OUTBOX_RETRY_SECONDS" => Some("0.1".into()),
            "ISTHMUS_FETCH_TIMEOUT" => Some("1".into()),
            _ => None,
        })
    })
    .await
}

async fn subscribe(app: &TestApp, email: &str) -> (u16, Value) {
    app.call("POST", "newsletter.subscribe", Some(json!({ "email": email, "name": "Ada" })), None).await
}

async fn confirm(app: &TestApp, token: &str) -> (u16, Value) {
    app.call("POST", "newsletter.confirm", Some(json!({ "token": token })), None).await
}

async fn count(app: &TestApp) -> u64 {
    app.call("GET", "newsletter.stats", None, None).await.1["subscriberCount"].as_u64().unwrap()
}

/// Waits (at most 10 s) until the outbox is empty: sent emails are deleted once the provider
/// has answered, just after it recorded them.
async fn outbox_drained(app: &TestApp) {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while app.db.outbox_email().count(vec![]).await.unwrap() > 0 {
        assert!(tokio::time::Instant::now() < deadline, "the outbox still holds emails");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn a_sign_up_mails_one_link_that_confirms_once() {
    let provider = FakeProvider::start().await;
    let app = app_with(&provider).await;
    assert_eq!(count(&app).await, 0);
    let (status, body) = subscribe(&app, "Ada@Example.com").await;
    assert_eq!((status, body), (200, json!({ "email": "ada@example.com", "name": "Ada" })));
    assert_eq!(count(&app).await, 0, "not counted before the reader confirms");

    let email = provider.email_to("ada@example.com").await;
    assert_eq!(email.subject, "Confirm your subscription");
    assert!(email.text.contains(&format!("{}/newsletter/confirm?token=", app.url)), "{}", email.text);
    let token = email.confirmation_token();
    let stored = app.db.subscriber().find_unique(subscriber::UniqueWhere::Email("ada@example.com".into())).first();
    let stored = stored.await.unwrap().unwrap();
    assert_ne!(stored.confirm_token_hash.as_deref(), Some(token.as_str()), "only the token's hash is stored");

    // Another sign-up's email arrives after Ada's (the outbox sends in order): still one for Ada.
    subscribe(&app, "grace@example.com").await;
    provider.email_to("grace@example.com").await;
    assert_eq!(provider.emails_to("ada@example.com").len(), 1);

    let (status, body) = confirm(&app, &token).await;
    assert_eq!((status, body), (200, json!({ "email": "ada@example.com", "name": "Ada" })));
    assert_eq!(count(&app).await, 1, "the cached count was revalidated");
    let (status, body) = confirm(&app, &token).await;
    assert_eq!((status, code(&body)), (404, "UNKNOWN_TOKEN"), "single use");
    let (status, body) = subscribe(&app, "ada@example.com").await;
    assert_eq!((status, code(&body)), (409, "ALREADY_SUBSCRIBED"));
    let (status, _) = confirm(&app, "").await;
    assert_eq!(status, 422, "an empty token is invalid input");
    outbox_drained(&app).await;
}

#[tokio::test]
async fn signing_up_again_resends_at_most_every_ten_minutes_and_the_newest_link_counts() {
    let provider = FakeProvider::start().await;
    let app = app_with(&provider).await;
    subscribe(&app, "ada@example.com").await;
    let first = provider.email_to("ada@example.com").await.confirmation_token();
    let (status, _) = subscribe(&app, "ada@example.com").await;
    assert_eq!(status, 200, "the same answer, whatever was sent");

    // Ten minutes later, as far as the database knows.
    let earlier = Utc::now() - chrono::Duration::minutes(11);
    let sent_earlier = vec![subscriber::confirmation_sent_at().set(Some(earlier))];
    app.db.subscriber().update_many(vec![subscriber::email().equals("ada@example.com")], sent_earlier).await.unwrap();
    subscribe(&app, "ada@example.com").await;
    provider.until("a second email to Ada", |provider| provider.emails_to("ada@example.com").len() == 2).await;
    let second = provider.email_to("ada@example.com").await.confirmation_token();
    assert_ne!(first, second);
    assert_eq!(provider.emails_to("ada@example.com").len(), 2, "the sign-up within ten minutes sent nothing");
    assert_eq!(code(&confirm(&app, &first).await.1), "UNKNOWN_TOKEN", "a new link replaces the old");
    assert_eq!(confirm(&app, &second).await.0, 200);
}

#[tokio::test]
async fn an_expired_link_is_refused_and_the_unconfirmed_sign_up_pruned() {
    let provider = FakeProvider::start().await;
    let app = app_with(&provider).await;
    subscribe(&app, "ada@example.com").await;
    subscribe(&app, "grace@example.com").await;
    let token = provider.email_to("ada@example.com").await.confirmation_token();
    let expired = vec![subscriber::confirm_expires_at().set(Some(Utc::now() - chrono::Duration::seconds(1)))];
    app.db.subscriber().update_many(vec![subscriber::email().equals("ada@example.com")], expired).await.unwrap();
    let (status, body) = confirm(&app, &token).await;
    assert_eq!((status, code(&body)), (410, "EXPIRED"));

    assert_eq!(newsletter::prune_unconfirmed(&app.db, Utc::now()).await.unwrap(), 1, "Ada's, not Grace's");
    let left = app.db.subscriber().find_many(vec![]).exec().await.unwrap();
    assert_eq!(left.iter().map(|s| s.email.as_str()).collect::<Vec<_>>(), ["grace@example.com"]);
    assert_eq!(code(&confirm(&app, &token).await.1), "UNKNOWN_TOKEN");
}

#[tokio::test]
async fn a_failing_provider_loses_no_sign_up_and_the_outbox_retries() {
    let provider = FakeProvider::start().await;
    let app = app_with(&provider).await;
    // Two failures the client does not retry itself (500), then one it does (503, at once).
    provider.then(Misbehave::Fail).then(Misbehave::Fail).then(Misbehave::Unavailable { retry_after: 0 });
    let (status, _) = subscribe(&app, "ada@example.com").await;
    assert_eq!(status, 200, "the sign-up succeeds while the provider fails");
    let token = provider.email_to("ada@example.com").await.confirmation_token();
    assert_eq!(provider.email_requests(), 4, "three failed attempts, then the email");
    assert_eq!(confirm(&app, &token).await.0, 200);
    outbox_drained(&app).await;
}

#[tokio::test]
async fn a_hanging_provider_never_holds_a_sign_up() {
    let provider = FakeProvider::start().await;
    let app = app_with(&provider).await;
    provider.then(Misbehave::Hang);
    assert_eq!(subscribe(&app, "ada@example.com").await.0, 200);
    provider.until("the provider holds Ada's email", |provider| provider.hangs() == 1).await;
    // The provider still holds the first email: the next sign-up is answered all the same.
    assert_eq!(subscribe(&app, "grace@example.com").await.0, 200);
    // The call gave up at its 1 s deadline and the outbox sent both.
    provider.email_to("ada@example.com").await;
    provider.email_to("grace@example.com").await;
}

#[tokio::test]
async fn delivery_figures_are_fetched_once_per_interval_however_many_authors_look() {
    let provider = FakeProvider::start().await;
    let app = app_with(&provider).await;
    app.author("ada@example.com", db::Role::Author).await;
    let session = app.sign_in("ada@example.com").await;
    let (status, body) = app.call("GET", "newsletter.delivery", None, None).await;
    assert_eq!((status, code(&body)), (401, "UNAUTHENTICATED"), "authors only");

    let readers = (0..20).map(|_| app.call("GET", "newsletter.delivery", None, Some(&session)));
    let answers = futures_util::future::join_all(readers).await;
    assert!(answers.iter().all(|answer| *answer == (200, json!({ "kind": "provider", "sent": 0, "bounced": 1 }))));
    assert_eq!(provider.stats_requests(), 1, "twenty readers, one request to the provider");

    subscribe(&app, "grace@example.com").await;
    provider.email_to("grace@example.com").await;
    let cached = app.call("GET", "newsletter.delivery", None, Some(&session)).await.1;
    assert_eq!(cached["sent"], 0, "fresh for a minute");
    let refreshed = app.call("POST", "newsletter.refreshDelivery", None, Some(&session)).await.1;
    assert_eq!((refreshed["sent"].clone(), provider.stats_requests()), (json!(1), 2), "refresh now");
    let upstream = app.call("GET", "system.cacheStats", None, None).await.1["upstream"].clone();
    assert_eq!((upstream["misses"].clone(), upstream["hits"].clone()), (json!(2), json!(20)), "{upstream}");

    // Unavailable for longer than the call's deadline: a typed 503, nothing of the provider's answer.
    provider.then(Misbehave::Unavailable { retry_after: 30 });
    let (status, body) = app.call("POST", "newsletter.refreshDelivery", None, Some(&session)).await;
    assert_eq!((status, code(&body)), (503, "PROVIDER_UNAVAILABLE"));
    assert!(!body.to_string().contains("busy"), "{body}");
}

#[tokio::test]
async fn without_a_provider_emails_go_to_the_log_and_there_are_no_figures() {
    let app = TestApp::spawn().await;
    app.author("ada@example.com", db::Role::Author).await;
    let session = app.sign_in("ada@example.com").await;
    assert_eq!(subscribe(&app, "ada@example.com").await.0, 200);
    let (status, body) = app.call("GET", "newsletter.delivery", None, Some(&session)).await;
    assert_eq!((status, body), (200, json!({ "kind": "noProvider" })));
}

#[tokio::test]
async fn the_token_travels_only_in_the_authorization_header() {
    let provider = FakeProvider::start().await;
    let app = app_with(&provider).await;
    subscribe(&app, "ada@example.com").await;
    let email = provider.email_to("ada@example.com").await;
    app.author("grace@example.com", db::Role::Author).await;
    let session = app.sign_in("grace@example.com").await;
    let delivery = app.call("GET", "newsletter.delivery", None, Some(&session)).await.1;
    let bearer = format!("Bearer {TOKEN}");
    let authorizations = provider.authorizations();
    assert!(authorizations.len() >= 2 && authorizations.iter().all(|sent| sent.as_deref() == Some(bearer.as_str())));
    assert_eq!(delivery["kind"], "provider", "{delivery} ({} to {})", email.subject, email.to);
}
