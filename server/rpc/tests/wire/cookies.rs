//! Cookies set by procedures carry the session attributes on every answer path.

use super::support::*;

fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn procedures_set_session_cookies_with_safe_attributes_on_every_path() {
    let server = spawn(RpcConfig::default()).await;
    let json = server.post_json("/rpc/session.start", r#"{"name":"ada"}"#).await;
    assert_eq!(json.status(), 200);
    assert_eq!(set_cookies(&json), ["sid=ada; HttpOnly; SameSite=Lax; Path=/; Max-Age=3600"], "no Secure over http");

    let held = server
        .http
        .get(server.url("/rpc/session.holder"))
        .header("cookie", "theme=dark; sid=ada")
        .send()
        .await
        .unwrap();
    assert_eq!(read(held).await.1, json!("ada"), "the context reads the caller's cookie");

    let ended = server.post_json("/rpc/session.end", "").await;
    let removal = set_cookies(&ended);
    assert!(removal[0].starts_with("sid=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0"), "{removal:?}");

    let form = server.submit_form("/rpc/session.start", &format!("{APP_ORIGIN}/signup"), "name=cy").await;
    assert_eq!(form.status(), 303);
    assert_eq!(set_cookies(&form), ["sid=cy; HttpOnly; SameSite=Lax; Path=/; Max-Age=3600"], "the redirect sets it");

    let batch =
        server.post_json("/rpc", r#"[{"path":"session.start","input":{"name":"bea"}},{"path":"health"}]"#).await;
    assert_eq!(
        set_cookies(&batch),
        ["sid=bea; HttpOnly; SameSite=Lax; Path=/; Max-Age=3600"],
        "a batch passes its calls' cookies on"
    );
}

#[tokio::test]
async fn session_cookies_are_secure_when_the_public_origin_is_https() {
    let config = RpcConfig { origins: OriginPolicy::new("https://app.test", []).unwrap(), ..RpcConfig::default() };
    let server = spawn(config).await;
    let response = server.post_json("/rpc/session.start", r#"{"name":"ada"}"#).await;
    assert_eq!(set_cookies(&response), ["sid=ada; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=3600"]);
}
