//! Turning the raw JSON of a call into the procedure's input type, with errors precise
//! enough for the caller to fix the request.

use serde::de::DeserializeOwned;

use super::{error::ProtocolError, handler::RawInput};

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

/// Decodes a call's input. An absent input decodes as JSON `null`, so procedures without
/// input (`()`) and with optional input (`Option<T>`) can be called with no argument.
pub(crate) fn decode<T: DeserializeOwned>(raw: Option<&[u8]>) -> Result<T, ProtocolError> {
    let raw = raw.unwrap_or(b"null");
    let mut deserializer = serde_json::Deserializer::from_slice(raw);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
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
    serde_qs::Config::new()
        .max_depth(max_depth as usize)
        .use_form_encoding(true)
        .deserialize_bytes(pairs)
        .map_err(|error| ProtocolError::InvalidInput { path: String::new(), message: error.to_string() })
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
    fn depth_counts_brackets_outside_strings() {
        assert_eq!(check_depth(b"[[[]]]", 3), Ok(()));
        assert_eq!(check_depth(b"[[[[]]]]", 3), Err(ProtocolError::TooDeep { limit: 3 }));
        assert_eq!(check_depth(br#"["[[[[\"[[[["]"#, 1), Ok(()));
    }
}
