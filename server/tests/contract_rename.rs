//! The contract end to end, on a temporary copy of the repository: renaming a field of an
//! output type fails the drift test until the bindings are regenerated, and after that the
//! frontend's type check fails where the old name is used.
//!
//! Slow (it builds the copy in its own target directory, `target/contract-copy`), so it
//! runs once, as one test.

use std::{
    fs,
    path::{Path, PathBuf},
    process::{Command, Output},
};

fn repository_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}

/// Copies the files git knows about (tracked or new, not ignored): no build output.
fn copy_repository(from: &Path, to: &Path) {
    let listing = Command::new("git")
        .args(["ls-files", "-z", "--cached", "--others", "--exclude-standard"])
        .current_dir(from)
        .output()
        .expect("git runs");
    assert!(listing.status.success(), "git ls-files failed");
    for relative in listing.stdout.split(|&b| b == 0).filter(|p| !p.is_empty()) {
        let relative = Path::new(std::str::from_utf8(relative).unwrap());
        let source = from.join(relative);
        if !source.is_file() {
            continue; // deleted in the work tree but still in the index
        }
        let target = to.join(relative);
        fs::create_dir_all(target.parent().unwrap()).unwrap();
        fs::copy(&source, &target).unwrap();
    }
    let node_modules = from.join("node_modules");
    assert!(node_modules.is_dir(), "node_modules is missing: run `npm ci` at the repository root first");
    std::os::unix::fs::symlink(node_modules, to.join("node_modules")).unwrap();
}

fn run(command: &mut Command) -> Output {
    let output = command.output().expect("the command starts");
    eprintln!(
        "$ {command:?}\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn cargo(copy: &Path, target_dir: &Path, args: &[&str]) -> Output {
    run(Command::new(env!("CARGO")).args(args).current_dir(copy).env("CARGO_TARGET_DIR", target_dir))
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

#[test]
fn renaming_an_output_field_breaks_drift_check_then_frontend_typecheck() {
    let root = repository_root();
    let scratch = tempfile::tempdir().unwrap();
    let copy = scratch.path();
    copy_repository(&root, copy);
    let target_dir = root.join("target/contract-copy");

    let domain = copy.join("server/src/procedures/newsletter.rs");
    let source = fs::read_to_string(&domain).unwrap();
    assert!(source.contains("subscriber_count"), "the example field to rename has moved");
    fs::write(&domain, source.replace("subscriber_count", "reader_count")).unwrap();

    let drift = cargo(copy, &target_dir, &["test", "--quiet", "-p", "isthmus-server", "--test", "bindings_drift"]);
    assert!(!drift.status.success(), "the drift test must fail before regenerating");
    assert!(text(&drift).contains("Run `cargo bindings`"), "the failure says how to fix it");

    let export = cargo(copy, &target_dir, &["bindings"]);
    assert!(export.status.success(), "cargo bindings succeeds");
    let bindings = fs::read_to_string(copy.join("bindings/src/generated.ts")).unwrap();
    assert!(bindings.contains("readerCount: number"), "the bindings carry the new name");

    let drift = cargo(copy, &target_dir, &["test", "--quiet", "-p", "isthmus-server", "--test", "bindings_drift"]);
    assert!(drift.status.success(), "after regenerating the drift test passes");

    let tsc = run(Command::new(copy.join("node_modules/.bin/tsc")).args(["--noEmit", "-p", "web"]).current_dir(copy));
    assert!(!tsc.status.success(), "the frontend no longer type-checks");
    let report = text(&tsc);
    assert!(
        report.contains("src/routes/index.tsx") && report.contains("subscriberCount"),
        "tsc points at the usage site: {report}"
    );
}
