//! The demo host app: a shell, the component, and a live view of what it reports.

use leptos::prelude::*;
use moments_embed::{MomentsEmbed, MomentsEvent, MomentsHandle, SessionState};

/// One line of the event log.
#[derive(Clone, Debug, PartialEq)]
struct LogLine {
    seq: u64,
    at: String,
    text: String,
}

/// The whole demo page.
#[component]
pub(crate) fn App() -> impl IntoView {
    let moments = MomentsHandle::new();
    let log = RwSignal::new(Vec::<LogLine>::new());
    let seq = StoredValue::new(0_u64);
    let on_event = move |event: MomentsEvent| {
        let n = seq.get_value() + 1;
        seq.set_value(n);
        let line = LogLine {
            seq: n,
            at: clock(),
            text: describe(&event),
        };
        log.update(|lines| {
            lines.insert(0, line);
            lines.truncate(200);
        });
    };

    view! {
        <div class="shell">
            <header class="shell__top">
                <span class="shell__logo">"Acme"<b>"Commerce"</b></span>
                <span class="shell__user">"Signed in as Dana (Acme Store)"</span>
            </header>
            <nav class="shell__nav" aria-label="Main">
                <a href="#">"Dashboard"</a>
                <a href="#">"Orders"</a>
                <a href="#">"Customers"</a>
                <a href="#" aria-current="page">"Campaigns"</a>
                <a href="#">"Settings"</a>
            </nav>
            <main class="shell__main">
                <h1>"Campaigns"</h1>
                <p class="shell__lead">
                    "Ready-made customer journeys, powered by Infobip Moments. "
                    "Pick a use case, set it up in a few steps, and watch how it performs."
                </p>
                <crate::companion::CompanionNotice moments=moments/>
                <MomentsEmbed handle=moments on_event=on_event/>
            </main>
            <aside class="shell__side" aria-label="Integration details">
                <section class="panel">
                    <h2>"Component state"</h2>
                    <p class="badge" data-state=move || moments.state().with(SessionState::as_str)>
                        {move || moments.state().with(SessionState::as_str)}
                    </p>
                    <p class="panel__hint">
                        "Frame height: "
                        {move || moments.reported_height().get().map_or("not reported".to_owned(), |h| format!("{h} px"))}
                    </p>
                </section>
                <crate::faults::FaultPanel moments=moments/>
                <section class="panel">
                    <h2>"Event log"</h2>
                    <ol class="log" aria-live="off">
                        <For each=move || log.get() key=|line| line.seq let:line>
                            <li><time>{line.at}</time>" "{line.text}</li>
                        </For>
                    </ol>
                </section>
            </aside>
        </div>
    }
}

fn describe(event: &MomentsEvent) -> String {
    match event {
        MomentsEvent::StateChanged(state) => match state {
            SessionState::Fetching { attempt } | SessionState::Refreshing { attempt } => {
                format!("state → {} (attempt {attempt})", state.as_str())
            }
            other => format!("state → {}", other.as_str()),
        },
        MomentsEvent::Resized { height } => format!("resized to {height} px"),
        MomentsEvent::Frame { name, data } => format!("frame: {name} {data}"),
        MomentsEvent::Error(error) => format!("error ({}): {error}", error.kind()),
    }
}

fn clock() -> String {
    let date = js_sys::Date::new_0();
    format!(
        "{:02}:{:02}:{:02}",
        date.get_hours(),
        date.get_minutes(),
        date.get_seconds()
    )
}
