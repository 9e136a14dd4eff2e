//! The TypeScript the procedure layer commits: its own wire types (`bindings/src/protocol.ts`,
//! imported by the client runtime) and the fixture's bindings (`bindings/test/fixture/`,
//! imported by the client's tests). A stale file is rewritten and the test fails, so running
//! it once brings the files up to date (rust-analyzer's `ensure_file_contents`).

use std::path::{Path, PathBuf};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().nth(2).unwrap().to_owned()
}

fn ensure_file_contents(path: &Path, contents: &str) {
    if std::fs::read_to_string(path).is_ok_and(|committed| committed == contents) {
        return;
    }
    std::fs::write(path, contents).unwrap();
    panic!("{} was not up to date and has been updated: commit it and run the tests again", path.display());
}

#[test]
fn the_protocol_types_are_committed() {
    let protocol = isthmus_rpc::protocol_typescript().unwrap();
    ensure_file_contents(&workspace_root().join("bindings/src/protocol.ts"), &protocol);
}

#[test]
fn the_fixture_bindings_are_committed() {
    let bindings = isthmus_rpc_fixture::bindings().unwrap();
    ensure_file_contents(&isthmus_rpc_fixture::bindings_path(&workspace_root()), &bindings);
}
