//! The committed bindings (TypeScript and OpenAPI) must be exactly what the procedures export
//! now.

use isthmus_server::bindings;

#[test]
fn committed_bindings_match_the_procedures() {
    for file in bindings::files().expect("the procedures' types export") {
        let committed = std::fs::read_to_string(&file.path).unwrap_or_default();
        if committed != file.contents {
            let first_difference = committed
                .lines()
                .zip(file.contents.lines())
                .position(|(a, b)| a != b)
                .unwrap_or_else(|| committed.lines().count().min(file.contents.lines().count()));
            panic!(
                "{} is out of date (first difference at line {}).\n\
                 Run `cargo bindings` and commit the result.",
                file.path.display(),
                first_difference + 1
            );
        }
    }
}

#[test]
fn rendering_is_deterministic() {
    let contents = || bindings::files().unwrap().into_iter().map(|file| file.contents).collect::<Vec<_>>();
    assert_eq!(contents(), contents());
}
