//! The widget's one stylesheet, constructed once and adopted by every shadow root.
//!
//! Constructed stylesheets apply under `style-src 'self'`, where `<style>` elements and
//! `style=` attributes are blocked. Hosts theme through the custom properties and `::part()`.

use crate::error::Error;
use std::cell::RefCell;
use web_sys::{CssStyleSheet, ShadowRoot};

const CSS: &str = include_str!("widget.css");

thread_local! {
    static SHEET: RefCell<Option<CssStyleSheet>> = const { RefCell::new(None) };
}

fn sheet() -> Result<CssStyleSheet, Error> {
    SHEET.with(|cell| {
        if let Some(s) = cell.borrow().as_ref() {
            return Ok(s.clone());
        }
        let s = CssStyleSheet::new().map_err(|_| Error::Unsupported("constructable stylesheets"))?;
        s.replace_sync(CSS).map_err(|_| Error::Unsupported("constructable stylesheets"))?;
        *cell.borrow_mut() = Some(s.clone());
        Ok(s)
    })
}

/// Makes `root` use the widget's stylesheet.
pub fn adopt(root: &ShadowRoot) -> Result<(), Error> {
    let sheets = js_sys::Array::of1(&sheet()?.into());
    root.set_adopted_style_sheets(&sheets);
    Ok(())
}
