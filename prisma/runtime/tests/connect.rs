//! Opening a SQLite database creates the file and any missing directories.

use isthmus_db_runtime::{Conn, Db, Provider};

#[tokio::test]
async fn sqlite_file_and_directories_are_created() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data/nested/app.db");
    let db = Db::connect(&format!("sqlite:{}", path.display())).await.unwrap();
    assert_eq!(db.provider(), Provider::Sqlite);
    assert!(path.is_file());
}
