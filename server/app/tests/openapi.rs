//! The OpenAPI document `cargo bindings` writes (`bindings/openapi.json`) is valid OpenAPI 3.1
//! and enough for a client in another language: a Python client that knows only the document
//! calls procedures and checks their answers against it, and schemathesis finds no 5xx and no
//! answer that breaks it. (That it matches the procedures is `bindings_drift.rs`.) The Python
//! tools live in `target/python`: `npm run test:python-deps` installs them.

mod support;

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

use isthmus_db_runtime::{Provider, testing::TempDatabase};
use serde_json::{Value, json};
use support::process::ServerProcess;

fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().and_then(Path::parent).unwrap()
}

fn document() -> PathBuf {
    workspace().join("bindings/openapi.json")
}

/// A tool of the Python environment; fails loudly when it is not installed.
fn python_tool(name: &str) -> Command {
    let path = workspace().join("target/python/bin").join(name);
    assert!(path.exists(), "{} is missing: run `npm run test:python-deps` first", path.display());
    Command::new(path)
}

fn succeeded(output: &Output) -> bool {
    if !output.status.success() {
        eprintln!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    }
    output.status.success()
}

async fn development_server() -> (TempDatabase, ServerProcess) {
    let database = TempDatabase::create(Provider::Sqlite).await;
    let server = ServerProcess::start(database.url(), &[("ISTHMUS_ENV", "development")]);
    (database, server)
}

/// The `name=value` session cookie of the seeded demo author.
async fn demo_session(server: &ServerProcess) -> String {
    let password = server
        .preamble
        .iter()
        .find_map(|line| line.split_once("with the password ").map(|(_, password)| password.to_owned()))
        .expect("development seeds the demo author and prints the password");
    let response = reqwest::Client::new()
        .post(format!("{}/rpc/auth.login", server.url))
        .header("content-type", "application/json")
        .body(json!({ "email": "demo@example.com", "password": password }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    cookie.split(';').next().unwrap().to_owned()
}

#[test]
fn the_document_is_valid_openapi() {
    let output = python_tool("openapi-spec-validator").arg(document()).output().unwrap();
    assert!(succeeded(&output));
}

/// Runs `client.py`: the status and answer of one call.
fn python_client(server: &ServerProcess, operation: &str, input: Value) -> (u16, Value) {
    let output = python_tool("python")
        .arg(workspace().join("server/app/tests/openapi/client.py"))
        .args([document().to_str().unwrap(), &server.url, operation, &input.to_string()])
        .output()
        .unwrap();
    assert!(succeeded(&output), "the answer of {operation} conforms to the document");
    let printed: Value = serde_json::from_slice(&output.stdout).unwrap();
    (printed["status"].as_u64().unwrap() as u16, printed["answer"].clone())
}

#[tokio::test]
async fn a_python_client_built_from_the_document_alone_calls_a_query_and_a_mutation() {
    let (_database, server) = development_server().await;

    let (status, page) = python_client(&server, "posts.list", json!({ "take": 2 }));
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["items"].as_array().unwrap().len(), 2, "the demo posts: {page}");
    assert!(page["next"].is_string(), "there are more: {page}");

    let (status, failure) =
        python_client(&server, "auth.login", json!({ "email": "demo@example.com", "password": "not the password" }));
    assert_eq!(status, 401, "{failure}");
    assert_eq!(failure["error"]["code"], "INVALID_CREDENTIALS", "a typed error, as documented: {failure}");
}

/// Runs schemathesis against `server` with `extra` arguments: no 5xx, and every status,
/// content type, header and body as the document says. Schema-valid inputs that break a rule
/// the schema does not carry (validation rules, the control-character policy) are answered a
/// documented 400 or 422, so `positive_data_acceptance` is not among the checks.
fn schemathesis(server: &ServerProcess, extra: &[&str]) {
    let scratch = tempfile::tempdir().unwrap();
    let output = python_tool("schemathesis")
        .current_dir(scratch.path())
        .args(["run", document().to_str().unwrap(), "--url", &server.url])
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,\
             response_headers_conformance,response_schema_conformance,negative_data_rejection",
            "--max-examples",
            "25",
            "--seed",
            "1",
            "--generation-database",
            "none",
            "--no-color",
            // A subscription's stream stays open; its start is tested in the wire tests.
            "--exclude-operation-id",
            "newsletter.watchStats",
        ])
        .args(extra)
        .output()
        .unwrap();
    assert!(succeeded(&output), "schemathesis found answers that break the document");
    assert!(!server.log().contains("panicked"), "{}", server.log());
}

#[tokio::test]
async fn schemathesis_finds_every_answer_as_documented_for_a_visitor_and_for_an_author() {
    let (_database, server) = development_server().await;
    // Signed in first: the visitor's run trips the sign-in rate limit.
    let cookie = format!("Cookie: {}", demo_session(&server).await);
    schemathesis(&server, &[]);
    // Signing out would end the session the rest of the run uses.
    schemathesis(&server, &["--header", &cookie, "--exclude-operation-id", "auth.logout"]);
}
