//! `cargo bindings`: regenerates `bindings/src/generated.ts` and `bindings/openapi.json`.
//! Needs no server or database.

use std::process::ExitCode;

use isthmus_server::bindings;

fn main() -> ExitCode {
    let files = match bindings::files() {
        Ok(files) => files,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    };
    for file in files {
        if std::fs::read_to_string(&file.path).is_ok_and(|current| current == file.contents) {
            println!("{} is up to date", file.path.display());
            continue;
        }
        if let Err(error) = std::fs::write(&file.path, &file.contents) {
            eprintln!("cannot write {}: {error}", file.path.display());
            return ExitCode::FAILURE;
        }
        println!("wrote {}", file.path.display());
    }
    ExitCode::SUCCESS
}
