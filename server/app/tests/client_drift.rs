//! The committed database client is what schema.prisma gives now, and the schema is valid and
//! formatted. (`cargo prisma migrate check`, in `npm test`, checks the migrations.)

use isthmus_prisma::commands::Repo;

#[test]
fn the_database_client_matches_the_schema() {
    let repo = Repo::find().expect("the test runs inside the workspace");
    let drifted = repo.client_drift().expect("the schema engine runs (needs Node and `npm ci`)");
    assert!(
        drifted.is_empty(),
        "prisma/client/src differs from schema.prisma in {drifted:?}: run `cargo prisma generate`"
    );
    let engine = repo.engine();
    assert_eq!(engine.validate().unwrap().len(), 0, "schema.prisma is invalid: run `cargo prisma validate`");
    let unformatted: Vec<_> = repo.unformatted().unwrap().into_iter().map(|(path, _)| path).collect();
    assert!(unformatted.is_empty(), "{unformatted:?} not formatted: run `cargo prisma format`");
}
