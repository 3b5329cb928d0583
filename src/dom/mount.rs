//! Finding the publisher's mount points and giving each its own shadow root.

use crate::dom::build::Tree;
use crate::dom::{browser, el, style};
use crate::error::Error;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, ShadowRoot};

/// The attribute that makes an element a mount point.
pub const ATTRIBUTE: &str = "data-depeche";
/// Every mount point.
pub const SELECTOR: &str = "[data-depeche]";

/// What a mount point shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `data-depeche="banner"`.
    Banner,
    /// `data-depeche="card"`.
    Card,
}

/// One publisher element to render into.
pub struct Mount {
    /// The host element.
    pub host: Element,
    /// Banner or card.
    pub kind: Kind,
    /// `data-article`: the item id a card is pinned to.
    pub article: Option<String>,
}

/// Every `[data-depeche]` element not rendered yet and not `known` (mounts this instance
/// already tracks, even empty ones). A shadow root styled by another copy of the script marks
/// a mount it rendered, so loading the script twice renders once; one of this instance's is a
/// mount it let go (unmounted, or removed and put back), to render again.
pub fn find(doc: &Document, known: impl Fn(&Element) -> bool) -> (Vec<Mount>, Vec<Error>) {
    let mut mounts = Vec::new();
    let mut errors = Vec::new();
    let Ok(list) = browser::select_all(doc, SELECTOR) else { return (mounts, errors) };
    for host in list.iter() {
        let host: Element = host.unchecked_into();
        if host.shadow_root().is_some_and(|r| !style::is_ours(&r)) || known(&host) {
            continue;
        }
        let kind = match kind_of(&host) {
            Ok(kind) => kind,
            Err(value) => {
                errors.push(Error::BadSetting { name: "data-depeche", value, expected: "\"banner\" or \"card\"" });
                continue;
            }
        };
        let article = article_of(&host);
        mounts.push(Mount { host, kind, article });
    }
    (mounts, errors)
}

/// What `host`'s `data-depeche` asks for, or the value it has instead.
pub fn kind_of(host: &Element) -> Result<Kind, String> {
    match host.get_attribute(ATTRIBUTE).as_deref().map(str::trim) {
        Some("banner") => Ok(Kind::Banner),
        Some("card") => Ok(Kind::Card),
        other => Err(other.unwrap_or_default().to_owned()),
    }
}

/// `host`'s `data-article`, trimmed, if not empty.
pub fn article_of(host: &Element) -> Option<String> {
    host.get_attribute("data-article").map(|a| a.trim().to_owned()).filter(|a| !a.is_empty())
}

/// Whether the page already has a banner mount, rendered or not.
pub fn has_banner(doc: &Document) -> bool {
    browser::select_all(doc, "[data-depeche=banner]").is_ok_and(|list| list.length() > 0)
}

/// A banner mount inserted at the top of `<body>`, for pages that did not place one.
pub fn insert_banner(doc: &Document) -> Result<Element, Error> {
    let body = doc.body().ok_or(Error::Unsupported("a <body> element"))?;
    let mut t = Tree::default();
    t.open("div", "").attr(ATTRIBUTE, "banner").keep();
    let host = t.build(doc, &body, body.first_child().as_ref()).and_then(|mut kept| kept.take());
    host.map_err(|_| Error::Unsupported("inserting the banner"))
}

/// The mount's shadow root, emptied if this instance rendered it before, else a new one.
pub fn root(host: &Element) -> Result<ShadowRoot, Error> {
    match host.shadow_root() {
        Some(root) => {
            el::clear(&root);
            Ok(root)
        }
        None => shadow(host),
    }
}

/// Attaches an open shadow root to `host`, styled with the widget's stylesheet.
fn shadow(host: &Element) -> Result<ShadowRoot, Error> {
    let root = browser::attach_shadow(host).map_err(|_| Error::BadMount { tag: host.local_name() })?;
    style::adopt(&root)?;
    Ok(root)
}
