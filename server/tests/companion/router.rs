//! The router without a socket (`oneshot`): the happy path, every bad input with its
//! 4xx and code and no upstream call, a bug answered as a bug, configuration mistakes.

use crate::stub::{Reply, Stub};
use crate::support::{bounded, call, config, fresh_key, request, session};
use axum::http::StatusCode;
use moments_par::{RateLimit, Tenant, TenantRejection, TenantResolver, UpstreamLimit, router};

#[tokio::test]
async fn the_happy_path_mints_a_grant_that_is_never_cached() {
    bounded(async {
        let stub = Stub::start(Reply::Grant).await;
        let key = fresh_key();
        let app = router(config(&stub.url, &key)).unwrap();

        let answer = call(&app, session(), "{}").await;

        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
        let grant = answer.json();
        assert_eq!(grant["request_uri"], "urn:ietf:params:oauth:request_uri:stub-1");
        assert_eq!(grant["expires_in"], 60);
        assert_eq!(
            grant["iframe_url"],
            "https://frames.test/authorize?request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Astub-1"
        );
        assert_eq!(answer.header("cache-control"), Some("no-store"));
        assert_eq!(answer.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(answer.header("x-request-id").map(str::len), Some(24));

        let (headers, body) = stub.last_request().unwrap();
        assert_eq!(headers["authorization"], format!("App {key}").as_str());
        assert_eq!(headers["content-type"], "application/json");
        let agent = headers["user-agent"].to_str().unwrap();
        assert!(agent.starts_with("moments-par/0.1.0 (+"), "{agent}");
        let sent: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            sent,
            serde_json::json!({"embedding_id": 42, "scopes": ["flow:manage", "flow:read", "flow:use"]})
        );
        assert_eq!(stub.calls(), 1);
        stub.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn every_bad_input_gets_its_own_4xx_and_never_reaches_infobip() {
    bounded(async {
        let stub = Stub::start(Reply::Grant).await;
        let app = router(config(&stub.url, &fresh_key())).unwrap();
        const JSON: (&str, &str) = ("content-type", "application/json");
        const SAME: (&str, &str) = ("sec-fetch-site", "same-origin");
        let json = || request("POST", &[JSON, SAME]);
        let cases = [
            (
                "GET",
                request("GET", &[SAME]),
                "",
                405,
                "method_not_allowed",
            ),
            (
                "PUT",
                request("PUT", &[JSON, SAME]),
                "{}",
                405,
                "method_not_allowed",
            ),
            (
                "text/plain",
                request("POST", &[("content-type", "text/plain"), SAME]),
                "{}",
                415,
                "unsupported_media_type",
            ),
            (
                "form",
                request(
                    "POST",
                    &[("content-type", "application/x-www-form-urlencoded"), SAME],
                ),
                "embedding=x",
                415,
                "unsupported_media_type",
            ),
            (
                "no content type",
                request("POST", &[SAME]),
                "{}",
                415,
                "unsupported_media_type",
            ),
            ("malformed JSON", json(), "{", 400, "bad_request"),
            ("empty body", json(), "", 400, "bad_request"),
            ("not an object", json(), "[]", 400, "bad_request"),
            (
                "unknown field",
                json(),
                r#"{"embeding":"x"}"#,
                400,
                "bad_request",
            ),
            (
                "unknown embedding",
                json(),
                r#"{"embedding":"nope"}"#,
                400,
                "unknown_embedding",
            ),
            (
                "tenant field",
                json(),
                r#"{"entity_id":"someone-else"}"#,
                400,
                "bad_request",
            ),
            (
                "embedding id",
                json(),
                r#"{"embedding_id":1}"#,
                400,
                "bad_request",
            ),
            (
                "cross-site page",
                request(
                    "POST",
                    &[
                        JSON,
                        ("sec-fetch-site", "cross-site"),
                        ("origin", "https://evil.test"),
                    ],
                ),
                "{}",
                403,
                "forbidden",
            ),
            (
                "older browser, other origin",
                request("POST", &[JSON, ("origin", "https://evil.test")]),
                "{}",
                403,
                "forbidden",
            ),
        ];
        let oversized = format!(r#"{{"embedding":"{}"}}"#, "x".repeat(5000));
        let mut all = cases.into_iter().collect::<Vec<_>>();
        all.push((
            "oversized",
            json(),
            oversized.as_str(),
            413,
            "payload_too_large",
        ));
        for (what, request, body, status, code) in all {
            let answer = call(&app, request, body).await;
            assert_eq!(answer.status.as_u16(), status, "{what}: {}", answer.text);
            assert_eq!(answer.code(), code, "{what}");
            let error = &answer.json()["error"];
            assert_eq!(error["retryable"], false, "{what}");
            assert!(
                error["message"].as_str().unwrap().len() > 20,
                "{what}: a sentence"
            );
            assert_eq!(answer.header("cache-control"), Some("no-store"), "{what}");
            if status == 405 {
                assert_eq!(answer.header("allow"), Some("POST"), "{what}");
            }
        }
        assert_eq!(stub.calls(), 0, "no bad input reaches Infobip");
        assert_eq!(stub.connections(), 0, "not even a connection");
        stub.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn a_panicking_resolver_is_a_500_internal_not_a_dropped_connection() {
    struct Broken;
    impl TenantResolver for Broken {
        fn resolve(&self, _: &http::request::Parts) -> Result<Tenant, TenantRejection> {
            panic!("a bug in the host's resolver")
        }
    }
    let app = router(config("http://127.0.0.1:9", "k").with_tenants(Broken)).unwrap();
    let answer = call(&app, session(), "{}").await;
    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(answer.code(), "internal");
    assert!(
        !answer.text.contains("a bug in"),
        "no internals: {}",
        answer.text
    );
}

#[test]
fn configuration_mistakes_say_what_to_fix() {
    let base = || config("http://127.0.0.1:9", "k");
    let cases = [
        (base().with_allowed_origins(["*"]), "scheme://host[:port]"),
        (base().with_session_path("api"), "must start with `/`"),
        (
            base().with_session_path("/metrics"),
            "also an operations path",
        ),
        (base().with_body_limit(10), "at least 64 bytes"),
        (
            base().with_rate_limit(Some(RateLimit::per_minute(0))),
            "at least 1 request",
        ),
        (
            base().with_upstream_limit(UpstreamLimit {
                concurrency: 0,
                ..UpstreamLimit::default()
            }),
            "concurrency must be at least 1",
        ),
    ];
    for (config, expected) in cases {
        let error = router(config).expect_err("refused").to_string();
        assert!(
            error.contains(expected),
            "`{error}` should say `{expected}`"
        );
    }
}
