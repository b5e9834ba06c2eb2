//! What Infobip's failures look like from the page: outages are retried until ready,
//! a refused key is a clear error without a retry storm, and a session that ends inside
//! the frame is replaced by a fresh one.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use fantoccini::Locator;
use moments_e2e::{Engine, Session, Site, run_in};
use serde_json::json;
use std::time::Duration;

moments_e2e::in_both_engines!(
    an_outage_longer_than_the_companions_retries_is_retried_by_the_component
);

async fn an_outage_longer_than_the_companions_retries_is_retried_by_the_component(engine: Engine) {
    run_in(engine, Site::Demo, |s: Session| async move {
        // The companion tries 3 times per request: 4 failures reach the browser once.
        s.sandbox_admin(
            "/__sandbox/faults",
            json!({ "count": 4, "fault": "status", "status": 503 }),
        )
        .await;
        s.browser.goto(&s.url).await.unwrap();
        s.wait_for_state("ready", Duration::from_secs(30)).await;
        let log = s.event_log().await;
        assert!(
            log.contains("error (http)"),
            "the page saw the outage: {log}"
        );
        let stats = s.sandbox_stats().await;
        assert_eq!(
            stats.par_calls, 5,
            "3 companion attempts, then 2 on the component's retry: {stats:?}"
        );
        assert_eq!(stats.authorize_ok, 1, "{stats:?}");
    })
    .await;
}

moments_e2e::in_both_engines!(
    a_refused_key_is_a_clear_error_without_a_retry_storm_and_retry_works_after
);

async fn a_refused_key_is_a_clear_error_without_a_retry_storm_and_retry_works_after(
    engine: Engine,
) {
    run_in(engine, Site::Demo, |s: Session| async move {
        s.sandbox_admin(
            "/__sandbox/faults",
            json!({ "count": 1, "fault": "status", "status": 401 }),
        )
        .await;
        s.browser.goto(&s.url).await.unwrap();
        s.wait_for_state("error", Duration::from_secs(15)).await;
        let message = s
            .browser
            .find(Locator::Css(".moments-embed__message"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(message.contains("credentials were refused"), "{message}");
        assert!(
            s.browser
                .find(Locator::Css(".moments-embed__next"))
                .await
                .is_err(),
            "no automatic retry"
        );
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert_eq!(s.sandbox_stats().await.par_calls, 1, "no retry storm");

        // The fault is spent (as a fixed key would be): Retry now succeeds.
        s.browser
            .find(Locator::Css(".moments-embed__retry"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        s.wait_for_state("ready", Duration::from_secs(15)).await;
        assert_eq!(s.sandbox_stats().await.par_calls, 2);
    })
    .await;
}

moments_e2e::in_both_engines!(a_session_that_ends_inside_the_frame_is_replaced_by_a_fresh_one);

async fn a_session_that_ends_inside_the_frame_is_replaced_by_a_fresh_one(engine: Engine) {
    run_in(engine, Site::Demo, |s: Session| async move {
        // A page before the host's, for Back to return to (a browser may replace its
        // first, blank entry rather than keep it).
        let before = format!("{}/__sandbox/stats", s.sandbox_url);
        s.browser.goto(&before).await.unwrap();
        s.browser.goto(&s.url).await.unwrap();
        s.wait_for_state("ready", Duration::from_secs(20)).await;
        let first = s.frame_src().await.expect("a frame with a src");
        let entries = history_length(&s).await;

        s.sandbox_admin("/__sandbox/sessions/expire", json!({}))
            .await;
        let second = s.next_frame_src(&first).await;
        s.wait_for_state("ready", Duration::from_secs(15)).await;
        let stats = s.sandbox_stats().await;
        assert_eq!(stats.authorize_ok, 2, "{stats:?}");
        assert_eq!(
            stats.rejected.reused + stats.rejected.expired,
            0,
            "{stats:?}"
        );
        let log = s.event_log().await;
        assert!(log.contains("refreshing"), "{log}");

        // The demo's "Reload the component": `reload()`, a third frame.
        s.reload_component().await;
        s.next_frame_src(&second).await;
        s.wait_for_state("ready", Duration::from_secs(15)).await;
        assert_eq!(s.sandbox_stats().await.authorize_ok, 3);

        // Never in history: neither the refresh nor the reload added an entry, so Back
        // leaves the page (it does not take a frame back to a spent request_uri).
        assert_eq!(
            history_length(&s).await,
            entries,
            "the frames' navigations added no history entry"
        );
        s.browser.execute("history.back();", vec![]).await.unwrap();
        let mut url = String::new();
        for _ in 0..100 {
            url = s.browser.current_url().await.unwrap().to_string();
            if url == before {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(url, before, "Back left the host page for the one before it");
        let stats = s.sandbox_stats().await;
        assert_eq!(
            (stats.authorize_ok, stats.rejected.reused),
            (3, 0),
            "Back presented no request_uri again: {stats:?}"
        );
    })
    .await;
}

/// The top-level `history.length`.
async fn history_length(s: &Session) -> u64 {
    let length = s
        .browser
        .execute("return history.length;", vec![])
        .await
        .unwrap();
    length.as_u64().expect("a number")
}
