//! `cargo bench -p isthmus-server --bench posts_instructions [-- sqlite|postgresql]` (needs valgrind)
//!
//! The requests of `posts_list`, counted in instructions instead of timed: on a shared machine
//! the clock of one run wanders by a quarter from the next, callgrind's count does not. Each
//! target is served by two child processes of this benchmark under `valgrind --tool=callgrind`,
//! which answer all of its requests and a sixth of them over one keep-alive connection; the
//! difference per request is one request, start-up left out (what a child does on timers
//! meanwhile still moves the figures by about 1 %). Everything a child runs counts: server,
//! database client, SQLite itself, and the loopback client sending the requests (the same
//! ~1/70 of a cached request's count for every target, which makes the cached ratio an
//! understatement); PostgreSQL's own work does not.

use std::{net::SocketAddr, process::Command};

use isthmus_db_runtime::{Provider, testing::TempDatabase};
use isthmus_server::startup::open_database;

#[path = "../../rpc/benches/load/mod.rs"]
#[allow(dead_code, reason = "the shared load generator; this benchmark uses one connection of it")]
mod load;
mod posts;

use posts::{CACHED, PLAIN, TAKE, UNCACHED};

/// Name, path and requests of each target: cached answers cost ~1/70 of the others, so more of
/// them keep the start-up's variance small beside their count.
const TARGETS: [(&str, &str, usize); 3] = [
    ("hand-written axum + sqlx", PLAIN, 600),
    ("through the layer, uncached", UNCACHED, 600),
    ("cached", CACHED, 12_000),
];

/// Set in a child: the index of its target in [`TARGETS`], the database URL, how many requests.
const CHILD_TARGET: &str = "POSTS_INSTRUCTIONS_TARGET";
const CHILD_DATABASE: &str = "POSTS_INSTRUCTIONS_DATABASE";
const CHILD_REQUESTS: &str = "POSTS_INSTRUCTIONS_REQUESTS";

fn main() {
    tracing_subscriber::fmt().with_env_filter("warn").init();
    if let Ok(target) = std::env::var(CHILD_TARGET) {
        serve_requests(target.parse().unwrap());
        return;
    }
    let valgrind = Command::new("valgrind").arg("--version").output();
    assert!(valgrind.is_ok_and(|output| output.status.success()), "this benchmark runs valgrind: apt install valgrind");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let scratch = tempfile::tempdir().unwrap();
    if posts::selected("sqlite") {
        measure(&runtime, "SQLite", &format!("sqlite:{}", scratch.path().join("bench.db").display()));
    }
    if posts::selected("postgresql") {
        let postgres = runtime.block_on(TempDatabase::create(Provider::Postgresql));
        measure(&runtime, "PostgreSQL", postgres.url());
    }
}

/// Seeds the database at `url`, checks that the targets answer alike, then counts each.
fn measure(runtime: &tokio::runtime::Runtime, backend: &str, url: &str) {
    runtime.block_on(async {
        let db = open_database(&url.to_owned().into()).await.unwrap();
        posts::seed(&db).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let server = tokio::spawn(axum::serve(listener, posts::app(db.clone(), address).await).into_future());
        posts::check_answers(address).await;
        server.abort();
        // Closed, so that SQLite's write-ahead log is checkpointed before any child opens the file.
        db.close().await;
    });
    println!("posts.list (take {TAKE}) on {backend}: instructions per request (callgrind)");
    let counts: Vec<f64> = TARGETS
        .iter()
        .enumerate()
        .map(|(target, (_, _, many))| {
            let few = many / 6;
            (collected(url, target, *many) - collected(url, target, few)) as f64 / (many - few) as f64
        })
        .collect();
    for ((name, _, _), count) in TARGETS.iter().zip(&counts) {
        println!("  {name:<30} {count:>12.0}");
    }
    println!(
        "  hand-written ÷ uncached: {:.3}    hand-written ÷ cached: {:.1}  (as throughput: higher is faster)",
        counts[0] / counts[1],
        counts[0] / counts[2]
    );
}

/// The instructions callgrind counted in a child answering `requests` requests.
fn collected(url: &str, target: usize, requests: usize) -> u64 {
    let output = Command::new("valgrind")
        .args(["--tool=callgrind", "--callgrind-out-file=/dev/null"])
        .arg(std::env::current_exe().unwrap())
        .env(CHILD_TARGET, target.to_string())
        .env(CHILD_DATABASE, url)
        .env(CHILD_REQUESTS, requests.to_string())
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{log}");
    log.lines()
        .find_map(|line| line.split_once("Collected :").map(|(_, count)| count.trim().parse().unwrap()))
        .unwrap_or_else(|| panic!("no instruction count in callgrind's output: {log}"))
}

/// A child: serves the benchmark's routes on loopback and sends itself the requests.
fn serve_requests(target: usize) {
    let url = std::env::var(CHILD_DATABASE).unwrap();
    let requests = std::env::var(CHILD_REQUESTS).unwrap().parse().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address: SocketAddr = listener.local_addr().unwrap();
        let app = posts::app(open_database(&url.into()).await.unwrap(), address).await;
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        load::connection(address, TARGETS[target].1, requests).await;
    });
}
