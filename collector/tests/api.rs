//! The collector's HTTP handlers, driven with `oneshot` (no socket).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Request, Response, StatusCode};
use axum::Router;
use depeche_collector::feed::SourceFeed;
use depeche_collector::store;
use depeche_collector::feed_view::COUNTS_MAX_AGE_MS;
use depeche_collector::{app, AppState, Config};
use http_body_util::BodyExt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tower::ServiceExt;

const FEED: &str = r#"{"version":"https://jsonfeed.org/version/1.1","items":[
  {"id":"kangaba","title":"Attaque à Bamako","_depeche":{"views":376}},
  {"id":"niamey","title":"Floods"}]}"#;
const CHROME: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36";
const T0: u64 = 1_800_000_000_000;

struct Harness {
    router: Router,
    clock: Arc<AtomicU64>,
    state: AppState,
    _dir: tempfile::TempDir,
}

async fn harness(rate_limit: u32) -> Harness {
    harness_with(rate_limit, None).await
}

async fn harness_with(rate_limit: u32, publish_token: Option<&str>) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    // The store's writer and the handlers count into the same metrics, as in `main`.
    let metrics = Arc::new(depeche_collector::metrics::Metrics::default());
    let store = store::open_with(&format!("sqlite:{}", dir.path().join("t.db").display()), Arc::clone(&metrics)).await.unwrap();
    let clock = Arc::new(AtomicU64::new(T0));
    let c = Arc::clone(&clock);
    let config = Config {
        metrics,
        own_origins: vec!["http://collector.test".into()],
        allowed_origins: vec!["http://partner.test".into()],
        rate_limit_per_minute: rate_limit,
        publish_token: publish_token.map(str::to_owned),
        ..Config::default()
    };
    let state = AppState::open(store, SourceFeed::from_json(FEED).unwrap(), config, move || c.load(Ordering::SeqCst)).await.unwrap();
    Harness { router: app(state.clone()), clock, state, _dir: dir }
}

fn beacon_body(item: &str, event: &str) -> String {
    format!(r#"{{"v":1,"item":"{item}","event":"{event}","feed":"http://localhost:8080/feed.json"}}"#)
}

/// A beacon from a publisher page of the collector's own origin.
fn post(body: impl Into<Body>, ip: [u8; 4], ua: &str) -> Request<Body> {
    post_from(body, IpAddr::V4(Ipv4Addr::from(ip)), ua, &[(header::ORIGIN, "http://collector.test")])
}

fn post_from(body: impl Into<Body>, ip: IpAddr, ua: &str, extra: &[(header::HeaderName, &str)]) -> Request<Body> {
    let mut r = Request::post("/beacon")
        .header(header::HOST, "collector.test")
        .header(header::CONTENT_TYPE, "text/plain;charset=UTF-8")
        .header(header::USER_AGENT, ua)
        .body(body.into())
        .unwrap();
    for (name, value) in extra {
        r.headers_mut().insert(name.clone(), value.parse().unwrap());
    }
    r.extensions_mut().insert(ConnectInfo(SocketAddr::new(ip, 40000)));
    r
}

async fn send(h: &Harness, req: Request<Body>) -> Response<Body> {
    h.router.clone().oneshot(req).await.unwrap()
}

async fn text(r: Response<Body>) -> String {
    String::from_utf8(r.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap()
}

fn counted(r: &Response<Body>) -> bool {
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    r.headers().get("depeche-counted").unwrap() == "1"
}

/// The item's count in the feed, once the counts served may have been read again (they are
/// at most `COUNTS_MAX_AGE_MS` old).
async fn views(h: &Harness, id: &str) -> u64 {
    h.clock.fetch_add(COUNTS_MAX_AGE_MS, Ordering::SeqCst);
    let r = send(h, Request::get("/feed.json").body(Body::empty()).unwrap()).await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&text(r).await).unwrap();
    let item = v["items"].as_array().unwrap().iter().find(|i| i["id"] == id).unwrap();
    item["_depeche"]["views"].as_u64().unwrap_or(0)
}

#[tokio::test]
async fn a_view_raises_the_feed_count_by_one() {
    let h = harness(120).await;
    assert_eq!(views(&h, "kangaba").await, 376);
    assert!(counted(&send(&h, post(beacon_body("kangaba", "view"), [192, 0, 2, 1], CHROME)).await));
    assert_eq!(views(&h, "kangaba").await, 377);
    assert_eq!(views(&h, "niamey").await, 0);
}

#[tokio::test]
async fn one_view_per_visitor_and_item_per_thirty_minutes() {
    let h = harness(120).await;
    let ip = [192, 0, 2, 2];
    assert!(counted(&send(&h, post(beacon_body("kangaba", "view"), ip, CHROME)).await));
    h.clock.fetch_add(29 * 60 * 1000, Ordering::SeqCst);
    assert!(!counted(&send(&h, post(beacon_body("kangaba", "view"), ip, CHROME)).await));
    // Another browser at the same address is another visitor.
    assert!(counted(&send(&h, post(beacon_body("kangaba", "view"), ip, "Mozilla/5.0 Firefox/140.0")).await));
    // Another item by the same visitor counts.
    assert!(counted(&send(&h, post(beacon_body("niamey", "view"), ip, CHROME)).await));
    h.clock.fetch_add(60 * 1000, Ordering::SeqCst);
    assert!(counted(&send(&h, post(beacon_body("kangaba", "view"), ip, CHROME)).await));
    assert_eq!(views(&h, "kangaba").await, 379);
}

#[tokio::test]
async fn reads_are_counted_apart_from_views() {
    let h = harness(120).await;
    assert!(counted(&send(&h, post(beacon_body("kangaba", "read"), [192, 0, 2, 3], CHROME)).await));
    assert!(counted(&send(&h, post(beacon_body("kangaba", "view"), [192, 0, 2, 3], CHROME)).await));
    assert_eq!(views(&h, "kangaba").await, 377);
    assert_eq!(h.state.store().counts("read").await.unwrap().get("kangaba"), Some(&1));
}

#[tokio::test]
async fn bots_and_prefetches_are_not_counted() {
    let h = harness(120).await;
    for ua in ["Mozilla/5.0 (compatible; Googlebot/2.1)", "Mozilla/5.0 HeadlessChrome/156.0", ""] {
        let r = send(&h, post(beacon_body("kangaba", "view"), [192, 0, 2, 4], ua)).await;
        assert!(!counted(&r), "{ua}");
        assert_eq!(r.headers().get("depeche-reason").unwrap(), "bot");
    }
    let mut req = post(beacon_body("kangaba", "view"), [192, 0, 2, 5], CHROME);
    req.headers_mut().insert("sec-purpose", "prefetch".parse().unwrap());
    assert!(!counted(&send(&h, req).await));
    assert_eq!(views(&h, "kangaba").await, 376);
}

#[tokio::test]
async fn bad_input_never_changes_a_count() {
    let h = harness(1000).await;
    let ip = [192, 0, 2, 6];
    let cases: Vec<(String, StatusCode, &str)> = vec![
        ("x".repeat(2000), StatusCode::PAYLOAD_TOO_LARGE, "length limit exceeded"),
        (format!("{}{}", beacon_body("kangaba", "view"), " ".repeat(1024)), StatusCode::PAYLOAD_TOO_LARGE, "limit"),
        ("not json".into(), StatusCode::BAD_REQUEST, "beacon must be JSON"),
        (r#"{"v":1,"item":5,"event":"view","feed":""}"#.into(), StatusCode::BAD_REQUEST, "beacon must be JSON"),
        (r#"{"v":1,"item":"kangaba","event":"like","feed":""}"#.into(), StatusCode::BAD_REQUEST, "beacon must be JSON"),
        (r#"{"v":9,"item":"kangaba","event":"view","feed":""}"#.into(), StatusCode::BAD_REQUEST, "unknown beacon version"),
        (r#"{"v":1,"item":"","event":"view","feed":""}"#.into(), StatusCode::BAD_REQUEST, "empty"),
        (beacon_body("no-such-item", "view"), StatusCode::NOT_FOUND, "unknown item id"),
        ("\u{0}\u{ffff}".into(), StatusCode::BAD_REQUEST, "beacon must be JSON"),
    ];
    for (body, status, message) in cases {
        let r = send(&h, post(body.clone(), ip, CHROME)).await;
        assert_eq!(r.status(), status, "{body:.60}");
        let text = text(r).await;
        assert!(text.contains(message) && text.len() < 200, "{text}");
    }
    let mut invalid_utf8 = post(Body::from(vec![0xff, 0xfe, b'{']), ip, CHROME);
    invalid_utf8.headers_mut().remove(header::CONTENT_TYPE);
    assert_eq!(send(&h, invalid_utf8).await.status(), StatusCode::BAD_REQUEST);
    assert_eq!(views(&h, "kangaba").await, 376);
    assert!(h.state.store().counts("view").await.unwrap().is_empty());
}

#[tokio::test]
async fn each_address_is_rate_limited() {
    let h = harness(5).await;
    for i in 0..5 {
        let ua = format!("{CHROME} #{i}");
        assert!(counted(&send(&h, post(beacon_body("kangaba", "view"), [192, 0, 2, 7], &ua)).await));
    }
    let r = send(&h, post(beacon_body("kangaba", "view"), [192, 0, 2, 7], "Other")).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.headers().get(header::RETRY_AFTER).unwrap(), "60");
    assert!(counted(&send(&h, post(beacon_body("kangaba", "view"), [192, 0, 2, 8], CHROME)).await));
    h.clock.fetch_add(60_000, Ordering::SeqCst);
    assert!(counted(&send(&h, post(beacon_body("niamey", "view"), [192, 0, 2, 7], CHROME)).await));
}

#[tokio::test]
async fn the_feed_revalidates_with_its_etag() {
    let h = harness(120).await;
    let r = send(&h, Request::get("/feed.json").body(Body::empty()).unwrap()).await;
    assert_eq!(r.headers().get(header::CONTENT_TYPE).unwrap(), "application/feed+json; charset=utf-8");
    assert!(r.headers().get(header::CACHE_CONTROL).unwrap().to_str().unwrap().contains("max-age=5"));
    let etag = r.headers().get(header::ETAG).unwrap().clone();
    let conditional = || Request::get("/feed.json").header(header::IF_NONE_MATCH, etag.clone()).body(Body::empty()).unwrap();
    let r = send(&h, conditional()).await;
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    assert!(text(r).await.is_empty());
    assert!(counted(&send(&h, post(beacon_body("kangaba", "view"), [192, 0, 2, 9], CHROME)).await));
    assert_eq!(send(&h, conditional()).await.status(), StatusCode::NOT_MODIFIED, "counts are not read again at once after a beacon (at most every 100 ms)");
    h.clock.fetch_add(COUNTS_MAX_AGE_MS, Ordering::SeqCst);
    assert_eq!(send(&h, conditional()).await.status(), StatusCode::OK, "a new count is a new version");
}

#[tokio::test]
async fn cors_answers_only_the_allowed_origins() {
    let h = harness(120).await;
    let get = |origin: &str| Request::get("/feed.json").header(header::ORIGIN, origin).body(Body::empty()).unwrap();
    let r = send(&h, get("http://partner.test")).await;
    assert_eq!(r.headers().get(header::ACCESS_CONTROL_ALLOW_ORIGIN).unwrap(), "http://partner.test");
    assert!(r.headers().get(header::ACCESS_CONTROL_EXPOSE_HEADERS).unwrap().to_str().unwrap().to_lowercase().contains("etag"));
    let r = send(&h, get("http://evil.test")).await;
    assert!(r.headers().get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
    let preflight = Request::options("/beacon")
        .header(header::ORIGIN, "http://partner.test")
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .body(Body::empty())
        .unwrap();
    let r = send(&h, preflight).await;
    assert!(r.status().is_success());
    assert_eq!(r.headers().get(header::ACCESS_CONTROL_ALLOW_ORIGIN).unwrap(), "http://partner.test");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_beacons_from_distinct_visitors_add_exactly_a_thousand() {
    let h = harness(120).await;
    let tasks: Vec<_> = (0..1000u32)
        .map(|i| {
            let router = h.router.clone();
            let ip = [10, 0, (i / 250) as u8, (i % 250) as u8 + 1];
            tokio::spawn(async move { router.oneshot(post(beacon_body("kangaba", "view"), ip, CHROME)).await.unwrap() })
        })
        .collect();
    let mut acknowledged = 0;
    for t in tasks {
        if counted(&t.await.unwrap()) {
            acknowledged += 1;
        }
    }
    assert_eq!(acknowledged, 1000);
    assert_eq!(views(&h, "kangaba").await, 376 + 1000);
}

/// A GET with the publisher token of the harnesses (`s3cret`).
fn with_token(r: axum::http::request::Builder) -> Request<Body> {
    r.header(header::AUTHORIZATION, "Bearer s3cret").body(Body::empty()).unwrap()
}

fn publish_request(token: Option<&str>, body: &str) -> Request<Body> {
    let mut r = Request::post("/publish").header(header::CONTENT_TYPE, "application/json");
    if let Some(t) = token {
        r = r.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    r.body(Body::from(body.to_owned())).unwrap()
}

#[tokio::test]
async fn publishing_needs_the_token_and_puts_the_item_first() {
    let off = harness(120).await;
    assert_eq!(send(&off, publish_request(Some("x"), "{}")).await.status(), StatusCode::NOT_FOUND);

    let h = harness_with(120, Some("s3cret")).await;
    let item = r#"{"id":"new-flash","title":"Nouvelle alerte","_depeche":{"urgency":1}}"#;
    assert_eq!(send(&h, publish_request(None, item)).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(send(&h, publish_request(Some("s3cre"), item)).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(send(&h, publish_request(Some("s3cret"), "[1]")).await.status(), StatusCode::BAD_REQUEST);
    assert_eq!(send(&h, publish_request(Some("s3cret"), r#"{"title":"no id"}"#)).await.status(), StatusCode::BAD_REQUEST);

    let before = send(&h, Request::get("/feed.json").body(Body::empty()).unwrap()).await;
    let etag = before.headers().get(header::ETAG).unwrap().clone();
    assert_eq!(send(&h, publish_request(Some("s3cret"), item)).await.status(), StatusCode::CREATED);
    let r = send(&h, Request::get("/feed.json").header(header::IF_NONE_MATCH, etag).body(Body::empty()).unwrap()).await;
    assert_eq!(r.status(), StatusCode::OK, "a published item changes the feed's ETag");
    let v: serde_json::Value = serde_json::from_str(&text(r).await).unwrap();
    assert_eq!(v["items"][0]["id"], "new-flash");
    // Views of the new item count.
    assert!(counted(&send(&h, post(beacon_body("new-flash", "view"), [192, 0, 2, 20], CHROME)).await));

    let withdrawn = r#"{"id":"new-flash","title":"Nouvelle alerte","_depeche":{"urgency":1,"status":"withdrawn"}}"#;
    assert_eq!(send(&h, publish_request(Some("s3cret"), withdrawn)).await.status(), StatusCode::CREATED);
    let v: serde_json::Value =
        serde_json::from_str(&text(send(&h, Request::get("/feed.json").body(Body::empty()).unwrap()).await).await).unwrap();
    assert_eq!(v["items"][0]["_depeche"]["status"], "withdrawn");
    assert_eq!(v["items"].as_array().unwrap().len(), 3);
}

/// The app serving `pkg` (and `www`, if given) from `dir`, with the files written first.
async fn static_app(dir: &std::path::Path, www: Option<&[(&str, &str)]>, pkg: &[(&str, &str)]) -> Router {
    let write = |folder: &str, files: &[(&str, &str)]| {
        let path = dir.join(folder);
        std::fs::create_dir_all(&path).unwrap();
        for (name, content) in files {
            std::fs::write(path.join(name), content).unwrap();
        }
        path
    };
    let config = Config { www: www.map(|f| write("www", f)), pkg: Some(write("pkg", pkg)), ..Config::default() };
    let store = store::open(&format!("sqlite:{}", dir.join("t.db").display())).await.unwrap();
    app(AppState::open(store, SourceFeed::from_json(FEED).unwrap(), config, || T0).await.unwrap())
}

/// GETs `path` with `Accept-Encoding: accept`; the content encoding and the body.
async fn get_encoded(router: &Router, path: &str, accept: Option<&str>) -> (Option<String>, String) {
    let mut req = Request::get(path);
    if let Some(a) = accept {
        req = req.header(header::ACCEPT_ENCODING, a);
    }
    let r = router.clone().oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    if path.ends_with(".js") {
        // Whatever the encoding, the type is the file's own.
        assert!(r.headers()[header::CONTENT_TYPE].to_str().unwrap().contains("javascript"), "{accept:?}");
    }
    let encoding = r.headers().get(header::CONTENT_ENCODING).map(|v| v.to_str().unwrap().to_owned());
    (encoding, text(r).await)
}

#[tokio::test]
async fn the_built_loader_is_served_in_place_of_the_readable_one() {
    let dir = tempfile::tempdir().unwrap();
    let www: &[(&str, &str)] = &[("embed.js", "// readable loader\n")];
    // Before a build: the readable loader from www/.
    let router = static_app(dir.path(), Some(www), &[]).await;
    assert_eq!(get_encoded(&router, "/embed.js", None).await.1, "// readable loader\n");
    // After one: the minified copy from pkg/.
    let router = static_app(dir.path(), Some(www), &[("embed.js", "/*min*/")]).await;
    assert_eq!(get_encoded(&router, "/embed.js", None).await.1, "/*min*/");
}

#[tokio::test]
async fn built_files_are_served_precompressed_to_clients_that_accept_it() {
    let dir = tempfile::tempdir().unwrap();
    let router = static_app(dir.path(), None, &[("depeche.js", "plain"), ("depeche.js.gz", "gz"), ("depeche.js.br", "br")]).await;
    for (accept, encoding, body) in [(None, None, "plain"), (Some("gzip"), Some("gzip"), "gz"), (Some("gzip, deflate, br"), Some("br"), "br")] {
        assert_eq!(get_encoded(&router, "/pkg/depeche.js", accept).await, (encoding.map(str::to_owned), body.to_owned()), "{accept:?}");
    }
}

/// GETs `path` with the headers given; the answer.
async fn get_with(router: &Router, path: &str, headers: &[(header::HeaderName, &str)]) -> Response<Body> {
    let mut req = Request::get(path);
    for (name, value) in headers {
        req = req.header(name, *value);
    }
    router.clone().oneshot(req.body(Body::empty()).unwrap()).await.unwrap()
}

#[tokio::test]
async fn a_wasm_named_by_its_content_is_kept_a_year_and_the_loader_minutes_then_revalidated() {
    let dir = tempfile::tempdir().unwrap();
    const WASM: &str = "depeche_bg.0123456789abcdef.wasm";
    let br = format!("{WASM}.br");
    let pkg = [("embed.js", "/*min*/"), ("embed.js.br", "min br"), (WASM, "\0asm"), (br.as_str(), "asm br"), ("uplot.js", "u")];
    let router = static_app(dir.path(), None, &pkg).await;
    let cache_control = |r: &Response<Body>| r.headers().get(header::CACHE_CONTROL).map(|v| v.to_str().unwrap().to_owned());
    const YEAR: &str = "public, max-age=31536000, immutable";
    const MINUTES: &str = "public, max-age=300";
    let wasm = format!("/pkg/{WASM}");
    for accept in [None, Some("gzip, deflate, br")] {
        let headers: Vec<(header::HeaderName, &str)> = accept.map(|a| (header::ACCEPT_ENCODING, a)).into_iter().collect();
        let r = get_with(&router, &wasm, &headers).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers().get(header::CONTENT_ENCODING).is_some(), accept.is_some(), "{accept:?}");
        assert_eq!(cache_control(&r).as_deref(), Some(YEAR), "{accept:?}");
        // Kept by shared caches too: each encoding apart.
        assert!(r.headers().get_all(header::VARY).iter().any(|v| v.to_str().unwrap().contains("accept-encoding")), "{accept:?}");
        // The loader names the wasm: it lives minutes, wherever it is asked for.
        for path in ["/embed.js", "/pkg/embed.js", "/pkg/uplot.js"] {
            let r = get_with(&router, path, &headers).await;
            assert_eq!(r.status(), StatusCode::OK, "{path}");
            assert_eq!(cache_control(&r).as_deref(), Some(MINUTES), "{path} {accept:?}");
        }
    }
    // Once stale, the loader is revalidated: its Last-Modified sent back gives a 304, with the
    // same policy; an older date gives the file again.
    let r = get_with(&router, "/embed.js", &[]).await;
    let modified = r.headers().get(header::LAST_MODIFIED).expect("the loader has a Last-Modified").to_str().unwrap().to_owned();
    let again = get_with(&router, "/embed.js", &[(header::IF_MODIFIED_SINCE, &modified)]).await;
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(cache_control(&again).as_deref(), Some(MINUTES));
    let older = get_with(&router, "/embed.js", &[(header::IF_MODIFIED_SINCE, "Thu, 01 Jan 1998 00:00:00 GMT")]).await;
    assert_eq!(older.status(), StatusCode::OK);
    assert_eq!(text(older).await, "/*min*/");
    // A hashed name that is not there is not kept: the next build may bring it.
    let missing = get_with(&router, "/pkg/depeche_bg.fedcba9876543210.wasm", &[]).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(cache_control(&missing), None);
}

/// Sets the modification time of the file at `path` to `secs` after the epoch.
fn set_modified(path: &std::path::Path, secs: u64) {
    let file = std::fs::File::options().write(true).open(path).unwrap();
    file.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs)).unwrap();
}

#[tokio::test]
async fn a_precompressed_copy_older_than_its_file_is_never_served() {
    let dir = tempfile::tempdir().unwrap();
    let pkg = dir.path().join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(pkg.join("depeche.js.br"), "old br").unwrap();
    std::fs::write(pkg.join("depeche.js"), "new").unwrap();
    // Explicit times, not a pause between the writes: on a file system that keeps whole
    // seconds, two writes in a row get the same time.
    const T: u64 = 1_700_000_000;
    // Rebuilt a second after its copy was made, as by running wasm-pack by hand.
    set_modified(&pkg.join("depeche.js.br"), T);
    set_modified(&pkg.join("depeche.js"), T + 1);
    let router = static_app(dir.path(), None, &[]).await;
    assert_eq!(get_encoded(&router, "/pkg/depeche.js", Some("br")).await, (None, "new".to_owned()));
    // The control: the same files, the copy made after its file, and the copy is served.
    set_modified(&pkg.join("depeche.js.br"), T + 2);
    let router = static_app(dir.path(), None, &[]).await;
    assert_eq!(get_encoded(&router, "/pkg/depeche.js", Some("br")).await, (Some("br".to_owned()), "old br".to_owned()));
}

#[tokio::test]
async fn beacons_from_pages_the_publisher_does_not_allow_are_not_counted() {
    let h = harness(120).await;
    let ip = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 30));
    let from = |ua: &str, extra: &[(header::HeaderName, &str)]| post_from(beacon_body("kangaba", "view"), ip, &format!("{CHROME} {ua}"), extra);
    let r = send(&h, from("a", &[(header::ORIGIN, "https://evil.test")])).await;
    assert_eq!((counted(&r), r.headers().get("depeche-reason").unwrap().to_str().unwrap()), (false, "origin"));
    assert!(!counted(&send(&h, from("b", &[])).await), "no Origin and no Referer");
    assert!(counted(&send(&h, from("c", &[(header::ORIGIN, "http://partner.test")])).await), "an allowed partner");
    assert!(counted(&send(&h, from("d", &[(header::REFERER, "http://partner.test/article?x=1")])).await), "a Referer from it");
    assert!(counted(&send(&h, from("e", &[(header::ORIGIN, "http://collector.test")])).await), "the collector's own pages");
    assert_eq!(views(&h, "kangaba").await, 379);
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_reader_is_told_apart_and_ipv6_is_limited_per_64() {
    let dir = tempfile::tempdir().unwrap();
    let store = store::open(&format!("sqlite:{}", dir.path().join("t.db").display())).await.unwrap();
    let config = Config { rate_limit_per_minute: 2, trusted_proxies: vec!["10.0.0.0/8".parse().unwrap()], ..Config::default() };
    let state = AppState::open(store, SourceFeed::from_json(FEED).unwrap(), config, || T0).await.unwrap();
    let router = app(state);
    let via_proxy = |client: &str| {
        post_from(beacon_body("kangaba", "view"), IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), CHROME, &[(header::HeaderName::from_static("x-forwarded-for"), client)])
    };
    let status = |r: Response<Body>| r.status();
    // Two readers behind the same proxy, same browser: two visitors, each with its own limit.
    for client in ["203.0.113.1", "203.0.113.2"] {
        let r = router.clone().oneshot(via_proxy(client)).await.unwrap();
        assert!(counted(&r), "{client}");
    }
    // A limit of two a minute: the first reader's second beacon passes, the third does not.
    assert_eq!(status(router.clone().oneshot(via_proxy("203.0.113.1")).await.unwrap()), StatusCode::NO_CONTENT);
    assert_eq!(status(router.clone().oneshot(via_proxy("203.0.113.1")).await.unwrap()), StatusCode::TOO_MANY_REQUESTS);
    // IPv6: any address of one /64 shares its limit.
    let v6 = |a: &str| post_from(beacon_body("kangaba", "view"), a.parse().unwrap(), CHROME, &[]);
    assert_eq!(status(router.clone().oneshot(v6("2001:db8:1:2::1")).await.unwrap()), StatusCode::NO_CONTENT);
    assert_eq!(status(router.clone().oneshot(v6("2001:db8:1:2::2")).await.unwrap()), StatusCode::NO_CONTENT);
    assert_eq!(status(router.clone().oneshot(v6("2001:db8:1:2:ffff::3")).await.unwrap()), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(status(router.clone().oneshot(v6("2001:db8:1:3::1")).await.unwrap()), StatusCode::NO_CONTENT, "another /64");
}

#[tokio::test]
async fn a_published_item_is_served_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("t.db").display());
    let config = || Config { publish_token: Some("s3cret".into()), ..Config::default() };
    let first = app(AppState::open(store::open(&url).await.unwrap(), SourceFeed::from_json(FEED).unwrap(), config(), || T0).await.unwrap());
    let item = r#"{"id":"new-flash","title":"Nouvelle alerte","_depeche":{"urgency":1}}"#;
    assert_eq!(first.oneshot(publish_request(Some("s3cret"), item)).await.unwrap().status(), StatusCode::CREATED);
    let again = app(AppState::open(store::open(&url).await.unwrap(), SourceFeed::from_json(FEED).unwrap(), config(), || T0).await.unwrap());
    let r = again.oneshot(Request::get("/feed.json").body(Body::empty()).unwrap()).await.unwrap();
    let v: serde_json::Value = serde_json::from_str(&text(r).await).unwrap();
    assert_eq!(v["items"][0]["id"], "new-flash");
}

#[tokio::test]
async fn metrics_count_beacons_by_outcome_and_commits() {
    let h = harness_with(120, Some("s3cret")).await;
    assert!(counted(&send(&h, post(beacon_body("kangaba", "view"), [192, 0, 2, 40], CHROME)).await));
    assert!(!counted(&send(&h, post(beacon_body("kangaba", "view"), [192, 0, 2, 40], CHROME)).await));
    assert!(!counted(&send(&h, post(beacon_body("kangaba", "view"), [192, 0, 2, 40], "curl/8.0")).await));
    assert_eq!(send(&h, post(beacon_body("nope", "view"), [192, 0, 2, 40], CHROME)).await.status(), StatusCode::NOT_FOUND);
    let r = send(&h, with_token(Request::get("/metrics"))).await;
    assert!(r.headers().get(header::CONTENT_TYPE).unwrap().to_str().unwrap().starts_with("text/plain; version=0.0.4"));
    let m = text(r).await;
    for line in [
        "depeche_beacons_total{outcome=\"counted\"} 1",
        "depeche_beacons_total{outcome=\"duplicate\"} 1",
        "depeche_beacons_total{outcome=\"bot\"} 1",
        "depeche_beacons_total{outcome=\"unknown_item\"} 1",
        "depeche_store_commit_seconds_count 2",
        "depeche_store_queue_depth 0",
        "depeche_feed_version 0",
    ] {
        assert!(m.lines().any(|l| l == line), "no {line:?} in\n{m}");
    }
}

/// The next chunk of an event stream, as text (within two seconds).
async fn next_chunk(body: &mut Body) -> String {
    let frame = tokio::time::timeout(std::time::Duration::from_secs(2), body.frame()).await.expect("an event within 2 s");
    String::from_utf8(frame.unwrap().unwrap().into_data().unwrap().to_vec()).unwrap()
}

#[tokio::test]
async fn the_event_stream_says_each_new_feed_version_once() {
    let h = harness_with(120, Some("s3cret")).await;
    let r = send(&h, Request::get("/events").body(Body::empty()).unwrap()).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers().get(header::CONTENT_TYPE).unwrap(), "text/event-stream");
    let mut body = r.into_body();
    // On connecting: the current version, with the reconnection delay.
    let first = next_chunk(&mut body).await;
    assert!(first.contains("event: feed\n") && first.contains("id: 0\n") && first.contains("retry: 3000\n"), "{first:?}");
    // A count changing is not an event; a publish is.
    assert!(counted(&send(&h, post(beacon_body("kangaba", "view"), [192, 0, 2, 50], CHROME)).await));
    let item = r#"{"id":"flash","title":"Alerte","_depeche":{"urgency":1}}"#;
    assert_eq!(send(&h, publish_request(Some("s3cret"), item)).await.status(), StatusCode::CREATED);
    let next = next_chunk(&mut body).await;
    assert!(next.contains("id: 1\n") && next.contains("data: 1\n"), "{next:?}");
    // A reader reconnecting with the current version gets nothing to refetch.
    let r = send(&h, Request::get("/events").header("last-event-id", "1").body(Body::empty()).unwrap()).await;
    let mut again = r.into_body();
    assert!(tokio::time::timeout(std::time::Duration::from_millis(300), again.frame()).await.is_err(), "nothing new to say");
}

#[tokio::test]
async fn the_feed_says_its_version_as_the_event_stream_does() {
    // A reader compares the stream's first event with the version of the feed it has, so
    // that opening the stream does not fetch the feed a second time.
    let h = harness_with(120, Some("s3cret")).await;
    let version = |r: &Response<Body>| r.headers().get("depeche-version").map(|v| v.to_str().unwrap().to_owned());
    let get = || Request::get("/feed.json").header(header::ORIGIN, "http://partner.test").body(Body::empty()).unwrap();
    let r = send(&h, get()).await;
    assert_eq!(version(&r).as_deref(), Some("0"));
    let exposed = r.headers().get(header::ACCESS_CONTROL_EXPOSE_HEADERS).unwrap().to_str().unwrap().to_lowercase();
    assert!(exposed.contains("depeche-version"), "partners may read it: {exposed}");
    let etag = r.headers().get(header::ETAG).unwrap().clone();
    let item = r#"{"id":"flash","title":"Alerte","_depeche":{"urgency":1}}"#;
    assert_eq!(send(&h, publish_request(Some("s3cret"), item)).await.status(), StatusCode::CREATED);
    let r = send(&h, get()).await;
    assert_eq!((r.status(), version(&r).as_deref()), (StatusCode::OK, Some("1")));
    let etag_now = r.headers().get(header::ETAG).unwrap().clone();
    assert_ne!(etag, etag_now);
    let r = send(&h, Request::get("/feed.json").header(header::IF_NONE_MATCH, etag_now).body(Body::empty()).unwrap()).await;
    assert_eq!((r.status(), version(&r).as_deref()), (StatusCode::NOT_MODIFIED, Some("1")), "a 304 says it too");
}

#[tokio::test]
async fn event_streams_beyond_the_cap_are_refused_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let store = store::open(&format!("sqlite:{}", dir.path().join("t.db").display())).await.unwrap();
    let config = Config { max_streams: 1, allowed_origins: vec!["http://partner.test".into()], publish_token: Some("s3cret".into()), ..Config::default() };
    let router = app(AppState::open(store, SourceFeed::from_json(FEED).unwrap(), config, || T0).await.unwrap());
    let get = || Request::get("/events").header(header::ORIGIN, "http://partner.test").body(Body::empty()).unwrap();
    let open = router.clone().oneshot(get()).await.unwrap();
    assert_eq!(open.status(), StatusCode::OK);
    assert_eq!(open.headers().get(header::ACCESS_CONTROL_ALLOW_ORIGIN).unwrap(), "http://partner.test", "partners may listen");
    let refused = router.clone().oneshot(get()).await.unwrap();
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(refused.headers().get(header::RETRY_AFTER).unwrap(), "30");
    let m = text(router.clone().oneshot(with_token(Request::get("/metrics"))).await.unwrap()).await;
    assert!(m.contains("depeche_open_streams 1\n") && m.contains("depeche_streams_refused_total 1\n"), "{m}");
    // Closing the stream gives its place back.
    drop(open);
    assert_eq!(router.clone().oneshot(get()).await.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn the_bearer_scheme_is_matched_in_any_case() {
    let h = harness_with(120, Some("s3cret")).await;
    let item = r#"{"id":"case","title":"Casse"}"#;
    for scheme in ["bearer", "BEARER", "Bearer"] {
        let r = Request::post("/publish").header(header::AUTHORIZATION, format!("{scheme} s3cret")).body(Body::from(item)).unwrap();
        assert_eq!(send(&h, r).await.status(), StatusCode::CREATED, "{scheme}");
    }
    let r = Request::post("/publish").header(header::AUTHORIZATION, "Basic s3cret").body(Body::from(item)).unwrap();
    assert_eq!(send(&h, r).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn publish_takes_a_ninjs_document_and_refuses_one_under_embargo() {
    let h = harness_with(120, Some("s3cret")).await;
    let ninjs = r#"{"uri":"urn:newsml:agence.example:flash-1","versioncreated":"2026-12-01T12:00:00Z","urgency":1,
        "headlines":[{"role":"main","value":"Alerte : séisme ressenti à Dakar"}],"by":"Awa Diallo","located":"Dakar"}"#;
    assert_eq!(send(&h, publish_request(Some("s3cret"), ninjs)).await.status(), StatusCode::CREATED);
    let feed: serde_json::Value = serde_json::from_str(&text(send(&h, Request::get("/feed.json").body(Body::empty()).unwrap()).await).await).unwrap();
    let item = &feed["items"][0];
    assert_eq!(item["id"], "urn:newsml:agence.example:flash-1");
    assert_eq!(item["title"], "Alerte : séisme ressenti à Dakar");
    assert_eq!(item["authors"][0]["name"], "Awa Diallo");
    assert_eq!(item["_depeche"]["urgency"], 1);
    assert_eq!(item["_depeche"]["dateline"], "Dakar");

    let embargoed = r#"{"uri":"urn:newsml:agence.example:later","headlines":[{"role":"main","value":"Pas avant 2099"}],
        "embargoedUntil":"2099-01-01T00:00:00Z"}"#;
    let r = send(&h, publish_request(Some("s3cret"), embargoed)).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(text(r).await.contains("under embargo until 2099-01-01T00:00:00Z"));
}

#[tokio::test]
async fn stats_give_counts_over_time_per_origin_to_the_token_holder_only() {
    let h = harness_with(120, Some("s3cret")).await;
    assert!(counted(&send(&h, post(beacon_body("kangaba", "view"), [192, 0, 2, 60], CHROME)).await));
    assert!(counted(&send(&h, post(beacon_body("kangaba", "read"), [192, 0, 2, 60], CHROME)).await));
    let partner = post_from(beacon_body("kangaba", "view"), IpAddr::V4(Ipv4Addr::new(192, 0, 2, 61)), CHROME, &[(header::ORIGIN, "http://partner.test")]);
    assert!(counted(&send(&h, partner).await));

    let get = |path: &str, token: Option<&str>| {
        let mut r = Request::get(path);
        if let Some(t) = token {
            r = r.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        r.body(Body::empty()).unwrap()
    };
    assert_eq!(send(&h, get("/stats", None)).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(send(&h, get("/stats.csv", Some("wrong"))).await.status(), StatusCode::UNAUTHORIZED);

    let r = send(&h, get("/stats?item=kangaba", Some("s3cret"))).await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&text(r).await).unwrap();
    assert_eq!(v["totals"], serde_json::json!({ "views": 2, "reads": 1, "read_rate": 0.5 }));
    assert_eq!(v["origins"], serde_json::json!([
        { "origin": "http://collector.test", "views": 1, "reads": 1, "share": 0.5 },
        { "origin": "http://partner.test", "views": 1, "reads": 0, "share": 0.5 },
    ]));
    assert_eq!(v["minutes"].as_array().unwrap().last().unwrap()["views"], 2, "this minute");
    assert_eq!(v["hours"].as_array().unwrap().len(), 72);

    let r = send(&h, get("/stats.csv?item=kangaba", Some("s3cret"))).await;
    assert_eq!(r.headers().get(header::CONTENT_TYPE).unwrap(), "text/csv; charset=utf-8");
    let csv = text(r).await;
    let mut lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.remove(0), "start_utc,span_seconds,item,event,origin,n");
    lines.sort();
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines.iter().all(|l| l.contains(",60,kangaba,")), "{csv}");
    assert!(lines.iter().any(|l| l.ends_with(",read,http://collector.test,1")), "{csv}");
}

#[tokio::test]
async fn failed_token_checks_are_limited_per_address() {
    let h = harness_with(120, Some("s3cret")).await;
    let item = r#"{"id":"guess","title":"Devinette"}"#;
    let from = |token: &str, last: u8| {
        let mut r = publish_request(Some(token), item);
        r.extensions_mut().insert(ConnectInfo(SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, last)), 40000)));
        r
    };
    for guess in 0..10 {
        assert_eq!(send(&h, from(&format!("guess-{guess}"), 70)).await.status(), StatusCode::UNAUTHORIZED);
    }
    let r = send(&h, from("guess-10", 70)).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "a wrong token, once the budget is spent");
    assert_eq!(r.headers().get(header::RETRY_AFTER).unwrap(), "60");
    // Ten wrong tokens from an address (a stranger behind the newsroom's proxy) never lock
    // the right one out: only failures are limited.
    assert_eq!(send(&h, from("s3cret", 70)).await.status(), StatusCode::CREATED, "the right token still works");
    assert_eq!(send(&h, from("guess-11", 71)).await.status(), StatusCode::UNAUTHORIZED, "another address has its own budget");
    h.clock.fetch_add(20_000, Ordering::SeqCst);
    assert_eq!(send(&h, from("guess-12", 70)).await.status(), StatusCode::UNAUTHORIZED, "the budget refills");
}

#[tokio::test]
async fn publish_refuses_what_the_widget_would_skip_with_its_reason() {
    let h = harness_with(120, Some("s3cret")).await;
    for (item, why) in [
        (r#"{"id":"d","title":"Date","date_published":"hier"}"#, "date_published: not an RFC 3339 date"),
        (r#"{"id":"u","title":"Urgence","_depeche":{"urgency":12}}"#, "_depeche.urgency"),
        (r#"{"id":"l","title":"Lien","url":42}"#, "url"),
    ] {
        let r = send(&h, publish_request(Some("s3cret"), item)).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{item}");
        let text = text(r).await;
        assert!(text.starts_with("the widget would not show this item: ") && text.contains(why), "{text}");
    }
    let fine = r#"{"id":"ok","title":"Valide","date_published":"2026-12-02T08:00:00.123Z","_depeche":{"urgency":1}}"#;
    assert_eq!(send(&h, publish_request(Some("s3cret"), fine)).await.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn a_scheduled_item_is_held_until_its_time_then_served_and_announced() {
    let h = harness_with(120, Some("s3cret")).await;
    let at = chrono::DateTime::from_timestamp_millis((T0 + 60_000) as i64).unwrap().to_rfc3339();
    let item = format!(r#"{{"id":"later","title":"À 8 h 01","date_published":"{at}","_depeche":{{"urgency":1}}}}"#);
    assert_eq!(send(&h, publish_request(Some("s3cret"), &item)).await.status(), StatusCode::CREATED);
    let ids = |body: String| -> Vec<String> {
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        v["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap_or("").to_owned()).collect()
    };
    let feed = || Request::get("/feed.json").body(Body::empty()).unwrap();
    assert!(!ids(text(send(&h, feed()).await).await).contains(&"later".to_owned()), "held back");
    let r = send(&h, post(beacon_body("later", "view"), [192, 0, 2, 80], CHROME)).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "nobody can have seen it");

    let listed = |h: &Harness| {
        let r = Request::get("/items").header(header::AUTHORIZATION, "Bearer s3cret").body(Body::empty()).unwrap();
        let router = h.router.clone();
        async move {
            let v: serde_json::Value = serde_json::from_str(&text(router.oneshot(r).await.unwrap()).await).unwrap();
            v["items"].as_array().unwrap().iter().map(|i| format!("{} {} {}", i["id"].as_str().unwrap(), i["state"].as_str().unwrap(), i["source"].as_str().unwrap())).collect::<Vec<_>>()
        }
    };
    assert_eq!(listed(&h).await, ["later scheduled desk", "kangaba live file", "niamey live file"]);
    assert_eq!(send(&h, Request::get("/items").body(Body::empty()).unwrap()).await.status(), StatusCode::UNAUTHORIZED);

    let mut stream = send(&h, Request::get("/events").body(Body::empty()).unwrap()).await.into_body();
    assert!(next_chunk(&mut stream).await.contains("id: 1\n"));
    // Nobody asks for the feed when the time comes: the instance releases it on its own, and
    // the event stream says so.
    tokio::spawn(h.state.clone().watch_versions());
    h.clock.fetch_add(60_000, Ordering::SeqCst);
    assert!(next_chunk(&mut stream).await.contains("id: 2\n"));
    assert_eq!(ids(text(send(&h, feed()).await).await)[0], "later");
    assert_eq!(listed(&h).await[0], "later live desk");
}

#[tokio::test]
async fn a_forged_host_does_not_make_a_refused_origin_the_collectors_own() {
    let h = harness(120).await;
    let ip = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 80));
    let forged = |ua: &str| {
        let mut r = post_from(beacon_body("kangaba", "view"), ip, &format!("{CHROME} {ua}"), &[(header::ORIGIN, "https://evil.test")]);
        r.headers_mut().insert(header::HOST, "evil.test".parse().unwrap());
        r
    };
    let r = send(&h, forged("a")).await;
    assert_eq!((counted(&r), r.headers().get("depeche-reason").unwrap().to_str().unwrap()), (false, "origin"));
    // The positive control: the configured own origin, with any Host, counts.
    let mut own = post_from(beacon_body("kangaba", "view"), ip, &format!("{CHROME} b"), &[(header::ORIGIN, "http://collector.test")]);
    own.headers_mut().insert(header::HOST, "anything.test".parse().unwrap());
    assert!(counted(&send(&h, own).await));
}

#[tokio::test]
async fn an_unknown_origin_is_kept_as_other_whatever_its_length() {
    let dir = tempfile::tempdir().unwrap();
    let store = store::open(&format!("sqlite:{}", dir.path().join("t.db").display())).await.unwrap();
    // No partner list: every origin is admitted, and only the configured ones kept by name.
    let config = Config { own_origins: vec!["http://collector.test".into()], publish_token: Some("s3cret".into()), ..Config::default() };
    let router = app(AppState::open(store, SourceFeed::from_json(FEED).unwrap(), config, || T0).await.unwrap());
    let long = format!("https://{}.test", "x".repeat(100_000));
    for (ua, origin) in [("a", long.as_str()), ("b", "https://elsewhere.test"), ("c", "http://collector.test")] {
        let r = post_from(beacon_body("kangaba", "view"), IpAddr::V4(Ipv4Addr::new(192, 0, 2, 81)), &format!("{CHROME} {ua}"), &[]);
        let mut r = r;
        r.headers_mut().insert(header::ORIGIN, origin.parse().unwrap());
        let answer = router.clone().oneshot(r).await.unwrap();
        assert!(counted(&answer), "{ua}");
    }
    let csv = text(router.clone().oneshot(with_token(Request::get("/stats.csv"))).await.unwrap()).await;
    assert!(csv.contains(",view,other,2"), "{csv}");
    assert!(csv.contains(",view,http://collector.test,1"), "{csv}");
    assert!(csv.len() < 1000, "no origin kept as sent: {} bytes", csv.len());
}

#[tokio::test]
async fn status_and_metrics_need_the_token() {
    let h = harness_with(120, Some("s3cret")).await;
    for path in ["/status", "/metrics", "/items", "/stats"] {
        let r = send(&h, Request::get(path).body(Body::empty()).unwrap()).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{path} without the token");
        assert_eq!(send(&h, with_token(Request::get(path))).await.status(), StatusCode::OK, "{path} with it");
    }
}

#[tokio::test]
async fn a_user_agent_rotated_per_request_counts_a_few_views_not_one_each() {
    let h = harness(0).await;
    let ip = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 90));
    let mut counts = 0;
    for n in 0..50 {
        let r = send(&h, post_from(beacon_body("kangaba", "view"), ip, &format!("{CHROME} rotated-{n}"), &[(header::ORIGIN, "http://collector.test")])).await;
        counts += u64::from(counted(&r));
    }
    assert_eq!(counts, depeche_collector::limits::MAX_USER_AGENTS_PER_ADDRESS_ITEM as u64);
    assert_eq!(views(&h, "kangaba").await, 376 + counts);
    // Another address is another household.
    let other = post_from(beacon_body("kangaba", "view"), IpAddr::V4(Ipv4Addr::new(192, 0, 2, 91)), CHROME, &[(header::ORIGIN, "http://collector.test")]);
    assert!(counted(&send(&h, other).await));
}

#[tokio::test]
async fn withdrawn_and_expired_items_count_no_views() {
    let h = harness_with(120, Some("s3cret")).await;
    let ip = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 95));
    let beacon = |item: &str, ua: &str| post_from(beacon_body(item, "view"), ip, &format!("{CHROME} {ua}"), &[(header::ORIGIN, "http://collector.test")]);
    let expiring = r#"{"id":"bref","title":"Bref","_depeche":{"expires":"2027-01-15T08:00:01Z"}}"#;
    assert_eq!(send(&h, publish_request(Some("s3cret"), expiring)).await.status(), StatusCode::CREATED);
    assert!(counted(&send(&h, beacon("bref", "a")).await), "live until it expires");
    // T0 is 2027-01-15T08:00:00Z: two seconds later the item has expired.
    h.clock.fetch_add(2_000, Ordering::SeqCst);
    let r = send(&h, beacon("bref", "b")).await;
    assert_eq!((counted(&r), r.headers().get("depeche-reason").unwrap().to_str().unwrap()), (false, "not_live"));
    let withdrawn = r#"{"id":"kangaba","title":"Attaque à Bamako","_depeche":{"status":"withdrawn"}}"#;
    assert!(counted(&send(&h, beacon("kangaba", "c")).await), "live before");
    assert_eq!(send(&h, publish_request(Some("s3cret"), withdrawn)).await.status(), StatusCode::CREATED);
    let r = send(&h, beacon("kangaba", "d")).await;
    assert_eq!((counted(&r), r.headers().get("depeche-reason").unwrap().to_str().unwrap()), (false, "not_live"));
}

#[tokio::test]
async fn every_spelling_of_a_desk_page_gets_its_policy_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let router = static_app(dir.path(), Some(&[("console.html", "<p>desk</p>"), ("index.html", "<p>demo</p>")]), &[]).await;
    let get = |path: &str| router.clone().oneshot(Request::get(path).body(Body::empty()).unwrap());
    let plain = get("/console.html").await.unwrap();
    assert_eq!(plain.status(), StatusCode::OK);
    assert!(plain.headers().get(header::CONTENT_SECURITY_POLICY).unwrap().to_str().unwrap().contains("frame-ancestors 'none'"));
    for path in ["/%63onsole.html", "//console.html", "/./console.html", "/x/../console.html", "/console%2ehtml"] {
        let r = get(path).await.unwrap();
        let csp = r.headers().get(header::CONTENT_SECURITY_POLICY).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
        let body = text(r).await;
        assert!(!body.contains("desk") || csp.contains("frame-ancestors 'none'"), "{path} served the desk under {csp:?}");
    }
    // Every other page of www/ gets a policy too.
    let demo = get("/index.html").await.unwrap();
    assert_eq!(demo.headers().get(header::CONTENT_SECURITY_POLICY).unwrap(), "frame-ancestors 'self'");
}

#[tokio::test]
async fn a_grip_sig_header_that_the_proxy_did_not_sign_is_not_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let store = store::open(&format!("sqlite:{}", dir.path().join("t.db").display())).await.unwrap();
    let grip = depeche_collector::grip::Publisher::new("http://127.0.0.1:9").unwrap();
    let key = depeche_collector::grip::SigKey::new(b"the proxy's key").unwrap();
    let config = Config { grip: vec![grip], grip_key: Some(key), ..Config::default() };
    let router = app(AppState::open(store, SourceFeed::from_json(FEED).unwrap(), config, || T0).await.unwrap());
    let events = |sig: &str| Request::get("/events").header("grip-sig", sig).body(Body::empty()).unwrap();
    let forged = router.clone().oneshot(events("anything")).await.unwrap();
    assert!(forged.headers().get("grip-hold").is_none(), "a forged signature is streamed by the instance, not held");
    let claims = serde_json::json!({ "iss": "pushpin", "exp": T0 / 1000 + 3600 });
    let sign = |key: &[u8]| jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &jsonwebtoken::EncodingKey::from_secret(key)).unwrap();
    let wrong_key = router.clone().oneshot(events(&sign(b"another key"))).await.unwrap();
    assert!(wrong_key.headers().get("grip-hold").is_none(), "signed with another key");
    let signed = router.clone().oneshot(events(&sign(b"the proxy's key"))).await.unwrap();
    assert_eq!(signed.headers().get("grip-hold").unwrap(), "stream", "the proxy's own request is held");
}

/// A harness whose collector signs with a new key, its widgets trusting `widget_keys`
/// (`None`: the newsroom did not say).
async fn signing_harness(key: Option<depeche_collector::signing::NewsroomKey>, widget_keys: Option<Vec<String>>) -> (Router, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = store::open(&format!("sqlite:{}", dir.path().join("t.db").display())).await.unwrap();
    let config = Config { publish_token: Some("s3cret".into()), signing_key: key, widget_keys, ..Config::default() };
    (app(AppState::open(store, SourceFeed::from_json(FEED).unwrap(), config, || T0).await.unwrap()), dir)
}

#[tokio::test]
async fn the_desk_refuses_to_publish_what_the_newsrooms_widgets_would_not_show() {
    let key = depeche_collector::signing::NewsroomKey::generate();
    let public = key.public().to_owned();
    let item = r#"{"id":"signe","title":"Signé"}"#;
    let publish = |(router, _dir): (Router, tempfile::TempDir)| async move { router.oneshot(publish_request(Some("s3cret"), item)).await.unwrap() };
    // The widgets ask for signatures and the collector has no key: refused, with the reason.
    let r = publish(signing_harness(None, Some(vec![public.clone()])).await).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(text(r).await.contains("no signing key"));
    // A key the widgets do not trust: refused.
    let r = publish(signing_harness(Some(depeche_collector::signing::NewsroomKey::generate()), Some(vec![public.clone()])).await).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    // The key they trust, or nothing said of the widgets: published.
    let (router, dir) = signing_harness(Some(key.clone()), Some(vec![public.clone()])).await;
    let r = router.clone().oneshot(publish_request(Some("s3cret"), item)).await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(publish(signing_harness(None, None).await).await.status(), StatusCode::CREATED);
    // The desk is told which key signs.
    let v: serde_json::Value = serde_json::from_str(&text(router.oneshot(with_token(Request::get("/signing"))).await.unwrap()).await).unwrap();
    assert_eq!(v["key"], key.public());
    assert_eq!(v["publishable"], true);
    assert_eq!(v["widget_keys"][0], key.public());
    drop(dir);
}

#[tokio::test]
async fn the_newsrooms_items_are_served_signed_and_verify_over_the_widgets_canonical_form() {
    use base64::Engine;
    use ed25519_dalek::Verifier;
    let key = depeche_collector::signing::NewsroomKey::generate();
    let (router, _dir) = signing_harness(Some(key.clone()), None).await;
    let item = r#"{"id":"desk-flash","title":"Alerte de la rédaction","_depeche":{"urgency":1}}"#;
    assert_eq!(router.clone().oneshot(publish_request(Some("s3cret"), item)).await.unwrap().status(), StatusCode::CREATED);
    let feed = text(router.oneshot(Request::get("/feed.json").body(Body::empty()).unwrap()).await.unwrap()).await;
    let v: serde_json::Value = serde_json::from_str(&feed).unwrap();
    let public = key.public().trim_start_matches("ed25519:");
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).unwrap();
    let verifying = ed25519_dalek::VerifyingKey::from_bytes(&b64(public).try_into().unwrap()).unwrap();
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "the file's two and the desk's one");
    for item in items {
        let sig = item["_depeche"]["sig"].as_str().unwrap_or_else(|| panic!("unsigned: {item}"));
        let (named, signature) = sig.trim_start_matches("ed25519:").split_once('.').unwrap();
        assert_eq!(named, public);
        // The widget's reading of the served item, its canonical form, and the signature.
        let doc: depeche::json::Value = serde_json::from_value(serde_json::json!({ "items": [item] })).unwrap();
        let read = depeche::feed::parse(&doc).unwrap().feed.items[0].clone();
        let signature = ed25519_dalek::Signature::from_slice(&b64(signature)).unwrap();
        assert!(verifying.verify(depeche::signed::canonical(&read).as_bytes(), &signature).is_ok(), "{item}");
    }
    // The count is not signed: a view changes it, not the signature.
    assert!(items.iter().any(|i| i["_depeche"]["views"] == 376));
}

#[tokio::test]
async fn one_address_cannot_hold_every_event_stream() {
    let dir = tempfile::tempdir().unwrap();
    let store = store::open(&format!("sqlite:{}", dir.path().join("t.db").display())).await.unwrap();
    let config = Config { max_streams: 100, streams_per_address: 2, ..Config::default() };
    let router = app(AppState::open(store, SourceFeed::from_json(FEED).unwrap(), config, || T0).await.unwrap());
    let from = |last: u8| {
        let mut r = Request::get("/events").body(Body::empty()).unwrap();
        r.extensions_mut().insert(ConnectInfo(SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, last)), 40000)));
        r
    };
    let first = router.clone().oneshot(from(1)).await.unwrap();
    let second = router.clone().oneshot(from(1)).await.unwrap();
    assert_eq!((first.status(), second.status()), (StatusCode::OK, StatusCode::OK));
    let third = router.clone().oneshot(from(1)).await.unwrap();
    assert_eq!(third.status(), StatusCode::SERVICE_UNAVAILABLE, "a third from the same address");
    assert!(third.headers().get(header::RETRY_AFTER).is_some());
    assert_eq!(router.clone().oneshot(from(2)).await.unwrap().status(), StatusCode::OK, "another address still gets one");
    drop(first);
    assert_eq!(router.clone().oneshot(from(1)).await.unwrap().status(), StatusCode::OK, "a closed stream gives its place back");
}
