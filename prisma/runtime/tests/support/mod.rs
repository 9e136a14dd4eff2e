//! The runtime's tests run on real databases (`testing::TempDatabase`).

use isthmus_db_runtime::{Db, Provider, testing::TempDatabase};

pub(crate) struct TestDb {
    pub db: Db,
    _temp: TempDatabase,
}

impl TestDb {
    pub(crate) async fn new(provider: Provider) -> TestDb {
        let temp = TempDatabase::create(provider).await;
        let db = Db::connect(temp.url()).await.unwrap();
        TestDb { db, _temp: temp }
    }

    /// Runs SQL directly (test set-up and inspection).
    pub(crate) async fn raw(&self, sql: &str) {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        match (self.db.sqlite_pool(), self.db.postgres_pool()) {
            (Some(pool), _) => sqlx::raw_sql(sql).execute(pool).await.map(drop).unwrap(),
            (_, Some(pool)) => sqlx::raw_sql(sql).execute(pool).await.map(drop).unwrap(),
            _ => unreachable!(),
        }
    }
}
