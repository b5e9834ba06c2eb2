//! A frame on another site, in a browser that keeps third-party cookies from it.
//!
//! The sandbox plays a frame whose session lives in a cookie (`cookie_session`), as an
//! OAuth app's usually does. The page is on `127.0.0.1`, the frame on `localhost`: another
//! site, so the browser withholds the frame's cookie, and the frame asks for it the
//! standard way, `document.requestStorageAccess()` on a click. With the component's
//! default `sandbox` tokens the browser lets it ask, and the wizard opens; a frame with the
//! tokens the component used before (no `allow-storage-access-by-user-activation`) is
//! refused, and says so instead of failing blank.
//!
//! Each engine is told to block the frame's cookies the way a person or a policy would:
//! Chromium by `profile.block_third_party_cookies`; Firefox by its tracker cookie
//! blocking (`network.cookie.cookieBehavior` 4, with `localhost` on its test tracking
//! list), because its default, Total Cookie Protection, partitions the cookie instead and
//! the frame works without asking. The browser's prompt is answered as a person would:
//! by WebDriver's permission in Chromium, by Firefox's testing preference.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use fantoccini::Locator;
use moments_e2e::{Engine, Session, Site, run_with_prefs};
use serde_json::{Value, json};
use std::time::Duration;

/// The `sandbox` tokens the component set before it let frames ask for storage access.
const OLD_SANDBOX: &str = "allow-scripts allow-same-origin allow-forms allow-popups allow-popups-to-escape-sandbox allow-downloads";

/// Enters the frame `css` on the page and waits for its Continue button.
async fn continue_page(s: &Session, css: &str) {
    s.browser.enter_parent_frame().await.unwrap();
    s.browser
        .find(Locator::Css(css))
        .await
        .unwrap()
        .enter_frame()
        .await
        .unwrap();
    s.browser
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#storage-access-continue"))
        .await
        .expect("the frame's cookie was withheld, and it asks for it");
}

/// Clicks Continue in the current frame, and the person allows what the browser asks.
async fn click_continue(s: &Session) {
    s.grant_storage_access().await;
    s.browser
        .find(Locator::Css("#storage-access-continue"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

moments_e2e::in_both_engines!(
    a_cookie_session_frame_asks_for_storage_access_and_gets_it_with_our_defaults
);

async fn a_cookie_session_frame_asks_for_storage_access_and_gets_it_with_our_defaults(
    engine: Engine,
) {
    run_with_prefs(
        engine,
        Site::CsrApp,
        &engine.third_party_cookies_blocked(),
        move |s: Session| async move {
            s.sandbox_admin("/__sandbox/settings", json!({ "cookie_session": true }))
                .await;
            s.browser.goto(&s.url).await.unwrap();
            // The frame shows its Continue page: loaded, so the component is ready.
            s.wait_for_state("ready", Duration::from_secs(20)).await;
            continue_page(&s, "iframe.moments-embed__frame").await;

            // A frame with the old tokens, at a fresh URI from the same endpoint: the same
            // page, asked the same way, but the browser refuses it.
            s.browser.enter_parent_frame().await.unwrap();
            let old = s
                .browser
                .execute_async(
                    "const done = arguments[arguments.length - 1];
                 fetch('/api/moments/session', { method: 'POST',
                   headers: { 'content-type': 'application/json' }, body: '{}' })
                   .then((r) => r.json()).then((grant) => {
                     const frame = document.createElement('iframe');
                     frame.id = 'old-tokens';
                     frame.setAttribute('sandbox', arguments[0]);
                     frame.src = grant.iframe_url;
                     frame.style.height = '400px';
                     document.body.append(frame);
                     done(grant.iframe_url);
                   }, (e) => done(String(e)));",
                    vec![Value::from(OLD_SANDBOX)],
                )
                .await
                .unwrap();
            assert!(
                old.as_str().unwrap().starts_with(&s.frame_url),
                "a frame on the other site: {old}"
            );
            continue_page(&s, "#old-tokens").await;
            click_continue(&s).await;
            let refused = s
                .browser
                .wait()
                .at_most(Duration::from_secs(10))
                .for_element(Locator::Css("[data-storage-access=denied]"))
                .await
                .expect("with the old tokens the browser refuses, and the frame says so");
            assert!(
                refused
                    .text()
                    .await
                    .unwrap()
                    .contains("did not let this frame use its cookie"),
                "{}",
                refused.text().await.unwrap()
            );

            // The component's own frame, with its default tokens: asked, granted, the wizard.
            continue_page(&s, "iframe.moments-embed__frame").await;
            click_continue(&s).await;
            // The Continue page reloads into the wizard once the cookie is back.
            let mut heading = String::new();
            for _ in 0..100 {
                if let Ok(found) = s.browser.find(Locator::Css("main h1")).await {
                    heading = found.text().await.unwrap_or_default();
                    if heading == "Use-case templates" {
                        break;
                    }
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            assert_eq!(heading, "Use-case templates", "the wizard after the grant");
            s.browser.enter_parent_frame().await.unwrap();
            assert_eq!(
                s.browser
                    .execute(
                        "return document.querySelector('.moments-embed').dataset.state;",
                        vec![]
                    )
                    .await
                    .unwrap(),
                json!("ready")
            );
            let stats = s.sandbox_stats().await;
            assert_eq!(
                (stats.par_issued, stats.authorize_ok),
                (2, 2),
                "one session per frame, none spent twice: {stats:?}"
            );
        },
    )
    .await;
}
