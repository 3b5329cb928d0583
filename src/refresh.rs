//! The refresh loop's policy, as a state machine: after each fetch, how long to wait before
//! the next one, whether a counted view may end the wait early, and when to give up retrying.
//! `dom::entry` fetches, shows, and waits as told (deferring a fetch while the page is hidden).

use crate::retry;
use crate::rfc3339::Millis;

/// How a fetch of the feed ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome {
    /// A feed was read (new, or the same as before).
    Read,
    /// It failed; `transient` failures are retried, honouring the server's `Retry-After`.
    Failed {
        /// Network trouble or an overloaded server, as opposed to a broken feed.
        transient: bool,
        /// The server's `Retry-After`, as a wait.
        retry_after: Option<Millis>,
    },
}

/// What the loop does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Fetch again after `ms` (only when woken, if `None`); a `wakeable` wait ends early
    /// when a view was counted, so that the card shows the new count.
    Wait {
        /// The wait.
        ms: Option<Millis>,
        /// Whether a counted view may end it.
        wakeable: bool,
    },
    /// Nothing will ever bring the loop back: refreshing is off, views are not counted and
    /// there is no live stream.
    Stop,
}

/// The loop's state between fetches.
#[derive(Debug, Clone)]
pub struct Policy {
    refresh_ms: Option<Millis>,
    /// Whether anything but the clock asks for refreshes (counted views, live events).
    woken: bool,
    /// Retries since the last success.
    attempt: u32,
}

impl Policy {
    /// Refreshing every `refresh_seconds` (0: never), and when `woken` by a counted view or a
    /// live event, or not.
    pub fn new(refresh_seconds: u32, woken: bool) -> Policy {
        let refresh_ms = (refresh_seconds > 0).then(|| Millis::from(refresh_seconds) * 1000);
        Policy { refresh_ms, woken, attempt: 0 }
    }

    /// Retries since the last success.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The next step after a fetch ended with `outcome`; `random` is uniform in [0, 1).
    pub fn after(&mut self, outcome: Outcome, random: f64) -> Next {
        let (ms, wakeable) = match outcome {
            Outcome::Failed { transient: true, retry_after } if self.attempt < retry::MAX_RETRIES => {
                self.attempt += 1;
                // A backoff is not cut short by a counted view.
                (Some(retry::delay(self.attempt - 1, random, retry_after)), false)
            }
            // A success, a broken feed, or retries used up: back to the usual pace.
            _ => {
                self.attempt = 0;
                (self.refresh_ms, true)
            }
        };
        if ms.is_none() && !self.woken {
            return Next::Stop;
        }
        Next::Wait { ms, wakeable }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DOWN: Outcome = Outcome::Failed { transient: true, retry_after: None };

    #[test]
    fn five_retries_with_backoff_then_the_usual_pace() {
        let mut p = Policy::new(60, false);
        for attempt in 1..=retry::MAX_RETRIES {
            let next = p.after(DOWN, 0.999);
            assert_eq!(next, Next::Wait { ms: Some(retry::delay(attempt - 1, 0.999, None)), wakeable: false });
            assert_eq!(p.attempt(), attempt);
        }
        assert_eq!(p.after(DOWN, 0.5), Next::Wait { ms: Some(60_000), wakeable: true }, "the sixth failure waits for the next refresh");
        assert_eq!(p.attempt(), 0, "and the count starts again");
        assert!(matches!(p.after(DOWN, 0.5), Next::Wait { wakeable: false, .. }));
        assert_eq!(p.after(Outcome::Read, 0.5), Next::Wait { ms: Some(60_000), wakeable: true });
        assert_eq!(p.attempt(), 0);
    }

    #[test]
    fn a_broken_feed_is_not_retried_and_a_loop_with_nothing_to_wait_for_stops() {
        let mut p = Policy::new(0, false);
        assert_eq!(p.after(Outcome::Read, 0.5), Next::Stop);
        assert_eq!(p.after(Outcome::Failed { transient: false, retry_after: Some(5_000) }, 0.5), Next::Stop);
        assert!(matches!(p.after(DOWN, 0.5), Next::Wait { ms: Some(_), wakeable: false }), "a transient failure is retried");
        let mut counting = Policy::new(0, true);
        assert_eq!(counting.after(Outcome::Read, 0.5), Next::Wait { ms: None, wakeable: true }, "only a counted view wakes it");
    }

    proptest! {
        #[test]
        fn waits_are_never_shorter_than_retry_after_nor_longer_than_the_cap(
            refresh in 0u32..600,
            counting in any::<bool>(),
            outcomes in proptest::collection::vec((any::<bool>(), any::<bool>(), proptest::option::of(0i64..1_000_000), 0.0f64..1.0), 1..40),
        ) {
            let mut p = Policy::new(refresh, counting);
            let mut failures_in_a_row = 0;
            for (ok, transient, retry_after, random) in outcomes {
                let outcome = if ok { Outcome::Read } else { Outcome::Failed { transient, retry_after } };
                let retrying = !ok && transient && p.attempt() < retry::MAX_RETRIES;
                let next = p.after(outcome, random);
                failures_in_a_row = if retrying { failures_in_a_row + 1 } else { 0 };
                prop_assert!(failures_in_a_row <= retry::MAX_RETRIES);
                match next {
                    Next::Wait { ms: Some(ms), wakeable } => {
                        prop_assert!(ms >= 0);
                        if retrying {
                            prop_assert!(!wakeable);
                            prop_assert!(ms <= retry::CAP_MS, "{} over the cap", ms);
                            if let Some(r) = retry_after {
                                prop_assert!(ms >= r.min(retry::CAP_MS), "{} sooner than Retry-After {}", ms, r);
                            }
                        } else {
                            prop_assert_eq!(ms, Millis::from(refresh) * 1000);
                            prop_assert!(wakeable);
                        }
                    }
                    Next::Wait { ms: None, wakeable } => prop_assert!(refresh == 0 && counting && wakeable),
                    Next::Stop => prop_assert!(refresh == 0 && !counting),
                }
            }
        }
    }
}
