//! Migrations against real databases: atomic, recorded, checksummed, and SQLite table
//! rebuilds that neither cascade deletes nor leave dangling keys.

mod support;

use isthmus_db_runtime::{
    Conn, Provider,
    migrate::{MigrateError, Migration},
};
use support::TestDb;

fn migration(name: &'static str, sql: &'static str) -> Migration {
    Migration { name: name.into(), sql: sql.into() }
}

const PARENTS: &str = r#"CREATE TABLE "parents" ("id" INTEGER NOT NULL PRIMARY KEY, "name" TEXT NOT NULL);
CREATE TABLE "children" ("id" INTEGER NOT NULL PRIMARY KEY, "parent_id" INTEGER NOT NULL REFERENCES "parents" ("id") ON DELETE CASCADE);"#;

async fn count(test: &TestDb, table: &str) -> i64 {
    let sql = sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM \"{table}\""));
    match (test.db.sqlite_pool(), test.db.postgres_pool()) {
        (Some(pool), _) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
        (_, Some(pool)) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
        _ => unreachable!(),
    }
}

async fn failed_migration_leaves_the_database_as_it_was(provider: Provider) {
    let test = TestDb::new(provider).await;
    let first = migration("1_parents", PARENTS);
    assert_eq!(test.db.migrate(std::slice::from_ref(&first)).await.unwrap(), ["1_parents"]);
    let broken = migration("2_broken", r#"CREATE TABLE "half" ("id" INTEGER); SELECT * FROM "missing_table";"#);
    let error = test.db.migrate(&[first.clone(), broken]).await.unwrap_err();
    assert!(matches!(&error, MigrateError::Failed { name, .. } if name == "2_broken"), "{error}");
    let status = test.db.migration_status(std::slice::from_ref(&first)).await.unwrap();
    assert_eq!(status.applied, ["1_parents"]);
    let half = match provider {
        Provider::Sqlite => "SELECT COUNT(*) FROM sqlite_master WHERE name = 'half'",
        Provider::Postgresql => "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'half'",
    };
    let exists: i64 = match (test.db.sqlite_pool(), test.db.postgres_pool()) {
        (Some(pool), _) => sqlx::query_scalar(half).fetch_one(pool).await.unwrap(),
        (_, Some(pool)) => sqlx::query_scalar(half).fetch_one(pool).await.unwrap(),
        _ => unreachable!(),
    };
    assert_eq!(exists, 0, "the failed migration's first statement was rolled back");
}

async fn edited_applied_migration_is_reported(provider: Provider) {
    let test = TestDb::new(provider).await;
    test.db.migrate(&[migration("1_parents", PARENTS)]).await.unwrap();
    let edited = migration("1_parents", r#"CREATE TABLE "parents" ("id" INTEGER NOT NULL PRIMARY KEY);"#);
    let error = test.db.migrate(&[edited]).await.unwrap_err();
    assert!(matches!(&error, MigrateError::Modified { name } if name == "1_parents"), "{error}");
    let error = test.db.migrate(&[]).await.unwrap_err();
    assert!(matches!(error, MigrateError::Missing { .. }), "an applied migration that vanished is reported");
}

#[tokio::test]
async fn sqlite_failed_migration_is_rolled_back() {
    failed_migration_leaves_the_database_as_it_was(Provider::Sqlite).await;
}

#[tokio::test]
async fn postgresql_failed_migration_is_rolled_back() {
    failed_migration_leaves_the_database_as_it_was(Provider::Postgresql).await;
}

#[tokio::test]
async fn sqlite_edited_migration_is_reported() {
    edited_applied_migration_is_reported(Provider::Sqlite).await;
}

#[tokio::test]
async fn postgresql_edited_migration_is_reported() {
    edited_applied_migration_is_reported(Provider::Postgresql).await;
}

/// Prisma's SQLite table rebuild (the script it writes for a changed column): with foreign
/// keys enforced, `DROP TABLE "parents"` would cascade and delete every child.
const REBUILD_PARENTS: &str = r#"PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_parents" ("id" INTEGER NOT NULL PRIMARY KEY, "name" TEXT NOT NULL, "nickname" TEXT);
INSERT INTO "new_parents" ("id", "name") SELECT "id", "name" FROM "parents";
DROP TABLE "parents";
ALTER TABLE "new_parents" RENAME TO "parents";
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;"#;

#[tokio::test]
async fn sqlite_table_rebuild_keeps_children() {
    let test = TestDb::new(Provider::Sqlite).await;
    test.db.migrate(&[migration("1_parents", PARENTS)]).await.unwrap();
    test.raw(r#"INSERT INTO "parents" VALUES (1, 'a'); INSERT INTO "children" VALUES (10, 1), (11, 1);"#).await;
    let migrations = [migration("1_parents", PARENTS), migration("2_rebuild", REBUILD_PARENTS)];
    test.db.migrate(&migrations).await.unwrap();
    assert_eq!(count(&test, "children").await, 2, "the rebuild did not cascade");
    test.raw(r#"DELETE FROM "parents" WHERE "id" = 1"#).await;
    assert_eq!(count(&test, "children").await, 0, "foreign keys are enforced again afterwards");
}

#[tokio::test]
async fn sqlite_migration_leaving_dangling_keys_is_rolled_back() {
    let test = TestDb::new(Provider::Sqlite).await;
    test.db.migrate(&[migration("1_parents", PARENTS)]).await.unwrap();
    test.raw(r#"INSERT INTO "parents" VALUES (1, 'a'); INSERT INTO "children" VALUES (10, 1);"#).await;
    let drop_parent = migration("2_drop_parent", r#"PRAGMA foreign_keys=OFF; DELETE FROM "parents";"#);
    let error = test.db.migrate(&[migration("1_parents", PARENTS), drop_parent]).await.unwrap_err();
    assert!(matches!(error, MigrateError::ForeignKeyCheck { .. }), "{error}");
    assert_eq!(count(&test, "parents").await, 1, "rolled back");
}

#[tokio::test]
async fn concurrent_deploys_on_postgresql_apply_once() {
    let test = TestDb::new(Provider::Postgresql).await;
    let migrations = [migration("1_parents", PARENTS)];
    let (a, b) = tokio::join!(test.db.migrate(&migrations), test.db.migrate(&migrations));
    let mut applied = [a.unwrap(), b.unwrap()].concat();
    applied.sort();
    assert_eq!(applied, ["1_parents"], "the advisory lock serialises deploys");
    assert_eq!(test.db.provider(), Provider::Postgresql);
}
