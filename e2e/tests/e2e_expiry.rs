//! Expiry: a lazy component just below the fold prefetches one URI; by the time it is
//! scrolled into view that URI is too old, so exactly one fresh one is fetched, and
//! Infobip (the sandbox) never sees an expired or reused URI.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use moments_e2e::{Engine, Session, Site, run_in};
use serde_json::json;
use std::time::Duration;

moments_e2e::in_both_engines!(
    a_prefetched_uri_that_expired_off_screen_is_replaced_by_exactly_one_fresh_one
);

async fn a_prefetched_uri_that_expired_off_screen_is_replaced_by_exactly_one_fresh_one(
    engine: Engine,
) {
    run_in(engine, Site::Demo, |s: Session| async move {
        s.sandbox_admin("/__sandbox/settings", json!({ "request_uri_ttl_secs": 3 }))
            .await;
        // A short window: the component starts below the fold, inside the 300 px
        // prefetch margin, so it fetches ahead but does not navigate.
        s.browser.set_window_size(1280, 160).await.unwrap();
        s.browser.goto(&s.url).await.unwrap();
        let prefetched = async {
            for _ in 0..100 {
                if s.sandbox_stats().await.par_issued == 1 {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            panic!("no prefetch");
        };
        prefetched.await;
        let frames = s
            .browser
            .execute(
                "return document.querySelectorAll('iframe.moments-embed__frame').length",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(frames, json!(0), "off screen: fetched ahead, not shown");

        // 3 s lifetime, 1.5 s margin: after 2.5 s the held URI must not be presented.
        tokio::time::sleep(Duration::from_millis(2500)).await;
        s.browser
            .execute(
                "document.querySelector('.moments-embed').scrollIntoView()",
                vec![],
            )
            .await
            .unwrap();
        s.wait_for_state("ready", Duration::from_secs(15)).await;

        let stats = s.sandbox_stats().await;
        assert_eq!(
            stats.par_calls, 2,
            "exactly one fresh fetch after the prefetch: {stats:?}"
        );
        assert_eq!(stats.authorize_ok, 1, "{stats:?}");
        assert_eq!(
            (
                stats.rejected.expired,
                stats.rejected.reused,
                stats.rejected.unknown
            ),
            (0, 0, 0),
            "Infobip never saw an expired or reused URI: {stats:?}"
        );
    })
    .await;
}
