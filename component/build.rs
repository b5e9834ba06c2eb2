//! Minifies `style/moments-embed.css` into `OUT_DIR` for the component to inject: the
//! readable file (comments, indentation) stays the source, the bundle gets the bytes.

use std::error::Error;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn Error>> {
    let source = "style/moments-embed.css";
    println!("cargo::rerun-if-changed={source}");
    let css = std::fs::read_to_string(source).map_err(|e| format!("{source}: {e}"))?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out.join("moments-embed.min.css"), minify(&css))?;
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
