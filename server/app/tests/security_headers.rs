//! Every kind of answer carries the security headers: pages, procedures, their errors, the
//! form error page, files and missing files.

mod support;

use support::TestApp;

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let app = TestApp::spawn_with_pages().await;
    let form_error = reqwest::Client::new()
        .post(format!("{}/rpc/newsletter.subscribe", app.url))
        .header("origin", &app.url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("email=nope&name=")
        .send()
        .await
        .unwrap();
    assert_eq!(form_error.status(), 422);
    let mut answers = vec![("the form error page", form_error)];
    for path in ["/", "/blog", "/rpc/newsletter.stats", "/rpc/nope", "/favicon.svg", "/assets/missing.js"] {
        answers.push((path, app.get_with(path, &[]).await));
    }
    for (what, answer) in answers {
        let headers = answer.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{what}");
        assert_eq!(headers["x-frame-options"], "DENY", "{what}");
        assert_eq!(headers["referrer-policy"], "strict-origin-when-cross-origin", "{what}");
        let policy = headers["content-security-policy"].to_str().unwrap();
        assert!(policy.contains("frame-ancestors 'none'") && policy.contains("script-src 'self'"), "{what}: {policy}");
        assert!(headers.get("strict-transport-security").is_none(), "{what}: not over plain http");
    }
    let missing = app.get_with("/assets/missing.js", &[]).await;
    assert_eq!(missing.status(), 404, "a missing asset is not a page");
    let error = app.get_with("/rpc/nope", &[]).await;
    assert_eq!(error.headers()["cache-control"], "no-store", "errors are never cached");
}

#[tokio::test]
async fn https_sites_get_strict_transport_security() {
    let app = TestApp::spawn_with(|name| (name == "ISTHMUS_PUBLIC_ORIGIN").then(|| "https://example.com".into())).await;
    let answer = app.get_with("/healthz", &[]).await;
    assert_eq!(answer.headers()["strict-transport-security"], "max-age=63072000");
}
