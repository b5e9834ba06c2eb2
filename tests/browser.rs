//! Browser tests: `<MomentsEmbed/>` mounted in headless Chromium (`wasm-pack test`).
//!
//! The backend is scripted (see `support`); frames are same-origin pages of the test
//! runner, so a test can make a frame post real messages, and the component's origin and
//! source checks see what a browser really reports.

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use leptos::prelude::*;
use moments_embed::{
    ErrorView, FetchRequest, Fetcher, Height, MomentsEmbed, MomentsError, MomentsEvent,
    MomentsHandle, Product, SessionConfig, SessionGrant, live_resources,
};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{
    Backend, error_body, forge_message, frame_element, frame_height, frame_window, gap_ms, mount,
    origin, post_message_from, wait_for,
};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// Fast retries, so the tests do not wait for production backoff.
fn quick(max_attempts: u32) -> SessionConfig {
    SessionConfig {
        lazy: false,
        max_attempts,
        backoff_base: Duration::from_millis(40),
        backoff_cap: Duration::from_millis(80),
        ..SessionConfig::default()
    }
}

fn click(element: web_sys::Element) {
    element.unchecked_into::<web_sys::HtmlElement>().click();
}

#[wasm_bindgen_test]
async fn loading_then_iframe_with_the_escaped_request_uri_then_ready() {
    let backend = Backend::install();
    backend.respond_after(
        150,
        200,
        support::grant_body("urn:ietf:params:oauth:request_uri:a&b c", 60),
    );
    let page = mount(|| view! { <MomentsEmbed lazy=false/> });

    wait_for("the loading state", 1_000, || page.state() == "fetching").await;
    let root = page.find(".moments-embed").unwrap();
    assert_eq!(
        root.get_attribute("aria-busy").as_deref(),
        Some("true"),
        "busy while loading"
    );
    assert!(
        root.class_list().contains("moments-embed--fetching"),
        "state modifier class"
    );
    assert!(
        page.find(".moments-embed__loading").is_some(),
        "a loading indicator"
    );
    let status = page
        .find("[role=status]")
        .expect("a live region announces loading");
    assert_eq!(status.get_attribute("aria-live").as_deref(), Some("polite"));
    assert_eq!(page.count("iframe"), 0, "no frame before the grant arrives");

    wait_for("the frame", 2_000, || {
        page.count("iframe.moments-embed__frame") == 1
    })
    .await;
    let frame = frame_element(&page);
    let src = frame.get_attribute("src").unwrap();
    assert!(
        src.ends_with("request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Aa%26b%20c"),
        "request_uri is query-escaped: {src}"
    );
    assert_eq!(
        frame.get_attribute("title").as_deref(),
        Some("Infobip Moments campaigns"),
        "the frame has an accessible name"
    );
    let sandbox = frame.get_attribute("sandbox").unwrap();
    assert!(
        sandbox.contains("allow-scripts") && !sandbox.contains("allow-top-navigation"),
        "{sandbox}"
    );
    assert!(
        sandbox.contains("allow-storage-access-by-user-activation"),
        "a frame whose cookies are withheld may ask for them: {sandbox}"
    );
    assert_eq!(
        frame.get_attribute("allow").as_deref(),
        Some("storage-access"),
        "and its Permissions Policy says so"
    );
    wait_for("ready after the frame loads", 5_000, || {
        page.state() == "ready"
    })
    .await;
    assert_eq!(root.get_attribute("aria-busy").as_deref(), Some("false"));
    assert!(
        page.find(".moments-embed__loading").is_none(),
        "no spinner once ready"
    );

    let requests = backend.requests();
    assert_eq!(requests.len(), 1, "exactly one fetch: {requests:?}");
    assert_eq!(requests[0]["method"], "POST");
    assert!(
        requests[0]["url"]
            .as_str()
            .unwrap()
            .ends_with("/api/moments/session")
    );
    assert_eq!(requests[0]["headers"]["content-type"], "application/json");
    assert_eq!(requests[0]["body"], "{}");
    page.unmount().await;
}

#[wasm_bindgen_test]
async fn a_fatal_server_error_shows_its_message_and_a_retry_button_that_works() {
    let backend = Backend::install();
    backend.respond(
        502,
        error_body(
            "upstream_auth",
            "The server's Infobip credentials were refused.",
            false,
        ),
    );
    backend.grant("urn:ietf:params:oauth:request_uri:second", 60);
    let page = mount(|| view! { <MomentsEmbed lazy=false endpoint="/custom/session"/> });

    wait_for("the error view", 2_000, || page.state() == "error").await;
    let alert = page.find("[role=alert]").expect("errors are announced");
    assert_eq!(
        page.find(".moments-embed__message")
            .unwrap()
            .text_content()
            .unwrap(),
        "The server's Infobip credentials were refused."
    );
    assert!(
        page.find(".moments-embed__next").is_none(),
        "a fatal error does not retry by itself"
    );
    assert_eq!(alert.get_attribute("data-error").as_deref(), Some("http"));
    support::sleep(300).await;
    assert_eq!(backend.requests().len(), 1, "no retry storm");
    assert!(
        backend.requests()[0]["url"]
            .as_str()
            .unwrap()
            .ends_with("/custom/session")
    );

    let retry = page.find("button.moments-embed__retry").unwrap();
    assert_eq!(
        retry.get_attribute("type").as_deref(),
        Some("button"),
        "a real, focusable button"
    );
    click(retry);
    wait_for("the frame after Retry", 3_000, || page.count("iframe") == 1).await;
    assert_eq!(backend.requests().len(), 2);
    page.unmount().await;
    assert_eq!(
        live_resources(),
        Default::default(),
        "unmount leaves nothing behind"
    );
}

#[wasm_bindgen_test]
async fn retries_back_off_and_honour_retry_after() {
    let backend = Backend::install();
    backend.respond_with_headers(
        503,
        error_body("upstream_rate_limited", "Infobip is busy right now.", true),
        json!({ "retry-after": "1" }),
    );
    backend.respond(
        503,
        error_body(
            "upstream_unavailable",
            "Infobip could not be reached.",
            true,
        ),
    );
    backend.grant("u-after-retries", 60);
    let page = mount(|| view! { <MomentsEmbed session_config=quick(5)/> });

    wait_for("a scheduled retry", 2_000, || {
        page.find(".moments-embed__next").is_some()
    })
    .await;
    let next = page
        .find(".moments-embed__next")
        .unwrap()
        .text_content()
        .unwrap();
    assert_eq!(next, "Trying again in 1 s.", "Retry-After is announced");
    wait_for("ready after two failures", 5_000, || {
        page.state() == "ready"
    })
    .await;

    let requests = backend.requests();
    assert_eq!(requests.len(), 3, "{requests:?}");
    let honoured = gap_ms(&requests, 0, 1);
    assert!(
        honoured >= 990.0,
        "Retry-After: 1 was honoured ({honoured} ms)"
    );
    let backed_off = gap_ms(&requests, 1, 2);
    assert!(
        backed_off < 900.0,
        "the second backoff is the short jittered one ({backed_off} ms)"
    );
    page.unmount().await;
}

#[wasm_bindgen_test]
async fn retries_stop_after_the_last_attempt() {
    let backend = Backend::install();
    for _ in 0..5 {
        backend.respond(
            503,
            error_body(
                "upstream_unavailable",
                "Infobip could not be reached.",
                true,
            ),
        );
    }
    let page = mount(|| view! { <MomentsEmbed session_config=quick(3)/> });
    wait_for("the final error", 3_000, || {
        page.state() == "error" && page.find(".moments-embed__next").is_none()
    })
    .await;
    support::sleep(400).await;
    assert_eq!(
        backend.requests().len(),
        3,
        "max_attempts bounds the retries"
    );
    assert_eq!(
        page.find(".moments-embed__message")
            .unwrap()
            .text_content()
            .unwrap(),
        "Infobip could not be reached."
    );
    page.unmount().await;
    assert_eq!(
        live_resources(),
        Default::default(),
        "unmounting in the error state releases the Retry button's listener too"
    );
}

#[wasm_bindgen_test]
async fn the_markup_follows_the_state_and_a_class_signal() {
    let backend = Backend::install();
    backend.respond(502, error_body("upstream_auth", "refused", false));
    backend.respond_after(300, 200, support::grant_body("u-after-markup-retry", 60));
    let extra = RwSignal::new("campaigns".to_owned());
    let page = mount(move || view! { <MomentsEmbed lazy=false class=extra/> });

    wait_for("the error view", 2_000, || page.state() == "error").await;
    let root = page.find(".moments-embed").unwrap();
    let status = page.find("[role=status]").unwrap();
    assert_eq!(
        root.class_name(),
        "moments-embed moments-embed--error moments-embed--height-auto campaigns"
    );
    assert_eq!(root.get_attribute("aria-busy").as_deref(), Some("false"));
    assert_eq!(status.text_content().as_deref(), Some(""));
    assert_eq!(
        page.count(".moments-embed__loading"),
        0,
        "no spinner beside an error"
    );
    assert_eq!(page.count(".moments-embed__error"), 1);
    let alert = status
        .next_element_sibling()
        .expect("the error view follows the status");
    assert_eq!(alert.class_name(), "moments-embed__error");

    extra.set("campaigns wide".to_owned());
    wait_for("the class to follow its signal", 1_000, || {
        root.class_name().ends_with(" campaigns wide")
    })
    .await;
    assert!(
        alert.is_connected(),
        "a class change does not rebuild the error view (focus would be lost)"
    );

    click(page.find("button.moments-embed__retry").unwrap());
    wait_for("loading again after Retry", 1_000, || {
        page.state() == "fetching"
    })
    .await;
    assert_eq!(
        page.count(".moments-embed__error"),
        0,
        "the error view is gone"
    );
    assert!(!alert.is_connected());
    let loading = status
        .next_element_sibling()
        .expect("the loading view is back, after the status");
    assert_eq!(loading.class_name(), "moments-embed__loading");
    assert_eq!(
        page.count(".moments-embed__spinner"),
        1,
        "one spinner, not a copy"
    );
    assert_eq!(status.text_content().as_deref(), Some("Loading campaigns…"));
    assert_eq!(root.get_attribute("aria-busy").as_deref(), Some("true"));

    wait_for("ready", 5_000, || page.state() == "ready").await;
    assert_eq!(page.count(".moments-embed__loading"), 0);
    assert_eq!(status.text_content().as_deref(), Some("Campaigns loaded."));
    assert_eq!(
        root.class_name(),
        "moments-embed moments-embed--ready moments-embed--height-auto campaigns wide"
    );
    page.unmount().await;
}

#[wasm_bindgen_test]
async fn an_answers_frame_is_announced_and_named_as_the_chatbot_builder() {
    let backend = Backend::install();
    backend.respond_after(300, 200, support::grant_body("u-answers", 60));
    let page =
        mount(|| view! { <MomentsEmbed lazy=false embedding="chatbot" product=Product::Answers/> });
    let status = page.find("[role=status]").unwrap();
    assert_eq!(
        status.text_content().as_deref(),
        Some("Loading the chatbot builder…")
    );

    wait_for("ready", 5_000, || page.state() == "ready").await;
    assert_eq!(
        status.text_content().as_deref(),
        Some("Chatbot builder loaded.")
    );
    assert_eq!(
        frame_element(&page).get_attribute("title").as_deref(),
        Some("Infobip Answers chatbot builder"),
        "the frame's accessible name is the product's"
    );
    let asked: Value =
        serde_json::from_str(backend.requests()[0]["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        asked,
        json!({ "embedding": "chatbot" }),
        "the browser names an embedding, never a product or a scope"
    );
    page.unmount().await;
}

#[wasm_bindgen_test]
async fn coming_back_online_or_visible_retries_at_once() {
    let backend = Backend::install();
    backend.fail_network();
    backend.fail_network();
    backend.grant("u-online", 60);
    let slow = SessionConfig {
        backoff_base: Duration::from_secs(60),
        backoff_cap: Duration::from_secs(60),
        ..quick(5)
    };
    let page = mount(move || view! { <MomentsEmbed session_config=slow/> });
    wait_for("a network error", 2_000, || page.state() == "error").await;
    assert_eq!(page.error_kind().as_deref(), Some("network"));
    let window = leptos::prelude::window();
    window
        .dispatch_event(&web_sys::Event::new("online").unwrap())
        .unwrap();
    wait_for("a second attempt at once", 1_000, || {
        backend.requests().len() == 2
    })
    .await;
    wait_for("the second network error", 1_000, || {
        page.state() == "error"
    })
    .await;
    let document = support::document();
    document
        .dispatch_event(&web_sys::Event::new("visibilitychange").unwrap())
        .unwrap();
    wait_for("ready after the tab is visible again", 3_000, || {
        page.state() == "ready"
    })
    .await;
    assert_eq!(backend.requests().len(), 3);
    page.unmount().await;
}

#[wasm_bindgen_test]
async fn lazy_frames_wait_for_the_viewport() {
    let backend = Backend::install();
    backend.grant("u-lazy", 60);
    let viewport = leptos::prelude::window()
        .inner_height()
        .unwrap()
        .as_f64()
        .unwrap();
    let spacer = format!("height: {}px", viewport * 3.0);
    let page = mount(move || {
        view! {
            <div style=spacer></div>
            <MomentsEmbed/>
        }
    });
    support::sleep(400).await;
    assert_eq!(
        backend.requests().len(),
        0,
        "nothing is fetched far from the viewport"
    );
    assert_eq!(page.state(), "idle");
    page.find(".moments-embed").unwrap().scroll_into_view();
    wait_for("ready once scrolled into view", 5_000, || {
        page.state() == "ready"
    })
    .await;
    assert_eq!(backend.requests().len(), 1);
    leptos::prelude::window().scroll_to_with_x_and_y(0.0, 0.0);
    page.unmount().await;
}

#[wasm_bindgen_test]
async fn an_expired_prefetched_uri_is_replaced_by_exactly_one_fresh_fetch() {
    let backend = Backend::install();
    backend.grant("urn:ietf:params:oauth:request_uri:prefetched", 2);
    backend.grant("urn:ietf:params:oauth:request_uri:fresh", 60);
    let viewport = leptos::prelude::window()
        .inner_height()
        .unwrap()
        .as_f64()
        .unwrap();
    // Just below the fold: inside the 300 px prefetch margin, not yet shown.
    let spacer = format!("height: {}px", viewport + 100.0);
    let page = mount(move || {
        view! {
            <div style=spacer></div>
            <MomentsEmbed/>
        }
    });
    wait_for("the prefetch", 2_000, || backend.requests().len() == 1).await;
    support::sleep(200).await;
    assert_eq!(
        page.count("iframe"),
        0,
        "prefetched, but not shown: no frame yet"
    );
    assert_eq!(page.state(), "idle");

    // 2 s lifetime, 1 s margin: after 1.5 s the held URI must not be presented.
    support::sleep(1_500).await;
    assert_eq!(
        backend.requests().len(),
        1,
        "dropping it alone fetches nothing"
    );
    page.find(".moments-embed").unwrap().scroll_into_view();
    wait_for("the frame", 3_000, || page.count("iframe") == 1).await;
    let src = frame_element(&page).get_attribute("src").unwrap();
    assert!(
        src.ends_with("request_uri%3Afresh"),
        "the fresh URI, never the expired one: {src}"
    );
    support::sleep(300).await;
    assert_eq!(backend.requests().len(), 2, "exactly one fresh fetch");
    leptos::prelude::window().scroll_to_with_x_and_y(0.0, 0.0);
    page.unmount().await;
}

#[wasm_bindgen_test]
async fn only_messages_from_the_frames_origin_and_window_are_believed() {
    let backend = Backend::install();
    backend.grant("u-messages", 60);
    let page = mount(|| {
        view! {
            <MomentsEmbed lazy=false height=Height::Auto { min: 100.0, max: 2000.0 }/>
            <iframe class="stranger" src="/another-frame"></iframe>
        }
    });
    wait_for("ready", 5_000, || page.state() == "ready").await;
    assert_eq!(frame_height(&page), "100px", "min height before any report");
    let resize = |height: u32| json!({ "type": "moments:resize", "height": height });

    // The host page itself (same origin, wrong window).
    let host = leptos::prelude::window();
    host.post_message(&serde_wasm_value(&resize(701)), "*")
        .unwrap();
    // Another same-origin frame on the page (right origin, wrong window).
    let stranger: web_sys::HtmlIFrameElement =
        page.find("iframe.stranger").unwrap().unchecked_into();
    wait_for("the stranger frame", 3_000, || {
        stranger
            .content_window()
            .is_some_and(|w| w.location().href().is_ok_and(|h| h.contains("another")))
    })
    .await;
    post_message_from(&stranger.content_window().unwrap(), &resize(702));
    // The right window claiming another origin.
    forge_message(
        &resize(703),
        "https://evil.example",
        Some(&frame_window(&page)),
    );
    // Our frame, but not one of our messages.
    post_message_from(
        &frame_window(&page),
        &json!({ "type": "moments:resize", "height": -5 }),
    );
    post_message_from(&frame_window(&page), &json!({ "type": "webpackOk" }));
    support::sleep(100).await;
    support::animation_frame().await;
    assert_eq!(
        frame_height(&page),
        "100px",
        "no foreign message changed the height"
    );

    post_message_from(&frame_window(&page), &resize(640));
    wait_for("the frame's own resize", 1_000, || {
        frame_height(&page) == "640px"
    })
    .await;
    post_message_from(&frame_window(&page), &resize(5_000));
    wait_for("the max clamp", 1_000, || frame_height(&page) == "2000px").await;
    page.unmount().await;
}

/// `postMessage` takes a JS value; our messages are JSON.
fn serde_wasm_value(value: &Value) -> wasm_bindgen::JsValue {
    js_sys::JSON::parse(&value.to_string()).unwrap()
}

#[wasm_bindgen_test]
async fn a_burst_of_resizes_writes_the_height_at_most_once_per_frame() {
    let backend = Backend::install();
    backend.grant("u-burst", 60);
    let page = mount(
        || view! { <MomentsEmbed lazy=false height=Height::Auto { min: 100.0, max: 5000.0 }/> },
    );
    wait_for("ready", 5_000, || page.state() == "ready").await;

    let writes = Arc::new(Mutex::new(0_u32));
    let counted = Arc::clone(&writes);
    let observer_callback = wasm_bindgen::closure::Closure::<dyn FnMut(js_sys::Array)>::new(
        move |records: js_sys::Array| *counted.lock().unwrap() += records.length(),
    );
    let observer =
        web_sys::MutationObserver::new(observer_callback.as_ref().unchecked_ref()).unwrap();
    let options = web_sys::MutationObserverInit::new();
    options.set_attributes(true);
    options.set_attribute_filter(&js_sys::Array::of1(&"style".into()));
    observer
        .observe_with_options(&frame_element(&page), &options)
        .unwrap();

    // 50 real messages from the frame: each is its own task, so without coalescing
    // every one of them would reach the DOM.
    let frame = frame_window(&page);
    support::start_counting_frames();
    for height in 1..=50 {
        post_message_from(
            &frame,
            &json!({ "type": "moments:resize", "height": 300 + height }),
        );
    }
    wait_for("the last report", 2_000, || frame_height(&page) == "350px").await;
    support::animation_frame().await;
    let frames = support::stop_counting_frames();
    let writes = *writes.lock().unwrap();
    assert!(writes >= 1, "the height was written");
    assert!(
        writes <= frames,
        "{writes} style writes in {frames} animation frames: at most one per frame"
    );
    observer.disconnect();
    page.unmount().await;
}

#[wasm_bindgen_test]
async fn height_and_title_follow_their_signals_without_a_new_session() {
    let backend = Backend::install();
    backend.respond_after(400, 200, support::grant_body("u-reactive", 60));
    let height = RwSignal::new(Height::Fixed(400.0));
    let title = RwSignal::new("Campaigns".to_owned());
    let page = mount(move || view! { <MomentsEmbed lazy=false height=height title=title/> });
    let root: web_sys::HtmlElement = page.find(".moments-embed").unwrap().unchecked_into();
    let placeholder = || {
        web_sys::HtmlElement::style(&root)
            .get_property_value("--moments-embed-min-height")
            .unwrap()
    };

    // While the session is being fetched, the placeholder holds the frame's room, and
    // follows the option.
    wait_for("the placeholder sized", 1_000, || placeholder() == "400px").await;
    height.set(Height::Fixed(520.0));
    wait_for("the placeholder resized", 1_000, || {
        placeholder() == "520px"
    })
    .await;
    assert_eq!(page.state(), "fetching", "resized before the frame exists");

    wait_for("ready", 5_000, || page.state() == "ready").await;
    let frame = frame_element(&page);
    assert_eq!(
        frame_height(&page),
        "520px",
        "the frame starts at the option's height"
    );
    assert_eq!(frame.get_attribute("title").as_deref(), Some("Campaigns"));

    // A report does not move a fixed frame, but it is remembered for `Auto`.
    post_message_from(
        &frame_window(&page),
        &json!({ "type": "moments:resize", "height": 900 }),
    );
    support::sleep(100).await;
    assert_eq!(frame_height(&page), "520px");
    height.set(Height::Auto {
        min: 100.0,
        max: 5_000.0,
    });
    wait_for("auto: the reported height", 1_000, || {
        frame_height(&page) == "900px"
    })
    .await;
    height.set(Height::Auto {
        min: 100.0,
        max: 700.0,
    });
    wait_for("auto: clamped to the new max", 1_000, || {
        frame_height(&page) == "700px"
    })
    .await;
    assert_eq!(
        placeholder(),
        "700px",
        "the placeholder keeps the frame's room"
    );
    assert!(
        page.find(".moments-embed--height-auto").is_some(),
        "the modifier follows"
    );

    title.set("Marketing journeys".to_owned());
    wait_for("renamed", 1_000, || {
        frame.get_attribute("title").as_deref() == Some("Marketing journeys")
    })
    .await;

    assert!(frame.is_connected(), "the same frame: nothing was reloaded");
    assert_eq!(
        backend.requests().len(),
        1,
        "and no new session was asked for"
    );
    page.unmount().await;
}

#[wasm_bindgen_test]
async fn a_session_that_ends_in_the_frame_gets_a_fresh_uri_and_a_new_frame_at_the_same_height() {
    let backend = Backend::install();
    backend.grant("u-first", 60);
    backend.respond_after(100, 200, support::grant_body("u-second", 60));
    let events = Arc::new(Mutex::new(Vec::<String>::new()));
    let log = Arc::clone(&events);
    let on_event = move |event: MomentsEvent| {
        if let MomentsEvent::StateChanged(state) = event {
            log.lock().unwrap().push(state.as_str().to_owned());
        }
    };
    let page = mount(move || view! { <MomentsEmbed lazy=false on_event=on_event/> });
    wait_for("ready", 5_000, || page.state() == "ready").await;
    let first = frame_element(&page);
    post_message_from(
        &frame_window(&page),
        &json!({ "type": "moments:resize", "height": 640 }),
    );
    wait_for("the reported height", 1_000, || {
        frame_height(&page) == "640px"
    })
    .await;

    post_message_from(
        &frame_window(&page),
        &json!({ "type": "moments:session-expired" }),
    );
    wait_for("refreshing", 1_000, || page.state() == "refreshing").await;
    assert!(
        first.is_connected(),
        "the old frame stays until its replacement is ready to go"
    );
    wait_for("the new frame", 3_000, || {
        page.find("iframe")
            .is_some_and(|f| f.get_attribute("src").unwrap().ends_with("u-second"))
    })
    .await;
    assert!(
        !first.is_connected(),
        "a fresh <iframe> element, not a navigation of the old one"
    );
    assert_eq!(
        frame_height(&page),
        "640px",
        "the last height is kept: no layout jump"
    );
    wait_for("ready again", 5_000, || page.state() == "ready").await;
    assert_eq!(backend.requests().len(), 2);
    assert_eq!(
        *events.lock().unwrap(),
        [
            "fetching",
            "mounting",
            "ready",
            "refreshing",
            "mounting",
            "ready"
        ],
        "the host saw every state"
    );
    page.unmount().await;
}

#[wasm_bindgen_test]
async fn a_refused_uri_is_replaced_but_an_unknown_one_is_fatal() {
    let backend = Backend::install();
    backend.grant("u-reused", 60);
    backend.grant("u-replacement", 60);
    backend.grant("u-unknown", 60);
    let page = mount(|| view! { <MomentsEmbed session_config=quick(5)/> });
    wait_for("ready", 5_000, || page.state() == "ready").await;
    let refused = |reason: &str| json!({ "type": "moments:error", "code": "invalid_request_uri", "reason": reason, "message": "no" });
    post_message_from(&frame_window(&page), &refused("reused"));
    wait_for("the replacement frame", 3_000, || {
        page.find("iframe")
            .is_some_and(|f| f.get_attribute("src").unwrap().ends_with("u-replacement"))
    })
    .await;
    wait_for("ready", 5_000, || page.state() == "ready").await;

    post_message_from(&frame_window(&page), &refused("unknown"));
    wait_for("a fatal error", 2_000, || {
        page.state() == "error" && page.find(".moments-embed__next").is_none()
    })
    .await;
    assert_eq!(page.error_kind().as_deref(), Some("authorize"));
    assert_eq!(backend.requests().len(), 2, "an unknown URI is not retried");
    page.unmount().await;
}

#[wasm_bindgen_test]
async fn a_frame_that_does_not_load_in_time_is_an_error_not_a_hang() {
    let backend = Backend::install();
    backend.grant("u-slow-frame", 60);
    let config = SessionConfig {
        ready_timeout: Duration::from_millis(1),
        ..quick(1)
    };
    let page = mount(move || view! { <MomentsEmbed session_config=config/> });
    wait_for("the timeout error", 3_000, || page.state() == "error").await;
    assert_eq!(page.error_kind().as_deref(), Some("frame_timeout"));
    assert_eq!(
        page.count("iframe"),
        0,
        "the frame that never came is removed"
    );
    page.unmount().await;
}

#[wasm_bindgen_test]
async fn a_silent_frame_stays_ready_long_past_its_ready_timeout() {
    let backend = Backend::install();
    backend.grant("u-silent", 60);
    // The test frame posts nothing: `load` alone makes it ready.
    let config = SessionConfig {
        ready_timeout: Duration::from_millis(200),
        ..quick(1)
    };
    let page = mount(move || view! { <MomentsEmbed session_config=config/> });
    wait_for("ready on load", 3_000, || page.state() == "ready").await;
    support::sleep(1_000).await;
    assert_eq!(
        page.state(),
        "ready",
        "five ready timeouts later, a silent frame is still ready"
    );
    assert_eq!(page.count("iframe"), 1, "and still on the page");
    assert_eq!(
        backend.requests().len(),
        1,
        "exactly one session was requested"
    );
    page.unmount().await;
}

#[wasm_bindgen_test]
async fn unmounting_aborts_the_fetch_in_flight_and_leaves_nothing_behind() {
    let backend = Backend::install();
    backend.respond_after(5_000, 200, support::grant_body("u-never", 60));
    let page = mount(|| view! { <MomentsEmbed lazy=false/> });
    wait_for("the request", 2_000, || backend.requests().len() == 1).await;
    let during = live_resources();
    assert_eq!(during.fetches, 1, "{during:?}");
    assert!(during.listeners >= 5 && during.timers >= 1, "{during:?}");
    page.unmount().await;
    wait_for("the abort", 1_000, || {
        backend.requests()[0]["aborted"] == true
    })
    .await;
    assert_eq!(live_resources(), Default::default());

    // And from every other state: observing (lazy), ready with a resize pending its
    // animation frame, an error waiting on its retry timer, and a fatal error.
    let slow_retry = SessionConfig {
        backoff_base: Duration::from_secs(60),
        backoff_cap: Duration::from_secs(60),
        ..quick(5)
    };
    for case in ["observing", "resize pending", "retry timer", "fatal"] {
        let backend = Backend::install();
        match case {
            "retry timer" => backend.respond(503, error_body("upstream_unavailable", "down", true)),
            "fatal" => backend.respond(502, error_body("upstream_auth", "refused", false)),
            _ => backend.grant("u-case", 60),
        };
        let config = SessionConfig {
            lazy: case == "observing",
            ..slow_retry.clone()
        };
        let page = mount(move || view! { <MomentsEmbed session_config=config/> });
        match case {
            "observing" => wait_for("observing", 2_000, || live_resources().observers == 2).await,
            "resize pending" => {
                wait_for("ready", 5_000, || page.state() == "ready").await;
                let resize = json!({ "type": "moments:resize", "height": 500 });
                forge_message(&resize, &origin(), Some(&frame_window(&page)));
                assert_eq!(
                    live_resources().animation_frames,
                    1,
                    "a height write is pending"
                );
            }
            _ => wait_for("the error", 2_000, || page.state() == "error").await,
        }
        page.unmount().await;
        assert_eq!(
            live_resources(),
            Default::default(),
            "after unmounting in state: {case}"
        );
    }
}

#[wasm_bindgen_test]
async fn two_instances_do_not_interfere() {
    let backend = Backend::install();
    backend.grant("u-left", 60);
    backend.grant("u-right", 60);
    backend.grant("u-left-2", 60);
    let page = mount(|| {
        view! {
            <div class="left"><MomentsEmbed lazy=false embedding="left" height=Height::Auto { min: 100.0, max: 2000.0 }/></div>
            <div class="right"><MomentsEmbed lazy=false embedding="right" height=Height::Auto { min: 100.0, max: 2000.0 }/></div>
        }
    });
    wait_for("both ready", 5_000, || {
        page.count(".moments-embed[data-state=ready]") == 2
    })
    .await;
    let frame = |side: &str| -> web_sys::HtmlIFrameElement {
        page.find(&format!(".{side} iframe"))
            .unwrap()
            .unchecked_into()
    };
    let bodies: Vec<String> = backend
        .requests()
        .iter()
        .map(|r| r["body"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        bodies.contains(&r#"{"embedding":"left"}"#.to_owned()),
        "{bodies:?}"
    );
    assert!(
        bodies.contains(&r#"{"embedding":"right"}"#.to_owned()),
        "{bodies:?}"
    );

    let left = frame("left");
    post_message_from(
        &left.content_window().unwrap(),
        &json!({ "type": "moments:resize", "height": 900 }),
    );
    wait_for("left resized", 1_000, || {
        support::height_of(&left) == "900px"
    })
    .await;
    assert_eq!(support::height_of(&frame("right")), "100px");

    post_message_from(
        &left.content_window().unwrap(),
        &json!({ "type": "moments:session-expired" }),
    );
    wait_for("left remounted", 3_000, || {
        frame("left")
            .get_attribute("src")
            .unwrap()
            .ends_with("u-left-2")
    })
    .await;
    assert_eq!(
        page.find(".right .moments-embed")
            .unwrap()
            .get_attribute("data-state")
            .as_deref(),
        Some("ready")
    );
    assert!(
        frame("right")
            .get_attribute("src")
            .unwrap()
            .ends_with("u-right")
    );
    assert_eq!(backend.requests().len(), 3);
    page.unmount().await;
    assert_eq!(live_resources(), Default::default());
}

#[wasm_bindgen_test]
async fn headers_reload_frame_events_and_a_custom_fetcher() {
    let backend = Backend::install();
    backend.grant("u-headers", 60);
    backend.grant("u-reloaded", 60);
    let handle = MomentsHandle::new();
    let frames = Arc::new(Mutex::new(Vec::<(String, Value)>::new()));
    let seen = Arc::clone(&frames);
    let on_event = move |event: MomentsEvent| {
        if let MomentsEvent::Frame { name, data } = event {
            seen.lock()
                .unwrap()
                .push((name, serde_json::from_str(&data).unwrap()));
        }
    };
    let headers = vec![("X-CSRF-Token".to_owned(), "t0k3n".to_owned())];
    let page = mount(move || {
        view! { <MomentsEmbed lazy=false headers=headers handle=handle on_event=on_event title="Campaigns"/> }
    });
    wait_for("ready", 5_000, || page.state() == "ready").await;
    assert_eq!(backend.requests()[0]["headers"]["x-csrf-token"], "t0k3n");
    assert_eq!(
        frame_element(&page).get_attribute("title").as_deref(),
        Some("Campaigns")
    );
    assert_eq!(
        handle.state().get_untracked().as_str(),
        "ready",
        "the host reads the state"
    );

    post_message_from(
        &frame_window(&page),
        &json!({ "type": "moments:event", "name": "use_case.activated", "data": { "id": "uc-1" } }),
    );
    wait_for("the frame event", 1_000, || {
        !frames.lock().unwrap().is_empty()
    })
    .await;
    assert_eq!(
        frames.lock().unwrap()[0],
        ("use_case.activated".to_owned(), json!({ "id": "uc-1" }))
    );

    handle.reload();
    wait_for("the reloaded frame", 3_000, || {
        page.find("iframe")
            .is_some_and(|f| f.get_attribute("src").unwrap().ends_with("u-reloaded"))
    })
    .await;
    page.unmount().await;

    // A host with its own transport: the backend is never called.
    let backend = Backend::install();
    let asked = Arc::new(Mutex::new(Vec::<Option<String>>::new()));
    let record = Arc::clone(&asked);
    let fetcher = Fetcher::new(move |request: FetchRequest| {
        record.lock().unwrap().push(request.body.embedding);
        Box::pin(async move {
            let body = support::grant_body("u-custom", 60);
            Ok(serde_json::from_value::<SessionGrant>(body).unwrap())
        })
    });
    let page = mount(move || view! { <MomentsEmbed lazy=false fetcher=fetcher embedding="crm"/> });
    wait_for("ready via the fetcher", 5_000, || page.state() == "ready").await;
    assert_eq!(*asked.lock().unwrap(), [Some("crm".to_owned())]);
    assert!(backend.requests().is_empty());
    page.unmount().await;
}

#[wasm_bindgen_test]
async fn custom_loading_and_error_views_replace_the_defaults() {
    let backend = Backend::install();
    backend.respond_after(300, 502, error_body("upstream_auth", "refused", false));
    /// A host's context, which its error view reads.
    #[derive(Clone)]
    struct Brand(&'static str);
    let cleaned_up = Arc::new(Mutex::new(0));
    let counter = Arc::clone(&cleaned_up);
    let error_view = ErrorView::new(move |error: MomentsError, retry: Callback<()>| {
        let brand = use_context::<Brand>().map_or("no context", |b| b.0);
        let counter = Arc::clone(&counter);
        on_cleanup(move || *counter.lock().unwrap() += 1);
        view! {
            <div class="mine" data-brand=brand>
                <span>{format!("oops: {error}")}</span>
                <button class="mine-retry" on:click=move |_| retry.run(())>"again"</button>
            </div>
        }
    });
    let page = mount(move || {
        provide_context(Brand("acme"));
        view! {
            <MomentsEmbed lazy=false
                loading=|| view! { <b class="my-spinner">"Loading…"</b> }
                error_view=error_view/>
        }
    });
    wait_for("the custom loading view", 1_000, || {
        page.find(".my-spinner").is_some()
    })
    .await;
    wait_for("the custom error view", 2_000, || {
        page.find(".mine").is_some()
    })
    .await;
    assert_eq!(
        page.find(".mine span").unwrap().text_content().unwrap(),
        "oops: refused"
    );
    assert!(
        page.find(".moments-embed__retry").is_none(),
        "the default view is replaced"
    );
    assert_eq!(
        page.find(".mine")
            .unwrap()
            .get_attribute("data-brand")
            .as_deref(),
        Some("acme"),
        "the host's error view sees the host's context"
    );
    assert_eq!(*cleaned_up.lock().unwrap(), 0);

    // The custom view's own button is wired to the component's retry.
    backend.grant("u-after-custom-retry", 60);
    page.find(".mine-retry")
        .unwrap()
        .unchecked_into::<web_sys::HtmlElement>()
        .click();
    wait_for("ready after the custom retry", 5_000, || {
        page.state() == "ready"
    })
    .await;
    assert_eq!(
        backend.requests().len(),
        2,
        "one more request, from the click"
    );
    assert!(
        page.find(".mine").is_none(),
        "the error view is gone once ready"
    );
    assert_eq!(
        *cleaned_up.lock().unwrap(),
        1,
        "and what it owned is cleaned up with it"
    );
    page.unmount().await;
}
