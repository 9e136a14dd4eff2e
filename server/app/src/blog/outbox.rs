//! The outbox: emails are written to the database in the same transaction as what they
//! announce, and a background task hands them to the provider. A sign-up is never lost to a
//! provider that is down or slow, and no request waits on the provider.
//!
//! The task wakes when a request queues an email ([`Outbox::wake`]), when a retry falls due,
//! and at least every [`IDLE_POLL`] (emails queued by another process, claims of a sender
//! that died). Each email is claimed before it is sent — its attempt count is raised and its
//! next attempt pushed past twice the send's deadline plus [`CLAIM_MARGIN`] in one
//! conditional update — so processes sharing a
//! database never send it together. A failed email is tried again after the configured base
//! wait doubled per attempt (at most an hour, at least the provider's `Retry-After`), until
//! [`MAX_ATTEMPTS`]; then it is marked failed and stays for an operator. Delivery is at least
//! once: a process that dies between the provider's answer and the delete leaves the email to
//! be sent again once its claim runs out.

use std::{sync::Arc, time::Duration};

use db::{Client, DbError, OutboxEmail, SortOrder, outbox_email};
use isthmus_db_runtime::chrono::{self, DateTime, Utc};
use tokio::sync::Notify;

use super::email::{Email, Mailer};

/// Attempts before an email is marked failed: with the default 30 s base, about three hours
/// of retries (30 s, 1, 2, 4, 8, 16 and 32 min, then hourly).
const MAX_ATTEMPTS: i32 = 10;

/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);

/// How long a claimed email is left to its sender before another may take it, beyond the
/// send's deadline.
const CLAIM_MARGIN: Duration = Duration::from_secs(60);

/// The task looks for due emails at least this often.
const IDLE_POLL: Duration = Duration::from_secs(60);

/// Emails sent per pass; a pass that fills it is followed by another at once.
const BATCH: u64 = 50;

/// Queues `email` with `client`: the database, or the transaction that writes what it
/// announces. Call [`Outbox::wake`] once committed.
pub async fn enqueue(client: &impl Client, email: Email) -> Result<(), DbError> {
    client.outbox_email().create(outbox_email::Create::new(email.to, email.subject, email.text)).await?;
    Ok(())
}

/// The sending side of the outbox. Cheap to clone.
#[derive(Clone)]
pub struct Outbox {
    db: db::Db,
    mailer: Mailer,
    /// The wait before an email's first retry.
    retry_base: Duration,
    /// How long a claim holds an email for its sender.
    claim: Duration,
    wake: Arc<Notify>,
}

impl Outbox {
    /// `send_deadline`: the longest a send can take (the HTTP client's timeout).
    pub fn new(db: db::Db, mailer: Mailer, retry_base: Duration, send_deadline: Duration) -> Self {
        let claim = send_deadline.saturating_mul(2) + CLAIM_MARGIN;
        Outbox { db, mailer, retry_base, claim, wake: Arc::default() }
    }

    /// Tells the task that an email was queued (a wake while it is sending is not lost).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Starts the background task.
    pub fn start(&self) {
        let outbox = self.clone();
        tokio::spawn(async move {
            loop {
                let wait = match outbox.send_due(Utc::now()).await {
                    Ok(wait) => wait,
                    Err(error) => {
                        tracing::warn!(%error, "the outbox could not read its emails");
                        IDLE_POLL
                    }
                };
                tokio::select! {
                    () = outbox.wake.notified() => {}
                    () = tokio::time::sleep(wait) => {}
                }
            }
        });
    }

    /// Sends every email due at `now`; how long until the next one falls due.
    async fn send_due(&self, now: DateTime<Utc>) -> Result<Duration, DbError> {
        loop {
            let due = self
                .db
                .outbox_email()
                .find_many(vec![outbox_email::failed_at().equals(None), outbox_email::next_attempt_at().lte(now)])
                .order_by(outbox_email::next_attempt_at().order(SortOrder::Asc))
                .take(BATCH)
                .exec()
                .await?;
            let full = due.len() as u64 == BATCH;
            for email in due {
                if self.claim(&email, Utc::now()).await? {
                    self.send(email).await?;
                }
            }
            if !full {
                break;
            }
        }
        let next = self
            .db
            .outbox_email()
            .find_first(vec![outbox_email::failed_at().equals(None)])
            .order_by(outbox_email::next_attempt_at().order(SortOrder::Asc))
            .exec()
            .await?;
        let until_next = next.first().map_or(IDLE_POLL, |email| {
            (email.next_attempt_at - Utc::now()).to_std().unwrap_or_default().min(IDLE_POLL)
        });
        Ok(until_next)
    }

    /// Takes `email` for this sender, unless another took it since it was read.
    async fn claim(&self, email: &OutboxEmail, now: DateTime<Utc>) -> Result<bool, DbError> {
        let claimed = self
            .db
            .outbox_email()
            .update_many(
                vec![outbox_email::id().equals(email.id), outbox_email::attempts().equals(email.attempts)],
                vec![
                    outbox_email::attempts().set(email.attempts + 1),
                    outbox_email::next_attempt_at()
                        .set(now + chrono::Duration::from_std(self.claim).unwrap_or_default()),
                ],
            )
            .await?;
        Ok(claimed == 1)
    }

    async fn send(&self, email: OutboxEmail) -> Result<(), DbError> {
        let attempt = email.attempts + 1;
        let id = email.id;
        let message = Email { to: email.recipient, subject: email.subject, text: email.text_body };
        let outbox = self.db.outbox_email();
        match self.mailer.send(&message).await {
            Ok(()) => {
                outbox.delete_many(vec![outbox_email::id().equals(id)]).await?;
                tracing::info!(id, attempt, "email sent");
            }
            Err(error) if attempt >= MAX_ATTEMPTS => {
                tracing::error!(id, attempt, %error, "email not sent after its last attempt; marked failed");
                let failed =
                    vec![outbox_email::failed_at().set(Utc::now()), outbox_email::last_error().set(error.to_string())];
                outbox.update_many(vec![outbox_email::id().equals(id)], failed).await?;
            }
            Err(error) => {
                let wait = self.backoff(attempt).max(retry_after(&error));
                tracing::warn!(id, attempt, %error, retry_in_s = wait.as_secs_f64(), "email not sent; will retry");
                let next = Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default();
                let retry =
                    vec![outbox_email::next_attempt_at().set(next), outbox_email::last_error().set(error.to_string())];
                outbox.update_many(vec![outbox_email::id().equals(id)], retry).await?;
            }
        }
        Ok(())
    }

    /// The wait after failed attempt `attempt` (1 for the first).
    fn backoff(&self, attempt: i32) -> Duration {
        let doublings = u32::try_from(attempt - 1).unwrap_or(0).min(16);
        self.retry_base.saturating_mul(1 << doublings).min(MAX_BACKOFF)
    }
}

fn retry_after(error: &fetch::FetchError) -> Duration {
    match error {
        fetch::FetchError::Unavailable { retry_after: Some(after) } => (*after).min(MAX_BACKOFF),
        _ => Duration::ZERO,
    }
}
