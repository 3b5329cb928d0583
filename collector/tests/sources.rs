//! Feed sources mapped to JSON Feed items: one fixture per format, shaped like real feeds,
//! and a property test over random documents (no panic; every item out passes the widget's
//! own validation).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use depeche_collector::sources::map::{map, Format, Mapped, Now, Options};
use proptest::prelude::*;
use serde_json::{json, Value};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/data/sources/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// When the fixtures are read.
fn now() -> Now {
    chrono::DateTime::parse_from_rfc3339("2026-12-02T08:00:00Z").unwrap().to_utc()
}

fn mapped(name: &str) -> Mapped {
    map(&fixture(name), None, &Options::default(), now()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn item<'a>(m: &'a Mapped, id: &str) -> &'a Value {
    m.items.iter().find(|i| i["id"] == id).unwrap_or_else(|| panic!("no item {id} in {:#?}", m.items))
}

/// What the widget makes of the items: every one must pass its validation.
fn widget_accepts(items: &[Value]) {
    let feed: depeche::json::Value = serde_json::from_value(json!({ "items": items })).unwrap();
    let parsed = depeche::feed::parse(&feed).unwrap();
    let refused: Vec<String> = parsed.skipped.iter().map(depeche::feed::FeedError::message).collect();
    assert!(refused.is_empty(), "{refused:?}");
    assert_eq!(parsed.feed.items.len(), items.len());
}

#[test]
fn rss_in_iso_8859_1_keeps_its_accents_its_html_and_its_urgent_category() {
    let m = mapped("rss-latin1.xml");
    assert_eq!(m.format, Format::Rss);
    let attack = item(&m, "journal-attaque-2017-06-18");
    assert_eq!(attack["title"], "Attaque en cours à Bamako : la sécurité renforcée");
    assert_eq!(attack["summary"], "Une attaque était en cours dimanche après-midi.");
    assert_eq!(attack["content_html"], "<p>Des tirs ont été entendus près du campement. <strong>Les forces spéciales</strong> sont sur place.</p>");
    assert_eq!(attack["authors"], json!([{ "name": "Massene Diop" }]), "dc:creator");
    assert_eq!(attack["_depeche"]["urgency"], 1, "the category Alerte");
    assert_eq!(attack["date_published"], "2017-06-18T18:48:00Z");
    assert_eq!(attack["url"], "https://journal.example/2017/06/18/attaque");
    assert_eq!(attack["language"], "fr");
    // No guid: a hash of the link, the same at every fetch.
    let market = &m.items[1];
    assert!(market["id"].as_str().unwrap().starts_with("h-"), "{market}");
    assert_eq!(market["id"], mapped("rss-latin1.xml").items[1]["id"]);
    assert!(market.get("_depeche").is_none(), "not urgent");
    widget_accepts(&m.items);
}

#[test]
fn an_xml_feed_without_a_declaration_takes_the_http_charset() {
    let latin1 = fixture("rss-latin1.xml");
    let text = encoding_rs::WINDOWS_1252.decode(&latin1).0.replace("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>", "");
    let body: Vec<u8> = encoding_rs::WINDOWS_1252.encode(&text).0.into_owned();
    let m = map(&body, Some("application/rss+xml; charset=ISO-8859-1"), &Options::default(), now()).unwrap();
    assert_eq!(m.items[0]["title"], "Attaque en cours à Bamako : la sécurité renforcée");
}

#[test]
fn atom_with_categories() {
    let m = mapped("atom.xml");
    assert_eq!(m.format, Format::Atom);
    let floods = item(&m, "tag:sahelwire.example,2026:niamey-floods");
    assert_eq!(floods["title"], "Flash floods cut the main road out of Niamey");
    assert_eq!(floods["_depeche"]["urgency"], 1, "the category breaking");
    assert_eq!(floods["authors"], json!([{ "name": "Aïssata Maïga" }]));
    assert_eq!(floods["date_published"], "2026-12-01T09:30:00Z");
    assert_eq!(floods["date_modified"], "2026-12-01T10:00:00Z");
    assert_eq!(floods["content_html"], "<p>Rescue teams are on the way.</p>");
    assert_eq!(floods["language"], "en");
    assert!(item(&m, "tag:sahelwire.example,2026:maradi-harvest").get("_depeche").is_none());
    widget_accepts(&m.items);

    let calm = Options { urgent_words: vec!["weather".into()] };
    let m = map(&fixture("atom.xml"), None, &calm, now()).unwrap();
    assert_eq!(m.items[0]["_depeche"]["urgency"], 1, "the configured words");
}

#[test]
fn a_ninjs_2_agency_item() {
    let m = mapped("ninjs2.json");
    assert_eq!(m.format, Format::Ninjs);
    let i = item(&m, "http://agence.example/2017/06/18/kangaba-attaque");
    assert_eq!(i["title"], "Mali : attaque en cours au campement Kangaba, près de Bamako");
    assert_eq!(i["summary"], "Des hommes armés ont attaqué le campement dimanche après-midi.");
    assert_eq!(i["content_text"], "Des tirs ont été entendus.\n\nLes forces spéciales maliennes sont intervenues.");
    assert_eq!(i["authors"], json!([{ "name": "Kassim Traoré" }]));
    assert_eq!(i["date_published"], "2017-06-18T18:48:00Z");
    assert_eq!(i["date_modified"], "2017-06-18T19:05:00Z");
    assert_eq!(i["_depeche"], json!({ "urgency": 1, "dateline": "Bamako" }));
    widget_accepts(&m.items);
}

#[test]
fn ninjs_3_items_withdrawn_and_embargoed() {
    let m = mapped("ninjs3.json");
    assert_eq!(m.format, Format::Ninjs);
    let i = item(&m, "urn:newsml:agence.example:20261201:cotonou-election");
    assert_eq!(i["title"], "Bénin : résultats provisoires attendus ce soir à Cotonou");
    assert_eq!(i["content_html"], "<p>La commission électorale a annoncé une conférence à 20 h.</p>");
    assert_eq!(i["authors"], json!([{ "name": "Adjoa Mensah" }]));
    assert_eq!(i["date_modified"], "2026-12-01T11:00:00Z", "normalised to UTC");
    assert_eq!(i["_depeche"]["urgency"], 2);
    assert_eq!(item(&m, "urn:newsml:agence.example:20261201:retrait")["_depeche"]["status"], "withdrawn", "pubstatus canceled");
    assert!(m.items.iter().all(|i| i["id"] != "urn:newsml:agence.example:20261201:embargo"), "held back until 2030");
    assert_eq!(m.skipped, ["ninjs urn:newsml:agence.example:20261201:embargo: under embargo until 2030-01-01T00:00:00Z, held back"]);
    widget_accepts(&m.items);
    let later = chrono::DateTime::parse_from_rfc3339("2030-01-01T00:00:01Z").unwrap().to_utc();
    let m = map(&fixture("ninjs3.json"), None, &Options::default(), later).unwrap();
    assert_eq!(item(&m, "urn:newsml:agence.example:20261201:embargo")["title"], "Sous embargo jusqu’en 2030", "served once it lifts");
}

#[test]
fn a_schema_org_news_article_array_with_a_graph() {
    let m = mapped("newsarticle.jsonld");
    assert_eq!(m.format, Format::JsonLd);
    let port = item(&m, "https://quotidien.example/2026/12/01/dakar-port#article");
    assert_eq!(port["title"], "Sénégal : le port de Dakar paralysé par une grève");
    assert_eq!(port["authors"], json!([{ "name": "Fatou Ndiaye" }, { "name": "Ousmane Sarr" }]));
    assert_eq!(port["image"], "https://quotidien.example/img/port.jpg");
    assert_eq!(port["date_modified"], "2026-12-01T00:00:00Z", "a date alone");
    let live = item(&m, "https://quotidien.example/live#blog");
    assert_eq!(live["title"], "En direct : la grève au port de Dakar");
    assert_eq!(live["authors"], json!([{ "name": "La rédaction" }]));
    assert_eq!(m.items.len(), 2, "the WebPage is not an article");
    widget_accepts(&m.items);
}

#[test]
fn json_feed_1_0_and_one_bad_item_skipped() {
    let m = mapped("jsonfeed-1.0.json");
    assert_eq!(m.format, Format::JsonFeed);
    let i = item(&m, "2017061801");
    assert_eq!(i["title"], "Niamey : coupure d’électricité dans plusieurs quartiers");
    assert_eq!(i["authors"], json!([{ "name": "Hadiza Souley" }]), "1.0's author");
    assert_eq!(i["date_published"], "2017-06-18T11:00:00Z");
    assert_eq!(i["language"], "fr", "the feed's language");
    assert!(item(&m, "sans-titre")["title"].as_str().unwrap().starts_with("Un court bulletin"));
    assert_eq!(m.items.len(), 2);
    assert_eq!(m.skipped.len(), 1, "{:?}", m.skipped);
    assert!(m.skipped[0].contains("mauvais") && m.skipped[0].contains("url"), "{:?}", m.skipped);
    widget_accepts(&m.items);
}

#[test]
fn what_is_not_a_feed_says_why() {
    for (body, why) in [
        (&b""[..], "neither XML nor JSON"),
        (b"<rss><channel><item><title>x</ti", "malformed feed"),
        (b"{\"items\": [", "malformed JSON"),
        (b"{\"hello\": 1}", "not a JSON Feed, ninjs or schema.org"),
    ] {
        let e = map(body, None, &Options::default(), now()).unwrap_err();
        assert!(e.contains(why), "{e}");
    }
}

fn hostile(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/data/hostile/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// An input that made feed-rs 3.0.0 panic (issue 25): the feed is still read, the item that
/// carried it too, and the item after it, and `skipped` says what happened.
fn read_around(name: &str) -> Mapped {
    let m = map(&hostile(name), None, &Options::default(), now()).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(m.format, Format::Rss, "{name}");
    let ids: Vec<&str> = m.items.iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["piege-1", "ordinaire-1"], "{name}: {:?}", m.skipped);
    assert_eq!(item(&m, "piege-1")["title"], "Un article piégé", "{name}");
    assert_eq!(item(&m, "piege-1")["date_published"], "2026-12-02T07:30:00Z", "{name}");
    assert!(m.skipped.iter().any(|s| s.contains("a bug in feed-rs")), "{name}: says what happened: {:?}", m.skipped);
    widget_accepts(&m.items);
    m
}

#[test]
fn a_french_byline_with_its_address_in_guillemets_is_read_without_the_address() {
    let m = read_around("byline-guillemets.rss");
    assert_eq!(item(&m, "piege-1")["authors"], json!([{ "name": "La rédaction" }]));
}

#[test]
fn an_itunes_duration_beyond_u64_is_passed_over() {
    read_around("itunes-duration-huge.rss");
}

#[test]
fn an_itunes_duration_in_arabic_indic_digits_is_passed_over() {
    read_around("itunes-duration-arabic-indic.rss");
}

#[test]
fn a_media_thumbnail_time_beyond_u64_is_passed_over() {
    read_around("media-thumbnail-time.rss");
}

#[test]
fn an_item_that_panics_feed_rs_past_the_cleaning_is_skipped_and_the_others_read() {
    // Media RSS under a prefix other than `media:`: not taken out, so read item by item.
    let body = String::from_utf8(hostile("media-thumbnail-time.rss")).unwrap().replace("media:", "m:").replace("xmlns:media", "xmlns:m");
    let m = map(body.as_bytes(), None, &Options::default(), now()).unwrap();
    let ids: Vec<&str> = m.items.iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["ordinaire-1"]);
    assert_eq!(m.skipped.len(), 1, "{:?}", m.skipped);
    assert!(m.skipped[0].starts_with("item 1 of the feed: the feed parser failed on it (a bug in feed-rs: "), "{:?}", m.skipped);
    widget_accepts(&m.items);
}

#[test]
fn a_second_xml_declaration_that_panics_quick_xml_is_read_around() {
    // Found by fuzzing: quick-xml 0.42.0 (under feed-rs) panics on an XML declaration inside
    // the document ("set_encoding() called after prefix buffer was drained").
    let body = br#"<rss version="2.0"><channel><title>J</title><item><title>A</title><guid>a</guid></item><?xml version="1.0" encoding="ISO-8859-1"?></channel></rss>"#;
    let m = map(body, None, &Options::default(), now()).unwrap();
    assert_eq!(m.items.len(), 1);
    assert!(m.skipped[0].starts_with("the feed parser failed on this feed (a bug in quick-xml: set_encoding()"), "{:?}", m.skipped);
}

fn json_feed(items: Value) -> Mapped {
    let body = serde_json::to_vec(&json!({ "version": "https://jsonfeed.org/version/1.1", "items": items })).unwrap();
    map(&body, None, &Options::default(), now()).unwrap()
}

/// A date as the widget and the desk (`new Date`) both read it.
fn plain_date(d: &Value) -> bool {
    let s = d.as_str().unwrap_or("");
    let b = s.as_bytes();
    s.len() == 20 && s.ends_with('Z') && b[10] == b'T' && (b'0'..=b'5').contains(&b[17]) && depeche::rfc3339::parse(s).is_some()
}

#[test]
fn a_json_feed_item_without_an_id_takes_one_from_its_url_as_an_rss_item_does() {
    let m = json_feed(json!([{ "url": "https://journal.example/2017/06/17/mil", "title": "Sans id" }, { "title": "Ni id ni lien" }, { "summary": "" }]));
    let rss = mapped("rss-latin1.xml");
    assert_eq!(m.items[0]["id"], rss.items[1]["id"], "the id an RSS item with this link and no guid gets");
    assert!(m.items[1]["id"].as_str().unwrap().starts_with("h-"), "from its title, as RSS does: {:?}", m.items);
    assert_eq!(m.items.len(), 2, "{:?}", m.skipped);
    assert_eq!(m.skipped, ["items[2]: no id, and no url or title to make one from"]);
}

#[test]
fn json_feed_dates_in_other_common_formats_are_read() {
    let dates = [
        ("Sun, 18 Jun 2017 18:48:00 +0000", "2017-06-18T18:48:00Z"),
        ("Sun, 18 Jun 2017 18:48:00 GMT", "2017-06-18T18:48:00Z"),
        ("18 Jun 2017 20:48:00 +0200", "2017-06-18T18:48:00Z"),
        ("2017-06-18T18:48:00+0000", "2017-06-18T18:48:00Z"),
        ("2017-06-18T18:48:00", "2017-06-18T18:48:00Z"),
        ("2017-06-18 18:48:00", "2017-06-18T18:48:00Z"),
        ("2017-06-18T18:48:00.250Z", "2017-06-18T18:48:00Z"),
        ("2017-06-18", "2017-06-18T00:00:00Z"),
    ];
    let items: Vec<Value> = dates.iter().enumerate().map(|(i, (d, _))| json!({ "id": i.to_string(), "title": "T", "date_published": d })).collect();
    let m = json_feed(Value::from(items));
    for (i, (d, want)) in dates.iter().enumerate() {
        assert_eq!(m.items[i]["date_published"], *want, "{d}");
    }
    widget_accepts(&m.items);
}

#[test]
fn a_leap_second_becomes_a_date_the_widget_and_the_desk_read() {
    let m = json_feed(json!([{ "id": "a", "title": "T", "date_published": "2016-12-31T23:59:60Z", "date_modified": "Sat, 31 Dec 2016 23:59:60 +0000",
        "_depeche": { "expires": "2016-12-31T23:59:60Z" } }]));
    assert_eq!(m.items[0]["date_published"], "2016-12-31T23:59:59Z");
    assert_eq!(m.items[0]["date_modified"], "2016-12-31T23:59:59Z");
    assert_eq!(m.items[0]["_depeche"]["expires"], "2016-12-31T23:59:59Z");
    let rss = br#"<rss version="2.0"><channel><title>J</title><item><title>T</title><guid>a</guid><pubDate>Sat, 31 Dec 2016 23:59:60 +0000</pubDate></item></channel></rss>"#;
    let m = map(rss, None, &Options::default(), now()).unwrap();
    assert_eq!(m.items[0]["date_published"], "2016-12-31T23:59:59Z", "{:?}", m.skipped);
    let ninjs = json!({ "uri": "u", "headline": "H", "versioncreated": "2016-12-31T23:59:60+00:00" });
    let m = map(&serde_json::to_vec(&ninjs).unwrap(), None, &Options::default(), now()).unwrap();
    assert_eq!(m.items[0]["date_modified"], "2016-12-31T23:59:59Z");
}

#[test]
fn the_demos_file_source_carries_only_dates_the_desk_reads() {
    let body = std::fs::read(format!("{}/../www/sources/alertes.rss", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let m = map(&body, None, &Options::default(), now()).unwrap();
    assert!(!m.items.is_empty() && m.skipped.is_empty(), "{:?}", m.skipped);
    for item in &m.items {
        for key in ["date_published", "date_modified"] {
            assert!(item.get(key).is_none_or(plain_date), "{key}: {item}");
        }
        assert!(item.get("url").is_none_or(|u| u.as_str().is_some_and(|u| u.starts_with("https://"))), "{item}");
    }
    widget_accepts(&m.items);
}

/// Random JSON documents built from the words the formats use.
fn document() -> impl Strategy<Value = Value> {
    let key = prop::sample::select(vec![
        "uri", "headline", "headlines", "bodies", "descriptions", "role", "value", "contenttype", "urgency", "pubstatus",
        "embargoed", "embargoedUntil", "expires", "versioncreated", "firstcreated", "by", "bylines", "byline", "located",
        "language", "@context", "@type", "@graph", "@id", "url", "datePublished", "dateModified", "author", "name", "image",
        "articleBody", "description", "items", "id", "title", "version", "summary", "content_html", "date_published", "_depeche",
    ]);
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        (-5i64..20).prop_map(Value::from),
        prop::sample::select(vec![
            "", "main", "NewsArticle", "LiveBlogPosting", "canceled", "usable", "text/html", "https://x.example/a",
            "2026-12-01T10:00:00Z", "2026-12-01", "yesterday", "Titre é", "https://jsonfeed.org/version/1.1", "<p>x</p>",
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::vec((key.clone(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())),
        ]
    })
}

proptest! {
    #[test]
    fn any_document_maps_without_panic_to_items_the_widget_accepts(doc in document()) {
        let body = serde_json::to_vec(&doc).unwrap();
        if let Ok(m) = map(&body, None, &Options::default(), now()) {
            widget_accepts(&m.items);
        }
    }

    #[test]
    fn any_bytes_map_without_panic(body in prop::collection::vec(any::<u8>(), 0..400), xml in any::<bool>()) {
        let mut bytes = if xml { b"<rss version=\"2.0\"><channel><item><title>".to_vec() } else { Vec::new() };
        bytes.extend(body);
        let _ = map(&bytes, Some("text/xml; charset=latin1"), &Options::default(), now());
    }
}
