//! Size probe: `embed.rs` with the embed kept (`keep_alive`). The difference from
//! `embed.rs` is what keeping the person's place costs an app that uses it; an app
//! that does not links none of it.

use leptos::prelude::*;
use moments_embed::MomentsEmbed;

fn main() {
    leptos::mount::mount_to_body(|| view! { <MomentsEmbed keep_alive="campaigns"/> });
}
