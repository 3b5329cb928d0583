//! Fetching the feed and reading it with the browser's own JSON parser.

use crate::error::Error;
use crate::json::Value;
use gloo_net::http::Request;

/// Fetches `url` and returns its JSON as a value tree.
pub async fn feed_json(url: &str) -> Result<Value, Error> {
    let network = || Error::Network { url: url.to_owned() };
    let response = Request::get(url).send().await.map_err(|_| network())?;
    if !response.ok() {
        return Err(Error::Http { url: url.to_owned(), status: response.status() });
    }
    let text = response.text().await.map_err(|_| network())?;
    parse_json(&text).ok_or_else(|| Error::NotJson { url: url.to_owned() })
}

/// `JSON.parse`, then into the value tree: the browser's parser costs no wasm bytes.
pub fn parse_json(text: &str) -> Option<Value> {
    let js = js_sys::JSON::parse(text).ok()?;
    serde_wasm_bindgen::from_value(js).ok()
}
