//! The demo host app: a shell, the component on two pages (Moments' Campaign wizard and
//! Answers' chatbot builder), four plain host pages to wander off to, and a live view of
//! what the component reports. Both embeds are kept (`keep_alive`): leave the wizard
//! halfway, come back, and it is where you left it.

use leptos::prelude::*;
use moments_embed::{KeepAlive, MomentsEmbed, MomentsEvent, MomentsHandle, Product, SessionState};
use std::time::Duration;

/// One line of the event log.
#[derive(Clone, Debug, PartialEq)]
struct LogLine {
    seq: u64,
    at: String,
    text: String,
}

/// The host app's pages. Two have an embed: Campaigns (Infobip Moments) and Chatbot
/// (Infobip Answers). The companion decides what each embedding opens (`--sandbox`
/// allows `default`, a Moments wizard, and `chatbot`, the Answers builder); the page
/// names the embedding, and the product only for the component's own words. The rest
/// are the host's own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Page {
    Dashboard,
    Orders,
    Customers,
    Campaigns,
    Chatbot,
    Settings,
}

impl Page {
    const ALL: [Self; 6] = [
        Self::Dashboard,
        Self::Orders,
        Self::Customers,
        Self::Campaigns,
        Self::Chatbot,
        Self::Settings,
    ];

    /// The page the address names (`#chatbot`), Campaigns otherwise.
    fn current() -> Self {
        let hash = window().location().hash().unwrap_or_default();
        Self::ALL
            .into_iter()
            .find(|page| page.href() == hash)
            .unwrap_or(Self::Campaigns)
    }

    fn href(self) -> &'static str {
        match self {
            Self::Dashboard => "#dashboard",
            Self::Orders => "#orders",
            Self::Customers => "#customers",
            Self::Campaigns => "#campaigns",
            Self::Chatbot => "#chatbot",
            Self::Settings => "#settings",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Dashboard => "Dashboard",
            Self::Orders => "Orders",
            Self::Customers => "Customers",
            Self::Campaigns => "Campaigns",
            Self::Chatbot => "Chatbot",
            Self::Settings => "Settings",
        }
    }
}

/// How long a kept frame waits: the component's default, or `?keep=<seconds>` in the
/// address (to watch a release without waiting ten minutes).
fn keep(key: &str) -> KeepAlive {
    let search = window().location().search().unwrap_or_default();
    let seconds = search
        .trim_start_matches('?')
        .split('&')
        .find_map(|pair| pair.strip_prefix("keep="))
        .and_then(|value| value.parse::<u64>().ok());
    let keep = KeepAlive::new(key);
    match seconds {
        Some(seconds) => keep.keep_for(Duration::from_secs(seconds)),
        None => keep,
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
    let links = Page::ALL.map(|which| {
        view! { <a href=which.href() aria-current=current(which)>{which.name()}</a> }
    });

    view! {
        <div class="shell">
            <header class="shell__top">
                <span class="shell__logo">"Acme"<b>"Commerce"</b></span>
                <span class="shell__user">"Signed in as Dana (Acme Store)"</span>
            </header>
            <nav class="shell__nav" aria-label="Main">
                {links}
            </nav>
            // A new page is a new component: its own handle and event log. The frame is
            // kept per page (`keep_alive`), so coming back adopts it.
            {move || match page.get() {
                Page::Campaigns => view! {
                    <Workspace
                        heading="Campaigns"
                        lead="Ready-made customer journeys, powered by Infobip Moments. Pick a use case, set it up in a few steps, and watch how it performs."
                        embedding=None
                        product=Product::Moments
                        keep_alive="campaigns"
                    />
                }
                .into_any(),
                Page::Chatbot => view! {
                    <Workspace
                        heading="Chatbot"
                        lead="Answer your customers' questions around the clock, powered by Infobip Answers. Build a chatbot from a few intents, try it, and publish it."
                        embedding=Some("chatbot")
                        product=Product::Answers
                        keep_alive="chatbot"
                    />
                }
                .into_any(),
                other => view! { <HostPage page=other/> }.into_any(),
            }}
        </div>
    }
}

/// A page of the host's own, with no embed: somewhere to go and come back from.
#[component]
fn HostPage(page: Page) -> impl IntoView {
    let orders = [
        ("#10482", "Mia Novak", "Shipped", "€84.90"),
        ("#10481", "Luka Horvat", "Paid", "€23.50"),
        ("#10479", "Ana Kovač", "Left in cart", "€112.00"),
    ];
    let body = match page {
        Page::Orders => view! {
            <table class="orders">
                <thead><tr><th>"Order"</th><th>"Customer"</th><th>"Status"</th><th>"Total"</th></tr></thead>
                <tbody>
                    {orders.map(|(id, who, status, total)| view! {
                        <tr><td>{id}</td><td>{who}</td><td>{status}</td><td>{total}</td></tr>
                    })}
                </tbody>
            </table>
        }
        .into_any(),
        _ => view! {
            <p class="shell__lead">"Nothing to see here: this page is the host's own. Go back to Campaigns or Chatbot, and the embed is where you left it."</p>
        }
        .into_any(),
    };
    view! {
        <main class="shell__main">
            <h1>{page.name()}</h1>
            {body}
        </main>
    }
}

/// One page's main column (the embed) and side panels (its state, faults and events).
#[component]
fn Workspace(
    heading: &'static str,
    lead: &'static str,
    embedding: Option<&'static str>,
    product: Product,
    keep_alive: &'static str,
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
                keep_alive=keep(keep_alive)
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
        MomentsEvent::Adopted => "adopted the kept frame: your place, no new session".to_owned(),
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
