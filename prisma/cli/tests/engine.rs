//! The engine bridge says what to do when `npm ci` has not been run, for every kind of
//! command (the parser's, loaded with `require`, and the schema engine's, with `import`).

use std::path::Path;

use isthmus_prisma::engine::{Engine, EngineError};

#[test]
fn without_its_packages_the_engine_says_to_run_npm_ci() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().nth(2).unwrap();
    let bare = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(bare.path().join("prisma/engine")).unwrap();
    std::fs::copy(root.join("prisma/engine/engine.mjs"), bare.path().join("prisma/engine/engine.mjs")).unwrap();
    let engine = Engine::new(bare.path(), root.join("schema.prisma"));

    let validate = engine.validate();
    assert!(matches!(validate, Err(EngineError::NotInstalled)), "{validate:?}");
    let diff = engine.diff("sqlite", &root.join("prisma/migrations/sqlite"));
    assert!(matches!(diff, Err(EngineError::NotInstalled)), "{diff:?}");
    assert_eq!(
        EngineError::NotInstalled.to_string(),
        "Prisma's engine packages are not installed: run `npm ci` at the repository root first"
    );
}
