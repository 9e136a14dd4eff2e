//! How each Prisma scalar is bound and decoded on each backend.
//!
//! | Prisma   | Rust                  | SQLite storage       | PostgreSQL      |
//! |----------|-----------------------|----------------------|-----------------|
//! | Int      | i32                   | INTEGER              | INTEGER         |
//! | BigInt   | i64                   | INTEGER              | BIGINT          |
//! | Float    | f64                   | REAL                 | DOUBLE PRECISION|
//! | Decimal  | rust_decimal::Decimal | DECIMAL (as text)    | DECIMAL(65,30)  |
//! | Boolean  | bool                  | BOOLEAN (0/1)        | BOOLEAN         |
//! | String   | String                | TEXT                 | TEXT            |
//! | DateTime | DateTime<Utc>         | DATETIME (UTC text)  | TIMESTAMP(3)    |
//! | Json     | serde_json::Value     | JSONB/TEXT (as text) | JSONB           |
//! | Bytes    | Vec<u8>               | BLOB                 | BYTEA           |
//! | enum     | generated enum        | TEXT                 | the enum type   |
//!
//! PostgreSQL native types (`@db.*`) change the Rust type where the value would not survive
//! as the default one: `@db.Uuid` is `uuid::Uuid`, `@db.SmallInt` `i16`, `@db.Real` `f32`,
//! `@db.Date` `NaiveDate`, `@db.Time` `NaiveTime`; the others keep the type of their scalar.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use rust_decimal::Decimal;
use sea_query::{ArrayType, Expr, Value};
use sqlx::Row;

use crate::{DbError, DbRow, Provider, row::RowIndex};

/// A value that can be bound as a parameter and decoded from a row.
pub trait DbValue: Sized {
    /// Whether the type holds NULL (`Option<_>`).
    const NULLABLE: bool = false;
    /// Whether SQLite gets the value as text although it stores a number (a `Decimal`, whose
    /// digits text keeps): compared with an aggregate, the text is cast to a number.
    const SQLITE_NUMBER_AS_TEXT: bool = false;
    /// The value as a bound parameter expression.
    fn to_expr(&self, provider: Provider) -> Expr;
    /// SQL NULL of this type.
    fn null_expr(provider: Provider) -> Expr;
    /// Reads `column` of `row`; NULL is a decode error unless `Self` is an `Option`.
    fn decode(row: &DbRow, column: impl RowIndex) -> Result<Self, DbError>;
    /// Reads `column` of `row`, NULL as `None`.
    fn decode_nullable(row: &DbRow, column: impl RowIndex) -> Result<Option<Self>, DbError>;
    /// Whether this is SQL NULL (only `None` is).
    fn is_null(&self) -> bool {
        false
    }
}

macro_rules! plain_value {
    ($rust:ty, $variant:ident) => {
        impl DbValue for $rust {
            fn to_expr(&self, _: Provider) -> Expr {
                Expr::val(Value::$variant(Some(self.clone())))
            }
            fn null_expr(_: Provider) -> Expr {
                Expr::val(Value::$variant(None))
            }
            fn decode(row: &DbRow, column: impl RowIndex) -> Result<Self, DbError> {
                row.get(column)
            }
            fn decode_nullable(row: &DbRow, column: impl RowIndex) -> Result<Option<Self>, DbError> {
                row.get(column)
            }
        }
    };
}

plain_value!(i32, Int);
plain_value!(i64, BigInt);
plain_value!(f64, Double);
plain_value!(bool, Bool);
plain_value!(String, String);
plain_value!(Vec<u8>, Bytes);
plain_value!(i16, SmallInt);
plain_value!(f32, Float);
plain_value!(NaiveDate, ChronoDate);
plain_value!(NaiveTime, ChronoTime);
plain_value!(uuid::Uuid, Uuid);

/// An element of a scalar list (`String[]`), a PostgreSQL array.
pub trait ListElement: DbValue + Clone {
    /// The array's element type.
    const ARRAY: ArrayType;
    /// The element as a sea-query value.
    fn to_value(&self) -> Value;
    /// Reads a PostgreSQL array of this element type.
    fn decode_list(row: &sqlx::postgres::PgRow, column: impl RowIndex) -> Result<Option<Vec<Self>>, DbError>;
}

macro_rules! list_element {
    ($rust:ty, $variant:ident) => {
        impl ListElement for $rust {
            const ARRAY: ArrayType = ArrayType::$variant;
            fn to_value(&self) -> Value {
                Value::$variant(Some(self.clone()))
            }
            fn decode_list(row: &sqlx::postgres::PgRow, column: impl RowIndex) -> Result<Option<Vec<Self>>, DbError> {
                row.try_get(column).map_err(|error| DbError::decode(column, error))
            }
        }
    };
}

list_element!(String, String);
list_element!(i32, Int);
list_element!(i64, BigInt);
list_element!(f64, Double);
list_element!(bool, Bool);

/// Scalar lists exist on PostgreSQL only; the generator refuses them for SQLite.
impl<E: ListElement> DbValue for Vec<E> {
    fn to_expr(&self, _: Provider) -> Expr {
        Expr::val(Value::Array(E::ARRAY, Some(Box::new(self.iter().map(ListElement::to_value).collect()))))
    }
    fn null_expr(_: Provider) -> Expr {
        Expr::val(Value::Array(E::ARRAY, None))
    }
    fn decode(row: &DbRow, column: impl RowIndex) -> Result<Self, DbError> {
        Self::decode_nullable(row, column)?.ok_or_else(|| DbError::decode(column, "unexpected NULL"))
    }
    fn decode_nullable(row: &DbRow, column: impl RowIndex) -> Result<Option<Self>, DbError> {
        match row {
            DbRow::Postgres(pg) => E::decode_list(pg, column),
            DbRow::Sqlite(_) => Err(DbError::decode(column, "scalar lists need PostgreSQL")),
        }
    }
}

/// Stored as naive UTC on both backends: PostgreSQL's `TIMESTAMP(3)` has no zone, and SQLite
/// keeps text. Precision is milliseconds, as Prisma's.
impl DbValue for DateTime<Utc> {
    fn to_expr(&self, _: Provider) -> Expr {
        Expr::val(Value::ChronoDateTime(Some(truncate_to_millis(self).naive_utc())))
    }
    fn null_expr(_: Provider) -> Expr {
        Expr::val(Value::ChronoDateTime(None))
    }
    fn decode(row: &DbRow, column: impl RowIndex) -> Result<Self, DbError> {
        Self::decode_nullable(row, column)?.ok_or_else(|| DbError::decode(column, "unexpected NULL"))
    }
    fn decode_nullable(row: &DbRow, column: impl RowIndex) -> Result<Option<Self>, DbError> {
        match row {
            // `@db.Timestamptz` columns hold zoned times.
            DbRow::Postgres(pg) => match pg.try_get::<Option<NaiveDateTime>, _>(column) {
                Ok(naive) => Ok(naive.map(|naive| naive.and_utc())),
                Err(_) => {
                    pg.try_get::<Option<DateTime<Utc>>, _>(column).map_err(|error| DbError::decode(column, error))
                }
            },
            DbRow::Sqlite(_) => Ok(row.get::<Option<NaiveDateTime>>(column)?.map(|naive| naive.and_utc())),
        }
    }
}

/// The current time at the precision the databases keep.
pub fn now() -> DateTime<Utc> {
    truncate_to_millis(&Utc::now())
}

fn truncate_to_millis(time: &DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(time.timestamp_millis()).unwrap_or(*time)
}

/// SQLite has no decimal type: the value travels as text so no digit is lost in transit, but
/// the column's NUMERIC affinity keeps 15 significant digits (as with Prisma on SQLite).
impl DbValue for Decimal {
    const SQLITE_NUMBER_AS_TEXT: bool = true;
    fn to_expr(&self, provider: Provider) -> Expr {
        match provider {
            Provider::Sqlite => Expr::val(Value::String(Some(self.to_string()))),
            Provider::Postgresql => Expr::val(Value::Decimal(Some(*self))),
        }
    }
    fn null_expr(provider: Provider) -> Expr {
        match provider {
            Provider::Sqlite => Expr::val(Value::String(None)),
            Provider::Postgresql => Expr::val(Value::Decimal(None)),
        }
    }
    fn decode(row: &DbRow, column: impl RowIndex) -> Result<Self, DbError> {
        Self::decode_nullable(row, column)?.ok_or_else(|| DbError::decode(column, "unexpected NULL"))
    }
    fn decode_nullable(row: &DbRow, column: impl RowIndex) -> Result<Option<Self>, DbError> {
        let value: Option<Decimal> = match row {
            DbRow::Postgres(pg) => pg.try_get(column).map_err(|error| DbError::decode(column, error))?,
            DbRow::Sqlite(_) => row
                .get_text(column)?
                .map(|text| text.parse().or_else(|_| Decimal::from_scientific(&text)))
                .transpose()
                .map_err(|error| DbError::decode(column, error))?,
        };
        // PostgreSQL pads to the column's scale (`0.1000…` for `DECIMAL(65,30)`); Prisma reads `0.1`.
        Ok(value.map(|decimal| decimal.normalize()))
    }
}

impl DbValue for serde_json::Value {
    fn to_expr(&self, provider: Provider) -> Expr {
        match provider {
            Provider::Sqlite => Expr::val(Value::String(Some(self.to_string()))),
            Provider::Postgresql => Expr::val(Value::Json(Some(Box::new(self.clone())))),
        }
    }
    fn null_expr(provider: Provider) -> Expr {
        match provider {
            Provider::Sqlite => Expr::val(Value::String(None)),
            Provider::Postgresql => Expr::val(Value::Json(None)),
        }
    }
    fn decode(row: &DbRow, column: impl RowIndex) -> Result<Self, DbError> {
        Self::decode_nullable(row, column)?.ok_or_else(|| DbError::decode(column, "unexpected NULL"))
    }
    fn decode_nullable(row: &DbRow, column: impl RowIndex) -> Result<Option<Self>, DbError> {
        match row {
            DbRow::Postgres(_) => row.get(column),
            DbRow::Sqlite(_) => row
                .get_text(column)?
                .map(|text| serde_json::from_str(&text))
                .transpose()
                .map_err(|error| DbError::decode(column, error)),
        }
    }
}

impl<T: DbValue> DbValue for Option<T> {
    const NULLABLE: bool = true;
    fn to_expr(&self, provider: Provider) -> Expr {
        match self {
            Some(value) => value.to_expr(provider),
            None => T::null_expr(provider),
        }
    }
    fn null_expr(provider: Provider) -> Expr {
        T::null_expr(provider)
    }
    fn decode(row: &DbRow, column: impl RowIndex) -> Result<Self, DbError> {
        T::decode_nullable(row, column)
    }
    fn decode_nullable(row: &DbRow, column: impl RowIndex) -> Result<Option<Self>, DbError> {
        T::decode_nullable(row, column).map(Some)
    }
    fn is_null(&self) -> bool {
        self.is_none()
    }
}

/// The bound text, cast to the quoted enum type on PostgreSQL (sea-query's `cast_as` does not
/// quote, and PostgreSQL would fold `Role` to `role`).
fn enum_value<E: DbEnum>(text: Value, provider: Provider) -> Expr {
    match provider {
        Provider::Sqlite => Expr::val(text),
        Provider::Postgresql => {
            Expr::cust_with_expr(format!("CAST($1 AS \"{}\")", E::TYPE_NAME.replace('"', "\"\"")), Expr::val(text))
        }
    }
}

/// A Prisma enum: stored as its variant name, as text on SQLite and as the enum type
/// (`CAST($1 AS "Role")`) on PostgreSQL. Generated enums implement this; `DbValue` follows.
pub trait DbEnum: Sized + Copy {
    /// The enum's database type name.
    const TYPE_NAME: &'static str;
    /// The variant's name, as stored.
    fn as_str(self) -> &'static str;
    /// The variant stored as `text`; `None` for a name the enum does not have.
    fn parse(text: &str) -> Option<Self>;
}

impl<E: DbEnum> DbValue for E {
    fn to_expr(&self, provider: Provider) -> Expr {
        enum_value::<E>(Value::String(Some(self.as_str().to_owned())), provider)
    }
    fn null_expr(provider: Provider) -> Expr {
        enum_value::<E>(Value::String(None), provider)
    }
    fn decode(row: &DbRow, column: impl RowIndex) -> Result<Self, DbError> {
        Self::decode_nullable(row, column)?.ok_or_else(|| DbError::decode(column, "unexpected NULL"))
    }
    fn decode_nullable(row: &DbRow, column: impl RowIndex) -> Result<Option<Self>, DbError> {
        row.get_text(column)?
            .map(|text| E::parse(&text).ok_or_else(|| DbError::decode(column, format!("unknown variant {text}"))))
            .transpose()
    }
}

/// A new CUID (version 1, as Prisma's `@default(cuid())`).
pub fn cuid() -> String {
    cuid::cuid1()
}

/// A new CUID version 2 (Prisma's `@default(cuid(2))`).
pub fn cuid2() -> String {
    cuid::cuid2()
}
