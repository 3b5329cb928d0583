//! Any JSON through feed validation, selection and the card's view model: never a panic,
//! every URL the widget would use is http(s), and no text grows beyond its input.
//! Shared by the fuzz target of the same name and the native replay of the committed seeds
//! (`collector/tests/fuzz_seeds.rs`, run by `make test`).
use depeche::feed;
use depeche::html::Node;
use depeche::i18n::{self, BylineParts, Lang, Plural};
use depeche::json::Value;
use depeche::url::safe_http_url;
use depeche::view::{self, Body};

fn check_html(node: &Node) -> usize {
    match node {
        Node::Text(t) => t.len(),
        Node::Element { href, children, .. } => {
            if let Some(h) = href {
                let lower = h.to_ascii_lowercase();
                assert!(lower.starts_with("http://") || lower.starts_with("https://"), "href {h:?}");
            }
            children.iter().map(check_html).sum()
        }
    }
}

/// Runs one input through the target; panics on a broken promise.
pub fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(value) = serde_json::from_str::<Value>(text) else { return };
    let Ok(parsed) = feed::parse(&value) else { return };
    for e in &parsed.skipped {
        assert!(e.message().starts_with("items["), "{}", e.message());
    }
    for now in [i64::MIN, 0, 1_497_830_400_000, i64::MAX] {
        let _ = view::banner_queue(&parsed.feed, now, 9, &[]);
        let _ = view::card_item(&parsed.feed, now, None);
    }
    for item in &parsed.feed.items {
        assert!((1..=9).contains(&item.urgency));
        assert!(!item.id.is_empty() && !item.title.trim().is_empty());
        for url in [&item.url, &item.image].into_iter().flatten() {
            if let Some(u) = safe_http_url(url) {
                let lower = u.to_ascii_lowercase();
                assert!(lower.starts_with("http://") || lower.starts_with("https://"), "{u:?}");
                assert!(u.len() <= url.len());
            }
        }
        let card = view::card_text(item);
        let input = item.summary.as_ref().map_or(0, String::len)
            + item.content_text.as_ref().map_or(0, String::len)
            + item.content_html.as_ref().map_or(0, String::len);
        let body = match &card.body {
            Body::Paragraphs(p) => p.iter().map(String::len).sum(),
            Body::Html(nodes) => nodes.iter().map(check_html).sum::<usize>(),
        };
        let lede = card.lede.as_ref().map_or(0, String::len);
        // The lede is the summary or is taken out of the body, never both: no text is
        // longer than its input (docs/testing.md, "Fuzzing").
        assert!(lede + body <= input, "view text {} > input {input}", lede + body);
        for lang in i18n::LANGUAGES.iter().filter_map(|l| Lang::from_tag(l.tag)) {
            let _ = i18n::kicker(lang, item.urgency, item.kicker.as_deref());
            let line = i18n::byline(
                lang,
                BylineParts { authors: &item.authors, published: Some(("d", "t")), views: Some(("1", Plural::One)) },
            );
            // Nothing but the names, their separators, the language's own words (and the
            // isolates around right-to-left bylines' names) and the three parts given.
            let w = &lang.strings().byline;
            let words = [w.by, w.then_date, w.date_alone, w.at, w.then_count, w.read, w.times[0], w.times[1]].iter().map(|s| s.len()).sum::<usize>();
            let names: usize = item.authors.iter().map(String::len).sum();
            assert!(line.len() <= names + item.authors.len() * w.and.len().max(2) + words + 6 + 3);
        }
    }
}
