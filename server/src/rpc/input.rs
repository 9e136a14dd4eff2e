//! Turning the raw JSON of a call into the procedure's input type, with errors precise
//! enough for the caller to fix the request.

use serde::de::DeserializeOwned;

use super::error::ProtocolError;

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

    #[test]
    fn depth_counts_brackets_outside_strings() {
        assert_eq!(check_depth(b"[[[]]]", 3), Ok(()));
        assert_eq!(check_depth(b"[[[[]]]]", 3), Err(ProtocolError::TooDeep { limit: 3 }));
        assert_eq!(check_depth(br#"["[[[[\"[[[["]"#, 1), Ok(()));
    }
}
