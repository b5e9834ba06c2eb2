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
            .find(Locator::Css(moments_e2e::LIVE_FRAME))
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
        // The README's picture (demo/screenshot.png is a copy of Chromium's, checked by eye).
        s.screenshot("demo-ready").await;

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

moments_e2e::in_both_engines!(the_chatbot_page_opens_answers_and_a_moments_uri_cannot);

/// Infobip's other embeddable product through the same component and companion: the
/// demo's Chatbot page names the `chatbot` embedding (Answers under `--sandbox`), and
/// the companion mints an Answers URI for the Answers frame. A Moments URI is refused
/// there: the sandbox holds each URI to the product it was minted for.
async fn the_chatbot_page_opens_answers_and_a_moments_uri_cannot(engine: Engine) {
    run_in(engine, Site::Demo, move |s: Session| async move {
        s.browser.goto(&s.url).await.unwrap();
        s.wait_for_state("ready", Duration::from_secs(20)).await;
        let moments_src = s.frame_src().await.unwrap();
        assert!(
            moments_src.starts_with(&format!("{}/authorize?", s.frame_url)),
            "{moments_src}"
        );

        s.browser
            .find(Locator::Css("nav a[href='#chatbot']"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let answers_prefix = format!("{}/answers/authorize?request_uri=", s.frame_url);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while !s
            .frame_src()
            .await
            .is_some_and(|src| src.starts_with(&answers_prefix))
        {
            assert!(
                tokio::time::Instant::now() < deadline,
                "no Answers frame: {:?}",
                s.frame_src().await
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        s.wait_for_state("ready", Duration::from_secs(20)).await;
        let named = s
            .browser
            .execute(
                "return [document.querySelector('[role=status]').textContent, \
                         document.querySelector('iframe.moments-embed__frame:not([inert])').title, \
                         document.querySelector('nav [aria-current=page]').textContent];",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(
            named,
            serde_json::json!([
                "Chatbot builder loaded.",
                "Infobip Answers chatbot builder",
                "Chatbot"
            ])
        );
        assert_eq!(
            s.wizard_heading().await,
            "Chatbots",
            "the builder, not the wizard"
        );

        // The builder works in the frame, on another site than the page.
        s.enter_frame().await;
        s.browser
            .find(Locator::Css("[data-test=chatbot-new]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let heading = s
            .browser
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::XPath("//main/h1[text()='New chatbot']"))
            .await;
        assert!(heading.is_ok(), "the new-chatbot form opened in the frame");
        s.browser.enter_parent_frame().await.unwrap();

        let stats = s.sandbox_stats().await;
        assert_eq!(stats.par_issued, 2, "one URI per page: {stats:?}");
        assert_eq!(stats.authorize_ok, 2, "each spent once: {stats:?}");
        assert_eq!(stats.rejected.other_product, 0, "{stats:?}");

        // A Moments URI, minted as the Campaigns page would be, taken to the Answers frame.
        let grant = s
            .browser
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 fetch('/api/moments/session', { method: 'POST',
                     headers: { 'content-type': 'application/json' }, body: '{}' })
                   .then((r) => r.json()).then(done, (e) => done(String(e)));",
                vec![],
            )
            .await
            .unwrap();
        let moments_frame = grant["iframe_url"].as_str().expect("a grant");
        assert!(
            moments_frame.starts_with(&format!("{}/authorize?", s.frame_url)),
            "the default embedding is Moments: {grant}"
        );
        let (_, query) = moments_frame.split_once('?').unwrap();
        s.browser
            .goto(&format!("{}/answers/authorize?{query}", s.frame_url))
            .await
            .unwrap();
        let refusal = s
            .browser
            .find(Locator::Css("main"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            refusal.contains("This link cannot be opened")
                && refusal.contains("minted for Moments, not Answers"),
            "{refusal}"
        );
        let stats = s.sandbox_stats().await;
        assert_eq!(stats.rejected.other_product, 1, "{stats:?}");
        assert_eq!(stats.authorize_ok, 2, "no session for it: {stats:?}");
    })
    .await;
}
