//! Fetching the feed within its limits.

use crate::dom::timer::{self, Timeout};
use crate::dom::{browser, promise};
use crate::error::Error;
use crate::settings::Settings;
use crate::retry::parse_retry_after;
use crate::rfc3339::Millis;
use js_sys::ArrayBuffer;
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::AbortController;

/// An HTTP date read by the browser's `Date.parse`; `None` when it is not one.
fn http_date(v: &str) -> Option<Millis> {
    let t = js_sys::Date::parse(v);
    t.is_finite().then_some(t as Millis)
}

/// How a feed request is bounded.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Abandon the request after this long.
    pub timeout_seconds: u32,
    /// Refuse larger bodies.
    pub max_bytes: u64,
}

impl Limits {
    /// The bounds `data-timeout` and `data-max-bytes` set.
    pub fn of(settings: &Settings) -> Limits {
        Limits { timeout_seconds: settings.timeout_seconds, max_bytes: settings.max_bytes }
    }
}

/// A failed fetch, and how long the server asked us to wait.
#[derive(Debug)]
pub struct Failure {
    /// What went wrong.
    pub error: Error,
    /// The server's `Retry-After`, as a wait.
    pub retry_after: Option<Millis>,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Failure {
        Failure { error, retry_after: None }
    }
}

/// What a fetch brought.
#[derive(Debug)]
pub enum Fetched {
    /// The body, checked to be UTF-8 and within the size limit, and its ETag. A JS string:
    /// the feed is parsed, compared and stored on the JS side, never copied into the wasm.
    Body { text: js_sys::JsString, etag: Option<String> },
    /// `304 Not Modified`: the copy we have is current.
    NotModified,
}

/// What a fetch brought, and the feed's version if the server said it (`Depeche-Version`).
pub type Reply = (Fetched, Option<u64>);

/// A request the loader started before the wasm was ready (the first, plain one), with the
/// controller that aborts it: the feed downloads while the wasm compiles.
pub type Early = (js_sys::Promise, Option<AbortController>);

/// Fetches `url` within `limits` (or reads the response of `early`, the same request already
/// on its way), then calls `done` with what came. `fresh` revalidates past the HTTP cache;
/// `etag` makes the request conditional (and bypasses the HTTP cache, so that a 304 reaches us
/// as a 304).
pub fn feed(url: String, fresh: bool, limits: Limits, etag: Option<&str>, early: Option<Early>, done: impl FnOnce(Result<Reply, Failure>) + 'static) {
    let (early, controller) = match early {
        Some((sent, controller)) => (Some(sent), controller),
        None => (None, AbortController::new().ok()),
    };
    let timed_out = Rc::new(Cell::new(false));
    let timeout = controller.clone().map(|c| {
        let flag = Rc::clone(&timed_out);
        timer::after(Millis::from(limits.timeout_seconds) * 1000, move || {
            flag.set(true);
            c.abort();
        })
    });
    let request = Request { url, limits, controller, timed_out, _timeout: timeout };
    match early.map_or_else(|| request.send(fresh, etag), Ok) {
        Err(f) => done(Err(f)),
        Ok(sent) => promise::then(&sent, move |response| {
            match response.map_err(|_| request.failed()).and_then(|r| request.head(r.unchecked_into())) {
                Ok((Head::Body { body, etag }, version)) => promise::then(&body, move |buffer| {
                    done(buffer.map_err(|_| request.failed()).and_then(|b| request.body(&b, etag)).map(|f| (f, version)))
                }),
                Ok((Head::NotModified, version)) => done(Ok((Fetched::NotModified, version))),
                Err(f) => done(Err(f)),
            }
        }),
    }
}

/// A feed request in flight.
struct Request {
    url: String,
    limits: Limits,
    controller: Option<AbortController>,
    /// Set by the timeout, so that the abort it causes is told apart from a network error.
    timed_out: Rc<Cell<bool>>,
    /// The timeout, cancelled when the request is done with (dropped).
    _timeout: Option<Timeout>,
}

/// What the response's status and headers said.
enum Head {
    NotModified,
    Body { body: js_sys::Promise, etag: Option<String> },
}

impl Request {
    fn send(&self, fresh: bool, etag: Option<&str>) -> Result<js_sys::Promise, Failure> {
        let cache = match (etag, fresh) {
            (Some(_), _) => "no-store",
            (None, true) => "no-cache",
            (None, false) => "default",
        };
        let signal = self.controller.as_ref().map(AbortController::signal);
        // Not gloo-net: its `send` formats the URL with `format!`, which ships core::fmt
        // (measured: 3.2 KB gzip more in all).
        browser::feed_request(&self.url, cache, signal.as_ref(), etag.unwrap_or("")).map_err(|_| self.failed())
    }

    /// The request failed: timed out (our abort) or a network error.
    fn failed(&self) -> Failure {
        let url = self.url.clone();
        let error = if self.timed_out.get() {
            Error::Timeout { url, seconds: self.limits.timeout_seconds }
        } else {
            Error::Network { url }
        };
        error.into()
    }

    /// Reads the status and headers (and the feed's version); the body is read only when it
    /// is wanted and fits.
    fn head(&self, response: web_sys::Response) -> Result<(Head, Option<u64>), Failure> {
        let header = |name: &str| browser::header(&response, name);
        let version = header("depeche-version").and_then(|v| crate::text::parse_u64(&v));
        if response.status() == 304 {
            return Ok((Head::NotModified, version));
        }
        if !response.ok() {
            let retry_after = header("retry-after").and_then(|v| parse_retry_after(&v, timer::now(), http_date));
            return Err(Failure { error: Error::Http { url: self.url.clone(), status: response.status() }, retry_after });
        }
        let declared = header("content-length").and_then(|v| crate::text::parse_u64(v.trim()));
        if declared.is_some_and(|n| n > self.limits.max_bytes) {
            if let Some(c) = &self.controller {
                c.abort();
            }
            return Err(self.too_large());
        }
        let body = response.array_buffer().map_err(|_| self.failed())?;
        Ok((Head::Body { body, etag: header("etag") }, version))
    }

    /// Checks the body's size and encoding.
    fn body(&self, buffer: &JsValue, etag: Option<String>) -> Result<Fetched, Failure> {
        // The request is complete: its timeout goes with it, unfired.
        if buffer.unchecked_ref::<ArrayBuffer>().byte_length() as u64 > self.limits.max_bytes {
            return Err(self.too_large());
        }
        // The browser's decoder, told to refuse invalid UTF-8 rather than replace it: no
        // copy of the bytes into the wasm, and no UTF-8 validation shipped in it.
        let text = browser::decode_utf8(buffer).map_err(|_| Error::NotUtf8 { url: self.url.clone() })?;
        Ok(Fetched::Body { text, etag })
    }

    fn too_large(&self) -> Failure {
        Error::TooLarge { url: self.url.clone(), limit: self.limits.max_bytes }.into()
    }
}
