//! Element trees written as one string and built by one call into JS (`build.js`).
//!
//! A card is about 80 DOM calls made one by one from the wasm, each a crossing of the
//! boundary with its strings decoded and its handles made and dropped; as one string it is
//! one crossing and one decode. Only `createElement`, `setAttribute` and text nodes run on
//! the other side: feed text still never reaches an HTML parser.

use crate::dom::el::Refused;
use js_sys::Array;
use wasm_bindgen::prelude::*;
use web_sys::{Document, Element, Node};

#[wasm_bindgen(module = "/src/dom/build.js")]
extern "C" {
    /// Builds `ops` into a fragment, inserts it into `parent` before `before` (last if
    /// none), and returns the kept elements.
    #[wasm_bindgen(catch)]
    fn build(doc: &Document, parent: &Node, before: Option<&Node>, ops: &str) -> Result<Array, JsValue>;
}

/// The elements a built tree kept, taken in the order they were kept.
pub struct Kept {
    array: Array,
    next: u32,
    len: u32,
}

impl Kept {
    /// The next kept element; `Refused` when there are no more (the tree kept fewer).
    pub fn take(&mut self) -> Result<Element, Refused> {
        if self.next == self.len {
            return Err(Refused);
        }
        self.next += 1;
        Ok(self.array.get(self.next - 1).unchecked_into())
    }

    /// The next kept element if `wanted` (the tree kept one only then).
    pub fn take_if(&mut self, wanted: bool) -> Result<Option<Element>, Refused> {
        if wanted {
            self.take().map(Some)
        } else {
            Ok(None)
        }
    }
}

/// An element tree to build: fields separated by NUL, each starting with its operation.
#[derive(Default)]
pub struct Tree {
    ops: String,
}

impl Tree {
    /// Opens a `tag` element inside the open one, with a `part` name unless it is empty.
    pub fn open(&mut self, tag: &str, part: &str) -> &mut Self {
        self.field('<', tag);
        self.field_text(part);
        self
    }

    /// Sets an attribute of the open element.
    pub fn attr(&mut self, name: &str, value: &str) -> &mut Self {
        self.field('@', name);
        self.field_text(value);
        self
    }

    /// Appends plain text to the open element.
    pub fn text(&mut self, text: &str) -> &mut Self {
        self.ops.push('#');
        self.field_text(text)
    }

    /// Closes the open element.
    pub fn close(&mut self) -> &mut Self {
        self.ops.push_str(">\0");
        self
    }

    /// Keeps the open element: `build` returns the kept ones in the order they were kept.
    pub fn keep(&mut self) -> &mut Self {
        self.ops.push_str("!\0");
        self
    }

    /// Builds the tree and inserts it into `parent` in one piece, before `before` or last;
    /// the kept elements.
    pub fn build(&self, doc: &Document, parent: &Node, before: Option<&Node>) -> Result<Kept, Refused> {
        let array = build(doc, parent, before, &self.ops).map_err(|_| Refused)?;
        Ok(Kept { len: array.length(), array, next: 0 })
    }

    fn field(&mut self, op: char, name: &str) {
        self.ops.push(op);
        self.field_text(name);
    }

    /// A field's text and its end. NUL ends fields, so one in feed text (which no reader
    /// could see) becomes U+FFFD, as a decoder shows what it cannot show.
    fn field_text(&mut self, text: &str) -> &mut Self {
        // Not `contains`, which brings memchr in for this rare case.
        if text.bytes().any(|b| b == 0) {
            for c in text.chars() {
                self.ops.push(if c == '\0' { '\u{FFFD}' } else { c });
            }
        } else {
            self.ops.push_str(text);
        }
        self.ops.push('\0');
        self
    }
}
