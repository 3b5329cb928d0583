//! The HTTP handlers, one module per concern; `routes::app` puts them together.

pub mod beacon;
pub mod desk;
pub mod feed;
pub mod pages;
