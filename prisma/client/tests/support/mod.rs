//! The client suite runs on real databases (`testing::TempDatabase`), migrated.

use db::{Db, MIGRATIONS, Provider};
use isthmus_db_runtime::{Conn, testing::TempDatabase};

pub struct TestDb {
    pub db: Db,
    _temp: TempDatabase,
}

impl TestDb {
    pub async fn new(provider: Provider) -> TestDb {
        let temp = TempDatabase::create(provider).await;
        let db = Db::connect(temp.url()).await.unwrap();
        db.migrate(MIGRATIONS.for_provider(provider)).await.expect("migrations apply");
        TestDb { db, _temp: temp }
    }

    pub fn provider(&self) -> Provider {
        self.db.provider()
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
