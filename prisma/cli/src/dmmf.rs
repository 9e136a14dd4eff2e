//! The part of Prisma's DMMF (from `get_dmmf`) the generator reads.

use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct Document {
    pub datamodel: Datamodel,
}

#[derive(Debug, Deserialize)]
pub struct Datamodel {
    pub enums: Vec<Enum>,
    pub models: Vec<Model>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Enum {
    pub name: String,
    pub values: Vec<EnumValue>,
    pub db_name: Option<String>,
    pub documentation: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnumValue {
    pub name: String,
    pub db_name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Model {
    pub name: String,
    pub db_name: Option<String>,
    pub fields: Vec<Field>,
    pub primary_key: Option<PrimaryKey>,
    pub unique_fields: Vec<Vec<String>>,
    pub documentation: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct PrimaryKey {
    pub fields: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Field {
    pub name: String,
    pub db_name: Option<String>,
    /// `scalar`, `enum` or `object` (a relation).
    pub kind: String,
    pub is_list: bool,
    pub is_required: bool,
    pub is_unique: bool,
    pub is_id: bool,
    #[serde(rename = "type")]
    pub type_name: String,
    pub default: Option<serde_json::Value>,
    pub is_updated_at: bool,
    pub relation_from_fields: Option<Vec<String>>,
    pub relation_to_fields: Option<Vec<String>>,
    pub relation_name: Option<String>,
    /// A `@db.*` attribute: its name and arguments (`["VarChar", ["200"]]`).
    pub native_type: Option<(String, Vec<String>)>,
    pub documentation: Option<String>,
}
