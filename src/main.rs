//! The trunk demo: a host app ("Acme Commerce") with `<MomentsEmbed/>` on its Campaigns
//! page. Run `make demo` and open the URL it prints.

mod demo;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(demo::App);
}
