//! Sending beacons: `navigator.sendBeacon`, else `fetch` with `keepalive`, from an outbox
//! that is flushed shortly after each event and at once when the page is hidden.

use crate::rfc3339::Millis;
use crate::dom::timer::{self, Timeout};
use crate::dom::{browser, promise};
use std::cell::RefCell;

/// Events are coalesced for this long before sending.
const FLUSH_DELAY_MS: Millis = 500;

thread_local! {
    static OUTBOX: RefCell<Outbox> = const { RefCell::new(Outbox { pending: Vec::new(), flush: None }) };
}

struct Outbox {
    pending: Vec<(String, String)>,
    /// The flush to come, while something is pending; a flush before it cancels it.
    flush: Option<Timeout>,
}

/// Queues `body` for `url`; it is sent within half a second, or when the page is hidden.
pub fn queue(url: &str, body: String) {
    let schedule = OUTBOX.with(|o| {
        let mut o = o.borrow_mut();
        o.pending.push((url.to_owned(), body));
        o.flush.is_none()
    });
    if schedule {
        let flush = timer::after(FLUSH_DELAY_MS, flush);
        // Kept only while something waits for it: without a window the timer has run at once,
        // and a spent handle kept here would stop every later flush from being scheduled.
        OUTBOX.with(|o| {
            let mut o = o.borrow_mut();
            if !o.pending.is_empty() {
                o.flush = Some(flush);
            }
        });
    }
}

/// Sends everything pending now.
pub fn flush() {
    let (pending, scheduled) = OUTBOX.with(|o| {
        let mut o = o.borrow_mut();
        (std::mem::take(&mut o.pending), o.flush.take())
    });
    // Cancelled once the borrow has ended (its callback, not the browser's timer, is dropped).
    drop(scheduled);
    for (url, body) in &pending {
        send(url, body);
    }
}

/// One beacon. A string body goes as `text/plain`, a CORS-safelisted type: no preflight.
fn send(url: &str, body: &str) {
    // sendBeacon may be missing (it then throws, caught here) or refuse when the page's
    // in-flight keepalive quota (64 KiB in Chrome) is used up.
    if browser::send_beacon(url, body) == Ok(true) {
        return;
    }
    // Handling the promise consumes a rejection, so no `unhandledrejection` reaches the host.
    if let Ok(request) = browser::keepalive_post(url, body) {
        promise::then(&request, drop);
    }
}
