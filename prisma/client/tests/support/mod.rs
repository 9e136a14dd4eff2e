//! Real databases for the client suite: a SQLite file in a temporary directory, and a fresh
//! database on the PostgreSQL at `ISTHMUS_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`), dropped afterwards. A missing PostgreSQL
//! fails the suite: it is never skipped.

use std::sync::atomic::{AtomicU32, Ordering};

use db::{Db, MIGRATIONS, Provider};
use isthmus_db_runtime::Conn;

pub struct TestDb {
    pub db: Db,
    cleanup: Cleanup,
}

enum Cleanup {
    /// Holds the directory of the database file until the test ends.
    Sqlite { _dir: tempfile::TempDir },
    Postgres { admin_url: String, name: String },
}

pub fn admin_url() -> String {
    std::env::var("ISTHMUS_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A database name unique to this process and call.
pub fn unique_name(prefix: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!("{prefix}_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

impl TestDb {
    pub async fn new(provider: Provider) -> TestDb {
        let test = Self::empty(provider).await;
        test.db.migrate(MIGRATIONS.for_provider(provider)).await.expect("migrations apply");
        test
    }

    /// A database without migrations applied.
    pub async fn empty(provider: Provider) -> TestDb {
        match provider {
            Provider::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let db = Db::connect(&format!("sqlite:{}", dir.path().join("test.db").display())).await.unwrap();
                TestDb { db, cleanup: Cleanup::Sqlite { _dir: dir } }
            }
            Provider::Postgresql => {
                let admin_url = admin_url();
                let name = unique_name("isthmus_client");
                let admin = Db::connect(&admin_url)
                    .await
                    .unwrap_or_else(|e| panic!("PostgreSQL at {admin_url} is required for these tests: {e}"));
                let pool = admin.postgres_pool().unwrap();
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\""))).execute(pool).await.unwrap();
                admin.close().await;
                let url = format!("{}/{name}", admin_url.rsplit_once('/').unwrap().0);
                let db = Db::connect(&url).await.unwrap();
                TestDb { db, cleanup: Cleanup::Postgres { admin_url, name } }
            }
        }
    }

    pub fn provider(&self) -> Provider {
        self.db.provider()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Cleanup::Postgres { admin_url, name } = &self.cleanup {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Drop cannot await: a thread with its own runtime drops the database, and FORCE ends
            // the test's connections, which live on the (now blocked) test runtime.
            std::thread::spawn(move || {
                tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async move {
                    let admin = Db::connect(&admin_url).await.unwrap();
                    let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                    sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(admin.postgres_pool().unwrap()).await.unwrap();
                    admin.close().await;
                })
            })
            .join()
            .expect("the test database is dropped");
        }
    }
}

/// Runs each test body once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident($test:ident) $body:block)*) => {
        mod sqlite {
            use super::*;
            $(#[tokio::test] async fn $name() { let $test = support::TestDb::new(db::Provider::Sqlite).await; $body })*
        }
        mod postgresql {
            use super::*;
            $(#[tokio::test] async fn $name() { let $test = support::TestDb::new(db::Provider::Postgresql).await; $body })*
        }
    };
}
