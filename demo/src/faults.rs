//! The fault panel: drives the sandbox's admin API (`/__sandbox/*`, served on the
//! companion's origin in `--sandbox` mode) so a person can watch every state.

use gloo_net::http::Request;
use leptos::prelude::*;
use leptos::task::spawn_local;
use moments_embed::MomentsHandle;
use serde_json::{Value, json};

/// One button: what it says, and the admin call it makes.
struct Fault {
    label: &'static str,
    hint: &'static str,
    path: &'static str,
    body: fn() -> Value,
}

const FAULTS: &[Fault] = &[
    Fault {
        label: "Fail the next 3 calls (503)",
        hint: "Retried with backoff, then ready",
        path: "/__sandbox/faults",
        body: || json!({ "count": 3, "fault": "status", "status": 503, "retry_after_secs": 1 }),
    },
    Fault {
        label: "Rate limit (429, Retry-After 3 s)",
        hint: "Waits at least 3 s before retrying",
        path: "/__sandbox/faults",
        body: || json!({ "count": 1, "fault": "status", "status": 429, "retry_after_secs": 3 }),
    },
    Fault {
        label: "Refuse the API key (401)",
        hint: "A clear error, no retry storm",
        path: "/__sandbox/faults",
        body: || json!({ "count": 1, "fault": "status", "status": 401 }),
    },
    Fault {
        label: "Slow backend (4 s)",
        hint: "Loading stays visible",
        path: "/__sandbox/faults",
        body: || json!({ "count": 1, "fault": "delay", "delay_ms": 4000 }),
    },
    Fault {
        label: "Malformed answer",
        hint: "Treated as a passing fault",
        path: "/__sandbox/faults",
        body: || json!({ "count": 1, "fault": "malformed_json" }),
    },
    Fault {
        label: "Expire links after 5 s",
        hint: "Applies to links minted from now on",
        path: "/__sandbox/settings",
        body: || json!({ "request_uri_ttl_secs": 5 }),
    },
    Fault {
        label: "Sessions last 20 s",
        hint: "The frame then asks for a new one",
        path: "/__sandbox/settings",
        body: || json!({ "session_ttl_secs": 20 }),
    },
    Fault {
        label: "Silent frame",
        hint: "Frames opened from now on post nothing, like an unknown real frame",
        path: "/__sandbox/settings",
        body: || json!({ "silent_frame": true }),
    },
    Fault {
        label: "End the frame's session now",
        hint: "Fresh link, frame remounts",
        path: "/__sandbox/sessions/expire",
        body: || json!({}),
    },
    Fault {
        label: "Reset the sandbox",
        hint: "Faults, settings, counters, data",
        path: "/__sandbox/reset",
        body: || json!({}),
    },
];

/// The panel: fault buttons, the sandbox's counters, and the last admin answer.
#[component]
pub(crate) fn FaultPanel(moments: MomentsHandle) -> impl IntoView {
    let outcome = RwSignal::new(String::new());
    let stats = RwSignal::new(None::<Value>);
    let refresh = move || {
        spawn_local(async move {
            let answer = get_json("/__sandbox/stats").await;
            stats.set(answer.ok());
        });
    };
    // Now, whenever the component changes state (a PAR call or a frame opening has
    // just happened), and every 2 s for what happens inside the frame.
    Effect::new(move |_| {
        moments.state().track();
        refresh();
    });
    let poll = set_interval_with_handle(refresh, std::time::Duration::from_secs(2)).ok();
    on_cleanup(move || {
        if let Some(poll) = poll {
            poll.clear();
        }
    });

    let run = move |fault: &'static Fault| {
        outcome.set(format!("{} …", fault.label));
        spawn_local(async move {
            let text = match post_json(fault.path, &(fault.body)()).await {
                Ok(()) => format!("{}: done. {}.", fault.label, fault.hint),
                Err(error) => format!("{}: {error}", fault.label),
            };
            outcome.set(text);
            refresh();
        });
    };

    view! {
        <section class="panel">
            <h2>"Sandbox faults"</h2>
            <div class="faults">
                {FAULTS
                    .iter()
                    .map(|fault| {
                        view! {
                            <button type="button" class="fault" title=fault.hint on:click=move |_| run(fault)>
                                {fault.label}
                            </button>
                        }
                    })
                    .collect_view()}
                <button type="button" class="fault fault--primary" on:click=move |_| moments.reload()>
                    "Reload the component"
                </button>
            </div>
            <p class="panel__hint" aria-live="polite">{move || outcome.get()}</p>
            <dl class="stats">
                {move || {
                    stats
                        .get()
                        .map(|s| {
                            let n = |v: &Value| v.as_u64().unwrap_or(0).to_string();
                            let rejected = &s["rejected"];
                            view! {
                                <dt>"PAR calls"</dt><dd>{n(&s["par_calls"])}</dd>
                                <dt>"Links issued"</dt><dd>{n(&s["par_issued"])}</dd>
                                <dt>"Frames opened"</dt><dd>{n(&s["authorize_ok"])}</dd>
                                <dt>"Links refused"</dt>
                                <dd>
                                    {format!(
                                        "{} reused, {} expired, {} unknown",
                                        n(&rejected["reused"]),
                                        n(&rejected["expired"]),
                                        n(&rejected["unknown"]),
                                    )}
                                </dd>
                            }
                        })
                }}
            </dl>
        </section>
    }
}

async fn post_json(path: &str, body: &Value) -> Result<(), String> {
    let response = Request::post(path)
        .json(body)
        .map_err(|e| e.to_string())?
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if response.ok() {
        Ok(())
    } else {
        let text = response.text().await.unwrap_or_default();
        Err(format!(
            "the sandbox answered {}: {text}",
            response.status()
        ))
    }
}

async fn get_json(path: &str) -> Result<Value, String> {
    let response = Request::get(path).send().await.map_err(|e| e.to_string())?;
    if !response.ok() {
        return Err(format!("status {}", response.status()));
    }
    response.json().await.map_err(|e| e.to_string())
}
