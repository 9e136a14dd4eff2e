//! What a query is made of before it meets a connection: filters, assignments and sort keys of
//! a model, each built by a typed [`Column`](crate::Column) or relation and turned into SQL
//! once the backend is known.

use std::{fmt, marker::PhantomData, sync::Arc};

use sea_query::{
    Alias, ConditionalStatement, DynIden, Expr, ExprTrait, IntoIden, LikeExpr, LogicalChainOper, NullOrdering, Order,
    SelectStatement,
};

use crate::Provider;

/// Where a condition is evaluated: the backend, and the name the model's table has in the
/// statement (its own name at the top, `t<depth>` inside relation filters, so that a
/// self-relation's inner and outer rows stay apart, and `__j<n>` for a joined include).
#[derive(Clone, Debug)]
pub struct Scope {
    /// The backend the statement is for.
    pub provider: Provider,
    table: DynIden,
    depth: u32,
}

impl Scope {
    /// The outermost scope: the table under its own name.
    pub fn top(provider: Provider, table: &'static str) -> Self {
        Scope { provider, table: table.into_iden(), depth: 0 }
    }

    /// A scope one level further in, for a subquery over another (or the same) table.
    pub fn nested(&self) -> Self {
        let depth = self.depth + 1;
        Scope { provider: self.provider, table: Alias::new(format!("t{depth}")).into_iden(), depth }
    }

    /// The `number`th table joined at this depth (a to-one relation read with its parents).
    pub(crate) fn joined(&self, number: usize) -> Self {
        Scope { provider: self.provider, table: Alias::new(format!("__j{number}")).into_iden(), depth: self.depth }
    }

    /// A second name at this depth (the join table of a many-to-many relation).
    pub(crate) fn beside(&self, suffix: &str) -> DynIden {
        Alias::new(format!("t{}{suffix}", self.depth)).into_iden()
    }

    /// The name of the table in this scope.
    pub fn table(&self) -> DynIden {
        self.table.clone()
    }

    /// `column` of this scope's table.
    pub fn column(&self, column: &'static str) -> Expr {
        Expr::col((self.table.clone(), column))
    }
}

type BuildExpr = dyn Fn(&Scope) -> Expr + Send + Sync;

/// A condition on rows of model `M`, from a column (`post::title().contains("rust")`), a
/// relation (`post::author().is(…)`) or a combination ([`and`], [`or`], [`not`]).
pub struct Filter<M> {
    build: Arc<BuildExpr>,
    model: PhantomData<fn() -> M>,
}

impl<M> Clone for Filter<M> {
    fn clone(&self) -> Self {
        Filter { build: self.build.clone(), model: PhantomData }
    }
}

impl<M> fmt::Debug for Filter<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Filter")
    }
}

impl<M> Filter<M> {
    /// A filter from a function of the scope; what columns and relations build on.
    pub fn new(build: impl Fn(&Scope) -> Expr + Send + Sync + 'static) -> Self {
        Filter { build: Arc::new(build), model: PhantomData }
    }

    /// The SQL condition in `scope`.
    pub fn to_expr(&self, scope: &Scope) -> Expr {
        (self.build)(scope)
    }
}

/// Every filter holds; an empty list matches every row.
pub fn and<M: 'static>(filters: Vec<Filter<M>>) -> Filter<M> {
    Filter::new(move |scope| all_of(&filters, scope))
}

/// At least one filter holds; an empty list matches no row.
pub fn or<M: 'static>(filters: Vec<Filter<M>>) -> Filter<M> {
    Filter::new(move |scope| {
        filters.iter().map(|filter| filter.to_expr(scope)).reduce(|a, b| a.or(b)).unwrap_or_else(|| Expr::val(false))
    })
}

/// Not every filter holds (Prisma's `NOT`: the negation of their conjunction).
pub fn not<M: 'static>(filters: Vec<Filter<M>>) -> Filter<M> {
    Filter::new(move |scope| all_of(&filters, scope).not())
}

/// The conjunction of `filters` in `scope`; `TRUE` when there are none.
pub fn all_of<M>(filters: &[Filter<M>], scope: &Scope) -> Expr {
    filters.iter().map(|filter| filter.to_expr(scope)).reduce(|a, b| a.and(b)).unwrap_or_else(|| Expr::val(true))
}

/// The conjunction of `filters` in `scope`; `None` when there are none, so that a read of
/// every row carries no `WHERE TRUE` (a bound parameter on every statement).
pub fn conjunction<M>(filters: &[Filter<M>], scope: &Scope) -> Option<Expr> {
    (!filters.is_empty()).then(|| all_of(filters, scope))
}

/// Sets the `WHERE` of `statement` to the conjunction of `conditions` (none: no `WHERE`). Call
/// it once per statement, instead of sea-query's `and_where`: that stores a `Condition`, which
/// the builder copies whole, bound values included (an include's `IN` list), each time it
/// writes the SQL. A second call would chain a second condition, which sea-query does not
/// always parenthesize.
pub(crate) fn where_all<S: ConditionalStatement>(statement: &mut S, conditions: impl IntoIterator<Item = Expr>) {
    if let Some(condition) = conditions.into_iter().reduce(|a, b| a.and(b)) {
        statement.and_or_where(LogicalChainOper::And(condition));
    }
}

/// `column LIKE pattern` with `%` and `_` in `needle` matched literally. As with Prisma,
/// case-sensitive on PostgreSQL and ASCII-case-insensitive on SQLite.
pub(crate) fn like(column: Expr, prefix: &str, needle: &str, suffix: &str) -> Expr {
    column.like(LikeExpr::new(format!("{prefix}{}{suffix}", escape_like(needle))).escape('\\'))
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

type BuildAssignment = dyn FnOnce(Provider) -> (&'static str, Expr) + Send;

/// One `SET column = value` of an update of model `M`: `post::title().set("New")`,
/// `post::views().increment(1)`.
pub struct Set<M> {
    build: Box<BuildAssignment>,
    model: PhantomData<fn() -> M>,
}

impl<M> fmt::Debug for Set<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Set")
    }
}

impl<M> Set<M> {
    /// An assignment from a function of the backend.
    pub fn new(build: impl FnOnce(Provider) -> (&'static str, Expr) + Send + 'static) -> Self {
        Set { build: Box::new(build), model: PhantomData }
    }

    /// The column and the value expression.
    pub fn into_assignment(self, provider: Provider) -> (&'static str, Expr) {
        (self.build)(provider)
    }
}

/// Sort direction of an `order_by`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortOrder {
    /// Smallest first.
    Asc,
    /// Largest first.
    Desc,
}

impl From<SortOrder> for Order {
    fn from(order: SortOrder) -> Self {
        match order {
            SortOrder::Asc => Order::Asc,
            SortOrder::Desc => Order::Desc,
        }
    }
}

/// Where NULL sorts: [`OrderBy::nulls_first`] and [`OrderBy::nulls_last`] (Prisma's
/// `nulls: 'first' | 'last'`).
#[derive(Clone, Copy)]
enum Nulls {
    First,
    Last,
}

/// One sort key of model `M`: a column (`post::published_at().order(SortOrder::Desc)`) or a
/// relation's count (`user::posts().count().order(SortOrder::Desc)`).
pub struct OrderBy<M> {
    key: SortKey,
    pub(crate) order: SortOrder,
    pub(crate) nullable: bool,
    /// `None`: where the backend puts NULL (PostgreSQL after every value in ascending order,
    /// SQLite before).
    nulls: Option<Nulls>,
    model: PhantomData<fn() -> M>,
}

/// What a sort key reads from a row.
#[derive(Clone)]
enum SortKey {
    Column(&'static str),
    /// An expression over the row (a correlated subquery), named for messages.
    Computed {
        name: &'static str,
        build: Arc<BuildExpr>,
    },
}

impl<M> Clone for OrderBy<M> {
    fn clone(&self) -> Self {
        OrderBy { key: self.key.clone(), ..*self }
    }
}

impl<M> fmt::Debug for OrderBy<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OrderBy({} {})", self.name(), self.direction_sql())
    }
}

impl<M> OrderBy<M> {
    pub(crate) fn new(column: &'static str, order: SortOrder, nullable: bool) -> Self {
        OrderBy { key: SortKey::Column(column), order, nullable, nulls: None, model: PhantomData }
    }

    /// A key computed from each row by `build` (never NULL), named `name` in messages.
    pub(crate) fn computed(
        name: &'static str,
        order: SortOrder,
        build: impl Fn(&Scope) -> Expr + Send + Sync + 'static,
    ) -> Self {
        let key = SortKey::Computed { name, build: Arc::new(build) };
        OrderBy { key, order, nullable: false, nulls: None, model: PhantomData }
    }

    /// The column sorted by, or the name of the computed key.
    pub(crate) fn name(&self) -> &'static str {
        match &self.key {
            SortKey::Column(column) => column,
            SortKey::Computed { name, .. } => name,
        }
    }

    /// The key's value for the row of `scope`.
    pub(crate) fn expr(&self, scope: &Scope) -> Expr {
        match &self.key {
            SortKey::Column(column) => scope.column(column),
            SortKey::Computed { build, .. } => build(scope),
        }
    }

    /// Sorts NULL before every value, on every backend.
    pub fn nulls_first(mut self) -> Self {
        self.nulls = Some(Nulls::First);
        self
    }

    /// Sorts NULL after every value, on every backend.
    pub fn nulls_last(mut self) -> Self {
        self.nulls = Some(Nulls::Last);
        self
    }

    /// Adds this key, for the rows of `scope`, to `select`'s `ORDER BY`.
    pub(crate) fn apply(&self, select: &mut SelectStatement, scope: &Scope) {
        self.apply_to(select, self.expr(scope));
    }

    /// Adds `value` (this key's value, read some other way) to `select`'s `ORDER BY`, in this
    /// key's direction.
    pub(crate) fn apply_to(&self, select: &mut SelectStatement, value: Expr) {
        let order = Order::from(self.order);
        match self.nulls {
            None => select.order_by_expr(value, order),
            Some(Nulls::First) => select.order_by_expr_with_nulls(value, order, NullOrdering::First),
            Some(Nulls::Last) => select.order_by_expr_with_nulls(value, order, NullOrdering::Last),
        };
    }

    /// Whether NULL sorts after every value under this key on `provider` (PostgreSQL puts
    /// NULL last in ascending order, SQLite first, unless the key says).
    pub(crate) fn nulls_after_values(&self, provider: Provider) -> bool {
        match (self.nulls, self.order, provider) {
            (Some(Nulls::Last), _, _) => true,
            (Some(Nulls::First), _, _) => false,
            (None, SortOrder::Asc, Provider::Postgresql) | (None, SortOrder::Desc, Provider::Sqlite) => true,
            (None, SortOrder::Desc, Provider::Postgresql) | (None, SortOrder::Asc, Provider::Sqlite) => false,
        }
    }

    /// The key as SQL after a custom expression: `ASC`, `DESC NULLS LAST`, …
    pub(crate) fn direction_sql(&self) -> &'static str {
        match (self.order, self.nulls) {
            (SortOrder::Asc, None) => "ASC",
            (SortOrder::Desc, None) => "DESC",
            (SortOrder::Asc, Some(Nulls::First)) => "ASC NULLS FIRST",
            (SortOrder::Asc, Some(Nulls::Last)) => "ASC NULLS LAST",
            (SortOrder::Desc, Some(Nulls::First)) => "DESC NULLS FIRST",
            (SortOrder::Desc, Some(Nulls::Last)) => "DESC NULLS LAST",
        }
    }
}

/// `ROW_NUMBER() OVER (PARTITION BY partition ORDER BY keys)`, the keys read from the rows
/// of `scope`: the rank of a row among those with equal `partition` values.
pub(crate) fn row_number<M>(partition: Vec<Expr>, keys: &[OrderBy<M>], scope: &Scope) -> Expr {
    let by: Vec<String> = (1..=partition.len()).map(|n| format!("${n}")).collect();
    let order: Vec<String> = keys
        .iter()
        .enumerate()
        .map(|(i, key)| format!("${} {}", partition.len() + i + 1, key.direction_sql()))
        .collect();
    let order = if order.is_empty() { String::new() } else { format!(" ORDER BY {}", order.join(", ")) };
    let window = format!("ROW_NUMBER() OVER (PARTITION BY {}{order})", by.join(", "));
    custom(scope.provider, &window, partition.into_iter().chain(keys.iter().map(|key| key.expr(scope))).collect())
}

/// A custom SQL expression written with `$1`, `$2`, … for `args` (each may appear more than
/// once), as sea-query takes it for the backend: numbered on PostgreSQL, `?` in order of
/// appearance on SQLite.
pub(crate) fn custom(provider: Provider, template: &str, args: Vec<Expr>) -> Expr {
    if provider == Provider::Postgresql {
        return Expr::cust_with_exprs(template.to_owned(), args);
    }
    let mut text = String::with_capacity(template.len());
    let mut ordered = Vec::new();
    let mut rest = template;
    while let Some(at) = rest.find('$') {
        text.push_str(&rest[..at]);
        let digits = rest[at + 1..].bytes().take_while(u8::is_ascii_digit).count();
        match rest[at + 1..at + 1 + digits].parse::<usize>().ok().and_then(|n| args.get(n.wrapping_sub(1))) {
            Some(arg) => {
                text.push('?');
                ordered.push(arg.clone());
            }
            None => text.push_str(&rest[at..at + 1 + digits]),
        }
        rest = &rest[at + 1 + digits..];
    }
    text.push_str(rest);
    Expr::cust_with_exprs(text, ordered)
}

#[cfg(test)]
mod tests {
    use sea_query::{Expr, Query, SqliteQueryBuilder};

    use super::{custom, escape_like};
    use crate::Provider;

    #[test]
    fn custom_expressions_take_numbered_arguments_on_sqlite_too() {
        let expr = custom(Provider::Sqlite, "f($2, $1, $2, $9)", vec![Expr::val(1), Expr::val(2)]);
        let (sql, values) = Query::select().expr(expr).build(SqliteQueryBuilder);
        assert_eq!(sql, "SELECT f(?, ?, ?, $9)");
        assert_eq!(values.0, vec![2.into(), 1.into(), 2.into()]);
    }

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(escape_like("50%_off\\"), "50\\%\\_off\\\\");
    }
}
