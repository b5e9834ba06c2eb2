//! Keep-alive (`keep_alive`): a kept frame outlives its component, the next component
//! with its key adopts it as it was, and every bound releases it. In both engines.
//!
//! `Mounted::unmount` removes the component's DOM first and runs its cleanup on the
//! next tick, which is the order a router's navigation has (leptos_router removes the
//! old page, then drops its owner): the frame must survive exactly that.

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use leptos::prelude::*;
use moments_embed::{
    KeepAlive, MomentsEmbed, MomentsEvent, MomentsHandle, SessionState, live_resources,
    release_kept_frames,
};
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{Backend, FrameLoadsSwallowed, document, mount, post_message_from, sleep, wait_for};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::HtmlIFrameElement;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(inline_js = r#"
export function record_listeners() {
  const seen = [];
  const original = EventTarget.prototype.addEventListener;
  EventTarget.prototype.addEventListener = function (type, ...rest) {
    seen.push(String(type));
    return original.call(this, type, ...rest);
  };
  return () => { EventTarget.prototype.addEventListener = original; return seen.join(","); };
}
export function type_into(win, text) {
  const input = win.document.createElement("input");
  input.id = "typed";
  win.document.body.appendChild(input);
  input.value = text;
}
export function show_page_from_cache(persisted) {
  window.dispatchEvent(new PageTransitionEvent("pageshow", { persisted }));
}
export function typed(win) {
  const input = win.document.getElementById("typed");
  return input ? input.value : null;
}
"#)]
extern "C" {
    fn record_listeners() -> js_sys::Function;
    fn type_into(win: &web_sys::Window, text: &str);
    fn typed(win: &web_sys::Window) -> Option<String>;
    fn show_page_from_cache(persisted: bool);
}

type Events = Arc<Mutex<Vec<MomentsEvent>>>;

/// A clean page for the next test, whatever the last one left when it failed: no
/// parked frame, no stray frame element.
fn fresh_backend() -> Backend {
    release_kept_frames();
    let frames = document().query_selector_all("iframe").unwrap();
    for i in 0..frames.length() {
        if let Some(frame) = frames.get(i) {
            frame.unchecked_into::<web_sys::Element>().remove();
        }
    }
    Backend::install()
}

/// Mounts `<MomentsEmbed keep_alive=keep lazy=false/>` with an event log.
fn mount_kept(
    keep: KeepAlive,
    embedding: Option<&'static str>,
    handle: Option<MomentsHandle>,
) -> (
    support::Mounted<impl leptos::tachys::view::Mountable>,
    Events,
) {
    let events = Events::default();
    let log = Arc::clone(&events);
    let page = mount(move || {
        let on_event = move |event: MomentsEvent| log.lock().unwrap().push(event);
        let handle = handle.unwrap_or_default();
        view! {
            <MomentsEmbed
                keep_alive=keep
                embedding=embedding.map(str::to_owned)
                handle=handle
                lazy=false
                on_event=on_event
            />
        }
    });
    (page, events)
}

/// The one frame element in the document (kept frames are not inside the component).
fn the_frame() -> HtmlIFrameElement {
    let frames = document().query_selector_all("iframe").unwrap();
    assert_eq!(frames.length(), 1, "exactly one frame in the document");
    frames.get(0).unwrap().unchecked_into()
}

fn frames_in_document() -> u32 {
    document().query_selector_all("iframe").unwrap().length()
}

fn same(a: &HtmlIFrameElement, b: &HtmlIFrameElement) -> bool {
    js_sys::Object::is(a, b)
}

/// Marks the frame's document (a property on its window, and a typed input), to see
/// later that it is the same document, not a reload.
fn mark(frame: &HtmlIFrameElement, text: &str) {
    let window = frame.content_window().unwrap();
    js_sys::Reflect::set(&window, &"__kept".into(), &text.into()).unwrap();
    type_into(&window, text);
}

fn marked(frame: &HtmlIFrameElement) -> Option<String> {
    let window = frame.content_window()?;
    let mark = js_sys::Reflect::get(&window, &"__kept".into())
        .ok()?
        .as_string()?;
    (typed(&window).as_deref() == Some(mark.as_str())).then_some(mark)
}

async fn ready<M: leptos::tachys::view::Mountable>(page: &support::Mounted<M>) {
    wait_for("ready", 5_000, || page.state() == "ready").await;
}

#[wasm_bindgen_test]
async fn a_kept_frame_outlives_its_component_and_the_next_one_adopts_it_as_it_was() {
    let backend = fresh_backend();
    backend.grant("urn:kept:1", 60);
    let (page, _) = mount_kept("campaigns".into(), None, None);
    ready(&page).await;
    let frame = the_frame();
    assert!(
        !page.root.contains(Some(&frame)),
        "a kept frame lives outside the component's markup"
    );
    assert!(
        frame
            .parent_element()
            .is_some_and(|p| p.has_attribute("data-moments-stage")),
        "in the stage"
    );
    let slot = page
        .find(".moments-embed__slot")
        .expect("the slot takes its room");
    post_message_from(
        &frame.content_window().unwrap(),
        &json!({ "type": "moments:resize", "height": 900 }),
    );
    wait_for("the slot at the reported height", 2_000, || {
        slot.get_bounding_client_rect().height().round() == 900.0
    })
    .await;
    support::animation_frame().await;
    let (over, under) = (
        frame.get_bounding_client_rect(),
        slot.get_bounding_client_rect(),
    );
    assert_eq!(
        (over.top(), over.left(), over.width(), over.height()),
        (under.top(), under.left(), under.width(), under.height()),
        "the frame lies exactly over its slot"
    );
    mark(&frame, "Spring sale");

    page.unmount().await;
    assert!(frame.is_connected(), "parked, not removed");
    assert_eq!(
        marked(&frame).as_deref(),
        Some("Spring sale"),
        "its document lives"
    );
    assert!(frame.has_attribute("inert"), "inert while parked");
    let style = window().get_computed_style(&frame).unwrap().unwrap();
    assert_eq!(style.get_property_value("visibility").unwrap(), "hidden");
    assert_eq!(
        style.get_property_value("position").unwrap(),
        "fixed",
        "no layout room"
    );
    frame.focus().unwrap();
    assert!(
        !document()
            .active_element()
            .is_some_and(|active| js_sys::Object::is(&active, &frame)),
        "focus cannot enter a parked frame"
    );
    assert_eq!(live_resources().parked_frames, 1);
    // It still hears its height while parked, and carries it to the next component.
    post_message_from(
        &frame.content_window().unwrap(),
        &json!({ "type": "moments:resize", "height": 1000 }),
    );
    sleep(50).await;

    let (page, events) = mount_kept("campaigns".into(), None, None);
    ready(&page).await;
    let adopted = the_frame();
    assert!(same(&adopted, &frame), "the same element");
    assert_eq!(
        marked(&adopted).as_deref(),
        Some("Spring sale"),
        "the same document"
    );
    assert!(!adopted.has_attribute("inert"));
    assert_eq!(
        backend.requests().len(),
        1,
        "no second session: {:?}",
        backend.requests()
    );
    assert_eq!(
        events.lock().unwrap().clone(),
        vec![
            MomentsEvent::Adopted,
            MomentsEvent::StateChanged(SessionState::Ready)
        ],
        "ready at once, nothing fetched or mounted on the way"
    );
    let slot: web_sys::HtmlElement = page.find(".moments-embed__slot").unwrap().unchecked_into();
    assert_eq!(
        support::height_of(&slot),
        "1000px",
        "the height it reported while parked"
    );
    assert_eq!(live_resources().parked_frames, 0);

    page.unmount().await;
    release_kept_frames();
    assert_eq!(frames_in_document(), 0, "release_kept_frames removes it");
    assert_eq!(live_resources(), Default::default());
}

#[wasm_bindgen_test]
async fn a_parked_frame_is_released_when_its_session_ends_and_the_next_mount_starts_afresh() {
    let backend = fresh_backend();
    backend.grant("urn:kept:a", 60).grant("urn:kept:b", 60);
    let (page, _) = mount_kept("expiring".into(), None, None);
    ready(&page).await;
    let frame = the_frame();
    page.unmount().await;
    assert!(frame.is_connected());
    post_message_from(
        &frame.content_window().unwrap(),
        &json!({ "type": "moments:session-expired" }),
    );
    wait_for("the parked frame released", 2_000, || !frame.is_connected()).await;
    assert_eq!(live_resources(), Default::default(), "nothing left for it");

    let (page, events) = mount_kept("expiring".into(), None, None);
    ready(&page).await;
    assert!(!same(&the_frame(), &frame), "a new frame");
    assert_eq!(backend.requests().len(), 2, "exactly one new session");
    assert!(!events.lock().unwrap().contains(&MomentsEvent::Adopted));
    page.unmount().await;
    release_kept_frames();
}

#[wasm_bindgen_test]
async fn a_parked_frame_is_released_after_its_keep_time() {
    let backend = fresh_backend();
    backend.grant("urn:kept:t1", 60).grant("urn:kept:t2", 60);
    let keep = || KeepAlive::new("brief").keep_for(Duration::from_millis(300));
    let (page, _) = mount_kept(keep(), None, None);
    ready(&page).await;
    let frame = the_frame();
    page.unmount().await;
    assert!(frame.is_connected());
    wait_for("released after 300 ms", 2_000, || !frame.is_connected()).await;
    assert_eq!(live_resources(), Default::default());
    let (page, _) = mount_kept(keep(), None, None);
    ready(&page).await;
    assert_eq!(
        backend.requests().len(),
        2,
        "a return after the keep time mints one"
    );
    page.unmount().await;
    release_kept_frames();
}

#[wasm_bindgen_test]
async fn at_most_four_frames_are_parked_and_the_least_recently_used_goes_first() {
    let backend = fresh_backend();
    let keys = ["one", "two", "three", "four", "five"];
    let mut frames = Vec::new();
    for key in keys {
        backend.grant(&format!("urn:kept:{key}"), 60);
        let (page, _) = mount_kept(key.into(), None, None);
        ready(&page).await;
        frames.push(the_frame_of_key(&frames));
        page.unmount().await;
    }
    assert_eq!(live_resources().parked_frames, 4);
    assert!(!frames[0].is_connected(), "the least recently used went");
    assert!(frames[1..].iter().all(|f| f.is_connected()));

    // Adopting one makes it the most recent: parking "five" again keeps "two" going
    // next, not "five".
    let (page, _) = mount_kept("two".into(), None, None);
    ready(&page).await;
    page.unmount().await;
    backend.grant("urn:kept:six", 60);
    let (page, _) = mount_kept("six".into(), None, None);
    ready(&page).await;
    page.unmount().await;
    assert_eq!(live_resources().parked_frames, 4);
    assert!(
        !frames[2].is_connected(),
        "\"three\" was the least recently used"
    );
    assert!(frames[1].is_connected(), "\"two\" was used since");
    assert_eq!(backend.requests().len(), 6, "the adoption fetched nothing");
    release_kept_frames();
    assert_eq!(frames_in_document(), 0);
    assert_eq!(live_resources(), Default::default());
}

/// The frame just mounted: the one in the document that is not among `parked`.
fn the_frame_of_key(parked: &[HtmlIFrameElement]) -> HtmlIFrameElement {
    let all = document().query_selector_all("iframe").unwrap();
    (0..all.length())
        .filter_map(|i| all.get(i))
        .map(JsCast::unchecked_into::<HtmlIFrameElement>)
        .find(|f| !parked.iter().any(|p| same(p, f)))
        .expect("a new frame")
}

#[wasm_bindgen_test]
async fn reload_releases_a_parked_frame() {
    let backend = fresh_backend();
    backend.grant("urn:kept:r1", 60).grant("urn:kept:r2", 60);
    let handle = MomentsHandle::new();
    let (page, _) = mount_kept("reloaded".into(), None, Some(handle));
    ready(&page).await;
    let frame = the_frame();
    page.unmount().await;
    assert!(frame.is_connected());
    handle.reload();
    assert!(!frame.is_connected(), "reload() released it");
    assert_eq!(live_resources(), Default::default());
    let (page, events) = mount_kept("reloaded".into(), None, Some(handle));
    wait_for("the next mount's frame", 2_000, || {
        frames_in_document() == 1
    })
    .await;
    assert_eq!(backend.requests().len(), 2, "the next mount starts afresh");
    assert!(!events.lock().unwrap().contains(&MomentsEvent::Adopted));
    page.unmount().await;
    release_kept_frames();
}

#[wasm_bindgen_test]
async fn a_key_asked_for_another_embedding_starts_afresh() {
    let backend = fresh_backend();
    backend.grant("urn:kept:m", 60).grant("urn:kept:c", 60);
    let (page, _) = mount_kept("shared".into(), None, None);
    ready(&page).await;
    let frame = the_frame();
    page.unmount().await;
    let (page, _) = mount_kept("shared".into(), Some("chatbot"), None);
    ready(&page).await;
    assert!(
        !frame.is_connected(),
        "the other embedding's frame was released"
    );
    assert_eq!(backend.requests().len(), 2);
    page.unmount().await;
    release_kept_frames();
}

#[wasm_bindgen_test]
async fn a_frame_that_is_not_ready_goes_with_its_component() {
    let backend = fresh_backend();
    backend.grant("urn:kept:slow", 60);
    let swallowed = FrameLoadsSwallowed::start();
    let (page, _) = mount_kept("loading".into(), None, None);
    wait_for("mounting", 2_000, || page.state() == "mounting").await;
    let frame = the_frame();
    page.unmount().await;
    drop(swallowed);
    assert!(!frame.is_connected(), "a loading frame is not kept");
    assert_eq!(live_resources(), Default::default());
}

#[wasm_bindgen_test]
async fn keeping_adds_no_unload_listener_so_the_page_stays_eligible_for_the_back_forward_cache() {
    let backend = fresh_backend();
    backend.grant("urn:kept:bf", 60);
    let stop = record_listeners();
    let (page, _) = mount_kept("bfcache".into(), None, None);
    ready(&page).await;
    page.unmount().await;
    let (page, _) = mount_kept("bfcache".into(), None, None);
    ready(&page).await;
    page.unmount().await;
    let seen = stop.call0(&JsValue::NULL).unwrap().as_string().unwrap();
    assert!(
        !seen
            .split(',')
            .any(|t| t == "unload" || t == "beforeunload"),
        "no unload listener: {seen}"
    );
    release_kept_frames();
}

#[wasm_bindgen_test]
async fn back_from_the_back_forward_cache_counts_as_the_tab_coming_back() {
    let backend = fresh_backend();
    backend.respond(
        503,
        support::error_body(
            "upstream_unavailable",
            "Infobip could not be reached.",
            true,
        ),
    );
    backend.grant("urn:kept:back", 60);
    // A retry a minute away: only the page coming back can bring it forward.
    let slow = moments_embed::SessionConfig {
        lazy: false,
        backoff_base: Duration::from_secs(60),
        backoff_cap: Duration::from_secs(60),
        ..moments_embed::SessionConfig::default()
    };
    let page = mount(move || view! { <MomentsEmbed keep_alive="back" session_config=slow/> });
    wait_for("the error", 2_000, || page.state() == "error").await;
    show_page_from_cache(false);
    sleep(100).await;
    assert_eq!(
        backend.requests().len(),
        1,
        "a plain pageshow is no comeback"
    );
    show_page_from_cache(true);
    ready(&page).await;
    assert_eq!(
        backend.requests().len(),
        2,
        "restored from the cache: retried at once"
    );
    page.unmount().await;
    release_kept_frames();
}

fn active_is(element: &web_sys::Element) -> bool {
    document()
        .active_element()
        .is_some_and(|active| js_sys::Object::is(&active, element))
}

#[wasm_bindgen_test]
async fn tab_order_runs_from_the_page_into_the_frame_and_back_where_the_slot_is() {
    let backend = fresh_backend();
    backend.grant("urn:kept:focus", 60);
    let page = mount(|| {
        view! {
            <button id="before">"Before"</button>
            <MomentsEmbed keep_alive="focus" lazy=false/>
            <button id="after">"After"</button>
        }
    });
    ready(&page).await;
    let frame = the_frame();
    let slot: web_sys::HtmlElement = page.find(".moments-embed__slot").unwrap().unchecked_into();
    assert_eq!(slot.tab_index(), 0, "the slot holds the frame's place");
    assert_eq!(
        slot.get_attribute("aria-owns"),
        Some(frame.id()),
        "and owns it for assistive technology"
    );
    let guard = |element: Option<web_sys::Element>| -> web_sys::HtmlElement {
        let element = element.expect("a guard beside the frame");
        assert!(element.class_list().contains("moments-embed__guard"));
        element.unchecked_into()
    };
    let (before, after) = (
        guard(frame.previous_element_sibling()),
        guard(frame.next_element_sibling()),
    );

    slot.focus().unwrap();
    assert!(active_is(&frame), "Tab onto the slot goes into the frame");
    after.focus().unwrap();
    assert!(
        active_is(&page.find("#after").unwrap()),
        "Tab out of the frame lands after the slot, not at the end of the page"
    );
    before.focus().unwrap();
    assert!(
        active_is(&page.find("#before").unwrap()),
        "Shift+Tab out of the frame lands before the slot"
    );
    page.unmount().await;
    assert_eq!(
        document()
            .query_selector_all(".moments-embed__guard")
            .unwrap()
            .length(),
        0,
        "a parked frame has no guards"
    );
    release_kept_frames();
    assert_eq!(live_resources(), Default::default());
}
