//! `cargo bench -p isthmus-rpc --bench rpc_overhead`
//!
//! The cost of the procedure layer and the worth of its result cache, measured in one run on
//! loopback, for two workloads:
//!
//! - constant: the handler returns a fixed value, so the figures are pure overhead (a plain
//!   axum handler, the same query through the rpc layer, and served from the result cache);
//! - database: the handler counts the rows of a real SQLite file with sqlx (a plain axum
//!   handler doing the same, the query through the rpc layer, and the cached query).
//!
//! The server gets one runtime thread and the load generator the other core. A cycle runs one
//! round of each target back to back; each ratio is computed within a cycle and the median
//! over cycles is reported with its spread, since these shared machines drift by more than
//! the differences measured. `BENCH_ONLY=<path>` loads one target only (for a profiler;
//! `BENCH_ROUNDS` rounds of it).

use std::{net::SocketAddr, time::Duration};

use axum::{Json, extract::FromRef, routing::get};
use isthmus_rpc::{self as rpc, CacheScope, Never, ResponseCache, Revalidate, RpcConfig};
use serde::Serialize;
use specta::Type;
use sqlx::SqlitePool;
#[allow(dead_code, reason = "the shared load generator; this benchmark does not read memory")]
mod load;

#[derive(Clone, Serialize, Type)]
struct Greeting {
    message: &'static str,
    count: u32,
}

const GREETING: Greeting = Greeting { message: "hello", count: 1 };

#[derive(Clone)]
struct State {
    db: SqlitePool,
    cache: ResponseCache,
}

impl FromRef<State> for ResponseCache {
    fn from_ref(state: &State) -> Self {
        state.cache.clone()
    }
}

#[derive(Clone)]
struct Ctx {
    db: SqlitePool,
}

impl CacheScope for Ctx {
    fn cache_scope(&self) -> Option<String> {
        None
    }
}

impl axum::extract::FromRequestParts<State> for Ctx {
    type Rejection = Never;
    async fn from_request_parts(_: &mut axum::http::request::Parts, state: &State) -> Result<Self, Never> {
        Ok(Ctx { db: state.db.clone() })
    }
}

async fn greeting(_: Ctx) -> Result<Greeting, Never> {
    Ok(GREETING)
}

#[derive(Clone, Serialize, Type)]
struct Count {
    rows: i64,
}

async fn count_rows(db: &SqlitePool) -> Count {
    let rows = sqlx::query_scalar("SELECT COUNT(*) FROM reader").fetch_one(db).await;
    Count { rows: rows.expect("the benchmark database is readable") }
}

async fn count(ctx: Ctx) -> Result<Count, Never> {
    Ok(count_rows(&ctx.db).await)
}

/// A SQLite file with a thousand rows, in a directory that lives as long as the process.
async fn database() -> SqlitePool {
    let directory = Box::leak(Box::new(tempfile::tempdir().unwrap()));
    let url = format!("sqlite:{}?mode=rwc", directory.path().join("bench.db").display());
    let db = SqlitePool::connect(&url).await.unwrap();
    sqlx::query("CREATE TABLE reader (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE)").execute(&db).await.unwrap();
    sqlx::query("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) INSERT INTO reader (email) SELECT 'reader' || i || '@example.com' FROM n")
        .execute(&db)
        .await
        .unwrap();
    db
}

fn serve() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        runtime.block_on(async move {
            let db = database().await;
            let forever = Revalidate::every(Duration::from_secs(3600));
            let plain_db = db.clone();
            let app = rpc::Router::<Ctx>::new()
                .query("bench.greeting", greeting)
                .cached_query("bench.cached", greeting, Revalidate::every(Duration::from_secs(3600)))
                .query("bench.count", count)
                .cached_query("bench.cachedCount", count, forever)
                .into_axum(State { db, cache: ResponseCache::new(100) }, RpcConfig::default())
                .route("/plain", get(|| async { Json(GREETING) }))
                .route(
                    "/plain-count",
                    get(move || {
                        let db = plain_db.clone();
                        async move { Json(count_rows(&db).await) }
                    }),
                );
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    address
}

fn main() {
    tracing_subscriber::fmt().with_env_filter("warn").init();
    let address = serve();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        if let Ok(only) = std::env::var("BENCH_ONLY") {
            let only: &'static str = Box::leak(only.into_boxed_str());
            for _ in 0..std::env::var("BENCH_ROUNDS").map_or(2 * load::CYCLES, |r| r.parse().unwrap()) {
                load::round(address, only).await;
            }
            return;
        }
        println!(
            "{} connections, {} requests a round, {} cycles of one round per target",
            load::CONNECTIONS,
            load::REQUESTS_PER_ROUND,
            load::CYCLES
        );
        let constant = [("plain", "/plain"), ("rpc", "/rpc/bench.greeting"), ("cached", "/rpc/bench.cached")];
        load::compare(address, "constant workload", &constant).await;
        let database = [("plain", "/plain-count"), ("rpc", "/rpc/bench.count"), ("cached", "/rpc/bench.cachedCount")];
        load::compare(address, "database workload", &database).await;
    });
}
