//! What generated code declares about a model, and the queries every model gets from it.

use std::marker::PhantomData;

use sea_query::{
    Alias, Asterisk, Expr, ExprTrait, Func, InsertStatement, OnConflict, Query, QueryBuilder, SelectStatement,
};
use sea_query_sqlx::{SqlxBinder, SqlxValues};

use crate::{
    Column, Conn, DbError, DbRow, DbValue, Provider,
    aggregate::{Aggregate, GroupBy, select_aggregates},
    execute, fetch_all, fetch_optional,
    filter::{Filter, OrderBy, Scope, Set, SortOrder, conjunction, custom, row_number, where_all},
    relation::{Include, Joins, no_join},
};

/// A model or view of `schema.prisma`. Implemented by generated code only.
pub trait Model: Sized + Send + Sync + 'static {
    /// One row by a unique field or compound: `user::UniqueWhere::Email(…)`.
    type Unique: UniqueKey;

    /// The model's name in `schema.prisma` (`User`), as errors report it.
    const NAME: &'static str;
    /// The table's (or view's) name in the database (`users`).
    const TABLE: &'static str;
    /// Every column the model reads.
    const COLUMNS: &'static [&'static str];

    /// Builds the model from a row holding [`Self::COLUMNS`], in order, from position `start`.
    fn from_row(row: &DbRow, start: usize) -> Result<Self, DbError>;

    /// The row's primary key (or its first unique field or compound when it has none), to
    /// address it again; `None` for a view without either.
    fn unique(&self) -> Option<Self::Unique>;
}

/// A model whose rows are written (every model; views are read-only).
pub trait Table: Model {
    /// The data of a new row; fields left unset take their defaults.
    type Create: Insertion;

    /// Assignments every update adds (`@updatedAt` fields).
    fn on_update(provider: Provider) -> Vec<(&'static str, Expr)>;
}

/// What a read returns for each row: the whole model ([`Whole`]), one column
/// (`post::title()`), or a tuple of columns (`(post::id(), post::title())`), so that a page
/// that needs three columns reads three columns.
pub trait Select<M>: Send + Sync {
    /// The value of one row.
    type Output: Send;

    /// The columns to read.
    fn columns(&self) -> Vec<&'static str>;

    /// How many columns that is.
    fn width(&self) -> usize;

    /// Builds the value from a row holding [`Select::columns`], in order, from position
    /// `start` (reading by position spares a lookup by name per value).
    fn decode(&self, row: &DbRow, start: usize) -> Result<Self::Output, DbError>;
}

/// Every column, as the model: what a read returns without `select`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Whole;

impl<M: Model> Select<M> for Whole {
    type Output = M;

    fn columns(&self) -> Vec<&'static str> {
        M::COLUMNS.to_vec()
    }

    fn width(&self) -> usize {
        M::COLUMNS.len()
    }

    fn decode(&self, row: &DbRow, start: usize) -> Result<M, DbError> {
        M::from_row(row, start)
    }
}

impl<M: 'static, T: DbValue + Send + 'static> Select<M> for Column<M, T> {
    type Output = T;

    fn columns(&self) -> Vec<&'static str> {
        vec![self.name()]
    }

    fn width(&self) -> usize {
        1
    }

    fn decode(&self, row: &DbRow, start: usize) -> Result<T, DbError> {
        T::decode(row, start)
    }
}

macro_rules! tuple_select {
    ($($name:ident $index:tt),*) => {
        impl<M, $($name: Select<M>),*> Select<M> for ($($name,)*) {
            type Output = ($($name::Output,)*);

            fn columns(&self) -> Vec<&'static str> {
                let mut columns = Vec::new();
                $(columns.extend(self.$index.columns());)*
                columns
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

tuple_select!(A 0, B 1);
tuple_select!(A 0, B 1, C 2);
tuple_select!(A 0, B 1, C 2, D 3);
tuple_select!(A 0, B 1, C 2, D 3, E 4);
tuple_select!(A 0, B 1, C 2, D 3, E 4, F 5);
tuple_select!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
tuple_select!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);

/// Where each part of a tuple starts in a row: consecutive runs of columns from a start.
pub(crate) struct Positions(pub(crate) usize);

impl Positions {
    /// The start of the next part, `width` columns wide.
    pub(crate) fn next(&mut self, width: usize) -> usize {
        self.0 += width;
        self.0 - width
    }
}

/// One row named by unique columns.
pub trait UniqueKey: Clone + Send + Sync + 'static {
    /// The columns and their bound values; the row is the one where all are equal.
    fn columns(self, provider: Provider) -> Vec<(&'static str, Expr)>;
}

/// A new row's data, turned into the columns and values of an `INSERT`.
pub trait Insertion: Send {
    /// Every column to insert, with client-side defaults (`now()`, `uuid()`, …) filled in.
    fn into_values(self, provider: Provider) -> Vec<(&'static str, Expr)>;
}

/// The condition naming the row `unique` names, in `scope`.
pub fn unique_expr<U: UniqueKey>(unique: U, scope: &Scope) -> Expr {
    unique
        .columns(scope.provider)
        .into_iter()
        .map(|(column, value)| scope.column(column).eq(value))
        .reduce(|a, b| a.and(b))
        .unwrap_or_else(|| Expr::val(false))
}

/// The queries of model `M` on connection `C`: `db.user().find_many(…)`.
pub struct Actions<'c, C: Conn, M: Model> {
    conn: &'c C,
    model: PhantomData<M>,
}

impl<'c, C: Conn, M: Model> Actions<'c, C, M> {
    /// The queries of `M` on `conn`; generated accessors such as `db.user()` call this.
    pub fn new(conn: &'c C) -> Self {
        Actions { conn, model: PhantomData }
    }

    fn scope(&self) -> Scope {
        Scope::top(self.conn.provider(), M::TABLE)
    }

    /// A read of the row `unique` names; run it with [`FindMany::first`] or
    /// [`FindMany::first_or_not_found`].
    pub fn find_unique(&self, unique: M::Unique) -> FindMany<'c, C, M> {
        let mut find = FindMany::new(self.conn);
        find.filter = Some(unique_expr(unique, &self.scope()));
        find.take = Some(1);
        find
    }

    /// A read of the first row that matches every filter; give it an order with
    /// [`FindMany::order_by`].
    pub fn find_first(&self, filters: Vec<Filter<M>>) -> FindMany<'c, C, M> {
        self.find_many(filters).take(1)
    }

    /// A read of the rows that match every filter; an empty list matches every row.
    pub fn find_many(&self, filters: Vec<Filter<M>>) -> FindMany<'c, C, M> {
        let mut find = FindMany::new(self.conn);
        find.filter = conjunction(&filters, &self.scope());
        find
    }

    /// Aggregates of the rows that match every filter:
    /// `aggregate(vec![], (count(), sum(post::views()), max(post::published_at())))`.
    pub async fn aggregate<A: Aggregate<M>>(
        &self,
        filters: Vec<Filter<M>>,
        aggregates: A,
    ) -> Result<A::Output, DbError> {
        let mut select = Query::select();
        select_aggregates(&mut select, &aggregates, self.conn.provider());
        select.from(M::TABLE);
        where_all(&mut select, conjunction(&filters, &self.scope()));
        let row = fetch_optional(self.conn, &select).await?.ok_or(DbError::NotFound { model: M::NAME })?;
        aggregates.decode(&row, 0)
    }

    /// Aggregates per group of rows with equal `by` columns:
    /// `group_by(vec![], post::author_id(), (count(), max(post::published_at())))`, then
    /// `having`, `order_by`, `take` and `skip` as needed; run it with [`GroupBy::exec`].
    pub fn group_by<B: Select<M>, A: Aggregate<M>>(
        &self,
        filters: Vec<Filter<M>>,
        by: B,
        aggregates: A,
    ) -> GroupBy<'c, C, M, B, A> {
        GroupBy::new(self.conn, filters, by, aggregates)
    }

    /// The number of rows that match every filter.
    pub async fn count(&self, filters: Vec<Filter<M>>) -> Result<i64, DbError> {
        let mut select = Query::select();
        select.expr_as(Func::count(Expr::col(Asterisk)), "count").from(M::TABLE);
        where_all(&mut select, conjunction(&filters, &self.scope()));
        let row = fetch_optional(self.conn, &select).await?.ok_or(DbError::NotFound { model: M::NAME })?;
        row.get::<i64>("count")
    }
}

impl<'c, C: Conn, M: Table> Actions<'c, C, M> {
    /// Inserts one row and returns it as stored, database defaults included.
    pub async fn create(&self, data: M::Create) -> Result<M, DbError> {
        self.returned_row(&self.insert_one(data)).await
    }

    /// `INSERT` of one row, returning every column.
    fn insert_one(&self, data: M::Create) -> InsertStatement {
        let (columns, values): (Vec<_>, Vec<_>) = data.into_values(self.conn.provider()).into_iter().unzip();
        let mut insert = Query::insert();
        insert.into_table(M::TABLE).columns(columns).values_panic(values).returning_col_list(M::COLUMNS);
        insert
    }

    /// Inserts all rows; returns how many were inserted. Rows that set the same columns go in
    /// one statement (a row may leave a database-generated id to the database, another not).
    pub async fn create_many(&self, data: Vec<M::Create>) -> Result<u64, DbError> {
        let provider = self.conn.provider();
        let mut groups: Vec<(Vec<&'static str>, Vec<Vec<Expr>>)> = Vec::new();
        for row in data {
            let (columns, values): (Vec<&'static str>, Vec<Expr>) = row.into_values(provider).into_iter().unzip();
            match groups.iter_mut().find(|(group, _)| *group == columns) {
                Some((_, rows)) => rows.push(values),
                None => groups.push((columns, vec![values])),
            }
        }
        let mut inserted = 0;
        for (columns, rows) in groups {
            let mut insert = Query::insert();
            insert.into_table(M::TABLE).columns(columns);
            for values in rows {
                // Each row of a group has the group's columns: the counts agree.
                insert.values_panic(values);
            }
            inserted += execute(self.conn, &insert).await?;
        }
        Ok(inserted)
    }

    /// Updates the row `unique` names; `NotFound` when there is none.
    pub async fn update(&self, unique: M::Unique, set: Vec<Set<M>>) -> Result<M, DbError> {
        let provider = self.conn.provider();
        let values = assignments::<M>(set, provider);
        if values.is_empty() {
            // Nothing to write (SQL has no empty SET): the row as it is.
            return self.find_unique(unique).first_or_not_found().await;
        }
        let mut update = Query::update();
        update.table(M::TABLE).values(values).returning_col_list(M::COLUMNS);
        where_all(&mut update, [unique_expr(unique, &self.scope())]);
        self.returned_row(&update).await
    }

    /// Applies `set` to every row that matches the filters; returns how many were updated. With
    /// nothing to set (and no `@updatedAt` field), only counts them.
    pub async fn update_many(&self, filters: Vec<Filter<M>>, set: Vec<Set<M>>) -> Result<u64, DbError> {
        let values = assignments::<M>(set, self.conn.provider());
        if values.is_empty() {
            return Ok(u64::try_from(self.count(filters).await?).unwrap_or_default());
        }
        let mut update = Query::update();
        update.table(M::TABLE).values(values);
        where_all(&mut update, conjunction(&filters, &self.scope()));
        execute(self.conn, &update).await
    }

    /// Updates the row `unique` names, or creates it from `create` when there is none, in one
    /// statement (`INSERT … ON CONFLICT (unique columns) DO UPDATE`): concurrent upserts of one
    /// key neither fail nor lose an update, inside a transaction too.
    pub async fn upsert(&self, unique: M::Unique, create: M::Create, set: Vec<Set<M>>) -> Result<M, DbError> {
        let target = self.unique_columns(unique);
        let mut update = assignments::<M>(set, self.conn.provider());
        if update.is_empty() {
            // Nothing to change, but `RETURNING` needs the row: a no-op assignment.
            update = target.iter().map(|column| (*column, Expr::col((M::TABLE, *column)))).collect();
        }
        let mut insert = self.insert_one(create);
        insert.on_conflict(OnConflict::columns(target).values(update).to_owned());
        self.returned_row(&insert).await
    }

    /// The columns `unique` names a row by: the conflict target of an `ON CONFLICT`.
    fn unique_columns(&self, unique: M::Unique) -> Vec<&'static str> {
        unique.columns(self.conn.provider()).into_iter().map(|(column, _)| column).collect()
    }

    /// The row a statement with `RETURNING` every column gives back; `NotFound` without one.
    async fn returned_row(&self, statement: &impl SqlxBinder) -> Result<M, DbError> {
        let row = fetch_optional(self.conn, statement).await?.ok_or(DbError::NotFound { model: M::NAME })?;
        M::from_row(&row, 0)
    }

    /// The row `unique` names, or a new one from `create` when there is none; an existing row
    /// is not written to (Prisma's `connectOrCreate`).
    pub async fn find_or_create(&self, unique: M::Unique, create: M::Create) -> Result<M, DbError> {
        if let Some(found) = self.find_unique(unique.clone()).first().await? {
            return Ok(found);
        }
        let mut insert = self.insert_one(create);
        insert.on_conflict(OnConflict::columns(self.unique_columns(unique.clone())).do_nothing().to_owned());
        match fetch_optional(self.conn, &insert).await? {
            Some(row) => M::from_row(&row, 0),
            // Another writer created it in between.
            None => self.find_unique(unique).first_or_not_found().await,
        }
    }

    /// Deletes the row `unique` names and returns it; `NotFound` when there is none.
    pub async fn delete(&self, unique: M::Unique) -> Result<M, DbError> {
        let mut delete = Query::delete();
        delete.from_table(M::TABLE).returning_col_list(M::COLUMNS);
        where_all(&mut delete, [unique_expr(unique, &self.scope())]);
        self.returned_row(&delete).await
    }

    /// Deletes every row that matches the filters; returns how many were deleted.
    pub async fn delete_many(&self, filters: Vec<Filter<M>>) -> Result<u64, DbError> {
        let mut delete = Query::delete();
        delete.from_table(M::TABLE);
        where_all(&mut delete, conjunction(&filters, &self.scope()));
        execute(self.conn, &delete).await
    }
}

trait ReturningColumns {
    fn returning_col_list(&mut self, columns: &'static [&'static str]) -> &mut Self;
}

macro_rules! returning_columns {
    ($($statement:ty),*) => {$(
        impl ReturningColumns for $statement {
            fn returning_col_list(&mut self, columns: &'static [&'static str]) -> &mut Self {
                self.returning(Query::returning().columns(columns.iter().copied()))
            }
        }
    )*};
}

returning_columns!(sea_query::InsertStatement, sea_query::UpdateStatement, sea_query::DeleteStatement);

fn assignments<M: Table>(set: Vec<Set<M>>, provider: Provider) -> Vec<(&'static str, Expr)> {
    let mut values: Vec<(&'static str, Expr)> = set.into_iter().map(|s| s.into_assignment(provider)).collect();
    for (column, value) in M::on_update(provider) {
        if !values.iter().any(|(c, _)| *c == column) {
            values.push((column, value));
        }
    }
    values
}

/// A read of several rows: filters, order, pagination, the columns to read (`select`) and the
/// relations to load with them (`include`). Run it with [`FindMany::exec`].
pub struct FindMany<'c, C: Conn, M: Model, S = Whole> {
    conn: &'c C,
    filter: Option<Expr>,
    order: Vec<OrderBy<M>>,
    take: Option<u64>,
    skip: Option<u64>,
    cursor: Option<M::Unique>,
    distinct: Distinct,
    select: S,
}

/// Which rows a read leaves out as repeats: [`FindMany::distinct`], [`FindMany::distinct_on`].
enum Distinct {
    Off,
    /// Rows equal in every selected column to an earlier one.
    Selected,
    /// Rows equal in these columns to an earlier one in the read's order.
    On(Vec<&'static str>),
}

impl<'c, C: Conn, M: Model> FindMany<'c, C, M> {
    fn new(conn: &'c C) -> Self {
        FindMany {
            conn,
            filter: None,
            order: Vec::new(),
            take: None,
            skip: None,
            cursor: None,
            distinct: Distinct::Off,
            select: Whole,
        }
    }

    /// Reads only some columns: `.select((post::id(), post::title()))` yields `(i32, String)`
    /// per row.
    pub fn select<S: Select<M>>(self, select: S) -> FindMany<'c, C, M, S> {
        FindMany {
            conn: self.conn,
            filter: self.filter,
            order: self.order,
            take: self.take,
            skip: self.skip,
            cursor: self.cursor,
            distinct: self.distinct,
            select,
        }
    }
}

impl<'c, C: Conn, M: Model, S: Select<M>> FindMany<'c, C, M, S> {
    /// Loads relations with the rows: `.include(post::author())`,
    /// `.include((post::author(), post::tags()))`, `.include(post::author().with(user::posts()))`.
    /// A to-one relation is joined into the read, unless it has `with` or `take` or the read
    /// is `distinct()`; any other include is one query per relation and level.
    pub fn include<I: Include<M>>(self, include: I) -> IncludeMany<'c, C, M, S, I> {
        IncludeMany { find: self, include }
    }

    /// Adds a sort key; each one breaks the ties of those before it.
    pub fn order_by(mut self, order: OrderBy<M>) -> Self {
        self.order.push(order);
        self
    }

    /// Reads at most `take` rows (SQL `LIMIT`); replaces an earlier limit.
    pub fn take(mut self, take: u64) -> Self {
        self.take = Some(take);
        self
    }

    /// Leaves out the first `skip` rows (SQL `OFFSET`).
    pub fn skip(mut self, skip: u64) -> Self {
        self.skip = Some(skip);
        self
    }

    /// Leaves out rows equal in every selected column to an earlier one (`SELECT DISTINCT`):
    /// with a `select` of some columns, their distinct combinations. On PostgreSQL the
    /// `order_by` columns must be among the selected ones. Replaces [`FindMany::distinct_on`].
    pub fn distinct(mut self) -> Self {
        self.distinct = Distinct::Selected;
        self
    }

    /// Keeps the first row, in the `order_by` order, of each combination of `columns`
    /// (Prisma's `distinct: [fields]`): `.distinct_on((user::city(), user::country()))`.
    /// `take` and `skip` count the rows kept. Replaces [`FindMany::distinct`].
    pub fn distinct_on<D: Select<M>>(mut self, columns: D) -> Self {
        self.distinct = Distinct::On(columns.columns());
        self
    }

    /// Starts at the row `cursor` names (included; `skip(1)` leaves it out), in the order of
    /// the `order_by` keys: at least one, the last unique for stable pages. Rows whose key is
    /// NULL are placed where the sort puts them (see [`OrderBy::nulls_first`]).
    pub fn cursor(mut self, cursor: M::Unique) -> Self {
        self.cursor = Some(cursor);
        self
    }

    /// The read, with `extra` columns beside the selected ones (the keys of includes) and what
    /// `join` adds after them (the includes read by a join), and the joins to read them by.
    fn statement_with(
        &mut self,
        extra: &[&'static str],
        join: impl FnOnce(&mut SelectStatement, &Scope, &mut Joins),
    ) -> Result<(Limited, Joins), DbError> {
        let provider = self.conn.provider();
        let scope = Scope::top(provider, M::TABLE);
        let mut select = Query::select();
        let mut columns = self.select.columns();
        columns.extend(extra.iter().filter(|column| !columns.contains(column)).collect::<Vec<_>>());
        let distinct = std::mem::replace(&mut self.distinct, Distinct::Off);
        let joins = match distinct {
            Distinct::Selected => Joins::refused(),
            Distinct::Off | Distinct::On(_) => Joins::starting_at(columns.len()),
        };
        select.columns(columns.into_iter().map(|column| (M::TABLE, column))).from(M::TABLE);
        join(&mut select, &scope, &mut joins.clone());
        if let Distinct::Selected = distinct {
            select.distinct();
        }
        let after = match self.cursor.take() {
            Some(_) if self.order.is_empty() => return Err(DbError::CursorWithoutOrder { model: M::NAME }),
            Some(cursor) => Some(after_cursor::<M>(&self.order, cursor, &scope)),
            None => None,
        };
        where_all(&mut select, self.filter.take().into_iter().chain(after));
        match distinct {
            Distinct::On(partition) => select = first_of_each::<M>(select, &partition, &self.order, &scope),
            Distinct::Off | Distinct::Selected => {
                for key in &self.order {
                    key.apply(&mut select, &scope);
                }
            }
        }
        Ok((Limited::new(select, self.take, self.skip, provider), joins))
    }

    /// The rows of the read, with `extra` columns and `join`'s, and the joins to read them by;
    /// for a `page` of that many rows, the page's rows (one more is read) and whether more
    /// follow.
    async fn rows(
        &mut self,
        extra: &[&'static str],
        join: impl FnOnce(&mut SelectStatement, &Scope, &mut Joins),
        page: Option<u64>,
    ) -> Result<(Vec<DbRow>, bool, Joins), DbError> {
        if let Some(size) = page {
            self.take = Some(size.saturating_add(1));
        }
        let (statement, joins) = self.statement_with(extra, join)?;
        let mut rows = fetch_all(self.conn, &statement).await?;
        let size = page.map_or(usize::MAX, |size| usize::try_from(size).unwrap_or(usize::MAX));
        let more = rows.len() > size;
        rows.truncate(size);
        Ok((rows, more, joins))
    }

    fn decode_all(&self, rows: &[DbRow]) -> Result<Vec<S::Output>, DbError> {
        rows.iter().map(|row| self.select.decode(row, 0)).collect()
    }

    /// Runs the read.
    pub async fn exec(mut self) -> Result<Vec<S::Output>, DbError> {
        let (rows, ..) = self.rows(&[], no_join, None).await?;
        self.decode_all(&rows)
    }

    /// Up to `size` rows (replacing `take`), and whether more follow: [`Page`].
    pub async fn page(mut self, size: u64) -> Result<Page<S::Output>, DbError> {
        let (rows, more, _) = self.rows(&[], no_join, Some(size)).await?;
        Ok(Page { items: self.decode_all(&rows)?, more })
    }

    /// The first row, if any (for `find_unique` and `find_first`).
    pub async fn first(mut self) -> Result<Option<S::Output>, DbError> {
        self.take = Some(1);
        let (statement, _) = self.statement_with(&[], no_join)?;
        fetch_optional(self.conn, &statement).await?.map(|row| self.select.decode(&row, 0)).transpose()
    }

    /// The first row, or `NotFound`.
    pub async fn first_or_not_found(self) -> Result<S::Output, DbError> {
        self.first().await?.ok_or(DbError::NotFound { model: M::NAME })
    }
}

/// A read with its `LIMIT` and `OFFSET`. The `LIMIT` is written into the SQL as a number
/// rather than bound, on both backends. SQLite plans with the value of a bound `LIMIT`, so
/// binding it again expired the cached statement and every paged read was prepared anew (about
/// 60,000 instructions: `client_instructions`). PostgreSQL costs a generic plan for an unknown
/// `LIMIT` above the plans for known ones, so it planned such a statement anew at every
/// execution and never kept one (`pg_prepared_statements`: custom plans only). The offset stays
/// bound, so that each page of an offset read is the same statement. Each `take` a read is
/// given is a statement of its own: past sqlx's 100 cached statements per connection the least
/// recently used one is prepared again when it returns, which costs about what planning at
/// each execution did.
pub(crate) struct Limited {
    select: SelectStatement,
    take: Option<u64>,
    skip: Option<u64>,
    /// Decides how "no limit" is written; the builder decides the placeholders.
    provider: Provider,
}

/// The largest row count both backends take.
const MAX_ROWS: u64 = i64::MAX as u64;

impl Limited {
    pub(crate) fn new(select: SelectStatement, take: Option<u64>, skip: Option<u64>, provider: Provider) -> Self {
        let (take, skip) = (take.map(|n| Ord::min(n, MAX_ROWS)), skip.map(|n| Ord::min(n, MAX_ROWS)));
        Limited { select, take, skip, provider }
    }
}

impl SqlxBinder for Limited {
    fn build_sqlx<T: QueryBuilder>(&self, builder: T) -> (String, SqlxValues) {
        let (mark, numbered) = builder.placeholder();
        let (mut sql, SqlxValues(mut values)) = self.select.build_sqlx(builder);
        // LIMIT comes before OFFSET, and SQLite has no OFFSET without one (-1: no limit).
        match (self.take, self.skip) {
            (Some(take), _) => sql.push_str(&format!(" LIMIT {take}")),
            (None, Some(_)) if self.provider == Provider::Sqlite => sql.push_str(" LIMIT -1"),
            _ => {}
        }
        if let Some(skip) = self.skip {
            values.0.push(sea_query::Value::BigInt(Some(skip as i64)));
            let number = if numbered { values.0.len().to_string() } else { String::new() };
            sql.push_str(&format!(" OFFSET {mark}{number}"));
        }
        (sql, SqlxValues(values))
    }
}

/// A page of rows and whether more follow, for "next page" links: the read asks for one row
/// more than the page holds and, when it comes, drops it without decoding it or loading its
/// relations. The caller makes the next page's cursor or keyset filter from the last item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T> {
    /// The rows, at most as many as asked for.
    pub items: Vec<T>,
    /// Whether at least one row follows the last item.
    pub more: bool,
}

/// The rows of `select` that come first, in the order of `keys`, among those with equal
/// `partition` columns, in that order: ranked by `ROW_NUMBER() OVER (PARTITION BY … ORDER BY
/// …)` in a subquery named as the table (so that includes find their key columns), which also
/// returns each key's value to sort by (`__sort0`, …).
fn first_of_each<M: Model>(
    mut select: SelectStatement,
    partition: &[&'static str],
    keys: &[OrderBy<M>],
    scope: &Scope,
) -> SelectStatement {
    let partition = partition.iter().map(|column| scope.column(column)).collect();
    select.expr_as(row_number(partition, keys, scope), FIRST);
    let sort_columns: Vec<Alias> = (0..keys.len()).map(|index| Alias::new(format!("__sort{index}"))).collect();
    for (key, column) in keys.iter().zip(&sort_columns) {
        select.expr_as(key.expr(scope), column.clone());
    }
    let mut first = Query::select();
    first.column(Asterisk).from_subquery(select, M::TABLE);
    where_all(&mut first, [Expr::col(FIRST).eq(1)]);
    for (key, column) in keys.iter().zip(sort_columns) {
        key.apply_to(&mut first, Expr::col(column));
    }
    first
}

/// The rank [`first_of_each`] reads rows by.
const FIRST: &str = "__first";

/// Rows at or after the cursor row in the order of `keys`: `(k1 past c1) OR (k1 = c1 AND k2
/// past c2) OR … OR (all equal)`, each `k` read from the row of `scope` and each `c` from the
/// cursor row by a subquery. NULL is placed where the key sorts it, so that no row is skipped;
/// a cursor whose row is gone reads nothing.
fn after_cursor<M: Model>(keys: &[OrderBy<M>], cursor: M::Unique, scope: &Scope) -> Expr {
    let inner = scope.nested();
    let at = unique_expr(cursor, &inner);
    let value_at = |key: &OrderBy<M>| {
        let mut select = Query::select();
        select.expr(key.expr(&inner)).from_as(M::TABLE, inner.table());
        where_all(&mut select, [at.clone()]);
        Expr::SubQuery(None, Box::new(select.into()))
    };
    let equal = |key: &OrderBy<M>| match key.nullable {
        true => custom(scope.provider, "$1 IS NOT DISTINCT FROM $2", vec![key.expr(scope), value_at(key)]),
        false => key.expr(scope).eq(value_at(key)),
    };
    let past = |key: &OrderBy<M>| {
        let (value, cursor) = (key.expr(scope), value_at(key));
        let beyond = match key.order {
            SortOrder::Asc => value.clone().gt(cursor.clone()),
            SortOrder::Desc => value.clone().lt(cursor.clone()),
        };
        match (key.nullable, key.nulls_after_values(scope.provider)) {
            (false, _) => beyond,
            // Past a value come the values beyond it, then every NULL; nothing is past NULL.
            (true, true) => cursor.is_not_null().and(beyond.or(value.is_null())),
            // Past NULL come all values.
            (true, false) => beyond.or(cursor.is_null().and(value.is_not_null())),
        }
    };
    let mut alternatives = Vec::with_capacity(keys.len() + 1);
    for (index, key) in keys.iter().enumerate() {
        let earlier_equal = keys[..index].iter().map(equal).fold(Expr::val(true), |a, b| a.and(b));
        alternatives.push(earlier_equal.and(past(key)));
    }
    alternatives.push(keys.iter().map(equal).fold(Expr::val(true), |a, b| a.and(b)));
    // Without its row (deleted since the last page) the cursor's values read as NULL, which a
    // nullable key would place before every value: such a cursor reads nothing, as before.
    let mut found = Query::select();
    found.expr(Expr::val(1)).from_as(M::TABLE, inner.table());
    where_all(&mut found, [at]);
    let after = alternatives.into_iter().reduce(|a, b| a.or(b)).unwrap_or_else(|| Expr::val(true));
    Expr::exists(found).and(after)
}

/// A read whose rows come with relations: [`FindMany::include`].
pub struct IncludeMany<'c, C: Conn, M: Model, S, I> {
    find: FindMany<'c, C, M, S>,
    include: I,
}

impl<'c, C: Conn, M: Model, S: Select<M>, I: Include<M>> IncludeMany<'c, C, M, S, I> {
    /// The rows (of a `page` of that many, and whether more follow) with their relations,
    /// loaded for those rows only.
    async fn rows(&mut self, page: Option<u64>) -> Result<(Vec<(S::Output, I::Output)>, bool), DbError> {
        let include = &self.include;
        let join = |select: &mut SelectStatement, scope: &Scope, joins: &mut Joins| include.join(select, scope, joins);
        let (rows, more, mut joins) = self.find.rows(&include.parent_columns(), join, page).await?;
        let related = include.load(self.find.conn, &rows, &mut joins).await?;
        let items = rows
            .iter()
            .zip(related)
            .map(|(row, related)| Ok((self.find.select.decode(row, 0)?, related)))
            .collect::<Result<_, DbError>>()?;
        Ok((items, more))
    }

    /// Runs the read (to-one includes joined), then one query per other included relation
    /// and level.
    pub async fn exec(mut self) -> Result<Vec<(S::Output, I::Output)>, DbError> {
        Ok(self.rows(None).await?.0)
    }

    /// Up to `size` rows with their relations (replacing `take`), and whether more follow:
    /// [`Page`]. Relations are loaded for the page's rows only.
    pub async fn page(mut self, size: u64) -> Result<Page<(S::Output, I::Output)>, DbError> {
        let (items, more) = self.rows(Some(size)).await?;
        Ok(Page { items, more })
    }

    /// The first row with its relations, if any.
    pub async fn first(mut self) -> Result<Option<(S::Output, I::Output)>, DbError> {
        self.find.take = Some(1);
        Ok(self.exec().await?.into_iter().next())
    }

    /// The first row with its relations, or `NotFound`.
    pub async fn first_or_not_found(self) -> Result<(S::Output, I::Output), DbError> {
        self.first().await?.ok_or(DbError::NotFound { model: M::NAME })
    }
}

#[cfg(test)]
mod tests {
    use sea_query::{Expr, ExprTrait, PostgresQueryBuilder, Query, SqliteQueryBuilder, Value};
    use sea_query_sqlx::SqlxBinder;

    use super::Limited;
    use crate::Provider;

    fn read() -> sea_query::SelectStatement {
        let mut select = Query::select();
        select.column("id").from("posts").and_where(Expr::col("id").gt(1).and(Expr::col("id").lt(9)));
        select
    }

    #[test]
    fn the_limit_is_written_in_and_the_offset_bound_after_the_other_values() {
        let (sql, values) =
            Limited::new(read(), Some(20), Some(40), Provider::Postgresql).build_sqlx(PostgresQueryBuilder);
        assert!(sql.ends_with(r#"WHERE "id" > $1 AND "id" < $2 LIMIT 20 OFFSET $3"#), "{sql}");
        assert_eq!(values.0.0.last(), Some(&Value::BigInt(Some(40))));
        let (sql, _) = Limited::new(read(), Some(20), Some(40), Provider::Sqlite).build_sqlx(SqliteQueryBuilder);
        assert!(sql.ends_with(r#"WHERE "id" > ? AND "id" < ? LIMIT 20 OFFSET ?"#), "{sql}");
    }

    #[test]
    fn an_offset_without_a_limit_reads_every_row_after_it() {
        let (sql, _) = Limited::new(read(), None, Some(40), Provider::Sqlite).build_sqlx(SqliteQueryBuilder);
        assert!(sql.ends_with("LIMIT -1 OFFSET ?"), "{sql}");
        let (sql, _) = Limited::new(read(), None, Some(40), Provider::Postgresql).build_sqlx(PostgresQueryBuilder);
        assert!(sql.ends_with(r#""id" < $2 OFFSET $3"#), "{sql}");
    }
}
