//! The full-stack example (SSR + hydration on leptos_axum, the companion inside its own
//! server), in headless Chromium and Firefox: a styled, sized placeholder in the server's
//! HTML, a hydration that warns about nothing and moves nothing more than the frame's own
//! first height, the wizard through a server function and through the REST endpoint, and
//! the server function held to the endpoint's checks, its refusals reaching the page whole.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use base64::Engine as _;
use fantoccini::Locator;
use moments_e2e::{Engine, Session, fullstack};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::time::Duration;

/// The placeholder's height before any script: the default `Height`'s 640 px.
const PLACEHOLDER: f64 = 640.0;

/// The server function's path, and the REST endpoint's.
const SERVER_FN: &str = "/api/moments_session";
const REST: &str = "/api/moments/session";

/// Installs, as early as the page allows, recorders for console warnings and errors,
/// CSP violations, and every height the component's root takes.
const RECORDERS: &str = "
    window.__problems = [];
    for (const level of ['warn', 'error']) {
        const original = console[level].bind(console);
        console[level] = (...args) => { window.__problems.push(level + ': ' + args.join(' ')); original(...args); };
    }
    document.addEventListener('securitypolicyviolation', (e) =>
        window.__problems.push('csp: ' + e.effectiveDirective + ' ' + e.blockedURI));
    const root = document.querySelector('.moments-embed');
    window.__heights = [root.getBoundingClientRect().height];
    new ResizeObserver(() => window.__heights.push(root.getBoundingClientRect().height)).observe(root);
    window.__frame_heights = [];
    new MutationObserver(() => {
        const frame = root.querySelector('iframe.moments-embed__frame');
        const height = frame && parseFloat(frame.style.height);
        if (height && height !== window.__frame_heights[window.__frame_heights.length - 1]) {
            window.__frame_heights.push(height);
        }
    }).observe(root, { subtree: true, childList: true, attributes: true, attributeFilter: ['style'] });
    const css = getComputedStyle(root);
    return {
        state: root.getAttribute('data-state'),
        busy: root.getAttribute('aria-busy'),
        min_height: css.minHeight,
        radius: css.borderTopLeftRadius,
        spinner: !!root.querySelector('.moments-embed__spinner'),
        status: root.querySelector('[role=status]').textContent,
        hydrated: !!document.querySelector('iframe'),
    };";

async fn before_hydration(s: &Session, path: &str) -> Value {
    s.browser.goto(&format!("{}{path}", s.url)).await.unwrap();
    s.browser
        .wait()
        // Returns as soon as the element is there; the bound is only for a failure
        // (2 s was too short once, with four of these pages loading at once on a busy
        // two-core machine).
        .at_most(Duration::from_secs(10))
        // The spinner is the component's last element: once it is parsed, the whole
        // placeholder is (the parser may yield mid-page, and the page load strategy is
        // `none`, so the root alone can be in the DOM without its children).
        .for_element(Locator::Css(".moments-embed .moments-embed__spinner"))
        .await
        .expect("the server-rendered component");
    s.browser.execute(RECORDERS, vec![]).await.unwrap()
}

moments_e2e::in_both_engines!(
    the_server_render_is_a_styled_placeholder_and_hydration_moves_nothing_else
);

async fn the_server_render_is_a_styled_placeholder_and_hydration_moves_nothing_else(
    engine: Engine,
) {
    fullstack::run(engine, |s: Session| async move {
        // The server's HTML: the loading view, the stylesheet, a policy allowing exactly it.
        let page = reqwest::get(&s.url).await.unwrap();
        let csp = page.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        let html = page.text().await.unwrap();
        for marker in [
            r#"aria-busy="true""#,
            r#"class="moments-embed__spinner""#,
            "Loading campaigns…",
            "<style data-moments-embed=\"\">",
        ] {
            assert!(
                html.contains(marker),
                "{marker} in the server's HTML: {html}"
            );
        }
        let style = html
            .split_once("<style data-moments-embed=\"\">")
            .and_then(|(_, rest)| rest.split_once("</style>"))
            .map(|(css, _)| css)
            .unwrap();
        let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(style));
        assert!(
            csp.contains(&format!("style-src 'self' 'sha256-{hash}'")),
            "the policy allows the served stylesheet by its hash: {csp}"
        );
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert!(csp.contains("'nonce-"), "scripts by nonce: {csp}");

        // In the browser, before the wasm arrives: styled, sized, saying it is loading.
        let early = before_hydration(&s, "/").await;
        assert_eq!(early["hydrated"], false, "looked before hydration: {early}");
        assert_eq!(early["state"], "idle", "{early}");
        assert_eq!(early["busy"], "true", "{early}");
        assert_eq!(
            early["min_height"], "640px",
            "sized like the frame: {early}"
        );
        assert_eq!(early["radius"], "12px", "the stylesheet applies: {early}");
        assert_eq!(early["spinner"], true, "{early}");
        assert_eq!(early["status"], "Loading campaigns…", "{early}");
        s.screenshot("fullstack-before-hydration").await;

        // Hydrated: the session through the server function, the wizard in the frame.
        s.wait_for_state("ready", Duration::from_secs(20)).await;
        assert_eq!(s.wizard_heading().await, "Use-case templates");
        tokio::time::sleep(Duration::from_millis(500)).await; // the frame's last resize
        s.screenshot("fullstack-after-hydration").await;
        let stats = s.sandbox_stats().await;
        assert_eq!((stats.par_issued, stats.authorize_ok), (1, 1), "{stats:?}");
        assert_eq!(
            (
                s.app_requests_to("POST", SERVER_FN),
                s.app_requests_to("POST", REST)
            ),
            (1, 0),
            "`/` used the server function, once, and not the REST endpoint: {:?}",
            s.app_requests()
        );
        let sheets = s
            .browser
            .execute(
                "return [document.querySelectorAll('style[data-moments-embed]').length, \
                         document.adoptedStyleSheets.length, \
                         getComputedStyle(document.querySelector('.moments-embed')).borderTopLeftRadius];",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(
            sheets,
            json!([0, 1, "12px"]),
            "once hydrated, the stylesheet is on the page once (the adopted one), and applies"
        );

        let recorded = s
            .browser
            .execute(
                "return [window.__problems, window.__heights, window.__frame_heights];",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(
            recorded[0],
            json!([]),
            "hydration warned, erred or was blocked"
        );
        let heights: Vec<f64> = serde_json::from_value(recorded[1].clone()).unwrap();
        let first = heights[0];
        let last = *heights.last().unwrap();
        assert!(
            (first - PLACEHOLDER).abs() <= 2.0,
            "the placeholder's height: {heights:?}"
        );
        // The frame's own steps: the heights it reported, from the placeholder's. A frame
        // may report more than one on its way (Firefox's first layout of the sandbox's
        // page is at the width its scrollbar leaves, and taller); the page follows it.
        let mut frame_heights: Vec<f64> = serde_json::from_value(recorded[2].clone()).unwrap();
        frame_heights.insert(0, PLACEHOLDER);
        let largest_step = |list: &[f64]| {
            list.windows(2)
                .map(|pair| (pair[1] - pair[0]).abs())
                .fold(0.0, f64::max)
        };
        let largest_jump = largest_step(&heights);
        let frame_step = largest_step(&frame_heights).max((last - first).abs());
        assert!(
            largest_jump <= frame_step + 1.0,
            "no jump beyond the frame's own ({first} → {last}, the frame at \
             {frame_heights:?}): {heights:?}"
        );
        assert!(
            heights.iter().all(|h| *h >= first - 1.0),
            "never smaller than the placeholder on the way: {heights:?}"
        );
    })
    .await;
}

moments_e2e::in_both_engines!(the_rest_page_of_the_same_app_reaches_the_wizard_too);

async fn the_rest_page_of_the_same_app_reaches_the_wizard_too(engine: Engine) {
    fullstack::run(engine, |s: Session| async move {
        before_hydration(&s, "/rest").await;
        s.wait_for_state("ready", Duration::from_secs(20)).await;
        assert_eq!(s.wizard_heading().await, "Use-case templates");
        assert_eq!(
            (
                s.app_requests_to("POST", REST),
                s.app_requests_to("POST", SERVER_FN)
            ),
            (1, 0),
            "`/rest` used the REST endpoint, once, and not the server function: {:?}",
            s.app_requests()
        );
        let problems = s
            .browser
            .execute("return window.__problems;", vec![])
            .await
            .unwrap();
        assert_eq!(problems, json!([]));
    })
    .await;
}

moments_e2e::in_both_engines!(a_frame_sized_to_its_content_shows_no_scrollbar);

/// At 1280×1000 the wizard is wider than the demo's, and its first layout (in a frame
/// still at the placeholder's 640 px) needs a scrollbar. Once the frame is as tall as
/// what it reported, it has nothing to scroll, and no scrollbar may stay behind (one
/// did: a 15 px track in Chromium, two in Firefox, with nothing to scroll).
async fn a_frame_sized_to_its_content_shows_no_scrollbar(engine: Engine) {
    fullstack::run(engine, |s: Session| async move {
        s.browser.set_window_size(1280, 1000).await.unwrap();
        before_hydration(&s, "/").await;
        s.wait_for_state("ready", Duration::from_secs(20)).await;
        let mut inside = Value::Null;
        for _ in 0..40 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let outer = s.frame_height().await.unwrap_or_default();
            s.enter_frame().await;
            inside = s
                .browser
                .execute(
                    "const root = document.documentElement; \
                     return { width: [innerWidth, root.clientWidth], \
                              height: [innerHeight, root.clientHeight], \
                              content: Math.ceil(document.getElementById('app').getBoundingClientRect().height) };",
                    vec![],
                )
                .await
                .unwrap();
            s.browser.enter_parent_frame().await.unwrap();
            inside["frame"] = json!(outer);
            if inside["frame"].as_f64() == inside["content"].as_f64() {
                break;
            }
        }
        assert_eq!(
            inside["frame"].as_f64(),
            inside["content"].as_f64(),
            "sized to its content: {inside}"
        );
        assert_eq!(inside["width"][0], inside["width"][1], "no vertical scrollbar: {inside}");
        assert_eq!(inside["height"][0], inside["height"][1], "no horizontal scrollbar: {inside}");
    })
    .await;
}

moments_e2e::in_both_engines!(a_kept_embed_outlives_the_routers_navigation);

/// A stranger's shape of use: leptos_router swaps the page, removing the old page's DOM
/// *before* its components' cleanups run. The REST page's embed is kept: to the server
/// function's page and back through the app's own links, and the frame is the same
/// window, with no second session.
async fn a_kept_embed_outlives_the_routers_navigation(engine: Engine) {
    fullstack::run(engine, |s: Session| async move {
        before_hydration(&s, "/rest").await;
        s.wait_for_state("ready", Duration::from_secs(20)).await;
        s.remember_frame_window("__kept").await;
        for (link, path) in [("a[href='/']", "/"), ("a[href='/rest']", "/rest")] {
            s.browser
                .find(Locator::Css(link))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
            let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
            while s.browser.current_url().await.unwrap().path() != path {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "no client-side navigation to {path}"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            s.wait_for_state("ready", Duration::from_secs(20)).await;
        }
        assert!(
            s.same_frame_window("__kept").await,
            "the same frame: the page was never reloaded and the frame never removed"
        );
        assert_eq!(
            (
                s.app_requests_to("POST", REST),
                s.app_requests_to("POST", SERVER_FN)
            ),
            (1, 1),
            "one session for each page, none for coming back: {:?}",
            s.app_requests()
        );
        assert_eq!(s.wizard_heading().await, "Use-case templates");
    })
    .await;
}

/// Calls the server function with `headers`, as a page would (or another site's).
async fn call_server_fn(s: &Session, headers: &[(&str, &str)], body: &Value) -> (u16, String) {
    let (status, _, text) = call(s, SERVER_FN, headers, body).await;
    (status, text)
}

/// `POST path` on the app with `headers` and a JSON `body`: status, headers, body.
async fn call(
    s: &Session,
    path: &str,
    headers: &[(&str, &str)],
    body: &Value,
) -> (u16, reqwest::header::HeaderMap, String) {
    let mut request = reqwest::Client::new()
        .post(format!("{}{path}", s.url))
        .header("content-type", "application/json")
        .body(body.to_string());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let answer = request.send().await.unwrap();
    let status = answer.status().as_u16();
    let headers = answer.headers().clone();
    (status, headers, answer.text().await.unwrap())
}

/// The app's access line for the request with `id`, by its `request_id` field.
async fn access_line(s: &Session, id: &str) -> String {
    for _ in 0..50 {
        let found = s
            .app_log()
            .into_iter()
            .find(|line| line.contains(&format!("request_id={id}")) && line.contains("status="));
        if let Some(line) = found {
            return line;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no access line for request {id}: {:#?}", s.app_log());
}

/// The names of a text access line's `key=value` fields, in order.
fn field_names(line: &str) -> Vec<String> {
    line.split([' ', '{', '}', ','])
        .filter_map(|word| word.split_once('='))
        .map(|(key, _)| key.to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_function_answers_and_logs_as_the_endpoint_does() {
    fullstack::run(Engine::Chromium, |s: Session| async move {
        let same_origin = [("sec-fetch-site", "same-origin")];
        // Refusals: the same status through either transport.
        let cross_site = [
            ("sec-fetch-site", "cross-site"),
            ("origin", "https://evil.example"),
        ];
        for (what, headers, body) in [
            ("another site", &cross_site[..], json!({})),
            (
                "an unknown embedding",
                &same_origin[..],
                json!({ "embedding": "nope" }),
            ),
        ] {
            let (rest, _, rest_body) = call(&s, REST, headers, &body).await;
            let (server_fn, _, fn_body) =
                call(&s, SERVER_FN, headers, &json!({ "asked": body })).await;
            assert!((400..500).contains(&rest), "{what}: {rest} {rest_body}");
            assert_eq!(
                server_fn, rest,
                "{what}: the server function's status is the endpoint's ({fn_body})"
            );
        }
        // Grants: the same headers, and an access line with the same fields.
        let (rest, rest_headers, rest_body) = call(&s, REST, &same_origin, &json!({})).await;
        let (server_fn, fn_headers, fn_body) =
            call(&s, SERVER_FN, &same_origin, &json!({ "asked": {} })).await;
        assert_eq!((rest, server_fn), (200, 200), "{rest_body} {fn_body}");
        for headers in [&rest_headers, &fn_headers] {
            assert_eq!(headers["cache-control"], "no-store", "{headers:?}");
            assert_eq!(headers["x-content-type-options"], "nosniff", "{headers:?}");
            assert!(headers.contains_key("x-request-id"), "{headers:?}");
        }
        let rest_line = access_line(&s, rest_headers["x-request-id"].to_str().unwrap()).await;
        let fn_line = access_line(&s, fn_headers["x-request-id"].to_str().unwrap()).await;
        assert_eq!(
            field_names(&fn_line),
            field_names(&rest_line),
            "the same access line:\n{rest_line}\n{fn_line}"
        );
        for line in [&rest_line, &fn_line] {
            assert!(
                line.contains("request_uri=ru#"),
                "a URI's fingerprint: {line}"
            );
            assert!(line.contains("status=200"), "{line}");
        }
        assert!(fn_line.contains(&format!("route={SERVER_FN}")), "{fn_line}");
        let uri = |body: &str| -> String {
            let grant: Value = serde_json::from_str(body).unwrap();
            grant["request_uri"].as_str().unwrap().to_owned()
        };
        for (body, line) in [(&rest_body, &rest_line), (&fn_body, &fn_line)] {
            assert!(!line.contains(&uri(body)), "never the URI itself: {line}");
        }
        assert!(
            s.app_log().iter().all(|line| !line.contains(&s.api_key)),
            "the API key is in no log line"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_function_gets_the_endpoints_checks_and_its_refusals_arrive_whole() {
    fullstack::run(Engine::Chromium, |s: Session| async move {
        let same_origin = [("sec-fetch-site", "same-origin")];
        // The origin check (CSRF): another site's page is refused, by the same rule.
        let (_, refused) = call_server_fn(
            &s,
            &[
                ("sec-fetch-site", "cross-site"),
                ("origin", "https://evil.example"),
            ],
            &json!({ "asked": {} }),
        )
        .await;
        assert!(refused.contains(r#""code":"forbidden""#), "{refused}");
        // The allowlist: an embedding the server does not know.
        let (_, unknown) = call_server_fn(
            &s,
            &same_origin,
            &json!({ "asked": { "embedding": "nope" } }),
        )
        .await;
        assert!(
            unknown.contains(r#""code":"unknown_embedding""#),
            "{unknown}"
        );
        // A session, then the rate limit's burst (20) is spent: the next refusal carries
        // its Retry-After, and the REST endpoint shares the same bucket.
        let (status, grant) = call_server_fn(&s, &same_origin, &json!({ "asked": {} })).await;
        assert_eq!(status, 200, "{grant}");
        assert!(grant.contains("request_uri"), "{grant}");
        let mut limited = None;
        for _ in 0..30 {
            let (_, answer) = call_server_fn(&s, &same_origin, &json!({ "asked": {} })).await;
            if answer.contains("rate_limited") {
                limited = Some(answer);
                break;
            }
        }
        let limited = limited.expect("the rate limit applies to the server function");
        let failure: Value = serde_json::from_str(&limited).unwrap();
        let failure = &failure["Refused"];
        assert_eq!(failure["error"]["code"], "rate_limited", "{limited}");
        assert_eq!(failure["error"]["retryable"], true, "{limited}");
        assert!(
            failure["retry_after_secs"]
                .as_u64()
                .is_some_and(|secs| secs >= 1),
            "{limited}"
        );
        let rest = reqwest::Client::new()
            .post(format!("{}/api/moments/session", s.url))
            .header("content-type", "application/json")
            .header("sec-fetch-site", "same-origin")
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(rest.status(), 429, "one bucket for both transports");
        assert!(rest.headers().contains_key("retry-after"));
    })
    .await;
}

moments_e2e::in_both_engines!(
    a_refusal_through_the_server_function_looks_as_it_does_through_the_endpoint
);

async fn a_refusal_through_the_server_function_looks_as_it_does_through_the_endpoint(
    engine: Engine,
) {
    fullstack::run(engine, |s: Session| async move {
        let mut views = Vec::new();
        for path in ["/", "/rest"] {
            s.sandbox_admin(
                "/__sandbox/faults",
                json!({ "count": 1, "fault": "status", "status": 401 }),
            )
            .await;
            before_hydration(&s, path).await;
            s.wait_for_state("error", Duration::from_secs(20)).await;
            let (asked, other) = if path == "/" {
                (SERVER_FN, REST)
            } else {
                (REST, SERVER_FN)
            };
            assert_eq!(
                s.app_requests_to("POST", asked),
                1,
                "{path} asked through {asked}, once: {:?}",
                s.app_requests()
            );
            if path == "/" {
                assert_eq!(
                    s.app_requests_to("POST", other),
                    0,
                    "{:?}",
                    s.app_requests()
                );
            }
            let view = s
                .browser
                .execute(
                    "const e = document.querySelector('.moments-embed__error'); \
                     return [e.getAttribute('data-error'), \
                             e.querySelector('.moments-embed__message').textContent, \
                             !!e.querySelector('.moments-embed__next')];",
                    vec![],
                )
                .await
                .unwrap();
            views.push(view);
        }
        assert_eq!(
            views[0], views[1],
            "the same error view through either transport"
        );
        assert_eq!(views[0][0], "http", "{views:?}");
        assert_eq!(
            views[0][2], false,
            "a refused key is not retried: {views:?}"
        );
        assert!(
            views[0][1]
                .as_str()
                .unwrap()
                .contains("credentials were refused"),
            "{views:?}"
        );
    })
    .await;
}
