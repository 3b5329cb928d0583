//! The widget's only voice: one `depeche:`-prefixed console line per problem.

use crate::error::Error;
use crate::text::concat;

use std::cell::RefCell;

thread_local! {
    static SAID: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Logs `error` as a console warning that names the widget.
pub fn report(error: &Error) {
    web_sys::console::warn_1(&concat(&["depeche: ", &error.message()]).into());
}

/// Logs `error` unless the same message was logged before: a feed that keeps failing the
/// same way while it is retried says so once.
pub fn report_once(error: &Error) {
    let message = error.message();
    let new = SAID.with(|said| {
        let mut said = said.borrow_mut();
        let new = !said.contains(&message);
        if new {
            said.push(message.clone());
        }
        new
    });
    if new {
        web_sys::console::warn_1(&concat(&["depeche: ", &message]).into());
    }
}
