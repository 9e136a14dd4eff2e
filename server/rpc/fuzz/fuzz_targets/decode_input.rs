//! Input decoding, JSON and forms, into the shapes procedures take (structs, nested and
//! optional fields, sequences, enums, raw text, validated input): any bytes give a value or a
//! `ProtocolError`, never a panic.

#![no_main]

use axum::body::Bytes;
use isthmus_rpc::{DecodeInput, RawInput, RawText, Valid};
use libfuzzer_sys::fuzz_target;
use serde::Deserialize;
use validator::Validate;

#[derive(Debug, Deserialize, Validate)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code, reason = "decoded, never read")]
struct Signup {
    #[validate(email)]
    email: String,
    #[validate(length(min = 1, max = 100))]
    name: String,
    age: Option<u8>,
    tags: Vec<String>,
    address: Option<Address>,
    plan: Option<Plan>,
    note: Option<RawText>,
}

#[derive(Debug, Deserialize, Validate)]
#[allow(dead_code, reason = "decoded, never read")]
struct Address {
    city: String,
    lines: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code, reason = "decoded, never read")]
enum Plan {
    Free,
    Paid { seats: u32 },
    Custom(String),
}

fuzz_target!(|data: &[u8]| {
    // The first byte picks the encoding; the rest is the input.
    let Some((&encoding, input)) = data.split_first() else { return };
    let raw = match encoding % 3 {
        0 => RawInput::Json(Some(Bytes::copy_from_slice(input))),
        1 => RawInput::Form { pairs: Bytes::copy_from_slice(input), max_depth: 8 },
        _ => RawInput::Json(None),
    };
    let _ = Signup::decode_input(&raw);
    let _ = Valid::<Signup>::decode_input(&raw);
    let _ = <Vec<Option<(u8, String)>>>::decode_input(&raw);
    let _ = <Option<Plan>>::decode_input(&raw);
    let _ = RawText::decode_input(&raw);
    let _ = <()>::decode_input(&raw);
});
