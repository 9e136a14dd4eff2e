//! Real databases for tests (feature `testing`): a SQLite file in a temporary directory, or
//! a fresh database on the PostgreSQL at `ISTHMUS_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`), dropped when the value is. A missing
//! PostgreSQL panics: a test that needs it fails, it is never skipped.

use std::sync::atomic::{AtomicU32, Ordering};

use crate::{Db, Provider};

/// One test's database. Open it with `Db::connect(temp.url())`.
pub struct TempDatabase {
    url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    /// Holds the directory of the database file until the test ends.
    Sqlite {
        _dir: tempfile::TempDir,
    },
    Postgres {
        admin_url: String,
        name: String,
    },
}

/// The PostgreSQL server tests create their databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("ISTHMUS_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

impl TempDatabase {
    /// A new, empty database: a file path in a fresh temporary directory for SQLite (the file
    /// appears on first connect), a newly created database for PostgreSQL. Panics on failure.
    pub async fn create(provider: Provider) -> TempDatabase {
        match provider {
            Provider::Sqlite => {
                let dir = tempfile::tempdir().expect("a temporary directory");
                let url = format!("sqlite:{}", dir.path().join("test.db").display());
                TempDatabase { url, cleanup: Cleanup::Sqlite { _dir: dir } }
            }
            Provider::Postgresql => {
                static NEXT: AtomicU32 = AtomicU32::new(0);
                let name = format!("isthmus_test_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
                let admin_url = postgres_admin_url();
                run_on(&admin_url, format!("CREATE DATABASE \"{name}\"")).await;
                let url = format!("{}/{name}", admin_url.rsplit_once('/').expect("a database URL names a database").0);
                TempDatabase { url, cleanup: Cleanup::Postgres { admin_url, name } }
            }
        }
    }

    /// The URL to open it with.
    pub fn url(&self) -> &str {
        &self.url
    }
}

async fn run_on(admin_url: &str, sql: String) {
    let admin = Db::connect(admin_url)
        .await
        .unwrap_or_else(|error| panic!("PostgreSQL at {admin_url} is required for these tests: {error}"));
    let pool = admin.postgres_pool().expect("the admin URL is a PostgreSQL URL");
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(pool).await.expect("the admin statement runs");
    admin.close().await;
}

impl Drop for TempDatabase {
    fn drop(&mut self) {
        if let Cleanup::Postgres { admin_url, name } = &self.cleanup {
            let (admin_url, sql) = (admin_url.clone(), format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
            // Drop cannot await, and may run on a test runtime that is blocked here: a thread
            // with its own runtime drops the database; FORCE ends connections still open.
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
                runtime.block_on(run_on(&admin_url, sql));
            })
            .join()
            .expect("the test database is dropped");
        }
    }
}

/// A migrated database for one test, on either backend: what generated clients are tested on.
pub struct TestDb {
    /// The pool on the test's database.
    pub db: Db,
    _temp: TempDatabase,
}

impl TestDb {
    /// A fresh database of `provider` with `migrations` applied. Panics on failure.
    pub async fn new(provider: Provider, migrations: &crate::migrate::Migrations) -> TestDb {
        let temp = TempDatabase::create(provider).await;
        let db = Db::connect(temp.url()).await.expect("the test database opens");
        db.migrate(migrations.for_provider(provider).expect("the schema runs on this provider"))
            .await
            .expect("the migrations apply");
        TestDb { db, _temp: temp }
    }
}

/// Runs each test body once on SQLite and once on PostgreSQL, on a fresh database migrated
/// with `migrations`: `on_both_backends! { migrations = MIGRATIONS; name(db) { … } }`.
#[macro_export]
macro_rules! on_both_backends {
    (migrations = $migrations:expr; $($name:ident($db:ident) $body:block)*) => {
        mod sqlite {
            use super::*;
            $(#[tokio::test] async fn $name() {
                let test = $crate::testing::TestDb::new($crate::Provider::Sqlite, &$migrations).await;
                let $db = &test.db;
                $body
            })*
        }
        mod postgresql {
            use super::*;
            $(#[tokio::test] async fn $name() {
                let test = $crate::testing::TestDb::new($crate::Provider::Postgresql, &$migrations).await;
                let $db = &test.db;
                $body
            })*
        }
    };
}
