//! A person's journey, end to end: the demo loads, the frame shows the sandbox's
//! Campaign wizard, and inside it a template is set up through every step (including a
//! validation message on the way), activated, found under management, paused and
//! resumed, and its analytics opened. The host's frame follows the content's height
//! throughout, growing and shrinking.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use fantoccini::{Client, Locator};
use moments_e2e::{Engine, Session, Site, run_in};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

async fn click(browser: &Client, css: &str) {
    browser
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"))
        .click()
        .await
        .unwrap();
}

async fn wait_for(browser: &Client, css: &str) {
    browser
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"));
}

/// Replaces the text of the field at `css` with `text`.
async fn fill(browser: &Client, css: &str, text: &str) {
    let field = browser
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"));
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

/// Leaves the frame, waits until the host has sized the frame to the content it holds
/// (the demo uses the default height, from 640 px up), and returns to the frame. Returns
/// that height.
async fn frame_follows_content(s: &Session) -> f64 {
    let content = s
        .browser
        .execute(
            "return Math.ceil(document.getElementById('app').getBoundingClientRect().height)",
            vec![],
        )
        .await
        .unwrap()
        .as_f64()
        .unwrap();
    let expected = content.max(640.0);
    s.browser.enter_parent_frame().await.unwrap();
    let mut height = 0.0;
    for _ in 0..100 {
        height = s.frame_height().await.unwrap_or(0.0);
        if (height - expected).abs() <= 1.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        (height - expected).abs() <= 1.0,
        "frame {height} px for content {content} px"
    );
    s.enter_frame().await;
    height
}

moments_e2e::in_both_engines!(a_person_sets_up_a_use_case_and_manages_it_inside_the_frame);

async fn a_person_sets_up_a_use_case_and_manages_it_inside_the_frame(engine: Engine) {
    run_in(engine, Site::Demo, |s: Session| async move {
        // Tall enough that every control inside the frame is in view: geckodriver
        // scrolls an element into view within its own (cross-origin) frame only, not the
        // host page around it, so a click below the fold would land nowhere.
        s.browser.set_window_size(1280, 2000).await.unwrap();
        s.browser.goto(&s.url).await.unwrap();
        s.wait_for_state("ready", Duration::from_secs(20)).await;
        s.enter_frame().await;
        wait_for(&s.browser, r#"[data-test="template"]"#).await;
        let gallery = frame_follows_content(&s).await;

        click(
            &s.browser,
            r#"[data-template="abandoned-cart"] [data-test="template-open"]"#,
        )
        .await;
        wait_for(&s.browser, r#"[data-test="wizard-step"][data-step="1"]"#).await;
        click(&s.browser, r#"[data-test="wizard-next"]"#).await;

        // Step 2: a sender in the wrong format is refused, with a message.
        wait_for(&s.browser, r#"[data-test="wizard-step"][data-step="2"]"#).await;
        fill(&s.browser, r#"[data-test="field-sender"]"#, "x").await;
        click(&s.browser, r#"[data-test="wizard-next"]"#).await;
        wait_for(&s.browser, r#"[data-test="validation"]"#).await;
        fill(&s.browser, r#"[data-test="field-sender"]"#, "AcmeStore").await;
        click(&s.browser, r#"[data-test="wizard-next"]"#).await;

        for step in 3..=4 {
            wait_for(
                &s.browser,
                &format!(r#"[data-test="wizard-step"][data-step="{step}"]"#),
            )
            .await;
            click(&s.browser, r#"[data-test="wizard-next"]"#).await;
        }
        wait_for(&s.browser, r#"[data-test="wizard-step"][data-step="5"]"#).await;
        fill(&s.browser, r#"[data-test="field-name"]"#, "Cart rescue").await;
        click(&s.browser, r#"[data-test="wizard-activate"]"#).await;

        wait_for(
            &s.browser,
            r#"[data-test="use-case"][data-status="active"]"#,
        )
        .await;
        let row = s
            .browser
            .find(Locator::Css(r#"[data-test="use-case"]"#))
            .await
            .unwrap();
        assert!(row.text().await.unwrap().contains("Cart rescue"));
        let managed = frame_follows_content(&s).await;

        click(&s.browser, r#"[data-test="use-case-pause"]"#).await;
        wait_for(
            &s.browser,
            r#"[data-test="use-case"][data-status="paused"]"#,
        )
        .await;
        click(&s.browser, r#"[data-test="use-case-resume"]"#).await;
        wait_for(
            &s.browser,
            r#"[data-test="use-case"][data-status="active"]"#,
        )
        .await;

        click(&s.browser, r#"[data-test="use-case-analytics"]"#).await;
        wait_for(&s.browser, r#"[data-test="analytics"] svg polyline"#).await;
        let analytics = frame_follows_content(&s).await;
        assert!(
            gallery > managed && analytics > managed,
            "the frame grew and shrank: {gallery} / {managed} / {analytics}"
        );

        s.browser.enter_parent_frame().await.unwrap();
        let log = s.event_log().await;
        for event in [
            "template.opened",
            "wizard.step",
            "use_case.activated",
            "use_case.paused",
            "use_case.resumed",
            "analytics.opened",
        ] {
            assert!(log.contains(event), "the host saw {event}: {log}");
        }
        let stats = s.sandbox_stats().await;
        assert_eq!(stats.use_cases_activated, 1);
        assert_eq!(stats.authorize_ok, 1, "the whole journey in one session");
    })
    .await;
}
