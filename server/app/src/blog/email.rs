//! Where the app's emails go: an email provider's HTTP API (Postmark-style), or, where none is
//! configured (development, a fresh clone), the log.

use std::time::Duration;

use fetch::{Fetch, FetchError, SecretString};
use serde::{Deserialize, Serialize};

use crate::configuration::{EmailApi, Environment};

/// One plain-text email.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
}

/// Cache tag of the provider's delivery figures: revalidating it fetches them again.
pub const DELIVERY_TAG: &str = "email-delivery";

/// The delivery figures are fetched from the provider at most this often.
const DELIVERY_FRESH_FOR: Duration = Duration::from_secs(60);

/// Sends the app's emails.
#[derive(Clone)]
pub enum Mailer {
    /// A Postmark-style API: `POST {url}/email` sends, `GET {url}/stats/outbound` counts.
    Provider { fetch: Fetch, url: String, token: SecretString, from: String },
    /// No provider: each email is written to the log, its body (links included) only in
    /// development: in production a confirmation link in a log is a credential.
    Log { with_body: bool },
}

/// What the provider reports of the emails it has taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub sent: u64,
    pub bounced: u64,
}

/// The provider's JSON for a message.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Message<'a> {
    from: &'a str,
    to: &'a str,
    subject: &'a str,
    text_body: &'a str,
    message_stream: &'static str,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct OutboundStats {
    sent: u64,
    bounced: u64,
}

impl Mailer {
    pub fn new(api: Option<&EmailApi>, from: &str, fetch: &Fetch, environment: Environment) -> Self {
        match api {
            Some(api) => Mailer::Provider {
                fetch: fetch.clone(),
                url: api.url.clone(),
                token: api.token.clone(),
                from: from.to_owned(),
            },
            None => Mailer::Log { with_body: environment == Environment::Development },
        }
    }

    /// Hands `email` to the provider (or the log). An error means it was not taken: the outbox
    /// tries again later.
    pub async fn send(&self, email: &Email) -> Result<(), FetchError> {
        match self {
            Mailer::Provider { fetch, url, token, from } => {
                let message = Message {
                    from,
                    to: &email.to,
                    subject: &email.subject,
                    text_body: &email.text,
                    message_stream: "outbound",
                };
                fetch.post(&format!("{url}/email")).bearer(token).json(&message).send().await?;
                Ok(())
            }
            Mailer::Log { with_body: true } => {
                tracing::info!(
                    to = email.to,
                    subject = email.subject,
                    "no email provider configured (ISTHMUS_EMAIL_API_URL); the email:\n{}",
                    email.text
                );
                Ok(())
            }
            Mailer::Log { with_body: false } => {
                tracing::warn!(
                    to = email.to,
                    subject = email.subject,
                    "no email provider configured (ISTHMUS_EMAIL_API_URL): email not sent"
                );
                Ok(())
            }
        }
    }

    /// The provider's delivery figures, fetched at most once a minute (tag [`DELIVERY_TAG`]);
    /// `None` without a provider.
    pub async fn delivery(&self) -> Result<Option<Delivery>, FetchError> {
        let Mailer::Provider { fetch, url, token, .. } = self else { return Ok(None) };
        let stats: OutboundStats = fetch
            .get(&format!("{url}/stats/outbound"))
            .bearer(token)
            .revalidate(DELIVERY_FRESH_FOR)
            .tags([DELIVERY_TAG])
            .send()
            .await?
            .json()?;
        Ok(Some(Delivery { sent: stats.sent, bounced: stats.bounced }))
    }
}
