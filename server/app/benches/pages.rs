//! `cargo bench -p isthmus-server --bench pages` (after `npm run build -w web`)
//!
//! Pages rendered by the server, for a blog of 30 published posts with 1 KB markdown bodies on
//! a SQLite file, measured in one run on loopback:
//! - the cached HTML of `/blog` against the same bytes served as a static file (`ServeDir`);
//! - renders without the page cache (every request renders; the queries behind the page are
//!   answered from the result cache, as they are in production) of `/blog` and of a post;
//! - the resident memory of the process (server, default render workers and load generator).

use std::{net::SocketAddr, path::Path};

use axum::{Router, extract::Request, routing::any, serve::ListenerExt};
use db::{Client, post, user};
use isthmus_db_runtime::chrono::{self, Utc};
use isthmus_server::{
    blog::password,
    configuration::Settings,
    context::AppState,
    procedures::{self, posts},
    startup::open_database,
};
use render::{Engine, EngineConfig, Pages, PagesOptions, Template};
use rpc::{ResponseCache, RpcConfig};
use tower_http::services::ServeDir;

#[path = "../../rpc/benches/load/mod.rs"]
#[allow(dead_code, reason = "the shared load generator; this benchmark compares across servers")]
mod load;

const POSTS: i64 = 30;
const RENDER_ROUNDS: usize = 5;
const RENDERS_PER_ROUND: usize = 1_600;

async fn seed(db: &db::Db) {
    let author = db
        .user()
        .create(user::Create::new("author@example.com", "An Author", password::hash("benchmark")))
        .await
        .unwrap();
    let body = "Lorem ipsum dolor sit amet, *consectetur* adipiscing elit. ".repeat(17);
    for n in 0..POSTS {
        let published_at = Utc::now() - chrono::Duration::minutes(n);
        let create = post::Create {
            published: Some(true),
            published_at: Some(published_at),
            ..post::Create::new(format!("post-{n}"), format!("Post number {n}"), body.clone(), author.id)
        };
        let created = db.post().create(create).await.unwrap();
        posts::set_tags(db, &created, &["rust".to_owned(), "web".to_owned()]).await.unwrap();
    }
}

struct Servers {
    engine: Engine,
    pages: SocketAddr,
    uncached: SocketAddr,
    files: SocketAddr,
}

fn serve(database_url: String, files: &Path) -> Servers {
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web");
    let template = std::fs::read_to_string(web.join("dist/index.html")).expect("run `npm run build -w web` first");
    let bundle = std::fs::read_to_string(web.join("dist-server/entry-server.js")).expect("run `npm run build -w web`");
    let listeners: Vec<_> = (0..3)
        .map(|_| {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.set_nonblocking(true).unwrap();
            listener
        })
        .collect();
    let [pages, uncached, file_server] = [0, 1, 2].map(|i| listeners[i].local_addr().unwrap());
    let files = files.to_owned();
    let (ready, seeded) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        runtime.block_on(async move {
            let db = open_database(&database_url.into()).await.unwrap();
            seed(&db).await;
            let settings = Settings::from_lookup(|name| (name == "ISTHMUS_ENV").then(|| "production".into())).unwrap();
            let origin = format!("http://{pages}");
            let cache = ResponseCache::new(1000);
            let state = AppState::start(db, cache.clone(), fetch(), &settings, origin.clone()).await.unwrap();
            let config = RpcConfig::default();
            let procedures = procedures::router();
            let engine = Engine::start(&bundle, EngineConfig::default()).unwrap();
            let template = Template::parse(&template).unwrap();
            let page = |cache_bytes| {
                let options = PagesOptions { origin: origin.clone(), cache_bytes };
                let pages = Pages::new(
                    engine.clone(),
                    procedures.local_queries(state.clone(), &config),
                    template.clone(),
                    &cache,
                    options,
                );
                any(move |request: Request| pages.clone().serve(request))
            };
            let (cached, every_time) = (page(PagesOptions::new("").cache_bytes), page(0));
            let app = procedures.into_axum(state, config).fallback(cached);
            // As the application serves (`startup`): no delayed-ACK stalls on split responses.
            let mut listeners = listeners
                .into_iter()
                .map(|l| tokio::net::TcpListener::from_std(l).unwrap().tap_io(|s| s.set_nodelay(true).unwrap()));
            let (a, b, c) = (listeners.next().unwrap(), listeners.next().unwrap(), listeners.next().unwrap());
            tokio::spawn(async move { axum::serve(a, app).await.unwrap() });
            tokio::spawn(async move { axum::serve(b, Router::new().fallback(every_time)).await.unwrap() });
            ready.send(engine).unwrap();
            axum::serve(c, Router::new().fallback_service(ServeDir::new(files))).await.unwrap();
        });
    });
    let engine = seeded.recv().unwrap();
    Servers { engine, pages, uncached, files: file_server }
}

async fn html(address: SocketAddr, path: &str) -> String {
    let response = reqwest::get(format!("http://{address}{path}")).await.unwrap();
    assert_eq!(response.status(), 200, "{path}");
    response.text().await.unwrap()
}

fn main() {
    tracing_subscriber::fmt().with_env_filter("warn").init();
    let scratch = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite:{}", scratch.path().join("bench.db").display());
    let servers = serve(sqlite, scratch.path());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let index = html(servers.pages, "/blog").await;
        assert!(index.contains(">Post number 0</a>") && index.contains(">Post number 19</a>"), "20 posts rendered");
        std::fs::write(scratch.path().join("blog.html"), &index).unwrap();
        assert_eq!(html(servers.files, "/blog.html").await, index, "the file holds the same bytes");
        assert_eq!(html(servers.uncached, "/blog").await.len(), index.len(), "renders answer the same page");
        println!(
            "/blog: {} bytes of HTML; {} connections, {} requests a round, {} cycles",
            index.len(),
            load::CONNECTIONS,
            load::REQUESTS_PER_ROUND,
            load::CYCLES
        );
        load::compare_at(
            "HTML of /blog",
            &[("static file, same bytes", servers.files, "/blog.html"), ("cached page", servers.pages, "/blog")],
        )
        .await;

        println!("\nrenders without the page cache ({RENDER_ROUNDS} rounds of {RENDERS_PER_ROUND}, median round)");
        println!("{:<24} {:>12} {:>10} {:>10} {:>18}", "page", "renders/s", "p50", "p99", "server CPU/render");
        for path in ["/blog", "/blog/post-0"] {
            load::round_of(servers.uncached, path, 320).await;
            let mut rounds = Vec::new();
            for _ in 0..RENDER_ROUNDS {
                rounds.push(load::round_of(servers.uncached, path, RENDERS_PER_ROUND).await);
            }
            let r = load::median(rounds);
            println!(
                "{path:<24} {:>12.0} {:>10.1?} {:>10.1?} {:>18.2?}",
                r.requests_per_second, r.p50, r.p99, r.cpu_per_request
            );
        }
        let stats = servers.engine.stats();
        assert_eq!((stats.failures, stats.refused), (0, 0), "every request was a render, none a fallback");
        let workers = EngineConfig::default().workers;
        println!(
            "\nresident memory of the process ({workers} render workers, server and load generator): {} kB",
            load::resident_kib()
        );
    });
}

/// The app's client for external services (the benchmark calls none).
fn fetch() -> fetch::Fetch {
    fetch::Fetch::new(fetch::FetchConfig::default()).unwrap()
}
