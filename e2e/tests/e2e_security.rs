//! Security, end to end: what the browser sees never contains the API key, and only
//! the frame's own window can size the frame.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use moments_e2e::{Engine, Session, Site, run, run_in};
use serde_json::Value;
use std::time::Duration;

moments_e2e::in_both_engines!(resize_claims_from_the_host_page_or_another_frame_are_ignored);

async fn resize_claims_from_the_host_page_or_another_frame_are_ignored(engine: Engine) {
    run_in(engine, Site::Demo, |s: Session| async move {
        s.browser.goto(&s.url).await.unwrap();
        s.wait_for_state("ready", Duration::from_secs(20)).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let before = s.frame_height().await.expect("a frame");

        // The host page itself, and a same-origin frame of the host: right origin for
        // neither (the Moments frame is on the sandbox's origin), wrong window for both.
        s.browser
            .execute(
                "window.postMessage({ type: 'moments:resize', height: 1999 }, '*');
                 const other = document.createElement('iframe');
                 other.id = 'stranger';
                 other.srcdoc = \"<script>parent.postMessage({ type: 'moments:resize', height: 1777 }, '*')<\\/script>\";
                 document.body.append(other);",
                vec![],
            )
            .await
            .unwrap();
        // And a forged event naming the sandbox's origin but no window of ours.
        s.browser
            .execute(
                "window.dispatchEvent(new MessageEvent('message', {
                   data: { type: 'moments:resize', height: 1555 }, origin: arguments[0] }));",
                vec![Value::String(s.frame_url.clone())],
            )
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
        let after = s.frame_height().await.expect("a frame");
        assert_eq!(after, before, "no foreign message changed the frame's height");
        let stranger_loaded = s
            .browser
            .execute("return !!document.getElementById('stranger').contentDocument.body", vec![])
            .await
            .unwrap();
        assert_eq!(stranger_loaded, Value::Bool(true), "the stranger frame really ran");

        // The control: the same claim from the frame's own window, on its own origin,
        // takes effect (so the ones above were ignored, not lost with resizing broken).
        s.enter_frame().await;
        s.browser
            .execute(
                "parent.postMessage({ type: 'moments:resize', height: 1234 }, '*');",
                vec![],
            )
            .await
            .unwrap();
        s.browser.enter_parent_frame().await.unwrap();
        let mut height = None;
        for _ in 0..50 {
            height = s.frame_height().await;
            if height == Some(1234.0) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(height, Some(1234.0), "the frame's own resize took effect");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_page_frame_or_response_the_browser_sees_contains_the_api_key() {
    run(|s: Session| async move {
        s.browser.goto(&s.url).await.unwrap();
        s.wait_for_state("ready", Duration::from_secs(20)).await;

        let mut seen = vec![("page".to_owned(), s.browser.source().await.unwrap())];
        // Every resource the page loaded, fetched again as the browser would see it, and
        // the session endpoint's answers: a grant, and the errors a browser can cause.
        let answers = s
            .browser
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 (async () => {
                   const out = [];
                   for (const entry of performance.getEntriesByType('resource')) {
                     // Same-origin assets only: the frame's cross-origin /authorize is
                     // single use (its document is read below, inside the frame).
                     if (!entry.name.startsWith(location.origin) || entry.name.includes('/api/')) continue;
                     const r = await fetch(entry.name);
                     out.push([entry.name, await r.text()]);
                   }
                   const post = (body, type) => fetch('/api/moments/session', {
                     method: 'POST', headers: { 'content-type': type }, body });
                   for (const [body, type] of [['{}', 'application/json'],
                       ['{\"entity_id\":\"x\"}', 'application/json'], ['{', 'application/json'],
                       ['{}', 'text/plain'], ['{\"embedding\":\"nope\"}', 'application/json']]) {
                     const r = await post(body, type);
                     out.push(['POST ' + body + ' ' + r.status, await r.text()]);
                   }
                   return out;
                 })().then(done, (e) => done([['error', String(e)]]));",
                vec![],
            )
            .await
            .unwrap();
        for pair in answers.as_array().unwrap() {
            seen.push((pair[0].as_str().unwrap().to_owned(), pair[1].as_str().unwrap().to_owned()));
        }
        assert!(seen.len() >= 8, "the page, its assets and five answers: {seen:?}");

        // Inside the frame: the sandbox's own page.
        s.enter_frame().await;
        seen.push(("frame".to_owned(), s.browser.source().await.unwrap()));
        s.browser.enter_parent_frame().await.unwrap();

        for (what, text) in &seen {
            assert!(!text.contains(&s.api_key), "the API key appears in {what}");
        }
    })
    .await;
}
