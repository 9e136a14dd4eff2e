//! What a generated model provides, and the queries every model gets from it.

use std::marker::PhantomData;

use sea_query::{Asterisk, Expr, ExprTrait, Func, Order, Query, SelectStatement};

use crate::{Conn, DbError, DbRow, Provider, execute, fetch_all, fetch_optional};

/// A table described by `schema.prisma`. Implemented by generated code only.
pub trait Model: Sized + Send + 'static {
    /// Field filters: `user::email::contains("@example.com")`.
    type Where: Condition;
    /// One row by a unique field or compound: `user::UniqueWhere::Email(…)`.
    type Unique: Condition + Clone;
    /// One sort key: `user::OrderByParam::Email(SortOrder::Asc)`.
    type OrderBy: Ordering;
    /// One assignment of an update: a new value, or an increment or decrement of a number.
    type Set: Assignment;
    /// The data of a new row; fields left unset take their defaults.
    type Create: Insertion;

    /// The model's name in `schema.prisma` (`User`), as errors report it.
    const NAME: &'static str;
    /// The table's name in the database (`users`).
    const TABLE: &'static str;

    /// Builds the model from a row holding every column of the table.
    fn from_row(row: &DbRow) -> Result<Self, DbError>;
    /// Assignments every update adds (`@updatedAt` fields).
    fn on_update(provider: Provider) -> Vec<(&'static str, Expr)>;
}

/// A filter that becomes a SQL condition: a model's `Where` or `Unique`.
pub trait Condition: Send {
    /// The condition, with its values bound for `provider`.
    fn into_expr(self, provider: Provider) -> Expr;
}

/// A sort key of a model.
pub trait Ordering: Send {
    /// The column and the direction.
    fn into_order(self) -> (&'static str, Order);
}

/// One `SET column = value` of an update.
pub trait Assignment: Send {
    /// The column and the value expression (which may refer to the column: increments).
    fn into_assignment(self, provider: Provider) -> (&'static str, Expr);
}

/// A new row's data, turned into the columns and values of an `INSERT`.
pub trait Insertion: Send {
    /// Every column to insert, with client-side defaults (`now()`, `uuid()`, …) filled in.
    fn into_values(self, provider: Provider) -> Vec<(&'static str, Expr)>;
}

/// ANDs filters; an empty list matches every row.
pub fn all_of<W: Condition>(filters: Vec<W>, provider: Provider) -> Expr {
    filters
        .into_iter()
        .map(|filter| filter.into_expr(provider))
        .reduce(|a, b| a.and(b))
        .unwrap_or_else(|| Expr::val(true))
}

/// ORs filters; an empty list matches no row.
pub fn any_of<W: Condition>(filters: Vec<W>, provider: Provider) -> Expr {
    filters
        .into_iter()
        .map(|filter| filter.into_expr(provider))
        .reduce(|a, b| a.or(b))
        .unwrap_or_else(|| Expr::val(false))
}

/// `EXISTS (SELECT 1 FROM child WHERE child.fk = parent.key AND filters)`: relation filters.
pub fn exists<C: Model>(link: Expr, filters: Vec<C::Where>, provider: Provider) -> Expr {
    let mut select = Query::select();
    select.expr(Expr::val(1)).from(C::TABLE).and_where(link).and_where(all_of(filters, provider));
    Expr::exists(select)
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

    /// Inserts one row and returns it as stored, database defaults included.
    pub async fn create(&self, data: M::Create) -> Result<M, DbError> {
        let mut insert = Query::insert();
        let (columns, values): (Vec<_>, Vec<_>) = data.into_values(self.conn.provider()).into_iter().unzip();
        insert.into_table(M::TABLE).columns(columns).values_panic(values).returning_all();
        let row = fetch_optional(self.conn, &insert).await?.ok_or(DbError::NotFound { model: M::NAME })?;
        M::from_row(&row)
    }

    /// Inserts all rows in one statement; returns how many were inserted.
    pub async fn create_many(&self, data: Vec<M::Create>) -> Result<u64, DbError> {
        let provider = self.conn.provider();
        let rows: Vec<Vec<(&'static str, Expr)>> = data.into_iter().map(|d| d.into_values(provider)).collect();
        let Some(first) = rows.first() else { return Ok(0) };
        let columns: Vec<&'static str> = first.iter().map(|(column, _)| *column).collect();
        let mut insert = Query::insert();
        insert.into_table(M::TABLE).columns(columns.clone());
        for row in rows {
            // Every row lists the same columns: defaults are filled in client-side.
            debug_assert_eq!(row.iter().map(|(c, _)| *c).collect::<Vec<_>>(), columns);
            insert.values_panic(row.into_iter().map(|(_, value)| value));
        }
        execute(self.conn, &insert).await
    }

    /// A read of the row `unique` names; run it with [`FindMany::first`] or
    /// [`FindMany::first_or_not_found`].
    pub fn find_unique(&self, unique: M::Unique) -> FindMany<'c, C, M> {
        let mut find = FindMany::new(self.conn);
        find.filter = Some(unique.into_expr(self.conn.provider()));
        find.take = Some(1);
        find
    }

    /// A read of the first row that matches every filter; give it an order with
    /// [`FindMany::order_by`].
    pub fn find_first(&self, filters: Vec<M::Where>) -> FindMany<'c, C, M> {
        self.find_many(filters).take(1)
    }

    /// A read of the rows that match every filter; an empty list matches every row.
    pub fn find_many(&self, filters: Vec<M::Where>) -> FindMany<'c, C, M> {
        let mut find = FindMany::new(self.conn);
        find.filter = Some(all_of(filters, self.conn.provider()));
        find
    }

    /// Updates the row `unique` names; `NotFound` when there is none.
    pub async fn update(&self, unique: M::Unique, set: Vec<M::Set>) -> Result<M, DbError> {
        let provider = self.conn.provider();
        let values = assignments::<M>(set, provider);
        if values.is_empty() {
            // Nothing to write (SQL has no empty SET): the row as it is.
            return self.find_unique(unique).first_or_not_found().await;
        }
        let mut update = Query::update();
        update.table(M::TABLE).values(values).and_where(unique.into_expr(provider)).returning_all();
        let row = fetch_optional(self.conn, &update).await?.ok_or(DbError::NotFound { model: M::NAME })?;
        M::from_row(&row)
    }

    /// Applies `set` to every row that matches the filters; returns how many were updated. With
    /// nothing to set (and no `@updatedAt` field), only counts them.
    pub async fn update_many(&self, filters: Vec<M::Where>, set: Vec<M::Set>) -> Result<u64, DbError> {
        let provider = self.conn.provider();
        let values = assignments::<M>(set, provider);
        if values.is_empty() {
            return Ok(u64::try_from(self.count(filters).await?).unwrap_or_default());
        }
        let mut update = Query::update();
        update.table(M::TABLE).values(values).and_where(all_of(filters, provider));
        execute(self.conn, &update).await
    }

    /// Updates the row `unique` names, or creates it from `create` when there is none.
    pub async fn upsert(&self, unique: M::Unique, create: M::Create, set: Vec<M::Set>) -> Result<M, DbError> {
        match self.update(unique.clone(), set).await {
            Err(DbError::NotFound { .. }) => match self.create(create).await {
                // Another writer created it in between: the row exists now, so update it.
                Err(DbError::UniqueViolation { .. }) => self.update(unique, Vec::new()).await,
                result => result,
            },
            result => result,
        }
    }

    /// Deletes the row `unique` names and returns it; `NotFound` when there is none.
    pub async fn delete(&self, unique: M::Unique) -> Result<M, DbError> {
        let mut delete = Query::delete();
        delete.from_table(M::TABLE).and_where(unique.into_expr(self.conn.provider())).returning_all();
        let row = fetch_optional(self.conn, &delete).await?.ok_or(DbError::NotFound { model: M::NAME })?;
        M::from_row(&row)
    }

    /// Deletes every row that matches the filters; returns how many were deleted.
    pub async fn delete_many(&self, filters: Vec<M::Where>) -> Result<u64, DbError> {
        let mut delete = Query::delete();
        delete.from_table(M::TABLE).and_where(all_of(filters, self.conn.provider()));
        execute(self.conn, &delete).await
    }

    /// The number of rows that match every filter.
    pub async fn count(&self, filters: Vec<M::Where>) -> Result<i64, DbError> {
        let mut select = Query::select();
        select
            .expr_as(Func::count(Expr::col(Asterisk)), "count")
            .from(M::TABLE)
            .and_where(all_of(filters, self.conn.provider()));
        let row = fetch_optional(self.conn, &select).await?.ok_or(DbError::NotFound { model: M::NAME })?;
        row.get::<i64>("count")
    }
}

fn assignments<M: Model>(set: Vec<M::Set>, provider: Provider) -> Vec<(&'static str, Expr)> {
    let mut values: Vec<(&'static str, Expr)> = set.into_iter().map(|s| s.into_assignment(provider)).collect();
    for (column, value) in M::on_update(provider) {
        if !values.iter().any(|(c, _)| *c == column) {
            values.push((column, value));
        }
    }
    values
}

/// A read of several rows: filters, order, pagination. Run it with [`FindMany::exec`].
pub struct FindMany<'c, C: Conn, M: Model> {
    conn: &'c C,
    filter: Option<Expr>,
    order: Vec<(&'static str, Order)>,
    take: Option<u64>,
    skip: Option<u64>,
    cursor: Option<M::Unique>,
}

impl<'c, C: Conn, M: Model> FindMany<'c, C, M> {
    fn new(conn: &'c C) -> Self {
        FindMany { conn, filter: None, order: Vec::new(), take: None, skip: None, cursor: None }
    }

    /// Adds a sort key; each one breaks the ties of those before it.
    pub fn order_by(mut self, order: M::OrderBy) -> Self {
        self.order.push(order.into_order());
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

    /// Starts at the row `cursor` names (included; `skip(1)` leaves it out), in the order of
    /// the first `order_by`, which should be unique for stable pages.
    pub fn cursor(mut self, cursor: M::Unique) -> Self {
        self.cursor = Some(cursor);
        self
    }

    fn statement(self) -> SelectStatement {
        let provider = self.conn.provider();
        let mut select = Query::select();
        select.column(Asterisk).from(M::TABLE);
        if let Some(filter) = self.filter {
            select.and_where(filter);
        }
        if let Some(cursor) = self.cursor
            && let Some((column, order)) = self.order.first().cloned()
        {
            let mut at = Query::select();
            at.column(column).from(M::TABLE).and_where(cursor.into_expr(provider));
            let bound = Expr::col((M::TABLE, column));
            let start = Expr::SubQuery(None, Box::new(at.into()));
            select.and_where(match order {
                Order::Desc => bound.lte(start),
                _ => bound.gte(start),
            });
        }
        for (column, order) in self.order {
            select.order_by((M::TABLE, column), order);
        }
        if let Some(take) = self.take {
            select.limit(take);
        }
        if let Some(skip) = self.skip {
            if self.take.is_none() && provider == Provider::Sqlite {
                // SQLite has no OFFSET without LIMIT; -1 means no limit.
                select.limit(u64::MAX >> 1);
            }
            select.offset(skip);
        }
        select
    }

    /// Runs the read; returns the rows as models.
    pub async fn exec(self) -> Result<Vec<M>, DbError> {
        let conn = self.conn;
        fetch_all(conn, &self.statement()).await?.iter().map(M::from_row).collect()
    }

    /// The first row, if any (for `find_unique` and `find_first`).
    pub async fn first(self) -> Result<Option<M>, DbError> {
        Ok(self.take(1).exec().await?.into_iter().next())
    }

    /// The first row, or `NotFound`.
    pub async fn first_or_not_found(self) -> Result<M, DbError> {
        self.first().await?.ok_or(DbError::NotFound { model: M::NAME })
    }
}

/// Rows of `M` whose `column` is one of `keys`: the one query behind a relation include.
pub async fn related<C: Conn, M: Model>(conn: &C, column: &'static str, keys: Vec<Expr>) -> Result<Vec<M>, DbError> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let mut select = Query::select();
    select.column(Asterisk).from(M::TABLE).and_where(Expr::col((M::TABLE, column)).is_in(keys));
    fetch_all(conn, &select).await?.iter().map(M::from_row).collect()
}
