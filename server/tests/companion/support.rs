//! What the tests share: a configuration pointed at a stub, requests, and a bound on
//! how long any network test may take.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use moments_par::{Config, EmbeddingId, Embeddings, OpsRoutes, ParClientConfig, RetryPolicy};
use rand::RngCore;
use serde_json::Value;
use std::future::Future;
use std::time::Duration;
use tower::ServiceExt;

/// The longest any one network test may run.
pub const TEST_LIMIT: Duration = Duration::from_secs(20);

/// Runs `test`, failing it if it takes longer than [`TEST_LIMIT`].
pub async fn bounded<F: Future<Output = T>, T>(test: F) -> T {
    tokio::time::timeout(TEST_LIMIT, test)
        .await
        .expect("the test did not finish in time")
}

/// A fresh random API key, so a test can look for exactly this key in every output.
pub fn fresh_key() -> String {
    let mut bytes = [0_u8; 12];
    rand::rng().fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("key-{hex}")
}

/// Upstream settings tuned for tests: short timeouts, quick retries, 3 attempts.
pub fn par_config(upstream: &str, key: &str) -> ParClientConfig {
    ParClientConfig {
        base_url: upstream.parse().unwrap(),
        api_key: key.into(),
        iframe_base_url: "https://frames.test".parse().unwrap(),
        connect_timeout: Duration::from_millis(500),
        request_timeout: Duration::from_millis(300),
        retry: RetryPolicy {
            attempts: 3,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(200),
        },
    }
}

/// A single-embedding (`42`) configuration against `upstream`, deadline 3 s, with the
/// operations routes on (the tests read `/metrics`; a `Config` alone serves none).
pub fn config(upstream: &str, key: &str) -> Config {
    Config::new(
        par_config(upstream, key),
        Embeddings::single(EmbeddingId::Number(42)),
    )
    .with_upstream_deadline(Duration::from_secs(3))
    .with_ops_routes(OpsRoutes::default())
}

/// A `POST` to the session endpoint, as JSON from a same-origin page.
pub fn session() -> axum::http::request::Builder {
    request(
        "POST",
        &[
            ("content-type", "application/json"),
            ("sec-fetch-site", "same-origin"),
        ],
    )
}

/// A request to the session endpoint with exactly these headers (and `Host`).
pub fn request(method: &str, headers: &[(&str, &str)]) -> axum::http::request::Builder {
    let mut builder = Request::builder()
        .method(method)
        .uri("/api/moments/session")
        .header("host", "app.test");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder
}

/// An answer, read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl Answer {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    /// `error.code` of an error answer.
    pub fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Sends `request` with `body` through `app`, without a socket.
pub async fn call(app: &Router, request: axum::http::request::Builder, body: &str) -> Answer {
    let response = app
        .clone()
        .oneshot(request.body(Body::from(body.to_owned())).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        headers,
        text: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// A port nothing listens on (bound, then released).
pub fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// The value of a Prometheus sample line, e.g. `metric(text, "x_total{a=\"b\"}")`.
pub fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}
