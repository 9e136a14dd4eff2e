//! PostgreSQL LISTEN/NOTIFY, for messages between server processes sharing one database
//! (cache invalidations). SQLite is one process's database: there is nothing to tell.

use futures_util::{StreamExt, stream::BoxStream};
use sqlx::postgres::PgListener;

use crate::{Db, DbError, connection::Pool};

impl Db {
    /// Sends `payload` to every listener of `channel` (PostgreSQL; a no-op on SQLite).
    pub async fn notify(&self, channel: &str, payload: &str) -> Result<(), DbError> {
        if let Pool::Postgres(pool) = &self.pool {
            sqlx::query("SELECT pg_notify($1, $2)").bind(channel).bind(payload).execute(pool).await?;
        }
        Ok(())
    }

    /// The payloads sent to `channel` from now on, by any process; `None` on SQLite.
    /// The listener reconnects by itself after a lost connection.
    pub async fn listen(&self, channel: &str) -> Result<Option<BoxStream<'static, String>>, DbError> {
        let Pool::Postgres(pool) = &self.pool else { return Ok(None) };
        let mut listener = PgListener::connect_with(pool).await?;
        listener.listen(channel).await?;
        Ok(Some(
            listener
                .into_stream()
                .filter_map(|notification| async move {
                    match notification {
                        Ok(notification) => Some(notification.payload().to_owned()),
                        Err(error) => {
                            tracing::warn!(%error, "notification listener error");
                            None
                        }
                    }
                })
                .boxed(),
        ))
    }
}
