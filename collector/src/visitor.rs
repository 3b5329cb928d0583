//! Who is a visitor, without keeping who they are: daily-salted hashes.
//!
//! A visitor is `sha256(salt of the day ‖ IP ‖ User-Agent)`. Each UTC day's salt is
//! `HMAC-SHA-256(secret, "YYYY-MM-DD")`, where the secret lives in the database: every
//! instance sharing it derives the same salts without talking to the others. Only today's
//! and yesterday's salts are ever derived, and no IP or User-Agent is ever stored; the dedupe
//! set (in the store) keeps only these hashes, for 30 minutes.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::net::IpAddr;

const DAY_MS: u64 = 86_400_000;

/// A pseudonymous visitor id.
pub type VisitorId = [u8; 16];

/// The daily salts, derived from the database's secret.
pub struct Salts {
    secret: [u8; 32],
}

impl Salts {
    /// Salts derived from `secret` (the store's).
    pub fn new(secret: [u8; 32]) -> Salts {
        Salts { secret }
    }

    /// The salt of the UTC day `day` (days since the Unix epoch).
    fn salt(&self, day: u64) -> [u8; 32] {
        // HMAC takes a key of any length: new_from_slice cannot fail.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.secret) else { return [0; 32] };
        mac.update(utc_date(day).as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// The visitor's id under today's salt and under yesterday's.
    pub fn ids(&self, now_ms: u64, ip: IpAddr, user_agent: &str) -> (VisitorId, Option<VisitorId>) {
        let day = now_ms / DAY_MS;
        let yesterday = day.checked_sub(1).map(|d| hash(&self.salt(d), ip, user_agent));
        (hash(&self.salt(day), ip, user_agent), yesterday)
    }
}

/// `YYYY-MM-DD` of a day number (days since 1970-01-01), by Howard Hinnant's civil-from-days.
fn utc_date(day: u64) -> String {
    let z = day as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
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

/// Whether a User-Agent belongs to a bot, crawler, link previewer or scripted client.
pub fn is_bot(user_agent: &str) -> bool {
    // Crawlers and link previewers name themselves (bot, crawl, spider, preview…); scripted
    // clients and test drivers are named by their library.
    const MARKERS: [&str; 40] = [
        "bot", "crawl", "spider", "slurp", "headless", "preview", "curl", "wget", "python", "httpclient",
        "facebookexternalhit", "lighthouse", "phantomjs", "monitor", "scrapy", "go-http-client",
        "whatsapp", "embedly", "mediapartners", "googleother", "google-inspectiontool", "bingpreview",
        "axios", "node-fetch", "undici", "okhttp", "java/", "libwww-perl", "httpie", "postman", "insomnia",
        "aiohttp", "guzzlehttp", "puppeteer", "playwright", "selenium", "webdriver", "pingdom", "statuscake",
        "datadog",
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
        let salts = Salts::new([7; 32]);
        let a = salts.ids(DAY_MS * 10, IP, CHROME);
        assert_eq!(a, salts.ids(DAY_MS * 10 + 5, IP, CHROME));
        assert_ne!(a.0, salts.ids(DAY_MS * 10, IP, "Firefox").0);
    }

    #[test]
    fn salts_rotate_daily_and_instances_sharing_the_secret_agree() {
        let salts = Salts::new([7; 32]);
        let d1 = salts.ids(DAY_MS * 10, IP, CHROME).0;
        let d2 = salts.ids(DAY_MS * 11, IP, CHROME);
        assert_ne!(d1, d2.0);
        assert_eq!(d2.1, Some(d1), "yesterday's id is still recognised");
        assert_ne!(salts.ids(DAY_MS * 13, IP, CHROME).1, Some(d1), "two days later it is not");
        // Another instance with the same secret: the same ids. Another secret: others.
        assert_eq!(Salts::new([7; 32]).ids(DAY_MS * 11, IP, CHROME), d2);
        assert_ne!(Salts::new([8; 32]).ids(DAY_MS * 11, IP, CHROME).0, d2.0);
    }

    #[test]
    fn days_are_utc_dates() {
        assert_eq!(utc_date(0), "1970-01-01");
        assert_eq!(utc_date(17_335), "2017-06-18");
        assert_eq!(utc_date(11_016), "2000-02-29");
        assert_eq!(utc_date(20_789), "2026-12-02");
    }

    #[test]
    fn recognises_bots() {
        assert!(!is_bot(CHROME));
        for ua in [
            "Googlebot/2.1", "Mozilla/5.0 HeadlessChrome/156.0", "curl/8.0", "", "Slackbot-LinkExpanding", "python-requests/2",
            "WhatsApp/2.23", "axios/1.6", "node-fetch/1.0", "okhttp/4.12", "Java/17", "TelegramBot (like TwitterBot)",
        ] {
            assert!(is_bot(ua), "{ua}");
        }
    }
}
