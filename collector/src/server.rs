//! The HTTP server around the router: hyper's HTTP/1 connections with a header-read timeout,
//! request-body and response deadlines on every route but the event stream, and caps on open
//! connections in all and per address, so that no client can starve the others.

use crate::client::{rate_key, Cidr};
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::ConnectInfo;
use axum::http::header::{CONNECTION, RETRY_AFTER};
use axum::http::{HeaderValue, Request, Response, StatusCode};
use axum::response::IntoResponse;
use axum::{BoxError, Router};
use hyper::body::{Frame, SizeHint};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, Sleep};
use tower_service::Service;

/// Time a client has to send a request's line and headers, counted from the connection's
/// start and again from the end of each response: a connection that never finishes its
/// headers, or idles between requests, is closed after it. hyper restarts this timer whenever
/// a connection goes idle, so it is the keep-alive idle timeout too.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Time a client has to send a request's whole body, from the end of its headers; then the
/// request is answered 408 and its connection closed. Not on the event stream.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// Time from the end of a request's headers to the last byte of its response: a handler that
/// has not answered by then is answered 503, and a response still being sent (to a reader too
/// slow to take it) is cut off. Enough for the largest feed the widget reads (2 MB) at 40 KB/s.
/// Not on the event stream.
pub const RESPONSE_TIMEOUT: Duration = Duration::from_secs(60);
/// Connections open at once at most, if the descriptor limit allows as many (see
/// [`Limits::sized_to`]); beyond, a new connection is closed as soon as it is accepted.
pub const MAX_CONNECTIONS: usize = 10_000;
/// Connections open at once from one address (an IPv4 address, an IPv6 /64) at most, so that
/// one client cannot hold them all (browsers open about six per site). A proxy listed in
/// `--trust-proxy` carries many clients and is held to [`MAX_CONNECTIONS`] only.
pub const CONNECTIONS_PER_ADDRESS: usize = 64;
/// Event streams (`GET /events`) open at once from one client address at most: a reader needs
/// one per page, and the streams in all are capped by `--max-streams`.
pub const STREAMS_PER_ADDRESS: usize = 8;
/// Descriptors kept for everything but client connections (the database, sources being
/// fetched, files being opened) when the connection cap is sized to the descriptor limit.
pub const DESCRIPTOR_HEADROOM: u64 = 64;
/// Largest request head (request line and headers) read, in bytes; hyper answers 431 beyond.
/// It bounds each connection's read buffer, so memory stays proportional to connections.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;
/// Pause after an accept error that is not one connection's (out of descriptors, say): the
/// listener stays readable meanwhile, so retrying at once would spin.
pub const ACCEPT_ERROR_BACKOFF: Duration = Duration::from_millis(100);
/// Time open connections get to finish after ctrl-c; event streams never finish by themselves.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// Paths whose responses are long-lived streams: exempt from every timeout but the header read.
pub const STREAMING_PATHS: [&str; 1] = ["/events"];

/// The server's limits; the defaults are the constants above.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// See [`HEADER_READ_TIMEOUT`].
    pub header_read: Duration,
    /// See [`BODY_TIMEOUT`].
    pub body: Duration,
    /// See [`RESPONSE_TIMEOUT`].
    pub response: Duration,
    /// See [`MAX_CONNECTIONS`].
    pub max_connections: usize,
    /// See [`CONNECTIONS_PER_ADDRESS`].
    pub connections_per_address: usize,
    /// See [`STREAMS_PER_ADDRESS`]; for [`StreamsPerAddress::new`].
    pub streams_per_address: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            header_read: HEADER_READ_TIMEOUT,
            body: BODY_TIMEOUT,
            response: RESPONSE_TIMEOUT,
            max_connections: MAX_CONNECTIONS,
            connections_per_address: CONNECTIONS_PER_ADDRESS,
            streams_per_address: STREAMS_PER_ADDRESS,
        }
    }
}

/// The hidden variables that change the limits (for tests, which shrink them to seconds).
pub const OVERRIDES: [&str; 6] = [
    "DEPECHE_HEADER_TIMEOUT_MS",
    "DEPECHE_BODY_TIMEOUT_MS",
    "DEPECHE_RESPONSE_TIMEOUT_MS",
    "DEPECHE_MAX_CONNECTIONS",
    "DEPECHE_CONNECTIONS_PER_ADDRESS",
    "DEPECHE_STREAMS_PER_ADDRESS",
];

impl Limits {
    /// The defaults, with the connection caps lowered to what `nofile` descriptors allow
    /// (`None`: no limit known). Each connection may hold a second descriptor, the file it is
    /// sending, and [`DESCRIPTOR_HEADROOM`] are kept; one address gets at most half the cap.
    pub fn sized_to(nofile: Option<u64>) -> Limits {
        let mut limits = Limits::default();
        if let Some(nofile) = nofile {
            let usable = nofile.saturating_sub(DESCRIPTOR_HEADROOM).max(nofile / 2);
            limits.max_connections = usize::try_from(usable / 2).unwrap_or(usize::MAX).clamp(1, MAX_CONNECTIONS);
            limits.connections_per_address = CONNECTIONS_PER_ADDRESS.min(limits.max_connections / 2).max(1);
        }
        limits
    }

    /// These limits with those [`OVERRIDES`] that `var` gives applied: positive integers, in
    /// milliseconds for the timeouts.
    pub fn with_overrides(mut self, var: impl Fn(&str) -> Option<String>) -> Result<Limits, String> {
        let positive = |name: &str| -> Result<Option<u64>, String> {
            match var(name) {
                None => Ok(None),
                Some(v) => v.trim().parse::<u64>().ok().filter(|n| *n > 0).map(Some).ok_or_else(|| format!("{name}={v}: not a positive integer")),
            }
        };
        let count = |name: &str| -> Result<Option<usize>, String> { Ok(positive(name)?.map(|n| usize::try_from(n).unwrap_or(usize::MAX))) };
        let [header, body, response, max, per_address, streams] = OVERRIDES;
        if let Some(ms) = positive(header)? {
            self.header_read = Duration::from_millis(ms);
        }
        if let Some(ms) = positive(body)? {
            self.body = Duration::from_millis(ms);
        }
        if let Some(ms) = positive(response)? {
            self.response = Duration::from_millis(ms);
        }
        if let Some(n) = count(max)? {
            self.max_connections = n;
        }
        if let Some(n) = count(per_address)? {
            self.connections_per_address = n;
        }
        if let Some(n) = count(streams)? {
            self.streams_per_address = n;
        }
        Ok(self)
    }

    /// The limits in one line, for the log at start.
    pub fn summary(&self) -> String {
        format!(
            "Limits: request headers {} KiB at most, within {:?} (also the keep-alive idle timeout); request bodies within {:?}; \
             responses within {:?} (/events exempt from both); {} connections, {} per address (--trust-proxy exempt); \
             {} event streams per address",
            MAX_HEADER_BYTES / 1024,
            self.header_read,
            self.body,
            self.response,
            self.max_connections,
            self.connections_per_address,
            self.streams_per_address,
        )
    }
}

/// Raises this process's soft descriptor limit toward its hard one, as far as
/// [`MAX_CONNECTIONS`] can use, and returns the soft limit then in force (`None`: unlimited).
#[cfg(unix)]
pub fn raise_descriptor_limit() -> Option<u64> {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let limit = getrlimit(Resource::Nofile);
    let current = limit.current?;
    let wanted = (MAX_CONNECTIONS as u64).saturating_mul(2).saturating_add(DESCRIPTOR_HEADROOM);
    let target = limit.maximum.map_or(wanted, |max| max.min(wanted));
    if target > current && setrlimit(Resource::Nofile, Rlimit { current: Some(target), maximum: limit.maximum }).is_ok() {
        return Some(target);
    }
    Some(current)
}

/// Elsewhere the limit is not known: the constants apply.
#[cfg(not(unix))]
pub fn raise_descriptor_limit() -> Option<u64> {
    None
}

/// Things open at once (connections, event streams), counted per address and in all, each
/// count up to its cap. IPv6 addresses count by /64, since one subscriber has a whole /64.
#[derive(Debug)]
pub struct PerAddress {
    total_cap: usize,
    per_address_cap: usize,
    counts: Mutex<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    by_address: HashMap<IpAddr, usize>,
}

/// Which cap refused a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Everyone's.
    Total,
    /// The address's own.
    Address,
}

impl PerAddress {
    /// Counts up to `total_cap` in all and `per_address_cap` for each address.
    pub fn new(total_cap: usize, per_address_cap: usize) -> Arc<PerAddress> {
        Arc::new(PerAddress { total_cap, per_address_cap, counts: Mutex::new(Counts::default()) })
    }

    /// A slot for `ip`, unless it or everyone is at the cap.
    pub fn try_acquire(self: &Arc<Self>, ip: IpAddr) -> Result<Slot, Refused> {
        self.acquire(Some(rate_key(ip)))
    }

    /// A slot counted in the total only: a trusted proxy's connection, which carries many clients.
    pub fn try_acquire_shared(self: &Arc<Self>) -> Result<Slot, Refused> {
        self.acquire(None)
    }

    fn acquire(self: &Arc<Self>, key: Option<IpAddr>) -> Result<Slot, Refused> {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        if counts.total >= self.total_cap {
            return Err(Refused::Total);
        }
        if let Some(key) = key {
            let n = counts.by_address.entry(key).or_insert(0);
            if *n >= self.per_address_cap {
                return Err(Refused::Address);
            }
            *n += 1;
        }
        counts.total += 1;
        Ok(Slot { owner: Arc::clone(self), key })
    }

    /// Slots held now, in all.
    pub fn open(&self) -> usize {
        self.counts.lock().unwrap_or_else(|p| p.into_inner()).total
    }

    /// Slots held now under `ip`'s address (its /64 for IPv6).
    pub fn open_from(&self, ip: IpAddr) -> usize {
        self.counts.lock().unwrap_or_else(|p| p.into_inner()).by_address.get(&rate_key(ip)).copied().unwrap_or(0)
    }

    /// Addresses holding slots now (entries are forgotten at zero, so this stays bounded).
    pub fn addresses(&self) -> usize {
        self.counts.lock().unwrap_or_else(|p| p.into_inner()).by_address.len()
    }
}

/// One open thing's place in a [`PerAddress`] count, given back when dropped.
#[must_use = "the slot is given back as soon as it is dropped"]
#[derive(Debug)]
pub struct Slot {
    owner: Arc<PerAddress>,
    key: Option<IpAddr>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = self.owner.counts.lock().unwrap_or_else(|p| p.into_inner());
        counts.total = counts.total.saturating_sub(1);
        if let Some(key) = self.key {
            if let Some(n) = counts.by_address.get_mut(&key) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    counts.by_address.remove(&key);
                }
            }
        }
    }
}

/// The per-address cap on open event streams, for the `/events` handler (the total is
/// `--max-streams`'s); cloning shares the counts.
#[derive(Debug, Clone)]
pub struct StreamsPerAddress(Arc<PerAddress>);

impl StreamsPerAddress {
    /// Up to `per_address` streams open at once for each client address.
    pub fn new(per_address: usize) -> StreamsPerAddress {
        StreamsPerAddress(PerAddress::new(usize::MAX, per_address))
    }

    /// A stream for the client at `ip`, unless it already has its share open.
    pub fn try_open(&self, ip: IpAddr) -> Option<StreamGuard> {
        self.0.try_acquire(ip).ok().map(|slot| StreamGuard { _slot: slot })
    }

    /// Streams open now for `ip`'s address.
    pub fn open_from(&self, ip: IpAddr) -> usize {
        self.0.open_from(ip)
    }
}

impl Default for StreamsPerAddress {
    fn default() -> StreamsPerAddress {
        StreamsPerAddress::new(STREAMS_PER_ADDRESS)
    }
}

/// An open stream's place in its address's count, given back when dropped (keep it in the stream).
#[must_use = "the stream's place is given back as soon as it is dropped"]
#[derive(Debug)]
pub struct StreamGuard {
    _slot: Slot,
}

/// Serves routers under one set of limits; listeners served by clones share the connection
/// counts (they share the process's descriptors).
#[derive(Debug, Clone)]
pub struct Server {
    limits: Limits,
    connections: Arc<PerAddress>,
    refused: Arc<AtomicU64>,
    trusted_proxies: Arc<[Cidr]>,
}

impl Server {
    /// A server under `limits`; connections from `trusted_proxies` are exempt from the
    /// per-address cap (their clients are told apart by headers, after the connection).
    pub fn new(limits: Limits, trusted_proxies: Vec<Cidr>) -> Server {
        Server {
            limits,
            connections: PerAddress::new(limits.max_connections, limits.connections_per_address),
            refused: Arc::new(AtomicU64::new(0)),
            trusted_proxies: trusted_proxies.into(),
        }
    }

    /// Its limits.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Its connection counts (open now, in all and per address).
    pub fn connections(&self) -> &Arc<PerAddress> {
        &self.connections
    }

    /// Connections closed as soon as accepted, over a cap, since the start (for `/metrics`).
    pub fn refused_connections(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// Accepts connections on `listener` and serves `router` on them (handlers see the peer as
    /// `ConnectInfo<SocketAddr>`), until `shutdown` resolves; then stops accepting and gives
    /// open connections [`SHUTDOWN_GRACE`] to finish their requests. Make `shutdown` before
    /// binding `listener` (see [`ctrl_c`]).
    pub async fn serve(&self, listener: TcpListener, router: Router, shutdown: impl Future<Output = ()>) {
        // Connections watch `stop` (its sender dropped means stop) and hold `alive` (all its
        // senders dropped means all connections are gone).
        let (stop_tx, stop_rx) = watch::channel(());
        let (alive_tx, mut alive_rx) = mpsc::channel::<()>(1);
        let mut shutdown = std::pin::pin!(shutdown);
        let mut last_logged: Option<Instant> = None;
        loop {
            let accepted = tokio::select! {
                // Shutdown first: a stream of new connections must not keep it from being heard.
                biased;
                () = &mut shutdown => break,
                accepted = listener.accept() => accepted,
            };
            let (stream, peer) = match accepted {
                Ok(accepted) => accepted,
                // The client gave up before we took its connection: nothing to wait for.
                Err(e) if is_connection_error(&e) => continue,
                Err(e) => {
                    if last_logged.is_none_or(|at| at.elapsed() >= Duration::from_secs(60)) {
                        eprintln!("depeche-collector: cannot accept connections ({e}); retrying every {ACCEPT_ERROR_BACKOFF:?} (logged once a minute)");
                        last_logged = Some(Instant::now());
                    }
                    tokio::select! {
                        biased;
                        () = &mut shutdown => break,
                        () = tokio::time::sleep(ACCEPT_ERROR_BACKOFF) => continue,
                    }
                }
            };
            let slot = if self.trusted_proxies.iter().any(|c| c.contains(peer.ip())) {
                self.connections.try_acquire_shared()
            } else {
                self.connections.try_acquire(peer.ip())
            };
            // Over a cap, the stream is dropped here: closed at once, its descriptor back.
            let Ok(slot) = slot else {
                self.refused.fetch_add(1, Ordering::Relaxed);
                continue;
            };
            tokio::spawn(connection(stream, peer, router.clone(), self.limits, slot, stop_rx.clone(), alive_tx.clone()));
        }
        drop(listener);
        drop(stop_tx);
        drop(alive_tx);
        let _ = tokio::time::timeout(SHUTDOWN_GRACE, alive_rx.recv()).await;
    }
}

/// Serves `router` on `listener` under `limits`, with no trusted proxy, until ctrl-c (heard
/// from this call on).
pub fn serve(listener: TcpListener, router: Router, limits: Limits) -> impl Future<Output = ()> {
    let stop = ctrl_c();
    async move { Server::new(limits, Vec::new()).serve(listener, router, stop).await }
}

/// Resolves on ctrl-c (SIGINT); never, if the signal cannot be listened for (rather than at
/// once). Listens from the call, not from the first poll: a ctrl-c in between would otherwise
/// kill the process outright. Call it inside the runtime.
pub fn ctrl_c() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let listening = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt());
    async move {
        #[cfg(unix)]
        let heard = match listening {
            Ok(mut signal) => signal.recv().await.ok_or_else(|| std::io::Error::other("the signal stream ended")),
            Err(e) => Err(e),
        };
        #[cfg(not(unix))]
        let heard = tokio::signal::ctrl_c().await;
        if let Err(e) = heard {
            eprintln!("depeche-collector: cannot listen for ctrl-c ({e}); stop the process with a signal instead");
            std::future::pending::<()>().await;
        }
    }
}

/// Errors of one connection attempt, not of the listener.
fn is_connection_error(e: &std::io::Error) -> bool {
    matches!(e.kind(), std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::ConnectionAborted | std::io::ErrorKind::ConnectionReset)
}

/// Serves one connection until it ends, or until `stop`; then lets its current request finish.
async fn connection(stream: TcpStream, peer: SocketAddr, router: Router, limits: Limits, slot: Slot, mut stop: watch::Receiver<()>, alive: mpsc::Sender<()>) {
    let service = hyper::service::service_fn(move |request| handle(router.clone(), peer, limits, request));
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(limits.header_read).max_header_size(MAX_HEADER_BYTES).max_buf_size(MAX_HEADER_BYTES);
    let mut conn = std::pin::pin!(builder.serve_connection(TokioIo::new(stream), service));
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = stop.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
    drop(slot);
    drop(alive);
}

/// One request: the peer as `ConnectInfo`, and unless it is for a streaming path, the body
/// and response deadlines.
async fn handle<B>(mut router: Router, peer: SocketAddr, limits: Limits, mut request: Request<B>) -> Result<Response<Body>, Infallible>
where
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    request.extensions_mut().insert(ConnectInfo(peer));
    if STREAMING_PATHS.contains(&request.uri().path()) {
        return router.call(request.map(Body::new)).await;
    }
    let started = Instant::now();
    let late = Arc::new(AtomicBool::new(false));
    let request = request.map(|body| Body::new(Deadline::new(Body::new(body), started + limits.body, Some(Arc::clone(&late)))));
    let answer = tokio::time::timeout_at(started + limits.response, router.call(request)).await;
    // Whatever the handler made of a body cut short (a 400, mostly), the client was too slow.
    if late.load(Ordering::Relaxed) {
        return Ok(closing(StatusCode::REQUEST_TIMEOUT, "the request's body did not arrive in time"));
    }
    Ok(match answer {
        Ok(Ok(response)) => response.map(|body| Body::new(Deadline::new(body, started + limits.response, None))),
        Ok(Err(never)) => match never {},
        Err(_elapsed) => {
            let mut response = closing(StatusCode::SERVICE_UNAVAILABLE, "no answer in time");
            response.headers_mut().insert(RETRY_AFTER, HeaderValue::from_static("5"));
            response
        }
    })
}

/// A short answer after which the connection closes.
fn closing(status: StatusCode, message: &'static str) -> Response<Body> {
    let mut response = (status, message).into_response();
    response.headers_mut().insert(CONNECTION, HeaderValue::from_static("close"));
    response
}

/// A body that fails once its deadline has passed (and raises `late`, if given).
struct Deadline {
    inner: Body,
    sleep: Pin<Box<Sleep>>,
    late: Option<Arc<AtomicBool>>,
    failed: bool,
}

impl Deadline {
    fn new(inner: Body, deadline: Instant, late: Option<Arc<AtomicBool>>) -> Deadline {
        Deadline { inner, sleep: Box::pin(tokio::time::sleep_until(deadline)), late, failed: false }
    }
}

/// A body's deadline passed.
#[derive(Debug)]
struct TimedOut;

impl std::fmt::Display for TimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("timed out")
    }
}

impl std::error::Error for TimedOut {}

impl HttpBody for Deadline {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        if this.failed {
            return Poll::Ready(None);
        }
        if this.sleep.as_mut().poll(cx).is_ready() {
            this.failed = true;
            if let Some(late) = &this.late {
                late.store(true, Ordering::Relaxed);
            }
            return Poll::Ready(Some(Err(Box::new(TimedOut))));
        }
        Pin::new(&mut this.inner).poll_frame(cx).map_err(Into::into)
    }

    fn is_end_stream(&self) -> bool {
        self.failed || self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::{get, post};
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn v4(last: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, last))
    }

    #[test]
    fn each_address_and_everyone_have_a_cap_and_drop_gives_back() {
        let counts = PerAddress::new(5, 2);
        let a1 = counts.try_acquire(v4(1)).unwrap();
        let a2 = counts.try_acquire(v4(1)).unwrap();
        assert_eq!(counts.try_acquire(v4(1)).unwrap_err(), Refused::Address);
        let b1 = counts.try_acquire(v4(2)).unwrap();
        let _b2 = counts.try_acquire(v4(2)).unwrap();
        let _shared = counts.try_acquire_shared().unwrap();
        assert_eq!(counts.open(), 5);
        assert_eq!(counts.try_acquire(v4(3)).unwrap_err(), Refused::Total, "the total is full");
        assert_eq!(counts.try_acquire_shared().unwrap_err(), Refused::Total, "a trusted proxy too");
        drop(a1);
        assert_eq!((counts.open(), counts.open_from(v4(1))), (4, 1));
        let _a3 = counts.try_acquire(v4(1)).unwrap();
        drop(b1);
        let _b3 = counts.try_acquire(v4(2)).unwrap();
        assert_eq!(counts.try_acquire(v4(4)).unwrap_err(), Refused::Total);
        drop(a2);
        assert_eq!(counts.open(), 4);
    }

    #[test]
    fn a_refusal_takes_nothing_and_idle_addresses_are_forgotten() {
        let counts = PerAddress::new(100, 1);
        let held = counts.try_acquire(v4(1)).unwrap();
        for _ in 0..10 {
            assert_eq!(counts.try_acquire(v4(1)).unwrap_err(), Refused::Address);
        }
        assert_eq!((counts.open(), counts.open_from(v4(1)), counts.addresses()), (1, 1, 1));
        drop(held);
        assert_eq!((counts.open(), counts.open_from(v4(1)), counts.addresses()), (0, 0, 0));
        let shared = counts.try_acquire_shared().unwrap();
        assert_eq!((counts.open(), counts.addresses()), (1, 0), "a proxy's connection counts in the total only");
        drop(shared);
        assert_eq!(counts.open(), 0);
    }

    #[test]
    fn ipv6_addresses_count_by_slash_64_and_mapped_ipv4_as_ipv4() {
        let counts = PerAddress::new(100, 2);
        let net = |last: u16| IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 1, 0, 0, 0, last));
        let _a = counts.try_acquire(net(1)).unwrap();
        let _b = counts.try_acquire(net(2)).unwrap();
        assert_eq!(counts.try_acquire(net(3)).unwrap_err(), Refused::Address, "same /64");
        let _other = counts.try_acquire(IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 2, 0, 0, 0, 1))).unwrap();
        let _c = counts.try_acquire(v4(9)).unwrap();
        let _d = counts.try_acquire(IpAddr::V6(Ipv4Addr::new(192, 0, 2, 9).to_ipv6_mapped())).unwrap();
        assert_eq!(counts.try_acquire(v4(9)).unwrap_err(), Refused::Address, "::ffff:192.0.2.9 is 192.0.2.9");
    }

    #[test]
    fn streams_per_address_cap_each_client_and_release_on_drop() {
        let streams = StreamsPerAddress::new(2);
        let a = streams.try_open(v4(1)).unwrap();
        let _a2 = streams.try_open(v4(1)).unwrap();
        assert!(streams.try_open(v4(1)).is_none());
        let _b = streams.try_open(v4(2)).unwrap();
        assert_eq!(streams.open_from(v4(1)), 2);
        drop(a);
        assert_eq!(streams.open_from(v4(1)), 1);
        assert!(streams.try_open(v4(1)).is_some());
        let shared = streams.clone();
        let _held = shared.try_open(v4(3)).unwrap();
        assert_eq!(streams.open_from(v4(3)), 1, "clones share the counts");
        assert_eq!(StreamsPerAddress::default().0.per_address_cap, STREAMS_PER_ADDRESS);
    }

    #[test]
    fn connections_are_sized_to_the_descriptor_limit() {
        assert_eq!(Limits::sized_to(None), Limits::default());
        assert_eq!(Limits::sized_to(Some(1_048_576)).max_connections, MAX_CONNECTIONS);
        let at_256 = Limits::sized_to(Some(256));
        assert_eq!((at_256.max_connections, at_256.connections_per_address), (96, 48), "(256 - 64) / 2, half of it per address");
        let at_1024 = Limits::sized_to(Some(1024));
        assert_eq!((at_1024.max_connections, at_1024.connections_per_address), (480, CONNECTIONS_PER_ADDRESS));
        assert_eq!(Limits::sized_to(Some(64)).max_connections, 16, "half the descriptors when the headroom would take all");
        assert_eq!(Limits::sized_to(Some(0)).max_connections, 1);
        assert_eq!(Limits::sized_to(Some(0)).connections_per_address, 1);
        assert_eq!(Limits::sized_to(Some(u64::MAX)).max_connections, MAX_CONNECTIONS);
    }

    #[cfg(unix)]
    #[test]
    fn the_descriptor_limit_is_raised_toward_the_hard_one() {
        use rustix::process::{getrlimit, Resource};
        let raised = raise_descriptor_limit();
        let now = getrlimit(Resource::Nofile);
        assert_eq!(raised, now.current, "what it returns is in force");
        if let (Some(current), Some(max)) = (now.current, now.maximum) {
            assert!(current >= max.min(MAX_CONNECTIONS as u64 * 2 + DESCRIPTOR_HEADROOM));
        }
    }

    #[test]
    fn overrides_shrink_the_limits_and_refuse_nonsense() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| move |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned());
        let limits = Limits::default()
            .with_overrides(vars(&[
                ("DEPECHE_HEADER_TIMEOUT_MS", "1500"),
                ("DEPECHE_BODY_TIMEOUT_MS", " 20 "),
                ("DEPECHE_RESPONSE_TIMEOUT_MS", "30"),
                ("DEPECHE_MAX_CONNECTIONS", "4"),
                ("DEPECHE_CONNECTIONS_PER_ADDRESS", "2"),
                ("DEPECHE_STREAMS_PER_ADDRESS", "1"),
            ]))
            .unwrap();
        assert_eq!(
            limits,
            Limits {
                header_read: Duration::from_millis(1500),
                body: Duration::from_millis(20),
                response: Duration::from_millis(30),
                max_connections: 4,
                connections_per_address: 2,
                streams_per_address: 1
            }
        );
        assert_eq!(Limits::default().with_overrides(|_| None).unwrap(), Limits::default());
        for bad in ["0", "-1", "1.5", "", "ten", "99999999999999999999999"] {
            let err = Limits::default().with_overrides(|n| (n == "DEPECHE_BODY_TIMEOUT_MS").then(|| bad.to_owned())).unwrap_err();
            assert!(err.starts_with("DEPECHE_BODY_TIMEOUT_MS="), "{err}");
        }
    }

    #[test]
    fn the_summary_names_every_figure() {
        let line = Limits::sized_to(Some(256)).summary();
        for figure in ["64 KiB", "within 10s", "bodies within 10s", "within 60s", "96 connections", "48 per address", "8 event streams"] {
            assert!(line.contains(figure), "{figure} missing from {line}");
        }
        assert!(!line.contains('\n'));
    }

    /// A connection to `to` from the loopback address `from`.
    async fn connect_from(from: [u8; 4], to: SocketAddr) -> TcpStream {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(SocketAddr::from((from, 0))).unwrap();
        socket.connect(to).await.unwrap()
    }

    /// Whether the server closed `s` within 200 ms (rather than keeping it, waiting for headers).
    async fn closed_at_once(s: &mut TcpStream) -> bool {
        use tokio::io::AsyncReadExt;
        let mut buf = [0u8; 64];
        matches!(tokio::time::timeout(Duration::from_millis(200), s.read(&mut buf)).await, Ok(Ok(0) | Err(_)))
    }

    #[tokio::test]
    async fn the_accept_loop_closes_what_is_over_a_cap_at_once_and_serves_the_rest() {
        let limits = Limits { max_connections: 5, connections_per_address: 2, ..Limits::default() };
        let proxy: Cidr = "127.0.0.3".parse().unwrap();
        let server = Server::new(limits, vec![proxy]);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let at = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = tokio::spawn({
            let server = server.clone();
            let router = Router::new().route("/peer", get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.ip().to_string() }));
            async move { server.serve(listener, router, async { stopped.await.unwrap_or(()) }).await }
        });
        let mut a1 = connect_from([127, 0, 0, 1], at).await;
        let mut a2 = connect_from([127, 0, 0, 1], at).await;
        let mut a3 = connect_from([127, 0, 0, 1], at).await;
        assert!(closed_at_once(&mut a3).await, "a third connection from one address");
        assert!(!closed_at_once(&mut a1).await && !closed_at_once(&mut a2).await);
        assert_eq!(server.refused_connections(), 1);
        // Another address is served meanwhile, and sees its own address.
        let mut b = connect_from([127, 0, 0, 2], at).await;
        {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            b.write_all(b"GET /peer HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
            let mut reply = String::new();
            b.read_to_string(&mut reply).await.unwrap();
            assert!(reply.starts_with("HTTP/1.1 200") && reply.ends_with("\r\n\r\n127.0.0.2"), "{reply}");
        }
        // A trusted proxy is held to the total only: 2 from 127.0.0.1 and 3 from it make 5.
        let mut p: Vec<TcpStream> = Vec::new();
        for _ in 0..3 {
            p.push(connect_from([127, 0, 0, 3], at).await);
        }
        for s in &mut p {
            assert!(!closed_at_once(s).await, "a trusted proxy's connection");
        }
        let mut over = connect_from([127, 0, 0, 4], at).await;
        assert!(closed_at_once(&mut over).await, "a sixth connection, over the total");
        assert_eq!((server.connections().open(), server.connections().open_from([127, 0, 0, 3].into())), (5, 0));
        assert_eq!(server.refused_connections(), 2);
        // A connection that ends gives its place back.
        drop(a1);
        for _ in 0..100 {
            if server.connections().open_from([127, 0, 0, 1].into()) == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let mut a4 = connect_from([127, 0, 0, 1], at).await;
        assert!(!closed_at_once(&mut a4).await, "the freed place was given again");
        // Shutting down closes idle connections and returns.
        stop.send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(2), serving).await.unwrap().unwrap();
        assert!(closed_at_once(&mut a2).await);
    }

    // The request path, in process with time paused: each test owns its router and clock.

    fn limits() -> Limits {
        Limits { header_read: Duration::from_secs(1), body: Duration::from_secs(10), response: Duration::from_secs(60), ..Limits::default() }
    }

    fn peer() -> SocketAddr {
        SocketAddr::from(([192, 0, 2, 7], 4711))
    }

    /// A request body that sends `first` and then nothing, ever.
    fn stalled(first: &'static str) -> Body {
        let stream = futures_util::stream::unfold(Some(first), |first| async move {
            match first {
                Some(bytes) => Some((Ok::<_, Infallible>(Bytes::from_static(bytes.as_bytes())), None)),
                None => std::future::pending().await,
            }
        });
        Body::from_stream(stream)
    }

    async fn text(response: Response<Body>) -> Result<String, String> {
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.map_err(|e| e.to_string())?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    fn router() -> Router {
        Router::new()
            .route("/echo", post(|body: String| async move { body }))
            .route("/peer", get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.to_string() }))
            .route("/slow", get(|| async { tokio::time::sleep(Duration::from_secs(3600)).await }))
            .route("/endless", get(|| async { Body::from_stream(futures_util::stream::pending::<Result<Bytes, Infallible>>()) }))
            .route("/events", post(|body: String| async move { body }).get(|| async { Body::from_stream(futures_util::stream::pending::<Result<Bytes, Infallible>>()) }))
    }

    #[tokio::test(start_paused = true)]
    async fn handlers_see_the_peer_and_whole_bodies_in_time() {
        let response = handle(router(), peer(), limits(), Request::get("/peer").body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(text(response).await.unwrap(), "192.0.2.7:4711");
        let response = handle(router(), peer(), limits(), Request::post("/echo").body(Body::from("à la une")).unwrap()).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers().get(CONNECTION), None);
        assert_eq!(text(response).await.unwrap(), "à la une");
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_that_never_ends_is_answered_408_at_the_body_timeout() {
        let started = Instant::now();
        let request = Request::post("/echo").body(stalled("{\"v\":1,")).unwrap();
        let response = handle(router(), peer(), limits(), request).await.unwrap();
        assert_eq!(started.elapsed(), limits().body, "answered at the deadline, not before");
        assert_eq!(response.status(), StatusCode::REQUEST_TIMEOUT);
        assert_eq!(response.headers().get(CONNECTION).unwrap(), "close");
    }

    #[tokio::test(start_paused = true)]
    async fn a_handler_that_never_answers_is_answered_503_at_the_response_timeout() {
        let started = Instant::now();
        let response = handle(router(), peer(), limits(), Request::get("/slow").body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(started.elapsed(), limits().response);
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers().get(RETRY_AFTER).unwrap(), "5");
    }

    #[tokio::test(start_paused = true)]
    async fn a_response_still_sending_at_the_response_timeout_is_cut_off() {
        let started = Instant::now();
        let response = handle(router(), peer(), limits(), Request::get("/endless").body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let err = text(response).await.unwrap_err();
        assert_eq!(started.elapsed(), limits().response);
        assert!(err.contains("timed out"), "{err}");
    }

    #[tokio::test(start_paused = true)]
    async fn the_event_stream_has_no_body_or_response_deadline() {
        // Its body is whatever the client sends, however slowly: the handler decides.
        let request = Request::post("/events").body(stalled("x")).unwrap();
        let waited = tokio::time::timeout(limits().response * 10, handle(router(), peer(), limits(), request)).await;
        assert!(waited.is_err(), "a stalled body on /events was cut off: {:?}", waited.map(|r| r.map(|r| r.status())));
        let response = handle(router(), peer(), limits(), Request::get("/events").body(Body::empty()).unwrap()).await.unwrap();
        let read = tokio::time::timeout(limits().response * 10, text(response)).await;
        assert!(read.is_err(), "the stream ended: {read:?}");
        // Another spelling of the path is not the stream (the router would not route it there).
        let response = handle(router(), peer(), limits(), Request::get("/events/").body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_in_time_keeps_its_length() {
        let response = handle(router(), peer(), limits(), Request::post("/echo").body(Body::from("abc")).unwrap()).await.unwrap();
        assert_eq!(response.body().size_hint().exact(), Some(3), "the deadline keeps the exact length, for Content-Length");
    }
}
