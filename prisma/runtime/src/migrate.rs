//! Applying migrations in Prisma's layout (`prisma/migrations/<provider>/<name>/migration.sql`),
//! recorded in a `_prisma_migrations` table compatible with Prisma's.
//!
//! Each migration runs in one transaction with its bookkeeping row, so a failure leaves the
//! database as it was. On SQLite, foreign-key enforcement is switched off around the
//! transaction (the pragma is ignored inside one) and `PRAGMA foreign_key_check` must pass
//! before commit: table rebuilds must neither cascade deletes nor leave dangling references.
//! An applied migration whose file has changed is reported, never re-run.

use std::{borrow::Cow, collections::HashMap, path::Path};

use sha2::{Digest, Sha256};
use sqlx::{AssertSqlSafe, Connection, Executor, Row};

use crate::{Db, DbError, Provider, connection::Pool};

/// One migration: its folder name (`20261121093000_init`) and its SQL.
#[derive(Clone, Debug)]
pub struct Migration {
    /// The folder name: migrations sort by it, and the database records them under it.
    pub name: Cow<'static, str>,
    /// The contents of `migration.sql`, run as one script.
    pub sql: Cow<'static, str>,
}

impl Migration {
    /// SHA-256 of the SQL, hex-encoded, as Prisma records it.
    pub fn checksum(&self) -> String {
        Sha256::digest(self.sql.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// The migrations of both providers, as embedded by the generated client.
pub struct Migrations {
    /// Those of `prisma/migrations/sqlite`, in order.
    pub sqlite: &'static [Migration],
    /// Those of `prisma/migrations/postgresql`, in order.
    pub postgresql: &'static [Migration],
}

impl Migrations {
    /// The migrations for `provider`'s database; an error when the schema has none for it and
    /// some for the other (a schema with PostgreSQL-only types runs on PostgreSQL only).
    pub fn for_provider(&self, provider: Provider) -> Result<&'static [Migration], MigrateError> {
        let (own, other) = match provider {
            Provider::Sqlite => (self.sqlite, self.postgresql),
            Provider::Postgresql => (self.postgresql, self.sqlite),
        };
        if own.is_empty() && !other.is_empty() {
            return Err(MigrateError::WrongProvider { provider: provider.as_str() });
        }
        Ok(own)
    }
}

/// Why migrations could not be read, checked or applied.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// The migrations folder, or a `migration.sql` in it, could not be read.
    #[error("cannot read migrations from {path}: {message}")]
    Read {
        /// The migrations folder.
        path: String,
        /// The I/O error.
        message: String,
    },
    /// The schema has no migrations for this database's provider.
    #[error(
        "the schema has no {provider} migrations: it uses PostgreSQL-only types (@db.*, scalar lists); \
         connect to PostgreSQL"
    )]
    WrongProvider {
        /// The provider of the database.
        provider: &'static str,
    },
    /// An applied migration's SQL no longer matches the checksum recorded for it.
    #[error(
        "migration `{name}` was changed after it was applied (checksum differs); \
         restore its migration.sql and put the change in a new migration"
    )]
    Modified {
        /// The migration's folder name.
        name: String,
    },
    /// The database records a migration that the list does not have.
    #[error("migration `{name}` is recorded in the database but missing from the migrations folder")]
    Missing {
        /// The migration's recorded name.
        name: String,
    },
    /// A migration is recorded as started but not finished, as a failed or interrupted Prisma CLI run
    /// leaves it. This runtime records a migration only in the transaction that applies it.
    #[error("migration `{name}` was started but never finished; resolve it by hand before deploying")]
    Unfinished {
        /// The migration's folder name.
        name: String,
    },
    /// A migration's SQL failed; its transaction was rolled back and later migrations not run.
    #[error("migration `{name}` failed and was rolled back: {message}")]
    Failed {
        /// The migration's folder name.
        name: String,
        /// The database's error message.
        message: String,
    },
    /// On SQLite, `PRAGMA foreign_key_check` found dangling references after the migration,
    /// which was rolled back.
    #[error("migration `{name}` leaves foreign keys dangling and was rolled back")]
    ForeignKeyCheck {
        /// The migration's folder name.
        name: String,
    },
    /// The database failed outside a migration's own SQL: connecting, locking, bookkeeping.
    #[error(transparent)]
    Database(#[from] DbError),
}

/// Where a database stands against a list of migrations.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Status {
    /// Names of the migrations already applied, in list order.
    pub applied: Vec<String>,
    /// Names of the migrations still to apply, in the order `migrate` would run them.
    pub pending: Vec<String>,
}

/// Reads `dir/<name>/migration.sql` for every subfolder, in name order.
pub fn read_dir(dir: &Path) -> Result<Vec<Migration>, MigrateError> {
    let read_error =
        |error: std::io::Error| MigrateError::Read { path: dir.display().to_string(), message: error.to_string() };
    let mut names = Vec::new();
    if dir.exists() {
        for entry in std::fs::read_dir(dir).map_err(read_error)? {
            let entry = entry.map_err(read_error)?;
            if entry.path().join("migration.sql").is_file() {
                names.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
    }
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let sql = std::fs::read_to_string(dir.join(&name).join("migration.sql")).map_err(read_error)?;
            Ok(Migration { name: name.into(), sql: sql.into() })
        })
        .collect()
}

const SQLITE_TABLE: &str = r#"CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    TEXT PRIMARY KEY NOT NULL,
    "checksum"              TEXT NOT NULL,
    "finished_at"           DATETIME,
    "migration_name"        TEXT NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        DATETIME,
    "started_at"            DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count"   INTEGER UNSIGNED NOT NULL DEFAULT 0
)"#;

const POSTGRES_TABLE: &str = r#"CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)"#;

/// Serialises concurrent deploys of several processes on one PostgreSQL (Prisma's key).
const POSTGRES_LOCK_KEY: i64 = 72707369;

struct Applied {
    checksum: String,
    finished: bool,
}

impl Db {
    /// Applies the pending migrations in order; returns the names applied.
    pub async fn migrate(&self, migrations: &[Migration]) -> Result<Vec<String>, MigrateError> {
        match &self.pool {
            Pool::Sqlite(pool) => {
                let mut conn = pool.acquire().await.map_err(DbError::from)?;
                conn.execute(SQLITE_TABLE).await.map_err(DbError::from)?;
                let applied = applied(&mut *conn).await?;
                let pending = pending(migrations, &applied)?;
                for migration in &pending {
                    apply_sqlite(&mut conn, migration).await?;
                }
                Ok(pending.iter().map(|m| m.name.to_string()).collect())
            }
            Pool::Postgres(pool) => {
                let mut conn = pool.acquire().await.map_err(DbError::from)?;
                sqlx::query("SELECT pg_advisory_lock($1)")
                    .bind(POSTGRES_LOCK_KEY)
                    .execute(&mut *conn)
                    .await
                    .map_err(DbError::from)?;
                let result = async {
                    conn.execute(POSTGRES_TABLE).await.map_err(DbError::from)?;
                    let applied = applied(&mut *conn).await?;
                    let pending = pending(migrations, &applied)?;
                    for migration in &pending {
                        let mut tx = conn.begin().await.map_err(DbError::from)?;
                        if let Err(error) = sqlx::raw_sql(AssertSqlSafe(migration.sql.clone())).execute(&mut *tx).await
                        {
                            return Err(failed(migration, error));
                        }
                        record(&mut *tx, migration, Provider::Postgresql).await?;
                        tx.commit().await.map_err(DbError::from)?;
                        tracing::info!(migration = %migration.name, "applied migration");
                    }
                    Ok(pending.iter().map(|m| m.name.to_string()).collect())
                }
                .await;
                sqlx::query("SELECT pg_advisory_unlock($1)")
                    .bind(POSTGRES_LOCK_KEY)
                    .execute(&mut *conn)
                    .await
                    .map_err(DbError::from)?;
                result
            }
        }
    }

    /// Drops every table and view (PostgreSQL: the whole current schema, types and sequences
    /// too) with their data, and the migration history: what `cargo prisma migrate reset` does
    /// before applying the migrations again. There is no undo.
    pub async fn drop_everything(&self) -> Result<(), MigrateError> {
        match &self.pool {
            Pool::Sqlite(pool) => {
                let mut conn = pool.acquire().await.map_err(DbError::from)?;
                let objects: Vec<(String, String)> = sqlx::query_as(
                    "SELECT type, name FROM sqlite_schema WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'",
                )
                .fetch_all(&mut *conn)
                .await
                .map_err(DbError::from)?;
                // Dropped in any order: foreign keys would otherwise refuse a referenced table.
                conn.execute("PRAGMA foreign_keys = OFF").await.map_err(DbError::from)?;
                for (kind, name) in objects {
                    let kind = if kind == "view" { "VIEW" } else { "TABLE" };
                    let statement = format!("DROP {kind} IF EXISTS \"{}\"", name.replace('"', "\"\""));
                    sqlx::raw_sql(AssertSqlSafe(statement)).execute(&mut *conn).await.map_err(DbError::from)?;
                }
                conn.execute("PRAGMA foreign_keys = ON").await.map_err(DbError::from)?;
            }
            Pool::Postgres(pool) => {
                let mut conn = pool.acquire().await.map_err(DbError::from)?;
                let (schema,): (String,) =
                    sqlx::query_as("SELECT current_schema()").fetch_one(&mut *conn).await.map_err(DbError::from)?;
                let schema = schema.replace('"', "\"\"");
                let statement = format!("DROP SCHEMA \"{schema}\" CASCADE; CREATE SCHEMA \"{schema}\"");
                sqlx::raw_sql(AssertSqlSafe(statement)).execute(&mut *conn).await.map_err(DbError::from)?;
            }
        }
        Ok(())
    }

    /// Which migrations are applied and which pending; errors as `migrate` would.
    pub async fn migration_status(&self, migrations: &[Migration]) -> Result<Status, MigrateError> {
        let applied = match &self.pool {
            Pool::Sqlite(pool) => {
                let mut conn = pool.acquire().await.map_err(DbError::from)?;
                conn.execute(SQLITE_TABLE).await.map_err(DbError::from)?;
                applied(&mut *conn).await?
            }
            Pool::Postgres(pool) => {
                let mut conn = pool.acquire().await.map_err(DbError::from)?;
                conn.execute(POSTGRES_TABLE).await.map_err(DbError::from)?;
                applied(&mut *conn).await?
            }
        };
        let pending: Vec<String> = pending(migrations, &applied)?.iter().map(|m| m.name.to_string()).collect();
        let applied = migrations.iter().map(|m| m.name.to_string()).filter(|n| !pending.contains(n)).collect();
        Ok(Status { applied, pending })
    }
}

async fn applied<'c, E>(conn: E) -> Result<HashMap<String, Applied>, MigrateError>
where
    E: Executor<'c>,
    for<'r> String: sqlx::Decode<'r, E::Database> + sqlx::Type<E::Database>,
    for<'r> bool: sqlx::Decode<'r, E::Database> + sqlx::Type<E::Database>,
    for<'r> &'r str: sqlx::ColumnIndex<<E::Database as sqlx::Database>::Row>,
    <E::Database as sqlx::Database>::Arguments: sqlx::IntoArguments<E::Database>,
{
    let rows = sqlx::query(
        r#"SELECT "migration_name", "checksum", "finished_at" IS NOT NULL AS "finished"
           FROM "_prisma_migrations" WHERE "rolled_back_at" IS NULL"#,
    )
    .fetch_all(conn)
    .await
    .map_err(DbError::from)?;
    rows.iter()
        .map(|row| {
            let name: String = row.try_get("migration_name").map_err(DbError::from)?;
            let checksum: String = row.try_get("checksum").map_err(DbError::from)?;
            let finished: bool = row.try_get("finished").map_err(DbError::from)?;
            Ok((name, Applied { checksum, finished }))
        })
        .collect()
}

fn pending<'m>(
    migrations: &'m [Migration],
    applied: &HashMap<String, Applied>,
) -> Result<Vec<&'m Migration>, MigrateError> {
    for name in applied.keys() {
        if !migrations.iter().any(|m| m.name == name.as_str()) {
            return Err(MigrateError::Missing { name: name.clone() });
        }
    }
    let mut pending = Vec::new();
    for migration in migrations {
        match applied.get(migration.name.as_ref()) {
            None => pending.push(migration),
            Some(record) if !record.finished => {
                return Err(MigrateError::Unfinished { name: migration.name.to_string() });
            }
            Some(record) if record.checksum != migration.checksum() => {
                return Err(MigrateError::Modified { name: migration.name.to_string() });
            }
            Some(_) => {}
        }
    }
    Ok(pending)
}

async fn apply_sqlite(conn: &mut sqlx::SqliteConnection, migration: &Migration) -> Result<(), MigrateError> {
    conn.execute("PRAGMA foreign_keys = OFF").await.map_err(DbError::from)?;
    let outcome = async {
        let mut tx = conn.begin().await.map_err(DbError::from)?;
        if let Err(error) = sqlx::raw_sql(AssertSqlSafe(migration.sql.clone())).execute(&mut *tx).await {
            return Err(failed(migration, error));
        }
        let dangling = sqlx::query("PRAGMA foreign_key_check").fetch_all(&mut *tx).await.map_err(DbError::from)?;
        if !dangling.is_empty() {
            return Err(MigrateError::ForeignKeyCheck { name: migration.name.to_string() });
        }
        record(&mut *tx, migration, Provider::Sqlite).await?;
        tx.commit().await.map_err(DbError::from)?;
        Ok(())
    }
    .await;
    conn.execute("PRAGMA foreign_keys = ON").await.map_err(DbError::from)?;
    outcome?;
    tracing::info!(migration = %migration.name, "applied migration");
    Ok(())
}

fn failed(migration: &Migration, error: sqlx::Error) -> MigrateError {
    let message = match &error {
        sqlx::Error::Database(database) => database.message().to_owned(),
        other => other.to_string(),
    };
    MigrateError::Failed { name: migration.name.to_string(), message }
}

async fn record<'c, E: Executor<'c>>(conn: E, migration: &Migration, provider: Provider) -> Result<(), MigrateError>
where
    <E::Database as sqlx::Database>::Arguments: sqlx::IntoArguments<E::Database>,
    for<'q> String: sqlx::Encode<'q, E::Database> + sqlx::Type<E::Database>,
{
    let now = match provider {
        Provider::Sqlite => "current_timestamp",
        Provider::Postgresql => "now()",
    };
    let statements = migration.sql.split(';').filter(|s| !s.trim().is_empty()).count().to_string();
    let sql = format!(
        r#"INSERT INTO "_prisma_migrations" ("id", "checksum", "migration_name", "started_at", "finished_at", "applied_steps_count")
           VALUES ({p1}, {p2}, {p3}, {now}, {now}, CAST({p4} AS INTEGER))"#,
        p1 = placeholder(provider, 1),
        p2 = placeholder(provider, 2),
        p3 = placeholder(provider, 3),
        p4 = placeholder(provider, 4),
    );
    // Only placeholders and a clock function are formatted in; the values are bound.
    sqlx::query(AssertSqlSafe(sql))
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(migration.checksum())
        .bind(migration.name.to_string())
        .bind(statements)
        .execute(conn)
        .await
        .map_err(DbError::from)?;
    Ok(())
}

fn placeholder(provider: Provider, index: usize) -> String {
    match provider {
        Provider::Sqlite => "?".to_owned(),
        Provider::Postgresql => format!("${index}"),
    }
}
