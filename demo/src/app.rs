//! The demo host app: a shell, the component on two pages (Moments' Campaign wizard and
//! Answers' chatbot builder), and a live view of what it reports.

use leptos::prelude::*;
use moments_embed::{MomentsEmbed, MomentsEvent, MomentsHandle, Product, SessionState};

/// One line of the event log.
#[derive(Clone, Debug, PartialEq)]
struct LogLine {
    seq: u64,
    at: String,
    text: String,
}

/// The host app's two pages with an embed: Campaigns (Infobip Moments) and Chatbot
/// (Infobip Answers). The companion decides what each embedding opens (`--sandbox`
/// allows `default`, a Moments wizard, and `chatbot`, the Answers builder); the page
/// names the embedding, and the product only for the component's own words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Page {
    Campaigns,
    Chatbot,
}

impl Page {
    /// The page the address names (`#chatbot`), Campaigns otherwise.
    fn current() -> Self {
        match window().location().hash().as_deref() {
            Ok("#chatbot") => Self::Chatbot,
            _ => Self::Campaigns,
        }
    }
}

/// The whole demo page: the shell, and the page the address names.
#[component]
pub(crate) fn App() -> impl IntoView {
    let page = RwSignal::new(Page::current());
    let listener = window_event_listener(leptos::ev::hashchange, move |_| {
        page.set(Page::current());
    });
    on_cleanup(move || listener.remove());
    let current = move |which: Page| move || (page.get() == which).then_some("page");

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
                <a href="#campaigns" aria-current=current(Page::Campaigns)>"Campaigns"</a>
                <a href="#chatbot" aria-current=current(Page::Chatbot)>"Chatbot"</a>
                <a href="#">"Settings"</a>
            </nav>
            // A new page is a new embed: its own handle, session and event log.
            {move || match page.get() {
                Page::Campaigns => view! {
                    <Workspace
                        heading="Campaigns"
                        lead="Ready-made customer journeys, powered by Infobip Moments. Pick a use case, set it up in a few steps, and watch how it performs."
                        embedding=None
                        product=Product::Moments
                    />
                },
                Page::Chatbot => view! {
                    <Workspace
                        heading="Chatbot"
                        lead="Answer your customers' questions around the clock, powered by Infobip Answers. Build a chatbot from a few intents, try it, and publish it."
                        embedding=Some("chatbot")
                        product=Product::Answers
                    />
                },
            }}
        </div>
    }
}

/// One page's main column (the embed) and side panels (its state, faults and events).
#[component]
fn Workspace(
    heading: &'static str,
    lead: &'static str,
    embedding: Option<&'static str>,
    product: Product,
) -> impl IntoView {
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
        <main class="shell__main">
            <h1>{heading}</h1>
            <p class="shell__lead">{lead}</p>
            <crate::companion::CompanionNotice moments=moments/>
            <MomentsEmbed
                embedding=embedding.map(str::to_owned)
                product=product
                handle=moments
                on_event=on_event
            />
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
