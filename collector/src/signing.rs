//! The newsroom's signing key (Ed25519): read from a file, made by `keygen`, and the
//! signature of an item over its canonical form (`depeche::signed`, the widget's own), as
//! `_depeche.sig` carries it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ed25519_dalek::{Signer as _, SigningKey};
use serde_json::Value;

/// How a secret key file starts: the key's 32-byte seed follows in unpadded base64url.
pub const SECRET_PREFIX: &str = "ed25519-secret:";

/// A signing key, and its public half as the script tag's `data-key` takes it.
#[derive(Clone)]
pub struct NewsroomKey {
    key: SigningKey,
    public: String,
}

impl std::fmt::Debug for NewsroomKey {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "NewsroomKey({})", self.public)
    }
}

impl NewsroomKey {
    /// A new random key.
    pub fn generate() -> NewsroomKey {
        NewsroomKey::from_seed(rand::random())
    }

    fn from_seed(seed: [u8; 32]) -> NewsroomKey {
        let key = SigningKey::from_bytes(&seed);
        let public = format!("{}{}", depeche::signed::KEY_PREFIX, URL_SAFE_NO_PAD.encode(key.verifying_key().as_bytes()));
        NewsroomKey { key, public }
    }

    /// Reads a key file's text (`ed25519-secret:` and the seed).
    pub fn read(text: &str) -> Result<NewsroomKey, String> {
        let seed = text.trim().strip_prefix(SECRET_PREFIX).ok_or("a signing key file starts with ed25519-secret: (made by `depeche-collector keygen`)")?;
        let seed: [u8; 32] = URL_SAFE_NO_PAD
            .decode(seed)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or("the signing key is not 32 bytes of unpadded base64url")?;
        Ok(NewsroomKey::from_seed(seed))
    }

    /// The key file's text.
    pub fn secret_text(&self) -> String {
        format!("{SECRET_PREFIX}{}\n", URL_SAFE_NO_PAD.encode(self.key.to_bytes()))
    }

    /// The public key, as `data-key` takes it (`ed25519:…`).
    pub fn public(&self) -> &str {
        &self.public
    }

    /// `_depeche.sig` for `item` (a JSON Feed item), over the canonical form of the item as the
    /// widget reads it; `None` for an item the widget would refuse.
    pub fn sign(&self, item: &Value) -> Option<String> {
        let mut unsigned = item.clone();
        if let Some(ext) = unsigned.get_mut("_depeche").and_then(Value::as_object_mut) {
            ext.remove("sig");
        }
        let feed = serde_json::from_value::<depeche::json::Value>(serde_json::json!({ "items": [unsigned] })).ok()?;
        let parsed = depeche::feed::parse(&feed).ok()?;
        let read = parsed.feed.items.first()?;
        let signature = self.key.sign(depeche::signed::canonical(read).as_bytes());
        Some(format!("{}.{}", self.public, URL_SAFE_NO_PAD.encode(signature.to_bytes())))
    }

    /// `item` with its `_depeche.sig` (replaced, if it had one); unchanged if the widget would
    /// refuse it.
    pub fn signed(&self, mut item: Value) -> Value {
        if let Some(sig) = self.sign(&item) {
            if let Some(obj) = item.as_object_mut() {
                let ext = obj.entry("_depeche").or_insert_with(|| Value::Object(Default::default()));
                if let Some(ext) = ext.as_object_mut() {
                    ext.insert("sig".into(), Value::String(sig));
                }
            }
        }
        item
    }
}

/// Signs every item of a JSON Feed document (`depeche-collector sign`): the same document
/// with each item's `_depeche.sig`.
pub fn sign_feed(text: &str, key: &NewsroomKey) -> Result<String, String> {
    let mut doc: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let items = doc.get_mut("items").and_then(Value::as_array_mut).ok_or("no items array: not a JSON Feed")?;
    for item in items.iter_mut() {
        *item = key.signed(std::mem::take(item));
    }
    serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vectors() -> Value {
        serde_json::from_str(include_str!("../../tests/vectors/signed-items.json")).unwrap_or_default()
    }

    fn seed(v: &Value, name: &str) -> [u8; 32] {
        let hex = v["keys"][name]["seed_hex"].as_str().unwrap_or_default();
        let bytes: Vec<u8> = (0..hex.len()).step_by(2).filter_map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok()).collect();
        bytes.try_into().unwrap_or([0; 32])
    }

    #[test]
    fn signs_each_vector_as_the_vectors_say() {
        let v = vectors();
        for vector in v["vectors"].as_array().cloned().unwrap_or_default() {
            let name = vector["key"].as_str().unwrap_or_default();
            let key = NewsroomKey::from_seed(seed(&v, name));
            assert_eq!(key.public(), v["keys"][name]["public"].as_str().unwrap_or_default());
            // Ed25519 is deterministic: the same signature as the vectors' (made elsewhere).
            assert_eq!(key.sign(&vector["item"]).as_deref(), vector["sig"].as_str(), "{}", vector["canonical"]);
        }
    }

    #[test]
    fn a_key_file_round_trips_and_a_bad_one_is_refused() {
        let key = NewsroomKey::generate();
        let again = NewsroomKey::read(&key.secret_text()).unwrap_or_else(|_| NewsroomKey::generate());
        assert_eq!(again.public(), key.public());
        assert!(NewsroomKey::read("ed25519:abc").is_err());
        assert!(NewsroomKey::read("ed25519-secret:abc").is_err());
    }

    #[test]
    fn a_signed_feed_keeps_its_items_and_replaces_an_old_signature() {
        let key = NewsroomKey::generate();
        let feed = r#"{"items":[{"id":"a","title":"A","_depeche":{"sig":"ed25519:old.old"}},{"id":"b"}]}"#;
        let signed: Value = serde_json::from_str(&sign_feed(feed, &key).unwrap_or_default()).unwrap_or_default();
        let sig = signed["items"][0]["_depeche"]["sig"].as_str().unwrap_or_default();
        assert!(sig.starts_with(key.public()) && sig != "ed25519:old.old", "{sig}");
        assert!(signed["items"][1].get("_depeche").is_none(), "an item the widget refuses is left as it is");
        assert!(sign_feed("{}", &key).is_err());
    }
}
