//! The fuzz target over `fuzz/checks/source_map.rs`.
#![no_main]

#[path = "../../collector/src/sources"]
#[allow(dead_code)]
mod sources {
    pub mod guard;
    pub mod guest;
    pub mod map;
}

#[path = "../checks/source_map.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
