use std::{fmt, str::FromStr};

use serde::{Deserialize, Deserializer, Serialize, Serializer, de};
use specta::{Type, Types, datatype::DataType};

/// A 64-bit integer that crosses the wire as a decimal string.
///
/// JavaScript numbers hold integers exactly only up to 2^53, so `i64` values travel as
/// strings (`"9007199254740993"`) and are typed `string` in TypeScript, as in protobuf's JSON
/// mapping. Parse them with `BigInt(value)` when arithmetic is needed. Plain `i64`/`u64`
/// fields are refused by the exporter, so a lossy mapping cannot slip in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Int64(pub i64);

impl Type for Int64 {
    fn definition(types: &mut Types) -> DataType {
        String::definition(types)
    }
}

impl Serialize for Int64 {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

/// Accepts the string form and, for convenience, JSON integers.
impl<'de> Deserialize<'de> for Int64 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = Int64;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a 64-bit integer as a decimal string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Int64, E> {
                i64::from_str(v).map(Int64).map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Int64, E> {
                Ok(Int64(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Int64, E> {
                i64::try_from(v).map(Int64).map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl From<i64> for Int64 {
    fn from(value: i64) -> Self {
        Int64(value)
    }
}

impl fmt::Display for Int64 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::Int64;

    #[test]
    fn round_trips_beyond_javascript_precision() {
        let value = Int64(9_007_199_254_740_993);
        let json = serde_json::to_string(&value).unwrap();
        assert_eq!(json, r#""9007199254740993""#);
        assert_eq!(serde_json::from_str::<Int64>(&json).unwrap(), value);
        assert_eq!(serde_json::from_str::<Int64>("-42").unwrap(), Int64(-42));
        assert!(serde_json::from_str::<Int64>(r#""12a""#).is_err());
    }
}
