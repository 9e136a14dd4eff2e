//! Serde adapters for model fields whose JSON form differs from their Rust form, so that
//! TypeScript receives them without loss.

/// `BigInt` fields: decimal strings, since JavaScript numbers are exact only to 2^53.
pub mod int64 {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the number as a decimal string.
    pub fn serialize<S: Serializer>(value: &i64, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(value)
    }

    /// Reads a decimal string; a JSON number is refused.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
        String::deserialize(deserializer)?.parse().map_err(serde::de::Error::custom)
    }

    /// Optional `BigInt` fields: a decimal string, or `null`.
    pub mod option {
        use serde::{Deserialize, Deserializer, Serializer};

        /// Writes the number as a decimal string, `None` as `null`.
        pub fn serialize<S: Serializer>(value: &Option<i64>, serializer: S) -> Result<S::Ok, S::Error> {
            match value {
                Some(value) => serializer.collect_str(value),
                None => serializer.serialize_none(),
            }
        }

        /// Reads a decimal string or `null`; a JSON number is refused.
        pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
            Option::<String>::deserialize(deserializer)?
                .map(|text| text.parse().map_err(serde::de::Error::custom))
                .transpose()
        }
    }
}

/// `Bytes` fields: standard base64 strings.
pub mod base64 {
    use base64::{Engine, engine::general_purpose::STANDARD};
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the bytes as padded standard base64.
    pub fn serialize<S: Serializer>(value: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(value))
    }

    /// Reads padded standard base64.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        STANDARD.decode(String::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }

    /// Optional `Bytes` fields: a base64 string, or `null`.
    pub mod option {
        use base64::{Engine, engine::general_purpose::STANDARD};
        use serde::{Deserialize, Deserializer, Serializer};

        /// Writes the bytes as padded standard base64, `None` as `null`.
        pub fn serialize<S: Serializer>(value: &Option<Vec<u8>>, serializer: S) -> Result<S::Ok, S::Error> {
            match value {
                Some(value) => serializer.serialize_str(&STANDARD.encode(value)),
                None => serializer.serialize_none(),
            }
        }

        /// Reads padded standard base64 or `null`.
        pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Vec<u8>>, D::Error> {
            Option::<String>::deserialize(deserializer)?
                .map(|text| STANDARD.decode(text).map_err(serde::de::Error::custom))
                .transpose()
        }
    }
}
