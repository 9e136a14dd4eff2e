use std::{future::Future, pin::Pin, sync::Arc, time::Duration};

use sea_query::{PostgresQueryBuilder, SqliteQueryBuilder};
use sea_query_sqlx::{SqlxBinder, SqlxValues};
// Statements come from sea-query with every value bound, hence `AssertSqlSafe`.
use futures_util::TryStreamExt;
use sqlx::{
    AssertSqlSafe, PgPool, Postgres, Sqlite, SqlitePool, Transaction,
    postgres::{PgConnectOptions, PgPoolOptions},
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};
use tokio::sync::Mutex;

use crate::{DbError, DbRow};

/// Which database a connection talks to; decides SQL dialect and value encodings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Provider {
    /// SQLite, through a database file.
    Sqlite,
    /// PostgreSQL, through a server.
    Postgresql,
}

impl Provider {
    /// The name used in `schema.prisma` and in `prisma/migrations/<provider>`.
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Sqlite => "sqlite",
            Provider::Postgresql => "postgresql",
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A pool of connections to the database named by a URL: `sqlite:path/to/file.db` (or
/// `file:…`; the file and its directory are created when missing) or `postgres://…`.
#[derive(Clone, Debug)]
pub struct Db {
    pub(crate) pool: Pool,
}

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where generated queries run: a [`Db`] or a [`Tx`].
pub trait Conn: Send + Sync {
    /// The backend behind this connection, which picks the SQL dialect.
    fn provider(&self) -> Provider;
    #[doc(hidden)]
    fn fetch(&self, sql: String, values: SqlxValues) -> BoxFuture<'_, Result<Vec<DbRow>, DbError>>;
    #[doc(hidden)]
    fn fetch_first(&self, sql: String, values: SqlxValues) -> BoxFuture<'_, Result<Option<DbRow>, DbError>>;
    #[doc(hidden)]
    fn run(&self, sql: String, values: SqlxValues) -> BoxFuture<'_, Result<u64, DbError>>;
}

fn build(conn: &impl Conn, statement: &impl SqlxBinder) -> (String, SqlxValues) {
    match conn.provider() {
        Provider::Sqlite => statement.build_sqlx(SqliteQueryBuilder),
        Provider::Postgresql => statement.build_sqlx(PostgresQueryBuilder),
    }
}

/// Runs a statement; returns every row it produced.
pub async fn fetch_all(conn: &impl Conn, statement: &impl SqlxBinder) -> Result<Vec<DbRow>, DbError> {
    let (sql, values) = build(conn, statement);
    conn.fetch(sql, values).await
}

/// Runs a statement; returns its first row, if any (without the row stream `fetch_all` sets
/// up: a single-row read such as an aggregate costs about a third less on the client side).
/// Put a `LIMIT` in the statement when more than one row can match.
pub async fn fetch_optional(conn: &impl Conn, statement: &impl SqlxBinder) -> Result<Option<DbRow>, DbError> {
    let (sql, values) = build(conn, statement);
    conn.fetch_first(sql, values).await
}

/// Runs a statement; returns the number of rows it affected.
pub async fn execute(conn: &impl Conn, statement: &impl SqlxBinder) -> Result<u64, DbError> {
    let (sql, values) = build(conn, statement);
    conn.run(sql, values).await
}

/// How long an operation waits for a connection, or for SQLite's write lock, by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

impl Db {
    /// Opens a pool on `url`: `postgres://…`/`postgresql://…`, or a SQLite file as
    /// `sqlite:path`, `file:path` or a plain path (any other `scheme://` is refused), with
    /// [`DEFAULT_TIMEOUT`].
    pub async fn connect(url: &str) -> Result<Db, DbError> {
        Db::connect_with_timeout(url, DEFAULT_TIMEOUT).await
    }

    /// [`connect`](Db::connect), waiting at most `timeout` for a connection of the pool and,
    /// on SQLite, for another writer's lock (the busy timeout); past it an operation fails
    /// with [`DbError::Unavailable`]. On SQLite, foreign keys are enforced and the journal is
    /// WAL with `synchronous = FULL`: a committed transaction is on disk before the commit
    /// returns, so an acknowledged write survives the process being killed and the machine
    /// losing power (NORMAL would survive only the former, for one fsync less per commit).
    pub async fn connect_with_timeout(url: &str, timeout: Duration) -> Result<Db, DbError> {
        let pool = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            // Times are bound without a zone; the session's zone must not shift them.
            let options = url.parse::<PgConnectOptions>()?.options([("TimeZone", "UTC")]);
            Pool::Postgres(PgPoolOptions::new().acquire_timeout(timeout).connect_with(options).await?)
        } else if let Some((scheme, _)) =
            url.split_once("://").filter(|(scheme, _)| !matches!(*scheme, "sqlite" | "file"))
        {
            return Err(DbError::UnsupportedUrl { scheme: scheme.to_owned() });
        } else {
            let path = url.trim_start_matches("sqlite:").trim_start_matches("file:").trim_start_matches("//");
            if let Some(parent) = std::path::Path::new(path).parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(|e| DbError::Other(sqlx::Error::Io(e)))?;
            }
            let options = SqliteConnectOptions::new()
                .filename(path)
                .create_if_missing(true)
                .foreign_keys(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(timeout);
            Pool::Sqlite(SqlitePoolOptions::new().acquire_timeout(timeout).connect_with(options).await?)
        };
        Ok(Db { pool })
    }

    /// Runs `work` in a transaction: committed when it returns `Ok`, rolled back otherwise.
    pub async fn transaction<T, E, F, Fut>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(Tx) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: From<DbError>,
    {
        let inner = match &self.pool {
            // IMMEDIATE takes SQLite's write lock up front, waiting out other writers (the
            // busy timeout). A deferred transaction that reads, then writes, fails at once with
            // "database is locked" when another connection wrote meanwhile: it cannot wait.
            Pool::Sqlite(pool) => TxInner::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await.map_err(DbError::from)?),
            Pool::Postgres(pool) => TxInner::Postgres(pool.begin().await.map_err(DbError::from)?),
        };
        let provider = self.provider();
        let shared = Arc::new(Mutex::new(Some(inner)));
        let result = work(Tx { provider, inner: shared.clone() }).await;
        let inner = shared.lock().await.take().ok_or(DbError::Other(sqlx::Error::PoolClosed))?;
        match (&result, inner) {
            (Ok(_), TxInner::Sqlite(tx)) => tx.commit().await.map_err(DbError::from)?,
            (Ok(_), TxInner::Postgres(tx)) => tx.commit().await.map_err(DbError::from)?,
            // The work's error is the one to report; a failed rollback (the connection is gone,
            // and the transaction with it) is only logged.
            (Err(_), TxInner::Sqlite(tx)) => {
                if let Err(error) = tx.rollback().await {
                    tracing::warn!(%error, "rolling back a failed transaction failed");
                }
            }
            (Err(_), TxInner::Postgres(tx)) => {
                if let Err(error) = tx.rollback().await {
                    tracing::warn!(%error, "rolling back a failed transaction failed");
                }
            }
        }
        result
    }

    /// Asks the database a trivial question: `Ok` when it answers (a readiness check).
    pub async fn ping(&self) -> Result<(), DbError> {
        match &self.pool {
            Pool::Sqlite(pool) => sqlx::query("SELECT 1").execute(pool).await.map(drop)?,
            Pool::Postgres(pool) => sqlx::query("SELECT 1").execute(pool).await.map(drop)?,
        }
        Ok(())
    }

    /// The raw-SQL escape hatch: the pool of the running backend.
    pub fn sqlite_pool(&self) -> Option<&SqlitePool> {
        match &self.pool {
            Pool::Sqlite(pool) => Some(pool),
            Pool::Postgres(_) => None,
        }
    }

    /// The PostgreSQL pool, or `None` on SQLite; see [`Db::sqlite_pool`].
    pub fn postgres_pool(&self) -> Option<&PgPool> {
        match &self.pool {
            Pool::Postgres(pool) => Some(pool),
            Pool::Sqlite(_) => None,
        }
    }

    /// Closes the pool: later queries fail, and this waits until connections in use are returned
    /// and closed.
    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite(pool) => pool.close().await,
            Pool::Postgres(pool) => pool.close().await,
        }
    }
}

impl Conn for Db {
    fn provider(&self) -> Provider {
        match self.pool {
            Pool::Sqlite(_) => Provider::Sqlite,
            Pool::Postgres(_) => Provider::Postgresql,
        }
    }

    fn fetch(&self, sql: String, values: SqlxValues) -> BoxFuture<'_, Result<Vec<DbRow>, DbError>> {
        Box::pin(async move {
            Ok(match &self.pool {
                Pool::Sqlite(pool) => {
                    sqlx::query_with(AssertSqlSafe(sql), values).fetch(pool).map_ok(DbRow::Sqlite).try_collect().await?
                }
                Pool::Postgres(pool) => {
                    sqlx::query_with(AssertSqlSafe(sql), values)
                        .fetch(pool)
                        .map_ok(DbRow::Postgres)
                        .try_collect()
                        .await?
                }
            })
        })
    }

    fn fetch_first(&self, sql: String, values: SqlxValues) -> BoxFuture<'_, Result<Option<DbRow>, DbError>> {
        Box::pin(async move {
            Ok(match &self.pool {
                Pool::Sqlite(pool) => {
                    sqlx::query_with(AssertSqlSafe(sql), values).fetch_optional(pool).await?.map(DbRow::Sqlite)
                }
                Pool::Postgres(pool) => {
                    sqlx::query_with(AssertSqlSafe(sql), values).fetch_optional(pool).await?.map(DbRow::Postgres)
                }
            })
        })
    }

    fn run(&self, sql: String, values: SqlxValues) -> BoxFuture<'_, Result<u64, DbError>> {
        Box::pin(async move {
            Ok(match &self.pool {
                Pool::Sqlite(pool) => sqlx::query_with(AssertSqlSafe(sql), values).execute(pool).await?.rows_affected(),
                Pool::Postgres(pool) => {
                    sqlx::query_with(AssertSqlSafe(sql), values).execute(pool).await?.rows_affected()
                }
            })
        })
    }
}

enum TxInner {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// An open transaction, handed to the closure of [`Db::transaction`]. Cheap to clone; its
/// statements run one at a time.
#[derive(Clone)]
pub struct Tx {
    provider: Provider,
    inner: Arc<Mutex<Option<TxInner>>>,
}

impl Conn for Tx {
    fn provider(&self) -> Provider {
        self.provider
    }

    fn fetch(&self, sql: String, values: SqlxValues) -> BoxFuture<'_, Result<Vec<DbRow>, DbError>> {
        Box::pin(async move {
            let mut guard = self.inner.lock().await;
            Ok(match guard.as_mut().ok_or(DbError::Other(sqlx::Error::PoolClosed))? {
                TxInner::Sqlite(tx) => sqlx::query_with(AssertSqlSafe(sql), values)
                    .fetch_all(&mut **tx)
                    .await?
                    .into_iter()
                    .map(DbRow::Sqlite)
                    .collect(),
                TxInner::Postgres(tx) => sqlx::query_with(AssertSqlSafe(sql), values)
                    .fetch_all(&mut **tx)
                    .await?
                    .into_iter()
                    .map(DbRow::Postgres)
                    .collect(),
            })
        })
    }

    fn fetch_first(&self, sql: String, values: SqlxValues) -> BoxFuture<'_, Result<Option<DbRow>, DbError>> {
        Box::pin(async move {
            let mut guard = self.inner.lock().await;
            Ok(match guard.as_mut().ok_or(DbError::Other(sqlx::Error::PoolClosed))? {
                TxInner::Sqlite(tx) => {
                    sqlx::query_with(AssertSqlSafe(sql), values).fetch_optional(&mut **tx).await?.map(DbRow::Sqlite)
                }
                TxInner::Postgres(tx) => {
                    sqlx::query_with(AssertSqlSafe(sql), values).fetch_optional(&mut **tx).await?.map(DbRow::Postgres)
                }
            })
        })
    }

    fn run(&self, sql: String, values: SqlxValues) -> BoxFuture<'_, Result<u64, DbError>> {
        Box::pin(async move {
            let mut guard = self.inner.lock().await;
            Ok(match guard.as_mut().ok_or(DbError::Other(sqlx::Error::PoolClosed))? {
                TxInner::Sqlite(tx) => {
                    sqlx::query_with(AssertSqlSafe(sql), values).execute(&mut **tx).await?.rows_affected()
                }
                TxInner::Postgres(tx) => {
                    sqlx::query_with(AssertSqlSafe(sql), values).execute(&mut **tx).await?.rows_affected()
                }
            })
        })
    }
}
