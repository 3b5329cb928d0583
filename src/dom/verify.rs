//! Signatures asked for by `data-key`: each item's check (`signed::check`) sent to WebCrypto
//! in one call, and only the items it verified passed on. The decisions are `signed`'s.

use crate::dom::{browser, page, promise};
use crate::error::Error;
use crate::feed::Feed;
use crate::signed;
use std::cell::Cell;
use wasm_bindgen::JsValue;

thread_local! {
    /// Bumped on each check, so that an older check that ends late shows nothing.
    static GENERATION: Cell<u32> = const { Cell::new(0) };
}

/// Calls `then` with `feed` as far as `keys` vouch for it: every item the newsroom did not
/// sign with one of them is left out, and named in one console message each. At once when
/// nothing needs WebCrypto; never, if a newer check has started meanwhile.
pub fn verified(mut feed: Feed, keys: &str, then: impl FnOnce(Feed) + 'static) {
    let generation = GENERATION.with(|g| {
        g.set(g.get().wrapping_add(1));
        g.get()
    });
    // Key, signature and signed text of each check, one after the other: one array, one call.
    let list = js_sys::Array::new();
    let checked: Vec<Result<(), &'static str>> = feed
        .items
        .iter()
        .map(|item| {
            let (key, sig) = signed::check(item, keys)?;
            // `strip_prefix`, not `trim_start_matches`: a string pattern's searcher costs 1 KB of wasm.
            for part in [key.strip_prefix(signed::KEY_PREFIX).unwrap_or(key), sig, &signed::canonical(item)] {
                list.push(&JsValue::from_str(part));
            }
            Ok(())
        })
        .collect();
    let finish = move |verified: Vec<bool>| {
        if GENERATION.with(Cell::get) != generation {
            return;
        }
        let mut verdicts = signed::verdicts(&checked, &verified).into_iter();
        feed.items.retain(|item| match verdicts.next().flatten() {
            None => true,
            Some(why) => {
                page::error(&Error::Unsigned { id: item.id.clone(), why });
                false
            }
        });
        then(feed);
    };
    if list.length() == 0 {
        return finish(Vec::new());
    }
    match browser::verify_all(&list) {
        Ok(p) => promise::then(&p, move |answer| {
            let answers = answer.ok().map(|a| js_sys::Array::from(&a).iter().map(|v| v.as_bool() == Some(true)).collect());
            finish(answers.unwrap_or_default());
        }),
        Err(_) => finish(Vec::new()),
    }
}
