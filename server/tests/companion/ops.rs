//! The operations endpoints and request ids, without a socket.

use crate::stub::{Reply, Stub};
use crate::support::{
    bounded, call, closed_port_url, config, fresh_key, metric, par_config, session,
};
use axum::http::{Request, StatusCode};
use moments_par::{Config, EmbeddingId, Embeddings, router};

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

        let dead = router(config(&closed_port_url(), "k")).unwrap();
        let probed = call(&dead, Request::get("/readyz?upstream"), "").await;
        assert_eq!(probed.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            call(&dead, Request::get("/readyz"), "").await.status,
            StatusCode::OK
        );

        // Merged into someone else's app, the router adds no operations route unasked.
        let merged = router(Config::new(
            par_config("http://127.0.0.1:9", "k"),
            Embeddings::single(EmbeddingId::Number(42)),
        ))
        .unwrap();
        for path in ["/healthz", "/readyz", "/metrics"] {
            assert_eq!(
                call(&merged, Request::get(path), "").await.status,
                StatusCode::NOT_FOUND,
                "{path} is off by default"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn an_upstream_probe_is_reused_for_five_seconds() {
    bounded(async {
        let stub = Stub::start(Reply::Grant).await;
        let app = router(config(&stub.url, &fresh_key())).unwrap();
        for _ in 0..3 {
            let probed = call(&app, Request::get("/readyz?upstream"), "").await;
            assert_eq!(probed.json()["upstream"], "reachable", "{}", probed.text);
        }
        assert_eq!(
            stub.probes(),
            1,
            "three readiness checks within 5 s reached Infobip's host once"
        );
        assert_eq!(stub.calls(), 0, "and made no PAR call");
        stub.shutdown().await;
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
async fn every_answer_gets_the_shared_layers_alone_or_merged_into_a_host() {
    bounded(async {
        let stub = Stub::start(Reply::Grant).await;
        let app = router(config(&stub.url, &fresh_key())).unwrap();
        let host = axum::Router::new()
            .route("/host", axum::routing::get(|| async { "the host's own" }))
            .merge(app.clone());
        for (name, app) in [("alone", &app), ("merged", &host)] {
            for (what, request, status) in [
                ("the session", session(), StatusCode::OK),
                (
                    "another method",
                    Request::get("/api/moments/session"),
                    StatusCode::METHOD_NOT_ALLOWED,
                ),
                (
                    "an operations route",
                    Request::get("/healthz"),
                    StatusCode::OK,
                ),
                ("no route", Request::get("/nowhere"), StatusCode::NOT_FOUND),
            ] {
                let answer = call(app, request, "{}").await;
                assert_eq!(answer.status, status, "{what}, {name}: {}", answer.text);
                assert_eq!(
                    answer.header("x-request-id").map(str::len),
                    Some(24),
                    "{what}, {name}"
                );
                assert_eq!(
                    answer.header("x-content-type-options"),
                    Some("nosniff"),
                    "{what}, {name}"
                );
            }
        }
        // The host's own routes are the host's: none of the layers.
        let own = call(&host, Request::get("/host"), "").await;
        assert_eq!(own.text, "the host's own");
        assert_eq!(own.header("x-request-id"), None);
        // Each answer above was counted once, under its route.
        let text = call(&app, Request::get("/metrics"), "").await.text;
        for (series, value) in [
            (
                "moments_par_http_requests_total{route=\"/api/moments/session\",status=\"200\"}",
                2.0,
            ),
            (
                "moments_par_http_requests_total{route=\"/api/moments/session\",status=\"405\"}",
                2.0,
            ),
            (
                "moments_par_http_requests_total{route=\"/healthz\",status=\"200\"}",
                2.0,
            ),
            (
                "moments_par_http_requests_total{route=\"other\",status=\"404\"}",
                2.0,
            ),
        ] {
            assert_eq!(metric(&text, series), Some(value), "{series} in\n{text}");
        }
        stub.shutdown().await;
    })
    .await;
}
