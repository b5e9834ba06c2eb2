//! Who may ask and how often, without a socket: listed origins and CORS, tenants from
//! a trusted header, the per-client rate limit, the global upstream gate.

use crate::stub::{Reply, Stub};
use crate::support::{bounded, call, config, fresh_key, metric, par_config, request, session};
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use moments_par::{
    Config, EmbeddingAccess, EmbeddingId, Embeddings, OpsRoutes, RateLimit, RetryPolicy, Tenant,
    TrustedHeader, UpstreamLimit, router,
};
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::time::Duration;

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
        // As the binary serves it: with the peer's address.
        let peer: SocketAddr = "192.0.2.7:50000".parse().unwrap();
        let from_peer = || session().extension(ConnectInfo(peer));
        for _ in 0..2 {
            assert_eq!(call(&app, from_peer(), "{}").await.status, StatusCode::OK);
        }
        let limited = call(&app, from_peer(), "{}").await;
        assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(limited.code(), "rate_limited");
        assert_eq!(limited.json()["error"]["retryable"], true);
        let wait: u64 = limited.header("retry-after").unwrap().parse().unwrap();
        assert!((29..=30).contains(&wait), "one interval of 30 s: {wait}");
        assert_eq!(stub.calls(), 2, "the refused request cost Infobip nothing");
        // Without an address, the shared account tenant is everyone: not one bucket.
        assert_eq!(call(&app, session(), "{}").await.status, StatusCode::OK);
        assert_eq!(call(&app, session(), "{}").await.status, StatusCode::OK);
        assert_eq!(call(&app, session(), "{}").await.status, StatusCode::OK);

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
        // Usually the first gets the slot; on a busy machine it may be the second.
        let (served, refused) = if first.status == StatusCode::OK {
            (first, second)
        } else {
            (second, first)
        };
        assert_eq!(served.status, StatusCode::OK, "{}", served.text);
        assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(refused.code(), "upstream_unavailable");
        assert_eq!(refused.header("retry-after"), Some("1"));
        assert_eq!(stub.calls(), 1, "the refused one never reached Infobip");
        let metrics = call(&app, Request::get("/metrics"), "").await.text;
        assert_eq!(
            metric(&metrics, "moments_par_upstream_saturated_total"),
            Some(1.0)
        );
        stub.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slot_is_held_for_the_whole_call_retries_and_their_backoff_included() {
    bounded(async {
        let stub = Stub::start(Reply::Grant).await;
        stub.then([Reply::Status(503, "{}"), Reply::Status(503, "{}")]);
        // Backoff long enough (200 ms and up) for a second request to arrive between
        // the attempts of the first.
        let mut upstream = par_config(&stub.url, &fresh_key());
        upstream.retry = RetryPolicy {
            attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_millis(400),
        };
        let config = Config::new(upstream, Embeddings::single(EmbeddingId::Number(42)))
            .with_upstream_deadline(Duration::from_secs(5))
            .with_ops_routes(OpsRoutes::default())
            .with_upstream_limit(UpstreamLimit {
                concurrency: 1,
                queue_timeout: Duration::from_millis(50),
            });
        let app = router(config).unwrap();
        let in_flight = |app: axum::Router| async move {
            let metrics = call(&app, Request::get("/metrics"), "").await.text;
            metric(&metrics, "moments_par_upstream_in_flight").unwrap()
        };

        let first = tokio::spawn({
            let app = app.clone();
            async move { call(&app, session(), "{}").await }
        });
        // The first attempt has failed: the call is between attempts, in its backoff.
        while stub.calls() < 1 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let mut samples = vec![in_flight(app.clone()).await];
        let second = call(&app, session(), "{}").await;
        samples.push(in_flight(app.clone()).await);
        assert_eq!(
            (second.status, second.code().as_str()),
            (StatusCode::SERVICE_UNAVAILABLE, "upstream_unavailable"),
            "the slot stayed with the first call between its attempts: {}",
            second.text
        );
        assert!(
            stub.calls() < 3,
            "the second request came while the first was still retrying"
        );

        let first = first.await.unwrap();
        assert_eq!(first.status, StatusCode::OK, "{}", first.text);
        assert_eq!(
            stub.calls(),
            3,
            "503, 503, then the grant, all for the first"
        );
        samples.push(in_flight(app.clone()).await);
        assert!(
            samples.iter().all(|n| *n <= 1.0),
            "never more than the one slot in flight: {samples:?}"
        );
        assert_eq!(samples[0], 1.0, "held during the backoff: {samples:?}");
        assert_eq!(samples.last(), Some(&0.0), "and given back: {samples:?}");
        stub.shutdown().await;
    })
    .await;
}
