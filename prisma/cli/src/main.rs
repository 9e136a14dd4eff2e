//! `cargo prisma <command>`; run `cargo prisma help` for the list.

use std::{path::Path, process::ExitCode};

use isthmus_db_runtime::Db;
use isthmus_prisma::commands::{CommandError, Repo};

const USAGE: &str = "usage: cargo prisma [--schema DIR/schema.prisma | DIR/schema] <command>

  generate [--check]       write the Rust client (prisma/client/src) from schema.prisma
                           (--check: fail if the committed client differs)
  format [--check]         format schema.prisma (--check: fail if it is not formatted)
  validate                 check schema.prisma; errors as file:line:column
  migrate dev --name NAME  write migrations for both providers, regenerate, apply them
  migrate deploy           apply pending migrations to DATABASE_URL
  migrate status           list applied and pending migrations (exit 1 if any is pending)
  migrate check            exit 1 if the migrations do not reproduce schema.prisma
  migrate reset [--force]  drop every table of DATABASE_URL, its data included, and apply the
                           migrations again (asks first unless --force; refused when
                           ISTHMUS_ENV=production)
  db seed                  run the seed command: \"prisma\": { \"seed\": … } in package.json

DATABASE_URL defaults to sqlite:data/isthmus.db (relative to the repository), except with --schema.
--schema works on another schema, with its migrations in DIR/migrations and its client in
DIR/src (the generator's fixtures: --schema prisma/fixtures/blog/schema.prisma). A schema may be
a folder of .prisma files (Prisma's multi-file schemas): schema/ when there is no schema.prisma.";

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (repo, args) = match args.as_slice() {
        ["--schema", schema, rest @ ..] => (Repo::find_beside(Path::new(schema)), rest),
        rest => (Repo::find(), rest),
    };
    let outcome = match repo {
        Ok(repo) => run(&repo, args).await,
        Err(error) => Err(error),
    };
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(repo: &Repo, args: &[&str]) -> Result<ExitCode, CommandError> {
    match args {
        ["generate"] => {
            let (count, warnings) = repo.generate()?;
            for warning in warnings {
                eprintln!("warning: {warning}");
            }
            println!("generated {count} files in {}", repo.relative(repo.client_dir()));
        }
        ["generate", "--check"] => {
            let drifted = repo.client_drift()?;
            if !drifted.is_empty() {
                let client = repo.relative(repo.client_dir());
                eprintln!("{client} is out of date ({}): run `cargo prisma generate`", drifted.join(", "));
                return Ok(ExitCode::FAILURE);
            }
            println!("{} matches schema.prisma", repo.relative(repo.client_dir()));
        }
        ["format"] => {
            let unformatted = repo.unformatted()?;
            for (path, formatted) in &unformatted {
                std::fs::write(path, formatted)
                    .map_err(|source| CommandError::Io { path: path.display().to_string(), source })?;
                println!("formatted {}", repo.relative(path));
            }
            if unformatted.is_empty() {
                println!("the schema is formatted");
            }
        }
        ["format", "--check"] => {
            let unformatted = repo.unformatted()?;
            for (path, _) in &unformatted {
                eprintln!("{} is not formatted: run `cargo prisma format`", repo.relative(path));
            }
            if !unformatted.is_empty() {
                return Ok(ExitCode::FAILURE);
            }
            println!("the schema is formatted");
        }
        ["validate"] => {
            let diagnostics = repo.engine().validate()?;
            for diagnostic in &diagnostics {
                let file = repo.relative(&diagnostic.file);
                match (diagnostic.line, diagnostic.column) {
                    (Some(line), Some(column)) => eprintln!("{file}:{line}:{column}: {}", diagnostic.message),
                    _ => eprintln!("{file}: {}", diagnostic.message),
                }
            }
            if !diagnostics.is_empty() {
                return Ok(ExitCode::FAILURE);
            }
            println!("the schema is valid");
        }
        ["migrate", "dev", "--name", name] => {
            let timestamp = isthmus_db_runtime::chrono::Utc::now().format("%Y%m%d%H%M%S").to_string();
            let written = repo.migrate_dev(name, &timestamp)?;
            if written.is_empty() {
                println!("the migrations already reproduce schema.prisma");
            }
            for folder in &written {
                println!("wrote {}", folder.strip_prefix(repo.root()).unwrap_or(folder).display());
            }
            let (_, warnings) = repo.generate()?;
            for warning in warnings {
                eprintln!("warning: {warning}");
            }
            let db = connect(repo).await?;
            for name in repo.migrate_deploy(&db).await? {
                println!("applied {name}");
            }
        }
        ["migrate", "deploy"] => {
            let db = connect(repo).await?;
            let applied = repo.migrate_deploy(&db).await?;
            if applied.is_empty() {
                println!("no pending migrations");
            }
            for name in applied {
                println!("applied {name}");
            }
        }
        ["migrate", "status"] => {
            let db = connect(repo).await?;
            let status = repo.migrate_status(&db).await?;
            for name in &status.applied {
                println!("applied  {name}");
            }
            for name in &status.pending {
                println!("pending  {name}");
            }
            if !status.pending.is_empty() {
                return Ok(ExitCode::FAILURE);
            }
        }
        ["migrate", "check"] => {
            let behind = repo.migrate_check()?;
            for provider in &behind {
                let migrations = repo.relative(&repo.migrations_dir(*provider));
                eprintln!("{migrations} does not reproduce the schema: run `cargo prisma migrate dev --name <change>`");
            }
            if !behind.is_empty() {
                return Ok(ExitCode::FAILURE);
            }
            println!("the migrations of every provider reproduce schema.prisma");
        }
        ["migrate", "reset", flags @ ..] if flags.iter().all(|flag| *flag == "--force") => {
            if std::env::var("ISTHMUS_ENV").is_ok_and(|environment| environment == "production") {
                eprintln!("refusing to reset a database with ISTHMUS_ENV=production");
                return Ok(ExitCode::FAILURE);
            }
            let (db, url) = connect_with_url(repo).await?;
            if flags.is_empty() && !confirmed(&format!("drop every table of {} and its data?", redacted(&url)))? {
                eprintln!("nothing was changed");
                return Ok(ExitCode::FAILURE);
            }
            db.drop_everything().await?;
            println!("dropped every table of {}", redacted(&url));
            for name in repo.migrate_deploy(&db).await? {
                println!("applied {name}");
            }
        }
        ["db", "seed"] => {
            let command = repo.seed_command()?;
            let status = std::process::Command::new("sh")
                .args(["-c", &command])
                .current_dir(repo.root())
                .status()
                .map_err(|source| CommandError::Io { path: command.clone(), source })?;
            return Ok(if status.success() { ExitCode::SUCCESS } else { ExitCode::FAILURE });
        }
        ["help" | "--help" | "-h"] => println!("{USAGE}"),
        _ => {
            eprintln!("{USAGE}");
            return Ok(ExitCode::from(2));
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn connect(repo: &Repo) -> Result<Db, CommandError> {
    Ok(connect_with_url(repo).await?.0)
}

/// The database and the URL it was reached by.
async fn connect_with_url(repo: &Repo) -> Result<(Db, String), CommandError> {
    let url = match std::env::var("DATABASE_URL") {
        Ok(url) => url,
        Err(_) => repo.default_database_url().ok_or_else(|| {
            CommandError::Invalid("set DATABASE_URL: a schema given with --schema has no default database".into())
        })?,
    };
    // Relative SQLite paths are relative to the repository, as for the server run from it.
    let url = match url.strip_prefix("sqlite:") {
        Some(path) => format!("sqlite:{}", repo.root().join(path).display()),
        None => url,
    };
    Ok((Db::connect(&url).await?, url))
}

/// Asks `question` on the terminal; true for an answer of `y` or `yes`.
fn confirmed(question: &str) -> Result<bool, CommandError> {
    eprint!("{question} [y/N] ");
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|source| CommandError::Io { path: "standard input".into(), source })?;
    Ok(matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes"))
}

/// `url` without its password, for messages.
fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}
