//! Settings, read once at start-up from the environment.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use axum::http::{HeaderName, HeaderValue};
use fetch::{FetchConfig, SecretString};
use rpc::{ConnectionLimits, RpcConfig};

/// Everything configurable, as plain data. `startup` builds the running parts from it.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Where the server listens (`ISTHMUS_ADDRESS`, default `127.0.0.1:3000`; port 0 picks one).
    pub address: SocketAddr,
    /// The web build served at `/` (`ISTHMUS_WEB_DIR`, default `web/dist`).
    pub web_dir: PathBuf,
    /// The server bundle that renders pages (`ISTHMUS_SERVER_BUNDLE`, default
    /// `web/dist-server/entry-server.js`, written by the web build).
    pub server_bundle: PathBuf,
    /// Render worker threads (`ISTHMUS_RENDER_WORKERS`, default one per core).
    pub render_workers: Option<usize>,
    /// Connections served at once (`ISTHMUS_MAX_CONNECTIONS`, default 10,000; keep it below the
    /// process's file descriptor limit); more wait in the listen backlog.
    pub max_connections: usize,
    /// Seconds a client may take to send a request head, or stay idle between requests, before
    /// its connection is closed (`ISTHMUS_HEADER_TIMEOUT`, default 10).
    pub header_timeout: Duration,
    /// Seconds a write may wait for a client that stopped reading before its connection is
    /// closed (`ISTHMUS_WRITE_TIMEOUT`, default 30).
    pub write_timeout: Duration,
    /// Subscriptions one client address may hold open at once
    /// (`ISTHMUS_MAX_SUBSCRIPTIONS_PER_CLIENT`, default 16).
    pub max_subscriptions_per_client: usize,
    /// The `Content-Security-Policy` of every answer (`ISTHMUS_CONTENT_SECURITY_POLICY`,
    /// default [`DEFAULT_CONTENT_SECURITY_POLICY`](crate::security_headers::DEFAULT_CONTENT_SECURITY_POLICY)).
    pub content_security_policy: HeaderValue,
    /// The database (`DATABASE_URL`): `sqlite:path` (default `sqlite:data/isthmus.db`, created
    /// on first run) or `postgres://…`. A secret: it may hold the database's password.
    pub database_url: SecretString,
    /// Seconds an operation waits for a database connection, or for SQLite's write lock
    /// (`ISTHMUS_DATABASE_TIMEOUT`, default 10); past it the call answers 503 `UNAVAILABLE`.
    pub database_timeout: Duration,
    /// The site's public origin (`ISTHMUS_PUBLIC_ORIGIN`, e.g. `https://example.com`), the
    /// only one whose pages may call mutations, with `ISTHMUS_ALLOWED_ORIGINS` (comma-separated).
    /// Default: `http://<bound address>` and, on loopback, `http://localhost:<port>`.
    pub public_origin: Option<String>,
    pub allowed_origins: Vec<String>,
    /// Largest accepted request body (`ISTHMUS_BODY_LIMIT`, bytes, default 1 MiB).
    pub body_limit: usize,
    /// Seconds to wait for a whole request body before answering 408 (`ISTHMUS_BODY_TIMEOUT`,
    /// default 30).
    pub body_timeout: Duration,
    /// The header in which a trusted reverse proxy puts the client's address
    /// (`ISTHMUS_CLIENT_IP_HEADER`, e.g. `x-forwarded-for`); unset, only the connection's.
    pub client_ip_header: Option<HeaderName>,
    /// `ISTHMUS_ENV`: `production` (the default: nothing is seeded; authors are created with
    /// `isthmus-server author create`) or `development` (demo content on an empty database;
    /// `npm start` sets it). Production by default, so a forgotten variable never publishes
    /// demo content with a known author on a real site.
    pub environment: Environment,
    /// Write the bindings (`bindings/src/generated.ts`, `bindings/openapi.json`) at start-up
    /// where they differ from the procedures (`ISTHMUS_WRITE_BINDINGS=true`; `npm run dev`
    /// sets it): the dev loop regenerates them without linking a second binary.
    pub write_bindings: bool,
    /// Sessions end this many days after sign-in (`ISTHMUS_SESSION_DAYS`, default 30) …
    pub session_days: u32,
    /// … or after this many days without a request (`ISTHMUS_SESSION_IDLE_DAYS`, default 7).
    pub session_idle_days: u32,
    /// Seconds a call to an external service may take, retries included
    /// (`ISTHMUS_FETCH_TIMEOUT`, default 5).
    pub fetch_timeout: Duration,
    /// The email provider's API (`ISTHMUS_EMAIL_API_URL` and `ISTHMUS_EMAIL_API_TOKEN`, both or
    /// neither). Without one, emails are written to the log.
    pub email_api: Option<EmailApi>,
    /// The sender of the app's emails (`ISTHMUS_EMAIL_FROM`, default `newsletter@localhost`).
    pub email_from: String,
    /// The wait before an email's first retry, doubled for each next one
    /// (`ISTHMUS_OUTBOX_RETRY_SECONDS`, default 30; fractions allowed).
    pub outbox_retry: Duration,
}

/// A Postmark-style email API: `POST {url}/email`, `GET {url}/stats/outbound`, with
/// `Authorization: Bearer {token}`.
#[derive(Clone, Debug)]
pub struct EmailApi {
    pub url: String,
    pub token: SecretString,
}

/// Where the server runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

impl std::str::FromStr for Environment {
    type Err = ();

    fn from_str(text: &str) -> Result<Self, ()> {
        match text {
            "development" => Ok(Environment::Development),
            "production" => Ok(Environment::Production),
            _ => Err(()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{variable}={value:?} is not {expected}")]
    Invalid { variable: &'static str, value: String, expected: &'static str },
    #[error("{missing} is needed with {with}")]
    Missing { missing: &'static str, with: &'static str },
}

impl Settings {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Ok(Settings {
            address: parse(&lookup, "ISTHMUS_ADDRESS", "a socket address")?
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 3000))),
            database_url: lookup("DATABASE_URL").unwrap_or_else(|| "sqlite:data/isthmus.db".to_owned()).into(),
            database_timeout: parse::<Seconds>(&lookup, "ISTHMUS_DATABASE_TIMEOUT", "a number of seconds")?
                .map_or(isthmus_db_runtime::DEFAULT_TIMEOUT, |seconds| seconds.0),
            web_dir: lookup("ISTHMUS_WEB_DIR").map_or_else(|| PathBuf::from("web/dist"), PathBuf::from),
            server_bundle: lookup("ISTHMUS_SERVER_BUNDLE")
                .map_or_else(|| PathBuf::from("web/dist-server/entry-server.js"), PathBuf::from),
            render_workers: parse(&lookup, "ISTHMUS_RENDER_WORKERS", "a number of threads")?,
            body_timeout: parse(&lookup, "ISTHMUS_BODY_TIMEOUT", "a number of seconds")?
                .map_or(RpcConfig::default().body_timeout, Duration::from_secs),
            max_connections: parse(&lookup, "ISTHMUS_MAX_CONNECTIONS", "a number of connections")?
                .unwrap_or(ConnectionLimits::default().max_connections),
            header_timeout: parse(&lookup, "ISTHMUS_HEADER_TIMEOUT", "a number of seconds")?
                .map_or(ConnectionLimits::default().header_timeout, Duration::from_secs),
            write_timeout: parse(&lookup, "ISTHMUS_WRITE_TIMEOUT", "a number of seconds")?
                .map_or(ConnectionLimits::default().write_timeout, Duration::from_secs),
            max_subscriptions_per_client: parse(&lookup, "ISTHMUS_MAX_SUBSCRIPTIONS_PER_CLIENT", "a number")?
                .unwrap_or(RpcConfig::default().max_subscriptions_per_client),
            content_security_policy: parse(&lookup, "ISTHMUS_CONTENT_SECURITY_POLICY", "a header value")?
                .unwrap_or(HeaderValue::from_static(crate::security_headers::DEFAULT_CONTENT_SECURITY_POLICY)),
            public_origin: lookup("ISTHMUS_PUBLIC_ORIGIN"),
            allowed_origins: lookup("ISTHMUS_ALLOWED_ORIGINS")
                .map(|list| list.split(',').map(str::trim).filter(|o| !o.is_empty()).map(str::to_owned).collect())
                .unwrap_or_default(),
            body_limit: parse(&lookup, "ISTHMUS_BODY_LIMIT", "a size in bytes")?.unwrap_or(DEFAULT_BODY_LIMIT),
            client_ip_header: parse(&lookup, "ISTHMUS_CLIENT_IP_HEADER", "a header name")?,
            environment: parse(&lookup, "ISTHMUS_ENV", "development or production")?.unwrap_or(Environment::Production),
            write_bindings: parse(&lookup, "ISTHMUS_WRITE_BINDINGS", "true or false")?.unwrap_or(false),
            session_days: parse(&lookup, "ISTHMUS_SESSION_DAYS", "a number of days")?.unwrap_or(30),
            session_idle_days: parse(&lookup, "ISTHMUS_SESSION_IDLE_DAYS", "a number of days")?.unwrap_or(7),
            fetch_timeout: parse(&lookup, "ISTHMUS_FETCH_TIMEOUT", "a number of seconds")?
                .map_or(FetchConfig::default().timeout, Duration::from_secs),
            email_api: email_api(&lookup)?,
            email_from: lookup("ISTHMUS_EMAIL_FROM").unwrap_or_else(|| "newsletter@localhost".to_owned()),
            outbox_retry: parse::<Seconds>(&lookup, "ISTHMUS_OUTBOX_RETRY_SECONDS", "a number of seconds")?
                .map_or(Duration::from_secs(30), |seconds| seconds.0),
        })
    }
}

/// The token is read as it is, never parsed: [`ConfigError::Invalid`] quotes the value it refuses.
fn email_api(lookup: &impl Fn(&str) -> Option<String>) -> Result<Option<EmailApi>, ConfigError> {
    match (lookup("ISTHMUS_EMAIL_API_URL"), lookup("ISTHMUS_EMAIL_API_TOKEN")) {
        (Some(url), Some(token)) => {
            if !(url.starts_with("http://") || url.starts_with("https://")) || url.contains(char::is_whitespace) {
                return Err(ConfigError::Invalid {
                    variable: "ISTHMUS_EMAIL_API_URL",
                    value: url,
                    expected: "an http(s) URL",
                });
            }
            Ok(Some(EmailApi { url: url.trim_end_matches('/').to_owned(), token: token.into() }))
        }
        (None, None) => Ok(None),
        (Some(_), None) => {
            Err(ConfigError::Missing { missing: "ISTHMUS_EMAIL_API_TOKEN", with: "ISTHMUS_EMAIL_API_URL" })
        }
        (None, Some(_)) => {
            Err(ConfigError::Missing { missing: "ISTHMUS_EMAIL_API_URL", with: "ISTHMUS_EMAIL_API_TOKEN" })
        }
    }
}

const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// A duration in seconds, fractions allowed; not negative, not NaN.
struct Seconds(Duration);

impl std::str::FromStr for Seconds {
    type Err = ();

    fn from_str(text: &str) -> Result<Self, ()> {
        let seconds: f64 = text.parse().map_err(|_| ())?;
        Duration::try_from_secs_f64(seconds).map(Seconds).map_err(|_| ())
    }
}

fn parse<T: std::str::FromStr>(
    lookup: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    expected: &'static str,
) -> Result<Option<T>, ConfigError> {
    lookup(variable)
        .map(|value| value.parse().map_err(|_| ConfigError::Invalid { variable, value, expected }))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::Settings;

    #[test]
    fn defaults_apply_and_bad_values_are_named() {
        let settings = Settings::from_lookup(|_| None).unwrap();
        assert_eq!(settings.address.port(), 3000);
        assert_eq!(settings.body_limit, 1024 * 1024);

        let settings = Settings::from_lookup(|name| (name == "ISTHMUS_BODY_LIMIT").then(|| "2048".into())).unwrap();
        assert_eq!(settings.body_limit, 2048);

        let configured = Settings::from_lookup(|name| match name {
            "ISTHMUS_PUBLIC_ORIGIN" => Some("https://example.com".into()),
            "ISTHMUS_ALLOWED_ORIGINS" => Some("https://admin.example.com, ".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(configured.public_origin.as_deref(), Some("https://example.com"));
        assert_eq!(configured.allowed_origins, ["https://admin.example.com"]);

        let error = Settings::from_lookup(|name| (name == "ISTHMUS_ADDRESS").then(|| "nowhere".into())).unwrap_err();
        assert_eq!(error.to_string(), r#"ISTHMUS_ADDRESS="nowhere" is not a socket address"#);
    }
}
