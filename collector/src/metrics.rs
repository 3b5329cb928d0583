//! What `GET /metrics` says, in the Prometheus text format: counters and gauges kept in
//! atomics, written out on request. No visitor data is ever part of it.

use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// Why a beacon was counted or not; one counter each.
pub const OUTCOMES: [&str; 12] = [
    "counted", "duplicate", "bot", "prefetch", "origin", "not_live", "user_agents", "rate_limited", "bad_request", "unknown_item", "busy",
    "store_error",
];

/// Upper bounds of the commit-latency buckets, in seconds.
const BUCKETS: [f64; 9] = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0];

/// The collector's counters.
#[derive(Default, Debug)]
pub struct Metrics {
    beacons: [AtomicU64; OUTCOMES.len()],
    feed_ok: AtomicU64,
    feed_not_modified: AtomicU64,
    /// The feed version this instance serves.
    pub feed_version: AtomicI64,
    /// Hits waiting for the store's writer.
    pub queue_depth: AtomicI64,
    /// Event streams open now.
    pub open_streams: AtomicI64,
    /// Event streams refused (over `--max-streams`).
    pub streams_refused: AtomicU64,
    commits: [AtomicU64; BUCKETS.len() + 1],
    commit_micros: AtomicU64,
}

impl Metrics {
    /// Counts one beacon under `outcome` (one of [`OUTCOMES`]).
    pub fn beacon(&self, outcome: &str) {
        if let Some(i) = OUTCOMES.iter().position(|o| *o == outcome) {
            self.beacons[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counts one feed response, full or 304.
    pub fn feed(&self, not_modified: bool) {
        if not_modified { &self.feed_not_modified } else { &self.feed_ok }.fetch_add(1, Ordering::Relaxed);
    }

    /// Records how long one commit of the store took.
    pub fn commit(&self, took: std::time::Duration) {
        let s = took.as_secs_f64();
        let i = BUCKETS.iter().position(|b| s <= *b).unwrap_or(BUCKETS.len());
        self.commits[i].fetch_add(1, Ordering::Relaxed);
        self.commit_micros.fetch_add(took.as_micros() as u64, Ordering::Relaxed);
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        out.push_str("# HELP depeche_beacons_total Beacons received, by what became of them.\n# TYPE depeche_beacons_total counter\n");
        for (name, n) in OUTCOMES.iter().zip(&self.beacons) {
            let _ = writeln!(out, "depeche_beacons_total{{outcome=\"{name}\"}} {}", get(n));
        }
        out.push_str("# HELP depeche_feed_responses_total Feed responses, full or not modified.\n# TYPE depeche_feed_responses_total counter\n");
        let _ = writeln!(out, "depeche_feed_responses_total{{status=\"200\"}} {}", get(&self.feed_ok));
        let _ = writeln!(out, "depeche_feed_responses_total{{status=\"304\"}} {}", get(&self.feed_not_modified));
        out.push_str("# HELP depeche_feed_version The feed version this instance serves.\n# TYPE depeche_feed_version gauge\n");
        let _ = writeln!(out, "depeche_feed_version {}", self.feed_version.load(Ordering::Relaxed));
        out.push_str("# HELP depeche_store_queue_depth Beacons waiting for the store's writer.\n# TYPE depeche_store_queue_depth gauge\n");
        let _ = writeln!(out, "depeche_store_queue_depth {}", self.queue_depth.load(Ordering::Relaxed).max(0));
        out.push_str("# HELP depeche_open_streams Event streams open now.\n# TYPE depeche_open_streams gauge\n");
        let _ = writeln!(out, "depeche_open_streams {}", self.open_streams.load(Ordering::Relaxed).max(0));
        out.push_str("# HELP depeche_streams_refused_total Event streams refused over --max-streams.\n# TYPE depeche_streams_refused_total counter\n");
        let _ = writeln!(out, "depeche_streams_refused_total {}", get(&self.streams_refused));
        out.push_str("# HELP depeche_store_commit_seconds Time to commit one batch of beacons.\n# TYPE depeche_store_commit_seconds histogram\n");
        let mut cumulative = 0;
        for (i, bound) in BUCKETS.iter().enumerate() {
            cumulative += get(&self.commits[i]);
            let _ = writeln!(out, "depeche_store_commit_seconds_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        cumulative += get(&self.commits[BUCKETS.len()]);
        let _ = writeln!(out, "depeche_store_commit_seconds_bucket{{le=\"+Inf\"}} {cumulative}");
        let _ = writeln!(out, "depeche_store_commit_seconds_sum {}", get(&self.commit_micros) as f64 / 1e6);
        let _ = writeln!(out, "depeche_store_commit_seconds_count {cumulative}");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_gauges_and_a_cumulative_histogram() {
        let m = Metrics::default();
        m.beacon("counted");
        m.beacon("counted");
        m.beacon("origin");
        m.feed(true);
        m.commit(std::time::Duration::from_micros(1500));
        m.commit(std::time::Duration::from_secs(2));
        let text = m.render();
        assert!(text.contains("depeche_beacons_total{outcome=\"counted\"} 2\n"), "{text}");
        assert!(text.contains("depeche_beacons_total{outcome=\"origin\"} 1\n"));
        assert!(text.contains("depeche_feed_responses_total{status=\"304\"} 1\n"));
        assert!(text.contains("depeche_store_commit_seconds_bucket{le=\"0.001\"} 0\n"));
        assert!(text.contains("depeche_store_commit_seconds_bucket{le=\"0.002\"} 1\n"));
        assert!(text.contains("depeche_store_commit_seconds_bucket{le=\"+Inf\"} 2\n"));
        assert!(text.contains("depeche_store_commit_seconds_count 2\n"));
    }
}
