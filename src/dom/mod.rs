//! Everything that touches the browser. Compiled only for wasm32; it carries out the
//! decisions of the pure modules and owns no logic worth testing natively.

mod alloc;
pub mod banner;
mod browser;
pub mod build;
mod beacon;
pub mod card;
mod console;
pub mod el;
pub mod entry;
pub mod fetch;
mod intl;
pub mod json;
mod listener;
mod live;
pub mod mount;
pub mod page;
pub mod promise;
mod storage;
mod style;
mod timer;
mod track;
pub mod verify;

pub use console::report;
pub use entry::{render, start, update};
/// Moves the test clock forward (the browser suite's; see `timer`).
#[cfg(feature = "test-clock")]
pub use timer::advance;
