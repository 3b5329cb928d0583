//! Signed items: the canonical bytes of an item as the newsroom wrote it (one definition, used
//! by the widget to verify and by the collector to sign), and what to do with each item of a
//! feed when `data-key` asks for signatures. Pure: the signature check itself
//! is WebCrypto's (Ed25519), in `dom/`.
//!
//! The canonical form, version 1, is UTF-8 text: the line `depeche-item-1`, then one line per
//! field of the validated item, always in this order and always present: `id`, `title`,
//! `url`, `summary`, `content_text`, `content_html`, `image`, `language`, `signature`,
//! `dateline`, `kicker`, `date_published`, `date_modified`, `expires`, `authors`, `urgency`,
//! `withdrawn`. A string is `NAME LEN:TEXT` (LEN its length in UTF-8 bytes, so that no text
//! can end a field early), an absent one `NAME -`; a date is `NAME MILLIS` (ms since the
//! epoch, as the widget reads it, so `Z` and `+00:00` sign the same); `authors` is
//! `authors N` then each name as a string line named `author`; `urgency` is its digit (5
//! when the item says none); `withdrawn` is `0` or `1`. Each line ends with `\n`. The read
//! count is not signed: it changes without the newsroom; nor is the signature itself.
//! Vectors: `tests/vectors/signed-items.json`.

use crate::feed::Item;
use crate::text::push_u64;

/// The prefix of a key in `data-key` and in a signature: the algorithm.
pub const KEY_PREFIX: &str = "ed25519:";

/// The canonical bytes of `item` (see the module's documentation).
pub fn canonical(item: &Item) -> String {
    let mut out = String::from("depeche-item-1\n");
    let o = &mut out;
    text(o, "id", Some(&item.id));
    text(o, "title", Some(&item.title));
    text(o, "url", item.url.as_deref());
    text(o, "summary", item.summary.as_deref());
    text(o, "content_text", item.content_text.as_deref());
    text(o, "content_html", item.content_html.as_deref());
    text(o, "image", item.image.as_deref());
    text(o, "language", item.language.as_deref());
    text(o, "signature", item.signature.as_deref());
    text(o, "dateline", item.dateline.as_deref());
    text(o, "kicker", item.kicker.as_deref());
    date(o, "date_published", item.date_published);
    date(o, "date_modified", item.date_modified);
    date(o, "expires", item.expires);
    number(o, "authors", "", item.authors.len() as u64);
    for a in &item.authors {
        text(o, "author", Some(a));
    }
    number(o, "urgency", "", u64::from(item.urgency));
    number(o, "withdrawn", "", u64::from(item.withdrawn));
    out
}

/// A date's line: `NAME MILLIS`, or `NAME -` when absent.
fn date(out: &mut String, name: &str, value: Option<crate::rfc3339::Millis>) {
    match value {
        Some(ms) => number(out, name, if ms < 0 { "-" } else { "" }, ms.unsigned_abs()),
        None => text(out, name, None),
    }
}

/// A string's line: `NAME LEN:TEXT`, or `NAME -` when absent.
fn text(out: &mut String, name: &str, value: Option<&str>) {
    out.push_str(name);
    match value {
        Some(s) => {
            out.push(' ');
            push_u64(out, s.len() as u64);
            out.push(':');
            out.push_str(s);
        }
        None => out.push_str(" -"),
    }
    out.push('\n');
}

/// A number's line: `NAME SIGNDIGITS`.
fn number(out: &mut String, name: &str, sign: &str, n: u64) {
    out.push_str(name);
    out.push(' ');
    out.push_str(sign);
    push_u64(out, n);
    out.push('\n');
}

/// Whether `keys` (`data-key`: public keys such as `ed25519:…`, separated by spaces) names
/// `key`, as a signature gives it (`ed25519:…`). A token of another form names no signature.
pub fn trusts(keys: &str, key: &str) -> bool {
    // Split on ' ' alone: a whitespace splitter costs wasm, and an empty token names nothing.
    keys.split(' ').any(|k| k == key)
}

/// What to do with `item` given `data-key`'s `keys`: its `_depeche.sig` is
/// `ed25519:KEY.SIGNATURE` (both unpadded base64url), naming the key that signed it. The key
/// (with its prefix) and the signature to check, or why the item is refused without a check.
pub fn check<'a>(item: &'a Item, keys: &str) -> Result<(&'a str, &'a str), &'static str> {
    let sig = item.sig.as_deref().ok_or("unsigned")?;
    let (key, sig) = sig.split_once('.').filter(|(k, _)| k.starts_with(KEY_PREFIX)).ok_or("malformed signature")?;
    if !trusts(keys, key) {
        return Err("signed by an unknown key");
    }
    Ok((key, sig))
}

/// What becomes of each item once the signatures asked for have been checked: `None` to
/// show it, or why not. `checked` holds `check`'s answers; `verified`, WebCrypto's, in the
/// order of the checks `check` passed; a missing answer is a failure.
pub fn verdicts<T>(checked: &[Result<T, &'static str>], verified: &[bool]) -> Vec<Option<&'static str>> {
    let mut answers = verified.iter();
    checked
        .iter()
        .map(|c| match c {
            Err(why) => Some(*why),
            Ok(_) => (!answers.next().copied().unwrap_or(false)).then_some("its signature does not verify"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item() -> Item {
        Item {
            id: "kangaba".into(),
            title: "Attaque à Bamako".into(),
            date_published: Some(1_497_811_680_000),
            authors: vec!["Massene Diop".into()],
            urgency: 1,
            ..Item::default()
        }
    }

    #[test]
    fn the_canonical_form_is_every_field_in_order_with_lengths() {
        assert_eq!(
            canonical(&item()),
            "depeche-item-1\nid 7:kangaba\ntitle 17:Attaque à Bamako\nurl -\nsummary -\ncontent_text -\ncontent_html -\n\
             image -\nlanguage -\nsignature -\ndateline -\nkicker -\ndate_published 1497811680000\ndate_modified -\n\
             expires -\nauthors 1\nauthor 12:Massene Diop\nurgency 1\nwithdrawn 0\n"
        );
        let mut other = item();
        other.views = Some(376);
        other.sig = Some("x".into());
        assert_eq!(canonical(&other), canonical(&item()), "neither the count nor the signature is signed");
        let mut withdrawn = item();
        withdrawn.withdrawn = true;
        assert_ne!(canonical(&withdrawn), canonical(&item()), "a withdrawal is signed");
        // A title cannot spill into the next field: the length says where it ends.
        let mut spill = item();
        spill.title = "A\nurl 3:abc".into();
        assert!(canonical(&spill).contains("title 11:A\nurl 3:abc\nurl -\n"));
        let mut old = item();
        old.date_published = Some(-1000);
        assert!(canonical(&old).contains("date_published -1000\n"));
    }

    #[test]
    fn a_signature_names_its_key_and_only_the_tags_keys_pass() {
        let k = format!("ed25519:{}", "A".repeat(43));
        let keys = format!("{k}  rsa:xyz");
        let signed = |sig: &str| Item { sig: Some(sig.to_owned()), ..item() };
        assert_eq!(check(&item(), &keys), Err("unsigned"));
        assert_eq!(check(&signed(&k), &keys), Err("malformed signature"));
        assert_eq!(check(&signed("rsa:xyz.sig"), &keys), Err("malformed signature"), "a token of another form names nothing");
        assert_eq!(check(&signed(&format!("ed25519:{}.sig", "C".repeat(43))), &keys), Err("signed by an unknown key"));
        assert_eq!(check(&signed(&format!("{k}.sig")), &keys), Ok((k.as_str(), "sig")));
    }

    #[test]
    fn only_items_whose_signature_verified_are_shown() {
        let checked: [Result<(), &str>; 4] = [Ok(()), Err("unsigned"), Ok(()), Ok(())];
        assert_eq!(verdicts(&checked, &[true, false, true]), [None, Some("unsigned"), Some("its signature does not verify"), None]);
        assert_eq!(verdicts(&checked, &[true]), [None, Some("unsigned"), Some("its signature does not verify"), Some("its signature does not verify")], "no answer is no");
    }

    /// Each vector of `tests/vectors/signed-items.json`: its item read as the widget reads
    /// it, the canonical text, and the signature checked by an Ed25519 implementation.
    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn the_vectors_verify_and_a_changed_item_does_not() {
        use base64::Engine;
        use ed25519_dalek::{Signature, Verifier, VerifyingKey};
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).unwrap_or_default();
        let file: serde_json::Value = serde_json::from_str(include_str!("../tests/vectors/signed-items.json")).unwrap_or_default();
        let vectors = file["vectors"].as_array().cloned().unwrap_or_default();
        assert_eq!(vectors.len(), 4);
        let trusted = format!("{} {}", file["keys"]["newsroom-2026"]["public"].as_str().unwrap_or_default(), file["keys"]["newsroom-2027"]["public"].as_str().unwrap_or_default());
        for v in vectors {
            let mut item = v["item"].clone();
            item["_depeche"]["sig"] = v["sig"].clone();
            let feed: crate::json::Value = serde_json::from_value(serde_json::json!({ "items": [item] })).unwrap_or(crate::json::Value::Null);
            let parsed = crate::feed::parse(&feed).map(|p| p.feed.items).unwrap_or_default();
            let Some(read) = parsed.first() else { panic!("the vector's item is valid: {item}") };
            assert_eq!(canonical(read), v["canonical"].as_str().unwrap_or_default());
            let verifies = |item: &Item| match check(item, &trusted) {
                Ok((key, sig)) => {
                    let key = VerifyingKey::from_bytes(&b64(key.trim_start_matches(KEY_PREFIX)).try_into().unwrap_or([0; 32]));
                    let sig = Signature::from_slice(&b64(sig));
                    matches!((key, sig), (Ok(k), Ok(s)) if k.verify(canonical(item).as_bytes(), &s).is_ok())
                }
                Err(_) => false,
            };
            assert!(verifies(read), "{}", v["canonical"]);
            let mut changed = (**read).clone();
            changed.title.push('!');
            assert!(!verifies(&changed), "a changed title");
            let mut withdrawn = (**read).clone();
            withdrawn.withdrawn = !withdrawn.withdrawn;
            assert!(!verifies(&withdrawn), "a forged withdrawal (or its undoing)");
            let mut counted = (**read).clone();
            counted.views = Some(987_654_322);
            assert!(verifies(&counted), "the count is not signed");
        }
    }
}
