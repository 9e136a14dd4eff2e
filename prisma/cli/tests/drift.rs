//! The generator's fixtures (`prisma/fixtures/*`): each committed client and its migrations
//! must be what its schema gives now, and each schema valid and formatted. Compiling the
//! clients is `cargo build --workspace`'s part; running some of them, their own tests'.
//! (The application's are checked by the application's own tests.)

use std::path::{Path, PathBuf};

use isthmus_prisma::commands::{Layout, Repo};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().nth(2).unwrap().to_owned()
}

fn fixtures() -> Vec<(String, Repo)> {
    let root = workspace_root();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root.join("prisma/fixtures"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|dir| dir.join("schema.prisma").is_file() || dir.join("schema").is_dir())
        .collect();
    dirs.sort();
    dirs.into_iter()
        .map(|dir| {
            let name = dir.file_name().unwrap().to_string_lossy().into_owned();
            (name, Repo::new(Layout::beside(root.clone(), &dir)))
        })
        .collect()
}

#[test]
fn every_fixture_client_matches_a_fresh_generate_and_its_migrations() {
    let fixtures = fixtures();
    assert!(fixtures.len() >= 8, "the fixtures are found: {:?}", fixtures.iter().map(|(n, _)| n).collect::<Vec<_>>());
    for (name, fixture) in fixtures {
        let schema = fixture.relative(fixture.engine().schema_path());
        let drifted = fixture.client_drift().expect("the schema engine runs (needs Node and `npm ci`)");
        let fix = format!("run `cargo prisma --schema {schema} generate` and commit");
        assert!(drifted.is_empty(), "{name}: the client differs from its schema in {drifted:?}: {fix}");
        let engine = fixture.engine();
        assert!(engine.validate().unwrap().is_empty(), "{schema} is invalid");
        let unformatted: Vec<_> = fixture.unformatted().unwrap().into_iter().map(|(path, _)| path).collect();
        assert!(unformatted.is_empty(), "{unformatted:?} not formatted: run `cargo prisma --schema {schema} format`");
        assert!(fixture.migrate_check().unwrap().is_empty(), "the migrations of {name} do not reproduce {schema}");
    }
}

#[test]
fn unsupported_fields_are_reported_with_their_place() {
    let (_, scalars) = fixtures().into_iter().find(|(name, _)| name == "scalars").unwrap();
    let (_, warnings) = scalars.render_client().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].starts_with("prisma/fixtures/scalars/schema.prisma:") && warnings[0].contains("Sample.shape"),
        "{warnings:?}"
    );
}
