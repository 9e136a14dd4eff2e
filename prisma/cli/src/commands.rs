//! The commands behind `cargo prisma …`, on a repository rooted at `Repo::root`.

use std::{
    fs,
    path::{Path, PathBuf},
};

use isthmus_db_runtime::{
    Conn, Db, Provider,
    migrate::{self, MigrateError},
};

use crate::{
    engine::{Engine, EngineError},
    format::{self, FormatError},
    generate::{self, GenerateError, MigrationNames, ir, source::Source},
    schema,
};

/// Where the database lives when `DATABASE_URL` is not set: next to the repository, as the
/// server's default.
pub const DEFAULT_DATABASE_URL: &str = "sqlite:data/isthmus.db";

#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Generate(#[from] GenerateError),
    #[error(transparent)]
    Format(#[from] FormatError),
    #[error(transparent)]
    Migrate(#[from] MigrateError),
    #[error(transparent)]
    Database(#[from] isthmus_db_runtime::DbError),
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    /// The schema's files could not be read (the error names the file or folder).
    #[error("{0}")]
    Schema(std::io::Error),
    #[error("{0}")]
    Invalid(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CommandError + '_ {
    move |source| CommandError::Io { path: path.display().to_string(), source }
}

/// Where one schema's files live.
pub struct Layout {
    /// The workspace root: `rustfmt.toml` and `prisma/engine/`.
    pub root: PathBuf,
    /// `schema.prisma`, or a folder of `.prisma` files ([`schema::locate`]).
    pub schema: PathBuf,
    /// Holds one folder per provider (`sqlite/`, `postgresql/`).
    pub migrations: PathBuf,
    /// The generated client crate's `src/`.
    pub client: PathBuf,
    /// Where `migrate dev`, `deploy` and `status` go without `DATABASE_URL`.
    pub default_database_url: Option<String>,
}

impl Layout {
    /// The application's layout: `schema.prisma` (or `schema/`), `prisma/migrations`,
    /// `prisma/client/src`.
    pub fn application(root: PathBuf) -> Layout {
        Layout {
            schema: schema::locate(&root),
            migrations: root.join("prisma/migrations"),
            client: root.join("prisma/client/src"),
            default_database_url: Some(DEFAULT_DATABASE_URL.to_owned()),
            root,
        }
    }

    /// A schema with its migrations and client in its own folder: `dir/schema.prisma` (or
    /// `dir/schema/`), `dir/migrations`, `dir/src` (the generator's fixtures).
    pub fn beside(root: PathBuf, dir: &Path) -> Layout {
        Layout {
            schema: schema::locate(dir),
            migrations: dir.join("migrations"),
            client: dir.join("src"),
            default_database_url: None,
            root,
        }
    }
}

/// The schema the tool works on, with its migrations and generated client.
pub struct Repo {
    layout: Layout,
    engine: Engine,
}

impl Repo {
    pub fn new(layout: Layout) -> Repo {
        Repo { engine: Engine::new(&layout.root, layout.schema.clone()), layout }
    }

    /// The application of the workspace that contains the current directory. Found at run
    /// time, so that a binary built in another checkout works on this one.
    pub fn find() -> Result<Repo, CommandError> {
        Ok(Repo::new(Layout::application(workspace_root()?)))
    }

    /// The schema `schema` (a file or a folder, relative to the current directory), laid out
    /// [`Layout::beside`] it.
    pub fn find_beside(schema: &Path) -> Result<Repo, CommandError> {
        let root = workspace_root()?;
        let schema = std::path::absolute(schema).map_err(io(schema))?;
        let dir = schema
            .parent()
            .ok_or_else(|| CommandError::Invalid(format!("{} is not a schema file or folder", schema.display())))?;
        Ok(Repo::new(Layout { schema: schema.clone(), ..Layout::beside(root, dir) }))
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn migrations_dir(&self, provider: Provider) -> PathBuf {
        self.layout.migrations.join(provider.as_str())
    }

    /// The generated client crate's `src/`.
    pub fn client_dir(&self) -> &Path {
        &self.layout.client
    }

    /// The schema as the generator sees it.
    pub fn schema(&self) -> Result<ir::Schema, CommandError> {
        let document = self.engine.dmmf()?;
        let files = schema::read(&self.layout.schema).map_err(CommandError::Schema)?;
        let source = Source::new(files.into_iter().map(|(path, text)| (self.relative(&path), text)));
        Ok(ir::Schema::build(&document.datamodel, &source)?)
    }

    /// `path` as seen from the workspace root, for messages.
    pub fn relative(&self, path: &Path) -> String {
        path.strip_prefix(&self.layout.root).unwrap_or(path).display().to_string()
    }

    /// The schema's files that `cargo prisma format` would change, with their formatted text.
    pub fn unformatted(&self) -> Result<Vec<(PathBuf, String)>, CommandError> {
        let current = schema::read(&self.layout.schema).map_err(CommandError::Schema)?;
        let formatted = self.engine.format()?;
        Ok(formatted.into_iter().filter(|(path, text)| !current.iter().any(|(p, t)| p == path && t == text)).collect())
    }

    /// The client files as `generate` would write them now, and what it leaves out.
    pub fn render_client(&self) -> Result<(generate::Files, Vec<String>), CommandError> {
        let schema = self.schema()?;
        let names = |provider| -> Result<Vec<String>, CommandError> {
            Ok(migrate::read_dir(&self.migrations_dir(provider))?.into_iter().map(|m| m.name.into_owned()).collect())
        };
        let (sqlite, postgresql) = (names(Provider::Sqlite)?, names(Provider::Postgresql)?);
        let folder = relative_path(&self.layout.client, &self.layout.migrations);
        let migrations = MigrationNames { folder: &folder, sqlite: &sqlite, postgresql: &postgresql };
        let mut files = generate::client(&schema, &migrations);
        for (name, source) in &mut files {
            *source = format::rust(&self.layout.root, name, source)?;
        }
        Ok((files, schema.warnings))
    }

    /// Client files that differ from a fresh render (changed, missing or stale).
    pub fn client_drift(&self) -> Result<Vec<String>, CommandError> {
        let (files, _) = self.render_client()?;
        let dir = self.client_dir();
        let mut drifted: Vec<String> = files
            .iter()
            .filter(|(name, content)| fs::read_to_string(dir.join(name)).ok().as_ref() != Some(*content))
            .map(|(name, _)| name.clone())
            .collect();
        drifted.extend(existing_rust_files(dir)?.into_iter().filter(|name| !files.contains_key(name)));
        Ok(drifted)
    }

    /// Writes the client; returns the number of files and what the client leaves out.
    pub fn generate(&self) -> Result<(usize, Vec<String>), CommandError> {
        let (files, warnings) = self.render_client()?;
        let dir = self.client_dir();
        for stale in existing_rust_files(dir)?.into_iter().filter(|name| !files.contains_key(name)) {
            fs::remove_file(dir.join(&stale)).map_err(io(dir))?;
        }
        for (name, content) in &files {
            let path = dir.join(name);
            if fs::read_to_string(&path).ok().as_ref() != Some(content) {
                fs::write(&path, content).map_err(io(&path))?;
            }
        }
        Ok((files.len(), warnings))
    }

    /// Writes a migration per provider the schema runs on (both, unless it uses PostgreSQL-only
    /// types) for the difference between the migrations and the
    /// schema; returns the folders written (none when they agree).
    pub fn migrate_dev(&self, name: &str, timestamp: &str) -> Result<Vec<PathBuf>, CommandError> {
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
            return Err(CommandError::Invalid(format!("migration name `{name}`: use lowercase letters, digits and _")));
        }
        let mut written = Vec::new();
        for provider in self.schema()?.providers {
            let dir = self.migrations_dir(provider);
            let sql = self.engine.diff(provider.as_str(), &dir)?;
            if sql.trim().is_empty() {
                continue;
            }
            let folder = dir.join(format!("{timestamp}_{name}"));
            fs::create_dir_all(&folder).map_err(io(&folder))?;
            fs::write(folder.join("migration.sql"), &sql).map_err(io(&folder))?;
            let lock = dir.join("migration_lock.toml");
            let lock_text = format!(
                "# Please do not edit this file manually\n# It should be added in your version-control system (e.g., Git)\nprovider = \"{}\"\n",
                provider.as_str()
            );
            fs::write(&lock, lock_text).map_err(io(&lock))?;
            written.push(folder);
        }
        Ok(written)
    }

    /// Providers whose migrations do not reproduce the schema.
    pub fn migrate_check(&self) -> Result<Vec<Provider>, CommandError> {
        let mut behind = Vec::new();
        for provider in self.schema()?.providers {
            if !self.engine.diff(provider.as_str(), &self.migrations_dir(provider))?.trim().is_empty() {
                behind.push(provider);
            }
        }
        Ok(behind)
    }

    pub async fn migrate_deploy(&self, db: &Db) -> Result<Vec<String>, CommandError> {
        let migrations = migrate::read_dir(&self.migrations_dir(db.provider()))?;
        Ok(db.migrate(&migrations).await?)
    }

    pub async fn migrate_status(&self, db: &Db) -> Result<migrate::Status, CommandError> {
        let migrations = migrate::read_dir(&self.migrations_dir(db.provider()))?;
        Ok(db.migration_status(&migrations).await?)
    }

    pub fn root(&self) -> &Path {
        &self.layout.root
    }

    /// The database of this layout when `DATABASE_URL` is not set.
    pub fn default_database_url(&self) -> Option<String> {
        self.layout.default_database_url.clone()
    }

    /// The seed command, `"prisma": { "seed": "…" }` in the root's `package.json` (Prisma's
    /// convention), run by `sh` from the root.
    pub fn seed_command(&self) -> Result<String, CommandError> {
        let path = self.layout.root.join("package.json");
        let manifest = fs::read_to_string(&path).map_err(io(&path))?;
        let manifest: serde_json::Value = serde_json::from_str(&manifest)
            .map_err(|error| CommandError::Invalid(format!("{}: {error}", path.display())))?;
        manifest["prisma"]["seed"].as_str().map(str::to_owned).ok_or_else(|| {
            CommandError::Invalid(format!(
                "no seed command: add \"prisma\": {{ \"seed\": \"…\" }} to {}",
                path.display()
            ))
        })
    }
}

/// The workspace that contains the current directory.
fn workspace_root() -> Result<PathBuf, CommandError> {
    let here = std::env::current_dir().map_err(io(Path::new(".")))?;
    let root = here.ancestors().find(|dir| is_workspace_root(dir)).ok_or_else(|| {
        CommandError::Invalid(format!("no Cargo workspace contains {}: run `cargo prisma` inside one", here.display()))
    })?;
    Ok(root.to_owned())
}

fn is_workspace_root(dir: &Path) -> bool {
    fs::read_to_string(dir.join("Cargo.toml")).is_ok_and(|manifest| manifest.contains("[workspace]"))
}

/// `to` as seen from `from` (`../../migrations`), for `include_str!` in the generated client.
/// Both are under one root, written without `..`.
fn relative_path(from: &Path, to: &Path) -> String {
    let common = from.components().zip(to.components()).take_while(|(a, b)| a == b).count();
    let ups = from.components().count() - common;
    let downs = to.components().skip(common).map(|part| part.as_os_str().to_string_lossy().into_owned());
    std::iter::repeat_n("..".to_owned(), ups).chain(downs).collect::<Vec<_>>().join("/")
}

fn existing_rust_files(dir: &Path) -> Result<Vec<String>, CommandError> {
    let mut names = Vec::new();
    if dir.exists() {
        for entry in fs::read_dir(dir).map_err(io(dir))? {
            let name = entry.map_err(io(dir))?.file_name().to_string_lossy().into_owned();
            if name.ends_with(".rs") {
                names.push(name);
            }
        }
    }
    names.sort();
    Ok(names)
}
