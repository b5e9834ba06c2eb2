//! The pages: Campaigns through a server function (`/`), and the same through the REST
//! endpoint (`/rest`), both served by the companion inside this app's own server.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use leptos_meta::{MetaTags, Title, provide_meta_context};
use leptos_router::StaticSegment;
use leptos_router::components::{A, Route, Router, Routes};
use moments_embed::{Fetcher, MomentsEmbed, SessionFnError, SessionGrant, SessionRequest};

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    server::content_security_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The app: a header and the two Campaigns pages.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title text="Campaigns · full-stack moments-embed"/>
        <Router>
            <header>
                <nav>
                    <A href="/">"Campaigns (server function)"</A>
                    " · "
                    <A href="/rest">"Campaigns (REST endpoint)"</A>
                </nav>
            </header>
            <main>
                <Routes fallback=|| "Page not found.".into_view()>
                    <Route path=StaticSegment("") view=CampaignsViaServerFn/>
                    <Route path=StaticSegment("rest") view=CampaignsViaRest/>
                </Routes>
            </main>
        </Router>
    }
}

/// A session from the [`moments_session`] server function.
#[component]
fn CampaignsViaServerFn() -> impl IntoView {
    view! {
        <h1>"Campaigns"</h1>
        <MomentsEmbed fetcher=Fetcher::server_fn(moments_session)/>
    }
}

/// A session from the companion's REST endpoint, `POST /api/moments/session`. Kept
/// (`keep_alive`): go to the other page and back, and the wizard is where you left it.
#[component]
fn CampaignsViaRest() -> impl IntoView {
    view! {
        <h1>"Campaigns"</h1>
        <MomentsEmbed keep_alive="campaigns"/>
    }
}

/// Mints a session on the server through the companion, with the same checks, refusals,
/// headers and access line as its REST endpoint; the server provides its
/// `SessionService` as context (`src/main.rs`).
// JSON arguments: the default URL encoding drops an empty `SessionRequest` entirely.
// ANCHOR: server_fn
#[server(prefix = "/api", endpoint = "moments_session", input = Json)]
pub async fn moments_session(asked: SessionRequest) -> Result<SessionGrant, SessionFnError> {
    Ok(moments_par::leptos::create_session(asked).await?)
}
// ANCHOR_END: server_fn

#[cfg(feature = "ssr")]
mod server {
    use axum::http::{HeaderValue, header};
    use leptos::prelude::*;
    use moments_par::SessionService;

    /// A strict policy for every page: scripts by this response's nonce (leptos puts it
    /// on its hydration scripts), styles from this origin plus the component's
    /// server-rendered stylesheet by its hash, frames from the Moments frame's origin.
    pub(super) fn content_security_policy() {
        let (Some(response), Some(service)) = (
            use_context::<leptos_axum::ResponseOptions>(),
            use_context::<SessionService>(),
        ) else {
            return;
        };
        let frame_origin = service.frame_origin();
        // ANCHOR: csp
        let policy = moments_embed::content_security_policy(frame_origin)
            .script_nonce(leptos::nonce::use_nonce().map(|nonce| nonce.to_string()));
        // ANCHOR_END: csp
        if let Ok(value) = HeaderValue::from_str(&policy.to_string()) {
            response.insert_header(header::CONTENT_SECURITY_POLICY, value);
        }
    }
}
