//! The committed client and migrations must be what schema.prisma gives now.

use isthmus_prisma::commands::Repo;

#[test]
fn committed_client_matches_a_fresh_generate() {
    let drifted = Repo::here().client_drift().expect("the schema engine runs (needs Node and `npm ci`)");
    assert!(
        drifted.is_empty(),
        "prisma/client/src differs from schema.prisma in {drifted:?}: run `cargo prisma generate` and commit"
    );
}

#[test]
fn schema_is_valid_and_formatted() {
    let repo = Repo::here();
    let engine = repo.engine();
    let diagnostics = engine.validate().unwrap();
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let current = std::fs::read_to_string(engine.schema_path()).unwrap();
    assert_eq!(current, engine.format().unwrap(), "schema.prisma is not formatted: run `cargo prisma format`");
}
