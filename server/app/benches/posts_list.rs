//! `cargo bench -p isthmus-server --bench posts_list`
//!
//! `posts.list` (take 20) of a blog of 10 authors and 1,000 posts (900 published, 1 KB bodies,
//! three tags each), on a SQLite file and then on PostgreSQL (a fresh database on the server at
//! `ISTHMUS_TEST_POSTGRES_URL`), each measured in one run on loopback: a hand-written axum
//! handler running the same three queries with sqlx and answering the same JSON (checked before
//! measuring), the procedure through the layer uncached, and the cached procedure.

use std::{collections::BTreeMap, net::SocketAddr};

use axum::{Json, extract::State, routing::get};
use db::{Client, post, tag, user};
use isthmus_db_runtime::{
    chrono::{Duration, NaiveDateTime, Utc},
    testing::TempDatabase,
};
use isthmus_server::{
    blog::{markdown, password},
    configuration::Settings,
    context::AppState,
    procedures::{
        self,
        posts::{self, AuthorRef, PostPage, PostSummary},
    },
    startup::open_database,
};
use rpc::{ResponseCache, RpcConfig};
// The dynamic SQL below only repeats placeholders; every value is bound.
use sqlx::AssertSqlSafe;

#[path = "../../rpc/benches/load/mod.rs"]
#[allow(dead_code, reason = "the shared load generator; this benchmark does not read memory")]
mod load;

const TAKE: usize = 20;

/// A blog of `authors` authors and `posts` posts, the first 90 % of them published.
async fn seed(db: &db::Db) {
    let hash = password::hash("benchmark");
    let mut authors = Vec::new();
    for n in 0..10 {
        let created = db
            .user()
            .create(user::Create::new(format!("author{n}@example.com"), format!("Author {n}"), hash.clone()))
            .await;
        authors.push(created.unwrap().id);
    }
    let mut tags = Vec::new();
    for name in ["rust", "web", "sql", "http", "caching", "forms", "types", "tests", "design", "notes"] {
        tags.push(db.tag().create(tag::Create::new(name)).await.unwrap());
    }
    let body = "Lorem ipsum dolor sit amet, *consectetur* adipiscing elit. ".repeat(17);
    let now = Utc::now();
    let creates = (0..1000)
        .map(|n: i64| {
            let published = n < 900;
            post::Create {
                published: Some(published),
                published_at: published.then(|| now - Duration::minutes(n)),
                ..post::Create::new(
                    format!("post-{n}"),
                    format!("Post number {n}"),
                    body.clone(),
                    authors[n as usize % 10],
                )
            }
        })
        .collect();
    db.post().create_many(creates).await.unwrap();
    for created in db.post().find_many(vec![]).exec().await.unwrap() {
        let three: Vec<tag::Tag> = (0..3).map(|k| tags[(created.id as usize + k * 3) % tags.len()].clone()).collect();
        post::tags().connect(db, &created, &three).await.unwrap();
    }
}

/// The hand-written handler's connection: the benchmark's database, on either backend.
#[derive(Clone)]
enum Plain {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

/// `posts.list` written by hand: the same three statements, the same JSON.
async fn hand_written(State(plain): State<Plain>) -> Json<PostPage> {
    Json(match plain {
        Plain::Sqlite(pool) => page(&pool, |_| "?".to_owned()).await,
        Plain::Postgres(pool) => page(&pool, |n| format!("${n}")).await,
    })
}

type PostRow = (i32, String, String, String, NaiveDateTime, i32);

/// The page, on `pool`, whose dialect writes the `n`-th placeholder as `placeholder(n)`.
async fn page<D>(pool: &sqlx::Pool<D>, placeholder: fn(usize) -> String) -> PostPage
where
    D: sqlx::Database,
    for<'c> &'c mut D::Connection: sqlx::Executor<'c, Database = D>,
    D::Arguments: sqlx::IntoArguments<D>,
    for<'r> PostRow: sqlx::FromRow<'r, D::Row>,
    for<'r> (i32, String): sqlx::FromRow<'r, D::Row>,
    for<'q> i32: sqlx::Encode<'q, D> + sqlx::Type<D>,
    for<'q> i64: sqlx::Encode<'q, D> + sqlx::Type<D>,
    for<'q> bool: sqlx::Encode<'q, D> + sqlx::Type<D>,
{
    let rows: Vec<PostRow> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT id, title, slug, body, published_at, author_id FROM posts WHERE published = {} AND published_at IS NOT NULL \
         ORDER BY published_at DESC, id DESC LIMIT {}",
        placeholder(1),
        placeholder(2)
    )))
    .bind(true)
    .bind((TAKE + 1) as i64)
    .fetch_all(pool)
    .await
    .unwrap();
    let more = rows.len() > TAKE;
    let rows = &rows[..rows.len().min(TAKE)];
    // The rows of `select` (ending in a column) `IN` `ids`, every id bound.
    let pairs_in = |select: &str, ids: Vec<i32>| {
        let marks: Vec<String> = (1..=ids.len()).map(placeholder).collect();
        let mut query =
            sqlx::query_as::<_, (i32, String)>(AssertSqlSafe(format!("{select} IN ({})", marks.join(", "))));
        for id in ids {
            query = query.bind(id);
        }
        query.fetch_all(pool)
    };
    let links = pairs_in(
        r#"SELECT j."A", t.name FROM tags t JOIN "_PostToTag" j ON t.id = j."B" WHERE j."A""#,
        rows.iter().map(|row| row.0).collect(),
    )
    .await
    .unwrap();
    let mut tags_of: BTreeMap<i32, Vec<String>> = BTreeMap::new();
    for (post, name) in links {
        tags_of.entry(post).or_default().push(name);
    }
    tags_of.values_mut().for_each(|names| names.sort());
    let names: BTreeMap<i32, String> =
        pairs_in("SELECT id, name FROM users WHERE id", rows.iter().map(|row| row.5).collect())
            .await
            .unwrap()
            .into_iter()
            .collect();
    let items: Vec<PostSummary> = rows
        .iter()
        .map(|(id, title, slug, body, published_at, author)| PostSummary {
            id: *id,
            title: title.clone(),
            slug: slug.clone(),
            published_at: posts::iso(published_at.and_utc()),
            excerpt: markdown::excerpt(body, posts::EXCERPT_CHARS),
            tags: tags_of.remove(id).unwrap_or_default(),
            author: AuthorRef { id: *author, name: names[author].clone() },
        })
        .collect();
    let next = more.then(|| {
        let last = rows.last().unwrap();
        posts::encode_cursor(last.4.and_utc(), last.0)
    });
    PostPage { items, next }
}

fn serve(database_url: String) -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let address = listener.local_addr().unwrap();
    let (ready, seeded) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        runtime.block_on(async move {
            let db = open_database(&database_url.into()).await.unwrap();
            seed(&db).await;
            let settings = Settings::from_lookup(|name| (name == "ISTHMUS_ENV").then(|| "production".into())).unwrap();
            let plain = match (db.sqlite_pool(), db.postgres_pool()) {
                (Some(pool), _) => Plain::Sqlite(pool.clone()),
                (_, Some(pool)) => Plain::Postgres(pool.clone()),
                _ => unreachable!("one backend is connected"),
            };
            let state = AppState::start(db, ResponseCache::new(1000), fetch(), &settings, format!("http://{address}"))
                .await
                .unwrap();
            let router = procedures::router().merge(rpc::Router::new().query("bench.uncachedList", posts::list));
            let app = router
                .into_axum(state, RpcConfig::default())
                .route("/plain-posts", get(hand_written).with_state(plain));
            ready.send(()).unwrap();
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    seeded.recv().unwrap();
    address
}

const PLAIN: &str = "/plain-posts";
const UNCACHED: &str = "/rpc/bench.uncachedList?input=%7B%22take%22%3A20%7D";
const CACHED: &str = "/rpc/posts.list?input=%7B%22take%22%3A20%7D";

async fn body(address: SocketAddr, path: &str) -> serde_json::Value {
    let response = reqwest::get(format!("http://{address}{path}")).await.unwrap();
    assert_eq!(response.status(), 200, "{path}");
    serde_json::from_str(&response.text().await.unwrap()).unwrap()
}

fn main() {
    tracing_subscriber::fmt().with_env_filter("warn").init();
    let scratch = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite:{}", scratch.path().join("bench.db").display());
    measure("SQLite", serve(sqlite));
    // PostgreSQL on loopback: a fresh database, dropped at the end (`ISTHMUS_TEST_POSTGRES_URL`).
    let setup = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let postgres = setup.block_on(TempDatabase::create(isthmus_db_runtime::Provider::Postgresql));
    measure("PostgreSQL", serve(postgres.url().to_owned()));
}

/// Checks that the three targets answer alike, then loads them.
fn measure(backend: &str, address: SocketAddr) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let expected = body(address, PLAIN).await;
        assert_eq!(expected["items"].as_array().map(Vec::len), Some(TAKE));
        for path in [UNCACHED, CACHED] {
            assert_eq!(body(address, path).await, expected, "{path} answers what the hand-written handler does");
        }
        println!(
            "posts.list (take {TAKE}) on {backend}: {} connections, {} requests a round, {} cycles",
            load::CONNECTIONS,
            load::REQUESTS_PER_ROUND,
            load::CYCLES
        );
        let targets =
            [("hand-written axum + sqlx", PLAIN), ("through the layer, uncached", UNCACHED), ("cached", CACHED)];
        load::compare(address, "posts.list", &targets).await;
    });
}

/// The app's client for external services (the benchmark calls none).
fn fetch() -> fetch::Fetch {
    fetch::Fetch::new(fetch::FetchConfig::default()).unwrap()
}
