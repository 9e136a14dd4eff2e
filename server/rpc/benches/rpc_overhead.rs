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

use std::{
    net::SocketAddr,
    time::{Duration, Instant},
};

use axum::{Json, extract::FromRef, routing::get};
use isthmus_rpc::{self as rpc, CacheScope, Never, ResponseCache, Revalidate, RpcConfig};
use serde::Serialize;
use specta::Type;
use sqlx::SqlitePool;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

const CONNECTIONS: usize = 32;
const REQUESTS_PER_ROUND: usize = 16_000;
const CYCLES: usize = 25;

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

/// One keep-alive connection sending `count` GETs in sequence; returns each latency.
async fn connection(address: SocketAddr, path: &'static str, count: usize) -> Vec<Duration> {
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n");
    let mut buffer = Vec::with_capacity(4096);
    let mut latencies = Vec::with_capacity(count);
    for _ in 0..count {
        let started = Instant::now();
        stream.write_all(request.as_bytes()).await.unwrap();
        buffer.clear();
        loop {
            let read = stream.read_buf(&mut buffer).await.unwrap();
            assert!(read > 0, "server closed the connection");
            if let Some(length) = complete_response_length(&buffer) {
                assert!(buffer.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&buffer));
                assert_eq!(buffer.len(), length, "one response per request");
                break;
            }
        }
        latencies.push(started.elapsed());
    }
    latencies
}

/// The full length of the response in `buffer` once it has all arrived. One pass over the
/// head's lines on purpose: the load generator shares the machine with the server, and its
/// cost per request must neither limit the figures nor grow with the response's headers.
fn complete_response_length(buffer: &[u8]) -> Option<usize> {
    const NAME: &[u8] = b"content-length:";
    let mut line_start = 0;
    let mut body_length = None;
    for line in buffer.split(|&byte| byte == b'\n') {
        let line_end = line_start + line.len() + 1;
        if line_end > buffer.len() {
            return None;
        }
        if line == b"\r" {
            return body_length.and_then(|length| (buffer.len() >= line_end + length).then_some(line_end + length));
        }
        if line.len() > NAME.len() && line[..NAME.len()].eq_ignore_ascii_case(NAME) {
            let digits = line[NAME.len()..].iter().skip_while(|b| **b == b' ').take_while(|b| b.is_ascii_digit());
            body_length = Some(digits.fold(0usize, |n, d| n * 10 + usize::from(d - b'0')));
        }
        line_start = line_end;
    }
    None
}

#[derive(Clone, Copy)]
struct Round {
    requests_per_second: f64,
    /// The server's CPU time per request (all its threads), for a second estimate of the
    /// throughput ratios that, unlike wall time, stalls of the load generator do not move.
    cpu_per_request: Duration,
    p50: Duration,
    p99: Duration,
}

/// CPU time consumed so far by every thread of this process but the calling one (the load
/// generator runs on the main thread; everything else is the server), from
/// `/proc/self/task/*/schedstat`, in nanoseconds and excluding time stolen by the host.
fn server_cpu_time() -> Duration {
    let me = std::fs::read_link("/proc/thread-self").expect("Linux /proc");
    let me = me.file_name().expect("a thread id");
    let nanos = std::fs::read_dir("/proc/self/task")
        .expect("Linux /proc")
        .filter_map(Result::ok)
        .filter(|task| task.file_name() != me)
        .filter_map(|task| std::fs::read_to_string(task.path().join("schedstat")).ok())
        .filter_map(|stat| stat.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    Duration::from_nanos(nanos)
}

async fn round(address: SocketAddr, path: &'static str) -> Round {
    let started = Instant::now();
    let cpu_before = server_cpu_time();
    let tasks: Vec<_> =
        (0..CONNECTIONS).map(|_| tokio::spawn(connection(address, path, REQUESTS_PER_ROUND / CONNECTIONS))).collect();
    let mut latencies = Vec::with_capacity(REQUESTS_PER_ROUND);
    for task in tasks {
        latencies.extend(task.await.unwrap());
    }
    let elapsed = started.elapsed();
    // Saturating: a thread that exits during the round takes its time with it.
    let cpu = server_cpu_time().saturating_sub(cpu_before);
    latencies.sort_unstable();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    Round {
        requests_per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
        cpu_per_request: cpu / latencies.len() as u32,
        p50: at(0.50),
        p99: at(0.99),
    }
}

fn median(mut rounds: Vec<Round>) -> Round {
    rounds.sort_by(|a, b| a.requests_per_second.total_cmp(&b.requests_per_second));
    rounds.swap_remove(rounds.len() / 2)
}

/// `numerator / denominator` cycle by cycle, measured two ways: requests per second, and the
/// inverse ratio of server CPU per request. Each as median (lowest–highest).
fn ratio(numerator: &[Round], denominator: &[Round]) -> String {
    let summary = |ratio: &dyn Fn(&Round, &Round) -> f64| {
        let mut ratios: Vec<f64> = numerator.iter().zip(denominator).map(|(n, d)| ratio(n, d)).collect();
        ratios.sort_by(f64::total_cmp);
        format!("{:.3} ({:.3}–{:.3})", ratios[ratios.len() / 2], ratios[0], ratios[ratios.len() - 1])
    };
    let by_throughput = summary(&|n, d| n.requests_per_second / d.requests_per_second);
    let by_cpu = summary(&|n, d| d.cpu_per_request.as_secs_f64() / n.cpu_per_request.as_secs_f64());
    format!("{by_throughput:<22} by server CPU per request: {by_cpu}")
}

fn main() {
    tracing_subscriber::fmt().with_env_filter("warn").init();
    let address = serve();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        if let Ok(only) = std::env::var("BENCH_ONLY") {
            let only: &'static str = Box::leak(only.into_boxed_str());
            for _ in 0..std::env::var("BENCH_ROUNDS").map_or(2 * CYCLES, |r| r.parse().unwrap()) {
                round(address, only).await;
            }
            return;
        }
        let workloads = [
            ("constant", ["/plain", "/rpc/bench.greeting", "/rpc/bench.cached"]),
            ("database", ["/plain-count", "/rpc/bench.count", "/rpc/bench.cachedCount"]),
        ];
        println!(
            "{CONNECTIONS} connections, {REQUESTS_PER_ROUND} requests a round, {CYCLES} cycles of one round per target"
        );
        for (workload, paths) in workloads {
            // Warm-up: connections, allocator, caches.
            for path in paths {
                round(address, path).await;
            }
            let mut rounds: [Vec<Round>; 3] = Default::default();
            for _ in 0..CYCLES {
                for (target, path) in rounds.iter_mut().zip(paths) {
                    target.push(round(address, path).await);
                }
            }
            let [plain, layer, cached] = &rounds;
            println!("\n{workload} workload (median round of each target)");
            println!("{:<28} {:>12} {:>10} {:>10} {:>16}", "target", "requests/s", "p50", "p99", "server CPU/req");
            for (name, target) in
                [("plain axum handler", plain), ("query through rpc layer", layer), ("cached query", cached)]
            {
                let r = median(target.to_vec());
                println!(
                    "{name:<28} {:>12.0} {:>10.1?} {:>10.1?} {:>16.2?}",
                    r.requests_per_second, r.p50, r.p99, r.cpu_per_request
                );
            }
            println!("ratios per cycle, median (lowest–highest):");
            println!("rpc / plain:       {}", ratio(layer, plain));
            println!("cached / plain:    {}", ratio(cached, plain));
            println!("cached / uncached: {}", ratio(cached, layer));
        }
    });
}
