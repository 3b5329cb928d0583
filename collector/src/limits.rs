//! Per-IP rate limiting of beacons (a token bucket per address, in memory).

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
}
