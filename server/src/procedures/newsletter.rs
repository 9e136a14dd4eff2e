//! Newsletter sign-up: a query, a mutation with typed errors, and a subscription.

use std::sync::Mutex;

use axum::http::StatusCode;
use futures_util::{Stream, stream};
use serde::{Deserialize, Serialize};
use specta::Type;
use tokio::sync::watch;

use crate::{
    context::Ctx,
    rpc::{self, FieldErrors, Int64, Never, ProcedureError},
};

pub fn router() -> rpc::Router<Ctx> {
    rpc::Router::new()
        .query("newsletter.stats", stats)
        .mutation("newsletter.subscribe", subscribe)
        .subscription("newsletter.watchStats", watch_stats)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct NewsletterStats {
    pub subscriber_count: u32,
}

#[derive(Debug, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Subscribe {
    pub email: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Subscriber {
    pub id: Int64,
    pub email: String,
    pub name: String,
}

#[derive(Debug, Serialize, Type)]
#[serde(tag = "code", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SubscribeError {
    Validation { fields: FieldErrors },
    AlreadySubscribed { email: String },
}

impl ProcedureError for SubscribeError {
    fn status(&self) -> StatusCode {
        match self {
            SubscribeError::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            SubscribeError::AlreadySubscribed { .. } => StatusCode::CONFLICT,
        }
    }
}

async fn stats(ctx: Ctx) -> Result<NewsletterStats, Never> {
    Ok(*ctx.state.subscribers.stats.borrow())
}

async fn subscribe(ctx: Ctx, input: Subscribe) -> Result<Subscriber, SubscribeError> {
    let (email, name) = validate(input)?;
    ctx.state.subscribers.add(email, name)
}

/// The current figures, then each change.
async fn watch_stats(ctx: Ctx) -> Result<impl Stream<Item = NewsletterStats>, Never> {
    let mut changes = ctx.state.subscribers.stats.subscribe();
    changes.mark_changed();
    Ok(stream::unfold(changes, |mut changes| async move {
        changes.changed().await.ok()?;
        let stats = *changes.borrow_and_update();
        Some((stats, changes))
    }))
}

fn validate(input: Subscribe) -> Result<(String, String), SubscribeError> {
    let email = input.email.trim().to_lowercase();
    let name = input.name.trim().to_owned();
    let mut fields = FieldErrors::new();
    if !email_address::EmailAddress::is_valid(&email) {
        fields.entry("email".into()).or_default().push("Enter a valid email address.".into());
    }
    if name.is_empty() || name.chars().count() > 100 {
        fields.entry("name".into()).or_default().push("Enter a name of 1 to 100 characters.".into());
    }
    if fields.is_empty() { Ok((email, name)) } else { Err(SubscribeError::Validation { fields }) }
}

/// Subscribers, kept in memory until the database arrives (issue 3).
pub struct Subscribers {
    list: Mutex<Vec<Subscriber>>,
    stats: watch::Sender<NewsletterStats>,
}

impl Default for Subscribers {
    fn default() -> Self {
        Subscribers {
            list: Mutex::default(),
            stats: watch::Sender::new(NewsletterStats { subscriber_count: 0 }),
        }
    }
}

impl Subscribers {
    fn add(&self, email: String, name: String) -> Result<Subscriber, SubscribeError> {
        let mut list = self.list.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if list.iter().any(|s| s.email == email) {
            return Err(SubscribeError::AlreadySubscribed { email });
        }
        let subscriber = Subscriber { id: Int64(list.len() as i64 + 1), email, name };
        list.push(subscriber.clone());
        let subscriber_count = u32::try_from(list.len()).unwrap_or(u32::MAX);
        self.stats.send_replace(NewsletterStats { subscriber_count });
        Ok(subscriber)
    }
}
