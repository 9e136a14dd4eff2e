//! The committed TypeScript bindings must be exactly what the procedures export now.

use isthmus_server::bindings;

#[test]
fn committed_bindings_match_the_procedures() {
    let path = bindings::path().expect("the test runs inside the workspace");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let fresh = bindings::render().expect("the procedures' types export to TypeScript");
    if committed != fresh {
        let first_difference = committed
            .lines()
            .zip(fresh.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| committed.lines().count().min(fresh.lines().count()));
        panic!(
            "{} is out of date (first difference at line {}).\n\
             Run `cargo bindings` and commit the result.",
            path.display(),
            first_difference + 1
        );
    }
}

#[test]
fn rendering_is_deterministic() {
    assert_eq!(bindings::render().unwrap(), bindings::render().unwrap());
}
