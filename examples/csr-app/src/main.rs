//! A newcomer's app: one page with a default `<MomentsEmbed/>`.
//!
//! ```sh
//! trunk build --release   # in this directory
//! cargo run -p moments-par --features sandbox -- --sandbox --static-dir examples/csr-app/dist
//! ```

use leptos::prelude::*;
use moments_embed::MomentsEmbed;

#[component]
fn App() -> impl IntoView {
    view! {
        <main>
            <h1>"Campaigns"</h1>
            <MomentsEmbed/>
        </main>
    }
}

fn main() {
    leptos::mount::mount_to_body(App);
}
