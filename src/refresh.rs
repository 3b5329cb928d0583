//! The refresh loop's policy, as a state machine: after each fetch, how long to wait before
//! the next one, whether a counted view may end the wait early, and when to give up retrying.
//! [`Loop`] wraps it in the wake-up protocol (a refresh asked for is never lost, a hidden page
//! never fetches); `dom::entry` steps it and fetches, shows and waits as told.

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
#[derive(Debug, Clone, Copy)]
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
    pub const fn new(refresh_seconds: u32, woken: bool) -> Policy {
        let refresh_ms = if refresh_seconds > 0 { Some(refresh_seconds as Millis * 1000) } else { None };
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

/// After a view is counted, the feed is refreshed this much later to show the new count (the
/// beacon is flushed within half a second and counted as it arrives).
pub const RECOUNT_DELAY_MS: Millis = 1500;

/// What the refresh loop hears.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Event {
    /// The fetch in flight ended with this outcome; `random` is uniform in [0, 1).
    Fetched(Outcome, f64),
    /// A feed is on the page: one fetched, or the last good copy.
    Shown,
    /// The wait's timer fired.
    Timer,
    /// A refresh is asked for: by a live event, the loader's `refresh()`, a recount. It ends
    /// a wait that a refresh may end; `again` also asks, when the loop is fetching or backing
    /// off, for one more fetch once it may (what is in flight may predate what was asked).
    Wake {
        /// Whether a fetch in flight or a backoff leaves it pending rather than served.
        again: bool,
    },
    /// A view was counted.
    Viewed,
    /// The page became visible (`true`) or hidden.
    Visible(bool),
}

/// The wait's timer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Timer {
    /// As it is.
    #[default]
    Keep,
    /// Started, replacing any: after this long, send [`Event::Timer`].
    Start(Millis),
    /// Cancelled.
    Cancel,
}

/// What the DOM does after a step, in this order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Effects {
    /// The wait's timer.
    pub timer: Timer,
    /// Send `Event::Wake { again: false }` after [`RECOUNT_DELAY_MS`] (a fetch already on its
    /// way shows the count as well: views counted together make one request).
    pub recount: bool,
    /// Fetch the feed now.
    pub fetch: bool,
    /// Whether the fetch revalidates past the HTTP cache (a feed is on the page already).
    pub revalidate: bool,
}

/// Where the loop is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// A fetch is in flight (the first from the start).
    Fetching,
    /// Waiting for its timer, if any, or for a wake-up when `wakeable`.
    Waiting { wakeable: bool },
    /// Due, but the page is hidden: a hidden page makes no request; it fetches once seen.
    Hidden,
    /// Its policy has stopped it ([`Next::Stop`]): only the host's `refresh()` (a wake-up
    /// that asks `again`) fetches once more.
    Stopped,
    /// Before the widget starts: nothing fetches.
    Idle,
}

/// The refresh loop: its [`Policy`], and the wake-up protocol around it: a refresh asked for
/// is never lost, never two fetches are in flight, and a hidden page never fetches.
#[derive(Debug, Clone, Copy)]
pub struct Loop {
    policy: Policy,
    phase: Phase,
    /// A refresh asked for (`again`) while the loop could not serve it at once.
    asked: bool,
    visible: bool,
    /// Whether a feed is on the page.
    shown: bool,
}

impl Loop {
    /// A loop that never fetches: the widget's before `start`.
    pub const IDLE: Loop = Loop { policy: Policy::new(0, false), phase: Phase::Idle, asked: false, visible: true, shown: false };

    /// A loop whose first fetch is in flight (the page's first load fetches even while the
    /// page is hidden), on a page `visible` or not.
    pub fn new(policy: Policy, visible: bool) -> Loop {
        Loop { policy, phase: Phase::Fetching, asked: false, visible, shown: false }
    }

    /// Whether a feed is on the page: a new one updates it rather than render it.
    pub fn shown(&self) -> bool {
        self.shown
    }

    /// Whether to show the last good copy of the feed after a fetch that ended with
    /// `outcome` (then send [`Event::Shown`] if it was): it failed, and nothing is on the page.
    pub fn wants_stored_copy(&self, outcome: Outcome) -> bool {
        !self.shown && outcome != Outcome::Read
    }

    /// Steps the loop with `event`; returns what to do.
    pub fn step(&mut self, event: Event) -> Effects {
        let mut fx = Effects::default();
        match (event, self.phase) {
            (Event::Fetched(outcome, random), Phase::Fetching) => {
                match self.policy.after(outcome, random) {
                    Next::Stop => self.phase = Phase::Stopped,
                    Next::Wait { wakeable: true, .. } if self.asked => {
                        self.asked = false;
                        self.due(&mut fx);
                    }
                    Next::Wait { ms, wakeable } => {
                        self.phase = Phase::Waiting { wakeable };
                        fx.timer = ms.map_or(Timer::Cancel, Timer::Start);
                    }
                }
            }
            (Event::Shown, _) => self.shown = true,
            (Event::Timer, Phase::Waiting { wakeable }) => {
                // A backoff's end serves a refresh asked for during it.
                if !wakeable {
                    self.asked = false;
                }
                self.due(&mut fx);
            }
            (Event::Wake { .. }, Phase::Waiting { wakeable: true }) => {
                fx.timer = Timer::Cancel;
                self.due(&mut fx);
            }
            // Fetching, or backing off: served once it may. Hidden: the fetch to come when the
            // page is seen serves it.
            (Event::Wake { again: true }, Phase::Fetching | Phase::Waiting { wakeable: false }) => self.asked = true,
            // Stopped by its policy (no interval, nothing to wake it): the host's `refresh()`
            // still fetches now, as the loader promises.
            (Event::Wake { again: true }, Phase::Stopped) => self.due(&mut fx),
            (Event::Viewed, _) => fx.recount = true,
            (Event::Visible(visible), phase) => {
                self.visible = visible;
                if visible && phase == Phase::Hidden {
                    self.due(&mut fx);
                }
            }
            _ => {}
        }
        fx
    }

    /// The next fetch is due: now, or once the page is seen.
    fn due(&mut self, fx: &mut Effects) {
        if self.visible {
            self.phase = Phase::Fetching;
            fx.fetch = true;
            fx.revalidate = self.shown;
        } else {
            self.phase = Phase::Hidden;
        }
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

    /// One thing that may happen to the loop, as a test drives it.
    #[derive(Debug, Clone, Copy)]
    enum Act {
        /// The fetch in flight ends (skipped if none is).
        Complete { ok: bool, transient: bool },
        /// The wait's timer fires (skipped if none is armed).
        Timer,
        Wake(bool),
        Viewed,
        /// A recount asked for falls due (skipped if none is).
        Recount,
        Visible(bool),
    }

    fn act() -> impl Strategy<Value = Act> {
        prop_oneof![
            (any::<bool>(), any::<bool>()).prop_map(|(ok, transient)| Act::Complete { ok, transient }),
            Just(Act::Timer),
            any::<bool>().prop_map(Act::Wake),
            Just(Act::Viewed),
            Just(Act::Recount),
            any::<bool>().prop_map(Act::Visible),
        ]
    }

    /// The DOM's side, as the test plays it: what is in flight, armed, due, and owed.
    struct World {
        l: Loop,
        visible: bool,
        in_flight: bool,
        armed: bool,
        /// The armed timer is a backoff's.
        backoff: bool,
        recounts: u32,
        /// A refresh asked for with `again` that no fetch started since has served.
        owed: bool,
        fetches: u32,
    }

    impl World {
        fn new(refresh: u32, woken: bool, visible: bool) -> World {
            World { l: Loop::new(Policy::new(refresh, woken), visible), visible, in_flight: true, armed: false, backoff: false, recounts: 0, owed: false, fetches: 1 }
        }

        fn send(&mut self, event: Event) -> Result<(), TestCaseError> {
            let fx = self.l.step(event);
            match fx.timer {
                Timer::Keep => {}
                Timer::Start(_) => self.armed = true,
                Timer::Cancel => self.armed = false,
            }
            if fx.recount {
                self.recounts += 1;
            }
            if fx.fetch {
                prop_assert!(!self.in_flight, "two fetches in flight");
                prop_assert!(self.visible, "a hidden page fetched");
                prop_assert!(!self.armed, "a timer left armed while fetching");
                self.in_flight = true;
                self.owed = false;
                self.fetches += 1;
            }
            Ok(())
        }

        fn play(&mut self, act: Act) -> Result<(), TestCaseError> {
            match act {
                Act::Complete { ok, transient } if self.in_flight => {
                    let outcome = if ok { Outcome::Read } else { Outcome::Failed { transient, retry_after: None } };
                    self.backoff = !ok && transient && self.l.policy.attempt() < retry::MAX_RETRIES;
                    self.in_flight = false;
                    self.send(Event::Fetched(outcome, 0.5))?;
                    if ok {
                        self.send(Event::Shown)?;
                    }
                }
                Act::Timer if self.armed => {
                    self.armed = false;
                    self.send(Event::Timer)?;
                    self.backoff = false;
                }
                Act::Wake(again) => {
                    if again {
                        self.owed = true;
                    }
                    self.send(Event::Wake { again })?;
                }
                Act::Viewed => self.send(Event::Viewed)?,
                Act::Recount if self.recounts > 0 => {
                    self.recounts -= 1;
                    self.send(Event::Wake { again: false })?;
                }
                Act::Visible(v) => {
                    self.visible = v;
                    self.send(Event::Visible(v))?;
                }
                _ => {}
            }
            Ok(())
        }
    }

    proptest! {
        #[test]
        fn no_refresh_asked_for_is_lost_no_two_fetches_fly_and_a_hidden_page_never_fetches(
            refresh in 0u32..3,
            visible in any::<bool>(),
            acts in proptest::collection::vec(act(), 0..60),
        ) {
            // Woken: something may ask for refreshes (a loop that cannot be woken stops).
            let mut w = World::new(refresh, true, visible);
            for a in acts {
                w.play(a)?;
            }
            // Then the page is seen, the fetch in flight ends well and a backoff runs out, and
            // nothing else happens: a refresh asked for must have started by then, without
            // waiting for the next interval.
            for _ in 0..4 {
                if !w.visible {
                    w.play(Act::Visible(true))?;
                } else if w.in_flight {
                    w.play(Act::Complete { ok: true, transient: false })?;
                } else if w.armed && w.backoff {
                    w.play(Act::Timer)?;
                }
            }
            prop_assert!(!w.owed, "a refresh asked for was lost");
            prop_assert!(!w.in_flight);
        }
    }

    #[test]
    fn a_hidden_page_fetches_once_it_is_seen_and_a_wake_while_fetching_fetches_once_after() {
        let mut w = World::new(60, true, true);
        w.play(Act::Complete { ok: true, transient: false }).unwrap();
        assert!(w.armed, "the next refresh is timed");
        w.play(Act::Visible(false)).unwrap();
        w.play(Act::Timer).unwrap();
        w.play(Act::Wake(true)).unwrap();
        assert_eq!(w.fetches, 1, "hidden: no request");
        w.play(Act::Visible(true)).unwrap();
        assert_eq!(w.fetches, 2, "seen again: one request");
        // Asked twice while that one is in flight: one more, right after it.
        w.play(Act::Wake(true)).unwrap();
        w.play(Act::Wake(true)).unwrap();
        w.play(Act::Wake(false)).unwrap();
        assert_eq!(w.fetches, 2);
        w.play(Act::Complete { ok: true, transient: false }).unwrap();
        assert_eq!(w.fetches, 3);
        w.play(Act::Complete { ok: true, transient: false }).unwrap();
        assert_eq!(w.fetches, 3, "and no more");
        assert!(w.armed);
    }

    #[test]
    fn a_counted_view_refreshes_after_the_recount_delay_unless_a_fetch_is_on_its_way() {
        let mut l = Loop::new(Policy::new(0, true), true);
        assert_eq!(l.step(Event::Fetched(Outcome::Read, 0.5)).timer, Timer::Cancel, "no interval: only woken");
        assert_eq!(l.step(Event::Viewed), Effects { recount: true, ..Effects::default() });
        assert!(l.step(Event::Viewed).recount);
        let first = l.step(Event::Wake { again: false });
        assert!(first.fetch, "the first recount fetches");
        assert!(!l.step(Event::Wake { again: false }).fetch, "the second, with that fetch on its way, does not");
    }

    #[test]
    fn the_stored_copy_is_shown_after_a_failure_only_while_nothing_is_on_the_page() {
        let mut l = Loop::new(Policy::new(60, false), true);
        assert!(l.wants_stored_copy(DOWN));
        assert!(!l.wants_stored_copy(Outcome::Read));
        assert!(l.wants_stored_copy(Outcome::Failed { transient: false, retry_after: None }), "a broken feed too");
        l.step(Event::Fetched(DOWN, 0.5));
        assert!(!l.step(Event::Timer).revalidate, "nothing on the page: the HTTP cache may answer");
        l.step(Event::Shown);
        assert!(!l.wants_stored_copy(DOWN), "a feed is on the page");
        l.step(Event::Fetched(DOWN, 0.5));
        let fx = l.step(Event::Timer);
        assert!(fx.fetch && fx.revalidate, "a feed on the page: revalidated past the HTTP cache");
    }

    #[test]
    fn a_loop_that_nothing_can_wake_stops_until_the_host_asks() {
        let mut l = Loop::new(Policy::new(0, false), true);
        assert_eq!(l.step(Event::Fetched(Outcome::Read, 0.5)), Effects::default());
        assert_eq!(l.step(Event::Timer), Effects::default());
        assert_eq!(l.step(Event::Wake { again: false }), Effects::default(), "a recount alone does not restart it");
        // The loader's refresh() ("fetch the feed now") is served, once, then it stops again.
        let fx = l.step(Event::Wake { again: true });
        assert!(fx.fetch && fx.revalidate == l.shown(), "{fx:?}");
        assert_eq!(l.step(Event::Fetched(Outcome::Read, 0.5)), Effects::default());
        assert_eq!(l.step(Event::Timer), Effects::default());
        let mut idle = Loop::IDLE;
        for e in [Event::Wake { again: true }, Event::Timer, Event::Visible(true), Event::Fetched(Outcome::Read, 0.5)] {
            assert!(!idle.step(e).fetch, "the loop before start never fetches");
        }
    }
}
