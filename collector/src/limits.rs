//! Per-address limits kept in memory: a token bucket per address (beacons, failed token
//! checks), and the distinct User-Agents counted per address and item.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

/// Allows `per_minute` beacons a minute per IP, in bursts of up to the same number.
pub struct RateLimiter {
    per_minute: u32,
    buckets: Mutex<Buckets>,
}

struct Buckets {
    by_ip: HashMap<IpAddr, (f64, u64)>,
    sweep_at: usize,
}

impl RateLimiter {
    /// A limiter with the given budget (0 turns limiting off).
    pub fn new(per_minute: u32) -> Self {
        RateLimiter { per_minute, buckets: Mutex::new(Buckets { by_ip: HashMap::new(), sweep_at: 1024 }) }
    }

    /// Whether `ip`'s budget is spent at `now_ms` (takes nothing).
    pub fn spent(&self, ip: IpAddr, now_ms: u64) -> bool {
        if self.per_minute == 0 {
            return false;
        }
        let cap = f64::from(self.per_minute);
        let b = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        b.by_ip.get(&ip).is_some_and(|(tokens, at)| tokens + now_ms.saturating_sub(*at) as f64 * cap / 60_000.0 < 1.0)
    }

    /// Takes one token for `ip`; `false` when its budget is spent.
    pub fn allow(&self, ip: IpAddr, now_ms: u64) -> bool {
        if self.per_minute == 0 {
            return true;
        }
        let cap = f64::from(self.per_minute);
        let mut b = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if b.by_ip.len() >= b.sweep_at {
            // Forget addresses idle long enough to have refilled completely; sweeping only
            // when the map has doubled keeps it amortised O(1) per beacon.
            b.by_ip.retain(|_, (_, at)| now_ms.saturating_sub(*at) < 60_000);
            b.sweep_at = (b.by_ip.len() * 2).max(1024);
        }
        let (tokens, at) = b.by_ip.entry(ip).or_insert((cap, now_ms));
        let refill = now_ms.saturating_sub(*at) as f64 * cap / 60_000.0;
        *tokens = (*tokens + refill).min(cap);
        *at = now_ms;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Distinct User-Agents whose views of one item count from one address within
/// [`crate::store::DEDUPE_WINDOW_MS`]: a household or an office has a few browsers, a client
/// rotating its User-Agent to count a view per request has many.
pub const MAX_USER_AGENTS_PER_ADDRESS_ITEM: usize = 8;
/// Addresses and items tracked at most; beyond, entries older than the window go, and if
/// that is not enough, all do (the store's dedupe still holds).
pub const MAX_TRACKED_ADDRESS_ITEMS: usize = 100_000;

/// Each User-Agent's hash seen for an address and item, and when it was first seen.
type Agents = Vec<(u64, u64)>;

/// The User-Agents seen per address and item.
#[derive(Default)]
pub struct UserAgentCap {
    seen: Mutex<HashMap<(IpAddr, String), Agents>>,
}

impl UserAgentCap {
    /// Whether a view of `item` from `ip` with a User-Agent hashed to `agent` may count at
    /// `now_ms`: always for an agent already seen, for a new one while the address and item
    /// have fewer than the cap within the window.
    pub fn allow(&self, ip: IpAddr, item: &str, agent: u64, now_ms: u64) -> bool {
        let window = crate::store::DEDUPE_WINDOW_MS;
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.len() >= MAX_TRACKED_ADDRESS_ITEMS {
            seen.retain(|_, agents| {
                agents.retain(|(_, at)| now_ms.saturating_sub(*at) < window);
                !agents.is_empty()
            });
            if seen.len() >= MAX_TRACKED_ADDRESS_ITEMS {
                seen.clear();
            }
        }
        let agents = seen.entry((ip, item.to_owned())).or_default();
        agents.retain(|(_, at)| now_ms.saturating_sub(*at) < window);
        if agents.iter().any(|(a, _)| *a == agent) {
            return true;
        }
        if agents.len() >= MAX_USER_AGENTS_PER_ADDRESS_ITEM {
            return false;
        }
        agents.push((agent, now_ms));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn limits_each_address_and_refills() {
        let l = RateLimiter::new(3);
        let a = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let b = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
        assert!((0..3).all(|_| l.allow(a, 0)));
        assert!(!l.allow(a, 0));
        assert!(l.allow(b, 0));
        assert!(l.allow(a, 20_000));
        assert!(!l.allow(a, 20_000));
        assert!(RateLimiter::new(0).allow(a, 0));
        assert!(l.spent(a, 20_000) && !l.spent(b, 0), "spent takes nothing");
        assert!(!l.spent(a, 40_000), "refilled");
    }

    #[test]
    fn a_few_user_agents_per_address_and_item_then_none_until_the_window_ends() {
        let cap = UserAgentCap::default();
        let a = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
        let b = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));
        for agent in 0..MAX_USER_AGENTS_PER_ADDRESS_ITEM as u64 {
            assert!(cap.allow(a, "k", agent, 0));
        }
        assert!(!cap.allow(a, "k", 999, 1), "one agent too many");
        assert!(cap.allow(a, "k", 0, 2), "an agent already seen still counts (the store dedupes it)");
        assert!(cap.allow(a, "other", 999, 3) && cap.allow(b, "k", 999, 3), "per address and item");
        assert!(cap.allow(a, "k", 999, crate::store::DEDUPE_WINDOW_MS + 1), "the window ended");
    }
}
