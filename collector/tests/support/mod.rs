//! What the process tests share: a throwaway PostgreSQL cluster (initdb and pg_ctl on a Unix
//! socket in a temporary folder, as the `postgres` user when the tests run as root: PostgreSQL
//! refuses root; stopped and deleted when dropped; a machine without PostgreSQL fails the
//! tests that need it, they are never skipped), a collector process, a Pushpin, and raw
//! HTTP/1.1 exchanges with them.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Waits until `counter` (beacons acknowledged by a test's senders) is more than `n`: a test
/// waits for the load it needs rather than for a time, which a loaded machine fills with fewer
/// beacons (15 in a second, where an idle one acknowledges hundreds). Fails after 60 s.
pub fn until_more_than(counter: &std::sync::atomic::AtomicU64, n: u64) {
    let started = Instant::now();
    let count = || counter.load(std::sync::atomic::Ordering::SeqCst);
    while count() <= n {
        assert!(started.elapsed() < Duration::from_secs(60), "the load acknowledged {} beacons in 60 s, not more than {n}", count());
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A running cluster.
pub struct PgCluster {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
    /// The server's options (port, socket folder, settings), the same at every start.
    options: String,
}

fn bin_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("PG_BIN") {
        return PathBuf::from(dir);
    }
    let out = Command::new("pg_config").arg("--bindir").output();
    if let Ok(out) = out {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if dir.join("initdb").exists() {
            return dir;
        }
    }
    let debian = PathBuf::from("/usr/lib/postgresql/15/bin");
    assert!(debian.join("initdb").exists(), "PostgreSQL is needed for these tests: no initdb in PG_BIN, pg_config --bindir or {}", debian.display());
    debian
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

/// A data folder as initdb leaves it, copied for each cluster: initdb takes about 1.3 s of
/// CPU, a copy a tenth of that, and `store.rs` alone starts a cluster per scenario. Made once
/// in this clone's `target/tmp` (Cargo's folder for integration tests: no other user's, gone
/// with `cargo clean`), named by a hash of what makes it (PostgreSQL's programs and version,
/// initdb's arguments, the user), and shared by the test processes: each makes its own and
/// renames it into place, so that none sees one half made.
fn template(bin: &Path) -> PathBuf {
    use std::hash::{Hash, Hasher};
    const INITDB: [&str; 6] = ["-A", "trust", "-U", "postgres", "-E", "UTF8"];
    static TEMPLATE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    TEMPLATE
        .get_or_init(|| {
            let version = run(bin, "initdb", &["--version"]);
            assert!(version.status.success(), "initdb --version failed: {}", String::from_utf8_lossy(&version.stderr));
            let mut key = std::collections::hash_map::DefaultHasher::new();
            (bin, &version.stdout, INITDB, is_root()).hash(&mut key);
            let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
            let path = root.join(format!("pg-template-{:016x}", key.finish()));
            if path.join("PG_VERSION").exists() {
                return path;
            }
            // initdb runs as postgres when we are root: in a folder of the temporary folder,
            // which postgres can reach (a clone's folder may not let it in).
            let scratch = tempfile::Builder::new().prefix("depeche-pg-initdb-").tempdir().unwrap();
            if is_root() {
                let ok = Command::new("chown").args(["postgres:postgres"]).arg(scratch.path()).status().unwrap().success();
                assert!(ok, "chown of {} to postgres failed", scratch.path().display());
            }
            let data = scratch.path().join("data");
            let out = run(bin, "initdb", &[&["-D", data.to_str().unwrap()][..], &INITDB].concat());
            assert!(out.status.success(), "initdb failed: {}", String::from_utf8_lossy(&out.stderr));
            // Copied next to its place, then renamed: a rename within one folder is atomic.
            let staging = tempfile::Builder::new().prefix("pg-template-").tempdir_in(&root).unwrap();
            let copied = Command::new("cp").arg("-a").arg(&data).arg(staging.path().join("data")).status().unwrap().success();
            assert!(copied, "copying the initdb template into {} failed", staging.path().display());
            // Another process may have put its own there first: then this one is dropped.
            if std::fs::rename(staging.path().join("data"), &path).is_err() {
                assert!(path.join("PG_VERSION").exists(), "no initdb template at {}", path.display());
            }
            path
        })
        .clone()
}

/// Runs a PostgreSQL program, as `postgres` when we are root.
fn run(bin: &Path, program: &str, args: &[&str]) -> std::process::Output {
    let path = bin.join(program);
    let mut cmd = if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(&path);
        c
    } else {
        Command::new(&path)
    };
    cmd.args(args).stdin(Stdio::null()).output().unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Visitor `n`'s own address (10.0.0.0/8), as a proxy trusted with `--trust-proxy 127.0.0.1`
/// says it in `X-Forwarded-For`: load tests tell visitors apart by address as well as by
/// User-Agent (the collector counts a few User-Agents per address and item, not one per request).
pub fn visitor_address(n: u64) -> String {
    format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255)
}

/// An HTTP/1.1 answer as the process tests read it off the socket.
pub struct Reply {
    pub status: u16,
    /// Header names in lower case, and values.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    /// The first value of header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// Whether a beacon's answer says it was counted.
    pub fn counted(&self) -> bool {
        self.status == 204 && self.header("depeche-counted") == Some("1")
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

/// One raw HTTP/1.1 exchange on a fresh connection to the collector on `port` (the request
/// should say `Connection: close`); `None` if it closed without an answer or gave none within
/// `wait` (killed, or frozen).
pub fn http(port: u16, request: &str, wait: Duration) -> Option<Reply> {
    use std::io::{Read, Write};
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(wait)).ok()?;
    s.write_all(request.as_bytes()).ok()?;
    let mut reply = String::new();
    s.read_to_string(&mut reply).ok()?;
    let (head, body) = reply.split_once("\r\n\r\n")?;
    let mut lines = head.lines();
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers = lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned())).collect();
    Some(Reply { status, headers, body: body.to_owned() })
}

/// A `GET` of `path` (with `Connection: close`), with a bearer `token` if given.
pub fn get(path: &str, token: Option<&str>) -> String {
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}Connection: close\r\n\r\n")
}

/// A view beacon of `item` from visitor `visitor`: its own User-Agent, and its own address
/// as a proxy trusted with `--trust-proxy 127.0.0.1` says it ([`visitor_address`]).
pub fn view_beacon(visitor: u64, item: &str) -> String {
    let body = format!(r#"{{"v":1,"item":"{item}","event":"view","feed":"/feed.json"}}"#);
    format!(
        "POST /beacon HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: Mozilla/5.0 Chrome/156.0 visitor-{visitor}\r\nX-Forwarded-For: {}\r\n\
         Content-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        visitor_address(visitor),
        body.len()
    )
}

/// A `POST /publish` of the JSON `item` with the bearer `token`.
pub fn publish(token: &str, item: &str) -> String {
    format!(
        "POST /publish HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{item}",
        item.len()
    )
}

/// The views of item `id` in a served feed (0 when it has none yet).
pub fn views_in(feed: &serde_json::Value, id: &str) -> u64 {
    let items = feed["items"].as_array().map(Vec::as_slice).unwrap_or_default();
    let item = items.iter().find(|i| i["id"] == id).unwrap_or_else(|| panic!("no item {id} in {feed}"));
    item["_depeche"]["views"].as_u64().unwrap_or(0)
}

/// Beacon senders under way: each thread sends views of one item from new visitors, one at a
/// time, until stopped; a beacon answered but not counted fails the test, and so does one
/// not answered unless the test means to kill the collector ([`Load::until_gone`]).
pub struct Load {
    acknowledged: std::sync::Arc<std::sync::atomic::AtomicU64>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    workers: Vec<std::thread::JoinHandle<()>>,
}

impl Load {
    /// Starts `workers` senders of views of `item` to the collector on `port` (started with
    /// `--trust-proxy 127.0.0.1`, so that each visitor has its own address); a beacon left
    /// without an answer fails the test.
    pub fn start(port: u16, workers: u64, item: &'static str) -> Load {
        Load::spawn(port, workers, item, false)
    }

    /// As [`Load::start`], for a collector the test kills: a sender stops at the first
    /// beacon left without an answer.
    pub fn until_gone(port: u16, workers: u64, item: &'static str) -> Load {
        Load::spawn(port, workers, item, true)
    }

    fn spawn(port: u16, workers: u64, item: &'static str, may_go: bool) -> Load {
        use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
        use std::sync::Arc;
        let acknowledged = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let next_visitor = Arc::new(AtomicU64::new(0));
        let workers = (0..workers)
            .map(|_| {
                let (ack, stop, next) = (Arc::clone(&acknowledged), Arc::clone(&stop), Arc::clone(&next_visitor));
                std::thread::spawn(move || {
                    while !stop.load(Ordering::SeqCst) {
                        let visitor = next.fetch_add(1, Ordering::SeqCst);
                        match http(port, &view_beacon(visitor, item), Duration::from_secs(10)) {
                            Some(reply) if reply.counted() => {
                                ack.fetch_add(1, Ordering::SeqCst);
                            }
                            Some(reply) => panic!("a beacon from a new visitor was not counted: {} {:?}", reply.status, reply.headers),
                            None if may_go => break, // no answer: the collector is gone
                            None => panic!("a beacon got no answer within 10 s"),
                        }
                    }
                })
            })
            .collect();
        Load { acknowledged, stop, workers }
    }

    /// The beacons acknowledged as counted so far.
    pub fn acknowledged(&self) -> u64 {
        self.acknowledged.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Waits until more than `n` beacons have been acknowledged (`until_more_than`).
    pub fn until_more_than(&self, n: u64) {
        until_more_than(&self.acknowledged, n);
    }

    /// Stops the senders and waits for them; the beacons acknowledged as counted in all.
    pub fn stop(self) -> u64 {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        let acknowledged = std::sync::Arc::clone(&self.acknowledged);
        self.workers.into_iter().for_each(|w| w.join().unwrap());
        acknowledged.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// A free port on the loopback interface.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl PgCluster {
    /// Starts a new cluster.
    pub fn start() -> PgCluster {
        let bin = bin_dir();
        let dir = tempfile::Builder::new().prefix("depeche-pg-").tempdir().unwrap().keep();
        if is_root() {
            let ok = Command::new("chown").args(["-R", "postgres:postgres"]).arg(&dir).status().unwrap().success();
            assert!(ok, "chown of {} to postgres failed", dir.display());
        }
        let data = dir.join("data");
        // A copy keeps the owner (postgres) and the folder's mode (0700) that PostgreSQL checks.
        let copied = Command::new("cp").arg("-a").arg(template(&bin)).arg(&data).status().unwrap().success();
        assert!(copied, "copying the initdb template into {} failed", data.display());
        let port = free_port();
        let options = format!("-p {port} -k {} -c listen_addresses='' -c fsync=off -c max_connections=200", dir.display());
        let cluster = PgCluster { dir, bin, port, options };
        cluster.start_again();
        cluster
    }

    /// Stops the server as an administrator would for a restart (`pg_ctl stop -m fast`:
    /// sessions are ended, open transactions rolled back), and waits until it is down.
    pub fn stop(&self) {
        let data = self.dir.join("data");
        let out = run(&self.bin, "pg_ctl", &["-D", data.to_str().unwrap(), "-m", "fast", "-w", "stop"]);
        assert!(out.status.success(), "pg_ctl stop failed: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// Starts the server (again) on the same port, socket folder and data, and waits until it
    /// accepts connections.
    pub fn start_again(&self) {
        let data = self.dir.join("data");
        let log = self.dir.join("log").to_str().unwrap().to_owned();
        let out = run(&self.bin, "pg_ctl", &["-D", data.to_str().unwrap(), "-o", &self.options, "-l", &log, "-w", "start"]);
        assert!(
            out.status.success(),
            "pg_ctl start failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(self.dir.join("log")).unwrap_or_default()
        );
    }

    /// The server's processes: the postmaster, then its children (none if it is not running).
    fn processes(&self) -> Vec<u32> {
        let pidfile = std::fs::read_to_string(self.dir.join("data").join("postmaster.pid")).unwrap_or_default();
        let Some(postmaster) = pidfile.lines().next().and_then(|l| l.trim().parse::<u32>().ok()) else { return Vec::new() };
        let mut all = vec![postmaster];
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
            // The parent's pid is the second field after the command's closing parenthesis.
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
            let parent = stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().nth(1)).and_then(|p| p.parse::<u32>().ok());
            if parent == Some(postmaster) {
                all.push(pid);
            }
        }
        all
    }

    /// Sends `signal` to `pids`; the first must get it (the others may have ended since).
    fn signal(&self, signal: &str, pids: &[u32]) {
        for (i, pid) in pids.iter().enumerate() {
            let ok = Command::new("kill").arg(format!("-{signal}")).arg(pid.to_string()).stderr(Stdio::null()).status().unwrap().success();
            assert!(ok || i > 0, "kill -{signal} {pid} failed");
        }
    }

    /// Freezes the server (SIGSTOP to the postmaster, then to each of its processes): its
    /// sockets stay open, and nothing answers, as when its host hangs. Returns what to thaw.
    pub fn freeze(&self) -> Vec<u32> {
        let all = self.processes();
        // The postmaster first, so that it forks no process that would escape the freeze.
        self.signal("STOP", &all[..1]);
        let all = self.processes();
        self.signal("STOP", &all);
        all
    }

    /// Lets the processes `freeze` stopped run again.
    pub fn thaw(&self, frozen: &[u32]) {
        self.signal("CONT", frozen);
    }

    /// A connection string for database `db` (created if needed).
    pub fn database(&self, db: &str) -> String {
        let out = run(&self.bin, "createdb", &["-h", self.dir.to_str().unwrap(), "-p", &self.port.to_string(), "-U", "postgres", db]);
        let exists = String::from_utf8_lossy(&out.stderr).contains("already exists");
        assert!(out.status.success() || exists, "createdb failed: {}", String::from_utf8_lossy(&out.stderr));
        format!("postgres:host={} port={} user=postgres dbname={db}", self.dir.display(), self.port)
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        // A test that failed while the server was frozen: it could not stop.
        let frozen = self.processes();
        if !frozen.is_empty() {
            let _ = Command::new("kill").arg("-CONT").args(frozen.iter().map(u32::to_string)).stderr(Stdio::null()).status();
        }
        let data = self.dir.join("data");
        let _ = run(&self.bin, "pg_ctl", &["-D", data.to_str().unwrap_or_default(), "-m", "immediate", "-w", "stop"]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A collector process on a free port, killed (and waited for) when dropped.
pub struct Collector {
    /// Where it listens, on 127.0.0.1.
    pub port: u16,
    child: Child,
}

impl Collector {
    /// Starts the collector built for these tests with `args` (besides its address and an
    /// unlimited rate), and waits up to `startup` for it to accept connections.
    pub fn start(args: &[&std::ffi::OsStr], env: &[(&str, &str)], startup: Duration) -> Collector {
        Collector::start_on(None, args, env, startup)
    }

    /// As `start`, on `port` if given.
    pub fn start_on(port: Option<u16>, args: &[&std::ffi::OsStr], env: &[(&str, &str)], startup: Duration) -> Collector {
        let port = port.unwrap_or_else(free_port);
        let child = Command::new(env!("CARGO_BIN_EXE_depeche-collector"))
            .args(["--listen", &format!("127.0.0.1:{port}"), "--rate-limit", "0", "--www", "/nonexistent", "--pkg", "/nonexistent"])
            .args(args)
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < startup, "the collector did not start within {startup:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
        Collector { port, child }
    }

    /// `kill -9`, and waits for it to be gone.
    pub fn kill(mut self) {
        self.child.kill().unwrap(); // SIGKILL on Unix
        self.child.wait().unwrap();
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The key the test Pushpin signs its requests with.
pub const PUSHPIN_SIG_KEY: &str = "pushpin-test-signing-key";

/// A Pushpin proxy (GRIP) in front of `upstream`, with its own configuration, run folder and
/// ports; stopped when dropped. Panics if Pushpin is not installed (`make test` installs it).
pub struct Pushpin {
    /// Where readers connect, on 127.0.0.1.
    pub port: u16,
    /// Its HTTP control API (publishing), on 127.0.0.1.
    pub control: u16,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Pushpin {
    /// Starts Pushpin routing every request to 127.0.0.1:`upstream`.
    pub fn start(upstream: u16) -> Pushpin {
        let dir = tempfile::tempdir().unwrap();
        let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
        std::fs::create_dir_all(path("run")).unwrap();
        std::fs::create_dir_all(path("log")).unwrap();
        std::fs::write(path("routes"), format!("* 127.0.0.1:{upstream}\n")).unwrap();
        // Its handler's four ports are 5560–5563 shifted by `port_offset`: find a shift that
        // leaves all four free.
        let free = |p: u16| std::net::TcpListener::bind(("127.0.0.1", p)).is_ok();
        let offset = (0..500u16)
            .map(|i| 10_000 + (std::process::id() as u16 % 1000) * 20 + i * 7)
            .find(|o| (5560..=5563).all(|p| free(p + o)))
            .unwrap();
        let port = free_port();
        let conf = std::fs::read_to_string("/etc/pushpin/pushpin.conf").expect("Pushpin is installed (/etc/pushpin/pushpin.conf)");
        let conf: String = conf
            .lines()
            .map(|l| match l.split_once('=').map(|(k, _)| k) {
                Some("rundir") => format!("rundir={}", path("run")),
                Some("logdir") => format!("logdir={}", path("log")),
                Some("port_offset") => format!("port_offset={offset}"),
                Some("http_port") => format!("http_port={port}"),
                Some("routesfile") => format!("routesfile={}", path("routes")),
                // Its requests to the collector are signed with this key, which the collector
                // is given (`--grip-key-file`), never Debian's default.
                Some("sig_key") => format!("sig_key={PUSHPIN_SIG_KEY}"),
                // Debian's Pushpin reaches the upstream through zurl, whose own service would
                // listen in /var/run/zurl: the runner starts one for this instance instead.
                Some("services") => "services=condure,zurl,pushpin-proxy,pushpin-handler".to_owned(),
                _ if l == "[proxy]" => "[proxy]\nzurl_out_specs=ipc://{rundir}/{ipc_prefix}zurl-in\n\
                    zurl_out_stream_specs=ipc://{rundir}/{ipc_prefix}zurl-in-stream\nzurl_in_specs=ipc://{rundir}/{ipc_prefix}zurl-out"
                    .to_owned(),
                _ => l.to_owned(),
            } + "\n")
            .collect();
        std::fs::write(path("pushpin.conf"), conf).unwrap();
        let child = Command::new("pushpin").args(["--config", &path("pushpin.conf")]).stdout(Stdio::null()).stderr(Stdio::inherit()).spawn().expect("pushpin runs");
        let control = 5561 + offset;
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() || TcpStream::connect(("127.0.0.1", control)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(20), "Pushpin did not start within 20 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        Pushpin { port, control, child, _dir: dir }
    }
}

impl Drop for Pushpin {
    fn drop(&mut self) {
        // SIGTERM, so that its runner stops the processes it started.
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let _ = self.child.wait();
    }
}
