//! Assembling the application: procedures under `/rpc`, the web build everywhere else.

use std::{io, net::SocketAddr};

use tokio::net::TcpListener;
use tower_http::services::{ServeDir, ServeFile};

use crate::{configuration::Settings, context::AppState, procedures};

pub struct Application {
    listener: TcpListener,
    router: axum::Router,
}

impl Application {
    /// Binds the listener; nothing is served until [`Application::run_until_stopped`].
    pub async fn build(settings: Settings) -> io::Result<Self> {
        let listener = TcpListener::bind(settings.address).await?;
        Ok(Application { listener, router: router(&settings, AppState::default()) })
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until Ctrl-C or SIGTERM, then lets in-flight requests finish.
    pub async fn run_until_stopped(self) -> io::Result<()> {
        axum::serve(self.listener, self.router).with_graceful_shutdown(shutdown_signal()).await
    }
}

pub fn router(settings: &Settings, state: AppState) -> axum::Router {
    let index = settings.web_dir.join("index.html");
    if !index.exists() {
        tracing::warn!(path = %index.display(), "no web build found; run `npm run build`");
    }
    // Client-side routes fall back to index.html; the router in the page takes over.
    let web = ServeDir::new(&settings.web_dir).fallback(ServeFile::new(index));
    procedures::router().into_axum(state, settings.rpc.clone()).fallback_service(web)
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
