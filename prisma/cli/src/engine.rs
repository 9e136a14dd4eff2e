//! Prisma's own schema parser and migration engine, compiled to WebAssembly and run by Node
//! (`prisma/engine/engine.mjs`). Only developer commands use it; the server never does.

use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
};

use serde::de::DeserializeOwned;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("cannot run node ({0}); `cargo prisma` needs Node 20+ and `npm ci` at the repository root")]
    Spawn(std::io::Error),
    #[error("Prisma's engine packages are not installed: run `npm ci` at the repository root first")]
    NotInstalled,
    #[error("the Prisma engine failed: {0}")]
    Failed(String),
    #[error("the Prisma engine answered something unexpected: {0}")]
    Output(String),
    #[error("{0}")]
    Schema(std::io::Error),
}

/// A schema problem, located.
#[derive(Debug, serde::Deserialize)]
pub struct Diagnostic {
    pub message: String,
    /// The file's path.
    pub file: PathBuf,
    /// Absent when the engine reports an error without a position.
    pub line: Option<u32>,
    pub column: Option<u32>,
}

/// What the script prints when a command fails.
#[derive(serde::Deserialize)]
struct Failure {
    error: FailureBody,
}

#[derive(serde::Deserialize)]
struct FailureBody {
    message: String,
    code: Option<String>,
}

#[derive(Debug, serde::Deserialize)]
struct Validation {
    #[serde(default)]
    errors: Vec<Diagnostic>,
}

#[derive(serde::Deserialize)]
struct Formatted {
    files: Vec<(PathBuf, String)>,
}

pub struct Engine {
    script: PathBuf,
    schema: PathBuf,
}

impl Engine {
    /// The engine of the workspace at `root`, on the schema `schema`: a file, or a folder of
    /// `.prisma` files.
    pub fn new(root: &Path, schema: PathBuf) -> Engine {
        Engine { script: root.join("prisma/engine/engine.mjs"), schema }
    }

    pub fn schema_path(&self) -> &Path {
        &self.schema
    }

    fn run(&self, command: &str, args: &[&str]) -> Result<String, EngineError> {
        let mut node = Command::new("node");
        node.arg(&self.script).arg(command);
        for file in crate::schema::files(&self.schema).map_err(EngineError::Schema)? {
            node.arg("--schema").arg(file);
        }
        let output = node
            .args(args)
            // Node's own messages (warnings, a crash, PRISMA_ENGINE_TRACE) reach the terminal as
            // they happen; stdout carries the answer.
            .stderr(Stdio::inherit())
            .output()
            .map_err(EngineError::Spawn)?;
        if !output.status.success() {
            let stdout = String::from_utf8_lossy(&output.stdout);
            if let Ok(Failure { error }) = serde_json::from_str::<Failure>(&stdout) {
                return Err(match error.code.as_deref() {
                    Some("NOT_INSTALLED") => EngineError::NotInstalled,
                    _ => EngineError::Failed(error.message),
                });
            }
            // Its stderr, if any, is already on the terminal.
            return Err(EngineError::Failed(format!("node exited with {}: {}", output.status, stdout.trim())));
        }
        String::from_utf8(output.stdout).map_err(|e| EngineError::Output(e.to_string()))
    }

    fn json<T: DeserializeOwned>(&self, command: &str, args: &[&str]) -> Result<T, EngineError> {
        let text = self.run(command, args)?;
        serde_json::from_str(&text)
            .map_err(|e| EngineError::Output(format!("{e}: {}", text.chars().take(200).collect::<String>())))
    }

    /// Problems in the schema; empty when it is valid.
    pub fn validate(&self) -> Result<Vec<Diagnostic>, EngineError> {
        Ok(self.json::<Validation>("validate", &[])?.errors)
    }

    /// Each of the schema's files (by path) formatted as `prisma format` would.
    pub fn format(&self) -> Result<Vec<(PathBuf, String)>, EngineError> {
        Ok(self.json::<Formatted>("format", &[])?.files)
    }

    pub fn dmmf(&self) -> Result<crate::dmmf::Document, EngineError> {
        self.json("dmmf", &[])
    }

    /// SQL that takes a database built by the migrations in `migrations` to the schema, for
    /// `provider`; empty when they already agree.
    pub fn diff(&self, provider: &str, migrations: &Path) -> Result<String, EngineError> {
        let migrations = migrations.to_string_lossy();
        self.run("diff-sql", &["--provider", provider, "--migrations", &migrations, "--raw"])
    }
}
