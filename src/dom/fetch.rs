//! Fetching the feed and reading it with the browser's own JSON parser.

use crate::error::Error;
use crate::json::{Value, MAX_DEPTH};
use gloo_net::http::Request;
use js_sys::{Array, Object};
use web_sys::RequestCache;
use wasm_bindgen::{JsCast, JsValue};

/// Fetches `url` and returns its JSON as a value tree; `fresh` revalidates past the HTTP cache.
pub async fn feed_json(url: &str, fresh: bool) -> Result<Value, Error> {
    let network = || Error::Network { url: url.to_owned() };
    let cache = if fresh { RequestCache::NoCache } else { RequestCache::Default };
    let response = Request::get(url).cache(cache).send().await.map_err(|_| network())?;
    if !response.ok() {
        return Err(Error::Http { url: url.to_owned(), status: response.status() });
    }
    let text = response.text().await.map_err(|_| network())?;
    parse_json(&text).ok_or_else(|| Error::NotJson { url: url.to_owned() })
}

/// `JSON.parse`, then a walk of the result into the value tree.
///
/// The browser's parser costs no wasm bytes. The walk is a dozen lines of js-sys; going
/// through serde-wasm-bindgen instead measured 13 KB gzip more, mostly serde's error
/// formatting (which drags float printing in), a third of the size budget.
pub fn parse_json(text: &str) -> Option<Value> {
    js_sys::JSON::parse(text).ok().map(|js| from_js(&js, 0))
}

fn from_js(v: &JsValue, depth: usize) -> Value {
    if depth > MAX_DEPTH {
        return Value::TooDeep;
    }
    if let Some(s) = v.as_string() {
        Value::String(s)
    } else if let Some(n) = v.as_f64() {
        Value::Number(n)
    } else if let Some(b) = v.as_bool() {
        Value::Bool(b)
    } else if let Some(a) = v.dyn_ref::<Array>() {
        Value::Array(a.iter().map(|x| from_js(&x, depth + 1)).collect())
    } else if v.is_object() {
        let entries = Object::entries(v.unchecked_ref());
        let pairs = entries.iter().filter_map(|e| {
            let pair: Array = e.unchecked_into();
            Some((pair.get(0).as_string()?, from_js(&pair.get(1), depth + 1)))
        });
        Value::Object(pairs.collect())
    } else {
        Value::Null
    }
}
