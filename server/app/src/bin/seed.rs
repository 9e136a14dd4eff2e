//! `cargo prisma db seed`: example data for development, idempotent (upserts by unique keys).

use db::{Client, post, subscriber, user};
use isthmus_server::{configuration::Settings, startup::open_database, telemetry};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    telemetry::init();
    let settings = Settings::from_env()?;
    let db = open_database(&settings.database_url).await?;
    // No usable password: authors sign up through the app, which hashes theirs.
    let author = user::Create::new("ada@example.com", "Ada Lovelace", "!");
    let ada = db.user().upsert(user::UniqueWhere::Email("ada@example.com".into()), author, vec![]).await?;
    for (slug, title, published) in [("hello-isthmus", "Hello, Isthmus", true), ("draft-notes", "Draft notes", false)] {
        let create = post::Create {
            published: Some(published),
            published_at: published.then(db::now),
            ..post::Create::new(slug, title, "Written with a typed client generated from schema.prisma.", ada.id)
        };
        db.post().upsert(post::UniqueWhere::Slug(slug.into()), create, vec![]).await?;
    }
    let reader = subscriber::Create::new("reader@example.com", "Reader");
    db.subscriber().upsert(subscriber::UniqueWhere::Email("reader@example.com".into()), reader, vec![]).await?;
    println!("seeded {}", settings.database_url);
    Ok(())
}
