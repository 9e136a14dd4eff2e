//! A typed column of a model: every filter, assignment and sort key a scalar field offers, once,
//! for every model. Generated code declares `pub fn title() -> Column<Post, String>`; which
//! operations exist follows from the type (`contains` for text, `increment` for numbers, `has`
//! for scalar lists).

use std::{fmt, marker::PhantomData};

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use rust_decimal::Decimal;
use sea_query::{Expr, ExprTrait};

use crate::{
    DbValue,
    filter::{Filter, OrderBy, Set, SortOrder, like},
    value::ListElement,
};

/// The column `name` of model `M`, holding values of type `T` (`Option<_>` when nullable).
pub struct Column<M, T> {
    name: &'static str,
    types: PhantomData<fn() -> (M, T)>,
}

impl<M, T> Clone for Column<M, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<M, T> Copy for Column<M, T> {}

impl<M, T> fmt::Debug for Column<M, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Column({})", self.name)
    }
}

impl<M, T> Column<M, T> {
    /// The column named `name` in the database.
    pub const fn new(name: &'static str) -> Self {
        Column { name, types: PhantomData }
    }

    /// The column's name in the database.
    pub const fn name(self) -> &'static str {
        self.name
    }

    fn compare(self, value: T, op: fn(Expr, Expr) -> Expr) -> Filter<M>
    where
        T: DbValue + Send + Sync + 'static,
    {
        let name = self.name;
        Filter::new(move |scope| op(scope.column(name), value.to_expr(scope.provider)))
    }
}

impl<M, T: DbValue + Send + Sync + 'static> Column<M, T> {
    /// Sort by this column.
    pub fn order(self, order: SortOrder) -> OrderBy<M> {
        OrderBy::new(self.name, order, T::NULLABLE)
    }

    /// `= value`; for a nullable column, `equals(None)` is `IS NULL`.
    pub fn equals(self, value: impl Into<T>) -> Filter<M> {
        let (name, value) = (self.name, value.into());
        Filter::new(move |scope| match value.is_null() {
            true => scope.column(name).is_null(),
            false => scope.column(name).eq(value.to_expr(scope.provider)),
        })
    }

    /// `<> value`; for a nullable column, `not(None)` is `IS NOT NULL`. As in SQL, rows where
    /// the column is NULL match no `not(value)`.
    pub fn not(self, value: impl Into<T>) -> Filter<M> {
        let (name, value) = (self.name, value.into());
        Filter::new(move |scope| match value.is_null() {
            true => scope.column(name).is_not_null(),
            false => scope.column(name).ne(value.to_expr(scope.provider)),
        })
    }

    /// One of `values`; an empty list matches no row.
    pub fn in_vec(self, values: impl IntoIterator<Item = T>) -> Filter<M> {
        let (name, values): (_, Vec<T>) = (self.name, values.into_iter().collect());
        Filter::new(move |scope| match values.is_empty() {
            // `IN ()` is not valid SQL.
            true => Expr::val(false),
            false => scope.column(name).is_in(values.iter().map(|value| value.to_expr(scope.provider))),
        })
    }

    /// None of `values`; an empty list matches every row.
    pub fn not_in_vec(self, values: impl IntoIterator<Item = T>) -> Filter<M> {
        let (name, values): (_, Vec<T>) = (self.name, values.into_iter().collect());
        Filter::new(move |scope| match values.is_empty() {
            true => Expr::val(true),
            false => scope.column(name).is_not_in(values.iter().map(|value| value.to_expr(scope.provider))),
        })
    }

    /// Assigns `value` in an update.
    pub fn set(self, value: impl Into<T>) -> Set<M> {
        let (name, value) = (self.name, value.into());
        Set::new(move |provider| (name, value.to_expr(provider)))
    }
}

/// Types with an order: numbers, text, times. `Option<T>` compares like `T` (NULL matches no
/// comparison).
pub trait Comparable {}

/// Text types: substring filters.
pub trait Text {}

/// Number types: atomic arithmetic in updates.
pub trait Number {}

macro_rules! marks {
    ($marker:ident: $($ty:ty),*) => {
        $(impl $marker for $ty {} impl $marker for Option<$ty> {})*
    };
}

marks!(Comparable: i16, i32, i64, f32, f64, Decimal, String, DateTime<Utc>, NaiveDate, NaiveTime, uuid::Uuid);
marks!(Text: String);
marks!(Number: i16, i32, i64, f32, f64, Decimal);

impl<M, T: DbValue + Comparable + Send + Sync + 'static> Column<M, T> {
    /// `< value`.
    pub fn lt(self, value: impl Into<T>) -> Filter<M> {
        self.compare(value.into(), ExprTrait::lt)
    }

    /// `<= value`.
    pub fn lte(self, value: impl Into<T>) -> Filter<M> {
        self.compare(value.into(), ExprTrait::lte)
    }

    /// `> value`.
    pub fn gt(self, value: impl Into<T>) -> Filter<M> {
        self.compare(value.into(), ExprTrait::gt)
    }

    /// `>= value`.
    pub fn gte(self, value: impl Into<T>) -> Filter<M> {
        self.compare(value.into(), ExprTrait::gte)
    }
}

impl<M, T: Text> Column<M, T> {
    fn pattern(self, prefix: &'static str, needle: String, suffix: &'static str) -> Filter<M> {
        let name = self.name;
        Filter::new(move |scope| like(scope.column(name), prefix, &needle, suffix))
    }

    /// The value contains `needle`.
    pub fn contains(self, needle: impl Into<String>) -> Filter<M> {
        self.pattern("%", needle.into(), "%")
    }

    /// The value begins with `needle`.
    pub fn starts_with(self, needle: impl Into<String>) -> Filter<M> {
        self.pattern("", needle.into(), "%")
    }

    /// The value ends with `needle`.
    pub fn ends_with(self, needle: impl Into<String>) -> Filter<M> {
        self.pattern("%", needle.into(), "")
    }
}

impl<M, T: DbValue + Number + Send + Sync + 'static> Column<M, T> {
    fn arithmetic(self, by: T, op: fn(Expr, Expr) -> Expr) -> Set<M> {
        let name = self.name;
        Set::new(move |provider| (name, op(Expr::col(name), by.to_expr(provider))))
    }

    /// Adds `by` to the stored value, in the database (no lost update).
    pub fn increment(self, by: impl Into<T>) -> Set<M> {
        self.arithmetic(by.into(), ExprTrait::add)
    }

    /// Subtracts `by` from the stored value.
    pub fn decrement(self, by: impl Into<T>) -> Set<M> {
        self.arithmetic(by.into(), ExprTrait::sub)
    }

    /// Multiplies the stored value by `by`.
    pub fn multiply(self, by: impl Into<T>) -> Set<M> {
        self.arithmetic(by.into(), ExprTrait::mul)
    }

    /// Divides the stored value by `by`.
    pub fn divide(self, by: impl Into<T>) -> Set<M> {
        self.arithmetic(by.into(), ExprTrait::div)
    }
}

/// Scalar lists (`String[]`, PostgreSQL only).
impl<M, E: ListElement + Send + Sync + 'static> Column<M, Vec<E>> {
    fn array(self, op: &'static str, values: Vec<E>) -> Filter<M> {
        let name = self.name;
        Filter::new(move |scope| {
            Expr::cust_with_exprs(format!("$1 {op} $2"), [scope.column(name), values.to_expr(scope.provider)])
        })
    }

    /// The list contains `value`.
    pub fn has(self, value: impl Into<E>) -> Filter<M> {
        self.array("@>", vec![value.into()])
    }

    /// The list contains at least one of `values`.
    pub fn has_some(self, values: Vec<E>) -> Filter<M> {
        self.array("&&", values)
    }

    /// The list contains every one of `values`.
    pub fn has_every(self, values: Vec<E>) -> Filter<M> {
        self.array("@>", values)
    }

    /// The list is empty (`true`) or not (`false`).
    pub fn is_empty(self, empty: bool) -> Filter<M> {
        let name = self.name;
        Filter::new(move |scope| {
            let length = Expr::cust_with_exprs("cardinality($1)", [scope.column(name)]);
            if empty { length.eq(0) } else { length.gt(0) }
        })
    }

    /// Appends `values` to the stored list.
    pub fn push(self, values: Vec<E>) -> Set<M> {
        let name = self.name;
        Set::new(move |provider| (name, Expr::cust_with_exprs("$1 || $2", [Expr::col(name), values.to_expr(provider)])))
    }
}
