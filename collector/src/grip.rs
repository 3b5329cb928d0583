//! GRIP (the Generic Realtime Intermediary Protocol of Pushpin): a proxy in front of the
//! collector instances holds the readers' event streams, so that no instance holds a socket
//! per reader. An instance answers a stream's first request through the proxy with the
//! current version and `Grip-Hold: stream` (the proxy then keeps the connection), and
//! publishes each new version to the proxy's HTTP control API, which sends it to every
//! reader on the channel.

use axum::body::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// The channel every reader's stream is held on.
pub const CHANNEL: &str = "depeche-feed";

/// The header a GRIP proxy signs its requests with: a JWT under the proxy's key. Only a valid
/// one says the request came through the proxy (without it, `/events` streams from the
/// instance as usual).
pub const SIGNATURE: &str = "grip-sig";

/// The key a GRIP proxy signs its requests with (Pushpin's `sig_key`): HS256 JWTs with an
/// `exp` claim.
#[derive(Clone)]
pub struct SigKey(Vec<u8>);

impl std::fmt::Debug for SigKey {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("SigKey(…)")
    }
}

/// The claims of a `Grip-Sig` token that are checked.
#[derive(serde::Deserialize)]
struct Claims {
    exp: u64,
}

impl SigKey {
    /// The key as Pushpin's configuration has it.
    pub fn new(key: &[u8]) -> Result<SigKey, String> {
        if key.is_empty() {
            return Err("the GRIP signing key is empty".into());
        }
        Ok(SigKey(key.to_vec()))
    }

    /// Whether `token` is a JWT signed with this key (HS256) that has not expired at `now_ms`.
    pub fn verify(&self, token: &str, now_ms: u64) -> bool {
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
        // Checked below against the state's clock, not the system's.
        validation.validate_exp = false;
        validation.required_spec_claims = ["exp".to_owned()].into();
        let key = jsonwebtoken::DecodingKey::from_secret(&self.0);
        match jsonwebtoken::decode::<Claims>(token, &key, &validation) {
            Ok(data) => data.claims.exp.saturating_mul(1000) > now_ms,
            Err(_) => false,
        }
    }
}

/// Keep-alive comments the proxy sends on idle streams, every 15 s (the instance's own streams
/// send the same).
pub const KEEP_ALIVE: &str = ":\\n\\n; format=cstring; timeout=15";

/// The event announcing `version`, as the stream carries it.
pub fn event(version: i64) -> String {
    format!("event: feed\nid: {version}\ndata: {version}\n\n")
}

/// Publishes versions to a GRIP proxy's control API.
#[derive(Clone)]
pub struct Publisher {
    url: axum::http::Uri,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl std::fmt::Debug for Publisher {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "Publisher({})", self.url)
    }
}

impl Publisher {
    /// A publisher to the control API at `control` (e.g. `http://127.0.0.1:5561`, Pushpin's).
    pub fn new(control: &str) -> Result<Publisher, String> {
        let url = format!("{}/publish/", control.trim_end_matches('/'));
        let url: axum::http::Uri = url.parse().map_err(|e| format!("--grip {control}: {e}"))?;
        if url.scheme_str() != Some("http") {
            return Err(format!("--grip {control}: the control API's URL must start with http://"));
        }
        Ok(Publisher { url, client: Client::builder(TokioExecutor::new()).build_http() })
    }

    /// Sends `version` to every reader on the channel. Every instance that sees the version
    /// change publishes it; the item's id is the version, and the proxy drops an id it has
    /// just published.
    pub async fn publish(&self, version: i64) -> Result<(), String> {
        let item = serde_json::json!({ "items": [{
            "channel": CHANNEL,
            "id": version.to_string(),
            "formats": { "http-stream": { "content": event(version) } },
        }]});
        let request = axum::http::Request::post(&self.url)
            .header(axum::http::header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(item.to_string())))
            .map_err(|e| e.to_string())?;
        let answer = tokio::time::timeout(std::time::Duration::from_secs(5), self.client.request(request))
            .await
            .map_err(|_| "no answer within 5 s".to_owned())?
            .map_err(|e| e.to_string())?;
        if answer.status().is_success() {
            Ok(())
        } else {
            Err(format!("answered {}", answer.status()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_event_is_what_the_instance_streams() {
        assert_eq!(event(42), "event: feed\nid: 42\ndata: 42\n\n");
    }

    #[test]
    fn only_a_token_signed_with_the_key_and_not_expired_passes() {
        let sign = |key: &[u8], exp: u64| {
            let claims = serde_json::json!({ "iss": "pushpin", "exp": exp });
            jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &jsonwebtoken::EncodingKey::from_secret(key)).unwrap_or_default()
        };
        let key = SigKey::new(b"changeme-not").unwrap_or_else(|_| SigKey(vec![1]));
        let now = 1_000_000_000_000;
        assert!(key.verify(&sign(b"changeme-not", 1_000_000_100), now));
        assert!(!key.verify(&sign(b"another key", 1_000_000_100), now), "another key");
        assert!(!key.verify(&sign(b"changeme-not", 999_999_999), now), "expired");
        assert!(!key.verify("present", now), "a header's presence is not a signature");
        assert!(SigKey::new(b"").is_err());
    }

    #[test]
    fn only_plain_http_control_urls() {
        assert!(Publisher::new("http://127.0.0.1:5561/").is_ok());
        let e = Publisher::new("https://pushpin.example").err().unwrap_or_default();
        assert!(e.contains("http://"), "{e}");
        assert!(Publisher::new("not a url").is_err());
    }
}
