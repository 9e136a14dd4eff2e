//! Turning the raw JSON of a call into the procedure's input type, with errors precise
//! enough for the caller to fix the request.

use std::fmt;

use serde::de::{self, Deserialize, DeserializeOwned, Deserializer, MapAccess, SeqAccess, Visitor};

use super::{error::ProtocolError, handler::RawInput, strict::Strict};

/// How a procedure's input is made from a call's raw input: any `DeserializeOwned` type is
/// decoded; [`Valid<T>`](super::Valid) is decoded, then validated.
pub trait DecodeInput: Sized + Send + 'static {
    /// Decodes (and for [`Valid<T>`](crate::Valid) validates) the input, or says precisely
    /// what is wrong with it.
    fn decode_input(raw: &RawInput) -> Result<Self, ProtocolError>;
}

impl<T: DeserializeOwned + Send + 'static> DecodeInput for T {
    fn decode_input(raw: &RawInput) -> Result<Self, ProtocolError> {
        raw.decode()
    }
}

/// Decodes a call's input under the input policy (`strict`). An absent input decodes as JSON
/// `null`, so procedures without input (`()`) and with optional input (`Option<T>`) can be
/// called with no argument.
pub(crate) fn decode<T: DeserializeOwned>(raw: Option<&[u8]>) -> Result<T, ProtocolError> {
    let raw = raw.unwrap_or(b"null");
    let mut deserializer = serde_json::Deserializer::from_slice(raw);
    let value = serde_path_to_error::deserialize(Strict::new(&mut deserializer)).map_err(|error| {
        let path = field_path(&error.path().to_string());
        let inner = error.into_inner();
        // Typed decoding stops at the first mismatch, possibly before a syntax error further
        // on; only input that is valid JSON throughout is reported as the wrong type.
        let is_json = serde_json::from_slice::<serde::de::IgnoredAny>(raw).is_ok();
        if inner.is_data() && is_json {
            ProtocolError::InvalidInput { path, message: strip_position(&inner) }
        } else {
            ProtocolError::MalformedJson { message: inner.to_string() }
        }
    })?;
    deserializer.end().map_err(|error| ProtocolError::MalformedJson { message: error.to_string() })?;
    Ok(value)
}

/// Decodes an urlencoded form into the input type (type-directed: `"42"` becomes a number
/// where the type wants one). An empty form is no input.
pub(crate) fn decode_form<T: DeserializeOwned>(pairs: &[u8], max_depth: u32) -> Result<T, ProtocolError> {
    if pairs.is_empty() {
        return decode(None);
    }
    let config = serde_qs::Config::new().max_depth(max_depth as usize).use_form_encoding(true);
    let invalid =
        |error: serde_qs::Error| ProtocolError::InvalidInput { path: String::new(), message: error.to_string() };
    let deserializer = serde_qs::Deserializer::with_config(config, pairs).map_err(invalid)?;
    T::deserialize(Strict::new(deserializer)).map_err(invalid)
}

/// The canonical form of a JSON input, for cache keys: no whitespace, object keys sorted,
/// strings and numbers written one way. Inputs that differ only so share one cached result.
/// `None` for text that is not JSON or has an object with a duplicate key (decoding refuses
/// both, so nothing is cached for them).
pub(crate) fn canonical(raw: &[u8]) -> Option<Vec<u8>> {
    let mut deserializer = serde_json::Deserializer::from_slice(raw);
    let canonical = Canonical::deserialize(&mut deserializer).ok()?;
    deserializer.end().ok()?;
    Some(canonical.0)
}

/// A JSON value written in canonical form.
struct Canonical(Vec<u8>);

impl<'de> Deserialize<'de> for Canonical {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(CanonicalVisitor)
    }
}

struct CanonicalVisitor;

/// JSON text of a scalar; serde_json writes numbers and strings one way.
fn scalar<T: serde::Serialize, E: de::Error>(value: T) -> Result<Canonical, E> {
    serde_json::to_vec(&value).map(Canonical).map_err(E::custom)
}

impl<'de> Visitor<'de> for CanonicalVisitor {
    type Value = Canonical;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JSON")
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Canonical, E> {
        scalar(value)
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Canonical, E> {
        scalar(value)
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Canonical, E> {
        scalar(value)
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Canonical, E> {
        scalar(value)
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Canonical, E> {
        scalar(value)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Canonical, E> {
        Ok(Canonical(b"null".to_vec()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Canonical, A::Error> {
        let mut out = vec![b'['];
        while let Some(Canonical(element)) = seq.next_element()? {
            if out.len() > 1 {
                out.push(b',');
            }
            out.extend(element);
        }
        out.push(b']');
        Ok(Canonical(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Canonical, A::Error> {
        let mut entries = Vec::new();
        while let Some((key, Canonical(value))) = map.next_entry::<String, Canonical>()? {
            entries.push((key, value));
        }
        entries.sort_unstable_by(|(a, _), (b, _)| a.cmp(b));
        if entries.windows(2).any(|pair| pair[0].0 == pair[1].0) {
            return Err(de::Error::custom("duplicate key"));
        }
        let mut out = vec![b'{'];
        for (at, (key, value)) in entries.into_iter().enumerate() {
            if at > 0 {
                out.push(b',');
            }
            out.extend(scalar::<_, A::Error>(key)?.0);
            out.push(b':');
            out.extend(value);
        }
        out.push(b'}');
        Ok(Canonical(out))
    }
}

/// The path of a failure; one in a key (an unknown field) ends in `?`, which names nothing:
/// the message names the field, the path its object.
fn field_path(path: &str) -> String {
    match path {
        "?" => ".".to_owned(),
        path => path.strip_suffix(".?").unwrap_or(path).to_owned(),
    }
}

/// serde_json appends "at line 1 column 12" to data errors; for a type mismatch the path
/// says more than the position.
fn strip_position(error: &serde_json::Error) -> String {
    let message = error.to_string();
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message,
    }
}

/// Rejects input nesting deeper than `limit` before any typed decoding, so a hostile
/// payload costs one linear scan. Strings are skipped, brackets inside them do not count.
pub(crate) fn check_depth(raw: &[u8], limit: u32) -> Result<(), ProtocolError> {
    let mut depth: u32 = 0;
    let mut in_string = false;
    let mut escaped = false;
    for &byte in raw {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return Err(ProtocolError::TooDeep { limit });
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Input {
        name: String,
        tags: Vec<u8>,
    }

    #[test]
    fn absent_input_is_null() {
        assert_eq!(decode::<()>(None), Ok(()));
        assert_eq!(decode::<Option<u8>>(None), Ok(None));
    }

    #[test]
    fn syntax_errors_are_malformed_json() {
        let error = decode::<Input>(Some(b"{\"name\":")).unwrap_err();
        assert!(matches!(error, ProtocolError::MalformedJson { .. }), "{error:?}");
        let error = decode::<String>(Some(b"{\"name\":")).unwrap_err();
        assert!(matches!(error, ProtocolError::MalformedJson { .. }), "{error:?}");
        let error = decode::<Input>(Some(b"{} trailing")).unwrap_err();
        assert!(matches!(error, ProtocolError::MalformedJson { .. }), "{error:?}");
    }

    #[test]
    fn type_errors_name_the_path() {
        let error = decode::<Input>(Some(br#"{"name":"a","tags":[1,"x"]}"#)).unwrap_err();
        let ProtocolError::InvalidInput { path, message } = error else { panic!("{error:?}") };
        assert_eq!(path, "tags[1]");
        assert!(message.starts_with("invalid type: string \"x\""), "{message}");
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Signup {
        email: String,
        age: u8,
        #[serde(default)]
        newsletter: bool,
        tags: Vec<String>,
        address: Address,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Address {
        city: String,
    }

    #[test]
    fn forms_decode_into_the_typed_input() {
        let form = b"email=a%40b.c&age=42&tags=x&tags=y+z&address%5Bcity%5D=Oslo";
        let signup: Signup = decode_form(form, 8).unwrap();
        assert_eq!(
            signup,
            Signup {
                email: "a@b.c".into(),
                age: 42,
                newsletter: false,
                tags: vec!["x".into(), "y z".into()],
                address: Address { city: "Oslo".into() }
            }
        );
        let checked: Signup = decode_form(b"email=a&age=1&newsletter=true&tags=x&address[city]=c", 8).unwrap();
        assert!(checked.newsletter);
        let error = decode_form::<Signup>(b"email=a&age=old&tags=x&address[city]=c", 8).unwrap_err();
        assert!(matches!(error, ProtocolError::InvalidInput { .. }), "{error:?}");
        assert_eq!(decode_form::<()>(b"", 8), Ok(()));
    }

    #[test]
    fn structs_come_from_objects_with_their_own_fields_only() {
        let error = decode::<Input>(Some(br#"["a",[1]]"#)).unwrap_err();
        let ProtocolError::InvalidInput { path, message } = error else { panic!("{error:?}") };
        assert_eq!((path.as_str(), message.as_str()), (".", "invalid type: sequence, expected an object"));
        let error = decode::<Signup>(Some(br#"{"email":"a","age":1,"tags":[],"address":["Oslo"]}"#)).unwrap_err();
        assert!(matches!(&error, ProtocolError::InvalidInput { path, .. } if path == "address"), "{error:?}");
        let error = decode::<Input>(Some(br#"{"name":"a","tags":[],"admin":true}"#)).unwrap_err();
        let ProtocolError::InvalidInput { path, message } = error else { panic!("{error:?}") };
        assert_eq!(path, ".");
        assert!(message.starts_with("unknown field `admin`, expected `name` or `tags`"), "{message}");
        let error = decode_form::<Signup>(b"email=a&age=1&tags=x&address[city]=c&role=admin", 8).unwrap_err();
        assert!(matches!(error, ProtocolError::InvalidInput { .. }), "forms too: {error:?}");
        assert_eq!(decode::<Vec<(u8, u8)>>(Some(b"[[1,2]]")), Ok(vec![(1, 2)]), "tuples stay arrays");
    }

    #[test]
    fn strings_refuse_control_characters_unless_raw_text() {
        let error = decode::<Input>(Some(br#"{"name":"a\u0000b","tags":[]}"#)).unwrap_err();
        let ProtocolError::InvalidInput { path, message } = error else { panic!("{error:?}") };
        assert_eq!(path, "name");
        assert!(message.starts_with("control characters"), "{message}");
        assert!(decode_form::<Signup>(b"email=a%07&age=1&tags=x&address[city]=c", 8).is_err(), "forms too");
        assert_eq!(decode::<String>(Some(br#""tab\there\r\nnew line""#)), Ok("tab\there\r\nnew line".into()));
        let raw = decode::<crate::RawText>(Some(br#""bell\u0007""#)).unwrap();
        assert_eq!(raw.0, "bell\u{7}");
    }

    #[test]
    fn canonical_inputs_ignore_whitespace_key_order_and_escapes() {
        let canonical = |raw: &str| canonical(raw.as_bytes()).map(|bytes| String::from_utf8(bytes).unwrap());
        let expected = Some(r#"{"a":[1,2.5,"x"],"b":{"c":null,"d":true}}"#.to_owned());
        assert_eq!(canonical(r#"{"b":{"d":true,"c":null},"a":[1,2.5,"x"]}"#), expected);
        assert_eq!(canonical(" {\n \"a\" : [1, 2.5e0, \"\\u0078\"], \"b\":{\"c\":null,\"d\":true}} "), expected);
        assert_eq!(canonical(r#"{"a":1,"a":2}"#), None, "a duplicate key is not one input");
        assert_eq!(canonical("{"), None);
        assert_eq!(canonical("null"), Some("null".into()));
    }

    #[test]
    fn depth_counts_brackets_outside_strings() {
        assert_eq!(check_depth(b"[[[]]]", 3), Ok(()));
        assert_eq!(check_depth(b"[[[[]]]]", 3), Err(ProtocolError::TooDeep { limit: 3 }));
        assert_eq!(check_depth(br#"["[[[[\"[[[["]"#, 1), Ok(()));
    }
}
