use isthmus_server::{configuration::Settings, startup::Application, telemetry};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    telemetry::init();
    let settings = Settings::from_env()?;
    let application = Application::build(settings).await?;
    // Scripts (and the bindings tests) read the address from this line.
    println!("listening on http://{}", application.local_addr()?);
    application.run_until_stopped().await?;
    Ok(())
}
