//! A silent frame: one that posts nothing at all to the host page, as the real Infobip
//! frame may (what it posts is not documented). The component must still be ready on the
//! frame's `load`, never time out waiting for a message, spend one request_uri per mount,
//! hold the height it documents for a frame that reports none, and reload.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use fantoccini::Locator;
use moments_e2e::{Engine, Session, Site, run_in};
use serde_json::json;
use std::time::Duration;

/// `moments_embed::DEFAULT_MIN_HEIGHT`: the documented height of a silent frame.
const SILENT_FRAME_HEIGHT: f64 = 640.0;

/// The component's default `ready_timeout`, plus a margin: long enough that a frame that
/// was waiting for a ready message would have been declared an error.
const PAST_THE_READY_TIMEOUT: Duration = Duration::from_secs(22);

moments_e2e::in_both_engines!(a_silent_frame_is_ready_on_load_at_its_documented_height_and_reloads);

async fn a_silent_frame_is_ready_on_load_at_its_documented_height_and_reloads(engine: Engine) {
    run_in(engine, Site::Demo, |s: Session| async move {
        s.sandbox_admin("/__sandbox/settings", json!({ "silent_frame": true }))
            .await;
        s.browser.goto(&s.url).await.unwrap();
        s.wait_for_state("ready", Duration::from_secs(20)).await;
        let first = s.frame_src().await.expect("a frame");
        assert_eq!(s.frame_height().await, Some(SILENT_FRAME_HEIGHT));

        // The frame really is silent: the wizard is there, and the host heard nothing.
        assert_eq!(s.wizard_heading().await, "Use-case templates");
        let log = s.event_log().await;
        assert!(!log.contains("resized"), "no resize was reported: {log}");
        assert!(
            !log.contains("frame:"),
            "no frame event was reported: {log}"
        );

        // Past the ready timeout, still ready.
        let deadline = tokio::time::Instant::now() + PAST_THE_READY_TIMEOUT;
        while tokio::time::Instant::now() < deadline {
            let state = s
                .browser
                .find(Locator::Css(".moments-embed"))
                .await
                .unwrap()
                .attr("data-state")
                .await
                .unwrap();
            assert_eq!(state.as_deref(), Some("ready"), "no ready-timeout error");
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        let stats = s.sandbox_stats().await;
        assert_eq!(
            (stats.par_issued, stats.authorize_ok),
            (1, 1),
            "one request_uri for the mount: {stats:?}"
        );

        // reload(): a fresh request_uri in a fresh frame, still at the silent height.
        s.reload_component().await;
        s.next_frame_src(&first).await;
        s.wait_for_state("ready", Duration::from_secs(20)).await;
        assert_eq!(s.frame_height().await, Some(SILENT_FRAME_HEIGHT));
        let stats = s.sandbox_stats().await;
        assert_eq!(
            (stats.par_issued, stats.authorize_ok),
            (2, 2),
            "the reload spent exactly one more: {stats:?}"
        );
    })
    .await;
}
