//! Opening a SQLite database creates the file and any missing directories; a URL of another
//! kind is refused.

use isthmus_db_runtime::{Conn, Db, DbError, Provider};

#[tokio::test]
async fn sqlite_file_and_directories_are_created() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data/nested/app.db");
    let db = Db::connect(&format!("sqlite:{}", path.display())).await.unwrap();
    assert_eq!(db.provider(), Provider::Sqlite);
    assert!(path.is_file());
}

#[tokio::test]
async fn a_url_of_another_kind_is_refused_not_taken_for_a_file_name() {
    let refused = Db::connect("mysql://root@127.0.0.1/app").await;
    assert!(matches!(&refused, Err(DbError::UnsupportedUrl { scheme }) if scheme == "mysql"), "{refused:?}");
    assert!(!std::path::Path::new("mysql:").exists(), "no file or directory was created");
}

#[tokio::test]
async fn concurrent_sqlite_transactions_that_read_then_write_wait_for_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::connect(&format!("sqlite:{}", dir.path().join("app.db").display())).await.unwrap();
    db.execute_raw("CREATE TABLE counters (n INTEGER NOT NULL)", vec![]).await.unwrap();
    let writers = (0..20).map(|_| {
        db.transaction(|tx| async move {
            // A read first: a deferred transaction would now fail to take the write lock.
            tx.execute_raw("SELECT count(*) FROM counters", vec![]).await?;
            tx.execute_raw("INSERT INTO counters (n) VALUES (1)", vec![]).await?;
            Ok::<_, DbError>(())
        })
    });
    for written in futures_util::future::join_all(writers).await {
        written.unwrap();
    }
    assert_eq!(db.execute_raw("DELETE FROM counters", vec![]).await.unwrap(), 20);
}
