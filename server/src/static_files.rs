//! Optional static serving of a built app (`--static-dir dist`), with the headers a
//! deployable page needs.
//!
//! - `Content-Security-Policy` on HTML: the policy a page with the component needs
//!   (`moments_protocol::ContentSecurityPolicy`): scripts from this origin only, plus the inline
//!   bootstrap scripts trunk writes into `index.html` (and those of any other `.html`
//!   page in the directory), each allowed by its SHA-256 (hashed here, at start-up,
//!   from the files as built: a page added later is served, but its inline scripts
//!   are blocked until a restart), and `'wasm-unsafe-eval'` so
//!   the module may be compiled; frames from the origins of the frames the allowed
//!   embeddings open only (Moments', and Answers' when it is another); no plugins, no
//!   `<base>`, and no framing of the page itself.
//!   Styles are strict too (`style-src 'self'`, no `'unsafe-inline'`): the
//!   `<MomentsEmbed/>` component adopts its stylesheet through CSSOM, which no
//!   `style-src` governs, so an app served this way needs nothing more.
//! - `Referrer-Policy: strict-origin-when-cross-origin`: the frame's origin may learn
//!   which site embeds it, never the page's path or query.
//! - `X-Content-Type-Options: nosniff` (on every answer, by the router).
//! - Precompressed assets: `name.ext.br` or `name.ext.gz` beside `name.ext` is sent
//!   (with its `Content-Encoding` and `Vary: accept-encoding`) to browsers that accept
//!   it, brotli first. The demo's release build writes both (a trunk hook in
//!   `Trunk.toml`); nothing is compressed per request.
//! - `Cache-Control`: fingerprinted assets (`name-<16 hex>.ext`, as trunk names them)
//!   are immutable for a year; everything else, `index.html` first, is `no-cache`
//!   (revalidate each time), so a deploy is picked up at once.
//!
//! Unknown paths without a file extension get `index.html` (client-side routes);
//! unknown files get a 404.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use moments_protocol::ContentSecurityPolicy;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use tower_http::services::ServeDir;

/// The page and its policy, prepared once at start-up.
#[derive(Debug)]
struct Site {
    index: Bytes,
    csp: HeaderValue,
}

/// Serves `dir` with the headers above; `frame_origins` are the origins of the frames
/// the pages may show (`SessionService::frame_origins`).
///
/// Fails when `dir` has no readable `index.html`.
pub(crate) fn router(dir: &Path, frame_origins: &[String]) -> std::io::Result<Router> {
    let index = Bytes::from(std::fs::read(dir.join("index.html"))?);
    // One policy for every page: the union of their inline scripts' hashes. A page
    // served with another page's policy would have its own scripts blocked.
    let mut pages = Vec::new();
    html_pages(dir, 0, &mut pages)?;
    let csp = HeaderValue::from_str(&content_security_policy(&pages, frame_origins))
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
    let site = Arc::new(Site { index, csp });
    // `name.ext.br` and `name.ext.gz` beside `name.ext` (the demo's release build writes
    // them) go to browsers that accept them, brotli first: it is the smaller.
    let files = ServeDir::new(dir)
        .precompressed_br()
        .precompressed_gzip()
        .append_index_html_on_directories(false)
        .fallback(get(client_route).with_state(Arc::clone(&site)));
    Ok(Router::new()
        .route("/", get(index_page))
        .route("/index.html", get(index_page))
        .fallback_service(files)
        .layer(from_fn_with_state(Arc::clone(&site), set_headers))
        .with_state(site))
}

async fn index_page(State(site): State<Arc<Site>>) -> Response {
    html(site.index.clone())
}

/// No such file: a client-side route gets the page, a missing asset a 404.
async fn client_route(State(site): State<Arc<Site>>, uri: Uri) -> Response {
    let last = uri.path().rsplit('/').next().unwrap_or("");
    if last.contains('.') {
        (StatusCode::NOT_FOUND, "not found\n").into_response()
    } else {
        html(site.index.clone())
    }
}

fn html(body: Bytes) -> Response {
    let html = HeaderValue::from_static("text/html; charset=utf-8");
    ([(header::CONTENT_TYPE, html)], body).into_response()
}

async fn set_headers(State(site): State<Arc<Site>>, request: Request, next: Next) -> Response {
    let fingerprinted = is_fingerprinted(request.uri().path());
    let mut response = next.run(request).await;
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|t| t.as_bytes().starts_with(b"text/html"));
    let cacheable = response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED;
    let headers = response.headers_mut();
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    let cache = if fingerprinted && cacheable {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if is_html {
        headers.insert(header::CONTENT_SECURITY_POLICY, site.csp.clone());
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    } else {
        // The same URL may be answered compressed or not: a shared cache must keep each.
        headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    response
}

/// Reads every `.html` file under `dir` (a few levels deep, as a built site is) into
/// `pages`.
fn html_pages(dir: &Path, depth: usize, pages: &mut Vec<String>) -> std::io::Result<()> {
    const MAX_DEPTH: usize = 4;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let path = entry.path();
        if kind.is_dir() && depth < MAX_DEPTH {
            html_pages(&path, depth + 1, pages)?;
        } else if kind.is_file() && path.extension().is_some_and(|e| e == "html") {
            pages.push(String::from_utf8_lossy(&std::fs::read(&path)?).into_owned());
        }
    }
    Ok(())
}

/// The policy for `pages`: the policy a page with the component needs (frames from
/// `frame_origins`), plus a hash for each distinct inline script in them.
fn content_security_policy(pages: &[String], frame_origins: &[String]) -> String {
    let hashes: BTreeSet<String> = pages
        .iter()
        .flat_map(|page| inline_scripts(page))
        .map(|script| {
            let digest = Sha256::digest(script.as_bytes());
            format!(
                "'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            )
        })
        .collect();
    // Never empty (an allowlist has an embedding, and so a frame); were it, no frame.
    let (first, others) = frame_origins
        .split_first()
        .map_or(("'none'", &[][..]), |(first, others)| {
            (first.as_str(), others)
        });
    let policy = others
        .iter()
        .fold(ContentSecurityPolicy::new(first), |policy, origin| {
            policy.frame_source(origin.clone())
        });
    hashes
        .into_iter()
        .fold(policy, |policy, hash| policy.script_source(hash))
        .to_string()
}

/// The text of every `<script>` without a `src`, exactly as the browser hashes it.
fn inline_scripts(html: &str) -> impl Iterator<Item = &str> {
    let lower = html.to_ascii_lowercase();
    let mut scripts = Vec::new();
    let mut from = 0;
    while let Some(open) = lower[from..].find("<script").map(|i| i + from) {
        let Some(tag_end) = lower[open..].find('>').map(|i| i + open) else {
            break;
        };
        let Some(close) = lower[tag_end..].find("</script").map(|i| i + tag_end) else {
            break;
        };
        let attributes = &lower[open + "<script".len()..tag_end];
        let has_src = attributes
            .split(|c: char| c.is_ascii_whitespace())
            .any(|a| a == "src" || a.starts_with("src="));
        if !has_src {
            scripts.push(&html[tag_end + 1..close]);
        }
        from = close;
    }
    scripts.into_iter()
}

/// `moments-embed-demo-813e6a4566e19c6f.js`, `…-ffe57dda7eee8b64_bg.wasm`: a name
/// with a 16-hex-digit content hash, which trunk changes whenever the content does.
fn is_fingerprinted(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or("");
    name.split('-').skip(1).any(|part| {
        let hex = part.bytes().take_while(u8::is_ascii_hexdigit).count();
        hex == 16 && matches!(part.as_bytes().get(16), Some(b'.' | b'_'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_scripts_are_found_and_hashed_as_written() {
        let html = "<head><SCRIPT type=\"module\">\nimport x from '/a.js';\n</script>\
                    <script src=\"/b.js\"></script><script>one()</script></head>";
        let scripts: Vec<_> = inline_scripts(html).collect();
        assert_eq!(scripts, ["\nimport x from '/a.js';\n", "one()"]);
        let pages = [
            "<script>alert(1)</script>".to_owned(),
            "<script>alert(1)</script>".to_owned(),
        ];
        let frame = ["https://f.test".to_owned()];
        let csp = content_security_policy(&pages, &frame);
        assert_eq!(
            csp.matches("'sha256-").count(),
            1,
            "one hash per distinct script"
        );
        // `echo -n 'alert(1)' | openssl dgst -sha256 -binary | base64`
        assert!(
            csp.contains("'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='"),
            "{csp}"
        );
        assert!(csp.contains("frame-src https://f.test;"), "{csp}");
        assert!(csp.contains("'wasm-unsafe-eval'"), "{csp}");
        assert_eq!(
            content_security_policy(&[], &frame),
            ContentSecurityPolicy::new("https://f.test").to_string(),
            "the component's policy, and nothing else without inline scripts"
        );
    }

    #[test]
    fn frames_of_every_allowed_product_are_allowed() {
        let origins = [
            "https://f.test".to_owned(),
            "https://answers.test".to_owned(),
        ];
        let csp = content_security_policy(&[], &origins);
        assert!(
            csp.contains("; frame-src https://f.test https://answers.test; "),
            "{csp}"
        );
    }

    #[test]
    fn only_trunk_fingerprinted_names_are_immutable() {
        assert!(is_fingerprinted("/moments-embed-demo-813e6a4566e19c6f.js"));
        assert!(is_fingerprinted(
            "/moments-embed-demo-ffe57dda7eee8b64_bg.wasm"
        ));
        assert!(is_fingerprinted("/demo-a0806d1e0a00eb27.css"));
        assert!(!is_fingerprinted("/index.html"));
        assert!(!is_fingerprinted("/"));
        assert!(!is_fingerprinted("/logo-1234.png"));
        assert!(
            !is_fingerprinted("/a0806d1e0a00eb27.css"),
            "a hash alone is a name"
        );
    }
}
