//! Who is a visitor, without keeping who they are: daily-salted hashes, kept in memory only.
//!
//! A visitor is `sha256(salt of the day ‖ IP ‖ User-Agent)`. Salts are random, live only in
//! memory and rotate each UTC day; only today's and yesterday's exist, so a hash cannot be
//! linked to a person once two days have passed, and no IP or User-Agent is ever stored.

use rand::RngCore;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

/// A view counts at most once per visitor and item in this window.
pub const DEDUPE_WINDOW_MS: u64 = 30 * 60 * 1000;

const DAY_MS: u64 = 86_400_000;

/// A pseudonymous visitor id.
pub type VisitorId = [u8; 16];

/// The daily salts.
pub struct Salts {
    inner: Mutex<SaltDays>,
}

struct SaltDays {
    day: u64,
    today: [u8; 32],
    yesterday: Option<[u8; 32]>,
}

fn random_salt() -> [u8; 32] {
    let mut s = [0u8; 32];
    rand::rng().fill_bytes(&mut s);
    s
}

impl Default for Salts {
    fn default() -> Self {
        Salts { inner: Mutex::new(SaltDays { day: 0, today: random_salt(), yesterday: None }) }
    }
}

impl Salts {
    /// The visitor's id under today's salt and, when it exists, under yesterday's.
    pub fn ids(&self, now_ms: u64, ip: IpAddr, user_agent: &str) -> (VisitorId, Option<VisitorId>) {
        let day = now_ms / DAY_MS;
        let (today, yesterday) = {
            let mut s = self.inner.lock().unwrap_or_else(|p| p.into_inner());
            if s.day != day {
                s.yesterday = if s.day + 1 == day { Some(s.today) } else { None };
                s.today = random_salt();
                s.day = day;
            }
            (s.today, s.yesterday)
        };
        (hash(&today, ip, user_agent), yesterday.map(|y| hash(&y, ip, user_agent)))
    }
}

fn hash(salt: &[u8; 32], ip: IpAddr, user_agent: &str) -> VisitorId {
    let mut h = Sha256::new();
    h.update(salt);
    match ip {
        IpAddr::V4(v4) => h.update(v4.octets()),
        IpAddr::V6(v6) => h.update(v6.octets()),
    }
    h.update([0]);
    h.update(user_agent.as_bytes());
    let digest = h.finalize();
    let mut id = [0u8; 16];
    id.copy_from_slice(&digest[..16]);
    id
}

/// Remembers which visitor viewed which item, and when, for the dedupe window.
///
/// Keys are (visitor, hash of the item id): fixed-size, no allocation per beacon. Expired
/// entries are swept when the map has doubled since the last sweep, so the cost stays
/// amortised O(1) per beacon however many visitors are in the window.
pub struct Dedupe {
    inner: Mutex<DedupeMap>,
}

struct DedupeMap {
    seen: HashMap<(VisitorId, u64), u64>,
    sweep_at: usize,
}

impl Default for Dedupe {
    fn default() -> Self {
        Dedupe { inner: Mutex::new(DedupeMap { seen: HashMap::new(), sweep_at: 1024 }) }
    }
}

fn item_key(item: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    item.hash(&mut h);
    h.finish()
}

impl Dedupe {
    /// Records a view; returns whether it counts (no view by this visitor in the window).
    pub fn first_in_window(&self, now_ms: u64, ids: (VisitorId, Option<VisitorId>), item: &str) -> bool {
        let key = item_key(item);
        let mut m = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if m.seen.len() >= m.sweep_at {
            m.seen.retain(|_, at| now_ms.saturating_sub(*at) < DEDUPE_WINDOW_MS);
            m.sweep_at = (m.seen.len() * 2).max(1024);
        }
        let recent = |id: &VisitorId| m.seen.get(&(*id, key)).is_some_and(|at| now_ms.saturating_sub(*at) < DEDUPE_WINDOW_MS);
        if recent(&ids.0) || ids.1.as_ref().is_some_and(recent) {
            return false;
        }
        m.seen.insert((ids.0, key), now_ms);
        true
    }

    /// Entries held (for tests of the sweep).
    pub fn len(&self) -> usize {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).seen.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Whether a User-Agent belongs to a bot, crawler, link previewer or scripted client.
pub fn is_bot(user_agent: &str) -> bool {
    const MARKERS: [&str; 16] = [
        "bot", "crawl", "spider", "slurp", "headless", "preview", "curl", "wget", "python", "httpclient",
        "facebookexternalhit", "lighthouse", "phantomjs", "monitor", "scrapy", "go-http-client",
    ];
    let ua = user_agent.to_ascii_lowercase();
    ua.trim().is_empty() || MARKERS.iter().any(|m| ua.contains(m))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    const CHROME: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36";
    const IP: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7));

    #[test]
    fn same_visitor_same_day_same_id_other_agent_other_id() {
        let salts = Salts::default();
        let a = salts.ids(DAY_MS * 10, IP, CHROME);
        assert_eq!(a, salts.ids(DAY_MS * 10 + 5, IP, CHROME));
        assert_ne!(a.0, salts.ids(DAY_MS * 10, IP, "Firefox").0);
    }

    #[test]
    fn salts_rotate_daily_keeping_yesterday_only() {
        let salts = Salts::default();
        let d1 = salts.ids(DAY_MS * 10, IP, CHROME).0;
        let d2 = salts.ids(DAY_MS * 11, IP, CHROME);
        assert_ne!(d1, d2.0);
        assert_eq!(d2.1, Some(d1));
        let d4 = salts.ids(DAY_MS * 13, IP, CHROME);
        assert_eq!(d4.1, None);
    }

    #[test]
    fn dedupes_within_thirty_minutes_even_across_midnight() {
        let salts = Salts::default();
        let dedupe = Dedupe::default();
        let t = DAY_MS * 11 - 10 * 60 * 1000;
        assert!(dedupe.first_in_window(t, salts.ids(t, IP, CHROME), "k"));
        assert!(!dedupe.first_in_window(t + 1000, salts.ids(t + 1000, IP, CHROME), "k"));
        assert!(dedupe.first_in_window(t + 1000, salts.ids(t + 1000, IP, CHROME), "other"));
        let after_midnight = t + 20 * 60 * 1000;
        assert!(!dedupe.first_in_window(after_midnight, salts.ids(after_midnight, IP, CHROME), "k"));
        let later = t + DEDUPE_WINDOW_MS;
        assert!(dedupe.first_in_window(later, salts.ids(later, IP, CHROME), "k"));
    }

    #[test]
    fn expired_entries_are_swept() {
        let salts = Salts::default();
        let dedupe = Dedupe::default();
        for i in 0..5000u32 {
            let ua = i.to_string();
            assert!(dedupe.first_in_window(DAY_MS, salts.ids(DAY_MS, IP, &ua), "k"));
        }
        assert_eq!(dedupe.len(), 5000);
        let later = DAY_MS + DEDUPE_WINDOW_MS;
        for i in 0..5000u32 {
            let ua = (i + 10_000).to_string();
            dedupe.first_in_window(later, salts.ids(later, IP, &ua), "k");
        }
        assert!(dedupe.len() < 10_000, "the first 5000 expired and were swept: {}", dedupe.len());
    }

    #[test]
    fn recognises_bots() {
        assert!(!is_bot(CHROME));
        for ua in ["Googlebot/2.1", "Mozilla/5.0 HeadlessChrome/156.0", "curl/8.0", "", "Slackbot-LinkExpanding", "python-requests/2"] {
            assert!(is_bot(ua), "{ua}");
        }
    }
}
