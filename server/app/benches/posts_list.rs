//! `cargo bench -p isthmus-server --bench posts_list`
//!
//! `posts.list` (take 20) of a blog of 10 authors and 1,000 posts (900 published, 1 KB bodies,
//! three tags each) on a SQLite file, measured in one run on loopback: a hand-written axum
//! handler running the same three queries with sqlx and answering the same JSON (checked before
//! measuring), the procedure through the layer uncached, and the cached procedure.

use std::{collections::BTreeMap, net::SocketAddr};

use axum::{Json, extract::State, routing::get};
use db::{Client, post, tag, user};
use isthmus_db_runtime::chrono::{Duration, NaiveDateTime, Utc};
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
// The dynamic SQL below only repeats `?` placeholders; every value is bound.
use sqlx::{AssertSqlSafe, Row, SqlitePool};

#[path = "../../rpc/benches/load/mod.rs"]
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

/// The rows of `select` (ending in a column) `IN` `ids`, every id bound.
async fn rows_where_in(pool: &SqlitePool, select: &str, ids: &[i32]) -> Vec<sqlx::sqlite::SqliteRow> {
    let placeholders = vec!["?"; ids.len()].join(", ");
    let mut query = sqlx::query(AssertSqlSafe(format!("{select} IN ({placeholders})")));
    for id in ids {
        query = query.bind(id);
    }
    query.fetch_all(pool).await.unwrap()
}

/// `posts.list` written by hand: the same three statements, the same JSON.
async fn hand_written(State(pool): State<SqlitePool>) -> Json<PostPage> {
    let rows = sqlx::query(
        "SELECT id, title, slug, body, published_at, author_id FROM posts WHERE published = 1 AND published_at IS NOT NULL \
         ORDER BY published_at DESC, id DESC LIMIT ?",
    )
    .bind((TAKE + 1) as i64)
    .fetch_all(&pool)
    .await
    .unwrap();
    let more = rows.len() > TAKE;
    let rows = &rows[..rows.len().min(TAKE)];
    let ids: Vec<i32> = rows.iter().map(|row| row.get("id")).collect();
    let links = rows_where_in(
        &pool,
        r#"SELECT j."A" AS post_id, t.name FROM tags t JOIN "_PostToTag" j ON t.id = j."B" WHERE j."A""#,
        &ids,
    )
    .await;
    let mut tags_of: BTreeMap<i32, Vec<String>> = BTreeMap::new();
    for link in &links {
        tags_of.entry(link.get("post_id")).or_default().push(link.get("name"));
    }
    tags_of.values_mut().for_each(|names| names.sort());
    let author_ids: Vec<i32> = rows.iter().map(|row| row.get("author_id")).collect();
    let names: BTreeMap<i32, String> = rows_where_in(&pool, "SELECT id, name FROM users WHERE id", &author_ids)
        .await
        .iter()
        .map(|row| (row.get("id"), row.get("name")))
        .collect();
    let items: Vec<PostSummary> = rows
        .iter()
        .map(|row| {
            let id: i32 = row.get("id");
            let author: i32 = row.get("author_id");
            PostSummary {
                id,
                title: row.get("title"),
                slug: row.get("slug"),
                published_at: posts::iso(row.get::<NaiveDateTime, _>("published_at").and_utc()),
                excerpt: markdown::excerpt(row.get("body"), posts::EXCERPT_CHARS),
                tags: tags_of.remove(&id).unwrap_or_default(),
                author: AuthorRef { id: author, name: names[&author].clone() },
            }
        })
        .collect();
    let next = more.then(|| {
        let last = rows.last().unwrap();
        posts::encode_cursor(last.get::<NaiveDateTime, _>("published_at").and_utc(), last.get("id"))
    });
    Json(PostPage { items, next })
}

fn serve(database_url: String) -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let address = listener.local_addr().unwrap();
    let (ready, seeded) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        runtime.block_on(async move {
            let db = open_database(&database_url).await.unwrap();
            seed(&db).await;
            let settings = Settings::from_lookup(|name| (name == "ISTHMUS_ENV").then(|| "production".into())).unwrap();
            let pool = db.sqlite_pool().unwrap().clone();
            let state =
                AppState::start(db, ResponseCache::new(1000), &settings, format!("http://{address}")).await.unwrap();
            let router = procedures::router().merge(rpc::Router::new().query("bench.uncachedList", posts::list));
            let app =
                router.into_axum(state, RpcConfig::default()).route("/plain-posts", get(hand_written).with_state(pool));
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
    let address = serve(format!("sqlite:{}", scratch.path().join("bench.db").display()));
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let expected = body(address, PLAIN).await;
        assert_eq!(expected["items"].as_array().map(Vec::len), Some(TAKE));
        for path in [UNCACHED, CACHED] {
            assert_eq!(body(address, path).await, expected, "{path} answers what the hand-written handler does");
        }
        println!(
            "posts.list (take {TAKE}) on SQLite: {} connections, {} requests a round, {} cycles",
            load::CONNECTIONS,
            load::REQUESTS_PER_ROUND,
            load::CYCLES
        );
        let targets =
            [("hand-written axum + sqlx", PLAIN), ("through the layer, uncached", UNCACHED), ("cached", CACHED)];
        load::compare(address, "posts.list", &targets).await;
    });
}
