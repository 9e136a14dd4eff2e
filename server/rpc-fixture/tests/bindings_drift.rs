//! The fixture's committed bindings are what its router exports now.

use std::path::Path;

#[test]
fn committed_fixture_bindings_match_the_router() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().nth(2).unwrap();
    let path = isthmus_rpc_fixture::bindings_path(root);
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == isthmus_rpc_fixture::bindings().unwrap(),
        "{} is out of date: run `cargo run -p isthmus-rpc-fixture -- export` and commit it",
        path.display()
    );
}
