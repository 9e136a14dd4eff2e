//! `cargo bench -p db --bench client_vs_sqlx`
//!
//! The generated client against hand-written sqlx running the same statements, in one run:
//! `create` (one insert returning the row) and `find_many` (a filtered, ordered page of 50
//! rows decoded into `db::User`). SQLite always; PostgreSQL when `ISTHMUS_TEST_POSTGRES_URL`
//! (default `postgres://postgres@127.0.0.1:5432/test`) answers.

use std::time::{Duration, Instant};

use db::{Client, Db, MIGRATIONS, SortOrder, User, user};
use isthmus_db_runtime::{
    Conn, DbEnum, Provider,
    testing::{TempDatabase, postgres_admin_url},
};
use sqlx::{AssertSqlSafe, Row};

const CREATES: usize = 2_000;
const FINDS: usize = 1_000;

fn user_from<R: Row>(row: &R) -> User
where
    for<'r> i32: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> sqlx::types::chrono::NaiveDateTime: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> &'r str: sqlx::ColumnIndex<R>,
{
    User {
        id: row.get("id"),
        email: row.get("email"),
        name: row.get("name"),
        password_hash: row.get("password_hash"),
        // Text on SQLite, the `Role` type on PostgreSQL: read its text either way.
        role: db::Role::parse(&row.try_get_unchecked::<String, _>("role").unwrap()).unwrap(),
        created_at: row.get::<sqlx::types::chrono::NaiveDateTime, _>("created_at").and_utc(),
    }
}

async fn client_create(db: &Db, n: usize, offset: usize) {
    for i in 0..n {
        db.user().create(user::Create::new(format!("c{}@example.com", offset + i), "Name", "hash")).await.unwrap();
    }
}

async fn sqlx_create(db: &Db, n: usize, offset: usize) {
    let now = isthmus_db_runtime::now().naive_utc();
    for i in 0..n {
        let email = format!("s{}@example.com", offset + i);
        let user = match (db.sqlite_pool(), db.postgres_pool()) {
            (Some(pool), _) => user_from(
                &sqlx::query(
                    "INSERT INTO users (email, name, password_hash, created_at) VALUES (?, ?, ?, ?) RETURNING *",
                )
                .bind(email)
                .bind("Name")
                .bind("hash")
                .bind(now)
                .fetch_one(pool)
                .await
                .unwrap(),
            ),
            (_, Some(pool)) => user_from(
                &sqlx::query(
                    "INSERT INTO users (email, name, password_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING *",
                )
                .bind(email)
                .bind("Name")
                .bind("hash")
                .bind(now)
                .fetch_one(pool)
                .await
                .unwrap(),
            ),
            _ => unreachable!(),
        };
        std::hint::black_box(user);
    }
}

async fn client_find(db: &Db, n: usize) {
    for _ in 0..n {
        let users = db
            .user()
            .find_many(vec![user::email::contains("@example"), user::name::equals("Name")])
            .order_by(user::id::order(SortOrder::Asc))
            .take(50)
            .exec()
            .await
            .unwrap();
        assert_eq!(users.len(), 50);
    }
}

async fn sqlx_find(db: &Db, n: usize) {
    let placeholders = match db.provider() {
        Provider::Sqlite => ("?", "?", "?"),
        Provider::Postgresql => ("$1", "$2", "$3"),
    };
    let sql = format!(
        "SELECT * FROM users WHERE email LIKE {} ESCAPE '\\' AND name = {} ORDER BY id ASC LIMIT {}",
        placeholders.0, placeholders.1, placeholders.2
    );
    for _ in 0..n {
        let users: Vec<User> = match (db.sqlite_pool(), db.postgres_pool()) {
            (Some(pool), _) => sqlx::query(AssertSqlSafe(sql.clone()))
                .bind("%@example%")
                .bind("Name")
                .bind(50_i64)
                .fetch_all(pool)
                .await
                .unwrap()
                .iter()
                .map(user_from)
                .collect(),
            (_, Some(pool)) => sqlx::query(AssertSqlSafe(sql.clone()))
                .bind("%@example%")
                .bind("Name")
                .bind(50_i64)
                .fetch_all(pool)
                .await
                .unwrap()
                .iter()
                .map(user_from)
                .collect(),
            _ => unreachable!(),
        };
        assert_eq!(users.len(), 50);
    }
}

fn per_second(count: usize, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64()
}

async fn measure(db: &Db, label: &str) {
    // Warm-up, and rows for the finds.
    client_create(db, 200, 1_000_000).await;
    sqlx_create(db, 200, 1_000_000).await;
    let (mut client_creates, mut sqlx_creates, mut client_finds, mut sqlx_finds) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    // Alternate rounds so that drift on a shared machine affects both sides alike.
    for round in 0..3 {
        let started = Instant::now();
        client_create(db, CREATES, round * CREATES).await;
        client_creates.push(per_second(CREATES, started.elapsed()));
        let started = Instant::now();
        sqlx_create(db, CREATES, round * CREATES).await;
        sqlx_creates.push(per_second(CREATES, started.elapsed()));
        let started = Instant::now();
        client_find(db, FINDS).await;
        client_finds.push(per_second(FINDS, started.elapsed()));
        let started = Instant::now();
        sqlx_find(db, FINDS).await;
        sqlx_finds.push(per_second(FINDS, started.elapsed()));
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (cc, sc, cf, sf) = (median(client_creates), median(sqlx_creates), median(client_finds), median(sqlx_finds));
    println!("{label}: median of 3 rounds");
    println!("  create     client {cc:>9.0}/s   sqlx {sc:>9.0}/s   ratio {:.3}", cc / sc);
    println!("  find_many  client {cf:>9.0}/s   sqlx {sf:>9.0}/s   ratio {:.3}", cf / sf);
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let temp = TempDatabase::create(Provider::Sqlite).await;
    let sqlite = Db::connect(temp.url()).await.unwrap();
    sqlite.migrate(MIGRATIONS.for_provider(sqlite.provider())).await.unwrap();
    measure(&sqlite, "SQLite (file, WAL)").await;

    let admin = postgres_admin_url();
    if Db::connect(&admin).await.is_err() {
        println!("PostgreSQL: not measured, nothing answers at {admin}");
        return;
    }
    let temp = TempDatabase::create(Provider::Postgresql).await;
    let postgres = Db::connect(temp.url()).await.unwrap();
    postgres.migrate(MIGRATIONS.for_provider(postgres.provider())).await.unwrap();
    measure(&postgres, "PostgreSQL (loopback)").await;
    postgres.close().await;
}
