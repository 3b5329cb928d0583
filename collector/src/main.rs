//! `depeche-collector`: see `--help`.

use clap::Parser;
use depeche_collector::cli::Args;
use depeche_collector::feed::SourceFeed;
use depeche_collector::state::system_clock;
use depeche_collector::{server, store};
use depeche_collector::{app, partner_app, AppState, Config};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let outcome = match &args.command {
        Some(command) => depeche_collector::cli::run_command(command),
        None => run(args).await,
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("depeche-collector: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    let limits = server::Limits::sized_to(server::raise_descriptor_limit())
        .with_overrides(|name| std::env::var_os(name).map(|v| v.to_string_lossy().into_owned()))?;
    let feed = SourceFeed::load(&args.feed).map_err(|e| format!("{}: {e}", args.feed.display()))?;
    let url = match &args.db {
        Some(path) => format!("sqlite:{}", path.display()),
        None => args.database.clone(),
    };
    let metrics = std::sync::Arc::new(depeche_collector::metrics::Metrics::default());
    let store = store::open_with(&url, std::sync::Arc::clone(&metrics)).await.map_err(|e| format!("cannot open the database ({}): {e}", redact(&url)))?;
    let mut sources: Vec<depeche_collector::sources::Source> = args.sources.iter().map(|s| depeche_collector::sources::Source::new(s)).collect();
    if let Some(file) = &args.sources_file {
        let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
        sources.extend(depeche_collector::sources::read_config(&text)?);
    }
    let publish_token = match &args.publish_token_file {
        Some(file) => {
            let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
            let token = text.lines().next().unwrap_or("").trim().to_owned();
            if token.is_empty() {
                return Err(format!("{}: the file holds no token", file.display()));
            }
            Some(token)
        }
        None => args.publish_token.clone(),
    };
    if !args.grip.is_empty() && args.grip_key_file.is_none() {
        return Err("--grip needs --grip-key-file: the proxy's signing key (Pushpin's sig_key), to tell its requests from others".into());
    }
    let grip_key = match &args.grip_key_file {
        Some(file) => {
            let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
            Some(depeche_collector::grip::SigKey::new(text.trim().as_bytes()).map_err(|e| format!("{}: {e}", file.display()))?)
        }
        None => None,
    };
    let signing_key = match &args.signing_key_file {
        Some(file) => Some(depeche_collector::cli::read_signing_key(file)?),
        None => None,
    };
    let widget_keys = args.widget_keys.as_deref().map(|k| k.split_ascii_whitespace().map(str::to_owned).collect());
    let config = Config {
        signing_key,
        widget_keys,
        www: Some(args.www.clone()),
        pkg: Some(args.pkg.clone()),
        own_origins: args.own_origins(),
        allowed_origins: args.allow_origins.clone(),
        rate_limit_per_minute: args.rate_limit,
        publish_token,
        trusted_proxies: args.trust_proxy.clone(),
        max_streams: args.max_streams,
        streams_per_address: limits.streams_per_address,
        grip: args.grip.iter().map(|g| depeche_collector::grip::Publisher::new(g)).collect::<Result<_, _>>()?,
        grip_key,
        sources,
        source_limits: Default::default(),
        metrics,
    };
    let state = AppState::open(store, feed, config, system_clock).await.map_err(|e| format!("cannot read the database: {e}"))?;
    // The dedupe set's expired entries go once a minute (the window itself is 30 minutes).
    let sweeper = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            tick.tick().await;
            if let Err(e) = sweeper.store().expire(system_clock()).await {
                eprintln!("depeche-collector: expiring old dedupe entries failed, will retry: {e}");
            }
        }
    });
    tokio::spawn(state.clone().watch_versions());
    state.start_sources();
    let router = app(state);
    let server = server::Server::new(limits, args.trust_proxy.clone());
    // Heard from before the ports are bound: once a client can connect, ctrl-c stops gracefully.
    let (stop, stop_partner) = (server::ctrl_c(), server::ctrl_c());
    let listener = tokio::net::TcpListener::bind(args.listen).await.map_err(|e| format!("{}: {e}", args.listen))?;
    let origin = args.own_origins().first().cloned().unwrap_or_default();
    println!("Dépêche demo (publisher): {origin}/");
    if args.publish_token.is_some() || args.publish_token_file.is_some() {
        println!("Publisher console: {origin}/console.html (POST /publish with the token given)");
    }

    if let Some(addr) = args.partner_listen {
        let partner = partner_app(args.partner_dir.clone(), origin.clone());
        let l = tokio::net::TcpListener::bind(addr).await.map_err(|e| format!("{addr}: {e}"))?;
        println!("Dépêche demo (partner site, another origin): http://127.0.0.1:{}/", addr.port());
        let partner_server = server.clone();
        tokio::spawn(async move { partner_server.serve(l, partner, stop_partner).await });
    }
    println!("{}", limits.summary());
    server.serve(listener, router, stop).await;
    Ok(())
}

/// The database URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!("{}{}:***{}", &url[..scheme + 3], &userinfo[..colon], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}
