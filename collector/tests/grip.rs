//! The event stream held by Pushpin (GRIP) in front of two collector instances over one
//! PostgreSQL database: readers connect to Pushpin, which keeps their streams open, not the
//! instances; a publish on the instance Pushpin does not route to reaches them once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};
use support::{Collector, PgCluster, Pushpin};

const FEED: &str = r#"{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"kangaba","title":"Attaque"}]}"#;
const TOKEN: &str = "grip-test-token";

/// A reader's event stream through Pushpin, read as text.
struct Reader {
    stream: TcpStream,
    heard: String,
}

impl Reader {
    fn connect(port: u16, origin: &str) -> Reader {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
        let request = format!("GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nOrigin: {origin}\r\n\r\n");
        stream.write_all(request.as_bytes()).unwrap();
        Reader { stream, heard: String::new() }
    }

    /// Reads until `wanted` has been heard, the stream closes, or `within` has passed.
    fn until(&mut self, wanted: &str, within: Duration) -> bool {
        let started = Instant::now();
        let mut buf = [0u8; 4096];
        while !self.heard.contains(wanted) && started.elapsed() < within {
            match self.stream.read(&mut buf) {
                Ok(0) => return false,
                Ok(n) => self.heard.push_str(&String::from_utf8_lossy(&buf[..n])),
                Err(_) => {}
            }
        }
        self.heard.contains(wanted)
    }
}

fn publish(port: u16, item: &str) {
    let reply = support::http(port, &support::publish(TOKEN, item), Duration::from_secs(10)).unwrap();
    assert_eq!(reply.status, 201, "{}", reply.body);
}

fn metrics(port: u16) -> String {
    support::http(port, &support::get("/metrics", Some(TOKEN)), Duration::from_secs(10)).unwrap().body
}

#[test]
fn pushpin_holds_the_streams_and_a_publish_on_any_instance_reaches_them_once() {
    let cluster = PgCluster::start();
    let database = cluster.database("depeche");
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("feed.json");
    std::fs::write(&feed, FEED).unwrap();

    // Pushpin's control port is known once it runs, and the instances need it; Pushpin needs
    // the port of the instance it routes to. A placeholder instance's port is taken first.
    let routed_port = support::free_port();
    let pushpin = Pushpin::start(routed_port);
    let grip = format!("http://127.0.0.1:{}", pushpin.control);
    let key = dir.path().join("grip.key");
    std::fs::write(&key, support::PUSHPIN_SIG_KEY).unwrap();
    let instance = |listen: Option<u16>| {
        let mut args: Vec<&OsStr> = vec![OsStr::new("--feed"), feed.as_os_str(), OsStr::new("--database"), OsStr::new(&database)];
        args.extend([OsStr::new("--grip"), OsStr::new(&grip), OsStr::new("--grip-key-file"), key.as_os_str()]);
        args.extend([OsStr::new("--allow-origin"), OsStr::new("http://partner.test")]);
        Collector::start_on(listen, &args, &[("DEPECHE_PUBLISH_TOKEN", TOKEN)], Duration::from_secs(20))
    };
    let routed = instance(Some(routed_port));
    let other = instance(None);

    // Pushpin's handler may take a moment after its ports open to accept held streams (it says
    // "Accept service unavailable" meanwhile): wait until one stream is held.
    let started = Instant::now();
    loop {
        let mut probe = Reader::connect(pushpin.port, "http://partner.test");
        if probe.until("id: 0\n", Duration::from_secs(2)) {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "Pushpin holds no stream: {:?}", probe.heard);
        std::thread::sleep(Duration::from_millis(200));
    }
    let mut readers: Vec<Reader> = (0..3).map(|_| Reader::connect(pushpin.port, "http://partner.test")).collect();
    for r in &mut readers {
        assert!(r.until("id: 0\n", Duration::from_secs(10)), "the current version on connecting: {:?}", r.heard);
        assert!(r.heard.contains("retry: 3000\n"), "{:?}", r.heard);
        assert!(r.heard.to_ascii_lowercase().contains("access-control-allow-origin: http://partner.test"), "partners may listen: {:?}", r.heard);
        assert!(!r.heard.to_ascii_lowercase().contains("grip-"), "GRIP headers stay between the proxy and the collector");
    }
    assert!(metrics(routed.port).contains("depeche_open_streams 0\n"), "the proxy holds the streams, not the instance");

    // Published on the instance Pushpin does not route to: it publishes the new version, and so
    // does the routed one when PostgreSQL notifies it; each reader hears it once.
    let published = Instant::now();
    publish(other.port, r#"{"id":"flash","title":"Alerte","_depeche":{"urgency":1}}"#);
    for r in &mut readers {
        assert!(r.until("id: 1\n", Duration::from_secs(3)), "the publish within 3 s: {:?}", r.heard);
    }
    println!("publish on one instance, through Pushpin to 3 readers after {} ms", published.elapsed().as_millis());
    for r in &mut readers {
        r.until("never", Duration::from_millis(1000));
        assert_eq!(r.heard.matches("data: 1\n").count(), 1, "once: {:?}", r.heard);
    }

    // A reader that reconnects with the version it has gets nothing to refetch.
    let mut again = TcpStream::connect(("127.0.0.1", pushpin.port)).unwrap();
    again.set_read_timeout(Some(Duration::from_millis(1500))).unwrap();
    again.write_all(b"GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nLast-Event-ID: 1\r\n\r\n").unwrap();
    let mut buf = [0u8; 4096];
    let n = again.read(&mut buf).unwrap();
    let head = String::from_utf8_lossy(&buf[..n]).to_string();
    assert!(head.starts_with("HTTP/1.1 200") && !head.contains("data:"), "{head:?}");
    drop((routed, other));
}
