//! The generator's fixture: its committed client and migrations must be what its schema
//! gives now. (The application's are checked by the application's own tests.)

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

#[test]
fn the_fixture_client_matches_a_fresh_generate_and_its_migrations() {
    let fixture = fixture();
    let drifted = fixture.client_drift().expect("the schema engine runs (needs Node and `npm ci`)");
    let fix = "run `cargo prisma --schema prisma/fixture/schema.prisma generate` and commit";
    assert!(drifted.is_empty(), "the fixture's client differs from its schema in {drifted:?}: {fix}");
    let engine = fixture.engine();
    assert!(engine.validate().unwrap().is_empty(), "the fixture's schema is invalid");
    let current = std::fs::read_to_string(engine.schema_path()).unwrap();
    assert_eq!(
        current,
        engine.format().unwrap(),
        "the fixture's schema is not formatted: run `cargo prisma --schema … format`"
    );
    assert!(fixture.migrate_check().unwrap().is_empty(), "prisma/fixture/migrations do not reproduce its schema");
}
