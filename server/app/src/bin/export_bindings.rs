//! `cargo bindings`: regenerates `bindings/src/generated.ts` and `bindings/openapi.json`.
//! Needs no server or database.

use std::process::ExitCode;

use isthmus_server::bindings;

fn main() -> ExitCode {
    match bindings::write() {
        Ok(written) if written.is_empty() => println!("the bindings are up to date"),
        Ok(written) => {
            for path in written {
                println!("wrote {}", path.display());
            }
        }
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
