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
/// Errors in a row, while the browser reconnects by itself, before the widget gives up on the
/// connection and backs off.
pub const ERRORS_IN_A_ROW: u32 = 3;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// The page became visible (`true`) or hidden.
    Visible(bool),
    /// A `feed` event arrived: the feed changed (or, first on a connection, may have).
    Message,
    /// The stream failed; `closed` when the browser gave up on it (an HTTP error, a wrong
    /// content type, a CSP refusal) rather than reconnecting by itself.
    Failed {
        /// The `EventSource` is closed.
        closed: bool,
    },
    /// A timer armed by [`Effects::timer`] fired, with its generation.
    Timer(u32),
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
    /// Fetch the feed now.
    pub refetch: bool,
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
    /// Errors since the last event, on this connection.
    errors: u32,
    /// Timers of an older generation are stale.
    generation: u32,
    reported: bool,
}

impl Live {
    /// A stream for a page that is `visible` or not, and what to do first.
    pub fn start(visible: bool) -> (Live, Effects) {
        let mut live = Live { state: State::Hidden, attempt: 0, errors: 0, generation: 0, reported: false };
        let fx = if visible { live.connect() } else { Effects::default() };
        (live, fx)
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
                // The new connection's first event fetches the feed; while the stream is
                // failing, that may not come, so fetch now.
                Effects { refetch: self.attempt > 0, ..self.connect() }
            }
            Event::Message if connected => {
                self.state = State::Open;
                self.attempt = 0;
                self.errors = 0;
                Effects { refetch: true, ..Effects::default() }
            }
            Event::Failed { closed } if connected => {
                self.errors += 1;
                if closed || self.errors >= ERRORS_IN_A_ROW {
                    self.back_off(random)
                } else {
                    Effects::default()
                }
            }
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
        self.errors = 0;
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
        fx.timer.expect("a timer")
    }

    #[test]
    fn an_event_fetches_and_a_visible_page_connects_at_once() {
        let (mut live, fx) = Live::start(true);
        assert!(fx.open && !fx.refetch);
        assert_eq!(timer(fx).0, FIRST_EVENT_MS);
        assert_eq!(live.step(Event::Message, 0.5), Effects { refetch: true, ..Effects::default() });
        assert_eq!(live.step(Event::Timer(timer(fx).1), 0.5), Effects::default(), "the first event came in time");
        assert_eq!(live.step(Event::Message, 0.5).refetch, true);
    }

    #[test]
    fn a_hidden_page_holds_no_connection_and_reconnects_when_seen() {
        let (mut live, fx) = Live::start(false);
        assert_eq!(fx, Effects::default());
        let fx = live.step(Event::Visible(true), 0.5);
        assert!(fx.open && !fx.refetch, "the first event will fetch");
        live.step(Event::Message, 0.5);
        assert_eq!(live.step(Event::Visible(false), 0.5), Effects { close: true, ..Effects::default() });
        assert_eq!(live.step(Event::Message, 0.5), Effects::default(), "a late event of the closed stream");
        assert!(live.step(Event::Visible(true), 0.5).open);
    }

    #[test]
    fn a_refused_stream_falls_back_once_said_and_is_retried_with_backoff() {
        let (mut live, _) = Live::start(true);
        let fx = live.step(Event::Failed { closed: true }, 0.999);
        assert!(fx.close && fx.report && !fx.open);
        let (wait, g) = timer(fx);
        assert_eq!(wait, retry::delay(0, 0.999, None));
        let fx = live.step(Event::Timer(g), 0.5);
        assert!(fx.open);
        let mut fx = live.step(Event::Failed { closed: true }, 0.999);
        assert!(!fx.report, "said once");
        assert_eq!(timer(fx).0, retry::delay(1, 0.999, None), "the wait grows");
        for _ in 0..30 {
            assert!(live.step(Event::Timer(timer(fx).1), 0.999).open);
            fx = live.step(Event::Failed { closed: true }, 0.999);
            assert!(timer(fx).0 <= retry::CAP_MS && !fx.report);
        }
        // Hidden then visible while failing: fetch at once, since no event may come.
        let fx = live.step(Event::Visible(false), 0.5);
        assert!(!fx.close, "nothing was open");
        let fx = live.step(Event::Visible(true), 0.5);
        assert!(fx.open && fx.refetch);
    }

    #[test]
    fn a_stream_with_no_first_event_is_taken_for_buffered_and_errors_in_a_row_for_broken() {
        let (mut live, fx) = Live::start(true);
        let fx = live.step(Event::Timer(timer(fx).1), 0.5);
        assert!(fx.close && fx.report, "no event within {FIRST_EVENT_MS} ms");
        let fx = live.step(Event::Timer(timer(fx).1), 0.5);
        assert!(fx.open);
        live.step(Event::Message, 0.5);
        for _ in 1..ERRORS_IN_A_ROW {
            assert_eq!(live.step(Event::Failed { closed: false }, 0.5), Effects::default(), "the browser reconnects by itself");
        }
        assert!(live.step(Event::Failed { closed: false }, 0.5).close);
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
            Just(Step::Event(Event::Message)),
            any::<bool>().prop_map(|closed| Step::Event(Event::Failed { closed })),
            (0u32..6).prop_map(|g| Step::Event(Event::Timer(g))),
            Just(Step::Due),
        ]
    }

    proptest! {
        /// Whatever happens: at most one stream is open, and only while the page is visible;
        /// every open is timed; the fallback is said at most once; a fetch follows an event
        /// or a page seen again, nothing else; waits stay under the cap.
        #[test]
        fn one_stream_at_most_only_while_visible(steps in proptest::collection::vec((step(), 0.0f64..1.0), 1..60)) {
            let (mut live, fx) = Live::start(true);
            let (mut open, mut visible, mut reports) = (fx.open, true, 0);
            let mut newest = fx.timer;
            for (s, random) in steps {
                let event = match s {
                    Step::Event(e) => e,
                    Step::Due => match newest {
                        Some((_, g)) => Event::Timer(g),
                        None => continue,
                    },
                };
                let fx = live.step(event, random);
                if let Event::Visible(v) = event {
                    visible = v;
                }
                prop_assert!(!(fx.close && !open), "closed a stream that was not open");
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
                if fx.refetch {
                    prop_assert!(matches!(event, Event::Message | Event::Visible(true)));
                }
            }
        }
    }
}
