//! A Postmark-style email provider on loopback, as the app's tests need it: it records each
//! email, answers the delivery figures, checks the token, and can be told to fail with 503 and
//! a `Retry-After`, to answer 500, or to hang.

use std::{
    collections::VecDeque,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use axum::{
    Json, Router,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde_json::{Value, json};
use tokio::sync::Notify;

/// The token the app is configured with.
pub const TOKEN: &str = "pm-test-token-5d1e9a";

/// What the provider does with its next request (of any kind) instead of answering.
pub enum Misbehave {
    /// 503 with `Retry-After: seconds`.
    Unavailable { retry_after: u32 },
    /// 500.
    Fail,
    /// Never answers.
    Hang,
}

/// An email the provider accepted.
#[derive(Clone, Debug)]
pub struct SentEmail {
    pub to: String,
    pub subject: String,
    pub text: String,
}

impl SentEmail {
    /// The token of the confirmation link in the email.
    pub fn confirmation_token(&self) -> String {
        let (_, after) = self.text.split_once("/newsletter/confirm?token=").expect("the email holds the link");
        after.split_whitespace().next().unwrap().to_owned()
    }
}

#[derive(Default)]
struct Recorded {
    emails: Mutex<Vec<SentEmail>>,
    /// Every request's `Authorization`.
    authorizations: Mutex<Vec<Option<String>>>,
    email_requests: AtomicUsize,
    stats_requests: AtomicUsize,
    /// Requests told to hang.
    hangs: AtomicUsize,
    script: Mutex<VecDeque<Misbehave>>,
    changed: Notify,
}

pub struct FakeProvider {
    pub url: String,
    recorded: Arc<Recorded>,
}

impl FakeProvider {
    pub async fn start() -> FakeProvider {
        let recorded = Arc::new(Recorded::default());
        let app = Router::new()
            .route("/email", post(email))
            .route("/stats/outbound", get(stats))
            .with_state(recorded.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        FakeProvider { url, recorded }
    }

    /// The settings that point the app at this provider.
    pub fn settings(&self, name: &str) -> Option<String> {
        match name {
            "ISTHMUS_EMAIL_API_URL" => Some(self.url.clone()),
            "ISTHMUS_EMAIL_API_TOKEN" => Some(TOKEN.into()),
            _ => None,
        }
    }

    /// The next request misbehaves so.
    pub fn then(&self, misbehave: Misbehave) -> &Self {
        self.recorded.script.lock().unwrap().push_back(misbehave);
        self
    }

    pub fn emails(&self) -> Vec<SentEmail> {
        self.recorded.emails.lock().unwrap().clone()
    }

    pub fn emails_to(&self, to: &str) -> Vec<SentEmail> {
        self.emails().into_iter().filter(|email| email.to == to).collect()
    }

    pub fn email_requests(&self) -> usize {
        self.recorded.email_requests.load(Ordering::SeqCst)
    }

    pub fn stats_requests(&self) -> usize {
        self.recorded.stats_requests.load(Ordering::SeqCst)
    }

    /// Requests that were left hanging.
    pub fn hangs(&self) -> usize {
        self.recorded.hangs.load(Ordering::SeqCst)
    }

    pub fn authorizations(&self) -> Vec<Option<String>> {
        self.recorded.authorizations.lock().unwrap().clone()
    }

    /// Waits (at most 30 s) until `condition` holds of the provider.
    pub async fn until(&self, what: &str, condition: impl Fn(&FakeProvider) -> bool) {
        let wait = async {
            loop {
                let changed = self.recorded.changed.notified();
                if condition(self) {
                    return;
                }
                changed.await;
            }
        };
        tokio::time::timeout(Duration::from_secs(30), wait).await.unwrap_or_else(|_| panic!("never: {what}"));
    }

    /// Waits until an email to `to` has arrived; the last one.
    pub async fn email_to(&self, to: &str) -> SentEmail {
        self.until(&format!("an email to {to}"), |provider| !provider.emails_to(to).is_empty()).await;
        self.emails_to(to).pop().unwrap()
    }
}

/// Records the request; the scripted misbehaviour, if any.
async fn arrive(recorded: &Recorded, headers: &HeaderMap) -> Option<Response> {
    let authorization = headers.get("authorization").map(|value| value.to_str().unwrap().to_owned());
    let authorized = authorization.as_deref() == Some(&format!("Bearer {TOKEN}"));
    recorded.authorizations.lock().unwrap().push(authorization);
    let misbehave = recorded.script.lock().unwrap().pop_front();
    recorded.changed.notify_waiters();
    if !authorized {
        return Some(
            (StatusCode::UNAUTHORIZED, Json(json!({ "ErrorCode": 10, "Message": "Bad token" }))).into_response(),
        );
    }
    match misbehave? {
        Misbehave::Unavailable { retry_after } => {
            Some((StatusCode::SERVICE_UNAVAILABLE, [("retry-after", retry_after.to_string())], "busy").into_response())
        }
        Misbehave::Fail => Some((StatusCode::INTERNAL_SERVER_ERROR, "provider bug").into_response()),
        Misbehave::Hang => {
            recorded.hangs.fetch_add(1, Ordering::SeqCst);
            recorded.changed.notify_waiters();
            std::future::pending().await
        }
    }
}

async fn email(State(recorded): State<Arc<Recorded>>, headers: HeaderMap, Json(message): Json<Value>) -> Response {
    recorded.email_requests.fetch_add(1, Ordering::SeqCst);
    if let Some(misbehaved) = arrive(&recorded, &headers).await {
        return misbehaved;
    }
    let field = |name: &str| message[name].as_str().unwrap_or_default().to_owned();
    let sent = SentEmail { to: field("To"), subject: field("Subject"), text: field("TextBody") };
    recorded.emails.lock().unwrap().push(sent.clone());
    recorded.changed.notify_waiters();
    Json(json!({ "To": sent.to, "ErrorCode": 0, "Message": "OK", "MessageID": uuid() })).into_response()
}

async fn stats(State(recorded): State<Arc<Recorded>>, headers: HeaderMap) -> Response {
    recorded.stats_requests.fetch_add(1, Ordering::SeqCst);
    if let Some(misbehaved) = arrive(&recorded, &headers).await {
        return misbehaved;
    }
    let sent = recorded.emails.lock().unwrap().len();
    Json(json!({ "Sent": sent, "Bounced": 1, "SMTPApiErrors": 0 })).into_response()
}

fn uuid() -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(1);
    format!("00000000-0000-0000-0000-{:012}", NEXT.fetch_add(1, Ordering::SeqCst))
}
