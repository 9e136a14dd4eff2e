//! Origin policies from configuration text, and origins checked against them: the public
//! origin a policy accepts is always allowed, and nothing panics.

#![no_main]

use isthmus_rpc::OriginPolicy;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // Line one: the public origin; line two: extra origins, comma-separated; the rest:
    // origins to check.
    let mut lines = text.lines();
    let public = lines.next().unwrap_or_default();
    let extra = lines.next().unwrap_or_default();
    let Ok(policy) = OriginPolicy::new(public, extra.split(',').filter(|origin| !origin.is_empty())) else { return };
    let accepted = policy.public().expect("a policy made from a public origin has one").to_owned();
    assert!(policy.allows(&accepted), "the policy refuses its own public origin {accepted:?}");
    for origin in lines {
        let _ = policy.allows(origin);
    }
});
