//! Generated Rust formatted as the workspace formats its own code (rustfmt with the root's
//! `rustfmt.toml`), so that `cargo fmt --check` and the drift check agree on every file.

use std::{
    io::Write,
    path::Path,
    process::{Command, Stdio},
};

#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error("cannot run rustfmt ({0}); install it with `rustup component add rustfmt`")]
    Spawn(std::io::Error),
    #[error("rustfmt rejected the generated `{file}` (a generator bug): {message}")]
    Rejected { file: String, message: String },
}

/// `source` formatted by rustfmt, configured by `root/rustfmt.toml` when there is one.
pub fn rust(root: &Path, file: &str, source: &str) -> Result<String, FormatError> {
    let mut command = Command::new(std::env::var_os("RUSTFMT").unwrap_or_else(|| "rustfmt".into()));
    command.args(["--edition", "2024", "--emit", "stdout", "--quiet"]);
    let config = root.join("rustfmt.toml");
    if config.is_file() {
        command.arg("--config-path").arg(config);
    }
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(FormatError::Spawn)?;
    let mut stdin = child.stdin.take().expect("stdin is piped");
    // Written from another thread: rustfmt may fill its stdout pipe before reading all input.
    let input = source.to_owned();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().map_err(FormatError::Spawn)?;
    writer.join().expect("the writer thread does not panic").map_err(FormatError::Spawn)?;
    if !output.status.success() {
        let message = String::from_utf8_lossy(&output.stderr).into_owned();
        return Err(FormatError::Rejected { file: file.to_owned(), message });
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}
