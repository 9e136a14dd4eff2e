//! The TypeScript bindings of this server's procedures, written to `bindings/src/`.

use std::{
    io,
    path::{Path, PathBuf},
};

use crate::{context::AppState, procedures};

/// Where the committed bindings live: `bindings/src/generated.ts` in the workspace that
/// contains the current directory. Found at run time, so that a binary built in another
/// checkout (a shared target directory) writes into this one.
pub fn path() -> io::Result<PathBuf> {
    let here = std::env::current_dir()?;
    let root = here.ancestors().find(|dir| is_workspace_root(dir)).ok_or_else(|| {
        io::Error::new(io::ErrorKind::NotFound, format!("no Cargo workspace contains {}", here.display()))
    })?;
    Ok(root.join("bindings/src/generated.ts"))
}

fn is_workspace_root(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join("Cargo.toml")).is_ok_and(|manifest| manifest.contains("[workspace]"))
}

/// The bindings as they should be now.
pub fn render() -> Result<String, rpc::ExportError> {
    rpc::typescript::<AppState, _>(&procedures::router())
}
