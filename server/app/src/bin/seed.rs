//! `cargo prisma db seed`: the demo content, written into an empty database only.

use isthmus_server::{blog::seed, configuration::Settings, startup::open_database, telemetry};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    telemetry::init();
    let settings = Settings::from_env()?;
    let db = open_database(&settings.database_url).await?;
    match seed::demo_content_if_empty(&db).await? {
        Some(password) => println!("seeded the database: sign in as {} with {password}", seed::DEMO_EMAIL),
        None => println!("the database already has users: nothing seeded"),
    }
    Ok(())
}
