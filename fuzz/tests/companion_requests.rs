//! The companion against generated requests: the body parser alone, and the whole
//! router (method, path, content type, origin headers, body) through `oneshot`.
//! Never a panic, never a 500, never the key in an answer, and every error answer is
//! one of ours with the status its code is defined with.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use axum::body::Body;
use http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use moments_fuzz::{any_json, check, hostile_string};
use moments_par::{
    Config, EmbeddingId, Embeddings, ParClientConfig, RetryPolicy, parse_session_request, router,
};
use moments_protocol::ErrorCode;
use proptest::prelude::*;
use serde_json::{Value, json};
use std::net::TcpListener;
use std::sync::LazyLock;
use std::time::Duration;
use tower::ServiceExt;

const KEY: &str = "fuzz-secret-key-that-must-never-be-echoed";

/// A port nobody listens on: a request that passes every check reaches "Infobip" and is
/// refused at once, so the fuzzer also walks the upstream-failure path without waiting.
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

static APP: LazyLock<axum::Router> = LazyLock::new(|| {
    let par = ParClientConfig {
        base_url: format!("http://127.0.0.1:{}", closed_port())
            .parse()
            .expect("URL"),
        api_key: KEY.into(),
        iframe_base_url: "https://embeddings.infobip.com".parse().expect("URL"),
        connect_timeout: Duration::from_millis(200),
        request_timeout: Duration::from_millis(200),
        retry: RetryPolicy {
            attempts: 1,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(1),
        },
    };
    let embeddings = Embeddings::single(EmbeddingId::Number(42));
    router(Config::new(par, embeddings).with_rate_limit(None)).expect("a valid configuration")
});

static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
});

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => prop_oneof![
            Just(json!({})),
            hostile_string().prop_map(|name| json!({ "embedding": name })),
            any_json().prop_map(|v| json!({ "embedding": v })),
            (hostile_string(), any_json()).prop_map(|(k, v)| json!({ k: v })),
            prop::sample::select(vec!["application_id", "entity_id", "embedding_id"])
                .prop_map(|k| json!({ k: "another-tenant" })),
            any_json(),
        ]
        .prop_map(|v| v.to_string().into_bytes()),
        1 => prop::collection::vec(any::<u8>(), 0..64),
        1 => Just(vec![b' '; 5000]),
    ]
}

/// A header: mostly the value that passes (so the checks behind it run too), sometimes
/// absent, a plausible wrong value, or noise.
fn header(
    valid: &'static str,
    wrong: &'static [&'static str],
) -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        6 => Just(Some(valid.to_owned())),
        1 => Just(None),
        2 => prop::sample::select(wrong).prop_map(|s| Some(s.to_owned())),
        1 => "[ -~]{0,30}".prop_map(Some),
    ]
}

#[test]
fn the_body_parser_accepts_exactly_the_documented_shape() {
    check("session request bodies", body(), |body| {
        match parse_session_request(&body) {
            Ok(asked) => {
                let value: Value = serde_json::from_slice(&body).expect("accepted bodies are JSON");
                let object = value.as_object().expect("accepted bodies are objects");
                prop_assert!(object.keys().all(|k| k == "embedding"), "{:?}", object);
                prop_assert_eq!(
                    asked.embedding.as_deref(),
                    object.get("embedding").and_then(Value::as_str)
                );
            }
            Err(error) => {
                prop_assert_eq!(error.code, ErrorCode::BadRequest);
                prop_assert!(!error.message.is_empty());
            }
        }
        Ok(())
    });
}

#[test]
fn valid_bodies_are_accepted_as_sent() {
    check(
        "valid session request bodies",
        prop::option::of("[a-z][a-z0-9_-]{0,30}"),
        |name| {
            let body = match &name {
                None => json!({}),
                Some(name) => json!({ "embedding": name }),
            };
            let asked = parse_session_request(body.to_string().as_bytes())
                .map_err(|e| TestCaseError::fail(e.message))?;
            prop_assert_eq!(asked.embedding, name);
            Ok(())
        },
    );
}

#[test]
fn the_router_answers_every_request_with_one_of_our_answers() {
    let request = (
        prop::bool::weighted(0.85),
        prop_oneof![9 => Just("/api/moments/session".to_owned()), 1 => "/[a-z/]{0,20}"],
        header(
            "application/json",
            &[
                "application/json; charset=utf-8",
                "APPLICATION/JSON",
                "text/plain",
                "application/x-www-form-urlencoded",
            ],
        ),
        header(
            "http://127.0.0.1:8787",
            &["https://evil.example", "null", "http://127.0.0.1:8788"],
        ),
        header("same-origin", &["same-site", "cross-site", "none"]),
        body(),
    );
    check(
        "router requests",
        request,
        |(post, path, content_type, origin, fetch_site, body)| {
            let mut request = Request::builder()
                .method(if post { Method::POST } else { Method::PUT })
                .uri(path.as_str())
                .header("host", "127.0.0.1:8787");
            for (name, value) in [
                ("content-type", &content_type),
                ("origin", &origin),
                ("sec-fetch-site", &fetch_site),
            ] {
                if let Some(value) = value {
                    request = request.header(name, value.as_str());
                }
            }
            let Ok(request) = request.body(Body::from(body)) else {
                return Ok(()); // a header value http itself refuses never reaches a server
            };
            let (status, text) = RUNTIME.block_on(async {
                let response = APP.clone().oneshot(request).await.expect("infallible");
                let status = response.status();
                let bytes = response
                    .into_body()
                    .collect()
                    .await
                    .expect("a body")
                    .to_bytes();
                (status, String::from_utf8_lossy(&bytes).into_owned())
            });
            prop_assert!(!text.contains(KEY), "the key in an answer: {}", text);
            prop_assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR, "{}", text);
            prop_assert_ne!(status, StatusCode::OK, "the upstream is closed: {}", text);
            if path == "/api/moments/session" {
                let answer: Value = serde_json::from_str(&text).expect("an error body of ours");
                let code = answer["error"]["code"]
                    .as_str()
                    .and_then(ErrorCode::from_wire)
                    .expect("a known code");
                prop_assert_eq!(status.as_u16(), code.status(), "{}", text);
                prop_assert!(
                    answer["error"]["message"]
                        .as_str()
                        .is_some_and(|m| !m.is_empty())
                );
            } else {
                prop_assert!(status.is_client_error(), "{}: {}", status, text);
            }
            Ok(())
        },
    );
}
