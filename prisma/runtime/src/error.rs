use std::fmt;

/// A database failure, classified. Procedures map the typed kinds to 404/409; `Other` is an
/// internal error whose details (which may quote SQL) belong in logs only.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// A write would duplicate a value of a unique field or compound.
    #[error("a unique constraint was violated ({target})")]
    UniqueViolation {
        /// The constraint's name on PostgreSQL (`users_email_key`), the columns on SQLite (`users.email`).
        target: String,
    },
    /// A write would reference a row that does not exist, or delete one still referenced.
    #[error("a foreign key constraint was violated ({target})")]
    ForeignKeyViolation {
        /// The constraint's name on PostgreSQL (`posts_author_id_fkey`); SQLite names none, so its message.
        target: String,
    },
    /// A write left a required (`NOT NULL`) column without a value.
    #[error("a required value was missing ({target})")]
    NotNullViolation {
        /// The column on SQLite (`users.name`); PostgreSQL names no constraint, so its message.
        target: String,
    },
    /// The row an update, delete or `first_or_not_found` addressed does not exist.
    #[error("no {model} matched")]
    NotFound {
        /// The model's name in `schema.prisma` ([`Model::NAME`](crate::model::Model::NAME)).
        model: &'static str,
    },
    /// A database URL of a kind the runtime does not connect to (`mysql://…`).
    #[error("cannot connect to a `{scheme}://` database: use postgres://…, or sqlite:path for a SQLite file")]
    UnsupportedUrl {
        /// The URL's scheme.
        scheme: String,
    },
    /// An operation the relation does not have (`set` on a one-to-many).
    #[error("{operation} is not supported")]
    Unsupported {
        /// What was asked.
        operation: &'static str,
    },
    /// A read was given a cursor but no `order_by` to page in.
    #[error("a cursor on {model} needs an order_by")]
    CursorWithoutOrder {
        /// The model read.
        model: &'static str,
    },
    /// A stored value does not fit the schema's type (a schema/database drift).
    #[error("column {column} holds a value that does not decode: {message}")]
    Decode {
        /// The column read.
        column: String,
        /// Why it does not decode.
        message: String,
    },
    /// The database cannot answer now: unreachable, shutting down, out of connections, no
    /// pooled connection free in time, or (SQLite) locked by another writer past the busy
    /// timeout. Worth retrying later. Its source is an [`std::io::Error`] whose kind says which
    /// (`ConnectionRefused`, `TimedOut`, `ResourceBusy`, …): that is how layers that do not know
    /// this crate (the procedure layer answers 503 `UNAVAILABLE`) recognize it.
    #[error("the database is unavailable")]
    Unavailable(#[source] std::io::Error),
    /// Any other failure of the database or the driver (connection, I/O, SQL). Its `Display`
    /// says only "database error"; the source holds the details.
    #[error("database error")]
    Other(#[source] sqlx::Error),
}

impl From<sqlx::Error> for DbError {
    fn from(error: sqlx::Error) -> Self {
        use std::io::{Error, ErrorKind};
        let sqlx::Error::Database(database) = &error else {
            return match error {
                // Whatever broke the connection (a reset, an early end), the database was not
                // reached: one kind for all.
                sqlx::Error::Io(io) => DbError::Unavailable(Error::new(ErrorKind::ConnectionAborted, io)),
                sqlx::Error::PoolTimedOut => {
                    DbError::Unavailable(Error::new(ErrorKind::TimedOut, "no database connection was free in time"))
                }
                sqlx::Error::PoolClosed => {
                    DbError::Unavailable(Error::new(ErrorKind::NotConnected, "the pool is closed"))
                }
                other => DbError::Other(other),
            };
        };
        if let Some(kind) = database.code().as_deref().and_then(unavailable_kind) {
            return DbError::Unavailable(Error::new(kind, database.message().to_owned()));
        }
        let target = database.constraint().map(str::to_owned).unwrap_or_else(|| sqlite_target(database.message()));
        match database.kind() {
            sqlx::error::ErrorKind::UniqueViolation => DbError::UniqueViolation { target },
            sqlx::error::ErrorKind::ForeignKeyViolation => DbError::ForeignKeyViolation { target },
            sqlx::error::ErrorKind::NotNullViolation => DbError::NotNullViolation { target },
            _ => DbError::Other(error),
        }
    }
}

/// Database error codes that mean "not now" rather than "not this": SQLite's busy and locked
/// (extended codes included), PostgreSQL's connection exceptions (class 08), operator
/// intervention (57P01–57P03: shutting down, starting up) and too many connections (53300).
fn unavailable_kind(code: &str) -> Option<std::io::ErrorKind> {
    use std::io::ErrorKind;
    match code {
        "5" | "6" | "261" | "262" | "517" => Some(ErrorKind::ResourceBusy),
        "57P01" | "57P02" | "57P03" => Some(ErrorKind::ConnectionAborted),
        "53300" => Some(ErrorKind::ResourceBusy),
        code if code.starts_with("08") => Some(ErrorKind::ConnectionAborted),
        _ => None,
    }
}

/// SQLite names the columns in its message: `UNIQUE constraint failed: users.email`.
fn sqlite_target(message: &str) -> String {
    message.split_once(": ").map_or_else(|| message.to_owned(), |(_, columns)| columns.to_owned())
}

impl DbError {
    pub(crate) fn decode(column: impl fmt::Display, error: impl fmt::Display) -> Self {
        DbError::Decode { column: column.to_string(), message: error.to_string() }
    }
}
