//! Ending subscriptions when the server stops: a graceful shutdown waits for every response to
//! finish, and an event stream never finishes by itself.

use std::sync::Arc;

use tokio::sync::watch;

/// Tells the layer's open subscriptions that the server is stopping: each sends `event: end`
/// and closes, so a graceful shutdown is not held open by them. Cheap to clone.
///
/// ```
/// let shutdown = isthmus_rpc::Shutdown::default();
/// let config = isthmus_rpc::RpcConfig { shutdown: shutdown.clone(), ..Default::default() };
/// // … serve with `config`; then, on SIGTERM, before or while axum drains connections:
/// shutdown.trigger();
/// ```
#[derive(Clone, Debug, Default)]
pub struct Shutdown {
    stopping: Arc<watch::Sender<bool>>,
}

impl Shutdown {
    /// Ends every open subscription (and every one opened later).
    pub fn trigger(&self) {
        self.stopping.send_replace(true);
    }

    /// Resolves once [`trigger`](Self::trigger) has been called.
    pub(crate) fn triggered(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut stopping = self.stopping.subscribe();
        async move {
            // An error means every sender is gone: nobody can trigger it any more.
            if stopping.wait_for(|stopping| *stopping).await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}
