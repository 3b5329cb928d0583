//! The widget's one stylesheet, constructed once and adopted by every shadow root.
//!
//! Constructed stylesheets apply under `style-src 'self'`, where `<style>` elements and
//! `style=` attributes are blocked. Hosts theme through the custom properties and `::part()`.

use crate::css;
use crate::dom::browser;
use crate::error::Error;
use std::cell::Cell;
use web_sys::{CssStyleSheet, ShadowRoot};

const SOURCE: &str = include_str!("widget.css");
const LEN: usize = css::minified_len(SOURCE);
const MINIFIED: [u8; LEN] = css::minify(SOURCE);
/// The sheet as shipped: minified when the crate compiles (see `css`).
const CSS: &str = match std::str::from_utf8(&MINIFIED) {
    Ok(css) => css,
    Err(_) => panic!("minifying the stylesheet broke its UTF-8"),
};

thread_local! {
    static SHEET: Cell<Option<CssStyleSheet>> = const { Cell::new(None) };
}

fn sheet() -> Result<CssStyleSheet, Error> {
    SHEET.with(|cell| {
        let s = match cell.take() {
            Some(s) => s,
            None => browser::sheet(CSS).map_err(|_| Error::Unsupported("constructable stylesheets"))?,
        };
        cell.set(Some(s.clone()));
        Ok(s)
    })
}

/// Makes `root` use the widget's stylesheet.
pub fn adopt(root: &ShadowRoot) -> Result<(), Error> {
    browser::adopt(root, &sheet()?);
    Ok(())
}

/// Whether `root` was styled by this instance (not by another copy of the script).
pub fn is_ours(root: &ShadowRoot) -> bool {
    SHEET.with(|cell| {
        let Some(s) = cell.take() else { return false };
        let ours = browser::adopts(root, &s);
        cell.set(Some(s));
        ours
    })
}
