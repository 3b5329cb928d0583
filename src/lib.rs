//! Dépêche: an embeddable breaking-news widget (urgent banner and article card) in WebAssembly.
//!
//! Pure modules (no browser calls, tested with `cargo test`) decide everything; the `dom`
//! module, compiled only for wasm32, turns those decisions into nodes, listeners and requests.

pub mod banner;
pub mod beacon;
pub mod css;
pub mod dismissals;
pub mod error;
pub mod feed;
pub mod feed_cache;
pub mod html;
pub mod i18n;
pub mod json;
pub mod live;
pub mod reconcile;
pub mod refresh;
pub mod retry;
pub mod rfc3339;
pub mod settings;
pub mod signed;
pub mod text;
pub mod url;
pub mod view;
pub mod viewability;

#[cfg(target_arch = "wasm32")]
pub mod dom;

pub use error::Error;
pub use feed::{Feed, Item};
pub use settings::Settings;

