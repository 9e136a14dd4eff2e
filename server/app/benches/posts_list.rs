//! `cargo bench -p isthmus-server --bench posts_list [-- sqlite|postgresql]`
//!
//! `posts.list` (take 20) of a blog of 10 authors and 1,000 posts (900 published, 1 KB bodies,
//! three tags each), on a SQLite file and then on PostgreSQL (a fresh database on the server at
//! `ISTHMUS_TEST_POSTGRES_URL`), each measured in one run on loopback: a hand-written axum
//! handler running the same two queries with sqlx and answering the same JSON (checked before
//! measuring), the procedure through the layer uncached, and the cached procedure.
//! `posts_instructions` counts the instructions of the same requests, which shared machines
//! do not blur.

use std::net::SocketAddr;

use isthmus_db_runtime::testing::TempDatabase;
use isthmus_server::startup::open_database;

#[path = "../../rpc/benches/load/mod.rs"]
#[allow(dead_code, reason = "the shared load generator; this benchmark does not read memory")]
mod load;
mod posts;

use posts::{CACHED, PLAIN, TAKE, UNCACHED};

fn serve(database_url: String) -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let address = listener.local_addr().unwrap();
    let (ready, seeded) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        runtime.block_on(async move {
            let db = open_database(&database_url.into()).await.unwrap();
            posts::seed(&db).await;
            let app = posts::app(db, address).await;
            ready.send(()).unwrap();
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    seeded.recv().unwrap();
    address
}

fn main() {
    tracing_subscriber::fmt().with_env_filter("warn").init();
    let scratch = tempfile::tempdir().unwrap();
    if posts::selected("sqlite") {
        measure("SQLite", serve(format!("sqlite:{}", scratch.path().join("bench.db").display())));
    }
    if posts::selected("postgresql") {
        // On loopback: a fresh database, dropped at the end (`ISTHMUS_TEST_POSTGRES_URL`).
        let setup = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let postgres = setup.block_on(TempDatabase::create(isthmus_db_runtime::Provider::Postgresql));
        measure("PostgreSQL", serve(postgres.url().to_owned()));
    }
}

/// Checks that the three targets answer alike, then loads them.
fn measure(backend: &str, address: SocketAddr) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        posts::check_answers(address).await;
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
