//! The pages: Campaigns through a server function (`/`), and the same through the REST
//! endpoint (`/rest`), both served by the companion inside this app's own server.

use leptos::prelude::*;
use leptos_meta::{MetaTags, Title, provide_meta_context};
use leptos_router::StaticSegment;
use leptos_router::components::{A, Route, Router, Routes};
use moments_embed::{Fetcher, MomentsEmbed, SessionFnError, SessionGrant, SessionRequest};

/// The Moments frame's origin, for the page's `frame-src` (the server provides it).
#[derive(Clone, Debug)]
pub struct FrameOrigin(pub String);

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

/// A session from the companion's REST endpoint, `POST /api/moments/session`.
#[component]
fn CampaignsViaRest() -> impl IntoView {
    view! {
        <h1>"Campaigns"</h1>
        <MomentsEmbed/>
    }
}

/// Mints a session on the server through the companion's [`SessionService`], which the
/// server provides as context: the same checks as its REST endpoint (origin, tenant,
/// allowlist, rate limit, upstream gate), and its refusals reach the component whole.
///
/// [`SessionService`]: https://docs.rs/moments-par/latest/moments_par/struct.SessionService.html
// JSON arguments: the default URL encoding drops an empty `SessionRequest` entirely.
#[server(prefix = "/api", endpoint = "moments_session", input = leptos::server_fn::codec::Json)]
pub async fn moments_session(asked: SessionRequest) -> Result<SessionGrant, SessionFnError> {
    use moments_par::{SessionFailure, SessionService};
    let service = use_context::<SessionService>()
        .ok_or_else(|| SessionFnError::ServerFn("no SessionService in context".into()))?;
    let request: http::request::Parts = leptos_axum::extract()
        .await
        .map_err(|e| SessionFnError::ServerFn(e.to_string()))?;
    Ok(service
        .create(&request, asked)
        .await
        .map_err(SessionFailure::from)?)
}

#[cfg(feature = "ssr")]
mod server {
    use super::FrameOrigin;
    use leptos::prelude::*;

    /// A strict policy for every page: scripts by this response's nonce (leptos puts it
    /// on its hydration scripts), styles from this origin plus the component's
    /// server-rendered stylesheet by its hash, frames from the Moments frame's origin.
    pub(super) fn content_security_policy() {
        let (Some(response), Some(FrameOrigin(frame_origin))) = (
            use_context::<leptos_axum::ResponseOptions>(),
            use_context::<FrameOrigin>(),
        ) else {
            return;
        };
        let nonce = leptos::nonce::use_nonce()
            .map(|nonce| format!(" 'nonce-{nonce}'"))
            .unwrap_or_default();
        let policy = format!(
            "default-src 'self'; script-src 'self'{nonce} 'wasm-unsafe-eval'; \
             style-src 'self' {}; img-src 'self' data:; connect-src 'self'; \
             frame-src {}; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
            moments_embed::STYLESHEET_CSP_SOURCE,
            frame_origin,
        );
        if let Ok(value) = http::HeaderValue::from_str(&policy) {
            response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
        }
    }
}
