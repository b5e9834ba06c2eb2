//! The trunk demo: a host app ("Acme Commerce") with `<MomentsEmbed/>` on its Campaigns
//! page (Moments) and its Chatbot page (Answers, `#chatbot`). `trunk serve` at the
//! repository's root builds and serves it; `make demo` also starts the companion it
//! talks to.

mod app;
mod companion;
mod faults;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
