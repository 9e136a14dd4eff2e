//! `npm run dev` follows edits: `web/dev-loop.mjs` runs it on a copy of the repository and
//! fails unless pages through Vite come from the server, a renamed output field reaches `tsc`
//! (at the usage site) and the running server, and a model added to `schema.prisma` restarts
//! the server on the regenerated client with word that a migration is needed. Its timings
//! are for `npm run bench:dev-loop`; here only the steps count.

use std::{path::Path, process::Command};

#[test]
fn npm_run_dev_follows_a_procedure_edit_and_a_schema_edit() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().and_then(Path::parent).unwrap();
    let output = Command::new("node")
        .arg(root.join("web/dev-loop.mjs"))
        // The copies of contract.rs build there too: their dependencies are compiled already.
        .env("DEV_LOOP_TARGET_DIR", root.join("target/contract-copy"))
        .output()
        .expect("node runs");
    let printed = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{printed}");
    for step in [
        "pages through Vite are rendered by the server",
        "tsc names the usage site",
        "the server answers the new shape",
        "the server restarted on the new client",
        "`cargo prisma migrate dev --name …` is needed",
    ] {
        assert!(printed.contains(step), "{step}: {printed}");
    }
    assert!(printed.contains("subscriberCount"), "tsc's error names the old field: {printed}");
}
