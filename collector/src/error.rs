//! The one error type of the HTTP handlers: each refusal is a value that becomes its response
//! (status, `Retry-After` where a retry can work, and a short plain-text reason).

use crate::store;
use axum::http::header::RETRY_AFTER;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::borrow::Cow;

/// Why a request was not served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// 400: the request itself is wrong; the text says how.
    BadRequest(Cow<'static, str>),
    /// 401: the publisher token is missing or wrong.
    Unauthorized,
    /// 404: nothing here, and why.
    NotFound(&'static str),
    /// 409: the collector's configuration forbids it now; the text says what to change.
    Conflict(Cow<'static, str>),
    /// 413: the body is larger than the route takes.
    TooLarge(&'static str),
    /// 429: this address asked too often; retry after so many seconds.
    TooMany { retry_after: u32, why: &'static str },
    /// 503: the collector cannot do it now (the database, a cap); retry after so many seconds.
    Unavailable { retry_after: u32, why: Cow<'static, str> },
}

impl ApiError {
    /// A 503 with its retry delay.
    pub fn unavailable(retry_after: u32, why: impl Into<Cow<'static, str>>) -> ApiError {
        ApiError::Unavailable { retry_after, why: why.into() }
    }

    /// A 400.
    pub fn bad_request(why: impl Into<Cow<'static, str>>) -> ApiError {
        ApiError::BadRequest(why.into())
    }
}

/// A store that is behind asks for a retry in a second; one that failed, in five.
impl From<store::Error> for ApiError {
    fn from(e: store::Error) -> ApiError {
        match e {
            store::Error::Busy => ApiError::unavailable(1, "the collector is behind; retry later"),
            store::Error::Database(why) => {
                eprintln!("depeche-collector: the database failed: {why}");
                ApiError::unavailable(5, "the database cannot be reached; retry later")
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, retry, text): (StatusCode, Option<u32>, Cow<'static, str>) = match self {
            ApiError::BadRequest(why) => (StatusCode::BAD_REQUEST, None, why),
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, None, "a valid publish token is needed".into()),
            ApiError::NotFound(why) => (StatusCode::NOT_FOUND, None, why.into()),
            ApiError::Conflict(why) => (StatusCode::CONFLICT, None, why),
            ApiError::TooLarge(why) => (StatusCode::PAYLOAD_TOO_LARGE, None, why.into()),
            ApiError::TooMany { retry_after, why } => (StatusCode::TOO_MANY_REQUESTS, Some(retry_after), why.into()),
            ApiError::Unavailable { retry_after, why } => (StatusCode::SERVICE_UNAVAILABLE, Some(retry_after), why),
        };
        match retry {
            Some(seconds) => (status, [(RETRY_AFTER, seconds.to_string())], text.into_owned()).into_response(),
            None => (status, text.into_owned()).into_response(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_error_is_a_503_with_retry_after() {
        let r = ApiError::from(store::Error::Database("gone".into())).into_response();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.headers().get(RETRY_AFTER).and_then(|v| v.to_str().ok()), Some("5"));
        let busy = ApiError::from(store::Error::Busy).into_response();
        assert_eq!(busy.headers().get(RETRY_AFTER).and_then(|v| v.to_str().ok()), Some("1"));
        assert!(ApiError::Unauthorized.into_response().headers().get(RETRY_AFTER).is_none());
    }
}
