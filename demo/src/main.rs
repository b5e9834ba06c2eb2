//! The trunk demo: a host app ("Acme Commerce") with `<MomentsEmbed/>` on its Campaigns
//! page. Run `make demo` and open the URL it prints.

mod app;
mod faults;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
