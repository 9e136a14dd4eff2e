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
    /// A cursor read ordered by a nullable column, whose NULL rows a cursor cannot place.
    #[error("a cursor on {model} cannot page by the nullable column {column}")]
    NullableCursorKey {
        /// The model read.
        model: &'static str,
        /// The nullable sort column.
        column: &'static str,
    },
    /// A stored value does not fit the schema's type (a schema/database drift).
    #[error("column {column} holds a value that does not decode: {message}")]
    Decode {
        /// The column read.
        column: String,
        /// Why it does not decode.
        message: String,
    },
    /// Any other failure of the database or the driver (connection, I/O, SQL). Its `Display`
    /// says only "database error"; the source holds the details.
    #[error("database error")]
    Other(#[source] sqlx::Error),
}

impl From<sqlx::Error> for DbError {
    fn from(error: sqlx::Error) -> Self {
        let sqlx::Error::Database(database) = &error else {
            return DbError::Other(error);
        };
        let target = database.constraint().map(str::to_owned).unwrap_or_else(|| sqlite_target(database.message()));
        match database.kind() {
            sqlx::error::ErrorKind::UniqueViolation => DbError::UniqueViolation { target },
            sqlx::error::ErrorKind::ForeignKeyViolation => DbError::ForeignKeyViolation { target },
            sqlx::error::ErrorKind::NotNullViolation => DbError::NotNullViolation { target },
            _ => DbError::Other(error),
        }
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
