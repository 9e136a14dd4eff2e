//! `npm run soak` (`cargo bench -p isthmus-server --bench soak`; `SOAK_MINUTES`, default 10;
//! `SOAK_WRITERS`, default 2)
//!
//! The application (development mode: demo content, the real web build) under mixed load on
//! loopback for a while: readers of procedures and server-rendered pages, JSON and form
//! writes (sign-ups, queued emails), an editor whose post edits revalidate cached results and
//! pages, batches, and subscribers that come and go. Prints, each minute, the requests
//! answered, the errors (any answer other than the expected one) and the process's resident
//! memory; fails if there was any error.

use std::{
    path::Path,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use db::{Client, Post, post};
use futures_util::StreamExt;
use isthmus_db_runtime::chrono::{Duration as Days, Utc};
use isthmus_server::{
    blog::session::{self, SessionPolicy},
    configuration::Settings,
    procedures::auth,
    startup::{Application, open_database},
};

#[path = "../../rpc/benches/load/mod.rs"]
#[allow(dead_code, reason = "the shared load generator; the soak uses its memory reading only")]
mod load;

#[derive(Default)]
struct Tally {
    answered: AtomicU64,
    errors: AtomicU64,
}

impl Tally {
    fn record(&self, ok: bool, what: &str) {
        self.answered.fetch_add(1, Ordering::Relaxed);
        if !ok {
            self.errors.fetch_add(1, Ordering::Relaxed);
            eprintln!("unexpected answer: {what}");
        }
    }
}

async fn readers(base: String, http: reqwest::Client, tally: Arc<Tally>) {
    for path in
        ["/rpc/posts.list?input=%7B%7D", "/blog", "/rpc/newsletter.stats", "/", "/blog/hello-isthmus"].iter().cycle()
    {
        let status = http.get(format!("{base}{path}")).send().await.map(|r| r.status().as_u16());
        tally.record(status.as_ref().is_ok_and(|s| *s == 200), &format!("GET {path}: {status:?}"));
    }
}

async fn writers(base: String, http: reqwest::Client, tally: Arc<Tally>, id: u64) {
    for n in 0_u64.. {
        let (email, client) =
            (format!("soak-{id}-{n}@example.com"), format!("10.{}.{}.{}", id, n / 256 % 256, n % 256));
        let json = http
            .post(format!("{base}/rpc/newsletter.subscribe"))
            .header("origin", &base)
            .header("x-forwarded-for", &client)
            .json(&serde_json::json!({ "email": email, "name": "Soak" }))
            .send()
            .await
            .map(|r| r.status().as_u16());
        tally.record(json.as_ref().is_ok_and(|s| *s == 200), &format!("subscribe: {json:?}"));
        let form = http
            .post(format!("{base}/rpc/newsletter.subscribe"))
            .header("origin", &base)
            .header("referer", format!("{base}/"))
            .header("x-forwarded-for", &client)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("email=form-{email}&name=Form"))
            .send()
            .await
            .map(|r| r.status().as_u16());
        tally.record(form.as_ref().is_ok_and(|s| *s == 303), &format!("form: {form:?}"));
    }
}

async fn batches(base: String, http: reqwest::Client, tally: Arc<Tally>) {
    let batch = r#"[{"path":"posts.list","input":{"take":5}},{"path":"newsletter.stats"},{"path":"auth.me"}]"#;
    loop {
        let answer = http.get(format!("{base}/rpc")).query(&[("batch", batch)]).send().await;
        let statuses = match answer {
            Ok(response) => response.json::<Vec<serde_json::Value>>().await.ok(),
            Err(_) => None,
        };
        let ok = statuses.as_ref().is_some_and(|all| all.len() == 3 && all.iter().all(|call| call["status"] == 200));
        tally.record(ok, &format!("batch: {statuses:?}"));
    }
}

/// Edits the demo post's title again and again as an admin: each edit revalidates the posts'
/// cached results and drops their rendered pages, which the readers render anew.
async fn editor(base: String, http: reqwest::Client, tally: Arc<Tally>, session: String, post: Post) {
    for n in 0_u64.. {
        let input = serde_json::json!({
            "id": post.id, "title": format!("{} ({n})", post.title), "slug": post.slug, "body": post.body, "tags": ["rust"],
        });
        let status = http
            .post(format!("{base}/rpc/posts.update"))
            .header("origin", &base)
            .header("cookie", format!("{}={session}", session::COOKIE))
            .json(&input)
            .send()
            .await
            .map(|r| r.status().as_u16());
        tally.record(status.as_ref().is_ok_and(|s| *s == 200), &format!("edit: {status:?}"));
    }
}

/// Subscribes, waits for the first event, and goes away, again and again.
async fn subscribers(base: String, http: reqwest::Client, tally: Arc<Tally>) {
    loop {
        let response = http.get(format!("{base}/rpc/newsletter.watchStats")).send().await;
        let first = match response {
            Ok(response) if response.status() == 200 => response.bytes_stream().next().await.is_some_and(|c| c.is_ok()),
            _ => false,
        };
        tally.record(first, "subscription without a first event");
    }
}

fn main() {
    let minutes: u64 = std::env::var("SOAK_MINUTES").ok().and_then(|m| m.parse().ok()).unwrap_or(10);
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web");
    let scratch = tempfile::tempdir().unwrap();
    let database = format!("sqlite:{}", scratch.path().join("soak.db").display());
    let (dist, bundle) =
        (web.join("dist").display().to_string(), web.join("dist-server/entry-server.js").display().to_string());
    let settings = Settings::from_lookup(|name| match name {
        "ISTHMUS_ADDRESS" => Some("127.0.0.1:0".into()),
        "ISTHMUS_ENV" => Some("development".into()),
        "DATABASE_URL" => Some(database.clone()),
        "ISTHMUS_WEB_DIR" => Some(dist.clone()),
        "ISTHMUS_SERVER_BUNDLE" => Some(bundle.clone()),
        "ISTHMUS_CLIENT_IP_HEADER" => Some("x-forwarded-for".into()),
        _ => None,
    })
    .unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let errors = runtime.block_on(async move {
        let application = Application::build(settings).await.expect("the app starts (after `npm run build -w web`)");
        let base = format!("http://{}", application.local_addr().unwrap());
        tokio::spawn(application.run_until_stopped());
        let tally = Arc::new(Tally::default());
        // Redirects are not followed: a form post must answer 303 itself.
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        for _ in 0..8 {
            tokio::spawn(readers(base.clone(), http.clone(), tally.clone()));
        }
        // `SOAK_WRITERS=0` leaves the database as it is (to tell what grows with the data).
        let writer_count: u64 = std::env::var("SOAK_WRITERS").ok().and_then(|n| n.parse().ok()).unwrap_or(2);
        for id in 0..writer_count {
            tokio::spawn(writers(base.clone(), http.clone(), tally.clone(), id));
        }
        let db = open_database(&database.into()).await.unwrap();
        let admin = auth::create_author(&db, "soak@example.com", "Soak", "a long enough password", db::Role::Admin);
        let policy = SessionPolicy { lifetime: Days::days(1), idle: Days::days(1) };
        let session = session::start(&db, admin.await.unwrap().id, policy, Utc::now()).await.unwrap();
        let demo = db.post().find_unique(post::UniqueWhere::Slug("hello-isthmus".into())).first().await.unwrap();
        tokio::spawn(editor(base.clone(), http.clone(), tally.clone(), session, demo.expect("the demo post")));
        for _ in 0..2 {
            tokio::spawn(batches(base.clone(), http.clone(), tally.clone()));
            tokio::spawn(subscribers(base.clone(), http.clone(), tally.clone()));
        }
        println!("soak: {minutes} minutes of mixed load on {base}");
        println!("{:>6} {:>12} {:>8} {:>14}", "minute", "answered", "errors", "resident KiB");
        let started = Instant::now();
        let mut every_minute =
            tokio::time::interval_at(tokio::time::Instant::now() + Duration::from_secs(60), Duration::from_secs(60));
        let mut memory = Vec::new();
        for minute in 1..=minutes {
            every_minute.tick().await;
            let resident = load::resident_kib();
            memory.push(resident);
            let (answered, errors) = (tally.answered.load(Ordering::Relaxed), tally.errors.load(Ordering::Relaxed));
            println!("{minute:>6} {answered:>12} {errors:>8} {resident:>14}");
        }
        let (low, high) = (memory.iter().min().copied().unwrap_or(0), memory.iter().max().copied().unwrap_or(0));
        println!(
            "{:.0} s; resident memory from {low} to {high} KiB ({:+.1} % over the run after the first minute)",
            started.elapsed().as_secs_f64(),
            (high as f64 / low.max(1) as f64 - 1.0) * 100.0
        );
        tally.errors.load(Ordering::Relaxed)
    });
    assert_eq!(errors, 0, "every answer was the expected one");
}
