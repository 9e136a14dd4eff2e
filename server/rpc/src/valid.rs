//! Validation declared once on the input type: `#[derive(validator::Validate)]` with its
//! rules and messages, and `Valid<T>` as the procedure's input. The layer checks the decoded
//! input before the procedure runs and answers 422 `VALIDATION` with per-field messages,
//! whether the call came as JSON or as a form post.

use std::borrow::Cow;

use serde::de::DeserializeOwned;
use specta::Type;
use validator::{Validate, ValidationError, ValidationErrors, ValidationErrorsKind};

use super::{
    error::{FieldErrors, ProtocolError},
    handler::RawInput,
    input::DecodeInput,
};

/// A procedure input that satisfied the validation rules of `T`:
/// `async fn subscribe(ctx: Ctx, Valid(input): Valid<Subscribe>)`.
///
/// Field paths in the errors are Rust field names in camelCase (the
/// `#[serde(rename_all = "camelCase")]` convention of every Isthmus input; a field renamed
/// otherwise is still reported under its camelCase Rust name), list items as `items[0]`,
/// nested fields as `author.name` (a form names that input `author[name]`); rules on the
/// whole struct (`#[validate(schema(…))]`) report under the empty path.
///
/// Rules see the input as decoded: normalise during decoding what should not count, such as
/// spaces around an email address: `#[serde(deserialize_with = "isthmus_rpc::trimmed")]` with
/// `#[specta(type = String)]` (the exporter insists that a custom decoder name its type).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Valid<T>(pub T);

/// Exported exactly as `T`: validation adds no wire shape.
impl<T: Type> Type for Valid<T> {
    fn definition(types: &mut specta::Types) -> specta::datatype::DataType {
        T::definition(types)
    }
}

impl<T: DeserializeOwned + Validate + Send + 'static> DecodeInput for Valid<T> {
    fn decode_input(raw: &RawInput) -> Result<Self, ProtocolError> {
        let input: T = raw.decode()?;
        input.validate().map_err(|errors| ProtocolError::Validation { fields: field_errors(&errors) })?;
        Ok(Valid(input))
    }
}

/// For `#[serde(deserialize_with = "isthmus_rpc::trimmed")]`: the string without surrounding
/// whitespace, before any validation rule sees it.
pub fn trimmed<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let text = <String as serde::Deserialize>::deserialize(deserializer)?;
    Ok(match text.trim() {
        trimmed if trimmed.len() == text.len() => text,
        trimmed => trimmed.to_owned(),
    })
}

/// Flattens validator's tree of errors into path → messages.
fn field_errors(errors: &ValidationErrors) -> FieldErrors {
    let mut fields = FieldErrors::new();
    collect(errors, "", &mut fields);
    fields
}

fn collect(errors: &ValidationErrors, prefix: &str, fields: &mut FieldErrors) {
    for (field, kind) in errors.errors() {
        let path = join(prefix, field);
        match kind {
            ValidationErrorsKind::Field(errors) => {
                fields.entry(path).or_default().extend(errors.iter().map(message));
            }
            ValidationErrorsKind::Struct(errors) => collect(errors, &path, fields),
            ValidationErrorsKind::List(items) => {
                for (index, errors) in items {
                    collect(errors, &format!("{path}[{index}]"), fields);
                }
            }
        }
    }
}

fn join(prefix: &str, field: &str) -> String {
    // validator's key for rules on the struct itself.
    if field == "__all__" {
        return prefix.to_owned();
    }
    let name = camel_case(field);
    if prefix.is_empty() { name } else { format!("{prefix}.{name}") }
}

fn camel_case(field: &str) -> String {
    let mut name = String::with_capacity(field.len());
    let mut upper = false;
    for c in field.chars() {
        match c {
            '_' if !name.is_empty() => upper = true,
            _ if upper => {
                name.extend(c.to_uppercase());
                upper = false;
            }
            _ => name.push(c),
        }
    }
    name
}

/// The rule's own message when it declares one, else a plain English default.
fn message(error: &ValidationError) -> String {
    if let Some(message) = &error.message {
        return message.to_string();
    }
    let param = |name: &'static str| error.params.get(&Cow::Borrowed(name)).map(ToString::to_string);
    match (error.code.as_ref(), param("min"), param("max")) {
        ("email", ..) => "must be an email address".into(),
        ("url", ..) => "must be a URL".into(),
        ("required", ..) => "is required".into(),
        ("length", Some(min), Some(max)) => format!("must be {min} to {max} characters long"),
        ("length", Some(min), None) if min == "1" => "must not be empty".into(),
        ("length", Some(min), None) => format!("must be at least {min} characters long"),
        ("length", None, Some(max)) => format!("must be at most {max} characters long"),
        ("range", Some(min), Some(max)) => format!("must be between {min} and {max}"),
        ("range", Some(min), None) => format!("must be at least {min}"),
        ("range", None, Some(max)) => format!("must be at most {max}"),
        (code, ..) => format!("is invalid ({code})"),
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use validator::Validate;

    use super::*;

    #[derive(Debug, Deserialize, Validate)]
    #[serde(rename_all = "camelCase")]
    struct Signup {
        #[validate(email(message = "Enter a valid email address."))]
        email_address: String,
        #[validate(length(min = 2, max = 5))]
        name: String,
        #[validate(nested)]
        tags: Vec<Tag>,
        #[validate(nested)]
        home: Address,
    }

    #[derive(Debug, Deserialize, Validate)]
    struct Tag {
        #[validate(length(min = 1))]
        label: String,
    }

    #[derive(Debug, Deserialize, Validate)]
    #[serde(rename_all = "camelCase")]
    struct Address {
        #[validate(range(min = 1000, max = 9999))]
        post_code: u32,
    }

    #[test]
    fn paths_are_wire_names_and_messages_are_declared_or_default() {
        let raw =
            RawInput::Json(Some(
                br#"{"emailAddress":"nope","name":"x","tags":[{"label":"ok"},{"label":""}],"home":{"postCode":12}}"#
                    .as_slice()
                    .into(),
            ));
        let Err(ProtocolError::Validation { fields }) = Valid::<Signup>::decode_input(&raw) else {
            panic!("the input breaks every rule");
        };
        let expected = FieldErrors::from([
            ("emailAddress".into(), vec!["Enter a valid email address.".into()]),
            ("name".into(), vec!["must be 2 to 5 characters long".into()]),
            ("tags[1].label".into(), vec!["must not be empty".into()]),
            ("home.postCode".into(), vec!["must be between 1000 and 9999".into()]),
        ]);
        assert_eq!(fields, expected);
    }

    #[derive(Debug, Deserialize, Validate)]
    struct Named {
        #[serde(deserialize_with = "trimmed")]
        #[validate(length(min = 1))]
        name: String,
    }

    #[test]
    fn trimming_happens_before_the_rules() {
        let decode = |json: &'static str| Valid::<Named>::decode_input(&RawInput::Json(Some(json.as_bytes().into())));
        assert_eq!(decode(r#"{"name":"  Ada "}"#).unwrap().0.name, "Ada");
        let Err(ProtocolError::Validation { fields }) = decode(r#"{"name":"   "}"#) else { panic!("blank is empty") };
        assert_eq!(fields["name"], ["must not be empty"]);
    }

    #[test]
    fn valid_input_passes_and_type_errors_stay_type_errors() {
        let raw = RawInput::Json(Some(
            br#"{"emailAddress":"a@b.co","name":"Ann","tags":[],"home":{"postCode":1234}}"#.as_slice().into(),
        ));
        let Valid(signup) = Valid::<Signup>::decode_input(&raw).unwrap();
        assert_eq!(signup.name, "Ann");
        let raw = RawInput::Json(Some(br#"{"emailAddress":1}"#.as_slice().into()));
        let error = Valid::<Signup>::decode_input(&raw).unwrap_err();
        assert!(matches!(error, ProtocolError::InvalidInput { .. }), "{error:?}");
    }
}
