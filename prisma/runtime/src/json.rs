//! Filters on a value inside a `Json` column (Prisma's `path` filters):
//! `user::settings().path(["theme"]).equals(json!("dark"))`. A path is a list of object keys
//! and array indexes (`["tags", "0"]`); a missing path matches no filter.
//!
//! PostgreSQL reads the value with `#>` (jsonb), SQLite with `->`/`json_extract`; values are
//! compared as JSON, so `json!(1)` matches a number and `json!("1")` a string. Where the
//! backends differ: on SQLite a step that is a number (`"0"`) is an array index only, and a
//! key holding `"` matches nothing; `equals` of objects compares SQLite's JSON text (key order
//! and number spelling count) but PostgreSQL's values. `@db.Json` (not jsonb) columns are
//! refused by PostgreSQL's operators: use `Json`'s default, jsonb.

use std::marker::PhantomData;

use sea_query::{Expr, ExprTrait, Value};
use serde_json::Value as Json;

use crate::{
    Column, DbValue, Provider,
    filter::{Filter, Scope, custom, like},
};

/// Types of `Json` columns: `serde_json::Value`, and `Option` of it.
pub trait JsonDocument {}

impl JsonDocument for Json {}
impl JsonDocument for Option<Json> {}

impl<M, T: JsonDocument> Column<M, T> {
    /// The value at `path` inside the document, to filter on.
    pub fn path<S: Into<String>>(self, path: impl IntoIterator<Item = S>) -> JsonPath<M> {
        JsonPath { column: self.name(), path: path.into_iter().map(Into::into).collect(), model: PhantomData }
    }
}

/// A value inside a `Json` column of model `M`: [`Column::path`].
pub struct JsonPath<M> {
    column: &'static str,
    path: Vec<String>,
    model: PhantomData<fn() -> M>,
}

/// `(value at path, comparison value)` → the condition, for one backend.
type Compare = fn(Expr, Expr) -> Expr;

impl<M> JsonPath<M> {
    /// The path as the backend takes it: a `text[]` on PostgreSQL, `$."a"[0]` on SQLite.
    fn path_expr(path: &[String], provider: Provider) -> Expr {
        match provider {
            Provider::Postgresql => path.to_vec().to_expr(provider),
            Provider::Sqlite => {
                // SQLite's paths cannot quote `"`: no path, which matches nothing.
                if path.iter().any(|step| step.contains('"')) {
                    return Expr::val(Value::String(None));
                }
                let mut text = String::from("$");
                for step in path {
                    match step.parse::<u32>() {
                        Ok(index) => text.push_str(&format!("[{index}]")),
                        Err(_) => text.push_str(&format!(".\"{step}\"")),
                    }
                }
                Expr::val(Value::String(Some(text)))
            }
        }
    }

    /// The JSON at the path (jsonb on PostgreSQL, JSON text on SQLite), and what to compare
    /// it with: `value` as jsonb, or as text parsed by `json()`.
    fn as_json(column: Expr, path: Expr, value: &Json, provider: Provider) -> (Expr, Expr) {
        match provider {
            Provider::Postgresql => (custom(provider, "($1 #> $2)", vec![column, path]), value.to_expr(provider)),
            Provider::Sqlite => (
                custom(provider, "($1 -> $2)", vec![column, path]),
                custom(provider, "json($1)", vec![value.to_expr(provider)]),
            ),
        }
    }

    fn json_filter(self, value: Json, compare: Compare) -> Filter<M> {
        let JsonPath { column, path, .. } = self;
        Filter::new(move |scope: &Scope| {
            let path = Self::path_expr(&path, scope.provider);
            let (found, value) = Self::as_json(scope.column(column), path, &value, scope.provider);
            compare(found, value)
        })
    }

    /// The value at the path equals `value` (as JSON: types and contents).
    pub fn equals(self, value: impl Into<Json>) -> Filter<M> {
        self.json_filter(value.into(), ExprTrait::eq)
    }

    /// An order comparison of the value at the path with `value`, a number or a string: only
    /// values of the same JSON type compare (the backends would otherwise order numbers,
    /// strings and objects among one another, each its own way). Other operands match nothing.
    fn ordered(self, value: Json, compare: Compare) -> Filter<M> {
        let JsonPath { column, path, .. } = self;
        Filter::new(move |scope: &Scope| {
            let provider = scope.provider;
            let (column, path) = (scope.column(column), Self::path_expr(&path, provider));
            let (json_type, sqlite_operand) = match &value {
                Json::Number(number) => (
                    JsonType::Number,
                    match number.as_i64() {
                        Some(integer) => Expr::val(integer),
                        None => Expr::val(number.as_f64().unwrap_or(f64::NAN)),
                    },
                ),
                Json::String(text) => (JsonType::String, Expr::val(text.clone())),
                _ => return Expr::val(false),
            };
            let same_type = has_type(column.clone(), path.clone(), json_type, provider);
            let compared = match provider {
                Provider::Postgresql => {
                    let (found, value) = Self::as_json(column, path, &value, provider);
                    compare(found, value)
                }
                // `json_extract` gives the SQL value (a number, text), compared as SQL compares.
                Provider::Sqlite => {
                    compare(custom(provider, "json_extract($1, $2)", vec![column, path]), sqlite_operand)
                }
            };
            same_type.and(compared)
        })
    }

    /// The value at the path is greater than `value`.
    pub fn gt(self, value: impl Into<Json>) -> Filter<M> {
        self.ordered(value.into(), ExprTrait::gt)
    }

    /// The value at the path is at least `value`.
    pub fn gte(self, value: impl Into<Json>) -> Filter<M> {
        self.ordered(value.into(), ExprTrait::gte)
    }

    /// The value at the path is less than `value`.
    pub fn lt(self, value: impl Into<Json>) -> Filter<M> {
        self.ordered(value.into(), ExprTrait::lt)
    }

    /// The value at the path is at most `value`.
    pub fn lte(self, value: impl Into<Json>) -> Filter<M> {
        self.ordered(value.into(), ExprTrait::lte)
    }

    /// The value at the path is a string matching `prefix needle suffix` (LIKE, `%` and `_`
    /// in `needle` literal).
    fn string(self, prefix: &'static str, needle: String, suffix: &'static str) -> Filter<M> {
        let JsonPath { column, path, .. } = self;
        Filter::new(move |scope: &Scope| {
            let path = Self::path_expr(&path, scope.provider);
            let column = scope.column(column);
            let is_string = has_type(column.clone(), path.clone(), JsonType::String, scope.provider);
            let text = match scope.provider {
                Provider::Postgresql => "($1 #>> $2)",
                Provider::Sqlite => "json_extract($1, $2)",
            };
            let text = custom(scope.provider, text, vec![column, path]);
            is_string.and(like(text, prefix, &needle, suffix))
        })
    }

    /// The value at the path is a string containing `needle`.
    pub fn string_contains(self, needle: impl Into<String>) -> Filter<M> {
        self.string("%", needle.into(), "%")
    }

    /// The value at the path is a string beginning with `needle`.
    pub fn string_starts_with(self, needle: impl Into<String>) -> Filter<M> {
        self.string("", needle.into(), "%")
    }

    /// The value at the path is a string ending with `needle`.
    pub fn string_ends_with(self, needle: impl Into<String>) -> Filter<M> {
        self.string("%", needle.into(), "")
    }

    /// The value at the path is an array holding `value`, or every element of `value` when it
    /// is itself an array.
    pub fn array_contains(self, value: impl Into<Json>) -> Filter<M> {
        let wanted = match value.into() {
            Json::Array(elements) => elements,
            one => vec![one],
        };
        let JsonPath { column, path, .. } = self;
        Filter::new(move |scope: &Scope| {
            let path = Self::path_expr(&path, scope.provider);
            let column = scope.column(column);
            match scope.provider {
                Provider::Postgresql => custom(
                    scope.provider,
                    "($1 #> $2) @> $3",
                    vec![column, path, Json::Array(wanted.clone()).to_expr(scope.provider)],
                ),
                // Each wanted element is some element's JSON (`->` of the element's full path).
                Provider::Sqlite => wanted.iter().fold(
                    has_type(column.clone(), path.clone(), JsonType::Array, scope.provider),
                    |all, element| {
                        all.and(custom(
                            scope.provider,
                            "EXISTS (SELECT 1 FROM json_each($1, $2) AS element WHERE ($1 -> element.fullkey) = json($3))",
                            vec![column.clone(), path.clone(), element.to_expr(scope.provider)],
                        ))
                    },
                ),
            }
        })
    }
}

/// The JSON types a filter checks for.
#[derive(Clone, Copy)]
enum JsonType {
    Number,
    String,
    Array,
}

/// The value of `column` at `path` is of `json_type`, as each backend names its types.
fn has_type(column: Expr, path: Expr, json_type: JsonType, provider: Provider) -> Expr {
    let template = match (json_type, provider) {
        (JsonType::Number, Provider::Postgresql) => "jsonb_typeof($1 #> $2) = 'number'",
        (JsonType::String, Provider::Postgresql) => "jsonb_typeof($1 #> $2) = 'string'",
        (JsonType::Array, Provider::Postgresql) => "jsonb_typeof($1 #> $2) = 'array'",
        (JsonType::Number, Provider::Sqlite) => "json_type($1, $2) IN ('integer', 'real')",
        (JsonType::String, Provider::Sqlite) => "json_type($1, $2) = 'text'",
        (JsonType::Array, Provider::Sqlite) => "json_type($1, $2) = 'array'",
    };
    custom(provider, template, vec![column, path])
}
