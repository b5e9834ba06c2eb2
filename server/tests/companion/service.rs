//! `SessionService`, the one path to a session: called directly (as a Leptos server
//! function does) it makes the REST endpoint's checks, shares the endpoint's limits, and
//! its refusals convert to a `SessionFailure` that keeps code, retryability and
//! Retry-After.

use crate::stub::{Reply, Stub};
use crate::support::{bounded, call, config, fresh_key, session};
use axum::extract::ConnectInfo;
use axum::http::Request;
use moments_par::{RateLimit, SessionFailure, SessionService};
use moments_protocol::{ErrorCode, SessionRequest};
use std::net::SocketAddr;
use std::time::Duration;

/// The browser's address, as `into_make_service_with_connect_info` records it.
const PEER: ConnectInfo<SocketAddr> = ConnectInfo(SocketAddr::new(
    std::net::IpAddr::V4(std::net::Ipv4Addr::new(203, 0, 113, 7)),
    50_000,
));

/// The parts of a request the way a server function sees them (`leptos_axum::extract`).
fn parts(headers: &[(&str, &str)]) -> http::request::Parts {
    let mut builder = Request::builder()
        .method("POST")
        .uri("/api/moments_session")
        .header("host", "app.test")
        .extension(PEER);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(()).unwrap().into_parts().0
}

fn asked(embedding: Option<&str>) -> SessionRequest {
    SessionRequest {
        embedding: embedding.map(str::to_owned),
    }
}

#[tokio::test]
async fn a_server_function_gets_the_endpoints_checks_and_its_grant() {
    bounded(async {
        let stub = Stub::start(Reply::Grant).await;
        let service = SessionService::new(config(&stub.url, &fresh_key())).unwrap();
        let same_origin = parts(&[("sec-fetch-site", "same-origin")]);

        let grant = service.create(&same_origin, asked(None)).await.unwrap();
        assert!(
            grant
                .request_uri
                .starts_with("urn:ietf:params:oauth:request_uri:stub-")
        );
        assert!(
            grant
                .iframe_url
                .starts_with("https://frames.test/authorize?request_uri=")
        );
        assert_eq!(stub.calls(), 1);

        let cross_site = parts(&[
            ("sec-fetch-site", "cross-site"),
            ("origin", "https://evil.example"),
        ]);
        let refused = service.create(&cross_site, asked(None)).await.unwrap_err();
        assert_eq!(
            refused.code,
            ErrorCode::Forbidden,
            "the origin check (CSRF)"
        );

        let unknown = service
            .create(&same_origin, asked(Some("reminders")))
            .await
            .unwrap_err();
        assert_eq!(unknown.code, ErrorCode::UnknownEmbedding, "the allowlist");
        assert_eq!(stub.calls(), 1, "no refusal reached Infobip");
        stub.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn the_endpoint_and_a_server_function_share_one_rate_limit() {
    bounded(async {
        let stub = Stub::start(Reply::Grant).await;
        let limit = RateLimit::per_minute(60).with_burst(2);
        let service =
            SessionService::new(config(&stub.url, &fresh_key()).with_rate_limit(Some(limit)))
                .unwrap();
        let app = service.router();
        // The burst (2) spent on the REST endpoint...
        for _ in 0..2 {
            let answer = call(&app, session().extension(PEER), "{}").await;
            assert_eq!(answer.status, 200, "{}", answer.text);
        }
        // ...leaves nothing for the server function from the same client.
        let limited = service
            .create(&parts(&[("sec-fetch-site", "same-origin")]), asked(None))
            .await
            .unwrap_err();
        assert_eq!(limited.code, ErrorCode::RateLimited);
        let failure = SessionFailure::from(limited);
        assert_eq!(failure.status(), 429);
        assert!(failure.error.retryable);
        let wait = failure.retry_after_secs.expect("a Retry-After");
        assert!(
            (1..=2).contains(&wait),
            "one token a second, rounded up: {wait}"
        );
        assert_eq!(stub.calls(), 2);
        stub.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn upstream_refusals_convert_whole() {
    bounded(async {
        let stub = Stub::start(Reply::Status(401, r#"{"errorCode":"E401"}"#)).await;
        let service = SessionService::new(
            config(&stub.url, &fresh_key()).with_upstream_deadline(Duration::from_secs(2)),
        )
        .unwrap();
        let error = service
            .create(&parts(&[("sec-fetch-site", "same-origin")]), asked(None))
            .await
            .unwrap_err();
        let failure = SessionFailure::from(error);
        assert_eq!(failure.error.code, ErrorCode::UpstreamAuth);
        assert_eq!(failure.status(), 502);
        assert!(!failure.error.retryable, "a refused key is not retried");
        assert!(
            failure.error.message.contains("credentials"),
            "{}",
            failure.error.message
        );
        stub.shutdown().await;
    })
    .await;
}
