//! What the `posts.list` benchmarks share: the seeded blog, the hand-written twin of the
//! procedure, and the server answering both (included by path from each benchmark).

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
};
use rpc::{ResponseCache, RpcConfig};
// The dynamic SQL below only repeats placeholders; every value is bound.
use sqlx::AssertSqlSafe;

pub const TAKE: usize = 20;

/// A blog of 10 authors and 1,000 posts, the first 900 of them published, three tags each.
pub async fn seed(db: &db::Db) {
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

/// `posts.list` written by hand: the same two statements, the same JSON.
async fn hand_written(State(plain): State<Plain>) -> Json<PostPage> {
    Json(match plain {
        Plain::Sqlite(pool) => page(&pool, |_| "?".to_owned()).await,
        Plain::Postgres(pool) => page(&pool, |n| format!("${n}")).await,
    })
}

/// A post with its author's id and name.
type PostRow = (i32, String, String, String, NaiveDateTime, i32, String);

/// The page, on `pool`, whose dialect writes the `n`-th placeholder as `placeholder(n)`.
async fn page<D>(pool: &sqlx::Pool<D>, placeholder: fn(usize) -> String) -> PostPage
where
    D: sqlx::Database,
    for<'c> &'c mut D::Connection: sqlx::Executor<'c, Database = D>,
    D::Arguments: sqlx::IntoArguments<D>,
    for<'r> PostRow: sqlx::FromRow<'r, D::Row>,
    for<'r> (i32, String): sqlx::FromRow<'r, D::Row>,
    for<'q> i32: sqlx::Encode<'q, D> + sqlx::Type<D>,
    for<'q> bool: sqlx::Encode<'q, D> + sqlx::Type<D>,
{
    // The author joined, and the limit written into the SQL, as the client writes them: with a
    // bound `LIMIT`, SQLite prepares the statement again at each binding and PostgreSQL plans
    // it at each execution.
    let rows: Vec<PostRow> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT p.id, p.title, p.slug, p.body, p.published_at, u.id, u.name FROM posts p LEFT JOIN users u ON u.id = p.author_id \
         WHERE p.published = {} AND p.published_at IS NOT NULL ORDER BY p.published_at DESC, p.id DESC LIMIT {}",
        placeholder(1),
        TAKE + 1
    )))
    .bind(true)
    .fetch_all(pool)
    .await
    .unwrap();
    let more = rows.len() > TAKE;
    let rows = &rows[..rows.len().min(TAKE)];
    let marks: Vec<String> = (1..=rows.len()).map(placeholder).collect();
    let mut query = sqlx::query_as::<_, (i32, String)>(AssertSqlSafe(format!(
        r#"SELECT j."A", t.name FROM tags t JOIN "_PostToTag" j ON t.id = j."B" WHERE j."A" IN ({})"#,
        marks.join(", ")
    )));
    for row in rows {
        query = query.bind(row.0);
    }
    let mut tags_of: BTreeMap<i32, Vec<String>> = BTreeMap::new();
    for (post, name) in query.fetch_all(pool).await.unwrap() {
        tags_of.entry(post).or_default().push(name);
    }
    tags_of.values_mut().for_each(|names| names.sort());
    let items: Vec<PostSummary> = rows
        .iter()
        .map(|(id, title, slug, body, published_at, author_id, author_name)| PostSummary {
            id: *id,
            title: title.clone(),
            slug: slug.clone(),
            published_at: posts::iso(published_at.and_utc()),
            excerpt: markdown::excerpt(body, posts::EXCERPT_CHARS),
            tags: tags_of.remove(id).unwrap_or_default(),
            author: AuthorRef { id: *author_id, name: author_name.clone() },
        })
        .collect();
    let next = more.then(|| {
        let last = rows.last().unwrap();
        posts::encode_cursor(last.4.and_utc(), last.0)
    });
    PostPage { items, next }
}

/// The app's procedures, `bench.uncachedList` (`posts.list` without its cache) and the
/// hand-written handler at [`PLAIN`], on `db`, for a server at `address`.
pub async fn app(db: db::Db, address: SocketAddr) -> axum::Router {
    let settings = Settings::from_lookup(|name| (name == "ISTHMUS_ENV").then(|| "production".into())).unwrap();
    let plain = match (db.sqlite_pool(), db.postgres_pool()) {
        (Some(pool), _) => Plain::Sqlite(pool.clone()),
        (_, Some(pool)) => Plain::Postgres(pool.clone()),
        _ => unreachable!("one backend is connected"),
    };
    let fetch = fetch::Fetch::new(fetch::FetchConfig::default()).unwrap();
    let state =
        AppState::start(db, ResponseCache::new(1000), fetch, &settings, format!("http://{address}")).await.unwrap();
    let router = procedures::router().merge(rpc::Router::new().query("bench.uncachedList", posts::list));
    router.into_axum(state, RpcConfig::default()).route(PLAIN, get(hand_written).with_state(plain))
}

/// Whether to measure `backend` (`sqlite`, `postgresql`): the benchmark's arguments name the
/// backends to measure (`cargo bench … -- postgresql`); without any, both are.
pub fn selected(backend: &str) -> bool {
    let named: Vec<String> = std::env::args().skip(1).filter(|arg| !arg.starts_with('-')).collect();
    for name in &named {
        assert!(["sqlite", "postgresql"].contains(&name.as_str()), "unknown backend {name:?}: sqlite or postgresql");
    }
    named.is_empty() || named.iter().any(|name| name == backend)
}

pub const PLAIN: &str = "/plain-posts";
pub const UNCACHED: &str = "/rpc/bench.uncachedList?input=%7B%22take%22%3A20%7D";
pub const CACHED: &str = "/rpc/posts.list?input=%7B%22take%22%3A20%7D";

/// Checks that the server at `address` answers the uncached and cached procedure exactly as
/// its hand-written handler, a full page of [`TAKE`] posts.
pub async fn check_answers(address: SocketAddr) {
    let expected = body(address, PLAIN).await;
    assert_eq!(expected["items"].as_array().map(Vec::len), Some(TAKE));
    for path in [UNCACHED, CACHED] {
        assert_eq!(body(address, path).await, expected, "{path} answers what the hand-written handler does");
    }
}

async fn body(address: SocketAddr, path: &str) -> serde_json::Value {
    let response = reqwest::get(format!("http://{address}{path}")).await.unwrap();
    assert_eq!(response.status(), 200, "{path}");
    serde_json::from_str(&response.text().await.unwrap()).unwrap()
}
