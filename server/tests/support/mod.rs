//! Shared by the integration tests that need a real PostgreSQL.

use std::process::{Command, Output};

/// A fresh PostgreSQL database for one test, dropped afterwards (psql against the machine's
/// server; `ISTHMUS_TEST_POSTGRES_URL` overrides the default).
pub struct TestPostgres {
    admin: String,
    name: String,
    pub url: String,
}

impl TestPostgres {
    pub fn create() -> TestPostgres {
        let admin = std::env::var("ISTHMUS_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let name = format!("isthmus_test_{}", std::process::id());
        let created = psql(Command::new("psql").args([admin.as_str(), "-c", &format!("CREATE DATABASE \"{name}\"")]));
        assert!(created.status.success(), "PostgreSQL at {admin} is required: {}", text(&created));
        let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
        TestPostgres { admin, name, url }
    }
}

impl Drop for TestPostgres {
    fn drop(&mut self) {
        psql(Command::new("psql").args([self.admin.as_str(), "-c", &format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name)]));
    }
}

fn psql(command: &mut Command) -> Output {
    command.output().expect("psql runs")
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}
