//! Command-line options.

use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Dépêche's collector: serves the JSON Feed with live read counts, counts views from the
/// widget's beacons, and serves the widget and its demo pages.
#[derive(Parser, Debug)]
#[command(version, args_conflicts_with_subcommands = true)]
pub struct Args {
    /// Something else to do than serving.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The source JSON Feed file; served at /feed.json with live view counts.
    #[arg(long, default_value = "www/feed.json")]
    pub feed: PathBuf,
    /// Where counts, published items, the dedupe set and the salt secret live:
    /// `sqlite:PATH` (embedded, created if missing) or `postgres://USER@HOST/DB` (shared by
    /// several instances). Migrations run at start.
    // `--help` names the variables an option may come from, never their values (a database
    // password, a token).
    #[arg(long, env = "DEPECHE_DATABASE", hide_env_values = true, default_value = "sqlite:depeche.db")]
    pub database: String,
    /// The SQLite database file: the same as `--database sqlite:PATH` (kept for older scripts).
    #[arg(long, hide = true)]
    pub db: Option<PathBuf>,
    /// Folder of static pages served at / (the demo and embed.js).
    #[arg(long, default_value = "www")]
    pub www: PathBuf,
    /// Folder of wasm-pack output served at /pkg.
    #[arg(long, default_value = "pkg")]
    pub pkg: PathBuf,
    /// An origin allowed to read the feed and send beacons cross-origin (repeatable).
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    pub allow_origins: Vec<String>,
    /// Turn on `POST /publish` (add or replace a feed item, in memory) for this bearer token.
    #[arg(long, env = "DEPECHE_PUBLISH_TOKEN", hide_env_values = true)]
    pub publish_token: Option<String>,
    /// The publish token, read from this file (its first line), so that it is on no command
    /// line nor in the environment.
    #[arg(long, value_name = "FILE", conflicts_with = "publish_token")]
    pub publish_token_file: Option<std::path::PathBuf>,
    /// A proxy or load balancer in front of the collector (an address or a range such as
    /// 10.0.0.0/8; repeatable): the client is then the right-most address of `Forwarded` or
    /// `X-Forwarded-For` that is not one of these.
    #[arg(long = "trust-proxy", value_name = "CIDR")]
    pub trust_proxy: Vec<crate::client::Cidr>,
    /// Event streams (`GET /events`) open at once at most; beyond, 503 with Retry-After.
    #[arg(long, default_value_t = 1000)]
    pub max_streams: usize,
    /// A GRIP proxy's control API (Pushpin's: http://127.0.0.1:5561): the proxy holds the
    /// readers' event streams, and each new feed version is published to it (repeatable: one
    /// per Pushpin node).
    #[arg(long, value_name = "URL")]
    pub grip: Vec<String>,
    /// A feed the newsroom already has (RSS, Atom, JSON Feed, ninjs, schema.org JSON-LD; a URL
    /// or a file), fetched in the background and served beside --feed (repeatable).
    #[arg(long = "source", value_name = "URL_OR_PATH")]
    pub sources: Vec<String>,
    /// Sources with options: a JSON array of {"source": …, "every": SECONDS, "urgent_words": […]}.
    #[arg(long, value_name = "FILE")]
    pub sources_file: Option<std::path::PathBuf>,
    /// Beacons a minute allowed from one IP address (0: no limit).
    #[arg(long, default_value_t = 120)]
    pub rate_limit: u32,
    /// Also serve the demo's partner site (another origin) on this address.
    #[arg(long)]
    pub partner_listen: Option<SocketAddr>,
    /// Folder of the partner site's pages.
    #[arg(long, default_value = "www/partner")]
    pub partner_dir: PathBuf,
    /// The collector's own origin, as readers' browsers see it (`https://news.example`;
    /// repeatable): beacons from its pages count as the publisher's, and the partner pages
    /// load the widget from the first. Never taken from a request's Host [default: with
    /// --listen on loopback, http://localhost:PORT and http://127.0.0.1:PORT; else http://ADDR].
    #[arg(long = "public-origin", value_name = "ORIGIN")]
    pub public_origins: Vec<String>,
    /// The newsroom's Ed25519 signing key, read from this file (made by `keygen`): every item
    /// of the feed file and of the desk is served signed, for widgets whose script tag carries
    /// `data-key`. Never on the command line itself.
    #[arg(long, env = "DEPECHE_SIGNING_KEY_FILE", hide_env_values = true, value_name = "FILE")]
    pub signing_key_file: Option<PathBuf>,
    /// The public keys the newsroom's widget snippets trust (their `data-key`, e.g.
    /// "ed25519:… ed25519:…"): the desk then refuses to publish unless the signing key is one
    /// of them, since readers would not be shown the alert.
    #[arg(long, value_name = "KEYS")]
    pub widget_keys: Option<String>,
    /// The key the GRIP proxy signs forwarded requests with (Pushpin's `sig_key`), read from
    /// this file: only requests it signed are held by the proxy. Needed with --grip.
    #[arg(long, value_name = "FILE")]
    pub grip_key_file: Option<PathBuf>,
}

impl Args {
    /// The collector's own origins: `--public-origin`, else those of `--listen`.
    pub fn own_origins(&self) -> Vec<String> {
        if !self.public_origins.is_empty() {
            return self.public_origins.iter().map(|o| o.trim_end_matches('/').to_owned()).collect();
        }
        let port = self.listen.port();
        if self.listen.ip().is_loopback() {
            vec![format!("http://localhost:{port}"), format!("http://127.0.0.1:{port}")]
        } else {
            vec![format!("http://{}", self.listen)]
        }
    }
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Writes a new Ed25519 signing key to FILE (readable by its owner only) and prints its
    /// public key, as the script tag's `data-key` takes it.
    Keygen {
        /// Where to write the secret key; an existing file is never overwritten.
        file: PathBuf,
    },
    /// Signs every item of a JSON Feed file (for a newsroom without the collector) and writes
    /// the signed feed to standard output.
    Sign {
        /// The feed to sign.
        feed: PathBuf,
        /// The signing key file (made by `keygen`).
        #[arg(long, env = "DEPECHE_SIGNING_KEY_FILE", hide_env_values = true, value_name = "FILE")]
        signing_key_file: PathBuf,
    },
    /// Copies the SQLite database into the new file OUT while the collector runs and writes to
    /// it (SQLite's online backup): one consistent snapshot, checked before it is kept. For
    /// PostgreSQL, use pg_dump.
    Backup {
        /// The database to copy: `sqlite:PATH`.
        #[arg(long, env = "DEPECHE_DATABASE", hide_env_values = true)]
        database: String,
        /// Where to write the copy; an existing file is never overwritten.
        out: PathBuf,
    },
}

/// Reads the signing key file, refusing one that others may read.
pub fn read_signing_key(file: &std::path::Path) -> Result<crate::signing::NewsroomKey, String> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(file).map_err(|e| format!("{}: {e}", file.display()))?;
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(format!("{}: the signing key may be read by others (chmod 600 it)", file.display()));
    }
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    crate::signing::NewsroomKey::read(&text).map_err(|e| format!("{}: {e}", file.display()))
}

/// Runs a subcommand.
pub fn run_command(command: &Command) -> Result<(), String> {
    match command {
        Command::Keygen { file } => {
            use std::io::Write;
            use std::os::unix::fs::OpenOptionsExt;
            let key = crate::signing::NewsroomKey::generate();
            let mut out = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(file)
                .map_err(|e| format!("{}: {e} (an existing key is never overwritten)", file.display()))?;
            out.write_all(key.secret_text().as_bytes()).map_err(|e| format!("{}: {e}", file.display()))?;
            println!("{}", key.public());
            Ok(())
        }
        Command::Sign { feed, signing_key_file } => {
            let key = read_signing_key(signing_key_file)?;
            let text = std::fs::read_to_string(feed).map_err(|e| format!("{}: {e}", feed.display()))?;
            println!("{}", crate::signing::sign_feed(&text, &key).map_err(|e| format!("{}: {e}", feed.display()))?);
            Ok(())
        }
        Command::Backup { database, out } => {
            let report = crate::store::backup(database, out).map_err(|e| format!("backup: {e}"))?;
            println!(
                "{}: {} pages, {} bytes, schema version {}, integrity_check ok, in {} ms",
                out.display(),
                report.pages,
                report.bytes,
                report.schema_version,
                report.took.as_millis()
            );
            Ok(())
        }
    }
}
