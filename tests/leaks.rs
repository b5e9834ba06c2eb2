//! Leaks: 1,000 mount/unmount cycles, in every lifecycle state, leave no listener, timer,
//! observer, animation frame, request or frame element behind; 1,000 park/adopt cycles
//! of a kept embed leave only its one parked frame (with its listener and timer). In every
//! engine, and in both, the wasm memory and, where the browser reports one (Chromium's `performance.memory`), the
//! JS heap come back to their baseline. Its own test binary: heap figures need a page
//! that nothing else is using.

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use leptos::prelude::*;
use moments_embed::{
    LiveResources, MomentsEmbed, SessionConfig, live_resources, release_kept_frames,
};
use std::time::Duration;
use support::{Backend, error_body, mount, wait_for};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(inline_js = r#"
export async function settled_heap() {
  // Several collections with turns in between: iframes and promises die in stages.
  for (let i = 0; i < 6; i++) {
    if (window.gc) window.gc();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return performance.memory ? performance.memory.usedJSHeapSize : -1;
}
"#)]
extern "C" {
    async fn settled_heap() -> JsValue;
}

/// The JS heap in bytes after collection, where the engine reports it (Chromium), else
/// `None` (Firefox has no `performance.memory`). In Chromium a missing reading fails the
/// test: the heap check must not quietly stop running there.
async fn heap() -> Option<f64> {
    let bytes = settled_heap().await.as_f64().filter(|bytes| *bytes >= 0.0);
    assert!(
        bytes.is_some() || !is_chromium(),
        "Chromium reports no JS heap (performance.memory): the heap check would not run"
    );
    bytes
}

fn is_chromium() -> bool {
    window()
        .navigator()
        .user_agent()
        .is_ok_and(|agent| agent.contains("Chrome/"))
}

fn wasm_memory() -> f64 {
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    let buffer: js_sys::ArrayBuffer = memory.buffer().unchecked_into();
    f64::from(buffer.byte_length())
}

/// One cycle: mount, reach a state, unmount. The state rotates through the lifecycle.
async fn cycle(n: u32) {
    let backend = Backend::install();
    let slow_retry = SessionConfig {
        lazy: false,
        backoff_base: Duration::from_secs(60),
        backoff_cap: Duration::from_secs(60),
        ..SessionConfig::default()
    };
    match n % 4 {
        0 => backend.respond_after(10_000, 200, support::grant_body("u", 60)),
        1 | 2 => backend.grant(&format!("u{n}"), 60),
        _ => backend.respond(503, error_body("upstream_unavailable", "down", true)),
    };
    let page = mount(move || view! { <MomentsEmbed session_config=slow_retry/> });
    match n % 4 {
        0 => wait_for("the request", 2_000, || backend.requests().len() == 1).await,
        1 => wait_for("the frame", 2_000, || page.count("iframe") == 1).await,
        2 => wait_for("ready", 5_000, || page.state() == "ready").await,
        _ => wait_for("the error", 2_000, || page.state() == "error").await,
    }
    page.unmount().await;
}

/// The heap may grow by less than this over 1,000 cycles: a leak of one listener
/// closure or one frame document per cycle is ~1 KB or more per cycle, so 1 MB.
const HEAP_LINE: f64 = 512.0 * 1024.0;

/// The wasm memory and the JS heap came back to within their lines of the readings
/// taken before the cycles.
async fn check_growth(heap_before: Option<f64>, memory_before: f64) {
    let heap_after = heap().await;
    let memory_after = wasm_memory();
    leptos::logging::log!("wasm memory: {memory_before:.0} -> {memory_after:.0} bytes");
    assert!(
        memory_after - memory_before <= 1024.0 * 1024.0,
        "wasm memory grew from {memory_before} to {memory_after} bytes"
    );
    check_heap(heap_before, heap_after);
}

fn check_heap(before: Option<f64>, after: Option<f64>) {
    match (before, after) {
        (Some(before), Some(after)) => {
            let growth = after - before;
            leptos::logging::log!("JS heap: {before:.0} -> {after:.0} bytes ({growth:+.0})");
            assert!(
                growth < HEAP_LINE,
                "the JS heap grew by {growth:.0} bytes over 1,000 cycles"
            );
        }
        _ => leptos::logging::log!(
            "JS heap: not checked, this browser has no performance.memory (Chromium has); \
             the live-resource and wasm-memory checks ran"
        ),
    }
}

/// One kept cycle: mount (adopting the parked frame after the first), ready, unmount
/// (parking it again).
async fn kept_cycle() {
    let page = mount(|| view! { <MomentsEmbed keep_alive="leak" lazy=false/> });
    // Adopted, it is ready at the first turn after mounting: no 10 ms polls (1,000 of
    // them were 10 s of CI per engine). Only the first mount fetches and waits.
    support::sleep(0).await;
    if page.state() != "ready" {
        wait_for("ready", 5_000, || page.state() == "ready").await;
    }
    page.unmount().await;
}

#[wasm_bindgen_test]
async fn a_thousand_park_and_adopt_cycles_leave_only_the_kept_frame() {
    let backend = Backend::install();
    backend.grant("u-kept", 60);
    for _ in 0..40 {
        kept_cycle().await;
    }
    let heap_before = heap().await;
    let memory_before = wasm_memory();
    // The one parked frame holds its message listener and its keep-time timer.
    let parked = LiveResources {
        listeners: 1,
        timers: 1,
        parked_frames: 1,
        ..LiveResources::default()
    };
    for n in 0..1_000 {
        kept_cycle().await;
        assert_eq!(live_resources(), parked, "after cycle {n}");
    }
    let frames = support::document().query_selector_all("iframe").unwrap();
    assert_eq!(frames.length(), 1, "only the kept frame is in the document");
    assert_eq!(
        backend.requests().len(),
        1,
        "one session for all 1,040 mounts"
    );
    check_growth(heap_before, memory_before).await;
    release_kept_frames();
    assert_eq!(live_resources(), LiveResources::default());
}

#[wasm_bindgen_test]
async fn a_thousand_mounts_and_unmounts_leave_nothing_behind() {
    // Warm up: let caches, the executor and the allocator reach their working size.
    for n in 0..40 {
        cycle(n).await;
    }
    let heap_before = heap().await;
    let memory_before = wasm_memory();

    for n in 0..1_000 {
        cycle(n).await;
        assert_eq!(live_resources(), Default::default(), "after cycle {n}");
    }
    assert_eq!(
        support::document()
            .query_selector_all("iframe")
            .unwrap()
            .length(),
        0,
        "no frame element is left in the document"
    );

    check_growth(heap_before, memory_before).await;
}
