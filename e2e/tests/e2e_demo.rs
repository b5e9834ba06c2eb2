//! The demo, end to end: browser → companion → sandbox PAR → frame → sandbox wizard.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use fantoccini::Locator;
use moments_e2e::{Engine, Session, Site, run_in};
use std::time::Duration;

moments_e2e::in_both_engines!(the_demo_shows_the_sandbox_wizard_inside_the_frame);

async fn the_demo_shows_the_sandbox_wizard_inside_the_frame(engine: Engine) {
    run_in(engine, Site::Demo, move |s: Session| async move {
        s.browser.goto(&s.url).await.unwrap();
        s.wait_for_state("ready", Duration::from_secs(20)).await;

        let frame = s
            .browser
            .find(Locator::Css("iframe.moments-embed__frame"))
            .await
            .unwrap();
        let src = frame.attr("src").await.unwrap().unwrap();
        assert!(
            src.starts_with(&format!(
                "{}/authorize?request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3A",
                s.frame_url
            )),
            "the frame points at the sandbox's authorize with an escaped request_uri: {src}"
        );

        frame.enter_frame().await.unwrap();
        let banner = s
            .browser
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(".sandbox-banner"))
            .await
            .unwrap();
        assert!(
            banner.text().await.unwrap().contains("Sandbox"),
            "labelled as a simulator"
        );
        let heading = s.browser.find(Locator::Css("main h1")).await.unwrap();
        assert_eq!(heading.text().await.unwrap(), "Use-case templates");
        s.browser.enter_parent_frame().await.unwrap();

        assert!(
            s.browser
                .find(Locator::Css("[data-companion=down]"))
                .await
                .is_err(),
            "no companion notice while it answers"
        );
        // The README's picture (demo/screenshot.png is a copy, checked by eye).
        if engine == Engine::Chromium {
            s.screenshot("demo-ready").await;
        }

        let stats = s.sandbox_stats().await;
        assert_eq!(stats.par_issued, 1, "one request_uri minted: {stats:?}");
        assert_eq!(stats.authorize_ok, 1, "spent exactly once: {stats:?}");
        assert_eq!(
            stats.rejected.reused + stats.rejected.expired + stats.rejected.unknown,
            0
        );

        let page = s.browser.source().await.unwrap();
        assert!(
            !page.contains(&s.api_key),
            "the API key never reaches the page"
        );

        // The bundle came precompressed from `moments-par --static-dir` (the release
        // build writes a .br and a .gz of each asset): brotli, which both engines ask for
        // first on a loopback origin (a secure context), and the module it decoded is the
        // one running this page.
        let encoding = s
            .browser
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 const wasm = performance.getEntriesByType('resource')
                   .find((entry) => entry.name.endsWith('.wasm'));
                 if (!wasm) { done('no wasm resource'); }
                 else fetch(wasm.name).then((r) => done(r.headers.get('content-encoding')),
                                            (e) => done(String(e)));",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(
            encoding,
            serde_json::json!("br"),
            "the demo's wasm over the wire"
        );
    })
    .await;
}
