//! A plain JSON value tree, filled by any serde deserializer, and the read access feed
//! validation uses (which the browser's own parsed objects also give).
//!
//! Feed validation is written by hand against [`Json`], so that every error can name its
//! JSON path (`items[2].date_published`), which serde's derived errors cannot, and so that
//! no serde error formatting is shipped in the wasm.

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// Nesting deeper than this is cut off: no feed needs it, and it bounds recursion.
pub const MAX_DEPTH: usize = 64;

/// One JSON value; objects keep their key order and last duplicate wins on lookup.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null` (and JS `undefined`).
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// Any number.
    Number(f64),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object, as key/value pairs.
    Object(Vec<(String, Value)>),
    /// A subtree nested deeper than [`MAX_DEPTH`], dropped unread.
    TooDeep,
}

/// What type a JSON value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `null` (and JS `undefined`).
    Null,
    /// `true` or `false`.
    Bool,
    /// A number.
    Number,
    /// A string.
    String,
    /// An array.
    Array,
    /// An object.
    Object,
    /// Nested deeper than [`MAX_DEPTH`].
    TooDeep,
}

impl Kind {
    /// The type's name, for error messages.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Null => "null",
            Kind::Bool => "a boolean",
            Kind::Number => "a number",
            Kind::String => "a string",
            Kind::Array => "an array",
            Kind::Object => "an object",
            Kind::TooDeep => "nested too deeply",
        }
    }
}

/// Read access to a parsed JSON value, as feed validation needs it: the tree above natively
/// (tests, fuzzing), and in the browser `JSON.parse`'s own result, read in place, so that
/// the feed is not first copied into a tree (see `dom/json.rs`).
pub trait Json: Sized {
    /// The value under `key`, when this object has that key. Asked of objects only (the
    /// browser's reading checks nothing: see `dom/json.rs`).
    fn get(&self, key: &str) -> Option<Self>;
    /// This value's type.
    fn kind(&self) -> Kind;
    /// The string, when this is one.
    fn string(&self) -> Option<String>;
    /// The number, when this is one.
    fn number(&self) -> Option<f64>;
    /// The elements, when this is an array.
    fn elements(&self) -> Option<Vec<Self>>;
    /// Whether this is null.
    fn is_null(&self) -> bool {
        self.kind() == Kind::Null
    }
    /// The value under `key`, unless it is missing or null. Asked of objects only.
    fn present(&self, key: &str) -> Option<Self> {
        self.get(key).filter(|v| !v.is_null())
    }
    /// The string under `key`: `Ok(None)` when it is missing or null, `Err` with its type
    /// when it is something else. Asked of objects only. Most of a feed is read this way,
    /// so the browser's objects answer it in one call (see `dom/json.rs`).
    fn string_at(&self, key: &str) -> Result<Option<String>, Kind> {
        match self.present(key) {
            None => Ok(None),
            Some(v) => v.string().map(Some).ok_or_else(|| v.kind()),
        }
    }
}

impl Value {
    /// The value under `key` when this is an object.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(pairs) => pairs.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

impl<'a> Json for &'a Value {
    fn get(&self, key: &str) -> Option<&'a Value> {
        Value::get(self, key)
    }

    fn kind(&self) -> Kind {
        match self {
            Value::Null => Kind::Null,
            Value::Bool(_) => Kind::Bool,
            Value::Number(_) => Kind::Number,
            Value::String(_) => Kind::String,
            Value::Array(_) => Kind::Array,
            Value::Object(_) => Kind::Object,
            Value::TooDeep => Kind::TooDeep,
        }
    }

    fn string(&self) -> Option<String> {
        match self {
            Value::String(s) => Some(s.clone()),
            _ => None,
        }
    }

    fn number(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }

    fn elements(&self) -> Option<Vec<&'a Value>> {
        match self {
            Value::Array(items) => Some(items.iter().collect()),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor { depth: 0 })
    }
}

struct ValueVisitor {
    depth: usize,
}

/// Deserializes one nested value one level deeper, or skips it past the depth limit.
struct Nested(usize);

impl<'de> serde::de::DeserializeSeed<'de> for Nested {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        if self.0 > MAX_DEPTH {
            serde::de::IgnoredAny::deserialize(d)?;
            return Ok(Value::TooDeep);
        }
        d.deserialize_any(ValueVisitor { depth: self.0 })
    }
}

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("JSON")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v as f64))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v as f64))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Number(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(Nested(self.depth + 1))? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(k) = map.next_key::<String>()? {
            let v = map.next_value_seed(Nested(self.depth + 1))?;
            out.push((k, v));
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Value {
        serde_json::from_str(s).expect("valid JSON")
    }

    #[test]
    fn reads_every_kind_of_value() {
        let v = parse(r#"{"a":[1,2.5,-3],"b":"é","c":null,"d":true}"#);
        assert_eq!(
            v.get("a"),
            Some(&Value::Array(vec![Value::Number(1.0), Value::Number(2.5), Value::Number(-3.0)]))
        );
        assert_eq!(v.get("b"), Some(&Value::String("é".into())));
        assert_eq!(v.get("c"), Some(&Value::Null));
        assert_eq!(v.get("d"), Some(&Value::Bool(true)));
        assert_eq!(v.get("zz"), None);
    }

    #[test]
    fn last_duplicate_key_wins() {
        assert_eq!(parse(r#"{"a":1,"a":2}"#).get("a"), Some(&Value::Number(2.0)));
    }

    #[test]
    fn deep_nesting_is_cut_off_not_recursed() {
        let depth = MAX_DEPTH + 10;
        let s = "[".repeat(depth) + &"]".repeat(depth);
        let mut v = &parse(&s);
        let mut levels = 0;
        while let Value::Array(items) = v {
            levels += 1;
            match items.first() {
                Some(inner) => v = inner,
                None => break,
            }
        }
        assert_eq!(v, &Value::TooDeep);
        assert_eq!(levels, MAX_DEPTH + 1);
    }
}
