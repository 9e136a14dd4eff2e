//! Every procedure is either public (listed in `procedures::PUBLIC`) or refused to a caller
//! without a session (401), and every procedure that acts on one post refuses another author's
//! post (403) while an admin may act on all. A new procedure fails here until someone decides.

mod support;

use isthmus_server::procedures::{self, PER_POST, PUBLIC};
use rpc::Kind;
use serde_json::json;
use support::{TestApp, code};

#[tokio::test]
async fn every_procedure_not_listed_as_public_requires_a_session() {
    let app = TestApp::spawn().await;
    let mut checked = 0;
    for meta in procedures::router().procedures() {
        if PUBLIC.contains(&meta.name) {
            continue;
        }
        // Guards run before the input is decoded: any input, or none, gets the same answer.
        let method = if meta.kind == Kind::Mutation { "POST" } else { "GET" };
        let (status, body) = app.call(method, meta.name, None, None).await;
        assert_eq!((status, code(&body)), (401, "UNAUTHENTICATED"), "{} answered a stranger: {body}", meta.name);
        checked += 1;
    }
    assert!(checked >= 8, "the dashboard's procedures were walked ({checked})");
    for name in PUBLIC.iter().chain(PER_POST) {
        assert!(
            procedures::router().procedures().any(|meta| meta.name == *name),
            "{name} is listed but does not exist"
        );
    }
}

#[tokio::test]
async fn procedures_on_a_post_refuse_other_authors_and_allow_admins() {
    let app = TestApp::spawn().await;
    app.author("owner@example.com", db::Role::Author).await;
    app.author("other@example.com", db::Role::Author).await;
    app.author("admin@example.com", db::Role::Admin).await;
    let owner = app.sign_in("owner@example.com").await;
    let other = app.sign_in("other@example.com").await;
    let admin = app.sign_in("admin@example.com").await;

    let post = json!({ "title": "Mine", "slug": "mine", "body": "text", "tags": [] });
    let (status, created) = app.call("POST", "posts.create", Some(post), Some(&owner)).await;
    assert_eq!(status, 200, "{created}");
    let id = created["id"].clone();
    let input = |name: &str| match name {
        "posts.update" => json!({ "id": id, "title": "Theirs now", "slug": "mine", "body": "changed", "tags": [] }),
        _ => json!({ "id": id }),
    };
    for name in PER_POST.iter().filter(|name| **name != "posts.delete") {
        let method = if name.starts_with("posts.draft") { "GET" } else { "POST" };
        let (status, body) = app.call(method, name, Some(input(name)), Some(&other)).await;
        assert_eq!((status, code(&body)), (403, "FORBIDDEN"), "{name} let another author in: {body}");
        let (status, body) = app.call(method, name, Some(input(name)), Some(&admin)).await;
        assert_eq!(status, 200, "{name} refused an admin: {body}");
    }
    let (status, body) = app.call("POST", "posts.delete", Some(input("posts.delete")), Some(&other)).await;
    assert_eq!((status, code(&body)), (403, "FORBIDDEN"), "{body}");
    let (status, _) = app.call("POST", "posts.delete", Some(input("posts.delete")), Some(&owner)).await;
    assert_eq!(status, 200, "its author deletes it");
}
