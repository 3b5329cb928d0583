//! The collector's command line, run as a process: the publish token from a file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::ffi::OsStr;
use std::time::Duration;
use support::Collector;

fn publish_status(port: u16, token: &str) -> String {
    let item = r#"{"id":"fichier","title":"Jeton lu dans un fichier"}"#;
    support::http(port, &support::publish(token, item), Duration::from_secs(10)).unwrap().status.to_string()
}

#[test]
fn the_publish_token_can_come_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let (token, feed, db) = (dir.path().join("token"), dir.path().join("feed.json"), dir.path().join("t.db"));
    std::fs::write(&token, "from-a-file\n").unwrap();
    std::fs::write(&feed, r#"{"version":"https://jsonfeed.org/version/1.1","items":[]}"#).unwrap();
    let database = format!("sqlite:{}", db.display());
    let args = [OsStr::new("--feed"), feed.as_os_str(), OsStr::new("--database"), OsStr::new(&database), OsStr::new("--publish-token-file"), token.as_os_str()];
    let c = Collector::start(&args, &[], Duration::from_secs(20));
    assert_eq!(publish_status(c.port, "from-a-file"), "201");
    assert_eq!(publish_status(c.port, "from-a-fil"), "401");
    drop(c);

    std::fs::write(&token, "\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_depeche-collector")).args(args).args(["--listen", "127.0.0.1:0"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("the file holds no token"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn help_names_the_variables_but_never_prints_their_values() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_depeche-collector"))
        .arg("--help")
        .env("DEPECHE_PUBLISH_TOKEN", "secret-token-from-env")
        .env("DEPECHE_DATABASE", "postgres://depeche:db-password@db.internal/depeche")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("DEPECHE_PUBLISH_TOKEN") && help.contains("DEPECHE_DATABASE"), "{help}");
    assert!(!help.contains("secret-token-from-env") && !help.contains("db-password"), "{help}");
}
