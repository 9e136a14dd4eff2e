//! What the generator cannot express, it refuses with the place in the schema and what to do;
//! what the client leaves out (as Prisma does), it reports and goes on.

use std::path::{Path, PathBuf};

use isthmus_prisma::commands::{Layout, Repo};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().nth(2).unwrap().to_owned()
}

/// The error (or warnings) of generating `schema`, written to a temporary folder.
fn generate(schema: &str) -> Result<Vec<String>, String> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("schema.prisma"), schema).unwrap();
    let repo = Repo::new(Layout::beside(workspace_root(), dir.path()));
    repo.render_client().map(|(_, warnings)| warnings).map_err(|error| error.to_string())
}

#[test]
fn a_model_named_like_a_prelude_type_is_refused_with_its_place() {
    let error =
        generate("datasource db {\n  provider = \"sqlite\"\n}\n\nmodel Option {\n  id Int @id\n}\n").unwrap_err();
    assert!(error.contains("schema.prisma:5:1: model Option clashes"), "{error}");
    assert!(error.contains("@@map"), "says what to do: {error}");
}

#[test]
fn an_unsupported_native_type_is_refused_with_its_field() {
    let schema =
        "datasource db {\n  provider = \"postgresql\"\n}\n\nmodel Host {\n  id Int    @id\n  ip String @db.Inet\n}\n";
    let error = generate(schema).unwrap_err();
    assert!(error.contains("schema.prisma:7:3: Host.ip: @db.Inet is not supported"), "{error}");
}

#[test]
fn a_postgres_feature_in_a_sqlite_schema_names_the_field() {
    let error =
        generate("datasource db {\n  provider = \"sqlite\"\n}\n\nmodel A {\n  id   Int      @id\n  tags String[]\n}\n")
            .unwrap_err();
    assert!(error.contains("\"tags\"") && error.contains("list"), "{error}");
}

#[test]
fn bigint_defaults_and_nullable_defaults_generate() {
    let schema = "datasource db {\n  provider = \"sqlite\"\n}\n\nmodel A {\n  id   BigInt    @id @default(0)\n  seen DateTime? @default(now())\n}\n";
    assert_eq!(generate(schema), Ok(Vec::new()));
}

#[test]
fn a_bigint_serial_on_sqlite_is_refused() {
    let schema =
        "datasource db {\n  provider = \"sqlite\"\n}\n\nmodel A {\n  id BigInt @id @default(autoincrement())\n}\n";
    let error = generate(schema).unwrap_err();
    assert!(
        error.contains("schema.prisma:6:3: A.id: BigInt @default(autoincrement()) is never filled in on SQLite"),
        "{error}"
    );
    assert!(generate(&schema.replace("sqlite", "postgresql")).is_ok(), "PostgreSQL has BIGSERIAL");
}

#[test]
fn enums_named_like_the_prelude_or_with_clashing_values_are_refused() {
    let error = generate("datasource db {\n  provider = \"sqlite\"\n}\n\nenum Option {\n  A\n}\n\nmodel M {\n  id Int    @id\n  o  Option\n}\n")
        .unwrap_err();
    assert!(error.contains("schema.prisma:5:1: enum Option clashes"), "{error}");
    let error = generate("datasource db {\n  provider = \"postgresql\"\n}\n\nenum Level {\n  high\n  HIGH\n}\n\nmodel M {\n  id Int   @id\n  l  Level\n}\n")
        .unwrap_err();
    assert!(error.contains("schema.prisma:5:1: Level: two values become the Rust variant High"), "{error}");
}

#[test]
fn two_unique_keys_with_one_variant_name_are_refused() {
    let schema = "datasource db {\n  provider = \"sqlite\"\n}\n\nmodel A {\n  id     Int    @id\n  fooBar String @unique\n  foo    String\n  bar    String\n\n  @@unique([foo, bar])\n}\n";
    let error = generate(schema).unwrap_err();
    assert!(error.contains("two unique keys become the variant UniqueWhere::FooBar"), "{error}");
}

#[test]
fn errors_in_a_multi_file_schema_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("schema");
    std::fs::create_dir_all(folder.join("lists")).unwrap();
    std::fs::write(folder.join("main.prisma"), "datasource db {\n  provider = \"sqlite\"\n}\n").unwrap();
    let lists = folder.join("lists/options.prisma");
    std::fs::write(&lists, "// Options.\nmodel Option {\n  id Int @id\n}\n").unwrap();
    let repo = Repo::new(Layout::beside(workspace_root(), dir.path()));
    let error = repo.render_client().map(|_| ()).unwrap_err().to_string();
    assert!(error.contains("schema/lists/options.prisma:2:1: model Option clashes"), "{error}");

    std::fs::write(&lists, "model A {\n  id   Int @id\n  kind Kind\n}\n").unwrap();
    let diagnostics = repo.engine().validate().unwrap();
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(
        (diagnostics[0].file.as_path(), diagnostics[0].line, diagnostics[0].column),
        (lists.as_path(), Some(3), Some(8))
    );
}
