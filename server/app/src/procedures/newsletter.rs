//! The newsletter: sign-up with double opt-in (the reader confirms from a link sent by email,
//! through the outbox), live figures of confirmed readers, and the email provider's delivery
//! figures for authors (an upstream read cached for a minute).

use std::{num::NonZeroU32, sync::Arc, time::Duration};

use axum::http::StatusCode;
use db::{Client, DbError, subscriber};
use fetch::FetchError;
use futures_util::{Stream, StreamExt, stream};
use isthmus_db_runtime::chrono::{self, Utc};
use rpc::{Internal, ProcedureError, RateLimit, Revalidate, Valid};
use serde::{Deserialize, Serialize};
use specta::Type;
use tokio::sync::watch;
use validator::Validate;

use crate::{
    blog::{
        email::{DELIVERY_TAG, Email},
        outbox,
        token::{self, token_hash},
    },
    context::{AuthorCtx, Ctx},
    procedures::auth::require_author,
};

/// Cache tag of everything derived from the subscriber list.
const TAG: &str = "newsletter";

/// The count is served from the cache for this long, and revalidated at once by a confirmation.
const STATS_FRESH_FOR: Duration = Duration::from_secs(60);

/// Sign-ups and confirmations per client address and minute: enough for people, not for scripts.
const SIGN_UPS_PER_MINUTE: NonZeroU32 = NonZeroU32::new(20).unwrap();

/// A confirmation link works this long; unconfirmed sign-ups are pruned after it.
pub const CONFIRM_WITHIN: chrono::Duration = chrono::Duration::hours(48);

/// Signing up again while unconfirmed re-sends the email, at most this often.
const RESEND_AFTER: chrono::Duration = chrono::Duration::minutes(10);

pub fn router() -> rpc::Router<Ctx> {
    let for_authors = rpc::Router::new()
        .query("newsletter.delivery", delivery)
        .mutation("newsletter.refreshDelivery", refresh_delivery)
        .guard(require_author);
    rpc::Router::new()
        .mutation("newsletter.subscribe", subscribe)
        .mutation("newsletter.confirm", confirm)
        .rate_limit(RateLimit::per_minute(SIGN_UPS_PER_MINUTE))
        .cached_query("newsletter.stats", stats, Revalidate::every(STATS_FRESH_FOR).tags(|()| vec![TAG.into()]))
        .subscription("newsletter.watchStats", watch_stats)
        .merge(for_authors)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct NewsletterStats {
    /// Confirmed readers.
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

/// A sign-up waiting for its reader: the confirmation email is on its way.
#[derive(Debug, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct PendingConfirmation {
    pub email: String,
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
    const STATUSES: &'static [StatusCode] = &[StatusCode::CONFLICT];

    fn status(&self) -> StatusCode {
        match self {
            SubscribeError::AlreadySubscribed { .. } => StatusCode::CONFLICT,
            SubscribeError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn internal(&self) -> Option<&Internal> {
        match self {
            SubscribeError::Internal(internal) => Some(internal),
            _ => None,
        }
    }
}

impl From<DbError> for SubscribeError {
    fn from(error: DbError) -> Self {
        SubscribeError::Internal(error.into())
    }
}

/// The token from the confirmation link.
#[derive(Debug, Deserialize, Type, Validate)]
pub struct Confirm {
    #[validate(length(min = 1, max = 200, message = "The link is incomplete."))]
    pub token: String,
}

#[derive(Debug, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Confirmed {
    pub email: String,
    pub name: String,
}

#[derive(Debug, Serialize, Type)]
#[serde(tag = "code", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ConfirmError {
    /// No sign-up waits for this token: mistyped, or already used.
    UnknownToken,
    /// The link is older than 48 hours: sign up again for a new one.
    Expired,
    #[serde(skip)]
    Internal(Internal),
}

impl ProcedureError for ConfirmError {
    const STATUSES: &'static [StatusCode] = &[StatusCode::NOT_FOUND, StatusCode::GONE];

    fn status(&self) -> StatusCode {
        match self {
            ConfirmError::UnknownToken => StatusCode::NOT_FOUND,
            ConfirmError::Expired => StatusCode::GONE,
            ConfirmError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn internal(&self) -> Option<&Internal> {
        match self {
            ConfirmError::Internal(internal) => Some(internal),
            _ => None,
        }
    }
}

impl From<DbError> for ConfirmError {
    fn from(error: DbError) -> Self {
        ConfirmError::Internal(error.into())
    }
}

/// Counting failed: an internal error, details logged.
#[derive(Debug, Serialize, Type)]
pub struct StatsError(#[serde(skip)] Internal);

impl ProcedureError for StatsError {
    const STATUSES: &'static [StatusCode] = &[];

    fn status(&self) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }

    fn internal(&self) -> Option<&Internal> {
        Some(&self.0)
    }
}

/// The email provider's figures, or that there is none (emails go to the log).
#[derive(Debug, Serialize, Type)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Delivery {
    #[serde(rename_all = "camelCase")]
    Provider {
        sent: u32,
        bounced: u32,
    },
    NoProvider,
}

#[derive(Debug, Serialize, Type)]
#[serde(tag = "code", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DeliveryError {
    /// The provider did not answer in time, or said it cannot now: try again later.
    ProviderUnavailable,
    #[serde(skip)]
    Internal(Internal),
}

impl ProcedureError for DeliveryError {
    const STATUSES: &'static [StatusCode] = &[StatusCode::SERVICE_UNAVAILABLE];

    fn status(&self) -> StatusCode {
        match self {
            DeliveryError::ProviderUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            DeliveryError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn internal(&self) -> Option<&Internal> {
        match self {
            DeliveryError::Internal(internal) => Some(internal),
            _ => None,
        }
    }
}

impl From<FetchError> for DeliveryError {
    fn from(error: FetchError) -> Self {
        match error {
            FetchError::Timeout | FetchError::Unavailable { .. } => {
                tracing::warn!(%error, "the email provider's figures are unavailable");
                DeliveryError::ProviderUnavailable
            }
            // The provider answered something we do not understand, or refused our token:
            // ours to fix, not the reader's.
            other => DeliveryError::Internal(Internal::from(other)),
        }
    }
}

async fn stats(ctx: Ctx) -> Result<NewsletterStats, StatsError> {
    count(&ctx.state.db).await.map_err(|error| StatsError(error.into()))
}

/// What a sign-up did.
enum SignUp {
    /// A confirmation email was queued.
    Queued(PendingConfirmation),
    /// One went out less than ten minutes ago (or a concurrent sign-up of the address is
    /// sending one): nothing more is sent.
    AlreadySent(PendingConfirmation),
}

async fn subscribe(ctx: Ctx, Valid(input): Valid<Subscribe>) -> Result<PendingConfirmation, SubscribeError> {
    // One address, one subscription, however it is capitalised.
    let email = input.email.to_lowercase();
    let name = input.name;
    let origin = ctx.state.public_origin.clone();
    let now = Utc::now();
    let pending = PendingConfirmation { email: email.clone(), name: name.clone() };
    let signed_up = ctx
        .state
        .db
        .transaction(|tx| async move {
            let existing = tx.subscriber().find_unique(subscriber::UniqueWhere::Email(email.clone())).first().await?;
            if let Some(existing) = &existing {
                if existing.confirmed_at.is_some() {
                    return Err(SubscribeError::AlreadySubscribed { email });
                }
                if existing.confirmation_sent_at.is_some_and(|sent| now < sent + RESEND_AFTER) {
                    return Ok(SignUp::AlreadySent(pending));
                }
            }
            let token = token::random();
            let pending_token = vec![
                subscriber::name().set(name.clone()),
                subscriber::confirm_token_hash().set(Some(token_hash(&token))),
                subscriber::confirm_expires_at().set(Some(now + CONFIRM_WITHIN)),
                subscriber::confirmation_sent_at().set(Some(now)),
            ];
            match existing {
                Some(existing) => {
                    tx.subscriber().update(subscriber::UniqueWhere::Id(existing.id), pending_token).await?;
                }
                None => {
                    let create = subscriber::Create {
                        confirm_token_hash: Some(token_hash(&token)),
                        confirm_expires_at: Some(now + CONFIRM_WITHIN),
                        confirmation_sent_at: Some(now),
                        ..subscriber::Create::new(email.clone(), name.clone())
                    };
                    match tx.subscriber().create(create).await {
                        Ok(_) => {}
                        Err(DbError::UniqueViolation { .. }) => return Ok(SignUp::AlreadySent(pending)),
                        Err(other) => return Err(other.into()),
                    }
                }
            }
            outbox::enqueue(&tx, confirmation_email(&origin, &email, &name, &token)).await?;
            Ok(SignUp::Queued(pending))
        })
        .await?;
    match signed_up {
        SignUp::Queued(pending) => {
            ctx.state.outbox.wake();
            Ok(pending)
        }
        SignUp::AlreadySent(pending) => Ok(pending),
    }
}

fn confirmation_email(origin: &str, to: &str, name: &str, token: &str) -> Email {
    Email {
        to: to.to_owned(),
        subject: "Confirm your subscription".to_owned(),
        text: format!(
            "Hello {name},\n\nsomeone, hopefully you, asked to receive the Isthmus newsletter at this address. \
             To confirm, open this link within 48 hours and press the button:\n\n{origin}/newsletter/confirm?token={token}\n\n\
             If it was not you, ignore this email: nothing is sent without your confirmation.\n"
        ),
    }
}

async fn confirm(ctx: Ctx, Valid(input): Valid<Confirm>) -> Result<Confirmed, ConfirmError> {
    let db = &ctx.state.db;
    let hash = token_hash(&input.token);
    let found = db.subscriber().find_unique(subscriber::UniqueWhere::ConfirmTokenHash(hash.clone())).first().await?;
    let Some(found) = found else { return Err(ConfirmError::UnknownToken) };
    let now = Utc::now();
    if found.confirm_expires_at.is_none_or(|expires| now >= expires) {
        return Err(ConfirmError::Expired);
    }
    // Single use: only the request that clears the token confirms.
    let confirmed = db
        .subscriber()
        .update_many(
            vec![subscriber::id().equals(found.id), subscriber::confirm_token_hash().equals(Some(hash))],
            vec![
                subscriber::confirmed_at().set(Some(now)),
                subscriber::confirm_token_hash().set(None),
                subscriber::confirm_expires_at().set(None),
            ],
        )
        .await?;
    if confirmed != 1 {
        return Err(ConfirmError::UnknownToken);
    }
    ctx.state.cache.revalidate_tag(TAG);
    recount(&ctx).await;
    Ok(Confirmed { email: found.email, name: found.name })
}

/// Publishes the new count here and tells other processes; a failure only delays the live figure.
async fn recount(ctx: &Ctx) {
    let db = &ctx.state.db;
    match count(db).await {
        Ok(stats) => {
            ctx.state.newsletter.publish(stats);
            // Other server processes on the same PostgreSQL recount too (see `share_counts`).
            if let Err(error) = db.notify(SIGN_UPS, "").await {
                tracing::warn!(%error, "could not tell other processes about a confirmation");
            }
        }
        Err(error) => tracing::warn!(%error, "could not recount subscribers"),
    }
}

/// Deletes sign-ups whose confirmation link expired unused.
pub async fn prune_unconfirmed(db: &db::Db, now: chrono::DateTime<Utc>) -> Result<u64, DbError> {
    db.subscriber()
        .delete_many(vec![subscriber::confirmed_at().equals(None), subscriber::confirm_expires_at().lt(Some(now))])
        .await
}

async fn delivery(ctx: AuthorCtx) -> Result<Delivery, DeliveryError> {
    let figures = ctx.state.mailer.delivery().await?;
    let clamp = |count: u64| u32::try_from(count).unwrap_or(u32::MAX);
    Ok(figures.map_or(Delivery::NoProvider, |figures| Delivery::Provider {
        sent: clamp(figures.sent),
        bounced: clamp(figures.bounced),
    }))
}

/// Drops the cached figures (here and in other processes) and fetches them anew.
async fn refresh_delivery(ctx: AuthorCtx) -> Result<Delivery, DeliveryError> {
    ctx.state.cache.revalidate_tag(DELIVERY_TAG);
    delivery(ctx).await
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
    let count = db.subscriber().count(vec![subscriber::confirmed_at().not(None)]).await?;
    Ok(NewsletterStats { subscriber_count: u32::try_from(count).unwrap_or(u32::MAX) })
}

/// The PostgreSQL channel on which processes announce confirmations.
const SIGN_UPS: &str = "isthmus_sign_ups";

/// Keeps the live count of this process up to date with confirmations in every process sharing the
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
