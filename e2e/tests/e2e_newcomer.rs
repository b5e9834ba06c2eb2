//! A newcomer's app (`examples/csr-app`: a default `<MomentsEmbed/>`, nothing else of
//! ours), served by the companion with its production headers: the test that would have
//! caught a stylesheet blocked by our own CSP. Also the accessibility audit (axe-core)
//! of the component with default props and stylesheet, in each state a person sees.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use fantoccini::Locator;
use moments_e2e::{Engine, Session, Site, run_in};
use serde_json::{Value, json};
use std::time::Duration;

/// The frame's and the root's geometry and computed style, read in one script.
async fn layout(s: &Session) -> Value {
    s.browser
        .execute(
            "const root = document.querySelector('.moments-embed'); \
             const frame = root.querySelector('iframe.moments-embed__frame'); \
             const css = getComputedStyle(frame); \
             return { \
               root_width: root.clientWidth, \
               root_min_height: getComputedStyle(root).minHeight, \
               root_radius: getComputedStyle(root).borderTopLeftRadius, \
               frame_height: frame.style.height, \
               frame_width: frame.getBoundingClientRect().width, \
               frame_border: css.borderTopWidth + ' ' + css.borderTopStyle, \
               frame_display: css.display, \
               style_elements: document.querySelectorAll('style').length, \
               adopted: document.adoptedStyleSheets.length, \
             };",
            vec![],
        )
        .await
        .expect("layout script")
}

moments_e2e::in_both_engines!(a_default_embed_in_a_new_app_fits_its_page_under_the_companions_csp);

async fn a_default_embed_in_a_new_app_fits_its_page_under_the_companions_csp(engine: Engine) {
    run_in(engine, Site::CsrApp, |s: Session| async move {
        // The policy is the production one: no inline styles allowed at all.
        let page = reqwest::get(&s.url).await.unwrap();
        let csp = page.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(csp.contains("style-src 'self';"), "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");

        s.browser.goto(&s.url).await.unwrap();
        s.wait_for_state("ready", Duration::from_secs(20)).await;
        let layout = layout(&s).await;
        let root_width = layout["root_width"].as_f64().unwrap();
        let frame_width = layout["frame_width"].as_f64().unwrap();
        assert!(
            root_width > 1000.0,
            "the component spans the page: {layout}"
        );
        assert!(
            (frame_width - root_width).abs() < 1.0,
            "the frame spans the component, not the browser's default 300 px: {layout}"
        );
        assert_eq!(
            layout["frame_border"], "0px none",
            "no inset border: {layout}"
        );
        assert_eq!(layout["frame_display"], "block", "{layout}");
        assert_eq!(
            layout["root_radius"], "12px",
            "the component's own stylesheet applies: {layout}"
        );
        assert_eq!(
            layout["root_min_height"], layout["frame_height"],
            "what stands in for the frame takes its room: {layout}"
        );
        assert_eq!(
            layout["style_elements"], 0,
            "no <style> element (the CSP would block it): {layout}"
        );
        assert_eq!(layout["adopted"], 1, "one adopted stylesheet: {layout}");

        assert_eq!(s.wizard_heading().await, "Use-case templates");
        s.screenshot("newcomer-ready").await;

        let stats = s.sandbox_stats().await;
        assert_eq!(stats.par_issued, 1, "{stats:?}");
        assert_eq!(stats.authorize_ok, 1, "{stats:?}");
    })
    .await;
}

moments_e2e::in_both_engines!(
    the_component_passes_an_accessibility_audit_loading_in_error_and_ready
);

async fn the_component_passes_an_accessibility_audit_loading_in_error_and_ready(engine: Engine) {
    run_in(engine, Site::CsrApp, |s: Session| async move {
        // Loading: the companion's PAR call takes 4 s.
        s.sandbox_admin(
            "/__sandbox/faults",
            json!({ "count": 1, "fault": "delay", "delay_ms": 4000 }),
        )
        .await;
        s.browser.goto(&s.url).await.unwrap();
        s.wait_for_state("fetching", Duration::from_secs(10)).await;
        s.browser
            .find(Locator::Css(".moments-embed__spinner"))
            .await
            .expect("the loading view is shown");
        let loading = s.accessibility_violations(".moments-embed").await;
        s.screenshot("newcomer-loading").await;
        let still = s
            .browser
            .execute(
                "return document.querySelector('.moments-embed').dataset.state;",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(
            still,
            json!("fetching"),
            "the page was still loading when the audit ended, so the audit saw the loading view"
        );
        assert_eq!(loading, Vec::<String>::new(), "loading state");

        // Ready.
        s.wait_for_state("ready", Duration::from_secs(20)).await;
        let ready = s.accessibility_violations(".moments-embed").await;
        assert_eq!(ready, Vec::<String>::new(), "ready state");

        // The auditor can fail: a button like the old theme's (white on #ff5a1f, 3.1:1)
        // is reported.
        s.browser
            .execute(
                "const b = document.createElement('button'); b.id = 'axe-self-test'; \
                 b.textContent = 'Retry'; b.style.background = '#ff5a1f'; b.style.color = '#fff'; \
                 document.body.append(b);",
                vec![],
            )
            .await
            .unwrap();
        let control = s.accessibility_violations("#axe-self-test").await;
        assert!(
            control
                .iter()
                .any(|v| v.starts_with("color-contrast (serious)")),
            "axe reports a known contrast failure: {control:?}"
        );
        s.browser
            .execute("document.getElementById('axe-self-test').remove();", vec![])
            .await
            .unwrap();

        // Error: Infobip refuses the key, a fatal error with a Retry button.
        s.sandbox_admin(
            "/__sandbox/faults",
            json!({ "count": 1, "fault": "status", "status": 401 }),
        )
        .await;
        s.browser.goto(&s.url).await.unwrap();
        s.wait_for_state("error", Duration::from_secs(15)).await;
        s.browser
            .find(Locator::Css(".moments-embed__retry"))
            .await
            .expect("the error view has its Retry button");
        let error = s.accessibility_violations(".moments-embed").await;
        s.screenshot("newcomer-error").await;
        assert_eq!(error, Vec::<String>::new(), "error state");
    })
    .await;
}
