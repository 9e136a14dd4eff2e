//! The app's commands beside serving: `isthmus-server author create --email … --name …
//! [--admin]` creates an author, with the password read from the terminal (hidden) or from
//! standard input, never from the command line (where other users of the machine could read it).

use std::io::{BufRead, IsTerminal};

use crate::{configuration::Settings, procedures::auth, startup};

/// What `isthmus-server` accepts besides no arguments (serve).
pub const USAGE: &str = "usage: isthmus-server [author create --email EMAIL --name NAME [--admin]]";

/// Runs the command `args` (the arguments after the binary's name).
pub async fn run(settings: Settings, args: &[&str]) -> Result<(), Box<dyn std::error::Error>> {
    match args {
        ["author", "create", options @ ..] => create_author(settings, options).await,
        _ => Err(USAGE.into()),
    }
}

async fn create_author(settings: Settings, options: &[&str]) -> Result<(), Box<dyn std::error::Error>> {
    let value = |flag: &str| options.iter().position(|option| *option == flag).and_then(|at| options.get(at + 1));
    let (Some(email), Some(name)) = (value("--email"), value("--name")) else { return Err(USAGE.into()) };
    let role = if options.contains(&"--admin") { db::Role::Admin } else { db::Role::Author };
    let password = if std::io::stdin().is_terminal() {
        rpassword::prompt_password("password: ")?
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    if password.chars().count() < auth::MIN_PASSWORD_CHARS {
        return Err(format!("the password needs at least {} characters", auth::MIN_PASSWORD_CHARS).into());
    }
    let db = startup::open_database(&settings.database_url).await?;
    let author = auth::create_author(&db, email, name, &password, role).await?;
    println!("created author {} <{}>", author.name, author.email);
    Ok(())
}
