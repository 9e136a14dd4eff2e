//! `rpc-fixture serve` prints `listening on http://…` and serves the fixture on a free
//! loopback port until stopped; `rpc-fixture export` rewrites its committed bindings.

use std::{net::SocketAddr, process::ExitCode};

#[tokio::main]
async fn main() -> ExitCode {
    let command = std::env::args().nth(1);
    let outcome = match command.as_deref() {
        Some("serve") => serve().await,
        Some("export") => export(),
        _ => Err("usage: rpc-fixture serve|export".into()),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("rpc-fixture: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn serve() -> Result<(), Box<dyn std::error::Error>> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let app = isthmus_rpc_fixture::app(address)?;
    println!("listening on http://{address}");
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await?;
    Ok(())
}

fn export() -> Result<(), Box<dyn std::error::Error>> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().nth(2).ok_or("no workspace root")?;
    let path = isthmus_rpc_fixture::bindings_path(root);
    std::fs::write(&path, isthmus_rpc_fixture::bindings()?)?;
    println!("wrote {}", path.display());
    Ok(())
}
