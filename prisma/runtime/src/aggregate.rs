//! Aggregates over a model's rows (`aggregate`, `group_by`): `count()`, `sum`, `avg`, `min`,
//! `max` of typed columns, with typed results, combined in tuples like `select`.

use std::marker::PhantomData;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use rust_decimal::Decimal;
use sea_query::{Asterisk, Expr, Func, SimpleExpr};

use crate::{Column, DbError, DbRow, DbValue, Provider, model::Positions};

/// One or more aggregates of model `M`'s rows, computed in SQL.
pub trait Aggregate<M>: Send + Sync {
    /// The aggregates' values for a set of rows.
    type Output: Send;

    /// The SQL expressions, in order.
    fn exprs(&self, provider: Provider) -> Vec<SimpleExpr>;

    /// How many expressions (and result columns) there are.
    fn width(&self) -> usize;

    /// Decodes the values; the first is in column `__agg{start}`.
    fn decode(&self, row: &DbRow, start: usize) -> Result<Self::Output, DbError>;
}

/// The column name of the `index`-th aggregate in a statement.
pub(crate) fn alias(index: usize) -> String {
    format!("__agg{index}")
}

/// The number of rows: `COUNT(*)`.
pub fn count<M>() -> Count<M> {
    Count { column: None, model: PhantomData }
}

/// `COUNT(*)`, or `COUNT(column)` (the rows where it is not NULL).
pub struct Count<M> {
    column: Option<&'static str>,
    model: PhantomData<fn() -> M>,
}

impl<M: 'static> Aggregate<M> for Count<M> {
    type Output = i64;

    fn exprs(&self, _: Provider) -> Vec<SimpleExpr> {
        vec![match self.column {
            Some(column) => Func::count(Expr::col(column)).into(),
            None => Func::count(Expr::col(Asterisk)).into(),
        }]
    }

    fn width(&self) -> usize {
        1
    }

    fn decode(&self, row: &DbRow, start: usize) -> Result<i64, DbError> {
        row.get(alias(start).as_str())
    }
}

/// A column type with a sum: integers sum to `i64`, floats to `f64`, decimals to `Decimal`.
pub trait Summable {
    /// The sum's type.
    type Sum: DbValue + Send;
    /// How the database is asked to type it (SQLite, PostgreSQL).
    const SQL_TYPE: (&'static str, &'static str);
}

/// A column type with an average: a float, or a decimal for decimals.
pub trait Averageable {
    /// The average's type.
    type Avg: DbValue + Send;
    /// How the database is asked to type it (SQLite, PostgreSQL).
    const SQL_TYPE: (&'static str, &'static str);
}

/// A column type with a smallest and largest value; `Value` is the type without `Option`.
pub trait Ordered {
    /// The value's type, not nullable.
    type Value: DbValue + Send;
}

macro_rules! numeric {
    ($($ty:ty => $sum:ty, $sum_sql:expr, $avg:ty, $avg_sql:expr);* $(;)?) => {$(
        impl Summable for $ty { type Sum = $sum; const SQL_TYPE: (&'static str, &'static str) = $sum_sql; }
        impl Summable for Option<$ty> { type Sum = $sum; const SQL_TYPE: (&'static str, &'static str) = $sum_sql; }
        impl Averageable for $ty { type Avg = $avg; const SQL_TYPE: (&'static str, &'static str) = $avg_sql; }
        impl Averageable for Option<$ty> { type Avg = $avg; const SQL_TYPE: (&'static str, &'static str) = $avg_sql; }
    )*};
}

const INTEGER: (&str, &str) = ("INTEGER", "BIGINT");
const FLOAT: (&str, &str) = ("REAL", "DOUBLE PRECISION");
const DECIMAL: (&str, &str) = ("TEXT", "DECIMAL");

numeric! {
    i16 => i64, INTEGER, f64, FLOAT;
    i32 => i64, INTEGER, f64, FLOAT;
    i64 => i64, INTEGER, f64, FLOAT;
    f32 => f64, FLOAT, f64, FLOAT;
    f64 => f64, FLOAT, f64, FLOAT;
    Decimal => Decimal, DECIMAL, Decimal, DECIMAL;
}

macro_rules! ordered {
    ($($ty:ty),*) => {$(
        impl Ordered for $ty { type Value = $ty; }
        impl Ordered for Option<$ty> { type Value = $ty; }
    )*};
}

ordered!(i16, i32, i64, f32, f64, Decimal, String, DateTime<Utc>, NaiveDate, NaiveTime, uuid::Uuid);

/// `SUM(column)`, `AVG(column)`, `MIN(column)` or `MAX(column)`: `None` when no row has a value.
pub struct Of<M, T, R> {
    function: &'static str,
    column: &'static str,
    cast: Option<(&'static str, &'static str)>,
    types: PhantomData<Types<M, T, R>>,
}

/// The model, column type and result type an aggregate is typed by.
type Types<M, T, R> = fn() -> (M, T, R);

impl<M, T, R> Of<M, T, R> {
    fn new(function: &'static str, column: Column<M, T>, cast: Option<(&'static str, &'static str)>) -> Self {
        Of { function, column: column.name(), cast, types: PhantomData }
    }
}

/// The sum of a number column.
pub fn sum<M, T: Summable>(column: Column<M, T>) -> Of<M, T, T::Sum> {
    Of::new("SUM", column, Some(T::SQL_TYPE))
}

/// The average of a number column.
pub fn avg<M, T: Averageable>(column: Column<M, T>) -> Of<M, T, T::Avg> {
    Of::new("AVG", column, Some(T::SQL_TYPE))
}

/// The smallest value of a column.
pub fn min<M, T: Ordered>(column: Column<M, T>) -> Of<M, T, T::Value> {
    Of::new("MIN", column, None)
}

/// The largest value of a column.
pub fn max<M, T: Ordered>(column: Column<M, T>) -> Of<M, T, T::Value> {
    Of::new("MAX", column, None)
}

impl<M, T> Column<M, T> {
    /// The number of rows where this column is not NULL: `COUNT(column)`.
    pub fn count(self) -> Count<M> {
        Count { column: Some(self.name()), model: PhantomData }
    }
}

impl<M: 'static, T: 'static, R: DbValue + Send + 'static> Aggregate<M> for Of<M, T, R> {
    type Output = Option<R>;

    fn exprs(&self, provider: Provider) -> Vec<SimpleExpr> {
        let call = format!("{}(\"{}\")", self.function, self.column.replace('"', "\"\""));
        vec![match self.cast {
            Some((sqlite, postgres)) => {
                let ty = if provider == Provider::Sqlite { sqlite } else { postgres };
                // PostgreSQL widens sums of integers to NUMERIC and averages to NUMERIC: the
                // cast keeps the result the Rust type says.
                Expr::cust(format!("CAST({call} AS {ty})"))
            }
            None => Expr::cust(call),
        }]
    }

    fn width(&self) -> usize {
        1
    }

    fn decode(&self, row: &DbRow, start: usize) -> Result<Option<R>, DbError> {
        R::decode_nullable(row, alias(start).as_str())
    }
}

macro_rules! tuple_aggregate {
    ($($name:ident $index:tt),*) => {
        impl<M, $($name: Aggregate<M>),*> Aggregate<M> for ($($name,)*) {
            type Output = ($($name::Output,)*);

            fn exprs(&self, provider: Provider) -> Vec<SimpleExpr> {
                let mut exprs = Vec::new();
                $(exprs.extend(self.$index.exprs(provider));)*
                exprs
            }

            fn width(&self) -> usize {
                0 $(+ self.$index.width())*
            }

            fn decode(&self, row: &DbRow, start: usize) -> Result<Self::Output, DbError> {
                let mut at = Positions(start);
                Ok(($(self.$index.decode(row, at.next(self.$index.width()))?,)*))
            }
        }
    };
}

tuple_aggregate!(A 0, B 1);
tuple_aggregate!(A 0, B 1, C 2);
tuple_aggregate!(A 0, B 1, C 2, D 3);
tuple_aggregate!(A 0, B 1, C 2, D 3, E 4);
tuple_aggregate!(A 0, B 1, C 2, D 3, E 4, F 5);
