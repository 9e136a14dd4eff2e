//! Aggregates over a model's rows (`aggregate`, `group_by`): `count()`, `sum`, `avg`, `min`,
//! `max` of typed columns, with typed results, combined in tuples like `select`; groups
//! filtered by their aggregates (`having`) and sorted by them.

use std::marker::PhantomData;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use rust_decimal::Decimal;
use sea_query::{Asterisk, Expr, ExprTrait, Func, Order, Query, SelectStatement, SimpleExpr};

use crate::{
    Column, Conn, DbError, DbRow, DbValue, Provider, fetch_all,
    filter::{Filter, OrderBy, Scope, SortOrder, conjunction, custom, where_all},
    model::{Limited, Model, Positions, Select},
};

/// One or more aggregates of model `M`'s rows, computed in SQL.
pub trait Aggregate<M>: Send + Sync {
    /// The aggregates' values for a set of rows.
    type Output: Send;

    /// The SQL expressions, in order.
    fn exprs(&self, provider: Provider) -> Vec<SimpleExpr>;

    /// How many expressions (and result columns) there are.
    fn width(&self) -> usize;

    /// Decodes the values; the first is at position `start` of the row.
    fn decode(&self, row: &DbRow, start: usize) -> Result<Self::Output, DbError>;
}

/// The column name of the `index`-th aggregate in a statement.
fn alias(index: usize) -> String {
    format!("__agg{index}")
}

/// Adds `aggregates` to `select`, each under its [`alias`].
pub(crate) fn select_aggregates<M>(select: &mut SelectStatement, aggregates: &impl Aggregate<M>, provider: Provider) {
    for (index, expr) in aggregates.exprs(provider).into_iter().enumerate() {
        select.expr_as(expr, alias(index));
    }
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
        row.get(start)
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

impl<M: 'static, T: 'static, R: DbValue + Send + 'static> Of<M, T, R> {
    /// `SUM("column")`, uncast.
    fn call(&self) -> String {
        format!("{}(\"{}\")", self.function, self.column.replace('"', "\"\""))
    }

    /// The aggregate as `HAVING` and `ORDER BY` compare it: on SQLite a decimal's number, not
    /// the text it is read as (text compares by characters: `'99.5' > '100'`).
    fn compared(&self, provider: Provider) -> Expr {
        match provider == Provider::Sqlite && R::SQLITE_NUMBER_AS_TEXT {
            true => Expr::cust(self.call()),
            false => self.exprs(provider).remove(0),
        }
    }

    /// `value` bound to compare with [`Of::compared`].
    fn operand(value: &R, provider: Provider) -> Expr {
        match provider == Provider::Sqlite && R::SQLITE_NUMBER_AS_TEXT {
            true => custom(provider, "CAST($1 AS REAL)", vec![value.to_expr(provider)]),
            false => value.to_expr(provider),
        }
    }
}

impl<M: 'static, T: 'static, R: DbValue + Send + 'static> Aggregate<M> for Of<M, T, R> {
    type Output = Option<R>;

    fn exprs(&self, provider: Provider) -> Vec<SimpleExpr> {
        let call = self.call();
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
        R::decode_nullable(row, start)
    }
}

/// An expression of an aggregate for a backend.
type Build = Box<dyn Fn(Provider) -> Expr + Send + Sync>;

/// A condition on a group's aggregates (SQL `HAVING`, Prisma's `having`): `count().gt(1)`,
/// `sum(post::views()).gte(100)`.
pub struct Having<M> {
    build: Build,
    model: PhantomData<fn() -> M>,
}

impl<M> Having<M> {
    fn new(build: impl Fn(Provider) -> Expr + Send + Sync + 'static) -> Self {
        Having { build: Box::new(build), model: PhantomData }
    }
}

/// A sort key of groups: a grouped column (`post::author_id().order(…)`) or an aggregate
/// (`count().order(SortOrder::Desc)`).
pub struct GroupOrder<M> {
    key: GroupKey<M>,
}

enum GroupKey<M> {
    Column(OrderBy<M>),
    Aggregate(Build, SortOrder),
}

impl<M> From<OrderBy<M>> for GroupOrder<M> {
    fn from(key: OrderBy<M>) -> Self {
        GroupOrder { key: GroupKey::Column(key) }
    }
}

impl<M: Model> GroupOrder<M> {
    fn apply(&self, select: &mut SelectStatement, provider: Provider) {
        match &self.key {
            GroupKey::Column(key) => key.apply(select, &Scope::top(provider, M::TABLE)),
            GroupKey::Aggregate(build, order) => {
                select.order_by_expr(build(provider), Order::from(*order));
            }
        }
    }
}

/// What a single aggregate (not a tuple) offers: comparisons for `having` and a sort key, from
/// `$compared` (the aggregate's expression) and `$operand` (a value bound beside it).
macro_rules! measure {
    ($value:ty, $compared:expr, $operand:expr) => {
        fn compare(self, value: $value, op: fn(Expr, Expr) -> Expr) -> Having<M> {
            Having::new(move |provider| op($compared(&self, provider), $operand(&value, provider)))
        }

        /// `HAVING aggregate = value`.
        pub fn equals(self, value: impl Into<$value>) -> Having<M> {
            self.compare(value.into(), ExprTrait::eq)
        }

        /// `HAVING aggregate < value`.
        pub fn lt(self, value: impl Into<$value>) -> Having<M> {
            self.compare(value.into(), ExprTrait::lt)
        }

        /// `HAVING aggregate <= value`.
        pub fn lte(self, value: impl Into<$value>) -> Having<M> {
            self.compare(value.into(), ExprTrait::lte)
        }

        /// `HAVING aggregate > value`.
        pub fn gt(self, value: impl Into<$value>) -> Having<M> {
            self.compare(value.into(), ExprTrait::gt)
        }

        /// `HAVING aggregate >= value`.
        pub fn gte(self, value: impl Into<$value>) -> Having<M> {
            self.compare(value.into(), ExprTrait::gte)
        }

        /// Sorts groups by this aggregate.
        pub fn order(self, order: SortOrder) -> GroupOrder<M> {
            let build: Build = Box::new(move |provider| $compared(&self, provider));
            GroupOrder { key: GroupKey::Aggregate(build, order) }
        }
    };
}

impl<M: 'static> Count<M> {
    measure!(i64, |count: &Self, provider| count.exprs(provider).remove(0), |value: &i64, provider| value
        .to_expr(provider));
}

impl<M: 'static, T: 'static, R: DbValue + Send + Sync + 'static> Of<M, T, R> {
    measure!(R, Self::compared, Self::operand);
}

/// Aggregates per group of rows with equal `by` columns: `Actions::group_by`. Groups come in
/// the `order_by` order, ties (and every group, without keys) in ascending order of `by`.
pub struct GroupBy<'c, C: Conn, M: Model, B, A> {
    conn: &'c C,
    filters: Vec<Filter<M>>,
    by: B,
    aggregates: A,
    having: Vec<Having<M>>,
    order: Vec<GroupOrder<M>>,
    take: Option<u64>,
    skip: Option<u64>,
}

impl<'c, C: Conn, M: Model, B: Select<M>, A: Aggregate<M>> GroupBy<'c, C, M, B, A> {
    pub(crate) fn new(conn: &'c C, filters: Vec<Filter<M>>, by: B, aggregates: A) -> Self {
        GroupBy { conn, filters, by, aggregates, having: Vec::new(), order: Vec::new(), take: None, skip: None }
    }

    /// Keeps the groups whose aggregates meet every condition: `.having(vec![count().gt(1)])`.
    pub fn having(mut self, conditions: Vec<Having<M>>) -> Self {
        self.having.extend(conditions);
        self
    }

    /// Adds a sort key; each one breaks the ties of those before it.
    pub fn order_by(mut self, key: impl Into<GroupOrder<M>>) -> Self {
        self.order.push(key.into());
        self
    }

    /// At most `take` groups.
    pub fn take(mut self, take: u64) -> Self {
        self.take = Some(take);
        self
    }

    /// Leaves out the first `skip` groups.
    pub fn skip(mut self, skip: u64) -> Self {
        self.skip = Some(skip);
        self
    }

    /// Runs the read: each group's `by` values and aggregates.
    pub async fn exec(self) -> Result<Vec<(B::Output, A::Output)>, DbError> {
        let provider = self.conn.provider();
        let mut select = Query::select();
        let columns = self.by.columns();
        select.columns(columns.iter().map(|column| (M::TABLE, *column)));
        select_aggregates(&mut select, &self.aggregates, provider);
        select.from(M::TABLE);
        where_all(&mut select, conjunction(&self.filters, &Scope::top(provider, M::TABLE)));
        for column in &columns {
            select.add_group_by([Expr::col((M::TABLE, *column))]);
        }
        for condition in &self.having {
            select.and_having((condition.build)(provider));
        }
        for key in &self.order {
            if let GroupKey::Column(column) = &key.key
                && !columns.contains(&column.name())
            {
                // PostgreSQL refuses it; SQLite would sort by any one row of each group.
                return Err(DbError::Unsupported { operation: "ordering groups by a column they are not grouped by" });
            }
            key.apply(&mut select, provider);
        }
        for column in &columns {
            select.order_by((M::TABLE, *column), Order::Asc);
        }
        let rows = fetch_all(self.conn, &Limited::new(select, self.take, self.skip, provider)).await?;
        let after_by = self.by.width();
        rows.iter().map(|row| Ok((self.by.decode(row, 0)?, self.aggregates.decode(row, after_by)?))).collect()
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
