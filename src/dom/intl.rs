//! Dates, times, numbers and plural categories from the browser's `Intl`.
//!
//! The four formatters of a language are made in one call (`browser::formatters`), whose
//! `RangeError` (an unknown time zone or locale) comes back as a value instead of being
//! thrown into the host page; their methods are bound here.

use crate::error::Error;
use crate::i18n::{Locale, Plural};
use crate::dom::browser;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = Intl, js_name = DateTimeFormat)]
    type DateTimeFormat;
    #[wasm_bindgen(method, js_class = "DateTimeFormat")]
    fn format(this: &DateTimeFormat, epoch_ms: f64) -> String;

    #[wasm_bindgen(js_namespace = Intl, js_name = NumberFormat)]
    type NumberFormat;
    #[wasm_bindgen(method, js_class = "NumberFormat", js_name = format)]
    fn format_number(this: &NumberFormat, n: f64) -> String;

    #[wasm_bindgen(js_namespace = Intl, js_name = PluralRules)]
    type PluralRules;
    #[wasm_bindgen(method, js_class = "PluralRules")]
    fn select(this: &PluralRules, n: f64) -> String;
}

/// `tag`'s canonical form (`EN-us` → `en-US`), or `None` if the browser refuses it.
pub fn canonical(tag: &str) -> Option<String> {
    browser::canonical_locale(tag).ok().flatten()
}

/// Formatters for one locale and time zone.
pub struct Formatters {
    date: DateTimeFormat,
    time: DateTimeFormat,
    number: NumberFormat,
    plural: PluralRules,
}

impl Formatters {
    /// Formatters for `locale` (a canonical tag), in `time_zone` (the reader's own when `None`).
    pub fn new(locale: &Locale, time_zone: Option<&str>) -> Result<Formatters, Error> {
        // The tag is canonical (`intl::canonical`), so a refusal with a time zone given is
        // the time zone's.
        let all = browser::formatters(&locale.tag, locale.lang.hour_style(), time_zone.unwrap_or("")).map_err(|_| match time_zone {
            Some(tz) => Error::BadSetting { name: "data-time-zone", value: tz.to_owned(), expected: "an IANA time zone such as Africa/Bamako" },
            None => Error::Unsupported("Intl for this language"),
        })?;
        Ok(Formatters {
            date: all.get(0).unchecked_into(),
            time: all.get(1).unchecked_into(),
            number: all.get(2).unchecked_into(),
            plural: all.get(3).unchecked_into(),
        })
    }

    /// `18 juin 2017` / `June 18, 2017`.
    pub fn date(&self, epoch_ms: i64) -> String {
        self.date.format(epoch_ms as f64)
    }

    /// `18:48` / `6:48 PM`.
    pub fn time(&self, epoch_ms: i64) -> String {
        self.time.format(epoch_ms as f64)
    }

    /// `12 345` / `12,345`, and its plural category.
    pub fn count(&self, n: u64) -> (String, Plural) {
        let n = n as f64;
        (self.number.format_number(n), Plural::from_category(&self.plural.select(n)))
    }
}
