//! The API key never leaves the process: not in a response, not in any log line (every
//! target, TRACE level, hyper and reqwest included), not in a debug print; and no log line
//! holds a request URI, raw or percent-encoded as in `iframe_url`. Its own test binary,
//! because it installs a global log subscriber that captures everything.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "companion/stub.rs"]
mod stub;
#[path = "companion/support.rs"]
mod support;

use clap::Parser;
use moments_par::cli::Cli;
use moments_par::{ParClient, router};
use std::io::Write;
use std::sync::{Arc, Mutex};
use stub::{Reply, Stub};
use support::{bounded, call, config, fresh_key, session};
use tracing_subscriber::fmt::MakeWriter;

/// Every formatted log line, in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Self;
    fn make_writer(&'a self) -> Self {
        self.clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_key_is_in_no_response_no_log_line_and_no_debug_print() {
    let logs = Captured::default();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(logs.clone())
        .with_ansi(false)
        .init();

    bounded(async {
        let key = fresh_key();
        let stub = Stub::start(Reply::Grant).await;
        // Success, a refusal that echoes the key, an echoing outage (retried), bad input.
        stub.then([
            Reply::Grant,
            Reply::EchoKey(401),
            Reply::EchoKey(500),
            Reply::EchoKey(500),
            Reply::EchoKey(500),
        ]);
        let app = router(config(&stub.url, &key)).unwrap();
        let mut answers = Vec::new();
        for body in ["{}", "{}", "{}", "{", r#"{"embedding":"x"}"#] {
            answers.push(call(&app, session(), body).await);
        }
        let codes: Vec<_> = answers.iter().skip(1).map(|a| a.code()).collect();
        assert_eq!(
            codes,
            [
                "upstream_auth",
                "upstream_unavailable",
                "bad_request",
                "unknown_embedding"
            ]
        );
        assert_eq!(stub.calls(), 5, "every scripted reply was served");
        for answer in &answers {
            assert!(
                !answer.text.contains(&key),
                "key in a body: {}",
                answer.text
            );
            for (name, value) in &answer.headers {
                assert!(
                    !value
                        .as_bytes()
                        .windows(key.len())
                        .any(|w| w == key.as_bytes()),
                    "key in {name}"
                );
            }
        }

        let config = config(&stub.url, &key);
        let client = ParClient::new(&config.par).unwrap();
        let cli = Cli::try_parse_from(["moments-par", "--infobip-api-key", &key]).unwrap();
        for printed in [
            format!("{config:?}"),
            format!("{client:?}"),
            format!("{cli:?}"),
        ] {
            assert!(!printed.contains(&key), "key in a debug print: {printed}");
        }
        stub.shutdown().await;

        let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
        // The log saw the failures, with Infobip's words and the key blanked out...
        assert!(logs.contains("Infobip refused the API key"), "{logs}");
        assert!(
            logs.contains("Invalid login details for header App [redacted]"),
            "{logs}"
        );
        assert!(logs.contains("PAR call failed; retrying"), "{logs}");
        assert!(
            logs.contains("finished processing request") && logs.contains("request_uri=ru#"),
            "{logs}"
        );
        assert!(
            logs.contains("request_id="),
            "every line in a request span: {logs}"
        );
        // The served request's one access line carries what the handler recorded late.
        let access = logs
            .lines()
            .find(|line| line.contains("finished processing request") && line.contains("ru#"))
            .unwrap();
        let at = |field: &str| {
            access
                .find(field)
                .unwrap_or_else(|| panic!("{field} in {access}"))
        };
        assert!(
            at(" request_id=") < at(" tenant=")
                && at(" tenant=") < at(" embedding=")
                && at(" embedding=") < at(" request_uri=ru#"),
            "{access}"
        );
        // ...at every level, from every crate, and nowhere the key or a request URI.
        assert!(logs.contains("TRACE"), "really captured at TRACE");
        assert!(logs.lines().count() > 50, "{}", logs.lines().count());
        // The URI the browser got, in both the forms it travels in: raw in
        // `request_uri`, percent-encoded in `iframe_url`.
        let grant: serde_json::Value = serde_json::from_str(&answers[0].text).unwrap();
        let raw = grant["request_uri"].as_str().unwrap().to_owned();
        let iframe_url = grant["iframe_url"].as_str().unwrap();
        let encoded = iframe_url
            .split_once("request_uri=")
            .map(|(_, value)| value.to_owned())
            .unwrap();
        assert!(
            raw.starts_with("urn:ietf:params:oauth:request_uri:stub-"),
            "{raw}"
        );
        assert!(
            encoded.starts_with("urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Astub-"),
            "{encoded}"
        );
        for line in logs.lines() {
            assert!(!line.contains(&key), "key in a log line: {line}");
            for form in [
                raw.as_str(),
                encoded.as_str(),
                "request_uri:stub-",
                "request_uri%3Astub-",
            ] {
                assert!(
                    !line.contains(form),
                    "a request URI ({form}) in a log line: {line}"
                );
            }
        }
    })
    .await;
}
