//! Field filters of generated `where` clauses, turned into SQL conditions.

use sea_query::{Expr, ExprTrait, LikeExpr};

use crate::{DbValue, Provider};

/// Comparisons for any scalar field. For a nullable field `T` is `Option<_>`, and
/// `Equals(None)` / `Not(None)` mean `IS NULL` / `IS NOT NULL`.
#[derive(Clone, Debug, PartialEq)]
pub enum ScalarFilter<T> {
    /// `= value`.
    Equals(T),
    /// `<> value`; as in SQL, rows where the field is NULL do not match.
    Not(T),
    /// One of the values; an empty list matches no row.
    In(Vec<T>),
    /// None of the values; an empty list matches every row.
    NotIn(Vec<T>),
    /// `< value`.
    Lt(T),
    /// `<= value`.
    Lte(T),
    /// `> value`.
    Gt(T),
    /// `>= value`.
    Gte(T),
}

impl<T: DbValue> ScalarFilter<T> {
    /// The condition on `column`, with the value bound for `provider`.
    pub fn into_expr(self, column: Expr, provider: Provider) -> Expr {
        match self {
            ScalarFilter::Equals(value) if value.is_null() => column.is_null(),
            ScalarFilter::Equals(value) => column.eq(value.to_expr(provider)),
            ScalarFilter::Not(value) if value.is_null() => column.is_not_null(),
            ScalarFilter::Not(value) => column.ne(value.to_expr(provider)),
            // `IN ()` is not valid SQL: an empty list matches nothing (and `NOT IN` everything).
            ScalarFilter::In(values) if values.is_empty() => Expr::val(false),
            ScalarFilter::In(values) => column.is_in(values.iter().map(|v| v.to_expr(provider))),
            ScalarFilter::NotIn(values) if values.is_empty() => Expr::val(true),
            ScalarFilter::NotIn(values) => column.is_not_in(values.iter().map(|v| v.to_expr(provider))),
            ScalarFilter::Lt(value) => column.lt(value.to_expr(provider)),
            ScalarFilter::Lte(value) => column.lte(value.to_expr(provider)),
            ScalarFilter::Gt(value) => column.gt(value.to_expr(provider)),
            ScalarFilter::Gte(value) => column.gte(value.to_expr(provider)),
        }
    }
}

/// Filters of text fields: the scalar comparisons plus substring matches.
///
/// Substring matches use `LIKE` with `%` and `_` escaped. As with Prisma, they are
/// case-sensitive on PostgreSQL and ASCII-case-insensitive on SQLite.
#[derive(Clone, Debug, PartialEq)]
pub enum StringFilter<T = String> {
    /// A comparison of the whole value.
    Scalar(ScalarFilter<T>),
    /// The value contains this text.
    Contains(String),
    /// The value begins with this text.
    StartsWith(String),
    /// The value ends with this text.
    EndsWith(String),
}

impl<T: DbValue> StringFilter<T> {
    /// The condition on `column`, with the value bound for `provider`.
    pub fn into_expr(self, column: Expr, provider: Provider) -> Expr {
        let pattern = |prefix: &str, needle: &str, suffix: &str| {
            LikeExpr::new(format!("{prefix}{}{suffix}", escape_like(needle))).escape('\\')
        };
        match self {
            StringFilter::Scalar(filter) => filter.into_expr(column, provider),
            StringFilter::Contains(needle) => column.like(pattern("%", &needle, "%")),
            StringFilter::StartsWith(needle) => column.like(pattern("", &needle, "%")),
            StringFilter::EndsWith(needle) => column.like(pattern("%", &needle, "")),
        }
    }
}

fn escape_like(needle: &str) -> String {
    let mut escaped = String::with_capacity(needle.len());
    for c in needle.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// Sort direction of an `order_by`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortOrder {
    /// Smallest first.
    Asc,
    /// Largest first.
    Desc,
}

impl From<SortOrder> for sea_query::Order {
    fn from(order: SortOrder) -> Self {
        match order {
            SortOrder::Asc => sea_query::Order::Asc,
            SortOrder::Desc => sea_query::Order::Desc,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::escape_like;

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(escape_like("50%_off\\"), "50\\%\\_off\\\\");
    }
}
