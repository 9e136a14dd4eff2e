//! `cargo bindings`: regenerates `bindings/src/generated.ts`. Needs no server or database.

use std::process::ExitCode;

use isthmus_server::bindings;

fn main() -> ExitCode {
    let path = match bindings::path() {
        Ok(path) => path,
        Err(error) => {
            eprintln!("cannot find the bindings: {error}");
            return ExitCode::FAILURE;
        }
    };
    let rendered = match bindings::render() {
        Ok(rendered) => rendered,
        Err(error) => {
            eprintln!("cannot export bindings: {error}");
            return ExitCode::FAILURE;
        }
    };
    if std::fs::read_to_string(&path).is_ok_and(|current| current == rendered) {
        println!("{} is up to date", path.display());
        return ExitCode::SUCCESS;
    }
    if let Err(error) = std::fs::write(&path, rendered) {
        eprintln!("cannot write {}: {error}", path.display());
        return ExitCode::FAILURE;
    }
    println!("wrote {}", path.display());
    ExitCode::SUCCESS
}
