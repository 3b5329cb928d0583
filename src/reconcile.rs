//! What an update does to each mount: build, rewrite, empty or leave it, and whether the
//! page needs a banner mount of its own. Decided here; `dom::entry` applies it.

/// What an update does to a card mount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Card {
    /// Nothing shown and nothing to show: left as it is (and nothing is said to the host).
    Leave,
    /// The item it shows: what changed is rewritten in place.
    Update,
    /// Another item, or one where there was none: built anew.
    Build,
    /// The item it showed is gone (retracted, expired) and nothing replaces it: emptied.
    Empty,
}

/// What to do with a card mount showing `shown` (an item id) that should show `wanted`.
pub fn card(shown: Option<&str>, wanted: Option<&str>) -> Card {
    match (shown, wanted) {
        (None, None) => Card::Leave,
        (Some(a), Some(b)) if a == b => Card::Update,
        (_, Some(_)) => Card::Build,
        (Some(_), None) => Card::Empty,
    }
}

/// What an update does to a banner mount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Banner {
    /// Built: it takes the new queue (and empties itself if the queue is).
    Update,
    /// Left empty until now, with something to show at last: built.
    Build,
    /// Empty, with nothing to show: left.
    Leave,
}

/// What to do with a banner mount, `built` or not, given a queue of `queued` items.
pub fn banner(built: bool, queued: usize) -> Banner {
    match (built, queued) {
        (true, _) => Banner::Update,
        (false, 0) => Banner::Leave,
        (false, _) => Banner::Build,
    }
}

/// Whether to insert a banner mount at the top of the page: none was found to render, the
/// page has none (another copy of the widget's, or one already inserted), and there is
/// something to show.
pub fn insert_banner(found: usize, queued: usize, page_has_banner: bool) -> bool {
    found == 0 && queued > 0 && !page_has_banner
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn a_card_is_rewritten_for_its_item_rebuilt_for_another_and_emptied_when_it_goes() {
        assert_eq!(card(Some("a"), Some("a")), Card::Update);
        assert_eq!(card(Some("a"), Some("b")), Card::Build);
        assert_eq!(card(None, Some("b")), Card::Build, "an empty mount fills in");
        assert_eq!(card(Some("a"), None), Card::Empty);
        assert_eq!(card(None, None), Card::Leave, "an empty mount that stays empty is not touched");
    }

    #[test]
    fn a_banner_is_built_once_there_is_something_to_show_and_inserted_only_where_none_is() {
        assert_eq!(banner(true, 0), Banner::Update, "a built banner hides itself when its queue empties");
        assert_eq!(banner(true, 3), Banner::Update);
        assert_eq!(banner(false, 0), Banner::Leave);
        assert_eq!(banner(false, 1), Banner::Build);
        assert!(insert_banner(0, 1, false));
        assert!(!insert_banner(1, 1, false), "the page has a mount for it");
        assert!(!insert_banner(0, 0, false), "nothing to show");
        assert!(!insert_banner(0, 1, true), "a banner is on the page already");
    }
}
