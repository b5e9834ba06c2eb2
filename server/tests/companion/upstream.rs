//! Every way Infobip can fail, from the stub on a real socket: each fault gets its
//! code, status and `Retry-After`, and the retries it gets are counted and bounded.

use crate::stub::{Reply, Stub};
use crate::support::{Answer, bounded, call, closed_port_url, config, fresh_key, metric, session};
use axum::http::Request;
use moments_par::router;
use std::time::{Duration, Instant};

const CLASSIC_401: &str = r#"{"requestError":{"serviceException":{"messageId":"UNAUTHORIZED","text":"Invalid login details"}}}"#;
const MODERN_400: &str = r#"{"errorCode":"E400","description":"Unknown embedding_id","action":"Check the id","violations":[{"property":"embedding_id","violation":"unknown"}]}"#;

/// One session request against a stub answering `reply` (after `first`, if any).
async fn against(first: &[Reply], reply: Reply) -> (Answer, usize, Duration) {
    let stub = Stub::start(reply).await;
    stub.then(first.iter().cloned());
    let app = router(config(&stub.url, &fresh_key())).unwrap();
    let started = Instant::now();
    let answer = call(&app, session(), "{}").await;
    let took = started.elapsed();
    let calls = stub.calls();
    stub.shutdown().await;
    (answer, calls, took)
}

fn assert_error(answer: &Answer, status: u16, code: &str, retryable: bool) {
    assert_eq!(answer.status.as_u16(), status, "{}", answer.text);
    assert_eq!(answer.code(), code, "{}", answer.text);
    assert_eq!(answer.json()["error"]["retryable"], retryable);
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    for leak in [
        "Invalid login",
        "E400",
        "status 5",
        "stub-",
        "127.0.0.1",
        "timed out",
    ] {
        assert!(
            !answer.text.contains(leak),
            "`{leak}` leaked into {}",
            answer.text
        );
    }
}

#[tokio::test]
async fn outages_are_retried_three_times_then_unavailable() {
    bounded(async {
        let (answer, calls, _) = against(&[], Reply::Status(500, r#"{"oops":true}"#)).await;
        assert_error(&answer, 503, "upstream_unavailable", true);
        assert_eq!(calls, 3, "5xx: three attempts in all");

        let (answer, calls, took) = against(&[], Reply::Hang(Duration::from_secs(5))).await;
        assert_error(&answer, 503, "upstream_unavailable", true);
        assert_eq!(calls, 3, "timeouts: three attempts");
        assert!(
            took < Duration::from_secs(2),
            "3 × 300 ms and short backoffs: {took:?}"
        );

        let (answer, calls, took) = against(&[], Reply::SlowBody(Duration::from_secs(5))).await;
        assert_error(&answer, 503, "upstream_unavailable", true);
        assert_eq!(calls, 3, "a slow body is a timeout, not a hang");
        assert!(took < Duration::from_secs(2), "{took:?}");
    })
    .await;
}

#[tokio::test]
async fn a_blip_is_absorbed_by_a_retry() {
    bounded(async {
        let (answer, calls, _) = against(
            &[Reply::Status(502, "<html>Bad Gateway</html>")],
            Reply::Grant,
        )
        .await;
        assert_eq!(answer.status.as_u16(), 200, "{}", answer.text);
        assert_eq!(
            answer.json()["request_uri"],
            "urn:ietf:params:oauth:request_uri:stub-2"
        );
        assert_eq!(calls, 2);
    })
    .await;
}

#[tokio::test]
async fn throttling_honours_retry_after_up_to_the_cap() {
    bounded(async {
        // Longer than we wait ourselves (200 ms cap in tests): passed to the browser at once.
        let (answer, calls, _) = against(&[], Reply::TooMany(Some("7"))).await;
        assert_error(&answer, 503, "upstream_rate_limited", true);
        assert_eq!(answer.header("retry-after"), Some("7"));
        assert_eq!(calls, 1, "no retry into a 7 s wait");

        // Short enough to wait out: retried, then passed on.
        let (answer, calls, _) = against(&[], Reply::TooMany(Some("0"))).await;
        assert_error(&answer, 503, "upstream_rate_limited", true);
        assert_eq!(calls, 3);

        // No Retry-After: our own backoff.
        let (answer, calls, _) = against(&[Reply::TooMany(None)], Reply::Grant).await;
        assert_eq!(answer.status.as_u16(), 200, "{}", answer.text);
        assert_eq!(calls, 2);
    })
    .await;
}

#[tokio::test]
async fn unusable_answers_are_bad_responses_and_not_retried() {
    bounded(async {
        for (what, reply) in [
            ("malformed JSON", Reply::Status(201, "{\"request_uri\":")),
            ("no request_uri", Reply::Status(201, r#"{"expires_in":60}"#)),
            (
                "empty request_uri",
                Reply::Status(200, r#"{"request_uri":""}"#),
            ),
            (
                "expires_in 0",
                Reply::Status(201, r#"{"request_uri":"u","expires_in":0}"#),
            ),
            ("a redirect", Reply::Status(301, "{}")),
        ] {
            let (answer, calls, _) = against(&[], reply).await;
            assert_error(&answer, 502, "upstream_bad_response", true);
            assert_eq!(calls, 1, "{what}: not retried");
        }
        let (answer, _, _) = against(&[], Reply::GrantWithoutExpiry).await;
        assert_eq!(answer.json()["expires_in"], 60, "a conservative default");
    })
    .await;
}

#[tokio::test]
async fn refusals_are_not_retried_and_keep_infobips_words_out_of_the_answer() {
    bounded(async {
        let (answer, calls, _) = against(&[], Reply::Status(401, CLASSIC_401)).await;
        assert_error(&answer, 502, "upstream_auth", false);
        assert_eq!(calls, 1);
        let (answer, calls, _) = against(&[], Reply::Status(403, CLASSIC_401)).await;
        assert_error(&answer, 502, "upstream_auth", false);
        assert_eq!(calls, 1);
        let (answer, calls, _) = against(&[], Reply::Status(400, MODERN_400)).await;
        assert_error(&answer, 502, "upstream_rejected", false);
        assert_eq!(calls, 1);
    })
    .await;
}

#[tokio::test]
async fn connection_refused_is_retried_then_unavailable() {
    bounded(async {
        let app = router(config(&closed_port_url(), &fresh_key())).unwrap();
        let answer = call(&app, session(), "{}").await;
        assert_error(&answer, 503, "upstream_unavailable", true);
        let metrics = call(&app, Request::get("/metrics"), "").await.text;
        assert_eq!(
            metric(
                &metrics,
                "moments_par_upstream_attempts_total{outcome=\"unavailable\"}"
            ),
            Some(3.0),
            "three connection attempts"
        );
    })
    .await;
}

#[tokio::test]
async fn the_deadline_bounds_retries_and_their_backoff() {
    bounded(async {
        let stub = Stub::start(Reply::Hang(Duration::from_secs(5))).await;
        // Each attempt could take 2 s; the deadline allows 400 ms for all of them.
        let mut config =
            config(&stub.url, &fresh_key()).with_upstream_deadline(Duration::from_millis(400));
        config.par.request_timeout = Duration::from_secs(2);
        let app = router(config).unwrap();
        let started = Instant::now();
        let answer = call(&app, session(), "{}").await;
        let took = started.elapsed();
        assert_error(&answer, 503, "upstream_unavailable", true);
        assert!(
            took >= Duration::from_millis(400) && took < Duration::from_millis(1500),
            "cut at the 400 ms deadline, not after a 2 s attempt: {took:?}"
        );
        assert_eq!(stub.calls(), 1, "no attempt starts after the deadline");
        stub.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn one_pooled_connection_serves_many_sessions() {
    bounded(async {
        let stub = Stub::start(Reply::Grant).await;
        let app = router(config(&stub.url, &fresh_key())).unwrap();
        for _ in 0..20 {
            assert_eq!(call(&app, session(), "{}").await.status.as_u16(), 200);
        }
        assert_eq!(stub.calls(), 20);
        assert_eq!(
            stub.connections(),
            1,
            "keep-alive: one connection for 20 calls"
        );
        stub.shutdown().await;
    })
    .await;
}
