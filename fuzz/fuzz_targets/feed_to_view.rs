//! The fuzz target over `fuzz/checks/feed_to_view.rs`.
#![no_main]

#[path = "../checks/feed_to_view.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
