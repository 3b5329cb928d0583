//! The expandable article card.

use crate::dom::build::Tree;
use crate::dom::el;
use crate::dom::intl::Formatters;
use crate::dom::listener::Listener;
use crate::dom::el::Refused;
use crate::feed::Item;
use crate::html::{Node as HtmlNode, Tag};
use crate::i18n::{self, BylineParts, Locale, Strings};
use crate::view::{card_plan, card_text, Body, CardPlan, CardText, Shape};
use std::cell::RefCell;
use std::rc::Rc;
use web_sys::{Document, Element, ShadowRoot};

/// A rendered card, kept so the banner can open it and the count can change.
pub struct Card {
    /// The item shown.
    pub item_id: String,
    /// The publisher's mount element.
    pub host: Element,
    /// The parts that change in place when the item is updated.
    title: Element,
    kicker: Option<Element>,
    byline: Element,
    lede: Option<Element>,
    /// What is shown now.
    item: RefCell<Rc<Item>>,
    /// The parts it was built with.
    shape: Shape,
    locale: Locale,
    fmt: Rc<Formatters>,
    /// The expand/collapse button and the part it reveals, when there is more to read.
    expander: Option<Rc<Expander>>,
    /// Keeps the toggle's click listener registered for as long as the card lives.
    _listeners: Vec<Listener>,
}

struct Expander {
    toggle: Element,
    body: Element,
    strings: &'static Strings,
}

impl Expander {
    fn set(&self, open: bool) {
        el::attr(&self.toggle, "aria-expanded", if open { "true" } else { "false" });
        self.toggle.set_text_content(Some(if open { self.strings.show_less } else { self.strings.read_more }));
        el::set_hidden(&self.body, !open);
    }

    fn is_open(&self) -> bool {
        self.toggle.get_attribute("aria-expanded").as_deref() == Some("true")
    }
}

impl Card {
    /// Expands the card, scrolls it into view and moves focus to its button.
    pub fn reveal(&self) {
        if let Some(x) = &self.expander {
            if !x.is_open() {
                // Through the button, so that opening counts as a read like a click does.
                el::click(&x.toggle);
            }
            el::focus(&x.toggle);
        }
        self.host.scroll_into_view();
    }

    /// Opens the body without counting a read: the reader had opened it before a re-render.
    pub fn reopen(&self) {
        if let Some(x) = &self.expander {
            x.set(true);
        }
    }

    /// The item as shown now, to tell whether an update changed anything.
    pub fn snapshot(&self) -> Rc<Item> {
        self.item.borrow().clone()
    }

    /// Whether the full body is showing.
    pub fn is_expanded(&self) -> bool {
        self.expander.as_ref().is_some_and(|x| x.is_open())
    }

    /// Shows a newer version of the same item, changing only what changed, so that focus,
    /// the open body and unchanged nodes survive. `false` when the card's shape changed (a
    /// kicker, lede, image or body appeared or went away) and it must be rebuilt instead.
    pub fn update(&self, doc: &Document, item: &Rc<Item>) -> bool {
        let old = self.item.borrow().clone();
        let text = card_text(item);
        let body = match card_plan(&self.shape, &old, item, &Shape::of(item, &text, self.locale.lang)) {
            CardPlan::Rebuild => return false,
            CardPlan::InPlace { body } => body,
        };
        *self.item.borrow_mut() = item.clone();
        self.fill(doc, item, &text, body).is_ok()
    }

    /// Writes `item`'s texts into the card's parts (a text that did not change is no DOM
    /// mutation), and its body too when `body` (an emptied body is filled again).
    fn fill(&self, doc: &Document, item: &Item, text: &CardText, body: bool) -> Result<(), Refused> {
        el::set_text(&self.title, &item.title);
        if let (Some(k_el), Some(k)) = (&self.kicker, i18n::kicker(self.locale.lang, item.urgency, item.kicker.as_deref())) {
            el::set_text(k_el, k);
        }
        el::set_text(&self.byline, &byline_text(item, &self.locale, &self.fmt));
        if let (Some(l_el), Some(lede)) = (&self.lede, &text.lede) {
            el::set_text(l_el, lede);
        }
        match &self.expander {
            Some(x) if body => {
                el::clear(&x.body);
                let mut t = Tree::default();
                self::body(&mut t, text, item);
                t.build(doc, &x.body, None).map(drop)
            }
            _ => Ok(()),
        }
    }
}

/// Renders `item` into `root`; `content_lang` is the language of the item's text, and
/// `on_expand` runs each time the reader opens the body.
#[allow(clippy::too_many_arguments)]
pub fn render(
    doc: &Document,
    root: &ShadowRoot,
    host: &Element,
    item: &Rc<Item>,
    content_lang: &str,
    locale: &Locale,
    fmt: Rc<Formatters>,
    on_expand: Rc<dyn Fn()>,
) -> Result<Card, Refused> {
    let strings = locale.lang.strings();
    let text = card_text(item);
    let shape = Shape::of(item, &text, locale.lang);
    let mut t = Tree::default();
    // Laid out in the interface's direction; feed text takes its language's (`text_dir`), so
    // that an Arabic title reads right to left under a French interface, and the reverse.
    t.open("article", "card")
        .attr("lang", content_lang)
        .attr("dir", locale.lang.dir())
        .attr("aria-labelledby", "depeche-title");
    // The parts `Card::fill` rewrites on updates are kept, in this order.
    if let Some(k) = i18n::kicker(locale.lang, item.urgency, item.kicker.as_deref()) {
        t.open("p", "kicker").attr("lang", &locale.tag).keep().text(k).close();
    }
    let text_dir = i18n::text_dir(Some(content_lang));
    t.open("h2", "title").attr("id", "depeche-title").attr("dir", text_dir).keep().text(&item.title).close();
    t.open("p", "byline").attr("lang", &locale.tag).keep().text(&byline_text(item, locale, &fmt)).close();
    if let Some(src) = &shape.image {
        t.open("img", "image")
            .attr("src", src)
            .attr("alt", "")
            .attr("loading", "lazy")
            .attr("referrerpolicy", "no-referrer")
            .close();
    }
    if let Some(lede) = &text.lede {
        t.open("p", "lede").attr("dir", text_dir).keep().text(lede).close();
    }
    if shape.more {
        t.open("div", "body").attr("id", "depeche-body").attr("dir", text_dir).attr("hidden", "").keep();
        body(&mut t, &text, item);
        t.close();
        t.open("button", "toggle")
            .attr("type", "button")
            .attr("lang", &locale.tag)
            .attr("aria-expanded", "false")
            .attr("aria-controls", "depeche-body")
            .keep()
            .text(strings.read_more)
            .close();
    }
    // Built whole before it enters the page, so that it appears whole.
    let mut kept = t.build(doc, root, None)?;
    let kicker = kept.take_if(shape.kicker)?;
    let title = kept.take()?;
    let byline = kept.take()?;
    let lede = kept.take_if(shape.lede)?;
    let parts = kept.take_if(shape.more)?.zip(kept.take_if(shape.more)?);

    let mut listeners = Vec::new();
    let expander = parts.map(|(body, toggle)| {
        // Shared with the listener through an `Rc`: cloning its elements would be two calls
        // into JS each way, per card.
        let x = Rc::new(Expander { toggle, body, strings });
        let on_click = x.clone();
        listeners.push(Listener::new(&x.toggle, "click", move |_| {
            let open = !on_click.is_open();
            on_click.set(open);
            if open {
                on_expand();
            }
        }));
        x
    });

    Ok(Card {
        item_id: item.id.clone(),
        host: host.clone(),
        title,
        kicker,
        byline,
        lede,
        item: RefCell::new(item.clone()),
        shape,
        locale: locale.clone(),
        fmt,
        expander,
        _listeners: listeners,
    })
}

/// The body's paragraphs (or sanitised HTML) and the signature, into the open element.
fn body(t: &mut Tree, text: &CardText, item: &Item) {
    match &text.body {
        Body::Paragraphs(paras) => {
            for p in paras {
                t.open("p", "").text(p).close();
            }
        }
        Body::Html(nodes) => html(t, nodes),
    }
    if let Some(sig) = &item.signature {
        t.open("p", "signature").text(sig).close();
    }
}

/// The byline in the reader's language, with `Intl`-formatted date, time and count.
fn byline_text(item: &Item, locale: &Locale, fmt: &Formatters) -> String {
    let date = item.date_published.map(|t| (fmt.date(t), fmt.time(t)));
    let views = item.views.map(|n| fmt.count(n));
    i18n::byline(
        locale.lang,
        BylineParts {
            authors: &item.authors,
            published: date.as_ref().map(|(d, t)| (d.as_str(), t.as_str())),
            views: views.as_ref().map(|(n, p)| (n.as_str(), *p)),
        },
    )
}

/// Sanitised HTML as elements and text nodes, never through an HTML parser.
fn html(t: &mut Tree, nodes: &[HtmlNode]) {
    for node in nodes {
        match node {
            HtmlNode::Text(text) => {
                t.text(text);
            }
            HtmlNode::Element { tag, href, children } => {
                t.open(tag.name(), "");
                if let (Tag::A, Some(h)) = (tag, href) {
                    t.attr("href", h).attr("target", "_blank").attr("rel", "noopener noreferrer");
                }
                html(t, children);
                t.close();
            }
        }
    }
}
