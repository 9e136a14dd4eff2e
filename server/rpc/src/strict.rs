//! The input policy every call's decoding goes through, whatever the input type: a struct is
//! made from an object only (never from an array of its fields), an object's fields are the
//! struct's fields only (an unknown field is refused, not ignored), and strings hold no
//! control characters but tab, line feed and carriage return — unless the field is a
//! [`RawText`].
//!
//! serde's derived structs accept arrays and ignore unknown fields; both make one value
//! reachable from many inputs (and cache keys). Refusing them here, by wrapping the
//! deserializer, holds for every input type without an attribute on each.

use std::fmt;

use serde::{
    Deserialize, Serialize,
    de::{self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor},
};
use specta::Type;

/// A string input that may hold any character, control characters included (other string
/// inputs refuse them).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Type)]
#[serde(transparent)]
pub struct RawText(pub String);

/// The name `Strict` recognizes to leave a `RawText` unchecked.
const RAW_TEXT: &str = "isthmus_rpc::RawText";

impl<'de> Deserialize<'de> for RawText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RawTextVisitor;

        impl<'de> Visitor<'de> for RawTextVisitor {
            type Value = RawText;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }

            fn visit_newtype_struct<D: Deserializer<'de>>(self, deserializer: D) -> Result<RawText, D::Error> {
                String::deserialize(deserializer).map(RawText)
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<RawText, E> {
                Ok(RawText(text.to_owned()))
            }
        }

        deserializer.deserialize_newtype_struct(RAW_TEXT, RawTextVisitor)
    }
}

/// A deserializer that applies the policy to everything below it.
pub(crate) struct Strict<D> {
    inner: D,
    /// Set when this deserializes a struct's field name: the names it may be.
    field_of: Option<&'static [&'static str]>,
}

impl<D> Strict<D> {
    pub(crate) fn new(inner: D) -> Self {
        Strict { inner, field_of: None }
    }
}

/// What a wrapped visitor is visiting.
#[derive(Clone, Copy)]
enum Mode {
    Value,
    /// A struct with these fields: from an object only, with these keys only.
    Struct(&'static [&'static str]),
    /// A field name of a struct with these fields.
    FieldName(&'static [&'static str]),
}

struct Checked<V> {
    inner: V,
    mode: Mode,
}

fn check_text<E: de::Error>(text: &str) -> Result<(), E> {
    if text.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')) {
        return Err(E::custom("control characters other than tab and line breaks are not allowed"));
    }
    Ok(())
}

macro_rules! forward_deserialize {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {$(
        fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, D::Error> {
            let mode = self.field_of.map_or(Mode::Value, Mode::FieldName);
            self.inner.$method($($arg,)* Checked { inner: visitor, mode })
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Strict<D> {
    type Error = D::Error;

    forward_deserialize! {
        deserialize_any();
        deserialize_bool();
        deserialize_i8();
        deserialize_i16();
        deserialize_i32();
        deserialize_i64();
        deserialize_i128();
        deserialize_u8();
        deserialize_u16();
        deserialize_u32();
        deserialize_u64();
        deserialize_u128();
        deserialize_f32();
        deserialize_f64();
        deserialize_char();
        deserialize_str();
        deserialize_string();
        deserialize_bytes();
        deserialize_byte_buf();
        deserialize_option();
        deserialize_unit();
        deserialize_unit_struct(name: &'static str);
        deserialize_seq();
        deserialize_tuple(len: usize);
        deserialize_tuple_struct(name: &'static str, len: usize);
        deserialize_map();
        deserialize_enum(name: &'static str, variants: &'static [&'static str]);
        deserialize_identifier();
        deserialize_ignored_any();
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, name: &'static str, visitor: V) -> Result<V::Value, D::Error> {
        if name == RAW_TEXT {
            return self.inner.deserialize_newtype_struct(name, visitor);
        }
        self.inner.deserialize_newtype_struct(name, Checked { inner: visitor, mode: Mode::Value })
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.inner.deserialize_struct(name, fields, Checked { inner: visitor, mode: Mode::Struct(fields) })
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

macro_rules! forward_visit {
    ($($method:ident($ty:ty);)*) => {$(
        fn $method<E: de::Error>(self, value: $ty) -> Result<V::Value, E> {
            self.inner.$method(value)
        }
    )*};
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Checked<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.expecting(f)
    }

    forward_visit! {
        visit_bool(bool);
        visit_i8(i8);
        visit_i16(i16);
        visit_i32(i32);
        visit_i64(i64);
        visit_i128(i128);
        visit_u8(u8);
        visit_u16(u16);
        visit_u32(u32);
        visit_u64(u64);
        visit_u128(u128);
        visit_f32(f32);
        visit_f64(f64);
        visit_bytes(&[u8]);
        visit_byte_buf(Vec<u8>);
    }

    fn visit_borrowed_bytes<E: de::Error>(self, value: &'de [u8]) -> Result<V::Value, E> {
        self.inner.visit_borrowed_bytes(value)
    }

    fn visit_char<E: de::Error>(self, value: char) -> Result<V::Value, E> {
        self.check(value.encode_utf8(&mut [0; 4]))?;
        self.inner.visit_char(value)
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<V::Value, E> {
        self.check(value)?;
        self.inner.visit_str(value)
    }

    fn visit_borrowed_str<E: de::Error>(self, value: &'de str) -> Result<V::Value, E> {
        self.check(value)?;
        self.inner.visit_borrowed_str(value)
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<V::Value, E> {
        self.check(&value)?;
        self.inner.visit_string(value)
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_none()
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<V::Value, D::Error> {
        self.inner.visit_some(Strict::new(deserializer))
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_unit()
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, deserializer: D) -> Result<V::Value, D::Error> {
        self.inner.visit_newtype_struct(Strict::new(deserializer))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        if let Mode::Struct(_) = self.mode {
            return Err(de::Error::invalid_type(de::Unexpected::Seq, &"an object"));
        }
        self.inner.visit_seq(StrictSeq(seq))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        let fields = match self.mode {
            Mode::Struct(fields) => Some(fields),
            Mode::Value | Mode::FieldName(_) => None,
        };
        self.inner.visit_map(StrictMap { inner: map, fields })
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.inner.visit_enum(StrictEnum(data))
    }
}

impl<V> Checked<V> {
    /// Text is free of control characters and, as a struct's field name, one of its fields.
    fn check<E: de::Error>(&self, text: &str) -> Result<(), E> {
        check_text(text)?;
        match self.mode {
            Mode::FieldName(fields) if !fields.contains(&text) => Err(E::unknown_field(text, fields)),
            _ => Ok(()),
        }
    }
}

/// A seed whose value is deserialized under the policy (as a field name of `field_of`).
struct StrictSeed<S> {
    inner: S,
    field_of: Option<&'static [&'static str]>,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for StrictSeed<S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<S::Value, D::Error> {
        self.inner.deserialize(Strict { inner: deserializer, field_of: self.field_of })
    }
}

fn seed<S>(inner: S) -> StrictSeed<S> {
    StrictSeed { inner, field_of: None }
}

struct StrictSeq<A>(A);

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for StrictSeq<A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, element: T) -> Result<Option<T::Value>, A::Error> {
        self.0.next_element_seed(seed(element))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

struct StrictMap<A> {
    inner: A,
    /// A struct's fields: the only keys allowed.
    fields: Option<&'static [&'static str]>,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for StrictMap<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, key: K) -> Result<Option<K::Value>, A::Error> {
        self.inner.next_key_seed(StrictSeed { inner: key, field_of: self.fields })
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, value: T) -> Result<T::Value, A::Error> {
        self.inner.next_value_seed(seed(value))
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

struct StrictEnum<A>(A);

impl<'de, A: EnumAccess<'de>> EnumAccess<'de> for StrictEnum<A> {
    type Error = A::Error;
    type Variant = StrictVariant<A::Variant>;

    fn variant_seed<T: DeserializeSeed<'de>>(self, variant: T) -> Result<(T::Value, Self::Variant), A::Error> {
        let (value, variant) = self.0.variant_seed(seed(variant))?;
        Ok((value, StrictVariant(variant)))
    }
}

struct StrictVariant<A>(A);

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for StrictVariant<A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        self.0.unit_variant()
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, value: T) -> Result<T::Value, A::Error> {
        self.0.newtype_variant_seed(seed(value))
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        self.0.tuple_variant(len, Checked { inner: visitor, mode: Mode::Value })
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        self.0.struct_variant(fields, Checked { inner: visitor, mode: Mode::Struct(fields) })
    }
}
