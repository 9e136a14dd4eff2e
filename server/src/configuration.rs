//! Settings, read once at start-up from the environment.

use std::{net::SocketAddr, path::PathBuf};

use crate::rpc::{InvalidOrigin, OriginPolicy, RpcConfig};

#[derive(Clone, Debug)]
pub struct Settings {
    /// Where the server listens (`ISTHMUS_ADDRESS`, default `127.0.0.1:3000`; port 0 picks one).
    pub address: SocketAddr,
    /// The web build served at `/` (`ISTHMUS_WEB_DIR`, default `web/dist`).
    pub web_dir: PathBuf,
    /// The database (`DATABASE_URL`): `sqlite:path` (default `sqlite:data/isthmus.db`, created
    /// on first run) or `postgres://…`.
    pub database_url: String,
    /// The site's public origin (`ISTHMUS_PUBLIC_ORIGIN`, e.g. `https://example.com`), the
    /// only one whose pages may call mutations, with `ISTHMUS_ALLOWED_ORIGINS` (comma-separated).
    /// Default: `http://<bound address>` and, on loopback, `http://localhost:<port>`.
    pub public_origin: Option<String>,
    pub allowed_origins: Vec<String>,
    /// Procedure-layer limits (`ISTHMUS_BODY_LIMIT` in bytes, default 1 MiB) and the client
    /// address header of a trusted reverse proxy (`ISTHMUS_CLIENT_IP_HEADER`).
    pub rpc: RpcConfig,
}

#[derive(Debug, thiserror::Error)]
#[error("{variable}={value:?} is not {expected}")]
pub struct ConfigError {
    variable: &'static str,
    value: String,
    expected: &'static str,
}

impl Settings {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let defaults = RpcConfig::default();
        Ok(Settings {
            address: parse(&lookup, "ISTHMUS_ADDRESS", "a socket address")?
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 3000))),
            database_url: lookup("DATABASE_URL").unwrap_or_else(|| "sqlite:data/isthmus.db".to_owned()),
            web_dir: lookup("ISTHMUS_WEB_DIR").map_or_else(|| PathBuf::from("web/dist"), PathBuf::from),
            public_origin: lookup("ISTHMUS_PUBLIC_ORIGIN"),
            allowed_origins: lookup("ISTHMUS_ALLOWED_ORIGINS")
                .map(|list| list.split(',').map(str::trim).filter(|o| !o.is_empty()).map(str::to_owned).collect())
                .unwrap_or_default(),
            rpc: RpcConfig {
                body_limit: parse(&lookup, "ISTHMUS_BODY_LIMIT", "a size in bytes")?
                    .unwrap_or(defaults.body_limit),
                client_ip_header: parse(&lookup, "ISTHMUS_CLIENT_IP_HEADER", "a header name")?,
                ..defaults
            },
        })
    }
}

impl Settings {
    /// Who may call mutations, once the listening address is known.
    pub fn origin_policy(&self, bound: SocketAddr) -> Result<OriginPolicy, InvalidOrigin> {
        let extra = self.allowed_origins.iter().map(String::as_str);
        match &self.public_origin {
            Some(public) => OriginPolicy::new(public, extra),
            None => {
                let localhost = bound.ip().is_loopback().then(|| format!("http://localhost:{}", bound.port()));
                OriginPolicy::new(&format!("http://{bound}"), extra.chain(localhost.as_deref()))
            }
        }
    }
}

fn parse<T: std::str::FromStr>(
    lookup: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    expected: &'static str,
) -> Result<Option<T>, ConfigError> {
    lookup(variable)
        .map(|value| value.parse().map_err(|_| ConfigError { variable, value, expected }))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::Settings;

    #[test]
    fn defaults_apply_and_bad_values_are_named() {
        let settings = Settings::from_lookup(|_| None).unwrap();
        assert_eq!(settings.address.port(), 3000);
        assert_eq!(settings.rpc.body_limit, 1024 * 1024);

        let settings = Settings::from_lookup(|name| (name == "ISTHMUS_BODY_LIMIT").then(|| "2048".into())).unwrap();
        assert_eq!(settings.rpc.body_limit, 2048);

        let bound = "127.0.0.1:4000".parse().unwrap();
        let policy = settings.origin_policy(bound).unwrap();
        assert_eq!(policy.public(), Some("http://127.0.0.1:4000"));
        let configured = Settings::from_lookup(|name| match name {
            "ISTHMUS_PUBLIC_ORIGIN" => Some("https://example.com".into()),
            "ISTHMUS_ALLOWED_ORIGINS" => Some("https://admin.example.com, ".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(configured.origin_policy(bound).unwrap().public(), Some("https://example.com"));
        assert!(configured.origin_policy(bound).unwrap().is_https());

        let error = Settings::from_lookup(|name| (name == "ISTHMUS_ADDRESS").then(|| "nowhere".into())).unwrap_err();
        assert_eq!(error.to_string(), r#"ISTHMUS_ADDRESS="nowhere" is not a socket address"#);
    }
}
