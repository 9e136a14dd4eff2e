//! The committed clients and migrations must be what their schemas give now: the
//! application's, and the generator's fixture.

use std::path::{Path, PathBuf};

use isthmus_prisma::commands::{Layout, Repo};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().nth(2).unwrap().to_owned()
}

fn fixture() -> Repo {
    let root = workspace_root();
    let dir = root.join("prisma/fixture");
    Repo::new(Layout::beside(root, &dir))
}

fn assert_no_drift(repo: &Repo, name: &str) {
    let drifted = repo.client_drift().expect("the schema engine runs (needs Node and `npm ci`)");
    assert!(
        drifted.is_empty(),
        "the {name} client differs from its schema in {drifted:?}: run `cargo prisma generate` (the fixture: `cargo prisma --schema prisma/fixture/schema.prisma generate`) and commit"
    );
    let engine = repo.engine();
    let diagnostics = engine.validate().unwrap();
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let current = std::fs::read_to_string(engine.schema_path()).unwrap();
    assert_eq!(
        current,
        engine.format().unwrap(),
        "{} is not formatted: run `cargo prisma format`",
        engine.schema_path().display()
    );
}

#[test]
fn the_application_client_matches_a_fresh_generate() {
    assert_no_drift(&Repo::find().expect("the test runs inside the workspace"), "application");
}

#[test]
fn the_fixture_client_matches_a_fresh_generate_and_its_migrations() {
    let fixture = fixture();
    assert_no_drift(&fixture, "fixture");
    assert!(fixture.migrate_check().unwrap().is_empty(), "prisma/fixture/migrations do not reproduce its schema");
}
