//! Assembling the application: the database (migrated), procedures under `/rpc`, the web
//! build everywhere else.

use std::{
    io,
    net::SocketAddr,
    path::{Path, PathBuf},
};

use axum::{
    extract::Request,
    http::StatusCode,
    routing::{MethodRouter, any},
};
use db::{Conn, Db, DbError, MIGRATIONS, MigrateError};
use fetch::{Fetch, FetchConfig, SecretString, StartError};
use futures_util::StreamExt;
use render::{Engine, EngineConfig, EngineError, PagesOptions, Template, TemplateError};
use rpc::{ConnectionLimits, InvalidOrigin, LocalQueries, OriginPolicy, ResponseCache, RpcConfig, Shutdown};
use secrecy::ExposeSecret;
use tokio::net::TcpListener;
use tower_http::services::ServeDir;

use crate::{
    bindings,
    configuration::{Environment, Settings},
    context::{AppState, Ctx},
    procedures, routes, security_headers,
};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot open the database: {0}")]
    Database(#[from] DbError),
    #[error("cannot migrate the database, which is left as it was: {0}")]
    Migrate(#[from] MigrateError),
    #[error("cannot listen: {0}")]
    Io(#[from] io::Error),
    #[error("invalid origin configuration: {0}")]
    Origin(#[from] InvalidOrigin),
    #[error("cannot read the web build: {0}")]
    WebBuild(#[from] WebBuildError),
    #[error(transparent)]
    Fetch(#[from] StartError),
    #[error("cannot describe the procedures for the explorer: {0}")]
    Explorer(#[from] rpc::ExportError),
}

/// The web build is there but cannot serve pages.
#[derive(Debug, thiserror::Error)]
pub enum WebBuildError {
    #[error("{path}: {error}")]
    Read { path: PathBuf, error: io::Error },
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error(transparent)]
    Engine(#[from] EngineError),
}

pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    limits: ConnectionLimits,
    shutdown: Shutdown,
}

impl Application {
    /// Opens and migrates the database and binds the listener; nothing is served until
    /// [`Application::run_until_stopped`].
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let db = migrated(&settings.database_url, settings.database_timeout).await?;
        let listener = TcpListener::bind(settings.address).await?;
        let config = RpcConfig {
            body_limit: settings.body_limit,
            body_timeout: settings.body_timeout,
            client_ip_header: settings.client_ip_header.clone(),
            max_subscriptions_per_client: settings.max_subscriptions_per_client,
            origins: origin_policy(&settings, listener.local_addr()?)?,
            ..RpcConfig::default()
        };
        let shutdown = config.shutdown.clone();
        let public_origin = config.origins.public().unwrap_or_default().to_owned();
        let cache = ResponseCache::new(CACHE_ENTRIES);
        share_invalidations(&db, &cache).await?;
        let fetch = Fetch::new(FetchConfig { timeout: settings.fetch_timeout, ..FetchConfig::default() })?;
        // One `revalidate_tag` drops cached upstream answers too, in every process.
        let upstream = fetch.clone();
        cache.on_invalidate(move |tag| upstream.invalidate_tag(tag));
        let state = AppState::start(db, cache.clone(), fetch, &settings, public_origin.clone()).await?;
        let pages =
            pages(&settings, procedures::router().local_queries(state.clone(), &config), &cache, &public_origin)?;
        let https = config.origins.is_https();
        let mut router = router(config, state, pages);
        if settings.environment == Environment::Development {
            router = router.merge(rpc::explorer(bindings::openapi()?));
        }
        let router = security_headers::apply(router, settings.content_security_policy.clone(), https);
        let limits = ConnectionLimits {
            max_connections: settings.max_connections,
            header_timeout: settings.header_timeout,
            write_timeout: settings.write_timeout,
        };
        Ok(Application { listener, router, limits, shutdown })
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until Ctrl-C or SIGTERM, then ends open subscriptions and lets in-flight
    /// requests finish.
    pub async fn run_until_stopped(self) -> io::Result<()> {
        let shutdown = self.shutdown;
        let stopping = async move {
            shutdown_signal().await;
            shutdown.trigger();
        };
        // Connection addresses (`ConnectInfo`) key the rate limits.
        rpc::serve(self.listener, self.router, self.limits, stopping).await
    }
}

/// Who may call mutations, once the listening address is known: the configured public origin,
/// or the bound address (and `localhost` on loopback).
fn origin_policy(settings: &Settings, bound: SocketAddr) -> Result<OriginPolicy, InvalidOrigin> {
    let extra = settings.allowed_origins.iter().map(String::as_str);
    match &settings.public_origin {
        Some(public) => OriginPolicy::new(public, extra),
        None => {
            let localhost = bound.ip().is_loopback().then(|| format!("http://localhost:{}", bound.port()));
            OriginPolicy::new(&format!("http://{bound}"), extra.chain(localhost.as_deref()))
        }
    }
}

/// Bound of the query result cache, in entries.
const CACHE_ENTRIES: usize = 10_000;

/// The PostgreSQL channel on which processes tell each other which cache tags to drop.
const REVALIDATE_CHANNEL: &str = "isthmus_revalidate";

/// Several processes on one PostgreSQL: a tag revalidated in one is dropped in all. (SQLite
/// belongs to one process; nothing to share.)
async fn share_invalidations(db: &Db, cache: &ResponseCache) -> Result<(), StartupError> {
    let Some(mut tags) = db.listen(REVALIDATE_CHANNEL).await? else { return Ok(()) };
    let receiver = cache.clone();
    tokio::spawn(async move {
        while let Some(tag) = tags.next().await {
            receiver.invalidate_local(&tag);
        }
    });
    let db = db.clone();
    cache.on_revalidate(move |tag| {
        let (db, tag) = (db.clone(), tag.to_owned());
        tokio::spawn(async move {
            if let Err(error) = db.notify(REVALIDATE_CHANNEL, &tag).await {
                tracing::warn!(%error, tag, "could not tell other processes to revalidate");
            }
        });
    });
    Ok(())
}

/// Connects and applies pending migrations; a failed migration leaves the database as it
/// was and stops start-up.
pub async fn open_database(url: &SecretString) -> Result<Db, StartupError> {
    migrated(url, isthmus_db_runtime::DEFAULT_TIMEOUT).await
}

/// [`open_database`], waiting at most `timeout` for a connection or a lock.
async fn migrated(url: &SecretString, timeout: std::time::Duration) -> Result<Db, StartupError> {
    let db = Db::connect_with_timeout(url.expose_secret(), timeout).await?;
    let applied = db.migrate(MIGRATIONS.for_provider(db.provider())?).await?;
    if !applied.is_empty() {
        tracing::info!(?applied, "applied migrations");
    }
    Ok(db)
}

/// Procedures under `/rpc`, the plain routes, the web build's files, and every other path a
/// page rendered on the server.
fn router(config: RpcConfig, state: AppState, pages: Pages) -> axum::Router {
    procedures::router()
        .into_axum(state.clone(), config)
        .merge(routes::router().with_state(state))
        .fallback_service(pages)
}

/// Everything that is not a procedure or a plain route: the web build's files, and pages.
type Pages = ServeDir<MethodRouter>;

/// The web build's files and, for every other path, the page renderer: the build's
/// `index.html` as the template, its server bundle, data from the procedures. Without a web
/// build (tests of procedures only), pages answer 503 and say so.
fn pages(
    settings: &Settings,
    queries: LocalQueries<Ctx, AppState>,
    results: &ResponseCache,
    public_origin: &str,
) -> Result<Pages, WebBuildError> {
    // Files only: `/` and every other page path are rendered, never answered with index.html.
    let files = ServeDir::new(&settings.web_dir).append_index_html_on_directories(false);
    let index = settings.web_dir.join("index.html");
    if !index.exists() || !settings.server_bundle.exists() {
        tracing::warn!(web = %settings.web_dir.display(), bundle = %settings.server_bundle.display(), "no web build found; run `npm run build -w web`");
        return Ok(files.fallback(any(|| async {
            (StatusCode::SERVICE_UNAVAILABLE, "No web build: run `npm run build -w web`.")
        })));
    }
    let read = |path: &Path| {
        std::fs::read_to_string(path).map_err(|error| WebBuildError::Read { path: path.to_owned(), error })
    };
    let template = Template::parse(&read(&index)?)?;
    let mut engine = EngineConfig::default();
    if let Some(workers) = settings.render_workers {
        engine.workers = workers;
    }
    let engine = Engine::start(&read(&settings.server_bundle)?, engine)?;
    let pages = render::Pages::new(engine, queries, template, results, PagesOptions::new(public_origin));
    Ok(files.fallback(any(move |request: Request| pages.clone().serve(request))))
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}

#[cfg(test)]
mod tests {
    use super::{Settings, origin_policy};

    #[test]
    fn mutations_come_from_the_bound_address_unless_a_public_origin_is_configured() {
        let bound = "127.0.0.1:4000".parse().unwrap();
        let default = origin_policy(&Settings::from_lookup(|_| None).unwrap(), bound).unwrap();
        assert_eq!(default.public(), Some("http://127.0.0.1:4000"));
        assert!(default.allows("http://localhost:4000"), "localhost on loopback");
        assert!(!default.allows("http://localhost:4001"));

        let settings = Settings::from_lookup(|name| match name {
            "ISTHMUS_PUBLIC_ORIGIN" => Some("https://example.com".into()),
            "ISTHMUS_ALLOWED_ORIGINS" => Some("https://admin.example.com, ".into()),
            _ => None,
        })
        .unwrap();
        let configured = origin_policy(&settings, bound).unwrap();
        assert_eq!(configured.public(), Some("https://example.com"));
        assert!(configured.is_https());
        assert!(configured.allows("https://admin.example.com"));
        assert!(!configured.allows("http://127.0.0.1:4000"), "the bound address no longer");
    }
}
