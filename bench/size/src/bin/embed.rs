//! Size probe: the same page as `bare.rs`, with `<MomentsEmbed/>` instead of the plain
//! iframe. The difference is what the component costs an app.

use leptos::prelude::*;
use moments_embed::MomentsEmbed;

fn main() {
    leptos::mount::mount_to_body(|| view! { <MomentsEmbed/> });
}
