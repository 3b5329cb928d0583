//! Signed items: the canonical bytes of an item as the newsroom wrote it (one definition, used
//! by the widget to verify and by the collector to sign), the keys a page trusts, and what to
//! do with each item of a feed when signatures are required. Pure: the signature check itself
//! is WebCrypto's (Ed25519), in `dom/`.
//!
//! The canonical form, version 1, is UTF-8 text: the line `depeche-item-1`, then one line per
//! field of the validated item, always in this order and always present:
//! `id`, `url`, `title`, `summary`, `content_text`, `content_html`, `date_published`,
//! `date_modified`, `authors`, `image`, `language`, `urgency`, `signature`, `dateline`,
//! `expires`, `kicker`, `withdrawn`. A string is `NAME LEN:TEXT` (LEN its length in UTF-8
//! bytes, so that no text can end a field early), an absent one `NAME -`; a date is
//! `NAME MILLIS` (ms since the epoch, as the widget reads it, so `Z` and `+00:00` sign the
//! same); `authors` is `authors N` then each name as a string line named `author`;
//! `urgency` is its digit (5 when the item says none); `withdrawn` is `0` or `1`. Each line
//! ends with `\n`. The read count is not signed: it changes without the newsroom.
//! Vectors: `tests/vectors/signed-items.json`.

use crate::feed::Item;
use crate::rfc3339::Millis;
use crate::text::push_u64;

/// The prefix of a key in `data-key` and in a signature: the algorithm.
pub const KEY_PREFIX: &str = "ed25519:";

/// The canonical bytes of `item` (see the module's documentation).
pub fn canonical(item: &Item) -> String {
    let mut out = String::from("depeche-item-1\n");
    let text = |out: &mut String, name: &str, v: Option<&str>| {
        out.push_str(name);
        match v {
            Some(s) => {
                out.push(' ');
                push_u64(out, s.len() as u64);
                out.push(':');
                out.push_str(s);
            }
            None => out.push_str(" -"),
        }
        out.push('\n');
    };
    let date = |out: &mut String, name: &str, v: Option<Millis>| {
        out.push_str(name);
        match v {
            Some(ms) => {
                out.push(' ');
                if ms < 0 {
                    out.push('-');
                }
                push_u64(out, ms.unsigned_abs());
            }
            None => out.push_str(" -"),
        }
        out.push('\n');
    };
    text(&mut out, "id", Some(&item.id));
    text(&mut out, "url", item.url.as_deref());
    text(&mut out, "title", Some(&item.title));
    text(&mut out, "summary", item.summary.as_deref());
    text(&mut out, "content_text", item.content_text.as_deref());
    text(&mut out, "content_html", item.content_html.as_deref());
    date(&mut out, "date_published", item.date_published);
    date(&mut out, "date_modified", item.date_modified);
    out.push_str("authors ");
    push_u64(&mut out, item.authors.len() as u64);
    out.push('\n');
    for a in &item.authors {
        text(&mut out, "author", Some(a));
    }
    text(&mut out, "image", item.image.as_deref());
    text(&mut out, "language", item.language.as_deref());
    out.push_str("urgency ");
    push_u64(&mut out, u64::from(item.urgency));
    out.push('\n');
    text(&mut out, "signature", item.signature.as_deref());
    text(&mut out, "dateline", item.dateline.as_deref());
    date(&mut out, "expires", item.expires);
    text(&mut out, "kicker", item.kicker.as_deref());
    out.push_str(if item.withdrawn { "withdrawn 1\n" } else { "withdrawn 0\n" });
    out
}

/// The public keys of `data-key` (`ed25519:` and the key's 32 bytes in unpadded base64url,
/// several separated by spaces), each without its prefix; tokens of another form are left
/// out, and told by the second list.
pub fn keys(attribute: &str) -> (Vec<String>, Vec<String>) {
    let (mut good, mut bad) = (Vec::new(), Vec::new());
    for token in attribute.split_ascii_whitespace() {
        match token.strip_prefix(KEY_PREFIX).filter(|k| is_base64url(k, 43)) {
            Some(k) => good.push(k.to_owned()),
            None => bad.push(token.to_owned()),
        }
    }
    (good, bad)
}

/// Whether `s` is `len` characters of unpadded base64url.
fn is_base64url(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// What to do with one item when signatures are required.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// Verify `sig` (base64url) over `data` with `key` (base64url), one of the trusted keys.
    Verify {
        /// The signing key, as in `data-key` without its prefix.
        key: String,
        /// The signature.
        sig: String,
        /// The canonical bytes signed.
        data: String,
    },
    /// Refused without a check, and why.
    Refuse(&'static str),
}

/// What to do with `item` given the trusted `keys`: its `_depeche.sig` is
/// `ed25519:KEY.SIGNATURE` (both unpadded base64url), naming the key that signed it.
pub fn check(item: &Item, keys: &[String]) -> Check {
    let Some(sig) = &item.sig else { return Check::Refuse("unsigned") };
    let parsed = sig.strip_prefix(KEY_PREFIX).and_then(|s| s.split_once('.')).filter(|(k, s)| is_base64url(k, 43) && is_base64url(s, 86));
    let Some((key, sig)) = parsed else { return Check::Refuse("malformed signature") };
    if !keys.iter().any(|k| k == key) {
        return Check::Refuse("signed by an unknown key");
    }
    Check::Verify { key: key.to_owned(), sig: sig.to_owned(), data: canonical(item) }
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
            "depeche-item-1\nid 7:kangaba\nurl -\ntitle 17:Attaque à Bamako\nsummary -\ncontent_text -\ncontent_html -\n\
             date_published 1497811680000\ndate_modified -\nauthors 1\nauthor 12:Massene Diop\nimage -\nlanguage -\n\
             urgency 1\nsignature -\ndateline -\nexpires -\nkicker -\nwithdrawn 0\n"
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
        assert!(canonical(&spill).contains("title 11:A\nurl 3:abc\nsummary -\n"));
        let mut old = item();
        old.date_published = Some(-1000);
        assert!(canonical(&old).contains("date_published -1000\n"));
    }

    #[test]
    fn keys_and_signatures_are_read_strictly() {
        let k = "A".repeat(43);
        let (good, bad) = keys(&format!("ed25519:{k}  rsa:xyz ed25519:short"));
        assert_eq!(good, std::slice::from_ref(&k));
        assert_eq!(bad, ["rsa:xyz", "ed25519:short"]);
        let signed = |sig: &str| Item { sig: Some(sig.to_owned()), ..item() };
        let s = "B".repeat(86);
        assert_eq!(check(&item(), &good), Check::Refuse("unsigned"));
        assert_eq!(check(&signed(&format!("ed25519:{k}")), &good), Check::Refuse("malformed signature"));
        assert_eq!(check(&signed(&format!("ed25519:{}.{s}", "C".repeat(43))), &good), Check::Refuse("signed by an unknown key"));
        assert_eq!(check(&signed(&format!("ed25519:{k}.{s}")), &good), Check::Verify { key: k, sig: s, data: canonical(&item()) });
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
        let trusted: Vec<String> = ["newsroom-2026", "newsroom-2027"]
            .iter()
            .map(|k| file["keys"][k]["public"].as_str().unwrap_or_default().trim_start_matches(KEY_PREFIX).to_owned())
            .collect();
        for v in vectors {
            let mut item = v["item"].clone();
            item["_depeche"]["sig"] = v["sig"].clone();
            let feed: crate::json::Value = serde_json::from_value(serde_json::json!({ "items": [item] })).unwrap_or(crate::json::Value::Null);
            let parsed = crate::feed::parse(&feed).map(|p| p.feed.items).unwrap_or_default();
            let Some(read) = parsed.first() else { panic!("the vector's item is valid: {item}") };
            assert_eq!(canonical(read), v["canonical"].as_str().unwrap_or_default());
            let verifies = |item: &Item| match check(item, &trusted) {
                Check::Verify { key, sig, data } => {
                    let key = VerifyingKey::from_bytes(&b64(&key).try_into().unwrap_or([0; 32]));
                    let sig = Signature::from_slice(&b64(&sig));
                    matches!((key, sig), (Ok(k), Ok(s)) if k.verify(data.as_bytes(), &s).is_ok())
                }
                Check::Refuse(_) => false,
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
