//! `isthmus-server` serves the app; with arguments, it runs one of the app's commands
//! (`commands.rs`).

use std::process::ExitCode;

use isthmus_server::{commands, configuration::Settings, startup::Application, telemetry};

#[tokio::main]
async fn main() -> ExitCode {
    telemetry::init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // The message, not `Debug`: errors say what failed; their structure is for the log.
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let settings = Settings::from_env()?;
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.is_empty() {
        return commands::run(settings, &args.iter().map(String::as_str).collect::<Vec<_>>()).await;
    }
    if settings.write_bindings {
        for path in isthmus_server::bindings::write()? {
            println!("wrote {}", path.display());
        }
    }
    let application = Application::build(settings).await?;
    // Scripts (and the tests) read the address from this line.
    println!("listening on http://{}", application.local_addr()?);
    application.run_until_stopped().await?;
    Ok(())
}
