//! Slow and greedy clients cannot starve the collector: the real binary, with its limits
//! shrunk through its hidden `DEPECHE_*` variables, against clients that never finish their
//! headers or bodies, idle on keep-alive, or open connections by the hundred from one address.
//! The "other" client speaks from 127.0.0.2 (Linux routes all of 127/8 to the loopback).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use depeche_collector::server::{Limits, MAX_HEADER_BYTES, SHUTDOWN_GRACE};
use socket2::{Domain, Socket, Type};
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const FEED: &str = r#"{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"kangaba","title":"Attaque"}]}"#;

/// The client whose requests must keep being answered.
const OTHER: [u8; 4] = [127, 0, 0, 2];
/// The client that hogs.
const HOG: [u8; 4] = [127, 0, 0, 1];

/// A collector process of this test's own (own port, feed, database), killed when dropped.
struct Running {
    port: u16,
    child: Child,
    /// Its standard output, line by line.
    lines: mpsc::Receiver<String>,
    _dir: tempfile::TempDir,
}

impl Running {
    /// Starts the collector with `env`, under a descriptor limit of `nofile` if given (set by
    /// `ulimit -n` in a shell that then becomes the collector). Another process may take the
    /// free port first: then it starts again on another.
    fn start(env: &[(&str, &str)], nofile: Option<u32>) -> Running {
        for _ in 0..3 {
            if let Some(running) = Running::try_start(env, nofile) {
                return running;
            }
        }
        panic!("the collector did not start, three times");
    }

    /// As `start`, once: `None` if it ended before listening.
    fn try_start(env: &[(&str, &str)], nofile: Option<u32>) -> Option<Running> {
        let dir = tempfile::tempdir().unwrap();
        let feed = dir.path().join("feed.json");
        std::fs::write(&feed, FEED).unwrap();
        let database = format!("sqlite:{}", dir.path().join("c.db").display());
        let port = support::free_port();
        let bin = env!("CARGO_BIN_EXE_depeche-collector");
        let mut cmd = match nofile {
            Some(n) => {
                let mut c = Command::new("sh");
                c.args(["-c", &format!("ulimit -n {n} && exec \"$0\" \"$@\""), bin]);
                c
            }
            None => Command::new(bin),
        };
        let mut child = cmd
            .args(["--listen", &format!("127.0.0.1:{port}"), "--rate-limit", "0", "--www", "/nonexistent", "--pkg", "/nonexistent"])
            .arg("--feed")
            .arg(&feed)
            .args(["--database", &database])
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || BufReader::new(stdout).lines().map_while(Result::ok).try_for_each(|l| tx.send(l)));
        // Its first line comes once its port is bound: what answers before may be another
        // process on a port taken meanwhile.
        match lines.recv_timeout(Duration::from_secs(10)) {
            Ok(line) if line.starts_with("Dépêche demo (publisher)") => Some(Running { port, child, lines, _dir: dir }),
            Ok(line) => panic!("the collector's first line: {line}"),
            Err(mpsc::RecvTimeoutError::Timeout) => panic!("the collector did not start within 10 s"),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let _ = child.wait();
                None
            }
        }
    }

    /// Sends SIGINT (ctrl-c).
    fn interrupt(&self) {
        assert!(Command::new("kill").args(["-INT", &self.child.id().to_string()]).status().unwrap().success());
    }

    /// Waits up to `max` for the process to end; its exit status.
    fn ended_within(&mut self, max: Duration) -> Option<std::process::ExitStatus> {
        let started = Instant::now();
        while started.elapsed() < max {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// Whether the process is still running.
    fn alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// User plus system CPU time the process has used, from /proc (in clock ticks).
    fn cpu_ticks(&self) -> u64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap();
        // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
        let rest = &stat[stat.rfind(')').unwrap() + 2..];
        let fields: Vec<&str> = rest.split(' ').collect();
        fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A connection to the collector from the loopback address `from`.
fn connect_from(from: [u8; 4], port: u16) -> TcpStream {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    socket.bind(&SocketAddr::from((Ipv4Addr::from(from), 0)).into()).unwrap();
    socket.connect_timeout(&SocketAddr::from(([127, 0, 0, 1], port)).into(), Duration::from_secs(5)).unwrap();
    socket.into()
}

/// `GET /healthz` from `from` on a fresh connection; how long the answer took. Panics unless
/// it is a 200 within 5 s.
fn healthz(from: [u8; 4], port: u16) -> Duration {
    let started = Instant::now();
    let mut s = connect_from(from, port);
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").unwrap();
    let mut reply = Vec::new();
    let read = s.read_to_end(&mut reply);
    let reply = String::from_utf8_lossy(&reply);
    assert!(read.is_ok() && reply.starts_with("HTTP/1.1 200"), "no answer to /healthz within 5 s ({read:?}): {reply:?}");
    started.elapsed()
}

/// Reads until the peer closes; how long that took from `since`, or `None` if it was still
/// open after `max`. What was read goes to `got`.
fn closed_after(s: &mut TcpStream, since: Instant, max: Duration, got: &mut Vec<u8>) -> Option<Duration> {
    let mut buf = [0u8; 4096];
    loop {
        let left = max.checked_sub(since.elapsed())?;
        s.set_read_timeout(Some(left.max(Duration::from_millis(1)))).unwrap();
        match s.read(&mut buf) {
            Ok(0) => return Some(since.elapsed()),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return Some(since.elapsed()),
            Err(e) => panic!("reading: {e}"),
        }
    }
}

/// Whether the peer has closed `s` (without waiting: what has arrived so far).
fn is_closed(s: &mut TcpStream) -> bool {
    s.set_nonblocking(true).unwrap();
    let mut buf = [0u8; 1024];
    let closed = loop {
        match s.read(&mut buf) {
            Ok(0) => break true,
            Ok(_) => continue,
            Err(e) if e.kind() == ErrorKind::WouldBlock => break false,
            Err(_) => break true,
        }
    };
    s.set_nonblocking(false).unwrap();
    closed
}

#[test]
fn unfinished_headers_are_closed_within_the_header_timeout() {
    let c = Running::start(&[("DEPECHE_HEADER_TIMEOUT_MS", "1500")], None);
    let mut slow = connect_from(HOG, c.port);
    slow.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").unwrap();
    let since = Instant::now();
    let answered = healthz(OTHER, c.port);
    assert!(answered < Duration::from_secs(1), "/healthz took {answered:?} beside a slow client");
    let mut got = Vec::new();
    let closed = closed_after(&mut slow, since, Duration::from_secs(8), &mut got);
    let closed = closed.unwrap_or_else(|| panic!("a connection that never finished its headers was still open after 8 s"));
    assert!(closed >= Duration::from_millis(1300), "closed after {closed:?}, before the 1.5 s header timeout");
    assert!(closed < Duration::from_millis(3500), "closed only after {closed:?} (header timeout 1.5 s)");
    assert!(!String::from_utf8_lossy(&got).contains(" 200 "), "nothing was answered: {:?}", String::from_utf8_lossy(&got));
}

#[test]
fn idle_keep_alive_connections_are_closed_within_the_header_timeout() {
    let c = Running::start(&[("DEPECHE_HEADER_TIMEOUT_MS", "1500")], None);
    let mut s = connect_from(HOG, c.port);
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    while !String::from_utf8_lossy(&got).ends_with("\r\n\r\nok") {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "closed before answering: {:?}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&buf[..n]);
    }
    let since = Instant::now();
    let closed = closed_after(&mut s, since, Duration::from_secs(8), &mut Vec::new());
    let closed = closed.unwrap_or_else(|| panic!("an idle keep-alive connection was still open after 8 s"));
    assert!(closed >= Duration::from_millis(1300), "closed after {closed:?}, before the 1.5 s timeout");
    assert!(closed < Duration::from_millis(3500), "closed only after {closed:?} (header timeout 1.5 s)");
}

#[test]
fn oversized_headers_are_refused() {
    let c = Running::start(&[], None);
    // Just under the cap is served.
    let mut s = connect_from(HOG, c.port);
    let cookie = "a".repeat(MAX_HEADER_BYTES - 1024);
    s.write_all(format!("GET /healthz HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n").as_bytes()).unwrap();
    let mut got = Vec::new();
    closed_after(&mut s, Instant::now(), Duration::from_secs(5), &mut got).unwrap();
    assert!(got.starts_with(b"HTTP/1.1 200"), "{:?}", String::from_utf8_lossy(&got));
    let mut s = connect_from(HOG, c.port);
    let cookie = "a".repeat(MAX_HEADER_BYTES + 36 * 1024);
    // The server may answer and close before it has read everything: a failed write is fine.
    let _ = s.write_all(format!("GET /healthz HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\n\r\n").as_bytes());
    let mut got = Vec::new();
    let closed = closed_after(&mut s, Instant::now(), Duration::from_secs(5), &mut got);
    let got = String::from_utf8_lossy(&got);
    assert!(closed.is_some(), "still open after 5 s: {got:?}");
    // 431, unless the connection was reset before the answer could be read.
    assert!(got.is_empty() || got.starts_with("HTTP/1.1 431"), "100 KiB of headers were answered: {got:?}");
}

#[test]
fn many_connections_from_one_address_leave_healthz_answering() {
    // The reproduction of issue 25: 300 idle connections from one address under a
    // 256-descriptor limit.
    let c = Running::start(&[], Some(256));
    let mut hogs: Vec<TcpStream> = (0..300).map(|_| connect_from(HOG, c.port)).collect();
    let answered = healthz(OTHER, c.port);
    assert!(answered < Duration::from_secs(1), "/healthz took {answered:?} beside 300 idle connections");
    // Those beyond the per-address cap (sized to the 256 descriptors) were closed at once;
    // the others are still open.
    let cap = Limits::sized_to(Some(256)).connections_per_address;
    assert!(cap < 300 / 2, "the cap ({cap}) leaves room for others");
    let started = Instant::now();
    let open = loop {
        let open = hogs.iter_mut().map(is_closed).filter(|closed| !closed).count();
        if open <= cap || started.elapsed() > Duration::from_secs(3) {
            break open;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(open, cap, "connections from one address left open");
    // A slot freed is a slot for the same address again.
    hogs.retain_mut(|s| !is_closed(s));
    drop(hogs.pop());
    std::thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    let mut again = connect_from(HOG, c.port);
    std::thread::sleep(Duration::from_millis(300));
    assert!(!is_closed(&mut again), "a connection within the cap was closed");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn unfinished_body_is_answered_within_the_body_timeout() {
    let c = Running::start(&[("DEPECHE_BODY_TIMEOUT_MS", "1500")], None);
    let mut slow = connect_from(HOG, c.port);
    slow.write_all(b"POST /beacon HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 60\r\n\r\n{\"v\":1,").unwrap();
    let since = Instant::now();
    let answered = healthz(OTHER, c.port);
    assert!(answered < Duration::from_secs(1), "/healthz took {answered:?} beside a slow body");
    let mut got = Vec::new();
    let closed = closed_after(&mut slow, since, Duration::from_secs(8), &mut got);
    let got = String::from_utf8_lossy(&got);
    let closed = closed.unwrap_or_else(|| panic!("a body that never finished was still pending after 8 s: {got:?}"));
    assert!(got.starts_with("HTTP/1.1 408"), "answered {got:?}");
    assert!(closed >= Duration::from_millis(1300), "closed after {closed:?}, before the 1.5 s body timeout");
    assert!(closed < Duration::from_millis(3500), "closed only after {closed:?} (body timeout 1.5 s)");
}

#[test]
fn event_streams_outlive_every_timeout_but_the_header_one() {
    let c = Running::start(&[("DEPECHE_HEADER_TIMEOUT_MS", "500"), ("DEPECHE_BODY_TIMEOUT_MS", "500"), ("DEPECHE_RESPONSE_TIMEOUT_MS", "500")], None);
    let mut s = connect_from(HOG, c.port);
    s.write_all(b"GET /events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n").unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    while !String::from_utf8_lossy(&got).contains("event: feed") {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "the stream closed before its first event: {:?}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&buf[..n]);
    }
    assert!(String::from_utf8_lossy(&got).starts_with("HTTP/1.1 200"), "{:?}", String::from_utf8_lossy(&got));
    // Four times every timeout later, the stream is still open.
    let closed = closed_after(&mut s, Instant::now(), Duration::from_secs(2), &mut Vec::new());
    assert!(closed.is_none(), "the event stream was closed after {closed:?}");
}

#[test]
fn accept_errors_neither_spin_nor_stop_the_server() {
    // Caps above the descriptor limit, so that accepting fails with EMFILE.
    let mut c = Running::start(&[("DEPECHE_MAX_CONNECTIONS", "1000"), ("DEPECHE_CONNECTIONS_PER_ADDRESS", "1000")], Some(64));
    let hogs: Vec<TcpStream> = (0..100).map(|_| connect_from(HOG, c.port)).collect();
    std::thread::sleep(Duration::from_millis(300));
    let before = c.cpu_ticks();
    std::thread::sleep(Duration::from_secs(1));
    let spent = c.cpu_ticks() - before;
    // Clock ticks are 1/100 s: a spinning accept loop burns ~100 a second.
    assert!(spent < 30, "{spent} ticks of CPU in 1 s while out of descriptors");
    drop(hogs);
    let started = Instant::now();
    let answered = healthz(OTHER, c.port);
    assert!(started.elapsed() < Duration::from_secs(3), "/healthz took {answered:?} once descriptors were free again");
    assert!(c.alive(), "the collector ended");
}

#[test]
fn the_limits_are_printed_once_at_start() {
    let c = Running::start(&[("DEPECHE_HEADER_TIMEOUT_MS", "1500"), ("DEPECHE_CONNECTIONS_PER_ADDRESS", "7")], None);
    let mut lines = Vec::new();
    while !lines.iter().any(|l: &String| l.starts_with("Limits: ")) {
        lines.push(c.lines.recv_timeout(Duration::from_secs(5)).unwrap_or_else(|_| panic!("no limits line: {lines:?}")));
    }
    // Requests come and go; the line does not come again.
    healthz(OTHER, c.port);
    lines.extend(std::iter::from_fn(|| c.lines.recv_timeout(Duration::from_millis(300)).ok()));
    let limits: Vec<&String> = lines.iter().filter(|l| l.starts_with("Limits: ")).collect();
    assert_eq!(limits.len(), 1, "{lines:?}");
    for figure in ["within 1.5s", "7 per address", "bodies within 10s", "responses within 60s"] {
        assert!(limits[0].contains(figure), "{figure} missing: {}", limits[0]);
    }
}

#[test]
fn a_bad_limit_variable_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_depeche-collector"))
        .args(["--listen", "127.0.0.1:0", "--feed", "/nonexistent", "--database"])
        .arg(format!("sqlite:{}", dir.path().join("c.db").display()))
        .env("DEPECHE_BODY_TIMEOUT_MS", "0")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("DEPECHE_BODY_TIMEOUT_MS=0: not a positive integer"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn ctrl_c_stops_the_server_even_with_an_event_stream_open() {
    let mut c = Running::start(&[], None);
    let mut s = connect_from(HOG, c.port);
    s.write_all(b"GET /events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n").unwrap();
    let mut buf = [0u8; 1024];
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    assert!(s.read(&mut buf).unwrap() > 0, "the stream started");
    c.interrupt();
    // Its grace is 5 s (SHUTDOWN_GRACE): the stream would never end by itself.
    let status = c.ended_within(SHUTDOWN_GRACE + Duration::from_secs(3));
    assert!(status.is_some_and(|s| s.success()), "after ctrl-c: {status:?}");
}
