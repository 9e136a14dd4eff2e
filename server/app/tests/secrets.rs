//! Secrets stay on the server. With an email provider token and a database password
//! configured, a whole run of the server logged at `trace` — sign-ups, a provider that fails,
//! refuses and recovers, confirmations, delivery figures, bad input, and a start-up that cannot
//! reach its database — writes neither to its log nor into any answer; nor are they in the web
//! build or the bindings.

mod support;

use std::{path::Path, process::Command};

use isthmus_db_runtime::{
    Provider,
    chrono::{Duration, Utc},
    testing::TempDatabase,
};
use isthmus_server::{
    blog::session::{self, SessionPolicy},
    procedures::auth,
    startup::open_database,
};
use serde_json::json;
use support::{
    process::ServerProcess,
    provider::{FakeProvider, Misbehave, TOKEN},
};

const DATABASE_PASSWORD: &str = "db-pw-7c2e41b9";

/// `postgres://user@host/db` with the password: trust authentication ignores it, and the server
/// must still keep it to itself.
fn with_password(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (user, host) = rest.split_once('@').unwrap();
    format!("{scheme}://{user}:{DATABASE_PASSWORD}@{host}")
}

fn assert_holds_no_secret(what: &str, text: &str) {
    for secret in [TOKEN, DATABASE_PASSWORD] {
        assert!(!text.contains(secret), "{what} holds a secret");
    }
}

#[tokio::test]
async fn neither_the_provider_token_nor_the_database_password_leaves_the_server() {
    let postgres = TempDatabase::create(Provider::Postgresql).await;
    let database_url = with_password(postgres.url());
    let provider = FakeProvider::start().await;
    let env = [
        ("ISTHMUS_EMAIL_API_URL", provider.url.as_str()),
        ("ISTHMUS_EMAIL_API_TOKEN", TOKEN),
        ("ISTHMUS_OUTBOX_RETRY_SECONDS", "0.1"),
        ("ISTHMUS_FETCH_TIMEOUT", "1"),
        ("RUST_LOG", "trace"),
    ];
    let server = ServerProcess::start(&database_url, &env);
    let mut answers = Vec::new();

    provider.then(Misbehave::Fail).then(Misbehave::Unavailable { retry_after: 0 });
    answers.push(server.call("newsletter.subscribe", Some(json!({ "email": "ada@example.com", "name": "Ada" }))).await);
    let token = provider.email_to("ada@example.com").await.confirmation_token();
    answers.push(server.call("newsletter.confirm", Some(json!({ "token": token }))).await);
    answers.push(server.call("newsletter.confirm", Some(json!({ "token": token }))).await);
    answers.push(server.call("newsletter.subscribe", Some(json!({ "email": "nope", "name": "" }))).await);
    answers.push(server.call("newsletter.subscribe", Some(json!("not an object"))).await);
    answers
        .push(server.call("auth.login", Some(json!({ "email": "x@example.com", "password": "wrong password" }))).await);

    let db = open_database(&database_url.clone().into()).await.unwrap();
    let author = auth::create_author(&db, "grace@example.com", "Grace", "a long enough password", db::Role::Author);
    let policy = SessionPolicy { lifetime: Duration::days(1), idle: Duration::days(1) };
    let session = session::start(&db, author.await.unwrap().id, policy, Utc::now()).await.unwrap();
    let cookie = format!("{}={session}", session::COOKIE);
    answers.push(server.call_as("newsletter.delivery", None, Some(&cookie)).await);
    provider.then(Misbehave::Unavailable { retry_after: 30 });
    answers.push(server.call_as("newsletter.refreshDelivery", Some(json!(null)), Some(&cookie)).await);
    answers.push(server.call("system.cacheStats", None).await);
    let statuses: Vec<u16> = answers.iter().map(|(status, _)| *status).collect();
    assert_eq!(statuses, [200, 200, 404, 422, 400, 401, 200, 503, 200], "{answers:?}");
    for (status, body) in &answers {
        assert_holds_no_secret(&format!("the {status} answer {body}"), &body.to_string());
    }

    let log = server.log();
    assert!(log.contains("email sent") && log.contains("outbox_emails"), "the log is the whole run's");
    assert!(log.contains("email not sent; will retry"), "the provider's failure was logged");
    assert_holds_no_secret("the server's log", &log);

    // A start-up that cannot open its database says so, without the URL's password.
    let missing = with_password(&format!("{}_missing", postgres.url()));
    let failed = Command::new(env!("CARGO_BIN_EXE_isthmus-server"))
        .env("DATABASE_URL", &missing)
        .env("ISTHMUS_ADDRESS", "127.0.0.1:0")
        .env("RUST_LOG", "trace")
        .output()
        .unwrap();
    assert!(!failed.status.success());
    let output = format!("{}{}", String::from_utf8_lossy(&failed.stdout), String::from_utf8_lossy(&failed.stderr));
    assert!(output.contains("cannot open the database"), "{output}");
    assert_holds_no_secret("a failed start-up's output", &output);
}

#[test]
fn neither_secret_is_in_the_web_build_or_the_bindings() {
    fn files(dir: &Path) -> Vec<std::path::PathBuf> {
        std::fs::read_dir(dir)
            .unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
            .flat_map(|entry| {
                let path = entry.unwrap().path();
                if path.is_dir() { files(&path) } else { vec![path] }
            })
            .collect()
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let shipped: Vec<_> =
        ["web/dist", "web/dist-server", "bindings/src"].iter().flat_map(|dir| files(&root.join(dir))).collect();
    assert!(shipped.iter().any(|file| file.extension().is_some_and(|ext| ext == "js")), "the web build is there");
    for file in shipped {
        assert_holds_no_secret(&file.display().to_string(), &String::from_utf8_lossy(&std::fs::read(&file).unwrap()));
    }
}
