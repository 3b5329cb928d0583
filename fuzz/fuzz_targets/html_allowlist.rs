//! The fuzz target over `fuzz/checks/html_allowlist.rs`.
#![no_main]

#[path = "../checks/html_allowlist.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
