//! Dépêche's collector: serves the feed with live read counts, counts views from beacons,
//! and serves the demo pages.

pub mod beacon;
pub mod cli;
pub mod client;
pub mod feed;
pub mod grip;
pub mod limits;
pub mod listing;
pub mod metrics;
pub mod routes;
pub mod server;
pub mod sources;
pub mod stats;
pub mod store;
pub mod visitor;

pub use routes::{app, partner_app, AppState, Config};
