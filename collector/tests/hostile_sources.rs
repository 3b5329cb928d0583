//! Feed sources as an attacker or an unlucky newsroom would run them (issue 25): answers that
//! made the source loop panic or stall, redirects off the source's origin, and a collector
//! process given every source that once crashed it, still serving (built with a profile that
//! unwinds, as the release profile is checked to).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use depeche_collector::sources::{self, Limits, Source, Status, Statuses};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const FEED: &str = r#"<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>J</title>
<item><title>Crue à Mopti</title><guid>mopti-1</guid></item></channel></rss>"#;

/// Serves `router` on `ip`, on a free port; returns the port.
async fn serve(ip: &str, router: Router) -> u16 {
    let listener = tokio::net::TcpListener::bind((ip, 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    port
}

/// A feed answer with extra headers.
fn feed(headers: &'static [(&'static str, &'static str)]) -> axum::response::Response {
    let mut r = ([(header::CONTENT_TYPE, "application/rss+xml")], FEED).into_response();
    for (k, v) in headers {
        r.headers_mut().insert(*k, HeaderValue::from_static(v));
    }
    r
}

fn redirect(to: String) -> axum::response::Response {
    (StatusCode::FOUND, [(header::LOCATION, to)]).into_response()
}

/// One source loop on `url`, its schedule `scale` times as fast as in service; its status and
/// what it saved.
struct Loop {
    statuses: Statuses,
    saved: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Loop {
    fn start(url: &str, scale: f64) -> Loop {
        let saved: Arc<Mutex<Vec<String>>> = Arc::default();
        let sink = Arc::clone(&saved);
        let save: sources::Save = Arc::new(move |_, items| {
            sink.lock().unwrap().push(items);
            Box::pin(async { Ok(true) })
        });
        let statuses: Statuses = Arc::new(Mutex::new(vec![Status { source: url.to_owned(), ..Status::default() }]));
        let limits = Limits { timeout: Duration::from_secs(2), time_scale: scale, ..Limits::default() };
        let task = tokio::spawn(sources::run(Source::new(url), limits, Arc::clone(&statuses), 0, save));
        Loop { statuses, saved, task }
    }

    fn status(&self) -> Status {
        self.statuses.lock().unwrap()[0].clone()
    }

    async fn wait_for(&self, what: &str, f: impl Fn(&Status) -> bool) {
        let started = Instant::now();
        while !f(&self.status()) {
            assert!(!self.task.is_finished(), "{what}: the source loop ended (a panic?)");
            assert!(started.elapsed() < Duration::from_secs(10), "{what}: {:?}", self.status());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_max_age_beyond_any_duration_does_not_panic_at_the_pace_of_service() {
    let router = Router::new().route("/feed", get(|| async { feed(&[("cache-control", "max-age=18446744073709551615")]) }));
    let port = serve("127.0.0.1", router).await;
    let source = Loop::start(&format!("http://127.0.0.1:{port}/feed"), 1.0);
    source.wait_for("the first read", |s| s.items == 1).await;
    // The wait before the next read is computed at once: a panic there ends the loop now.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!source.task.is_finished(), "the source loop ended: a panic in its schedule");
    source.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_max_age_beyond_any_duration_neither_panics_nor_stops_the_source() {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&hits);
    let router = Router::new().route(
        "/feed",
        get(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            async { feed(&[("cache-control", "public, max-age=18446744073709551615")]) }
        }),
    );
    let port = serve("127.0.0.1", router).await;
    // 15 s is 7.5 ms here, and the 15-minute ceiling 450 ms.
    let source = Loop::start(&format!("http://127.0.0.1:{port}/feed"), 0.000_5);
    source.wait_for("the first read", |s| s.items == 1).await;
    let started = Instant::now();
    while hits.load(Ordering::SeqCst) < 3 {
        assert!(!source.task.is_finished(), "the source loop ended: a panic in its schedule");
        assert!(started.elapsed() < Duration::from_secs(5), "read again within the ceiling: {} reads", hits.load(Ordering::SeqCst));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(source.status().error.is_none(), "{:?}", source.status());
    source.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_year_long_max_age_or_ttl_still_means_a_read_every_15_minutes() {
    let hits = Arc::new(AtomicUsize::new(0));
    let (a, b) = (Arc::clone(&hits), Arc::clone(&hits));
    let ttl = FEED.replace("<title>J</title>", "<title>J</title><ttl>525600</ttl>");
    let router = Router::new()
        .route(
            "/max-age",
            get(move || {
                a.fetch_add(1, Ordering::SeqCst);
                async { feed(&[("cache-control", "max-age=31536000")]) }
            }),
        )
        .route(
            "/ttl",
            get(move || {
                b.fetch_add(1, Ordering::SeqCst);
                let ttl = ttl.clone();
                async move { ([(header::CONTENT_TYPE, "application/rss+xml")], ttl).into_response() }
            }),
        );
    let port = serve("127.0.0.1", router).await;
    let loops = [Loop::start(&format!("http://127.0.0.1:{port}/max-age"), 0.000_5), Loop::start(&format!("http://127.0.0.1:{port}/ttl"), 0.000_5)];
    let started = Instant::now();
    while hits.load(Ordering::SeqCst) < 6 {
        assert!(started.elapsed() < Duration::from_secs(5), "each read again within the ceiling: {} reads", hits.load(Ordering::SeqCst));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for l in loops {
        assert_eq!(l.status().items, 1);
        l.task.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_stay_on_the_sources_origin() {
    // What an internal service would answer: it must never be read.
    let inside = Router::new().route("/feed", get(|| async { feed(&[]) }));
    let other_host = serve("127.0.0.2", inside.clone()).await;
    let other_port = serve("127.0.0.1", inside).await;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let router = Router::new()
        .route("/to-host", get(move || async move { redirect(format!("http://127.0.0.2:{other_host}/feed")) }))
        .route("/to-port", get(move || async move { redirect(format!("http://127.0.0.1:{other_port}/feed")) }))
        .route("/to-https", get(move || async move { redirect(format!("https://127.0.0.1:{port}/feed")) }))
        .route("/moved", get(|| async { redirect("/feed".to_owned()) }))
        .route("/feed", get(|| async { feed(&[]) }));
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

    for (path, to) in [("to-host", format!("http://127.0.0.2:{other_host}")), ("to-port", format!("http://127.0.0.1:{other_port}")), ("to-https", format!("https://127.0.0.1:{port}"))] {
        let source = Loop::start(&format!("http://127.0.0.1:{port}/{path}"), 0.001);
        source.wait_for(path, |s| s.error.is_some() || s.items > 0).await;
        let s = source.status();
        assert_eq!(s.items, 0, "{path}: {s:?}");
        let error = s.error.unwrap_or_default();
        assert!(error.contains("redirected to another origin") && error.contains(&to), "{path}: {error}");
        assert!(source.saved.lock().unwrap().is_empty(), "{path}: nothing from there is kept");
        source.task.abort();
    }
    let source = Loop::start(&format!("http://127.0.0.1:{port}/moved"), 0.001);
    source.wait_for("a redirect on the same origin is followed", |s| s.items == 1).await;
    source.task.abort();
}

/// A collector in this process over SQLite in `dir`, with the feed file `FILE` and `sources`
/// read at 100 times the pace of service, its sources started.
async fn collector(dir: &std::path::Path, sources: Vec<Source>) -> (Router, depeche_collector::AppState) {
    let store = depeche_collector::store::open(&format!("sqlite:{}", dir.join("t.db").display())).await.unwrap();
    let config = depeche_collector::Config {
        publish_token: Some("s3cret".into()),
        sources,
        source_limits: Limits { time_scale: 0.01, ..Limits::default() },
        ..depeche_collector::Config::default()
    };
    let clock = || u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap();
    let state = depeche_collector::AppState::open(store, depeche_collector::feed::SourceFeed::from_json(FILE).unwrap(), config, clock).await.unwrap();
    state.start_sources();
    (depeche_collector::app(state.clone()), state)
}

const FILE: &str = r#"{"version":"https://jsonfeed.org/version/1.1","title":"Le Journal","items":[
  {"id":"kangaba","title":"Attaque à Bamako","date_published":"2026-12-02T08:00:00Z","_depeche":{"views":376}},
  {"id":"niamey","title":"Floods","date_published":"2026-12-02T07:00:00Z"}]}"#;

async fn get_json(router: &Router, path: &str) -> (serde_json::Value, usize) {
    use tower::ServiceExt;
    let request = axum::http::Request::get(path).header(header::AUTHORIZATION, "Bearer s3cret").body(axum::body::Body::empty()).unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let bytes = http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes();
    (serde_json::from_slice(&bytes).unwrap(), bytes.len())
}

/// Waits until `/status` satisfies `f` (10 s at most).
async fn status_until(router: &Router, what: &str, f: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
    let started = Instant::now();
    loop {
        let (status, _) = get_json(router, "/status").await;
        if f(&status) {
            return status;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "{what}: {status:#}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn item<'a>(feed: &'a serde_json::Value, id: &str) -> Option<&'a serde_json::Value> {
    feed["items"].as_array().unwrap().iter().find(|i| i["id"] == id)
}

fn skipped(status: &serde_json::Value, index: usize) -> String {
    status["sources"][index]["skipped"].to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_cannot_speak_for_the_newsroom_nor_for_another_source() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, items: serde_json::Value| {
        let path = dir.path().join(name);
        std::fs::write(&path, serde_json::json!({"version": "https://jsonfeed.org/version/1.1", "items": items}).to_string()).unwrap();
        path.to_str().unwrap().to_owned()
    };
    // What issue 25 saw: a JSON Feed source replacing the newsroom's story, signed, urgent,
    // with a count, and another withdrawing one.
    let faux = write("faux.json", serde_json::json!([
        {"id": "kangaba", "title": "FAUX : l'attaque était un exercice", "_depeche": {"urgency": 1, "views": 987654322, "signature": "La rédaction"}},
        {"id": "niamey", "title": "Retrait", "_depeche": {"status": "withdrawn"}},
        {"id": "invite-1", "title": "Invité", "url": "javascript:alert(1)", "image": "data:image/png;base64,AAAA", "_depeche": {"views": 5, "signature": "La rédaction"}}
    ]));
    let agence = write("agence.json", serde_json::json!([{"id": "invite-1", "title": "Copie"}, {"id": "agence-1", "title": "Agence", "url": "https://agence.example/1"}]));
    let cms = write("cms.json", serde_json::json!([{"id": "niamey", "title": "Floods (corrected)", "_depeche": {"views": 10}}]));
    let sources = vec![Source::new(&faux), Source::new(&agence), Source { trusted: true, ..Source::new(&cms) }];
    let (router, _state) = collector(dir.path(), sources).await;

    let status = status_until(&router, "every source read, the second one's copy refused", |s| {
        s["sources"].as_array().unwrap().iter().all(|x| x["last_success_ms"].is_u64()) && skipped(s, 1).contains("invite-1")
    })
    .await;
    assert!(skipped(&status, 0).contains("item kangaba: this id is the feed file's"), "{status:#}");
    assert!(skipped(&status, 0).contains("item niamey: this id is the feed file's"), "{status:#}");
    assert!(skipped(&status, 1).contains("item invite-1: this id is another source's"), "{status:#}");
    assert_eq!(status["sources"][2]["skipped"], serde_json::json!([]), "the trusted source: {status:#}");

    let (feed, _) = get_json(&router, "/feed.json").await;
    let kangaba = item(&feed, "kangaba").unwrap();
    assert_eq!(kangaba["title"], "Attaque à Bamako");
    assert_eq!(kangaba["_depeche"], serde_json::json!({"views": 376}));
    assert_eq!(item(&feed, "niamey").unwrap()["title"], "Floods (corrected)", "the trusted source corrects the newsroom's item");
    assert_eq!(item(&feed, "niamey").unwrap()["_depeche"]["views"], 10);
    assert_eq!(item(&feed, "invite-1").unwrap(), &serde_json::json!({"id": "invite-1", "title": "Invité"}), "no script URL, no count, no signature");
    assert_eq!(item(&feed, "agence-1").unwrap()["url"], "https://agence.example/1");
    assert_eq!(feed["items"].as_array().unwrap().len(), 4);

    // The desk still corrects a source's item by publishing with its id, and the source
    // keeps its item (it is not refused as the desk's at its next reads).
    use tower::ServiceExt;
    let publish = axum::http::Request::post("/publish")
        .header(header::AUTHORIZATION, "Bearer s3cret")
        .header(header::CONTENT_TYPE, "application/json")
        .body(axum::body::Body::from(r#"{"id":"agence-1","title":"Agence (corrigé par la rédaction)"}"#))
        .unwrap();
    assert_eq!(router.clone().oneshot(publish).await.unwrap().status(), StatusCode::CREATED);
    let (feed, _) = get_json(&router, "/feed.json").await;
    assert_eq!(item(&feed, "agence-1").unwrap()["title"], "Agence (corrigé par la rédaction)");
    let before = get_json(&router, "/status").await.0["sources"][1]["last_success_ms"].as_u64().unwrap();
    let status = status_until(&router, "the agency read again", |s| s["sources"][1]["last_success_ms"].as_u64().unwrap() > before + 200).await;
    assert!(!skipped(&status, 1).contains("agence-1"), "{status:#}");
    let (feed, _) = get_json(&router, "/feed.json").await;
    assert_eq!(item(&feed, "agence-1").unwrap()["title"], "Agence (corrigé par la rédaction)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_of_2_5_mb_never_makes_the_feed_larger_than_the_widget_reads() {
    let dir = tempfile::tempdir().unwrap();
    let items: Vec<serde_json::Value> = (0..50)
        .map(|i| serde_json::json!({"id": format!("gros-{i}"), "title": format!("Gros {i}"), "content_text": "x".repeat(50_000),
            "date_published": format!("2026-12-01T{:02}:{:02}:00Z", i / 60, i % 60)}))
        .collect();
    let path = dir.path().join("gros.json");
    std::fs::write(&path, serde_json::json!({"version": "https://jsonfeed.org/version/1.1", "items": items}).to_string()).unwrap();
    assert!(std::fs::metadata(&path).unwrap().len() > 2_500_000);
    let (router, _state) = collector(dir.path(), vec![Source::new(path.to_str().unwrap())]).await;
    status_until(&router, "the source read", |s| s["sources"][0]["items"] == 50).await;
    let (feed, bytes) = get_json(&router, "/feed.json").await;
    assert!(bytes <= depeche::settings::DEFAULT_MAX_BYTES as usize, "{bytes} bytes");
    assert!(item(&feed, "kangaba").is_some() && item(&feed, "niamey").is_some(), "the newsroom's own stay");
    assert!(item(&feed, "gros-49").is_some() && item(&feed, "gros-0").is_none(), "the source's newest stay, its oldest go");
}

/// The collector process under test: `DEPECHE_RELEASE_COLLECTOR` if set (`make release` sets
/// it to the static binary it ships), else the one built for these tests, which unwinds as
/// the release profile does (checked by `the_release_profile_unwinds_panics`). They differ
/// where arithmetic overflows: the debug build panics (caught: that source's error), the
/// release build wraps, which the release run is there to see. Building the release profile
/// here took 200 s of `make test`.
fn collector_under_test() -> std::path::PathBuf {
    std::env::var_os("DEPECHE_RELEASE_COLLECTOR").map_or_else(|| env!("CARGO_BIN_EXE_depeche-collector").into(), Into::into)
}

/// The panic strategy cargo would build the collector's binary with in `profile`, from its
/// unit graph (no compilation: about a second). `RUSTC_BOOTSTRAP` lets a stable cargo print it.
fn panic_strategy(profile: &str, env: &[(&str, &str)]) -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = std::process::Command::new(cargo)
        .args(["build", "--profile", profile, "-p", "depeche-collector", "--bin", "depeche-collector", "--unit-graph", "-Z", "unstable-options"])
        .env("RUSTC_BOOTSTRAP", "1")
        .envs(env.iter().copied())
        .current_dir(&root)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let graph: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let unit = graph["units"].as_array().unwrap().iter().find(|u| u["target"]["name"] == "depeche-collector" && u["target"]["kind"][0] == "bin");
    unit.unwrap_or_else(|| panic!("no collector binary in {graph}"))["profile"]["panic"].as_str().unwrap().to_owned()
}

/// The release build must unwind: a panic in a feed parser is caught and becomes that
/// source's error. With `panic = "abort"` the collector died within 0.26 s of reading the
/// hostile sources below (measured on the release build before the profile changed).
#[test]
fn the_release_profile_unwinds_panics() {
    assert_eq!(panic_strategy("release", &[]), "unwind");
    assert_eq!(panic_strategy("dev", &[]), "unwind", "the process test below runs the test profile's build");
    // The positive control: the check sees a profile that aborts (as the wasm build sets it).
    assert_eq!(panic_strategy("release", &[("CARGO_PROFILE_RELEASE_PANIC", "abort")]), "abort");
}

/// GET with the publish token (`/status` asks for it).
async fn http_get(port: u16, path: &str) -> (StatusCode, String) {
    let response = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}{path}"))
        .header(header::AUTHORIZATION, "Bearer s3cret")
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e} (has the collector died?)"));
    (response.status(), response.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_collector_given_every_source_that_once_crashed_it_still_serves_10_s_later() {
    let binary = collector_under_test();
    let dir = tempfile::tempdir().unwrap();
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let copy = |from: &std::path::Path| {
        let to = dir.path().join(from.file_name().unwrap());
        std::fs::copy(from, &to).unwrap();
        to.to_str().unwrap().to_owned()
    };
    // Each panicked inside feed-rs 3.0.0 (issue 25).
    let hostile: Vec<String> = ["byline-guillemets.rss", "itunes-duration-huge.rss", "itunes-duration-arabic-indic.rss", "media-thumbnail-time.rss"]
        .iter()
        .map(|f| copy(&data.join("hostile").join(f)))
        .collect();
    // Media RSS under another prefix than `media:`: the item that carries it is skipped.
    let odd_prefix = dir.path().join("odd-prefix.rss");
    let odd = std::fs::read_to_string(data.join("hostile/media-thumbnail-time.rss")).unwrap().replace("media:", "m:").replace("xmlns:media", "xmlns:m");
    std::fs::write(&odd_prefix, odd).unwrap();
    let good = [copy(&data.join("sources/rss-latin1.xml")), copy(&data.join("sources/jsonfeed-1.0.json"))];
    // An HTTP source whose max-age once panicked the schedule, and one redirecting inside.
    let router = Router::new()
        .route("/max-age", get_feed_with_max_age())
        .route("/inside", get(|| async { redirect("http://127.0.0.2:9/admin".to_owned()) }));
    let upstream = serve("127.0.0.1", router).await;
    let feed_file = dir.path().join("feed.json");
    std::fs::write(&feed_file, FILE).unwrap();

    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let stderr = std::fs::File::create(dir.path().join("stderr")).unwrap();
    let mut args: Vec<String> = ["--listen", &format!("127.0.0.1:{port}"), "--feed", feed_file.to_str().unwrap()]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend(["--database".into(), format!("sqlite:{}", dir.path().join("t.db").display()), "--www".into(), "/nonexistent".into(), "--pkg".into(), "/nonexistent".into()]);
    let http = [format!("http://127.0.0.1:{upstream}/max-age"), format!("http://127.0.0.1:{upstream}/inside")];
    let odd = odd_prefix.to_str().unwrap().to_owned();
    for s in hostile.iter().chain([&odd]).chain(&good).chain(&http) {
        args.extend(["--source".to_owned(), s.clone()]);
    }
    let mut child = std::process::Command::new(&binary)
        .args(&args)
        .env("DEPECHE_PUBLISH_TOKEN", "s3cret")
        .stdout(std::process::Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", binary.display()));
    struct Kill<'a>(&'a mut std::process::Child);
    impl Drop for Kill<'_> {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let child = Kill(&mut child);
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(child.0.try_wait().unwrap().is_none(), "the collector exited at start");
        assert!(started.elapsed() < Duration::from_secs(20), "the collector did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Every source read once (or failed), then 10 s more.
    let started = Instant::now();
    loop {
        let (_, body) = http_get(port, "/status").await;
        let status: serde_json::Value = serde_json::from_str(&body).unwrap();
        let sources = status["sources"].as_array().unwrap().clone();
        if sources.iter().all(|s| s["last_success_ms"].is_u64() || s["error"].is_string()) {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "{status:#}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert!(child.0.try_wait().unwrap().is_none(), "the collector died: {}", std::fs::read_to_string(dir.path().join("stderr")).unwrap());

    let (code, body) = http_get(port, "/feed.json").await;
    assert_eq!(code, StatusCode::OK);
    let feed: serde_json::Value = serde_json::from_str(&body).unwrap();
    for id in ["kangaba", "journal-attaque-2017-06-18", "2017061801", "mopti-1", "piege-1", "ordinaire-1"] {
        assert!(item(&feed, id).is_some(), "{id} in {feed:#}");
    }
    let (code, body) = http_get(port, "/status").await;
    assert_eq!(code, StatusCode::OK);
    let status: serde_json::Value = serde_json::from_str(&body).unwrap();
    let of = |source: &str| status["sources"].as_array().unwrap().iter().find(|s| s["source"] == source).cloned().unwrap();
    for source in &hostile {
        let s = of(source);
        assert_eq!(s["items"], 2, "{s:#}");
        assert!(s["skipped"].to_string().contains("the feed parser failed on this feed (a bug in feed-rs: "), "{s:#}");
    }
    let s = of(odd_prefix.to_str().unwrap());
    assert_eq!(s["items"], 1, "{s:#}");
    assert!(s["skipped"].to_string().contains("item 1 of the feed: the feed parser failed on it (a bug in feed-rs: "), "{s:#}");
    assert!(of(&http[1])["error"].as_str().unwrap().contains("redirected to another origin (http://127.0.0.2:9)"), "{status:#}");
    assert!(of(&http[0])["error"].is_null() && of(&http[0])["items"] == 1, "{status:#}");
    for source in &good {
        assert!(of(source)["error"].is_null(), "{status:#}");
    }
    // Caught panics print nothing of their own: each problem is one line, said once.
    let log = std::fs::read_to_string(dir.path().join("stderr")).unwrap();
    assert!(!log.contains("panicked") && !log.contains("RUST_BACKTRACE"), "{log}");
    assert!(log.lines().count() < 40, "{log}");
}

fn get_feed_with_max_age() -> axum::routing::MethodRouter {
    get(|| async { feed(&[("cache-control", "max-age=18446744073709551615")]) })
}
