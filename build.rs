//! Two things the component needs decided before it compiles:
//!
//! - the stylesheet: `style/moments-embed.css` minified into `OUT_DIR` (the readable
//!   file stays the source, the bundle gets the bytes), with its SHA-256 as a CSP source
//!   (`'sha256-…'`) for pages that allow the server-rendered `<style>` by hash;
//! - `cfg(moments_browser)`: whether this build talks to a browser at all, which is
//!   only in wasm32 and never under `ssr`. Deciding it here, once, means a server build
//!   that forgot the `ssr` feature still never calls a browser API (which would panic
//!   on every request): it renders the placeholder, as with `ssr`.

use base64::Engine as _;
use sha2::{Digest, Sha256};
use std::error::Error;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo::rustc-check-cfg=cfg(moments_browser)");
    let wasm = std::env::var("CARGO_CFG_TARGET_ARCH").is_ok_and(|arch| arch == "wasm32");
    let ssr = std::env::var_os("CARGO_FEATURE_SSR").is_some();
    if wasm && !ssr {
        println!("cargo::rustc-cfg=moments_browser");
    }

    let source = "style/moments-embed.css";
    println!("cargo::rerun-if-changed={source}");
    let css = std::fs::read_to_string(source).map_err(|e| format!("{source}: {e}"))?;
    let minified = minify(&css);
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out.join("moments-embed.min.css"), &minified)?;
    let digest = Sha256::digest(minified.as_bytes());
    let hash = base64::engine::general_purpose::STANDARD.encode(digest);
    std::fs::write(
        out.join("moments-embed.min.css.csp"),
        format!("'sha256-{hash}'"),
    )?;
    Ok(())
}

/// Drops comments and collapses whitespace; keeps one space only where two words meet
/// (`0 0`, `solid #e3e5ee`), none around punctuation. Enough for a hand-written file;
/// no strings in it contain `/*` or significant runs of spaces.
fn minify(css: &str) -> String {
    let mut without_comments = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(start) = rest.find("/*") {
        without_comments.push_str(&rest[..start]);
        rest = rest[start + 2..]
            .find("*/")
            .map_or("", |end| &rest[start + 2 + end + 2..]);
    }
    without_comments.push_str(rest);

    let mut out = String::with_capacity(without_comments.len());
    let mut pending_space = false;
    for c in without_comments.chars() {
        if c.is_whitespace() {
            pending_space = true;
            continue;
        }
        let glue = matches!(c, '{' | '}' | ';' | ':' | ',' | '>');
        let after_glue = out.ends_with(['{', '}', ';', ':', ',', '>']);
        if pending_space && !out.is_empty() && !glue && !after_glue {
            out.push(' ');
        }
        pending_space = false;
        out.push(c);
    }
    out
}
