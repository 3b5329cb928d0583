//! A feed source that misbehaves on demand (the style of the widget's network tests): the
//! source loop keeps its last good items through hangs, 500s, truncation, a wrong charset,
//! 5 MB, a redirect loop and malformed markup, says each problem once in its status, makes
//! conditional requests, and recovers. The schedule runs 200 times faster than in service.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use depeche_collector::sources::{self, Limits, Source, Statuses, Status};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const GOOD: &str = r#"<?xml version="1.0" encoding="ISO-8859-1"?><rss version="2.0"><channel><title>J</title>
<item><title>Alerte : crue à Mopti</title><guid>mopti-1</guid><category>alerte</category></item></channel></rss>"#;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    Good,
    Hang,
    Error500,
    Truncated,
    WrongCharset,
    Huge,
    RedirectLoop,
    Malformed,
}

const MODES: [Mode; 8] = [Mode::Good, Mode::Hang, Mode::Error500, Mode::Truncated, Mode::WrongCharset, Mode::Huge, Mode::RedirectLoop, Mode::Malformed];

/// A one-route upstream whose answer depends on the mode; it counts requests and the
/// conditional ones it answered 304.
async fn upstream(mode: Arc<AtomicUsize>, hits: Arc<AtomicUsize>, not_modified: Arc<AtomicUsize>) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else { return };
            let (mode, hits, not_modified) = (MODES[mode.load(Ordering::SeqCst)], Arc::clone(&hits), Arc::clone(&not_modified));
            tokio::spawn(async move {
                let mut request = vec![0u8; 4096];
                let n = socket.read(&mut request).await.unwrap_or(0);
                let request = String::from_utf8_lossy(&request[..n]).to_ascii_lowercase();
                hits.fetch_add(1, Ordering::SeqCst);
                let latin1: Vec<u8> = GOOD.chars().map(|c| c as u32 as u8).collect();
                let answer = |status: &str, headers: &str, body: &[u8]| {
                    let mut out = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n{headers}\r\n", body.len()).into_bytes();
                    out.extend_from_slice(body);
                    out
                };
                let reply = match mode {
                    Mode::Good if request.contains("if-none-match: \"v1\"") => {
                        not_modified.fetch_add(1, Ordering::SeqCst);
                        answer("304 Not Modified", "ETag: \"v1\"\r\n", b"")
                    }
                    Mode::Good => answer("200 OK", "Content-Type: application/rss+xml\r\nETag: \"v1\"\r\n", &latin1),
                    Mode::Hang => {
                        tokio::time::sleep(Duration::from_secs(30)).await;
                        return;
                    }
                    Mode::Error500 => answer("500 Internal Server Error", "", b"oops"),
                    Mode::Truncated => {
                        let mut out = b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\nConnection: close\r\n\r\n".to_vec();
                        out.extend_from_slice(&latin1[..100]);
                        out
                    }
                    // Declared UTF-8, sent in ISO-8859-1: the accents are invalid UTF-8.
                    Mode::WrongCharset => answer("200 OK", "", &GOOD.replace("ISO-8859-1", "UTF-8").chars().map(|c| c as u32 as u8).collect::<Vec<u8>>()),
                    Mode::Huge => answer("200 OK", "", &vec![b' '; 5_000_001]),
                    Mode::RedirectLoop => answer("302 Found", "Location: /feed\r\n", b""),
                    Mode::Malformed => answer("200 OK", "", b"<rss><channel><item><title>x</item></rss"),
                };
                let _ = socket.write_all(&reply).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    port
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_upstream_never_empties_the_feed_and_says_each_problem_once() {
    let (mode, hits, not_modified) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let port = upstream(Arc::clone(&mode), Arc::clone(&hits), Arc::clone(&not_modified)).await;
    let url = format!("http://127.0.0.1:{port}/feed");
    let saved: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = Arc::clone(&saved);
    let save: sources::Save = Arc::new(move |_, items| {
        sink.lock().unwrap().push(items);
        Box::pin(async { Ok(true) })
    });
    let statuses: Statuses = Arc::new(Mutex::new(vec![Status { source: url.clone(), ..Status::default() }]));
    // 15 s becomes 75 ms; the timeout is real (1 s).
    let limits = Limits { timeout: Duration::from_secs(1), time_scale: 0.005, ..Limits::default() };
    let task = tokio::spawn(sources::run(Source::new(&url), limits, Arc::clone(&statuses), 0, save));
    let status = || statuses.lock().unwrap()[0].clone();
    let wait_for = |what: &str, f: &dyn Fn(&Status) -> bool| {
        let started = std::time::Instant::now();
        while !f(&status()) {
            assert!(started.elapsed() < Duration::from_secs(15), "{what}: {:?}", status());
            std::thread::sleep(Duration::from_millis(20));
        }
    };

    wait_for("the first read", &|s| s.items == 1);
    let good = saved.lock().unwrap()[0].clone();
    assert!(good.contains("Alerte : crue à Mopti") && good.contains("\"urgency\":1"), "{good}");
    assert_eq!(status().format.as_deref(), Some("rss"));
    wait_for("a conditional request answered 304", &|_| not_modified.load(Ordering::SeqCst) >= 1);

    for (m, why) in [
        (Mode::Hang, "no answer within 1 s"),
        (Mode::Error500, "answered HTTP 500"),
        (Mode::Truncated, "cut short"),
        (Mode::WrongCharset, "malformed feed"),
        (Mode::Huge, "larger than 5000000 bytes"),
        (Mode::RedirectLoop, "more than 5 redirects"),
        (Mode::Malformed, "malformed feed"),
    ] {
        let before = saved.lock().unwrap().len();
        mode.store(MODES.iter().position(|x| *x == m).unwrap(), Ordering::SeqCst);
        wait_for(why, &|s| s.error.as_deref().is_some_and(|e| e.contains(why)));
        let s = status();
        assert!(s.failing_since_ms.is_some(), "{m:?}: {s:?}");
        assert_eq!(s.items, 1, "{m:?}: the last good items are still served");
        // A good read already in flight when the fault began may still save the same items:
        // what matters is that nothing else replaced them.
        assert!(saved.lock().unwrap()[before..].iter().all(|s| *s == good), "{m:?}: nothing replaced them");
        // Back to good before the next fault: it recovers, and the failure is cleared.
        mode.store(0, Ordering::SeqCst);
        wait_for("recovery", &|s| s.error.is_none() && s.failing_since_ms.is_none());
    }
    assert!(saved.lock().unwrap().iter().all(|s| *s == good), "the same items all along");
    task.abort();
    println!("{} requests to the upstream", hits.load(Ordering::SeqCst));
}
