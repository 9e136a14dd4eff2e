//! Relations between models, declared by generated code (`pub fn author() -> Relation<…>`):
//! relation filters (`some`/`every`/`none`, `is`/`is_not`) as `EXISTS` subqueries, and
//! `include`: a to-one relation joined into its parents' read, any other loaded for many
//! parents in one query per level.

use std::{future::Future, hash::Hash, marker::PhantomData};

// foldhash rather than std's SipHash: the maps are rebuilt for every include, where SipHash
// showed up in profiles; foldhash's per-process random seed still keeps key collisions from
// being chosen in advance.
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use sea_query::{Alias, Asterisk, Expr, ExprTrait, Func, JoinType, OnConflict, Order, Query, SelectStatement};

use crate::{
    Conn, DbError, DbRow, DbValue, Provider, execute, fetch_all,
    filter::{Filter, OrderBy, Scope, SortOrder, conjunction, row_number, where_all},
    model::{Actions, Model, Select, Table, UniqueKey, Whole, unique_expr},
};

/// How the rows of two models are linked.
#[derive(Clone, Copy, Debug)]
pub enum Link {
    /// Columns of the parent equal columns of the child, pairwise: a foreign key on either side.
    Direct {
        /// The parent's columns.
        near: &'static [&'static str],
        /// The child's columns, in the same order.
        far: &'static [&'static str],
    },
    /// Through a join table (an implicit many-to-many: `_PostToTag` with columns `A` and `B`).
    Join {
        /// The join table.
        table: &'static str,
        /// Its column holding the parent's key.
        near_column: &'static str,
        /// Its column holding the child's key.
        far_column: &'static str,
        /// The parent's key column.
        near: &'static str,
        /// The child's key column.
        far: &'static str,
    },
}

/// How many related rows a parent has, and what an include yields for it.
pub trait Cardinality: Send + Sync + 'static {
    /// Whether a parent has at most one related row, which a join can read beside it.
    const TO_ONE: bool;
    /// What a parent gets: `T`, `Option<T>` or `Vec<T>`.
    type Out<T: Send>: Send;
    /// The related rows of one parent, shaped.
    fn shape<T: Send>(rows: impl Iterator<Item = T>, model: &'static str) -> Result<Self::Out<T>, DbError>;
}

/// Exactly one related row (a required to-one relation).
pub struct One;
/// At most one related row (an optional to-one relation, or the back side of a one-to-one).
pub struct Optional;
/// Any number of related rows.
pub struct Many;

impl Cardinality for One {
    const TO_ONE: bool = true;
    type Out<T: Send> = T;
    fn shape<T: Send>(mut rows: impl Iterator<Item = T>, model: &'static str) -> Result<T, DbError> {
        rows.next().ok_or(DbError::NotFound { model })
    }
}

impl Cardinality for Optional {
    const TO_ONE: bool = true;
    type Out<T: Send> = Option<T>;
    fn shape<T: Send>(mut rows: impl Iterator<Item = T>, _: &'static str) -> Result<Option<T>, DbError> {
        Ok(rows.next())
    }
}

impl Cardinality for Many {
    const TO_ONE: bool = false;
    type Out<T: Send> = Vec<T>;
    fn shape<T: Send>(rows: impl Iterator<Item = T>, _: &'static str) -> Result<Vec<T>, DbError> {
        Ok(rows.collect())
    }
}

/// A relation whose included rows may be filtered: an optional or to-many one (a required
/// to-one relation's row always exists; filtering it out would fail the read).
pub trait Filterable: Cardinality {}

impl Filterable for Optional {}
impl Filterable for Many {}

impl<F: Model, T: Model, C: Filterable, K: Key, S: Select<T>> Relation<F, T, C, K, S> {
    /// Keeps only the related rows that match every filter when included.
    pub fn filter_by(mut self, filters: Vec<Filter<T>>) -> Self {
        self.filters.extend(filters);
        self
    }
}

/// The key that links rows: one value, or a tuple for compound foreign keys.
pub trait Key: Hash + Eq + Clone + Send + Sync + 'static {
    /// The key's values, bound, in column order.
    fn to_exprs(&self, provider: Provider) -> impl Iterator<Item = Expr>;
    /// Reads the key from the columns at `positions` of `row`; `None` when any of them is NULL.
    fn decode(row: &DbRow, positions: &[usize]) -> Result<Option<Self>, DbError>;
}

impl<T: DbValue + Hash + Eq + Clone + Send + Sync + 'static> Key for T {
    fn to_exprs(&self, provider: Provider) -> impl Iterator<Item = Expr> {
        std::iter::once(self.to_expr(provider))
    }
    fn decode(row: &DbRow, positions: &[usize]) -> Result<Option<Self>, DbError> {
        T::decode_nullable(row, positions[0])
    }
}

macro_rules! tuple_key {
    ($($name:ident $index:tt),*) => {
        impl<$($name: DbValue + Hash + Eq + Clone + Send + Sync + 'static),*> Key for ($($name,)*) {
            fn to_exprs(&self, provider: Provider) -> impl Iterator<Item = Expr> {
                [$(self.$index.to_expr(provider)),*].into_iter()
            }
            fn decode(row: &DbRow, positions: &[usize]) -> Result<Option<Self>, DbError> {
                Ok(Some(($(match $name::decode_nullable(row, positions[$index])? {
                    Some(value) => value,
                    None => return Ok(None),
                },)*)))
            }
        }
    };
}

tuple_key!(A 0, B 1);
tuple_key!(A 0, B 1, C 2);
tuple_key!(A 0, B 1, C 2, D 3);

/// How many parents' keys one include query binds: PostgreSQL takes at most 65,535
/// parameters per statement, SQLite 32,766; a larger include runs in several queries.
fn keys_per_query(key_width: usize) -> usize {
    10_000 / key_width.max(1)
}

/// The names under which a relation read returns each row's link key.
const KEY_COLUMNS: [&str; 4] = ["__key0", "__key1", "__key2", "__key3"];

/// The relation from model `F` to model `T`, with `C` related rows per parent, linked by a
/// key of type `K`; an include yields `S` of each related row (the whole row unless
/// [`Relation::select`]ed). Generated per relation field; filters and include options are
/// added to it.
pub struct Relation<F, T, C, K, S = Whole> {
    link: Link,
    near_key: fn(&F) -> Option<K>,
    filters: Vec<Filter<T>>,
    order: Vec<OrderBy<T>>,
    take: Option<u64>,
    select: S,
    cardinality: PhantomData<fn() -> C>,
}

impl<F: Model, T: Model, C: Cardinality, K: Key> Relation<F, T, C, K> {
    /// A relation: how rows link, and how a parent's key is read (for writes).
    pub fn new(link: Link, near_key: fn(&F) -> Option<K>) -> Self {
        Relation {
            link,
            near_key,
            filters: Vec::new(),
            order: Vec::new(),
            take: None,
            select: Whole,
            cardinality: PhantomData,
        }
    }
}

impl<F: Model, T: Model, C: Cardinality, K: Key, S: Select<T>> Relation<F, T, C, K, S> {
    /// Adds `T` to `select` under `scope`'s name (joined to the join table of a many-to-many)
    /// and returns the expressions of the link key on that side: what equals the parent's
    /// near columns, in their order.
    fn linked(link: Link, select: &mut SelectStatement, scope: &Scope) -> Vec<Expr> {
        select.from_as(T::TABLE, scope.table());
        match link {
            Link::Direct { far, .. } => far.iter().map(|column| scope.column(column)).collect(),
            Link::Join { table, near_column, far_column, far, .. } => {
                let join = scope.beside("j");
                select.join_as(
                    JoinType::InnerJoin,
                    table,
                    join.clone(),
                    Expr::col((join.clone(), far_column)).equals((scope.table(), far)),
                );
                vec![Expr::col((join, near_column))]
            }
        }
    }

    /// `SELECT <value> FROM <T> WHERE <linked to the outer row> AND <filters>`.
    fn related(link: Link, outer: &Scope, filters: &[Filter<T>], value: Expr) -> SelectStatement {
        let inner = outer.nested();
        let mut select = Query::select();
        select.expr(value);
        let keys = Self::linked(link, &mut select, &inner).into_iter().zip(near_columns(&link));
        let linked = keys.map(|(key, near)| key.equals((outer.table(), *near)));
        where_all(&mut select, linked.chain(conjunction(filters, &inner)));
        select
    }

    /// `EXISTS (SELECT 1 FROM <T> WHERE <linked to the outer row> AND <filters>)`.
    fn exists(link: Link, outer: &Scope, filters: &[Filter<T>]) -> Expr {
        Expr::exists(Self::related(link, outer, filters, Expr::val(1)))
    }

    fn filter(&self, filters: Vec<Filter<T>>, build: fn(Link, &Scope, &[Filter<T>]) -> Expr) -> Filter<F> {
        let link = self.link;
        Filter::new(move |scope| build(link, scope, &filters))
    }

    /// Orders the related rows of each parent when included.
    pub fn order_by(mut self, order: OrderBy<T>) -> Self {
        self.order.push(order);
        self
    }

    /// Includes at most `take` related rows per parent (in the `order_by` order):
    /// `user::posts().order_by(post::id().order(SortOrder::Desc)).take(3)`, their latest three.
    pub fn take(mut self, take: u64) -> Self {
        self.take = Some(take);
        self
    }

    /// Includes only some columns of the related rows: `post::author().select(user::name())`.
    pub fn select<S2: Select<T>>(self, select: S2) -> Relation<F, T, C, K, S2> {
        Relation {
            link: self.link,
            near_key: self.near_key,
            filters: self.filters,
            order: self.order,
            take: self.take,
            select,
            cardinality: PhantomData,
        }
    }

    /// Also loads relations of the related rows: `post::author().with(user::posts())`.
    pub fn with<I: Include<T>>(self, include: I) -> Nested<Self, I> {
        Nested { outer: self, inner: include }
    }

    /// The number of related rows of each parent (Prisma's `_count`), as an include:
    /// `.include(user::posts().filter_by(…).count())` yields an `i64` per user.
    pub fn count(self) -> RelationCount<Self> {
        RelationCount { relation: self }
    }

    /// The link key of each parent row; `None` where it is NULL.
    fn parent_keys(&self, parents: &[DbRow]) -> Result<Vec<Option<K>>, DbError> {
        let names = near_columns(&self.link);
        let near = positions(parents, names)?;
        parents.iter().map(|row| decode_key(row, &near, names)).collect()
    }

    /// The related rows of every parent in one query, and which of them belong to each parent
    /// (a row related to several parents through a foreign key is read once; through a join
    /// table, once per link). `join` adds the joins of nested includes to the read.
    async fn load_rows(
        &self,
        conn: &impl Conn,
        parents: &[DbRow],
        extra_columns: &[&'static str],
        join: impl Fn(&mut SelectStatement, &Scope, &mut Joins),
    ) -> Result<Related, DbError> {
        let provider = conn.provider();
        let mut columns = self.select.columns();
        columns.extend(extra_columns.iter().filter(|column| !columns.contains(column)).collect::<Vec<_>>());
        let key_columns = &KEY_COLUMNS[..near_columns(&self.link).len()];
        let joins = Joins::starting_at(columns.len() + key_columns.len());
        let keys = self.parent_keys(parents)?;
        let distinct = distinct(&keys);
        if distinct.is_empty() {
            return Ok(Related { rows: Vec::new(), groups: Groups::empty(parents.len()), joins });
        }
        let scope = Scope::top(provider, T::TABLE);
        let mut rows = Vec::new();
        for chunk in distinct.chunks(keys_per_query(key_columns.len())) {
            let mut select = Query::select();
            select.columns(columns.iter().map(|column| (T::TABLE, *column)));
            let link_key = Self::linked(self.link, &mut select, &scope);
            for (key, alias) in link_key.iter().zip(KEY_COLUMNS) {
                select.expr_as(key.clone(), alias);
            }
            join(&mut select, &scope, &mut joins.clone());
            where_all(
                &mut select,
                [in_keys(link_key.clone(), chunk, provider)].into_iter().chain(conjunction(&self.filters, &scope)),
            );
            let statement = match self.take {
                None => {
                    for key in &self.order {
                        key.apply(&mut select, &scope);
                    }
                    select
                }
                Some(take) => self.first_per_parent(select, link_key, &scope, take),
            };
            rows.extend(fetch_all(conn, &statement).await?);
        }
        let key_positions = positions(&rows, key_columns)?;
        // A group per distinct key, in the order of `distinct`; the rows are placed group after
        // group by a counting sort, in a few allocations however many parents there are.
        let group_of_key: HashMap<&K, usize> = distinct.iter().enumerate().map(|(group, key)| (*key, group)).collect();
        let mut group_of_row = Vec::with_capacity(rows.len());
        let mut starts = vec![0_usize; distinct.len() + 1];
        for row in &rows {
            let key: Option<K> = decode_key(row, &key_positions, key_columns)?;
            let group = key.and_then(|key| group_of_key.get(&key).copied());
            if let Some(group) = group {
                starts[group + 1] += 1;
            }
            group_of_row.push(group);
        }
        for group in 1..starts.len() {
            starts[group] += starts[group - 1];
        }
        let mut placed = starts.clone();
        let mut grouped = vec![0; starts[starts.len() - 1]];
        for (row, group) in group_of_row.into_iter().enumerate() {
            if let Some(group) = group {
                grouped[placed[group]] = row;
                placed[group] += 1;
            }
        }
        let of_parent = keys.iter().map(|key| key.as_ref().and_then(|key| group_of_key.get(key).copied())).collect();
        Ok(Related { rows, groups: Groups { row_indexes: grouped, starts, of_parent }, joins })
    }

    /// The far columns of the link when the include is read by a join in its parents' read:
    /// a to-one relation through a foreign key, without `take`, into a read that takes joins.
    fn joined_far(&self, joins: &Joins) -> Option<&'static [&'static str]> {
        match self.link {
            Link::Direct { far, .. } if C::TO_ONE && self.take.is_none() && joins.taken => Some(far),
            _ => None,
        }
    }

    /// How many columns the join adds: one of the link's far columns, NULL when no row
    /// matched, then the selected ones.
    fn joined_width(&self) -> usize {
        1 + self.select.width()
    }
}

/// The tables and columns that includes join into their parents' read, counted in the order
/// the includes come: [`Include::join`] adds them and [`Include::load`] reads them, each
/// include taking the same place in both.
#[derive(Clone, Debug)]
pub struct Joins {
    /// Whether the read takes joins at all.
    taken: bool,
    tables: usize,
    next_column: usize,
}

impl Joins {
    /// Joins whose columns start at position `column` of the parent rows.
    pub(crate) fn starting_at(column: usize) -> Self {
        Joins { taken: true, tables: 0, next_column: column }
    }

    /// None: every include of the read is loaded by a query of its own (`distinct()`, where
    /// joined columns would count in what is distinct).
    pub(crate) fn refused() -> Self {
        Joins { taken: false, tables: 0, next_column: 0 }
    }

    /// Adds a table of `width` columns; its number.
    fn add_table(&mut self, width: usize) -> usize {
        self.next_column += width;
        self.tables += 1;
        self.tables - 1
    }

    /// Reads the next table's `width` columns; where they start.
    fn read_table(&mut self, width: usize) -> usize {
        self.tables += 1;
        self.next_column += width;
        self.next_column - width
    }
}

/// The related rows of an include's parents: [`Relation::load_rows`].
struct Related {
    rows: Vec<DbRow>,
    groups: Groups,
    /// Where the joins of nested includes start in `rows`.
    joins: Joins,
}

/// Which related rows belong to each parent of an include.
struct Groups {
    /// Indexes of related rows, grouped by parent key, each group in the rows' order.
    row_indexes: Vec<usize>,
    /// Where each group starts in `row_indexes`, and after them where the last one ends.
    starts: Vec<usize>,
    /// Each parent's group (empty when it has no related row), `None` when its key is NULL.
    of_parent: Vec<Option<usize>>,
}

impl Groups {
    /// No related row for any of `parents` parents.
    fn empty(parents: usize) -> Self {
        Groups { row_indexes: Vec::new(), starts: vec![0], of_parent: vec![None; parents] }
    }

    /// Each parent's related values (one per related row), shaped by `C`. A value is moved to
    /// the last parent that uses it and cloned for the others: a to-one relation's row is
    /// often shared (every post of an author), a to-many one's rarely.
    fn shape<C: Cardinality, V: Clone + Send>(
        self,
        values: Vec<V>,
        model: &'static str,
    ) -> Result<Vec<C::Out<V>>, DbError> {
        let mut parents_left = vec![0_usize; self.starts.len() - 1];
        for group in self.of_parent.iter().flatten() {
            parents_left[*group] += 1;
        }
        let mut values: Vec<Option<V>> = values.into_iter().map(Some).collect();
        self.of_parent
            .iter()
            .map(|group| {
                let Some(group) = *group else { return C::shape(std::iter::empty(), model) };
                parents_left[group] -= 1;
                let last = parents_left[group] == 0;
                let related = self.row_indexes[self.starts[group]..self.starts[group + 1]].iter().map(|&row| {
                    let value = if last { values[row].take() } else { values[row].clone() };
                    value.expect("a group's values are moved out only by its last parent")
                });
                C::shape(related, model)
            })
            .collect()
    }
}

/// Reads a key at `positions`; a failure names the columns (`names`) rather than positions.
fn decode_key<K: Key>(row: &DbRow, positions: &[usize], names: &[&str]) -> Result<Option<K>, DbError> {
    K::decode(row, positions).map_err(|error| match error {
        DbError::Decode { message, .. } => DbError::decode(names.join(", "), message),
        other => other,
    })
}

/// Where the columns `names` are in `rows`: looked up by name once per result set, so that
/// each row is read by position.
fn positions(rows: &[DbRow], names: &[&str]) -> Result<Vec<usize>, DbError> {
    match rows.first() {
        Some(row) => names.iter().map(|name| row.position(name)).collect(),
        None => Ok(Vec::new()),
    }
}

impl<F: Model, T: Model, C: Cardinality, K: Key, S: Select<T>> Relation<F, T, C, K, S> {
    /// `select` (which returns the key columns) limited to the first `take` rows of each key:
    /// ranked by `ROW_NUMBER() OVER (PARTITION BY key ORDER BY …)` in a subquery, in rank
    /// order, so each parent's rows keep the include's order.
    fn first_per_parent(
        &self,
        mut select: SelectStatement,
        keys: Vec<Expr>,
        scope: &Scope,
        take: u64,
    ) -> SelectStatement {
        select.expr_as(row_number(keys, &self.order, scope), RANK);
        let mut ranked = Query::select();
        ranked.column(Asterisk).from_subquery(select, "ranked").order_by(RANK, Order::Asc);
        where_all(&mut ranked, [Expr::col(RANK).lte(take)]);
        ranked
    }
}

/// The parent's columns that hold the link key.
fn near_columns(link: &Link) -> &[&'static str] {
    match link {
        Link::Direct { near, .. } => near,
        Link::Join { near, .. } => std::slice::from_ref(near),
    }
}

/// What a read whose includes join nothing into it passes as their joins.
pub(crate) fn no_join(_: &mut SelectStatement, _: &Scope, _: &mut Joins) {}

/// Each key once, in first-seen order.
fn distinct<K: Key>(keys: &[Option<K>]) -> Vec<&K> {
    let mut seen = HashSet::with_capacity(keys.len());
    keys.iter().flatten().filter(|key| seen.insert(*key)).collect()
}

/// The column under which [`Relation::take`] ranks related rows.
const RANK: &str = "__rank";

/// `columns IN keys`: `c IN (…)` for one column, `(c1 = … AND c2 = …) OR …` for compounds.
fn in_keys<K: Key>(columns: Vec<Expr>, keys: &[&K], provider: Provider) -> Expr {
    if let [column] = columns.as_slice() {
        // Sized up front: collected from the iterator, the list grew through several copies.
        let mut values = Vec::with_capacity(keys.len());
        values.extend(keys.iter().flat_map(|key| key.to_exprs(provider)));
        return column.clone().is_in(values);
    }
    keys.iter()
        .map(|key| {
            columns
                .iter()
                .zip(key.to_exprs(provider))
                .map(|(column, value)| column.clone().eq(value))
                .reduce(|a, b| a.and(b))
                .unwrap_or_else(|| Expr::val(false))
        })
        .reduce(|a, b| a.or(b))
        .unwrap_or_else(|| Expr::val(false))
}

impl<F: Model, T: Model, K: Key, S: Select<T>> Relation<F, T, Many, K, S> {
    /// At least one related row matches every filter.
    pub fn some(&self, filters: Vec<Filter<T>>) -> Filter<F> {
        self.filter(filters, |link, scope, filters| Self::exists(link, scope, filters))
    }

    /// Every related row matches every filter (true when there are none).
    pub fn every(&self, filters: Vec<Filter<T>>) -> Filter<F> {
        let negated = vec![crate::filter::not(filters)];
        self.filter(negated, |link, scope, filters| Self::exists(link, scope, filters).not())
    }

    /// No related row matches every filter.
    pub fn none(&self, filters: Vec<Filter<T>>) -> Filter<F> {
        self.filter(filters, |link, scope, filters| Self::exists(link, scope, filters).not())
    }
}

macro_rules! to_one_filters {
    ($cardinality:ty) => {
        impl<F: Model, T: Model, K: Key, S: Select<T>> Relation<F, T, $cardinality, K, S> {
            /// The related row exists and matches every filter.
            pub fn is(&self, filters: Vec<Filter<T>>) -> Filter<F> {
                self.filter(filters, |link, scope, filters| Self::exists(link, scope, filters))
            }

            /// There is no related row matching every filter.
            pub fn is_not(&self, filters: Vec<Filter<T>>) -> Filter<F> {
                self.filter(filters, |link, scope, filters| Self::exists(link, scope, filters).not())
            }
        }
    };
}

to_one_filters!(One);
to_one_filters!(Optional);

/// Relations loaded for a list of parent rows of model `F` (`include`): one relation, a
/// relation with nested includes ([`Relation::with`]), or a tuple of them.
pub trait Include<F>: Send + Sync {
    /// What each parent gets.
    type Output: Clone + Send;

    /// The parent's columns the include reads its keys from (added to the parent's read).
    fn parent_columns(&self) -> Vec<&'static str>;

    /// Joins what the include reads with its parents into their read (`parent` names the
    /// parents' table), after the columns already there.
    fn join(&self, select: &mut SelectStatement, parent: &Scope, joins: &mut Joins);

    /// Loads the related rows of every parent, from the joined columns or in further
    /// queries; one output per parent, in order.
    fn load<C: Conn>(
        &self,
        conn: &C,
        parents: &[DbRow],
        joins: &mut Joins,
    ) -> impl Future<Output = Result<Vec<Self::Output>, DbError>> + Send;
}

impl<F, T, C, K, S> Include<F> for Relation<F, T, C, K, S>
where
    F: Model,
    T: Model,
    C: Cardinality,
    C::Out<S::Output>: Clone,
    K: Key,
    S: Select<T>,
    S::Output: Clone,
{
    type Output = C::Out<S::Output>;

    /// The parent's link columns, joined or not: a read without joins needs them, and a
    /// `distinct()` read counts them in what is distinct, as without the include.
    fn parent_columns(&self) -> Vec<&'static str> {
        near_columns(&self.link).to_vec()
    }

    /// `LEFT JOIN <T> ON <far = near> AND <filters>` for a to-one relation: one statement
    /// fewer, and no keys to collect and match (Prisma's `relationLoadStrategy: "join"`).
    fn join(&self, select: &mut SelectStatement, parent: &Scope, joins: &mut Joins) {
        let Some(far) = self.joined_far(joins) else { return };
        let table = joins.add_table(self.joined_width());
        let scope = parent.joined(table);
        let linked = far
            .iter()
            .zip(near_columns(&self.link))
            .map(|(far, near)| scope.column(far).equals((parent.table(), *near)));
        let on = linked
            .chain(conjunction(&self.filters, &scope))
            .reduce(|a, b| a.and(b))
            .expect("a link has at least one column");
        select.join_as(JoinType::LeftJoin, T::TABLE, scope.table(), on);
        let columns = std::iter::once(far[0]).chain(self.select.columns());
        for (index, column) in columns.enumerate() {
            // Named apart from the parent's columns: sqlx finds a repeated name at its last
            // place, so a joined `id` would be read as the parent's by an include keyed on it.
            select.expr_as(scope.column(column), Alias::new(format!("__j{table}_{index}")));
        }
    }

    async fn load<Db: Conn>(
        &self,
        conn: &Db,
        parents: &[DbRow],
        joins: &mut Joins,
    ) -> Result<Vec<Self::Output>, DbError> {
        if self.joined_far(joins).is_some() {
            let start = joins.read_table(self.joined_width());
            return parents
                .iter()
                .map(|row| {
                    let related = match row.is_null(start)? {
                        true => None,
                        false => Some(self.select.decode(row, start + 1)?),
                    };
                    C::shape(related.into_iter(), T::NAME)
                })
                .collect();
        }
        let Related { rows, groups, .. } = self.load_rows(conn, parents, &[], no_join).await?;
        let outputs: Vec<S::Output> = rows.iter().map(|row| self.select.decode(row, 0)).collect::<Result<_, _>>()?;
        groups.shape::<C, _>(outputs, T::NAME)
    }
}

/// How many related rows each parent has: [`Relation::count`].
pub struct RelationCount<R> {
    relation: R,
}

impl<F: Model, T: Model, C: Cardinality, K: Key, S: Select<T>> RelationCount<Relation<F, T, C, K, S>> {
    /// Sorts `F`'s rows by how many related rows each has (those `filter_by` keeps), as
    /// Prisma's `orderBy: { posts: { _count: 'desc' } }`:
    /// `.order_by(user::posts().count().order(SortOrder::Desc))`.
    pub fn order(self, order: SortOrder) -> OrderBy<F> {
        let Relation { link, filters, .. } = self.relation;
        OrderBy::computed(T::NAME, order, move |scope| {
            let count =
                Relation::<F, T, C, K, S>::related(link, scope, &filters, Func::count(Expr::col(Asterisk)).into());
            Expr::SubQuery(None, Box::new(count.into()))
        })
    }
}

impl<F, T, C, K, S> Include<F> for RelationCount<Relation<F, T, C, K, S>>
where
    F: Model,
    T: Model,
    C: Cardinality,
    K: Key,
    S: Select<T>,
{
    type Output = i64;

    fn parent_columns(&self) -> Vec<&'static str> {
        near_columns(&self.relation.link).to_vec()
    }

    fn join(&self, _: &mut SelectStatement, _: &Scope, _: &mut Joins) {}

    async fn load<Db: Conn>(&self, conn: &Db, parents: &[DbRow], _: &mut Joins) -> Result<Vec<i64>, DbError> {
        let relation = &self.relation;
        let provider = conn.provider();
        let keys = relation.parent_keys(parents)?;
        let distinct = distinct(&keys);
        let scope = Scope::top(provider, T::TABLE);
        let key_columns = &KEY_COLUMNS[..near_columns(&relation.link).len()];
        let mut counts: HashMap<K, i64> = HashMap::new();
        for chunk in distinct.chunks(keys_per_query(key_columns.len())) {
            let mut select = Query::select();
            let link_key = Relation::<F, T, C, K, S>::linked(relation.link, &mut select, &scope);
            for (key, alias) in link_key.iter().zip(KEY_COLUMNS) {
                select.expr_as(key.clone(), alias).add_group_by([key.clone()]);
            }
            select.expr_as(Func::count(Expr::col(Asterisk)), "__count");
            where_all(
                &mut select,
                [in_keys(link_key, chunk, provider)].into_iter().chain(conjunction(&relation.filters, &scope)),
            );
            let rows = fetch_all(conn, &select).await?;
            let key_positions = positions(&rows, key_columns)?;
            let count_position = key_positions.len();
            for row in rows {
                if let Some(key) = decode_key(&row, &key_positions, key_columns)? {
                    counts.insert(key, row.get(count_position)?);
                }
            }
        }
        Ok(keys.into_iter().map(|key| key.and_then(|key| counts.get(&key).copied()).unwrap_or(0)).collect())
    }
}

/// A relation whose related rows come with relations of their own.
pub struct Nested<R, I> {
    outer: R,
    inner: I,
}

impl<F, T, C, K, S, I> Include<F> for Nested<Relation<F, T, C, K, S>, I>
where
    F: Model,
    T: Model,
    C: Cardinality,
    C::Out<(S::Output, I::Output)>: Clone,
    K: Key,
    S: Select<T>,
    S::Output: Clone,
    I: Include<T>,
{
    type Output = C::Out<(S::Output, I::Output)>;

    fn parent_columns(&self) -> Vec<&'static str> {
        near_columns(&self.outer.link).to_vec()
    }

    /// None: the related rows are read by a query of their own, which the nested includes
    /// join into.
    fn join(&self, _: &mut SelectStatement, _: &Scope, _: &mut Joins) {}

    async fn load<Db: Conn>(&self, conn: &Db, parents: &[DbRow], _: &mut Joins) -> Result<Vec<Self::Output>, DbError> {
        let join_inner = |select: &mut SelectStatement, scope: &Scope, joins: &mut Joins| {
            self.inner.join(select, scope, joins);
        };
        let Related { rows, groups, mut joins } =
            self.outer.load_rows(conn, parents, &self.inner.parent_columns(), join_inner).await?;
        let nested = self.inner.load(conn, &rows, &mut joins).await?;
        let outputs: Vec<(S::Output, I::Output)> = rows
            .iter()
            .zip(nested)
            .map(|(row, nested)| Ok((self.outer.select.decode(row, 0)?, nested)))
            .collect::<Result<_, DbError>>()?;
        groups.shape::<C, _>(outputs, T::NAME)
    }
}

macro_rules! tuple_include {
    ($($name:ident $value:ident),*) => {
        impl<F: Model, $($name: Include<F>),*> Include<F> for ($($name,)*) {
            type Output = ($($name::Output,)*);

            fn parent_columns(&self) -> Vec<&'static str> {
                #[allow(non_snake_case)]
                let ($($name,)*) = self;
                let mut columns = Vec::new();
                $(columns.extend($name.parent_columns());)*
                columns
            }

            fn join(&self, select: &mut SelectStatement, parent: &Scope, joins: &mut Joins) {
                #[allow(non_snake_case)]
                let ($($name,)*) = self;
                $($name.join(select, parent, joins);)*
            }

            async fn load<Db: Conn>(
                &self,
                conn: &Db,
                parents: &[DbRow],
                joins: &mut Joins,
            ) -> Result<Vec<Self::Output>, DbError> {
                #[allow(non_snake_case)]
                let ($($name,)*) = self;
                $(let mut $value = $name.load(conn, parents, joins).await?.into_iter();)*
                Ok((0..parents.len()).filter_map(|_| Some(($($value.next()?,)*))).collect())
            }
        }
    };
}

tuple_include!(A a, B b);
tuple_include!(A a, B b, C c);
tuple_include!(A a, B b, C c, D d);

/// The bound id of `row`, which an implicit many-to-many's join table refers to (its model
/// has a single-field id, which the generator checks).
fn child_id<T: Model>(row: &T, provider: Provider) -> Result<Expr, DbError> {
    let unique = row.unique().ok_or(DbError::NotFound { model: T::NAME })?;
    unique.columns(provider).into_iter().next().map(|(_, value)| value).ok_or(DbError::NotFound { model: T::NAME })
}

/// Nested writes of to-many relations: linking existing rows to a parent. Run them in the
/// transaction that writes the parent (`db.transaction(|tx| …)`) to have both or neither.
impl<F: Model, T: Model, K: Key, S: Select<T>> Relation<F, T, Many, K, S> {
    fn parent_key(&self, parent: &F) -> Result<K, DbError> {
        (self.near_key)(parent).ok_or(DbError::NotFound { model: F::NAME })
    }

    /// Links `parent` to each of `children`: a row in the join table of a many-to-many
    /// (existing links are kept), or the children's foreign key set to the parent.
    pub async fn connect(&self, conn: &impl Conn, parent: &F, children: &[T]) -> Result<u64, DbError> {
        if children.is_empty() {
            return Ok(0);
        }
        let provider = conn.provider();
        let key: Vec<Expr> = self.parent_key(parent)?.to_exprs(provider).collect();
        match self.link {
            Link::Join { table, near_column, far_column, .. } => {
                let mut insert = Query::insert();
                insert.into_table(table).columns([near_column, far_column]);
                for child in children {
                    insert.values_panic(key.iter().cloned().chain([child_id::<T>(child, provider)?]));
                }
                insert.on_conflict(OnConflict::columns([near_column, far_column]).do_nothing().to_owned());
                execute(conn, &insert).await
            }
            Link::Direct { far, .. } => {
                let mut linked = 0;
                for child in children {
                    let unique = child.unique().ok_or(DbError::NotFound { model: T::NAME })?;
                    let mut update = Query::update();
                    update.table(T::TABLE).values(far.iter().copied().zip(key.iter().cloned()));
                    where_all(&mut update, [unique_expr(unique, &Scope::top(provider, T::TABLE))]);
                    linked += execute(conn, &update).await?;
                }
                Ok(linked)
            }
        }
    }

    /// Unlinks `children` from `parent` (many-to-many), or sets their foreign key to NULL
    /// (which fails, as a constraint violation, when the relation is required).
    pub async fn disconnect(&self, conn: &impl Conn, parent: &F, children: &[T]) -> Result<u64, DbError> {
        if children.is_empty() {
            return Ok(0);
        }
        let provider = conn.provider();
        let key = self.parent_key(parent)?;
        match self.link {
            Link::Join { table, near_column, far_column, .. } => {
                let ids = children.iter().map(|child| child_id::<T>(child, provider)).collect::<Result<Vec<_>, _>>()?;
                let mut delete = Query::delete();
                delete.from_table(table);
                where_all(
                    &mut delete,
                    [in_keys(vec![Expr::col(near_column)], &[&key], provider), Expr::col(far_column).is_in(ids)],
                );
                execute(conn, &delete).await
            }
            Link::Direct { far, .. } => {
                let scope = Scope::top(provider, T::TABLE);
                let columns: Vec<Expr> = far.iter().map(|column| scope.column(column)).collect();
                let mut unlinked = 0;
                for child in children {
                    let unique = child.unique().ok_or(DbError::NotFound { model: T::NAME })?;
                    let mut update = Query::update();
                    update.table(T::TABLE).values(far.iter().map(|column| (*column, Expr::cust("NULL"))));
                    where_all(&mut update, [unique_expr(unique, &scope), in_keys(columns.clone(), &[&key], provider)]);
                    unlinked += execute(conn, &update).await?;
                }
                Ok(unlinked)
            }
        }
    }

    /// Links `parent` to the rows `items` name by unique key, creating each missing one from
    /// its data first (Prisma's `connectOrCreate`); returns the linked rows.
    pub async fn connect_or_create<Db: Conn>(
        &self,
        conn: &Db,
        parent: &F,
        items: Vec<(T::Unique, T::Create)>,
    ) -> Result<Vec<T>, DbError>
    where
        T: Table,
    {
        let mut children = Vec::with_capacity(items.len());
        for (unique, create) in items {
            children.push(Actions::<Db, T>::new(conn).find_or_create(unique, create).await?);
        }
        self.connect(conn, parent, &children).await?;
        Ok(children)
    }

    /// Makes `children` the exact set linked to `parent`: links the missing ones and unlinks
    /// the others (many-to-many).
    pub async fn set(&self, conn: &impl Conn, parent: &F, children: &[T]) -> Result<(), DbError> {
        let Link::Join { table, near_column, .. } = self.link else {
            return Err(DbError::Unsupported { operation: "set on a one-to-many relation" });
        };
        let provider = conn.provider();
        let key = self.parent_key(parent)?;
        let mut delete = Query::delete();
        delete.from_table(table);
        where_all(&mut delete, [in_keys(vec![Expr::col(near_column)], &[&key], provider)]);
        execute(conn, &delete).await?;
        self.connect(conn, parent, children).await?;
        Ok(())
    }
}
