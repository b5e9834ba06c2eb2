//! Whether the companion is up. `trunk serve` alone serves this page but not the session
//! endpoint it proxies to, so a newcomer who ran only that would otherwise see nothing
//! but the component's network error. The page asks the companion directly, says what is
//! missing and how to start it, and reloads the component once it answers.

use gloo_net::http::Request;
use leptos::prelude::*;
use leptos::task::spawn_local;
use moments_embed::MomentsHandle;
use std::time::Duration;

/// The one command that starts the companion (with its Infobip sandbox) where this page's
/// proxy expects it, 127.0.0.1:8787.
pub(crate) const START_COMMAND: &str = "cargo run -p moments-par --features sandbox -- --sandbox";

/// A notice with [`START_COMMAND`] while the companion does not answer; nothing once it does.
#[component]
pub(crate) fn CompanionNotice(moments: MomentsHandle) -> impl IntoView {
    // `None` until the first answer, so a running companion never flashes the notice.
    let up = RwSignal::new(None::<bool>);
    let check = move || {
        spawn_local(async move {
            let now = answers().await;
            let was = up.get_untracked();
            if was != Some(now) {
                up.set(Some(now));
            }
            // It came up while the component waits to retry: retry now (a no-op in any
            // other state, so a session that recovered by itself is not replaced).
            if was == Some(false) && now {
                moments.retry();
            }
        });
    };
    check();
    let poll = set_interval_with_handle(check, Duration::from_secs(2)).ok();
    on_cleanup(move || {
        if let Some(poll) = poll {
            poll.clear();
        }
    });

    view! {
        <Show when=move || up.get() == Some(false)>
            <section class="notice" role="alert" data-companion="down">
                <h2>"The companion is not running"</h2>
                <p>
                    "This page asks "<code>"/api/moments/session"</code>" for a session, and "
                    <code>"trunk serve"</code>" forwards that to the companion on "
                    <code>"127.0.0.1:8787"</code>", which is not answering. Start it (with its "
                    "local Infobip sandbox, no account needed) in a second terminal:"
                </p>
                <pre><code>{START_COMMAND}</code></pre>
                <p>"This page notices when it is up and retries. "
                    <code>"make demo"</code>" starts both at once."</p>
            </section>
        </Show>
    }
}

/// Whether the companion itself answered: every answer of its carries `x-request-id`,
/// which a proxy's own error page (trunk's, when nothing listens) does not.
async fn answers() -> bool {
    match Request::get("/api/moments/session").send().await {
        Ok(response) => response.headers().has("x-request-id"),
        Err(_) => false,
    }
}
