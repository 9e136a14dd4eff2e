//! HTML form posts to mutations: redirects, field errors and files.

use super::support::*;

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

    let elsewhere =
        server.submit_form("/rpc/signup.create", "https://evil.test/phish", "email=b%40example.com&age=1").await;
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
        reqwest::multipart::Part::bytes(vec![1_u8, 2, 3, 4])
            .file_name("report.bin")
            .mime_str("application/octet-stream")
            .unwrap(),
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
    let response = capped
        .http
        .post(capped.url("/rpc/files.attach"))
        .header("origin", APP_ORIGIN)
        .header("accept", "application/json")
        .multipart(big)
        .send()
        .await
        .unwrap();
    let (status, body) = read(response).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(protocol_code(&body), "PAYLOAD_TOO_LARGE");
}

#[tokio::test]
async fn a_broken_multipart_body_is_400_malformed_body() {
    let server = spawn(RpcConfig::default()).await;
    let unterminated = "--x\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nReport";
    let response = server
        .http
        .post(server.url("/rpc/files.attach"))
        .header("origin", APP_ORIGIN)
        .header("accept", "application/json")
        .header("content-type", "multipart/form-data; boundary=x")
        .body(unterminated)
        .send()
        .await
        .unwrap();
    let (status, body) = read(response).await;
    assert_eq!((status, protocol_code(&body)), (StatusCode::BAD_REQUEST, "MALFORMED_BODY"), "{body}");
    server.assert_alive().await;
}

#[tokio::test]
async fn redirects_after_a_form_post_never_leave_the_site() {
    let server = spawn(RpcConfig::default()).await;
    // Each of these, as a Location, makes browsers go to evil.test.
    for referer in [format!("{APP_ORIGIN}/\\evil.test"), format!("{APP_ORIGIN}/\t/evil.test")] {
        let response = server.submit_form("/rpc/signup.create", &referer, "email=c%40example.com&age=2").await;
        assert_eq!(response.status(), 303);
        assert_eq!(response.headers()["location"], "/#signup.create", "{referer:?}");
    }
}

#[tokio::test]
async fn multipart_without_a_boundary_is_400_not_read_as_urlencoded() {
    let server = spawn(RpcConfig::default()).await;
    let response = server
        .http
        .post(server.url("/rpc/signup.create"))
        .header("origin", APP_ORIGIN)
        .header("accept", "application/json")
        .header("content-type", "multipart/form-data")
        .body("email=d%40example.com&age=3")
        .send()
        .await
        .unwrap();
    let (status, body) = read(response).await;
    assert_eq!((status, protocol_code(&body)), (StatusCode::BAD_REQUEST, "MALFORMED_BODY"), "{body}");
    assert_eq!(server.state.bumps.load(Ordering::SeqCst), 0, "the mutation did not run");
}
