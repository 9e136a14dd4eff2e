//! The TypeScript bindings of this server's procedures, written to `bindings/src/`.

use std::path::PathBuf;

use crate::{context::AppState, procedures, rpc};

/// Where the committed bindings live.
pub fn path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../bindings/src/generated.ts")
}

/// The bindings as they should be now.
pub fn render() -> Result<String, rpc::ExportError> {
    rpc::typescript::<AppState, _>(&procedures::router())
}
