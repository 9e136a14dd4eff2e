//! The generator's model of a schema: DMMF (what Prisma's parser hands over) resolved into
//! Rust names, types, defaults and relation links, validated once. Emission reads only this.

use isthmus_db_runtime::Provider;

use super::{
    GenerateError,
    names::{pascal_case, rust_ident, snake_case},
    source::Source,
};
use crate::dmmf;

/// Names a model cannot have: the generated code uses them unqualified (the prelude's in every
/// module, `Create` and `UniqueWhere` in the model's, `Client` at the crate root).
const RESERVED: &[&str] =
    &["Create", "UniqueWhere", "Client", "Option", "Result", "Vec", "String", "Some", "None", "Ok", "Err"];

/// Names an enum cannot have: the prelude's, used unqualified in the enums module.
const RESERVED_FOR_ENUMS: &[&str] = &["Option", "Result", "Vec", "String", "Some", "None", "Ok", "Err"];

/// Module names of the crate root that a model's module would clash with.
const RESERVED_MODULES: &[&str] = &["enums", "migrations"];

/// Documentation marker for fields that must never leave the server.
const SERVER_ONLY: &str = "@server-only";

pub struct Schema {
    pub models: Vec<Model>,
    pub enums: Vec<Enum>,
    /// The backends the schema runs on: PostgreSQL for a PostgreSQL schema, both for a SQLite one.
    pub providers: Vec<Provider>,
    /// What the client leaves out, as Prisma does (`Unsupported(…)` fields), to be reported.
    pub warnings: Vec<String>,
}

pub struct Enum {
    pub name: String,
    pub ident: String,
    /// The database type name (PostgreSQL's enum type).
    pub db_name: String,
    pub values: Vec<EnumValue>,
    pub doc: Option<String>,
}

pub struct EnumValue {
    pub ident: String,
    /// As stored (`@map` applied).
    pub db_name: String,
    /// As in `schema.prisma`, which is how the wire spells it.
    pub name: String,
}

pub struct Model {
    pub name: String,
    pub ident: String,
    pub module: String,
    pub table: String,
    pub doc: Option<String>,
    /// A `view` block: read-only.
    pub view: bool,
    pub fields: Vec<Field>,
    pub relations: Vec<Relation>,
    /// Every way to name one row: field indexes (one field, or a compound).
    pub uniques: Vec<Vec<usize>>,
    /// The primary key's fields (empty for a view without `@id`).
    pub id: Vec<usize>,
}

pub struct Field {
    pub name: String,
    pub ident: String,
    pub column: String,
    pub ty: Scalar,
    pub optional: bool,
    pub list: bool,
    pub default: Option<Default>,
    pub updated_at: bool,
    pub server_only: bool,
    pub doc: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scalar {
    Int,
    SmallInt,
    BigInt,
    Float,
    Real,
    Decimal,
    Boolean,
    String,
    Uuid,
    DateTime,
    Date,
    Time,
    Json,
    Bytes,
    /// Index into [`Schema::enums`].
    Enum(usize),
}

impl Model {
    /// The name of the `UniqueWhere` variant for the unique key `unique` (field indexes).
    pub fn unique_variant(&self, unique: &[usize]) -> String {
        Self::unique_variant_of(&self.fields, unique)
    }

    fn unique_variant_of(fields: &[Field], unique: &[usize]) -> String {
        unique.iter().map(|&i| pascal_case(&fields[i].name)).collect()
    }
}

impl Scalar {
    /// Usable as a relation key (hashed to group related rows).
    pub fn is_key(self) -> bool {
        !matches!(self, Scalar::Float | Scalar::Real | Scalar::Json)
    }
}

/// How a field gets a value when a create leaves it out.
pub enum Default {
    /// The database fills it in (`autoincrement()`, `dbgenerated(…)`, `sequence()`): the
    /// column is left out of the insert.
    Database,
    Now,
    /// `uuid()` (version 4) or `uuid(7)`.
    Uuid {
        version: u8,
    },
    /// `cuid()` (version 1) or `cuid(2)`.
    Cuid {
        version: u8,
    },
    Literal(Literal),
}

pub enum Literal {
    Int(i64),
    Float(f64),
    Bool(bool),
    String(String),
    Decimal(String),
    Json(String),
    /// Index of the enum's value.
    Enum(usize, usize),
    /// A scalar list's default (`[]`, `["a"]`).
    List(Vec<Literal>),
}

pub struct Relation {
    pub name: String,
    pub ident: String,
    pub target: usize,
    pub cardinality: Cardinality,
    pub link: Link,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Cardinality {
    One,
    Optional,
    Many,
}

pub enum Link {
    /// Own fields equal the target's fields pairwise (indexes into each model's fields).
    Direct { near: Vec<usize>, far: Vec<usize> },
    /// An implicit many-to-many through Prisma's `_<relation>` table.
    Join { table: String, near_column: &'static str, far_column: &'static str, near: usize, far: usize },
}

impl Schema {
    pub fn build(datamodel: &dmmf::Datamodel, source: &Source) -> Result<Schema, GenerateError> {
        let enums = datamodel.enums.iter().map(enum_ir).collect::<Vec<_>>();
        if let Some((e, &name)) =
            enums.iter().find_map(|e| RESERVED_FOR_ENUMS.iter().find(|&&name| name == e.ident).map(|name| (e, name)))
        {
            return Err(GenerateError::ReservedName {
                location: source.block_location("enum", &e.name),
                kind: "enum",
                item: e.name.clone(),
                name,
                help: "rename the enum and keep its database name with @@map(\"…\")",
            });
        }
        for e in &enums {
            let mut seen = std::collections::HashSet::new();
            if let Some(value) = e.values.iter().find(|value| !seen.insert(value.ident.as_str())) {
                return Err(GenerateError::at(
                    source.block_location("enum", &e.name),
                    e.name.clone(),
                    format!(
                        "two values become the Rust variant {}: rename one (and keep its stored name with @map)",
                        value.ident
                    ),
                ));
            }
        }
        let mut warnings = Vec::new();
        let mut models = Vec::new();
        for model in &datamodel.models {
            models.push(scalars(model, datamodel, &enums, source)?);
        }
        for (index, model) in datamodel.models.iter().enumerate() {
            models[index].relations = relations(index, model, datamodel, &models, source)?;
        }
        for (model, field, ty) in source.unsupported_fields() {
            warnings.push(format!(
                "{}: {model}.{field} is {ty}: left out of the client, as Prisma does (read it with a raw query)",
                source.field_location(&model, &field)
            ));
        }
        // A PostgreSQL schema runs on PostgreSQL (its `@db.*` types and lists have no SQLite
        // form); a SQLite schema also gets PostgreSQL migrations, to deploy on either.
        let providers = match source.provider() {
            Some("postgresql" | "postgres") => vec![Provider::Postgresql],
            _ => vec![Provider::Sqlite, Provider::Postgresql],
        };
        if providers.contains(&Provider::Sqlite) {
            // SQLite numbers only `INTEGER PRIMARY KEY` rows; Prisma makes a BigInt id `BIGINT`.
            let big_serial = datamodel.models.iter().find_map(|m| {
                m.fields
                    .iter()
                    .find(|f| {
                        f.type_name == "BigInt"
                            && f.default.as_ref().and_then(|d| d.get("name")).and_then(|n| n.as_str())
                                == Some("autoincrement")
                    })
                    .map(|f| (m, f))
            });
            if let Some((model, field)) = big_serial {
                return Err(GenerateError::at(
                    source.field_location(&model.name, &field.name),
                    format!("{}.{}", model.name, field.name),
                    "BigInt @default(autoincrement()) is never filled in on SQLite: use Int, assign the ids yourself, or set the provider to \"postgresql\"",
                ));
            }
        }
        Ok(Schema { models, enums, providers, warnings })
    }
}

fn enum_ir(e: &dmmf::Enum) -> Enum {
    Enum {
        name: e.name.clone(),
        ident: pascal_case(&e.name),
        db_name: e.db_name.clone().unwrap_or_else(|| e.name.clone()),
        values: e
            .values
            .iter()
            .map(|v| EnumValue {
                ident: rust_ident(&pascal_case(&v.name.to_lowercase())),
                db_name: v.db_name.clone().unwrap_or_else(|| v.name.clone()),
                name: v.name.clone(),
            })
            .collect(),
        doc: e.documentation.clone(),
    }
}

fn scalars(
    model: &dmmf::Model,
    datamodel: &dmmf::Datamodel,
    enums: &[Enum],
    source: &Source,
) -> Result<Model, GenerateError> {
    let ident = rust_ident(&pascal_case(&model.name));
    let module = rust_ident(&snake_case(&model.name));
    let clash = RESERVED.iter().find(|&&name| name == ident).or(RESERVED_MODULES.iter().find(|&&name| name == module));
    if let Some(&name) = clash {
        return Err(GenerateError::ReservedName {
            location: source.field_location(&model.name, ""),
            kind: "model",
            item: model.name.clone(),
            name,
            help: "rename the model and keep its table with @@map(\"…\")",
        });
    }
    let mut fields = Vec::new();
    for field in model.fields.iter().filter(|f| f.kind != "object") {
        let refuse = |message: String| {
            GenerateError::at(
                source.field_location(&model.name, &field.name),
                format!("{}.{}", model.name, field.name),
                message,
            )
        };
        let ty = scalar_type(field, datamodel).map_err(refuse)?;
        let default = match &field.default {
            None => None,
            Some(default) => Some(default_ir(default, ty, field.is_list, enums).map_err(refuse)?),
        };
        let doc = field.documentation.clone();
        fields.push(Field {
            ident: rust_ident(&snake_case(&field.name)),
            column: field.db_name.clone().unwrap_or_else(|| field.name.clone()),
            name: field.name.clone(),
            ty,
            optional: !field.is_required,
            list: field.is_list,
            default,
            updated_at: field.is_updated_at,
            server_only: doc.as_deref().is_some_and(|d| d.lines().any(|l| l.trim() == SERVER_ONLY)),
            doc,
        });
    }
    let index_of = |name: &str| fields.iter().position(|f| f.name == name);
    let mut uniques: Vec<Vec<usize>> = Vec::new();
    for field in model.fields.iter().filter(|f| (f.is_id || f.is_unique) && f.kind != "object") {
        uniques.extend(index_of(&field.name).map(|index| vec![index]));
    }
    let mut id: Vec<usize> = model.fields.iter().filter(|f| f.is_id).filter_map(|f| index_of(&f.name)).collect();
    if let Some(primary) = &model.primary_key {
        id = primary.fields.iter().filter_map(|name| index_of(name)).collect();
    }
    for compound in model.primary_key.iter().map(|pk| &pk.fields).chain(&model.unique_fields) {
        if let Some(indexes) = compound.iter().map(|name| index_of(name)).collect::<Option<Vec<usize>>>() {
            uniques.push(indexes);
        }
    }
    // `@id @unique` on one field names the same row twice.
    let mut seen = std::collections::HashSet::new();
    uniques.retain(|unique| seen.insert(unique.clone()));
    let mut variants = std::collections::HashSet::new();
    if let Some(unique) = uniques.iter().find(|unique| !variants.insert(Model::unique_variant_of(&fields, unique))) {
        return Err(GenerateError::at(
            source.field_location(&model.name, &fields[unique[0]].name),
            model.name.clone(),
            format!(
                "two unique keys become the variant UniqueWhere::{}: rename a field",
                Model::unique_variant_of(&fields, unique)
            ),
        ));
    }
    Ok(Model {
        ident,
        module,
        table: model.db_name.clone().unwrap_or_else(|| model.name.clone()),
        name: model.name.clone(),
        doc: model.documentation.clone(),
        view: source.is_view(&model.name),
        fields,
        relations: Vec::new(),
        uniques,
        id,
    })
}

fn scalar_type(field: &dmmf::Field, datamodel: &dmmf::Datamodel) -> Result<Scalar, String> {
    if field.kind == "enum" {
        let index = datamodel.enums.iter().position(|e| e.name == field.type_name);
        return index.map(Scalar::Enum).ok_or_else(|| format!("unknown enum {}", field.type_name));
    }
    let base = match field.type_name.as_str() {
        "Int" => Scalar::Int,
        "BigInt" => Scalar::BigInt,
        "Float" => Scalar::Float,
        "Decimal" => Scalar::Decimal,
        "Boolean" => Scalar::Boolean,
        "String" => Scalar::String,
        "DateTime" => Scalar::DateTime,
        "Json" => Scalar::Json,
        "Bytes" => Scalar::Bytes,
        other => return Err(format!("type {other} is not supported")),
    };
    let Some((native, _)) = &field.native_type else { return Ok(base) };
    // The native types whose values need another Rust type than their scalar's.
    let ty = match (base, native.as_str()) {
        (Scalar::String, "Uuid") => Scalar::Uuid,
        (Scalar::Int, "SmallInt") => Scalar::SmallInt,
        (Scalar::Float, "Real") => Scalar::Real,
        (Scalar::DateTime, "Date") => Scalar::Date,
        (Scalar::DateTime, "Time") => Scalar::Time,
        (Scalar::String, "Text" | "VarChar" | "Char")
        | (Scalar::Int, "Integer")
        | (Scalar::BigInt, "BigInt")
        | (Scalar::Float, "DoublePrecision")
        | (Scalar::Decimal, "Decimal")
        | (Scalar::Boolean, "Boolean")
        | (Scalar::DateTime, "Timestamp" | "Timestamptz")
        | (Scalar::Json, "Json" | "JsonB")
        | (Scalar::Bytes, "ByteA") => base,
        (_, other) => {
            return Err(format!(
                "@db.{other} is not supported by the client yet: use the scalar's default column type, or read it with a raw query"
            ));
        }
    };
    if field.is_list && !matches!(ty, Scalar::String | Scalar::Int | Scalar::BigInt | Scalar::Float | Scalar::Boolean) {
        return Err(format!(
            "lists of {} are not supported: use String[], Int[], BigInt[], Float[] or Boolean[]",
            field.type_name
        ));
    }
    Ok(ty)
}

fn default_ir(default: &serde_json::Value, ty: Scalar, list: bool, enums: &[Enum]) -> Result<Default, String> {
    use serde_json::Value;
    if let Value::Object(function) = default {
        let name = function.get("name").and_then(Value::as_str).unwrap_or_default();
        let version =
            function.get("args").and_then(Value::as_array).and_then(|args| args.first()).and_then(Value::as_u64);
        return Ok(match (name, version) {
            ("autoincrement" | "dbgenerated" | "sequence", _) => Default::Database,
            ("now", _) => Default::Now,
            ("uuid", None | Some(4)) => Default::Uuid { version: 4 },
            ("uuid", Some(7)) => Default::Uuid { version: 7 },
            ("cuid", None | Some(1)) => Default::Cuid { version: 1 },
            ("cuid", Some(2)) => Default::Cuid { version: 2 },
            (other, _) => return Err(format!("@default({other}(…)) is not supported: use dbgenerated(\"…\")")),
        });
    }
    if list {
        let Value::Array(items) = default else { return Err(format!("list default {default} is not a list")) };
        let items = items.iter().map(|item| literal(item, ty, enums)).collect::<Result<_, _>>()?;
        return Ok(Default::Literal(Literal::List(items)));
    }
    literal(default, ty, enums).map(Default::Literal)
}

fn literal(value: &serde_json::Value, ty: Scalar, enums: &[Enum]) -> Result<Literal, String> {
    use serde_json::Value;
    let unsupported = || format!("default value {value} does not fit the field's type");
    Ok(match (ty, value) {
        (Scalar::Int | Scalar::SmallInt | Scalar::BigInt, Value::Number(n)) => {
            Literal::Int(n.as_i64().ok_or_else(unsupported)?)
        }
        // Prisma hands BigInt (and some Int) defaults over as strings.
        (Scalar::Int | Scalar::SmallInt | Scalar::BigInt, Value::String(s)) => {
            Literal::Int(s.parse().map_err(|_| unsupported())?)
        }
        (Scalar::Float | Scalar::Real, Value::Number(n)) => Literal::Float(n.as_f64().ok_or_else(unsupported)?),
        (Scalar::Float | Scalar::Real, Value::String(s)) => Literal::Float(s.parse().map_err(|_| unsupported())?),
        (Scalar::Boolean, Value::Bool(b)) => Literal::Bool(*b),
        (Scalar::String, Value::String(s)) => Literal::String(s.clone()),
        (Scalar::Uuid, Value::String(s)) if uuid_literal(s) => Literal::String(s.clone()),
        (Scalar::Decimal, Value::String(s)) => Literal::Decimal(s.clone()),
        (Scalar::Decimal, Value::Number(n)) => Literal::Decimal(n.to_string()),
        (Scalar::Json, Value::String(s)) if serde_json::from_str::<Value>(s).is_ok() => Literal::Json(s.clone()),
        (Scalar::Enum(index), Value::String(s)) => {
            let value = enums[index].values.iter().position(|v| &v.name == s).ok_or_else(unsupported)?;
            Literal::Enum(index, value)
        }
        _ => return Err(unsupported()),
    })
}

fn uuid_literal(text: &str) -> bool {
    isthmus_db_runtime::uuid::Uuid::parse_str(text).is_ok()
}

fn relations(
    index: usize,
    model: &dmmf::Model,
    datamodel: &dmmf::Datamodel,
    models: &[Model],
    source: &Source,
) -> Result<Vec<Relation>, GenerateError> {
    let mut relations = Vec::new();
    for field in model.fields.iter().filter(|f| f.kind == "object") {
        let refuse = |message: &str| {
            GenerateError::at(
                source.field_location(&model.name, &field.name),
                format!("{}.{}", model.name, field.name),
                message,
            )
        };
        let target =
            datamodel.models.iter().position(|m| m.name == field.type_name).ok_or_else(|| refuse("unknown model"))?;
        let fields_of = |model: &Model, names: &[String]| -> Result<Vec<usize>, GenerateError> {
            names
                .iter()
                .map(|name| {
                    model
                        .fields
                        .iter()
                        .position(|f| &f.name == name)
                        .ok_or_else(|| refuse("unknown field in @relation"))
                })
                .collect()
        };
        let from = field.relation_from_fields.clone().unwrap_or_default();
        // The other side of the relation: for a self-relation, the other field of that name.
        let back = datamodel.models[target].fields.iter().find(|f| {
            f.kind == "object"
                && f.relation_name == field.relation_name
                && f.type_name == model.name
                && !(index == target && f.name == field.name)
        });
        let (link, cardinality) = if !from.is_empty() {
            let to = field.relation_to_fields.clone().unwrap_or_default();
            let near = fields_of(&models[index], &from)?;
            let optional = near.iter().any(|&i| models[index].fields[i].optional) || !field.is_required;
            let cardinality = if optional { Cardinality::Optional } else { Cardinality::One };
            (Link::Direct { near, far: fields_of(&models[target], &to)? }, cardinality)
        } else {
            let back = back.ok_or_else(|| refuse("the relation has no field on the other model"))?;
            let back_from = back.relation_from_fields.clone().unwrap_or_default();
            if back_from.is_empty() {
                if !(field.is_list && back.is_list) {
                    return Err(refuse("one side of a one-to-one relation needs fields: [...] and references: [...]"));
                }
                implicit_many_to_many(index, target, field, back, models).map_err(|message| refuse(&message))?
            } else {
                let back_to = back.relation_to_fields.clone().unwrap_or_default();
                let cardinality = if field.is_list { Cardinality::Many } else { Cardinality::Optional };
                (
                    Link::Direct {
                        near: fields_of(&models[index], &back_to)?,
                        far: fields_of(&models[target], &back_from)?,
                    },
                    cardinality,
                )
            }
        };
        if let Link::Direct { near, .. } = &link
            && let Some(&bad) = near.iter().find(|&&i| !models[index].fields[i].ty.is_key())
        {
            return Err(refuse(&format!(
                "a relation cannot link by `{}` (Float or Json)",
                models[index].fields[bad].name
            )));
        }
        relations.push(Relation {
            name: field.name.clone(),
            ident: rust_ident(&snake_case(&field.name)),
            target,
            cardinality,
            link,
        });
    }
    Ok(relations)
}

/// Prisma's implicit many-to-many: table `_<relation name>`, column `A` for the model whose
/// name sorts first (for a self-relation, the field whose name sorts first), `B` for the other,
/// each referencing that model's single-field id.
fn implicit_many_to_many(
    index: usize,
    target: usize,
    field: &dmmf::Field,
    back: &dmmf::Field,
    models: &[Model],
) -> Result<(Link, Cardinality), String> {
    let id_of = |model: &Model| -> Result<usize, String> {
        match model.id.as_slice() {
            [id] => Ok(*id),
            _ => Err(format!("{} needs a single-field @id for an implicit many-to-many relation", model.name)),
        }
    };
    let own_first = if index == target { field.name < back.name } else { models[index].name < models[target].name };
    let (near_column, far_column) = if own_first { ("A", "B") } else { ("B", "A") };
    let relation = field.relation_name.clone().unwrap_or_default();
    let link = Link::Join {
        table: format!("_{relation}"),
        near_column,
        far_column,
        near: id_of(&models[index])?,
        far: id_of(&models[target])?,
    };
    Ok((link, Cardinality::Many))
}
