//! The host's backend goes away and comes back: the component shows the outage and
//! recovers by itself, without a page reload; the demo page says what is down and the
//! command that starts it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use fantoccini::Locator;
use moments_e2e::{Engine, Session, Site, run_in};
use std::time::Duration;

moments_e2e::in_both_engines!(backend_down_is_an_error_and_back_up_recovers);

async fn backend_down_is_an_error_and_back_up_recovers(engine: Engine) {
    run_in(engine, Site::Demo, |s: Session| async move {
        s.browser.goto(&s.url).await.unwrap();
        s.wait_for_state("ready", Duration::from_secs(20)).await;
        let before = s.frame_src().await.expect("a frame with a src");

        s.stop_backend().await;
        // The demo's "Reload the component" asks for a fresh session: it cannot get one.
        s.reload_component().await;
        let (kind, retries) = s.wait_for_error_view(Duration::from_secs(10)).await;
        assert_eq!(kind, "network", "an unreachable backend is a network error");
        assert!(retries, "a network error is retried by itself");
        let notice = s
            .browser
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css("[data-companion=down]"))
            .await
            .expect("the demo says the companion is down");
        let text = notice.text().await.unwrap();
        assert!(
            text.contains("cargo run -p moments-par --features sandbox -- --sandbox"),
            "with the command that starts it: {text}"
        );

        s.start_backend().await;
        s.wait_for_state("ready", Duration::from_secs(30)).await;
        // The page asks every 2 s: the notice goes at its next look.
        let mut notice_gone = false;
        for _ in 0..50 {
            if s.browser
                .find(Locator::Css("[data-companion=down]"))
                .await
                .is_err()
            {
                notice_gone = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(notice_gone, "the notice goes once the companion answers");
        let after = s.frame_src().await.expect("a frame with a src");
        assert!(after.contains("request_uri="), "{after}");
        assert_ne!(
            after, before,
            "recovered with a fresh request_uri, not the pre-outage frame"
        );
        // The restarted companion brought a fresh sandbox: it minted and opened exactly
        // one request_uri, the frame's new one.
        let stats = s.sandbox_stats().await;
        assert_eq!(
            (stats.par_issued, stats.authorize_ok),
            (1, 1),
            "the frame after the outage is a new session: {stats:?}"
        );
    })
    .await;
}
