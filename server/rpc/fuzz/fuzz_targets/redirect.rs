//! The redirect-target check after form posts: whatever it accepts is a path on this site —
//! one `/` followed by neither `/` nor `\`, without control characters.

#![no_main]

use isthmus_rpc::is_site_path;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(path) = std::str::from_utf8(data) else { return };
    if is_site_path(path) {
        assert!(path.starts_with('/'), "{path:?}");
        assert!(!matches!(path.as_bytes().get(1), Some(b'/' | b'\\')), "{path:?}");
        assert!(!path.chars().any(char::is_control), "{path:?}");
    }
});
