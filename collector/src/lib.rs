//! Dépêche's collector: serves the feed with live read counts, counts views from beacons,
//! and serves the demo pages.

pub mod admission;
pub mod auth;
pub mod cli;
pub mod client;
pub mod error;
pub mod feed;
pub mod feed_view;
pub mod grip;
pub mod handlers;
pub mod limits;
pub mod listing;
pub mod metrics;
pub mod routes;
pub mod server;
pub mod signing;
pub mod sources;
pub mod state;
pub mod stats;
pub mod store;
pub mod visitor;

pub use routes::{app, partner_app};
pub use state::{AppState, Config};
