//! The real binary: first-start bootstrap printing a working key once, and the CLI commands.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use serde_json::{Value, json};

const BINARY: &str = env!("CARGO_BIN_EXE_patchbay");

/// A `patchbay serve` process with its captured standard output and error.
pub struct Served {
    child: Child,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
    pub port: u16,
}

fn command(data_dir: &std::path::Path, database_url: Option<&str>) -> Command {
    let mut command = Command::new(BINARY);
    command
        .env_remove("PATCHBAY_MASTER_KEY")
        .env("PATCHBAY_DATA_DIR", data_dir)
        .env("PATCHBAY_LOG_FORMAT", "json")
        .env("PATCHBAY_LOG_LEVEL", "debug");
    match database_url {
        Some(url) => command.env("PATCHBAY_DATABASE_URL", url),
        None => command.env_remove("PATCHBAY_DATABASE_URL"),
    };
    command
}

fn capture(reader: impl std::io::Read + Send + 'static) -> Arc<Mutex<String>> {
    let text = Arc::new(Mutex::new(String::new()));
    let sink = text.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(reader).lines().map_while(Result::ok) {
            let mut sink = sink.lock().unwrap();
            sink.push_str(&line);
            sink.push('\n');
        }
    });
    text
}

pub fn serve(data_dir: &std::path::Path, database_url: Option<&str>) -> Served {
    serve_with(data_dir, database_url, &[])
}

/// [`serve`] with more environment variables.
pub fn serve_with(
    data_dir: &std::path::Path,
    database_url: Option<&str>,
    env: &[(&str, &str)],
) -> Served {
    let mut child = command(data_dir, database_url)
        .envs(env.iter().copied())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let stdout = capture(child.stdout.take().unwrap());
    let stderr = capture(child.stderr.take().unwrap());
    let started = Instant::now();
    let port = loop {
        let logs = stderr.lock().unwrap().clone();
        if let Some(line) = logs.lines().find(|l| l.contains("Patchbay is listening")) {
            let log: Value = serde_json::from_str(line).expect("JSON log lines");
            let address = log["fields"]["address"]
                .as_str()
                .expect("the address is logged");
            break address.rsplit(':').next().unwrap().parse().unwrap();
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the server did not start:\n{logs}"
        );
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the server exited with {status}:\n{logs}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Served {
        child,
        stdout,
        stderr,
        port,
    }
}

impl Served {
    /// Kills the process with SIGKILL: no shutdown, no last flush.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// What the process printed on standard output so far.
    pub fn stdout_text(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    /// Sends SIGTERM and waits for a clean exit; returns (stdout, stderr).
    pub fn stop(mut self) -> (String, String) {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        let status = self.child.wait().unwrap();
        assert!(
            status.success(),
            "a SIGTERM stops the server cleanly, got {status}"
        );
        std::thread::sleep(Duration::from_millis(100));
        let stdout = self.stdout.lock().unwrap().clone();
        let stderr = self.stderr.lock().unwrap().clone();
        (stdout, stderr)
    }
}

pub fn keys_in(text: &str) -> Vec<String> {
    let mut keys: Vec<String> = text
        .match_indices("pb_live_")
        .map(|(i, _)| {
            text[i..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        })
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

async fn viewer_status(port: u16, key: &str) -> u16 {
    crate::helpers::http_client()
        .post(format!("http://127.0.0.1:{port}/graphql"))
        .bearer_auth(key)
        .json(&json!({ "query": "{ viewer { name } }" }))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn the_first_start_prints_a_working_admin_key_once_and_never_logs_it() {
    let dir = tempfile::tempdir().unwrap();
    let database_url = match std::env::var("PATCHBAY_TEST_DATABASE_URL") {
        Ok(_) => Some(crate::helpers::fresh_database_url(&dir).await),
        Err(_) => None,
    };

    let first = serve(dir.path(), database_url.as_deref());
    let port = first.port;
    let key = {
        let started = Instant::now();
        loop {
            let printed = keys_in(&first.stdout.lock().unwrap());
            if let Some(key) = printed.first() {
                assert_eq!(printed.len(), 1, "one key is printed");
                break key.clone();
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "no key printed"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    assert_eq!(
        viewer_status(port, &key).await,
        200,
        "the printed key works"
    );
    let (stdout, stderr) = first.stop();
    assert!(
        stdout.contains("curl"),
        "a ready-to-paste curl example is printed:\n{stdout}"
    );
    assert!(
        !stderr.contains(&key),
        "the key must never reach the log stream"
    );
    assert!(
        stderr.contains("PATCHBAY_MASTER_KEY is not set"),
        "a warning names the generated master key"
    );
    assert!(dir.path().join("master.key").exists());
    if database_url.is_none() {
        assert!(
            dir.path().join("patchbay.db").exists(),
            "SQLite lives in the data directory"
        );
    }

    let second = serve(dir.path(), database_url.as_deref());
    assert_eq!(
        viewer_status(second.port, &key).await,
        200,
        "the key survives a restart"
    );
    let (stdout, stderr) = second.stop();
    assert!(
        keys_in(&stdout).is_empty(),
        "no key is printed on later starts:\n{stdout}"
    );
    assert!(!stderr.contains(&key));
}

fn run(dir: &std::path::Path, database_url: Option<&str>, args: &[&str]) -> (bool, String, String) {
    let output = command(dir, database_url)
        .args(args)
        .output()
        .expect("the binary runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn help_lists_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, stdout, _) = run(dir.path(), None, &["--help"]);
    assert!(ok);
    for command in ["serve", "migrate", "keys", "schema", "version"] {
        assert!(
            stdout.contains(command),
            "--help lists `{command}`:\n{stdout}"
        );
    }
    let (_, stdout, _) = run(dir.path(), None, &["serve", "--help"]);
    for variable in [
        "PATCHBAY_LISTEN",
        "PATCHBAY_DATABASE_URL",
        "PATCHBAY_DATA_DIR",
        "PATCHBAY_MASTER_KEY",
        "PATCHBAY_LOG_FORMAT",
        "PATCHBAY_LOG_LEVEL",
        "PATCHBAY_MAX_BODY_BYTES",
        "PATCHBAY_MAX_QUERY_DEPTH",
    ] {
        assert!(
            stdout.contains(variable),
            "serve --help names {variable}:\n{stdout}"
        );
    }
}

#[test]
fn schema_prints_the_sdl_and_version_the_version() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, stdout, _) = run(dir.path(), None, &["schema"]);
    assert!(ok);
    assert_eq!(stdout, patchbay::graphql::sdl());
    let (ok, stdout, _) = run(dir.path(), None, &["version"]);
    assert!(ok);
    assert!(stdout.contains(env!("CARGO_PKG_VERSION")));
}

#[tokio::test]
async fn migrate_and_keys_commands_manage_the_database_without_a_server() {
    let dir = tempfile::tempdir().unwrap();
    let url = match std::env::var("PATCHBAY_TEST_DATABASE_URL") {
        Ok(_) => Some(crate::helpers::fresh_database_url(&dir).await),
        Err(_) => None,
    };
    let url = url.as_deref();

    let (ok, stdout, stderr) = run(dir.path(), url, &["migrate", "status"]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("Pending"), "{stdout}");
    let (ok, _, stderr) = run(dir.path(), url, &["migrate", "up"]);
    assert!(ok, "{stderr}");
    let (_, stdout, _) = run(dir.path(), url, &["migrate", "status"]);
    assert!(
        stdout.contains("Applied") && !stdout.contains("Pending"),
        "{stdout}"
    );

    let (ok, stdout, stderr) = run(
        dir.path(),
        url,
        &["keys", "create", "--name", "recovery", "--scopes", "*"],
    );
    assert!(ok, "{stderr}");
    let key = stdout.trim().to_owned();
    assert!(key.starts_with("pb_live_"), "{stdout}");
    assert!(!stderr.contains(&key));

    let (ok, stdout, _) = run(dir.path(), url, &["keys", "list"]);
    assert!(ok);
    assert!(
        stdout.contains("recovery") && stdout.contains("active"),
        "{stdout}"
    );
    assert!(!stdout.contains(&key), "listings never show the secret");
    let id = stdout
        .lines()
        .find(|l| l.contains("recovery"))
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();

    let (ok, _, stderr) = run(
        dir.path(),
        url,
        &["keys", "create", "--scopes", "syncs:fly"],
    );
    assert!(!ok);
    assert!(
        stderr.contains("syncs:fly"),
        "a bad scope is named: {stderr}"
    );

    let (ok, _, stderr) = run(dir.path(), url, &["keys", "revoke", &id]);
    assert!(ok, "{stderr}");
    let (_, stdout, _) = run(dir.path(), url, &["keys", "list"]);
    assert!(
        stdout
            .lines()
            .any(|l| l.contains(&id) && l.contains("revoked")),
        "{stdout}"
    );

    let (ok, _, stderr) = run(dir.path(), url, &["migrate", "down"]);
    assert!(ok, "{stderr}");
    let (_, stdout, _) = run(dir.path(), url, &["migrate", "status"]);
    assert!(stdout.contains("Pending"), "{stdout}");
}

#[test]
fn mapping_suggest_prints_sorted_json_suggestions_from_any_schema_format() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("source.json");
    std::fs::write(
        &source,
        json!({ "name": "hubspot.Contact", "fields": [
            { "path": "properties.firstname", "type": "string", "samples": ["Ada", "Grace"] },
            { "path": "properties.email", "type": "string", "samples": ["ADA@EXAMPLE.COM"] },
            { "path": "properties.zip", "type": "string", "samples": ["94107"] }
        ]})
        .to_string(),
    )
    .unwrap();
    let target = dir.path().join("target.csv");
    std::fs::write(
        &target,
        "first_name,email_address,postal_code\nAda,ada@example.com,10001\n",
    )
    .unwrap();

    let (ok, stdout, stderr) = run(
        dir.path(),
        None,
        &[
            "mapping",
            "suggest",
            "--source",
            source.to_str().unwrap(),
            "--target",
            target.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert!(ok, "{stderr}");
    let body: Value = serde_json::from_str(&stdout).expect("exactly one JSON document");
    let suggestions = body["suggestions"].as_array().unwrap();
    let pairs: Vec<(&str, &str)> = suggestions
        .iter()
        .filter(|s| s["confidence"].as_f64().unwrap() >= 0.5)
        .map(|s| (s["source"].as_str().unwrap(), s["target"].as_str().unwrap()))
        .collect();
    for expected in [
        ("properties.firstname", "first_name"),
        ("properties.email", "email_address"),
        ("properties.zip", "postal_code"),
    ] {
        assert!(pairs.contains(&expected), "{expected:?} in {pairs:?}");
    }
    let confidences: Vec<f64> = suggestions
        .iter()
        .map(|s| s["confidence"].as_f64().unwrap())
        .collect();
    assert!(
        confidences.windows(2).all(|w| w[0] >= w[1]),
        "sorted by confidence: {confidences:?}"
    );
    for s in suggestions {
        let keys: Vec<&str> = s.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            ["source", "target", "confidence", "reason", "transform"]
        );
    }

    let empty = dir.path().join("empty.json");
    std::fs::write(&empty, "[]").unwrap();
    let (ok, _, stderr) = run(
        dir.path(),
        None,
        &[
            "mapping",
            "suggest",
            "--source",
            empty.to_str().unwrap(),
            "--target",
            target.to_str().unwrap(),
        ],
    );
    assert!(!ok);
    assert!(stderr.contains("no fields"), "{stderr}");
}

#[test]
fn insights_mine_groups_lines_and_writes_one_assignment_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("failures.log");
    let mut lines = Vec::new();
    for i in 0..30 {
        lines.push(format!(
            "hubspot: 429 Too Many Requests, retry after {}s",
            i % 7 + 1
        ));
        lines.push(format!(
            "salesforce: Required fields are missing: [LastName] on record 003{i:012}"
        ));
    }
    std::fs::write(&input, lines.join("\n")).unwrap();
    let assignments = dir.path().join("assignments.txt");
    let (ok, stdout, stderr) = run(
        dir.path(),
        None,
        &[
            "insights",
            "mine",
            "--input",
            input.to_str().unwrap(),
            "--assignments",
            assignments.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert!(ok, "{stderr}");
    let body: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(body["lines"], 60);
    let patterns = body["patterns"].as_array().unwrap();
    assert_eq!(patterns.len(), 2, "{body}");
    assert_eq!(patterns[0]["count"], 30);
    assert!(
        patterns.iter().any(|p| p["likely_cause"]
            .as_str()
            .is_some_and(|c| c.contains("rate"))),
        "{body}"
    );
    let assigned = std::fs::read_to_string(&assignments).unwrap();
    assert_eq!(assigned.lines().count(), 60);
    assert_eq!(
        assigned
            .lines()
            .collect::<std::collections::HashSet<_>>()
            .len(),
        2
    );
}

/// A `patchbay serve` child process on a fresh `database_url`, with the short leases and polls
/// the tests need plus `env`. Returns the child, a [`crate::helpers::TestApp`]-shaped handle whose
/// requests go to the child (with the key the child printed), and the child's data directory.
pub async fn serve_child(
    database_url: &str,
    env: &[(&str, &str)],
) -> (Served, crate::helpers::TestApp, tempfile::TempDir) {
    let data_dir = tempfile::tempdir().unwrap();
    let vars: Vec<(String, String)> = [
        ("PATCHBAY_MASTER_KEY", "42".repeat(32).as_str()),
        ("PATCHBAY_ALLOW_PRIVATE_NETWORKS", "true"),
        ("PATCHBAY_SYNC_LEASE_SECS", "3"),
        ("PATCHBAY_SYNC_POLL_MS", "50"),
    ]
    .iter()
    .chain(env)
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let (path, url) = (data_dir.path().to_owned(), database_url.to_owned());
    let child = tokio::task::spawn_blocking(move || {
        let pairs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        serve_with(&path, Some(&url), &pairs)
    })
    .await
    .unwrap();
    let api_key = keys_in(&child.stdout_text())
        .into_iter()
        .next()
        .expect("the first start prints a key");
    let mut remote = crate::helpers::spawn_app().await;
    remote.address = format!("http://127.0.0.1:{}", child.port);
    remote.api_key = api_key;
    (child, remote, data_dir)
}
