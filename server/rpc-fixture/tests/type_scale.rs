//! The bindings of a 1,000-procedure router (`scale`) stay flat and type-check: 100 calls
//! through the client runtime pass `tsc`, and a call with a wrong input fails it. (How long
//! that takes is `benches/type_scale.rs`.)

use std::{path::Path, process::Command};

use isthmus_rpc_fixture::{State, scale};

fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().and_then(Path::parent).unwrap()
}

/// `tsc --noEmit` over `calls` beside the scale router's bindings: its success and report.
fn typecheck(calls: &str) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let bindings = isthmus_rpc::typescript::<State, _>(&scale::router()).unwrap();
    scale::write_project(dir.path(), &bindings, calls).unwrap();
    let output = Command::new(workspace().join("node_modules/.bin/tsc"))
        .args(["--noEmit", "-p"])
        .arg(dir.path())
        .output()
        .expect("tsc runs: `npm ci` first");
    (output.status.success(), String::from_utf8_lossy(&output.stdout).into_owned())
}

fn client() -> String {
    workspace().join("bindings/src/client").display().to_string()
}

#[test]
fn a_thousand_procedures_export_flat_and_a_hundred_calls_type_check() {
    let bindings = isthmus_rpc::typescript::<State, _>(&scale::router()).unwrap();
    assert_eq!(bindings.matches(r#"kind: "query""#).count(), 700);
    assert_eq!(bindings.matches(r#"kind: "mutation""#).count(), 300);
    assert!(bindings.contains("export type Shape99 = "), "one named type per input");
    assert!(
        bindings.contains(r#""domain07.call3": { kind: "query"; input: Shape07; output: Page<Shape07>"#),
        "{bindings}"
    );

    let (ok, report) = typecheck(&scale::calls_typescript(&client()));
    assert!(ok, "{report}");
}

#[test]
fn a_wrong_input_among_the_thousand_fails_the_type_check() {
    let calls = scale::calls_typescript(&client()).replacen("id: 1,", "id: \"1\",", 1);
    let (ok, report) = typecheck(&calls);
    assert!(!ok, "a string id must not type-check");
    assert!(report.contains("calls.ts") && report.contains("TS2322"), "{report}");
}
