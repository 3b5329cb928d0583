//! When a reader has seen an item: the MRC viewable-impression rule as a state machine.
//!
//! An item is viewed once its card or banner has been at least half visible for one
//! continuous second while the document is visible. The browser side feeds in intersection
//! ratios and page visibility with the current time, and calls `tick` when asked to.

use crate::rfc3339::Millis;

/// Share of the element that must be in the viewport.
pub const MIN_RATIO: f64 = 0.5;
/// How long it must stay so, continuously.
pub const MIN_MS: Millis = 1000;

/// What the browser side should do after an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Nothing yet.
    Wait,
    /// Call `tick` again after this many milliseconds.
    WakeIn(Millis),
    /// The view is established: report it (this happens once).
    Viewed,
}

/// The viewability of one mounted element.
#[derive(Debug, Clone, PartialEq)]
pub struct Tracker {
    in_view: bool,
    page_visible: bool,
    since: Option<Millis>,
    done: bool,
}

impl Tracker {
    /// A tracker for an element not yet observed, on a page that is or is not visible.
    pub fn new(page_visible: bool) -> Tracker {
        Tracker { in_view: false, page_visible, since: None, done: false }
    }

    /// Whether the view has already been reported.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The element's visible share changed.
    pub fn intersection(&mut self, ratio: f64, now: Millis) -> Step {
        self.in_view = ratio >= MIN_RATIO;
        self.update(now)
    }

    /// The document became visible or hidden.
    pub fn page_visibility(&mut self, visible: bool, now: Millis) -> Step {
        self.page_visible = visible;
        self.update(now)
    }

    /// The timer asked for by `WakeIn` fired (or any time: stale calls are harmless).
    pub fn tick(&mut self, now: Millis) -> Step {
        self.update(now)
    }

    fn update(&mut self, now: Millis) -> Step {
        if self.done {
            return Step::Wait;
        }
        if !(self.in_view && self.page_visible) {
            self.since = None;
            return Step::Wait;
        }
        let since = *self.since.get_or_insert(now);
        let elapsed = now.saturating_sub(since);
        if elapsed >= MIN_MS {
            self.done = true;
            Step::Viewed
        } else {
            Step::WakeIn(MIN_MS - elapsed)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_continuous_second_at_half_visibility_is_a_view() {
        let mut t = Tracker::new(true);
        assert_eq!(t.intersection(0.6, 0), Step::WakeIn(1000));
        assert_eq!(t.tick(400), Step::WakeIn(600));
        assert_eq!(t.tick(1000), Step::Viewed);
        assert!(t.is_done());
        // Once only.
        assert_eq!(t.tick(5000), Step::Wait);
        assert_eq!(t.intersection(1.0, 6000), Step::Wait);
    }

    #[test]
    fn less_than_half_or_less_than_a_second_is_not() {
        let mut t = Tracker::new(true);
        assert_eq!(t.intersection(0.49, 0), Step::Wait);
        assert_eq!(t.tick(5000), Step::Wait);
        assert_eq!(t.intersection(0.5, 5000), Step::WakeIn(1000));
        assert_eq!(t.intersection(0.2, 5900), Step::Wait);
        // The stale timer fires after the element left: still nothing.
        assert_eq!(t.tick(6000), Step::Wait);
        // Back in view: the second starts again.
        assert_eq!(t.intersection(0.9, 7000), Step::WakeIn(1000));
        assert_eq!(t.tick(7999), Step::WakeIn(1));
        assert_eq!(t.tick(8000), Step::Viewed);
    }

    #[test]
    fn a_hidden_page_stops_the_clock() {
        let mut t = Tracker::new(false);
        assert_eq!(t.intersection(1.0, 0), Step::Wait);
        assert_eq!(t.tick(3000), Step::Wait);
        assert_eq!(t.page_visibility(true, 3000), Step::WakeIn(1000));
        assert_eq!(t.page_visibility(false, 3500), Step::Wait);
        assert_eq!(t.page_visibility(true, 10_000), Step::WakeIn(1000));
        assert_eq!(t.tick(11_000), Step::Viewed);
    }
}
