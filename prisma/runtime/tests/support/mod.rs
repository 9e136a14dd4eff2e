//! Real SQLite files and fresh PostgreSQL databases for the runtime's tests; a missing
//! PostgreSQL fails loudly.

use isthmus_db_runtime::{Db, Provider};

pub struct TestDb {
    pub db: Db,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

impl TestDb {
    pub async fn new(provider: Provider) -> TestDb {
        match provider {
            Provider::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let db = Db::connect(&format!("sqlite:{}", dir.path().join("test.db").display())).await.unwrap();
                TestDb { db, _dir: Some(dir), postgres: None }
            }
            Provider::Postgresql => {
                static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
                let admin = std::env::var("ISTHMUS_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
                let name = format!("isthmus_runtime_{}_{}", std::process::id(), NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
                let server = Db::connect(&admin).await.unwrap_or_else(|e| panic!("PostgreSQL at {admin} is required: {e}"));
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\""))).execute(server.postgres_pool().unwrap()).await.unwrap();
                server.close().await;
                let db = Db::connect(&format!("{}/{name}", admin.rsplit_once('/').unwrap().0)).await.unwrap();
                TestDb { db, _dir: None, postgres: Some((admin, name)) }
            }
        }
    }

    /// Runs SQL directly (test set-up and inspection).
    pub async fn raw(&self, sql: &str) {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        match (self.db.sqlite_pool(), self.db.postgres_pool()) {
            (Some(pool), _) => sqlx::raw_sql(sql).execute(pool).await.map(drop).unwrap(),
            (_, Some(pool)) => sqlx::raw_sql(sql).execute(pool).await.map(drop).unwrap(),
            _ => unreachable!(),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.postgres.take() {
            std::thread::spawn(move || {
                tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async move {
                    let server = Db::connect(&admin).await.unwrap();
                    let sql = sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
                    sqlx::raw_sql(sql).execute(server.postgres_pool().unwrap()).await.unwrap();
                    server.close().await;
                })
            })
            .join()
            .unwrap();
        }
    }
}
