//! The router without a socket (`oneshot`): the happy path, every bad input with its
//! 4xx and code and no upstream call, origins and CORS, tenants, the rate limit, the
//! upstream gate, the operations endpoints, request ids.

use crate::stub::{Reply, Stub};
use crate::support::{bounded, call, config, fresh_key, metric, request, session};
use axum::http::{Request, StatusCode};
use moments_par::{
    EmbeddingAccess, EmbeddingId, Embeddings, OpsRoutes, RateLimit, Tenant, TenantRejection,
    TenantResolver, TrustedHeader, UpstreamLimit, router,
};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

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
async fn listed_origins_get_cors_and_unlisted_ones_do_not() {
    bounded(async {
        let stub = Stub::start(Reply::Grant).await;
        let config = config(&stub.url, &fresh_key()).with_allowed_origins(["https://shop.test"]);
        let app = router(config).unwrap();
        let preflight = |origin: &str| {
            Request::options("/api/moments/session")
                .header("origin", origin)
                .header("access-control-request-method", "POST")
                .header(
                    "access-control-request-headers",
                    "content-type,x-csrf-token",
                )
        };

        let ok = call(&app, preflight("https://shop.test"), "").await;
        assert_eq!(ok.status, StatusCode::OK);
        assert_eq!(
            ok.header("access-control-allow-origin"),
            Some("https://shop.test")
        );
        assert_eq!(ok.header("access-control-allow-credentials"), Some("true"));
        assert_eq!(
            ok.header("access-control-allow-headers"),
            Some("content-type,x-csrf-token")
        );
        let other = call(&app, preflight("https://evil.test"), "").await;
        assert_eq!(other.header("access-control-allow-origin"), None);

        let cross = request(
            "POST",
            &[
                ("content-type", "application/json"),
                ("sec-fetch-site", "cross-site"),
                ("origin", "https://shop.test"),
            ],
        );
        let answer = call(&app, cross, "{}").await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
        assert_eq!(
            answer.header("access-control-allow-origin"),
            Some("https://shop.test")
        );
        let exposed = answer.header("access-control-expose-headers").unwrap();
        assert!(exposed.contains("retry-after"), "{exposed}");
        assert_eq!(stub.calls(), 1);

        let same_site = request(
            "POST",
            &[
                ("content-type", "application/json"),
                ("sec-fetch-site", "same-site"),
                ("origin", "https://evil.shop.test"),
            ],
        );
        assert_eq!(call(&app, same_site, "{}").await.code(), "forbidden");
        assert_eq!(stub.calls(), 1);
        stub.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn a_client_over_its_rate_gets_429_with_retry_after() {
    bounded(async {
        let stub = Stub::start(Reply::Grant).await;
        let limit = RateLimit::per_minute(2).with_burst(2);
        let app = router(config(&stub.url, &fresh_key()).with_rate_limit(Some(limit))).unwrap();
        for _ in 0..2 {
            assert_eq!(call(&app, session(), "{}").await.status, StatusCode::OK);
        }
        let limited = call(&app, session(), "{}").await;
        assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(limited.code(), "rate_limited");
        assert_eq!(limited.json()["error"]["retryable"], true);
        let wait: u64 = limited.header("retry-after").unwrap().parse().unwrap();
        assert!((29..=30).contains(&wait), "one interval of 30 s: {wait}");
        assert_eq!(stub.calls(), 2, "the refused request cost Infobip nothing");

        let metrics = call(&app, Request::get("/metrics"), "").await.text;
        assert_eq!(
            metric(&metrics, "moments_par_rate_limited_total"),
            Some(1.0)
        );
        assert_eq!(
            metric(&metrics, "moments_par_errors_total{code=\"rate_limited\"}"),
            Some(1.0)
        );
        stub.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn the_trusted_header_picks_the_tenant_and_its_embeddings() {
    bounded(async {
        let stub = Stub::start(Reply::Grant).await;
        let embeddings = Embeddings::named(
            "campaigns",
            BTreeMap::from([
                ("campaigns".to_owned(), EmbeddingId::Number(42)),
                ("reminders".to_owned(), EmbeddingId::Number(43)),
            ]),
        )
        .unwrap();
        let acme = Tenant {
            application_id: Some("platform".into()),
            entity_id: Some("acme".into()),
            embeddings: EmbeddingAccess::Only(BTreeSet::from(["campaigns".to_owned()])),
            ..Tenant::account()
        };
        let resolver = TrustedHeader::new("x-org".parse().unwrap()).with_tenant("acme", acme);
        let mut config = config(&stub.url, &fresh_key()).with_tenants(resolver);
        config.embeddings = embeddings;
        let app = router(config).unwrap();

        let nobody = call(&app, session(), "{}").await;
        assert_eq!(
            (nobody.status.as_u16(), nobody.code().as_str()),
            (401, "unauthorized")
        );
        let stranger = call(&app, session().header("x-org", "initech"), "{}").await;
        assert_eq!(
            (stranger.status.as_u16(), stranger.code().as_str()),
            (403, "forbidden")
        );
        let not_theirs = call(
            &app,
            session().header("x-org", "acme"),
            r#"{"embedding":"reminders"}"#,
        )
        .await;
        assert_eq!(
            not_theirs.code(),
            "unknown_embedding",
            "not theirs looks like not there"
        );
        assert_eq!(stub.calls(), 0);

        let theirs = call(&app, session().header("x-org", "acme"), "{}").await;
        assert_eq!(theirs.status, StatusCode::OK, "{}", theirs.text);
        let (_, body) = stub.last_request().unwrap();
        let sent: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(sent["application_id"], "platform");
        assert_eq!(sent["entity_id"], "acme");
        assert_eq!(sent["embedding_id"], 42);
        assert_eq!(stub.calls(), 1);
        stub.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn when_every_upstream_slot_is_busy_the_next_request_gets_503_soon() {
    bounded(async {
        let stub = Stub::start(Reply::Hang(Duration::from_millis(250))).await;
        let limit = UpstreamLimit {
            concurrency: 1,
            queue_timeout: Duration::from_millis(50),
        };
        let app = router(config(&stub.url, &fresh_key()).with_upstream_limit(limit)).unwrap();
        let (first, second) = tokio::join!(call(&app, session(), "{}"), async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            call(&app, session(), "{}").await
        });
        assert_eq!(first.status, StatusCode::OK, "{}", first.text);
        assert_eq!(second.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(second.code(), "upstream_unavailable");
        assert_eq!(second.header("retry-after"), Some("1"));
        assert_eq!(stub.calls(), 1, "the second never reached Infobip");
        let metrics = call(&app, Request::get("/metrics"), "").await.text;
        assert_eq!(
            metric(&metrics, "moments_par_upstream_saturated_total"),
            Some(1.0)
        );
        stub.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    bounded(async {
        let stub = Stub::start(Reply::Grant).await;
        let app = router(config(&stub.url, &fresh_key())).unwrap();
        assert_eq!(call(&app, Request::get("/healthz"), "").await.text, "ok\n");
        let ready = call(&app, Request::get("/readyz"), "").await;
        assert_eq!(ready.json()["status"], "ready");
        let probed = call(&app, Request::get("/readyz?upstream"), "").await;
        assert_eq!(probed.json()["upstream"], "reachable", "{}", probed.text);
        assert_eq!(stub.calls(), 0, "a probe is not a PAR call");

        call(&app, session(), "{}").await;
        let metrics = call(&app, Request::get("/metrics"), "").await;
        assert_eq!(
            metrics.header("content-type"),
            Some("text/plain; version=0.0.4; charset=utf-8")
        );
        let text = metrics.text;
        for (series, value) in [
            (
                "moments_par_http_requests_total{route=\"/api/moments/session\",status=\"200\"}",
                1.0,
            ),
            (
                "moments_par_http_requests_total{route=\"/healthz\",status=\"200\"}",
                1.0,
            ),
            ("moments_par_upstream_attempts_total{outcome=\"ok\"}", 1.0),
            ("moments_par_upstream_duration_seconds_count", 1.0),
            ("moments_par_session_duration_seconds_count", 1.0),
            ("moments_par_upstream_in_flight", 0.0),
        ] {
            assert_eq!(metric(&text, series), Some(value), "{series} in\n{text}");
        }
        stub.shutdown().await;

        let dead = router(config(&crate::support::closed_port_url(), "k")).unwrap();
        let probed = call(&dead, Request::get("/readyz?upstream"), "").await;
        assert_eq!(probed.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            call(&dead, Request::get("/readyz"), "").await.status,
            StatusCode::OK
        );

        let bare =
            router(config("http://127.0.0.1:9", "k").with_ops_routes(OpsRoutes::none())).unwrap();
        assert_eq!(
            call(&bare, Request::get("/healthz"), "").await.status,
            StatusCode::NOT_FOUND
        );
    })
    .await;
}

#[tokio::test]
async fn request_ids_are_kept_when_sane_and_replaced_when_not() {
    let app = router(config("http://127.0.0.1:9", "k")).unwrap();
    let kept = call(
        &app,
        Request::get("/healthz").header("x-request-id", "lb-7f3a:01"),
        "",
    )
    .await;
    assert_eq!(kept.header("x-request-id"), Some("lb-7f3a:01"));
    let forged = "a\"b} level=ERROR forged";
    let replaced = call(
        &app,
        Request::get("/healthz").header("x-request-id", forged),
        "",
    )
    .await;
    let id = replaced.header("x-request-id").unwrap();
    assert!(id != forged && id.len() == 24, "{id}");
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
