//! Every scalar Prisma knows, bound and read back on both backends, in columns of the types
//! Prisma's migrations create for it.

mod support;

use isthmus_db_runtime::{
    Conn, DbEnum, DbValue, Provider,
    chrono::{DateTime, Utc},
    execute, fetch_all,
    rust_decimal::Decimal,
    sea_query::{Asterisk, Query},
};
use support::TestDb;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Role {
    Author,
    Admin,
}

impl DbEnum for Role {
    const TYPE_NAME: &'static str = "Role";
    fn as_str(self) -> &'static str {
        match self {
            Role::Author => "AUTHOR",
            Role::Admin => "ADMIN",
        }
    }
    fn parse(text: &str) -> Option<Self> {
        match text {
            "AUTHOR" => Some(Role::Author),
            "ADMIN" => Some(Role::Admin),
            _ => None,
        }
    }
}

const SQLITE: &str = r#"CREATE TABLE "scalars" ("int" INTEGER NOT NULL, "big" BIGINT NOT NULL, "float" REAL NOT NULL,
  "decimal" DECIMAL NOT NULL, "flag" BOOLEAN NOT NULL, "text" TEXT NOT NULL, "at" DATETIME NOT NULL,
  "json" JSONB NOT NULL, "bytes" BLOB NOT NULL, "role" TEXT NOT NULL, "maybe" TEXT)"#;

const POSTGRES: &str = r#"CREATE TYPE "Role" AS ENUM ('AUTHOR', 'ADMIN');
CREATE TABLE "scalars" ("int" INTEGER NOT NULL, "big" BIGINT NOT NULL, "float" DOUBLE PRECISION NOT NULL,
  "decimal" DECIMAL(65,30) NOT NULL, "flag" BOOLEAN NOT NULL, "text" TEXT NOT NULL, "at" TIMESTAMP(3) NOT NULL,
  "json" JSONB NOT NULL, "bytes" BYTEA NOT NULL, "role" "Role" NOT NULL, "maybe" TEXT)"#;

async fn round_trip(provider: Provider) {
    let test = TestDb::new(provider).await;
    test.raw(match provider {
        Provider::Sqlite => SQLITE,
        Provider::Postgresql => POSTGRES,
    })
    .await;
    let at: DateTime<Utc> = "2026-11-21T13:44:00.123Z".parse().unwrap();
    // Exact on both; SQLite's DECIMAL (numeric affinity) keeps about 15 significant digits.
    let decimal: Decimal = "1234.5678".parse().unwrap();
    let json = serde_json::json!({"tags": ["a", "b"], "n": 1.5, "nested": {"ok": true}});
    let db = &test.db;
    let p = db.provider();
    let mut insert = Query::insert();
    insert
        .into_table("scalars")
        .columns(["int", "big", "float", "decimal", "flag", "text", "at", "json", "bytes", "role", "maybe"])
        .values_panic([
            i32::MIN.to_expr(p),
            9_007_199_254_740_993_i64.to_expr(p),
            0.1_f64.to_expr(p),
            decimal.to_expr(p),
            true.to_expr(p),
            "naïve ✓".to_owned().to_expr(p),
            at.to_expr(p),
            json.to_expr(p),
            vec![0_u8, 255, 7].to_expr(p),
            Role::Admin.to_expr(p),
            None::<String>.to_expr(p),
        ]);
    assert_eq!(execute(db, &insert).await.unwrap(), 1);
    let mut select = Query::select();
    select.column(Asterisk).from("scalars");
    let rows = fetch_all(db, &select).await.unwrap();
    let row = &rows[0];
    assert_eq!(i32::decode(row, "int").unwrap(), i32::MIN);
    assert_eq!(i64::decode(row, "big").unwrap(), 9_007_199_254_740_993);
    assert_eq!(f64::decode(row, "float").unwrap(), 0.1);
    assert!(bool::decode(row, "flag").unwrap());
    assert_eq!(String::decode(row, "text").unwrap(), "naïve ✓");
    assert_eq!(DateTime::<Utc>::decode(row, "at").unwrap(), at);
    assert_eq!(serde_json::Value::decode(row, "json").unwrap(), json);
    assert_eq!(Vec::<u8>::decode(row, "bytes").unwrap(), [0, 255, 7]);
    assert_eq!(Role::decode(row, "role").unwrap(), Role::Admin);
    assert_eq!(Option::<String>::decode(row, "maybe").unwrap(), None);
    assert_eq!(Decimal::decode(row, "decimal").unwrap(), decimal);
}

#[tokio::test]
async fn sqlite_round_trips_every_scalar() {
    round_trip(Provider::Sqlite).await;
}

#[tokio::test]
async fn postgresql_round_trips_every_scalar() {
    round_trip(Provider::Postgresql).await;
}
