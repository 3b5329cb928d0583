//! The widget's one error type; turned into a console message only at the browser edge.

use crate::feed::FeedError;
use crate::text::{concat, push_u64};
use crate::view::NoCard;

/// Everything that can go wrong, as values.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// A required `data-*` attribute is absent.
    MissingSetting(&'static str),
    /// `data-key` asks for signatures and this item's is missing, by another key, or wrong.
    Unsigned { id: String, why: &'static str },
    /// A `data-*` attribute has a value the widget cannot use.
    BadSetting { name: &'static str, value: String, expected: &'static str },
    /// The feed could not be fetched at all.
    Network { url: String },
    /// The feed answered with a non-success status.
    Http { url: String, status: u16 },
    /// The feed did not answer within `data-timeout`.
    Timeout { url: String, seconds: u32 },
    /// The feed is larger than `data-max-bytes`.
    TooLarge { url: String, limit: u64 },
    /// The feed's body is not UTF-8.
    NotUtf8 { url: String },
    /// The feed's body is not JSON.
    NotJson { url: String },
    /// The feed is JSON but not a usable feed, or one of its items was skipped.
    Feed(FeedError),
    /// A card mount has nothing to show.
    NoCard(NoCard),
    /// A `data-depeche` element that cannot hold a shadow root (`img`, `a`, …).
    BadMount { tag: String },
    /// A language tag (from `data-lang`, the feed or the page) the browser refuses.
    BadLanguage { tag: String },
    /// The browser lacks something the widget needs.
    Unsupported(&'static str),
    /// The live stream (`data-events`) failed: blocked, refused or buffered on the way.
    NoLive { url: String },
}

impl Error {
    /// The message, without the `depeche:` prefix the console adds.
    pub fn message(&self) -> String {
        match self {
            Error::MissingSetting(name) => concat(&[name, ": missing on the script tag; nothing to show"]),
            Error::Unsigned { id, why } => concat(&["item \"", id, "\" is not shown: ", why, " (data-key asks for the newsroom's signature)"]),
            Error::BadSetting { name, value, expected } => {
                concat(&[name, ": \"", value, "\" is not ", expected, "; using the default"])
            }
            Error::Network { url } => concat(&["could not fetch the feed ", url, " (network error or CORS)"]),
            Error::Http { url, status } => {
                let mut s = concat(&["the feed ", url, " answered HTTP "]);
                push_u64(&mut s, u64::from(*status));
                s
            }
            Error::Timeout { url, seconds } => {
                let mut s = concat(&["the feed ", url, " did not answer within "]);
                push_u64(&mut s, u64::from(*seconds));
                s.push_str(" s (data-timeout)");
                s
            }
            Error::TooLarge { url, limit } => {
                let mut s = concat(&["the feed ", url, " is larger than the limit of "]);
                push_u64(&mut s, *limit);
                s.push_str(" bytes (data-max-bytes); not read");
                s
            }
            Error::NotUtf8 { url } => concat(&["the feed ", url, " is not valid UTF-8"]),
            Error::NotJson { url } => concat(&["the feed ", url, " is not valid JSON"]),
            Error::Feed(e) => e.message(),
            Error::NoCard(NoCard::UnknownArticle(id)) => concat(&["data-article=\"", id, "\": no such item in the feed"]),
            Error::NoCard(NoCard::Expired(id)) => concat(&["data-article=\"", id, "\": this item has expired or was withdrawn"]),
            Error::NoCard(NoCard::Empty) => "the feed has no current item to show".into(),
            Error::BadMount { tag } => {
                concat(&["data-depeche on <", tag, ">: this element cannot hold the widget; use a <div>"])
            }
            Error::BadLanguage { tag } => {
                concat(&["the language tag \"", tag, "\" is not valid BCP 47; using the next language given"])
            }
            Error::Unsupported(what) => concat(&["this browser lacks ", what]),
            Error::NoLive { url } => concat(&["live alerts from ", url, " failed; polling instead"]),
        }
    }
}

impl Error {
    /// Whether trying the feed again may help: network trouble and overloaded servers,
    /// not a feed that is too large or malformed (it is fetched again at the next refresh).
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Network { .. } | Error::Timeout { .. } | Error::NotJson { .. } => true,
            Error::Http { status, .. } => *status == 408 || *status == 429 || *status >= 500,
            _ => false,
        }
    }
}

impl From<FeedError> for Error {
    fn from(e: FeedError) -> Self {
        Error::Feed(e)
    }
}

impl From<NoCard> for Error {
    fn from(e: NoCard) -> Self {
        Error::NoCard(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::Reason;

    #[test]
    fn only_network_trouble_is_retried() {
        let url = || "/f".to_owned();
        assert!(Error::Network { url: url() }.is_transient());
        assert!(Error::Timeout { url: url(), seconds: 8 }.is_transient());
        assert!(Error::Http { url: url(), status: 503 }.is_transient());
        assert!(Error::Http { url: url(), status: 429 }.is_transient());
        assert!(!Error::Http { url: url(), status: 404 }.is_transient());
        assert!(!Error::TooLarge { url: url(), limit: 1 }.is_transient());
        assert!(!Error::NotUtf8 { url: url() }.is_transient());
    }

    #[test]
    fn messages_name_what_and_where() {
        assert_eq!(
            Error::Unsigned { id: "k".into(), why: "signed by an unknown key" }.message(),
            "item \"k\" is not shown: signed by an unknown key (data-key asks for the newsroom's signature)"
        );
        assert_eq!(Error::Http { url: "/feed.json".into(), status: 503 }.message(), "the feed /feed.json answered HTTP 503");
        assert_eq!(
            Error::from(FeedError { path: "items[2].date_published".into(), reason: Reason::NotRfc3339 }).message(),
            "items[2].date_published: not an RFC 3339 date"
        );
        assert_eq!(Error::from(NoCard::UnknownArticle("x".into())).message(), "data-article=\"x\": no such item in the feed");
        assert_eq!(
            Error::BadMount { tag: "img".into() }.message(),
            "data-depeche on <img>: this element cannot hold the widget; use a <div>"
        );
        assert_eq!(
            Error::Timeout { url: "/f".into(), seconds: 8 }.message(),
            "the feed /f did not answer within 8 s (data-timeout)"
        );
        assert_eq!(
            Error::TooLarge { url: "/f".into(), limit: 2_000_000 }.message(),
            "the feed /f is larger than the limit of 2000000 bytes (data-max-bytes); not read"
        );
        assert_eq!(Error::NotJson { url: "f".into() }.message(), "the feed f is not valid JSON");
        assert_eq!(
            Error::NoLive { url: "/events".into() }.message(),
            "live alerts from /events failed; polling instead"
        );
        assert_eq!(
            Error::BadLanguage { tag: "fr-".into() }.message(),
            "the language tag \"fr-\" is not valid BCP 47; using the next language given"
        );
    }
}
