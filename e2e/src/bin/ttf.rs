//! Time to frame, `<MomentsEmbed/>` against a hand-written vanilla-JS page, in the same
//! headless Chromium against the same companion and sandbox. Run by `bench/ttf.sh`,
//! which builds the two pages; this measures and prints medians. Not a test: it
//! asserts nothing about speed.
//!
//! ```text
//! ttf <site dir> [runs]
//! ```

#![allow(clippy::print_stdout, clippy::expect_used, clippy::panic)]

use moments_e2e::{Engine, Harness};
use serde_json::Value;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Default)]
struct Samples {
    mount_to_src: Vec<f64>,
    nav_to_src: Vec<f64>,
    nav_to_ready: Vec<f64>,
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut args = std::env::args().skip(1);
    let site = PathBuf::from(args.next().expect("usage: ttf <site dir> [runs]"));
    let runs: usize = args
        .next()
        .map_or(30, |r| r.parse().expect("runs is a number"));
    // The per-client rate limit is the companion's business, not this measurement's:
    // 2 × (runs + 1) page loads from one address would hit it, and a 429 would be timed.
    let harness = Harness::start_with(Engine::Chromium, &site, &["--rate-limit", "off"]).await;
    let s = &harness.session;
    let mut component = Samples::default();
    let mut vanilla = Samples::default();
    // Warm both pages once (HTTP cache, wasm compile cache), then alternate.
    for run in 0..=runs {
        let order = if run.is_multiple_of(2) {
            ["component", "vanilla"]
        } else {
            ["vanilla", "component"]
        };
        for page in order {
            s.browser
                .goto(&format!("{}/{page}.html", s.url))
                .await
                .expect("page loads");
            let mut marks = Value::Null;
            for _ in 0..400 {
                marks = s
                    .browser
                    .execute("return window.__ttf && window.__ttf.ready !== undefined ? window.__ttf : null", vec![])
                    .await
                    .expect("script runs");
                if !marks.is_null() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            assert!(!marks.is_null(), "{page}: the frame never loaded");
            // Time only what worked: a frame at a minted request_uri, not an error page.
            let src = s
                .browser
                .execute(
                    "return document.querySelector('iframe').getAttribute('src')",
                    vec![],
                )
                .await
                .expect("script runs");
            assert!(
                src.as_str()
                    .is_some_and(|src| src.contains("/authorize?request_uri=urn%3Aietf%3A")),
                "{page}: the frame is not at a request_uri: {src}"
            );
            if run == 0 {
                continue;
            }
            let get = |k: &str| {
                marks[k]
                    .as_f64()
                    .unwrap_or_else(|| panic!("{page}: no `{k}` mark: {marks}"))
            };
            let samples = if page == "component" {
                &mut component
            } else {
                &mut vanilla
            };
            samples.mount_to_src.push(get("src") - get("mount"));
            samples.nav_to_src.push(get("src"));
            samples.nav_to_ready.push(get("ready"));
        }
    }
    harness.stop().await;

    println!("time to frame, medians of {runs} runs each (ms), headless Chromium, 127.0.0.1:");
    println!(
        "  {:<30} {:>12} {:>12} {:>8}",
        "", "component", "vanilla JS", "ratio"
    );
    for (label, c, v) in [
        (
            "mount -> iframe src set",
            &mut component.mount_to_src,
            &mut vanilla.mount_to_src,
        ),
        (
            "navigation -> iframe src set",
            &mut component.nav_to_src,
            &mut vanilla.nav_to_src,
        ),
        (
            "navigation -> frame loaded",
            &mut component.nav_to_ready,
            &mut vanilla.nav_to_ready,
        ),
    ] {
        let (c, v) = (median(c), median(v));
        println!("  {label:<30} {c:>12.1} {v:>12.1} {:>7.2}x", c / v);
    }
}
