//! Newsletter sign-up: a query, a mutation with typed errors, and a subscription, over the
//! `Subscriber` model of schema.prisma.

use std::{num::NonZeroU32, sync::Arc, time::Duration};

use axum::http::StatusCode;
use db::{Client, DbError, Subscriber, subscriber};
use futures_util::{Stream, StreamExt, stream};
use rpc::{Internal, ProcedureError, RateLimit, Revalidate, Valid};
use serde::{Deserialize, Serialize};
use specta::Type;
use tokio::sync::watch;
use validator::Validate;

use crate::context::Ctx;

/// Cache tag of everything derived from the subscriber list.
const TAG: &str = "newsletter";

/// The count is served from the cache for this long, and revalidated at once by a sign-up.
const STATS_FRESH_FOR: Duration = Duration::from_secs(60);

/// Sign-ups per client address and minute: enough for people, not for scripts.
const SIGN_UPS_PER_MINUTE: NonZeroU32 = NonZeroU32::new(20).unwrap();

pub fn router() -> rpc::Router<Ctx> {
    rpc::Router::new()
        .mutation("newsletter.subscribe", subscribe)
        .rate_limit(RateLimit::per_minute(SIGN_UPS_PER_MINUTE))
        .revalidates(&[TAG])
        .cached_query("newsletter.stats", stats, Revalidate::every(STATS_FRESH_FOR).tags(|()| vec![TAG.into()]))
        .subscription("newsletter.watchStats", watch_stats)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct NewsletterStats {
    pub subscriber_count: u32,
}

/// Checked by the procedure layer before `subscribe` runs (`rpc::Valid`): a failed rule
/// answers 422 with its message under the field's name, for JSON calls and form posts alike.
#[derive(Debug, Deserialize, Type, Validate)]
#[serde(rename_all = "camelCase")]
pub struct Subscribe {
    #[serde(deserialize_with = "rpc::trimmed")]
    #[specta(type = String)]
    #[validate(email(message = "Enter a valid email address."))]
    pub email: String,
    #[serde(deserialize_with = "rpc::trimmed")]
    #[specta(type = String)]
    #[validate(length(min = 1, max = 100, message = "Enter a name of 1 to 100 characters."))]
    pub name: String,
}

#[derive(Debug, Serialize, Type)]
#[serde(tag = "code", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SubscribeError {
    AlreadySubscribed {
        email: String,
    },
    #[serde(skip)]
    Internal(Internal),
}

impl ProcedureError for SubscribeError {
    fn status(&self) -> StatusCode {
        match self {
            SubscribeError::AlreadySubscribed { .. } => StatusCode::CONFLICT,
            SubscribeError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// Counting failed: an internal error, details logged.
#[derive(Debug, Serialize, Type)]
pub struct StatsError(#[serde(skip)] Internal);

impl ProcedureError for StatsError {
    fn status(&self) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }
}

async fn stats(ctx: Ctx) -> Result<NewsletterStats, StatsError> {
    count(&ctx.state.db).await.map_err(|error| StatsError(error.into()))
}

async fn subscribe(ctx: Ctx, Valid(input): Valid<Subscribe>) -> Result<Subscriber, SubscribeError> {
    // One address, one subscription, however it is capitalised.
    let email = input.email.to_lowercase();
    let name = input.name;
    let db = &ctx.state.db;
    let created = db.subscriber().create(subscriber::Create::new(email.clone(), name)).await;
    let subscriber = created.map_err(|error| match error {
        DbError::UniqueViolation { .. } => SubscribeError::AlreadySubscribed { email },
        other => SubscribeError::Internal(other.into()),
    })?;
    // The sign-up succeeded; a failed recount only delays the live figure.
    match count(db).await {
        Ok(stats) => {
            ctx.state.newsletter.publish(stats);
            // Other server processes on the same PostgreSQL recount too (see `share_counts`).
            if let Err(error) = db.notify(SIGN_UPS, "").await {
                tracing::warn!(%error, "could not tell other processes about a sign-up");
            }
        }
        Err(error) => tracing::warn!(%error, "could not recount subscribers"),
    }
    Ok(subscriber)
}

/// The current figures, then each change.
async fn watch_stats(ctx: Ctx) -> Result<impl Stream<Item = NewsletterStats>, StatsError> {
    let current = count(&ctx.state.db).await.map_err(|error| StatsError(error.into()))?;
    let changes = ctx.state.newsletter.stats.subscribe();
    let later = stream::unfold(changes, |mut changes| async move {
        changes.changed().await.ok()?;
        let stats = *changes.borrow_and_update();
        Some((stats, changes))
    });
    Ok(stream::iter([current]).chain(later))
}

async fn count(db: &db::Db) -> Result<NewsletterStats, DbError> {
    let count = db.subscriber().count(vec![]).await?;
    Ok(NewsletterStats { subscriber_count: u32::try_from(count).unwrap_or(u32::MAX) })
}

/// The PostgreSQL channel on which processes announce sign-ups.
const SIGN_UPS: &str = "isthmus_sign_ups";

/// Keeps the live count of this process up to date with sign-ups in every process sharing the
/// database (PostgreSQL LISTEN/NOTIFY; nothing to share on SQLite).
pub async fn share_counts(db: &db::Db, events: Arc<NewsletterEvents>) -> Result<(), DbError> {
    let Some(mut sign_ups) = db.listen(SIGN_UPS).await? else { return Ok(()) };
    let db = db.clone();
    tokio::spawn(async move {
        while sign_ups.next().await.is_some() {
            match count(&db).await {
                Ok(stats) => events.publish(stats),
                Err(error) => tracing::warn!(%error, "could not recount subscribers"),
            }
        }
    });
    Ok(())
}

/// Live newsletter figures for subscriptions in this process.
pub struct NewsletterEvents {
    stats: watch::Sender<NewsletterStats>,
}

impl Default for NewsletterEvents {
    fn default() -> Self {
        NewsletterEvents { stats: watch::Sender::new(NewsletterStats { subscriber_count: 0 }) }
    }
}

impl NewsletterEvents {
    fn publish(&self, stats: NewsletterStats) {
        self.stats.send_replace(stats);
    }
}
