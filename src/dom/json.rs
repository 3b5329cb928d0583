//! `JSON.parse`'s result, read in place by feed validation.
//!
//! The browser's parser costs no wasm bytes, and reading its objects directly means the
//! feed is never copied into a Rust tree first (measured: 0.14 KB gzip less than walking it
//! into `json::Value`; serde-wasm-bindgen measured 13 KB more, mostly serde's error
//! formatting, which drags float printing in).

use crate::json::{Json, Kind};
use js_sys::Array;
use wasm_bindgen::{JsCast, JsValue};

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// `JSON.parse` of a JS string (js-sys's takes a Rust `&str`, which would copy the feed
    /// out of the wasm again).
    #[wasm_bindgen(js_namespace = JSON, js_name = parse, catch)]
    fn parse_js(text: &js_sys::JsString) -> Result<JsValue, JsValue>;

    /// `Object.hasOwn` with the key as a Rust string (js-sys's takes a JS value, made and
    /// dropped by two more calls).
    #[wasm_bindgen(js_namespace = Object, js_name = hasOwn)]
    fn has_own(object: &JsValue, key: &str) -> bool;

    /// `Reflect.get` with the key as a Rust string; never throws on what `JSON.parse` makes
    /// (no getters), so without js-sys's `catch` wrapper.
    #[wasm_bindgen(js_namespace = Reflect, js_name = get)]
    fn field(object: &JsValue, key: &str) -> JsValue;
}

#[wasm_bindgen::prelude::wasm_bindgen(module = "/src/dom/json.js")]
extern "C" {
    /// The own string property `key`, `None` when missing or null; throws the value when it
    /// is of another type.
    #[wasm_bindgen(js_name = stringAt, catch)]
    fn string_at(object: &JsValue, key: &str) -> Result<Option<String>, JsValue>;

    /// What a `JSON.parse` value is: 0 null (or undefined), 1 boolean, 2 number, 3 string,
    /// 4 array, 5 object.
    #[wasm_bindgen(js_name = kindOf)]
    fn kind_of(value: &JsValue) -> u8;
}

/// Parses `text` with the browser's `JSON.parse`; `None` when it is not JSON. The same path
/// as the widget's feed, for text that starts in Rust (the tests).
pub fn parse(text: &str) -> Option<JsValue> {
    parse_text(&js_sys::JsString::from(text))
}

/// Parses a JS string with `JSON.parse`; `None` when it is not JSON.
pub fn parse_text(text: &js_sys::JsString) -> Option<JsValue> {
    parse_js(text).ok()
}

impl Json for JsValue {
    fn get(&self, key: &str) -> Option<JsValue> {
        // Asked of objects only (feed validation checks a value's kind first), so no type
        // checks here: two calls into JS for a field, not six (a hundred items read two
        // thousand fields).
        debug_assert!(self.kind() == Kind::Object, "a field of a non-object");
        // Own properties only: a host page may have added to Object.prototype.
        has_own(self, key).then(|| field(self, key))
    }

    fn kind(&self) -> Kind {
        // One call where wasm-bindgen's type checks make up to five (an object's).
        match kind_of(self) {
            1 => Kind::Bool,
            2 => Kind::Number,
            3 => Kind::String,
            4 => Kind::Array,
            5 => Kind::Object,
            _ => Kind::Null,
        }
    }

    fn string(&self) -> Option<String> {
        self.as_string()
    }

    fn number(&self) -> Option<f64> {
        self.as_f64()
    }

    fn elements(&self) -> Option<Vec<JsValue>> {
        if !Array::is_array(self) {
            return None;
        }
        let array = self.unchecked_ref::<Array>();
        let mut out = Vec::new();
        for i in 0..array.length() {
            out.push(array.get(i));
        }
        Some(out)
    }

    fn is_null(&self) -> bool {
        self.is_null_or_undefined()
    }

    fn string_at(&self, key: &str) -> Result<Option<String>, Kind> {
        // One call where `get`, `is_null`, `kind` and `string` make four or more.
        debug_assert!(self.kind() == Kind::Object, "a field of a non-object");
        string_at(self, key).map_err(|other| other.kind())
    }
}
