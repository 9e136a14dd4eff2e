//! What `cargo bindings` writes under `bindings/`: the TypeScript bindings of this server's
//! procedures (`src/generated.ts`) and their OpenAPI document (`openapi.json`).

use std::{
    io,
    path::{Path, PathBuf},
};

use crate::{
    context::{AppState, Ctx},
    procedures,
};

/// A generated file and what it should hold now.
pub struct Generated {
    /// Where it is committed.
    pub path: PathBuf,
    /// What the procedures export now.
    pub contents: String,
}

/// Why the bindings could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum BindingsError {
    /// The current directory is not inside the workspace.
    #[error("cannot find the bindings: {0}")]
    Workspace(#[from] io::Error),
    /// A type could not be exported.
    #[error("cannot export the bindings: {0}")]
    Export(#[from] rpc::ExportError),
}

/// Every generated file, in the workspace that contains the current directory (found at run
/// time, so that a binary built in another checkout, a shared target directory, writes into
/// this one).
pub fn files() -> Result<Vec<Generated>, BindingsError> {
    let here = std::env::current_dir()?;
    let root = here.ancestors().find(|dir| is_workspace_root(dir)).ok_or_else(|| {
        io::Error::new(io::ErrorKind::NotFound, format!("no Cargo workspace contains {}", here.display()))
    })?;
    let router = procedures::router();
    Ok(vec![
        Generated { path: root.join("bindings/src/generated.ts"), contents: rpc::typescript::<AppState, _>(&router)? },
        Generated { path: root.join("bindings/openapi.json"), contents: openapi_of(&router)? },
    ])
}

/// The OpenAPI document of the procedures.
pub fn openapi() -> Result<String, rpc::ExportError> {
    openapi_of(&procedures::router())
}

fn openapi_of(router: &rpc::Router<Ctx>) -> Result<String, rpc::ExportError> {
    rpc::openapi::<AppState, _>(router, env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"))
}

/// Writes the files that differ from what the procedures export now; returns their paths.
pub fn write() -> Result<Vec<PathBuf>, BindingsError> {
    let mut written = Vec::new();
    for file in files()? {
        if std::fs::read_to_string(&file.path).is_ok_and(|current| current == file.contents) {
            continue;
        }
        std::fs::write(&file.path, &file.contents)?;
        written.push(file.path);
    }
    Ok(written)
}

fn is_workspace_root(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join("Cargo.toml")).is_ok_and(|manifest| manifest.contains("[workspace]"))
}
