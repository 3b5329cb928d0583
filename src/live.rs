//! Live alerts, as a state machine: when the page's event stream (`data-events`) is opened,
//! closed and opened again, and when one of its events means "fetch the feed now".
//! `dom::live` holds the `EventSource` and does what this returns.
//!
//! The stream only says *that* the feed changed; the refresh loop's usual conditional request
//! fetches it, so a stale or repeated event costs a 304 at most, and polling at `data-refresh`
//! goes on underneath: where the stream cannot work, nothing is worse than without it.

use crate::retry;
use crate::rfc3339::Millis;

/// A stream opened by the widget must bring its first event (the collector sends the current
/// version at once) within this long, or it is taken for blocked or buffered by a proxy.
pub const FIRST_EVENT_MS: Millis = 10_000;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// The page became visible (`true`) or hidden.
    Visible(bool),
    /// A `feed` event arrived, with the feed's version if it could be read: the feed changed,
    /// unless it is the version already fetched for (a new connection's first event).
    Message(Option<u64>),
    /// The stream failed: refused (an HTTP error, a wrong content type, a CSP refusal) or
    /// cut. The widget reconnects by itself, with backoff, rather than leave it to the
    /// browser, which would retry every few seconds forever.
    Failed,
    /// A timer armed by [`Effects::timer`] fired, with its generation.
    Timer(u32),
    /// A feed response said its version (the collector's `Depeche-Version`): an event with
    /// that version brings nothing the page lacks, and one older than the stream announced is
    /// fetched again, once (an instance that has not heard of the publish yet answered).
    Fetched(u64),
}

/// Whether to fetch the feed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Fetch {
    /// No.
    #[default]
    No,
    /// If the refresh loop is idle: a fetch in flight or about to start (a page seen again)
    /// serves as well.
    IfIdle,
    /// Yes: after the fetch in flight, if there is one, since it may predate the change.
    Now,
}

/// What to do, in this order: close, open, arm, say, fetch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Effects {
    /// Close the open stream.
    pub close: bool,
    /// Open a new stream.
    pub open: bool,
    /// Arm a timer: after `.0` ms, send `Event::Timer(.1)`.
    pub timer: Option<(Millis, u32)>,
    /// Say once that live alerts fell back to polling.
    pub report: bool,
    /// Fetch the feed.
    pub fetch: Fetch,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// No stream: the page is hidden.
    Hidden,
    /// A stream opened by the widget, its first event not yet here.
    Connecting,
    /// A stream that has brought an event.
    Open,
    /// No stream: waiting to try again.
    Backoff,
}

/// The stream's state.
#[derive(Debug, Clone, Copy)]
pub struct Live {
    state: State,
    /// Failed connections since the last event.
    attempt: u32,
    /// Timers of an older generation are stale.
    generation: u32,
    reported: bool,
    /// The version of the last event or feed fetched: a new connection's first event fetches
    /// only if it differs.
    version: Option<u64>,
    /// The last version the stream announced, and the one a response older than it was
    /// fetched again for.
    announced: Option<u64>,
    retried: Option<u64>,
}

impl Default for Live {
    fn default() -> Live {
        Live::new()
    }
}

impl Live {
    /// No stream yet: the first `Event::Visible(true)` opens one.
    pub const fn new() -> Live {
        Live { state: State::Hidden, attempt: 0, generation: 0, reported: false, version: None, announced: None, retried: None }
    }

    /// Whether a stream is (or should be) open.
    pub fn connected(&self) -> bool {
        matches!(self.state, State::Connecting | State::Open)
    }

    /// What to do after `event`; `random` is uniform in [0, 1) (the backoff's jitter).
    pub fn step(&mut self, event: Event, random: f64) -> Effects {
        let connected = self.connected();
        match event {
            Event::Visible(false) if self.state != State::Hidden => {
                // Hidden tabs hold no connection (six per origin across all tabs, HTTP/1.1).
                self.generation = self.generation.wrapping_add(1);
                self.state = State::Hidden;
                Effects { close: connected, ..Effects::default() }
            }
            Event::Visible(true) if self.state == State::Hidden => {
                // Counts moved while the page was hidden (a publish is for the new
                // connection's first event to say); the refresh loop fetches once anyway if
                // it fell due meanwhile.
                Effects { fetch: Fetch::IfIdle, ..self.connect() }
            }
            Event::Message(version) if connected => {
                self.state = State::Open;
                self.attempt = 0;
                let changed = version.is_none() || version != self.version;
                self.version = version;
                self.announced = version.or(self.announced);
                Effects { fetch: if changed { Fetch::Now } else { Fetch::No }, ..Effects::default() }
            }
            Event::Fetched(version) => {
                self.version = Some(version);
                let stale = self.announced.is_some_and(|a| a > version) && self.retried != self.announced;
                if stale {
                    self.retried = self.announced;
                }
                Effects { fetch: if stale { Fetch::Now } else { Fetch::No }, ..Effects::default() }
            }
            Event::Failed if connected => self.back_off(random),
            Event::Timer(g) if g == self.generation => match self.state {
                State::Connecting => self.back_off(random),
                State::Backoff => self.connect(),
                _ => Effects::default(),
            },
            _ => Effects::default(),
        }
    }

    fn connect(&mut self) -> Effects {
        self.state = State::Connecting;
        Effects { open: true, timer: Some((FIRST_EVENT_MS, self.arm())), ..Effects::default() }
    }

    fn back_off(&mut self, random: f64) -> Effects {
        let wait = retry::delay(self.attempt, random, None);
        self.attempt = self.attempt.saturating_add(1);
        self.state = State::Backoff;
        let report = !std::mem::replace(&mut self.reported, true);
        Effects { close: true, timer: Some((wait, self.arm())), report, ..Effects::default() }
    }

    /// A new generation, for a timer that makes every earlier one stale.
    fn arm(&mut self) -> u32 {
        self.generation = self.generation.wrapping_add(1);
        self.generation
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn timer(fx: Effects) -> (Millis, u32) {
        let Some(t) = fx.timer else { unreachable!("no timer in {fx:?}") };
        t
    }

    fn started(visible: bool) -> (Live, Effects) {
        let mut live = Live::new();
        let fx = live.step(Event::Visible(visible), 0.5);
        (live, fx)
    }

    #[test]
    fn an_event_fetches_and_a_visible_page_connects_at_once() {
        let (mut live, fx) = started(true);
        assert!(fx.open);
        assert_eq!(timer(fx).0, FIRST_EVENT_MS);
        assert_eq!(live.step(Event::Message(Some(7)), 0.5), Effects { fetch: Fetch::Now, ..Effects::default() }, "no version known yet");
        assert_eq!(live.step(Event::Timer(timer(fx).1), 0.5), Effects::default(), "the first event came in time");
        assert_eq!(live.step(Event::Message(Some(8)), 0.5).fetch, Fetch::Now);
        assert_eq!(live.step(Event::Message(Some(8)), 0.5).fetch, Fetch::No, "the same version again");
        assert_eq!(live.step(Event::Message(None), 0.5).fetch, Fetch::Now, "an unreadable version is taken for a change");
    }

    #[test]
    fn the_first_event_fetches_only_what_the_page_has_not_fetched() {
        let mut live = Live::new();
        assert_eq!(live.step(Event::Fetched(4), 0.5), Effects::default());
        assert!(live.step(Event::Visible(true), 0.5).open);
        assert_eq!(live.step(Event::Message(Some(4)), 0.5).fetch, Fetch::No, "the version the page loaded");
        assert_eq!(live.step(Event::Message(Some(5)), 0.5).fetch, Fetch::Now, "published since");
        live.step(Event::Fetched(5), 0.5);
        assert_eq!(live.step(Event::Message(Some(5)), 0.5).fetch, Fetch::No);
        live.step(Event::Visible(false), 0.5);
        live.step(Event::Fetched(6), 0.5);
        live.step(Event::Visible(true), 0.5);
        assert_eq!(live.step(Event::Message(Some(6)), 0.5).fetch, Fetch::No, "fetched while reconnecting");
    }

    #[test]
    fn a_response_older_than_the_version_announced_is_fetched_again_once() {
        let (mut live, _) = started(true);
        assert_eq!(live.step(Event::Message(Some(7)), 0.5).fetch, Fetch::Now);
        // An instance that has not heard of 7 yet answers with 6 (or a response already on its
        // way when 7 was announced): once more.
        assert_eq!(live.step(Event::Fetched(6), 0.5).fetch, Fetch::Now, "older than announced");
        assert_eq!(live.step(Event::Fetched(6), 0.5).fetch, Fetch::No, "once for a version");
        assert_eq!(live.step(Event::Fetched(7), 0.5).fetch, Fetch::No);
        assert_eq!(live.step(Event::Message(Some(7)), 0.5).fetch, Fetch::No, "7 is on the page");
        assert_eq!(live.step(Event::Message(Some(8)), 0.5).fetch, Fetch::Now);
        assert_eq!(live.step(Event::Fetched(8), 0.5).fetch, Fetch::No);
        assert_eq!(live.step(Event::Fetched(9), 0.5).fetch, Fetch::No, "newer than announced: nothing to catch up");
    }

    #[test]
    fn a_hidden_page_holds_no_connection_and_reconnects_when_seen() {
        let (mut live, fx) = started(false);
        assert_eq!(fx, Effects::default());
        let fx = live.step(Event::Visible(true), 0.5);
        assert!(fx.open);
        assert_eq!(live.step(Event::Message(Some(3)), 0.5).fetch, Fetch::Now);
        assert_eq!(live.step(Event::Visible(false), 0.5), Effects { close: true, ..Effects::default() });
        assert_eq!(live.step(Event::Message(Some(4)), 0.5), Effects::default(), "a late event of the closed stream");
        let fx = live.step(Event::Visible(true), 0.5);
        assert!(fx.open && fx.fetch == Fetch::IfIdle, "seen again: reconnect, and fetch once unless a fetch is on its way");
        assert_eq!(live.step(Event::Message(Some(3)), 0.5).fetch, Fetch::No, "nothing was published meanwhile");
        assert!(live.step(Event::Visible(false), 0.5).close);
        live.step(Event::Visible(true), 0.5);
        assert_eq!(live.step(Event::Message(Some(5)), 0.5).fetch, Fetch::Now, "something was");
    }

    #[test]
    fn a_refused_stream_falls_back_once_said_and_is_retried_with_backoff() {
        let (mut live, _) = started(true);
        let fx = live.step(Event::Failed, 0.999);
        assert!(fx.close && fx.report && !fx.open);
        let (wait, g) = timer(fx);
        assert_eq!(wait, retry::delay(0, 0.999, None));
        let fx = live.step(Event::Timer(g), 0.5);
        assert!(fx.open);
        let mut fx = live.step(Event::Failed, 0.999);
        assert!(!fx.report, "said once");
        assert_eq!(timer(fx).0, retry::delay(1, 0.999, None), "the wait grows");
        for _ in 0..30 {
            assert!(live.step(Event::Timer(timer(fx).1), 0.999).open);
            fx = live.step(Event::Failed, 0.999);
            assert!(timer(fx).0 <= retry::CAP_MS && !fx.report);
        }
        // Hidden then visible while failing: fetch at once, since no event may come.
        let fx = live.step(Event::Visible(false), 0.5);
        assert!(!fx.close, "nothing was open");
        let fx = live.step(Event::Visible(true), 0.5);
        assert!(fx.open && fx.fetch == Fetch::IfIdle);
    }

    #[test]
    fn a_stream_with_no_first_event_is_taken_for_buffered() {
        let (mut live, fx) = started(true);
        let fx = live.step(Event::Timer(timer(fx).1), 0.5);
        assert!(fx.close && fx.report, "no event within {FIRST_EVENT_MS} ms");
        let fx = live.step(Event::Timer(timer(fx).1), 0.5);
        assert!(fx.open);
        assert_eq!(live.step(Event::Message(Some(1)), 0.5).fetch, Fetch::Now);
        let fx = live.step(Event::Failed, 0.5);
        assert!(fx.close && !fx.report, "a stream cut later backs off too, said once");
    }

    #[derive(Debug, Clone)]
    enum Step {
        Event(Event),
        /// The newest timer armed fires.
        Due,
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            any::<bool>().prop_map(|v| Step::Event(Event::Visible(v))),
            proptest::option::of(0u64..4).prop_map(|v| Step::Event(Event::Message(v))),
            Just(Step::Event(Event::Failed)),
            (0u64..4).prop_map(|v| Step::Event(Event::Fetched(v))),
            (0u32..6).prop_map(|g| Step::Event(Event::Timer(g))),
            Just(Step::Due),
        ]
    }

    proptest! {
        /// Whatever happens: at most one stream is open, and only while the page is visible;
        /// every open is timed; the fallback is said at most once; a fetch follows a new
        /// version (or one not known) or a page seen again, nothing else, and every version
        /// not fetched for before is; waits stay under the cap.
        #[test]
        fn one_stream_at_most_only_while_visible(steps in proptest::collection::vec((step(), 0.0f64..1.0), 1..60)) {
            let (mut live, fx) = started(true);
            let (mut open, mut visible, mut reports) = (fx.open, true, 0);
            let mut fetched_for: Option<u64> = None;
            let (mut announced, mut retried): (Option<u64>, Option<u64>) = (None, None);
            let mut newest = fx.timer;
            for (s, random) in steps {
                let event = match s {
                    Step::Event(e) => e,
                    Step::Due => match newest {
                        Some((_, g)) => Event::Timer(g),
                        None => continue,
                    },
                };
                let was_open = open;
                let fx = live.step(event, random);
                if let Event::Visible(v) = event {
                    visible = v;
                }
                prop_assert!(!fx.close || open, "closed a stream that was not open");
                prop_assert!(!(fx.open && open && !fx.close), "opened a second stream");
                open = (open && !fx.close) || fx.open;
                prop_assert_eq!(open, live.connected());
                prop_assert!(!open || visible, "a stream open while hidden");
                if fx.open {
                    prop_assert!(fx.timer.is_some_and(|(ms, _)| ms == FIRST_EVENT_MS));
                }
                if let Some((ms, _)) = fx.timer {
                    prop_assert!((0..=FIRST_EVENT_MS.max(retry::CAP_MS)).contains(&ms));
                    newest = fx.timer;
                }
                reports += usize::from(fx.report);
                prop_assert!(reports <= 1);
                match (event, fx.fetch) {
                    (Event::Message(v), Fetch::Now) => {
                        prop_assert!(v.is_none() || v != fetched_for, "fetched again for version {:?}", v);
                        fetched_for = v;
                        announced = v.or(announced);
                    }
                    (Event::Message(v), Fetch::No) => {
                        prop_assert!(!was_open || (v.is_some() && v == fetched_for), "version {:?} not fetched", v);
                        if was_open {
                            announced = v.or(announced);
                        }
                    }
                    (Event::Visible(true), f) => prop_assert!(f != Fetch::Now),
                    (Event::Fetched(v), f) => {
                        // Again only for a response older than the last version announced,
                        // and once for that version.
                        if f == Fetch::Now {
                            prop_assert!(announced.is_some_and(|a| a > v) && retried != announced, "fetched again after {}", v);
                            retried = announced;
                        } else {
                            prop_assert!(f == Fetch::No && (announced.is_none_or(|a| a <= v) || retried == announced));
                        }
                        fetched_for = Some(v);
                    }
                    (_, f) => prop_assert_eq!(f, Fetch::No),
                }
            }
        }
    }
}
