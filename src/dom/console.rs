//! The widget's only voice: one `depeche:`-prefixed console line per problem.

use crate::error::Error;
use crate::text::concat;

/// Logs `error` as a console warning that names the widget.
pub fn report(error: &Error) {
    web_sys::console::warn_1(&concat(&["depeche: ", &error.message()]).into());
}
