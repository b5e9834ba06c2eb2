//! The `moments-par` executable itself: `--help`, refusing a bad configuration with a
//! message that says what to fix, and SIGTERM finishing the request in flight.

use crate::stub::{Reply, Stub};
use crate::support::{bounded, fresh_key};
use clap::CommandFactory;
use moments_par::cli::Cli;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const BINARY: &str = env!("CARGO_BIN_EXE_moments-par");

/// The binary with a clean environment (no stray `INFOBIP_*` or `MOMENTS_*`).
fn binary(args: &[&str]) -> Command {
    let mut command = Command::new(BINARY);
    command
        .args(args)
        .env_clear()
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

/// Runs the binary with `args` and asserts that it refuses to start (exit code 2) with
/// a message that says `expected`.
async fn refused_at_start(args: &[&str], expected: &str) {
    let output = bounded(binary(args).output()).await.unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(
        stderr.contains(expected),
        "{args:?} should say `{expected}`:\n{stderr}"
    );
}

#[tokio::test]
async fn help_lists_every_option_with_its_environment_variable_and_default() {
    let output = bounded(binary(&["--help"]).output()).await.unwrap();
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    let command = Cli::command();
    let mut checked = 0;
    for arg in command.get_arguments() {
        let Some(long) = arg.get_long() else { continue };
        if matches!(long, "help" | "version") {
            continue;
        }
        assert!(
            help.contains(&format!("--{long}")),
            "--{long} missing from\n{help}"
        );
        match arg.get_env() {
            Some(env) => {
                let env = env.to_str().unwrap();
                assert!(
                    help.contains(&format!("[env: {env}")),
                    "--{long}: no [env: {env}]"
                );
            }
            None => assert_eq!(
                long, "sandbox",
                "only --sandbox has no variable, on purpose"
            ),
        }
        for default in arg.get_default_values() {
            let default = default.to_str().unwrap();
            assert!(
                help.contains(&format!("[default: {default}]")),
                "--{long}: no [default: {default}]"
            );
        }
        checked += 1;
    }
    assert!(checked >= 25, "every option, not a few: {checked}");
}

#[tokio::test]
async fn a_bad_configuration_is_refused_with_what_to_fix() {
    let cases: [(&[&str], &str); 10] = [
        (&["--embedding-id", "42"], "set INFOBIP_API_KEY"),
        (&["--infobip-api-key", "k"], "set MOMENTS_EMBEDDING_ID"),
        (
            &[
                "--infobip-api-key",
                "k",
                "--embeddings",
                "a=1,b=2",
                "--default-embedding",
                "c",
            ],
            "`c` is not in the embedding list (a, b)",
        ),
        (
            &[
                "--infobip-api-key",
                "k",
                "--embedding-id",
                "1",
                "--allowed-origins",
                "app.example.com",
            ],
            "scheme://host[:port]",
        ),
        (
            &[
                "--infobip-api-key",
                "k",
                "--embedding-id",
                "1",
                "--tenant-header",
                "x-org",
            ],
            "set MOMENTS_TENANTS_FILE",
        ),
        (
            &[
                "--infobip-api-key",
                "k",
                "--embedding-id",
                "1",
                "--tenants-file",
                "/nonexistent.toml",
            ],
            "cannot read the tenants file /nonexistent.toml",
        ),
        (
            &[
                "--infobip-api-key",
                "k",
                "--embedding-id",
                "1",
                "--metrics-path",
                "metrics",
            ],
            "`metrics` must start with `/`",
        ),
        (
            &[
                "--infobip-api-key",
                "k",
                "--embedding-id",
                "1",
                "--readyz-path",
                "/api/moments/session",
            ],
            "is also an operations path",
        ),
        (
            &[
                "--infobip-api-key",
                "k",
                "--embedding-id",
                "1",
                "--trusted-proxies",
                "10.0.0.0/8",
            ],
            "set one of those, or leave it out",
        ),
        (
            &["--trusted-proxies", "10.0.0.0/8,proxy.internal"],
            "trusted proxy `proxy.internal` is not an IP address",
        ),
    ];
    for (args, expected) in cases {
        refused_at_start(args, expected).await;
    }
    refused_at_start(&["--rate-limit", "60/day"], "write e.g. 60/min").await;
}

#[tokio::test]
async fn an_embedding_that_cannot_open_its_product_is_refused_at_start() {
    let cases: [(&[&str], &str); 5] = [
        (
            &[
                "--infobip-api-key",
                "k",
                "--embeddings",
                "chatbot=answers:42",
            ],
            "an Answers embedding has no id",
        ),
        (
            &[
                "--infobip-api-key",
                "k",
                "--embeddings",
                "chatbot=answer:42",
            ],
            "unknown product `answer`",
        ),
        (
            &["--infobip-api-key", "k", "--embedding-id", "answers"],
            "MOMENTS_EMBEDDING_ID is a Moments embedding id",
        ),
        (
            &[
                "--infobip-api-key",
                "k",
                "--embeddings",
                "campaigns=42,chatbot=answers",
                "--default-embedding",
                "bot",
            ],
            "`bot` is not in the embedding list (campaigns, chatbot)",
        ),
        (
            &[
                "--infobip-api-key",
                "k",
                "--embeddings",
                "chatbot=answers",
                "--answers-iframe-base-url",
                "ftp://frames.example",
            ],
            "the Answers iframe base URL `ftp://frames.example/` must be an http(s) URL",
        ),
    ];
    for (args, expected) in cases {
        refused_at_start(args, expected).await;
    }
    // Named by its flag, as clap names a value it refuses.
    refused_at_start(&["--embeddings", "chatbot=answers:42"], "--embeddings").await;
}

/// Collects stderr lines; resolves the URL from the "listening" line.
async fn listening(child: &mut Child, lines: Arc<Mutex<Vec<String>>>) -> String {
    let stderr = child.stderr.take().unwrap();
    let (url_tx, url_rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let mut reader = BufReader::new(stderr).lines();
        let mut url_tx = Some(url_tx);
        while let Ok(Some(line)) = reader.next_line().await {
            if line.contains("moments-par listening")
                && let Some(tx) = url_tx.take()
            {
                let json: serde_json::Value = serde_json::from_str(&line).unwrap();
                let _ = tx.send(json["fields"]["url"].as_str().unwrap().to_owned());
            }
            lines.lock().unwrap().push(line);
        }
    });
    url_rx.await.expect("the binary said where it listens")
}

#[tokio::test]
async fn sigterm_lets_the_request_in_flight_finish_then_exits_cleanly() {
    stop_while_busy("-TERM").await;
}

#[tokio::test]
async fn sigint_does_the_same() {
    stop_while_busy("-INT").await;
}

/// Starts the binary against a slow stub, sends `signal` while a request is in flight,
/// and checks the request finishes, the exit is clean, and every log line is JSON
/// without the key.
async fn stop_while_busy(signal: &str) {
    bounded(async {
        let stub = Stub::start(Reply::Hang(Duration::from_millis(700))).await;
        let key = fresh_key();
        let mut child = binary(&[
            "--listen",
            "127.0.0.1:0",
            "--log-format",
            "json",
            "--upstream-timeout",
            "3s",
            "--infobip-base-url",
            &stub.url,
            "--embedding-id",
            "42",
        ])
        .env("INFOBIP_API_KEY", &key)
        // Everything the binary can log, hyper's and reqwest's own lines included.
        .env("RUST_LOG", "trace")
        .spawn()
        .unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let url = listening(&mut child, Arc::clone(&lines)).await;

        let in_flight = tokio::spawn(
            reqwest::Client::new()
                .post(format!("{url}/api/moments/session"))
                .header("content-type", "application/json")
                .body("{}")
                .send(),
        );
        while stub.calls() == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let pid = child.id().unwrap().to_string();
        let killed = Command::new("kill")
            .args([signal, &pid])
            .status()
            .await
            .unwrap();
        assert!(killed.success());

        let answer = in_flight.await.unwrap().unwrap();
        assert_eq!(answer.status(), 200, "the request in flight finished");
        let body = answer.text().await.unwrap();
        let status = tokio::time::timeout(Duration::from_secs(5), child.wait())
            .await
            .expect("exits soon after")
            .unwrap();
        assert!(status.success(), "exit status {status}");

        tokio::time::sleep(Duration::from_millis(50)).await; // the reader's last lines
        let lines = lines.lock().unwrap().clone();
        assert!(
            lines.iter().any(|l| l.contains("shutting down")),
            "{lines:#?}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.contains("finished processing request") && l.contains("ru#")),
            "one access line per request, carrying the URI's fingerprint: {lines:#?}"
        );
        assert!(
            lines.iter().any(|l| l.contains("\"TRACE\"")),
            "really logged at TRACE"
        );
        // The URI in both forms it travels in: raw, and percent-encoded in iframe_url.
        let grant: serde_json::Value = serde_json::from_str(&body).unwrap();
        let raw = grant["request_uri"].as_str().unwrap();
        let encoded = grant["iframe_url"]
            .as_str()
            .and_then(|url| url.split_once("request_uri="))
            .map(|(_, value)| value)
            .unwrap();
        assert_ne!(raw, encoded, "two forms to look for");
        for line in &lines {
            let json: serde_json::Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not a JSON log line ({e}): {line}"));
            assert!(json["level"].is_string(), "{line}");
            assert!(!line.contains(&key), "the key in a log line: {line}");
            for form in [raw, encoded, "stub-1"] {
                assert!(
                    !line.contains(form),
                    "a request_uri ({form}) in a log line: {line}"
                );
            }
        }
        assert!(!body.contains(&key));
        stub.shutdown().await;
    })
    .await;
}

/// Trusted-header mode over a real socket: the tenant header counts only when the
/// connection comes from a listed proxy. The test's client is 127.0.0.1, so it is the
/// proxy in one run and a stranger in the other.
#[tokio::test]
async fn the_tenant_header_counts_only_from_a_trusted_proxy() {
    bounded(async {
        let stub = Stub::start(Reply::Grant).await;
        let dir = std::env::temp_dir().join(format!("moments-par-proxies-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let tenants = dir.join("tenants.toml");
        std::fs::write(&tenants, "[tenants.acme]\nentity_id = \"acme\"\n").unwrap();
        let mut statuses = Vec::new();
        for proxies in ["127.0.0.1", "10.0.0.0/8,fd00::/8"] {
            let mut child = binary(&[
                "--listen",
                "127.0.0.1:0",
                "--log-format",
                "json",
                "--infobip-base-url",
                &stub.url,
                "--embedding-id",
                "42",
                "--tenant-header",
                "x-org",
                "--tenants-file",
                tenants.to_str().unwrap(),
                "--trusted-proxies",
                proxies,
            ])
            .env("INFOBIP_API_KEY", fresh_key())
            .spawn()
            .unwrap();
            let lines = Arc::new(Mutex::new(Vec::new()));
            let url = listening(&mut child, Arc::clone(&lines)).await;
            let answer = reqwest::Client::new()
                .post(format!("{url}/api/moments/session"))
                .header("content-type", "application/json")
                .header("x-org", "acme")
                .body("{}")
                .send()
                .await
                .unwrap();
            let status = answer.status().as_u16();
            let body: serde_json::Value = answer.json().await.unwrap();
            statuses.push((status, body["error"]["code"].as_str().map(str::to_owned)));
            child.kill().await.unwrap();
        }
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            statuses,
            [(200, None), (401, Some("unauthorized".to_owned()))],
            "from the proxy: served; from anyone else: refused, whatever the header says"
        );
        assert_eq!(stub.calls(), 1, "the refused request cost Infobip nothing");
        let (_, sent) = stub.last_request().unwrap();
        let sent: serde_json::Value = serde_json::from_slice(&sent).unwrap();
        assert_eq!(sent["entity_id"], "acme", "minted for the header's tenant");
        stub.shutdown().await;
    })
    .await;
}
