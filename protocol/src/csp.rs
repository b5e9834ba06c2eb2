//! The Content-Security-Policy a page with `<MomentsEmbed/>` needs: [`ContentSecurityPolicy`].
//!
//! One place knows what the component asks of a page's policy, so a host does not write
//! it by hand: the frame's origin in `frame-src` (each frame's, for a page that opens
//! Moments and Answers from different origins), the session endpoint in `connect-src`,
//! `'wasm-unsafe-eval'` for the wasm, and, with a server render, the hash of the
//! component's `<style>` element. Everything else is as strict as a page can be.

use std::fmt;

/// A Content-Security-Policy for a page that embeds Moments (or Answers). Its
/// [`Display`](fmt::Display) is the header's value.
///
/// The base policy allows scripts, styles, images, fetches and forms from the page's own
/// origin only (`'self'`), the wasm module, frames from the frame's origin only (and
/// from each origin added with [`frame_source`](Self::frame_source)), no plugins, no
/// `<base>`, and no framing of the page itself.
///
/// ## Usage
/// ```
/// use moments_protocol::ContentSecurityPolicy;
///
/// let policy = ContentSecurityPolicy::new("https://embeddings.infobip.com")
///     .script_nonce(Some("r4nd0m".to_owned()));
/// let header = policy.to_string();
/// assert!(header.contains("frame-src https://embeddings.infobip.com;"));
/// assert!(header.contains("script-src 'self' 'wasm-unsafe-eval' 'nonce-r4nd0m';"));
///
/// // Moments' frame and, from another origin, Answers'.
/// let both = ContentSecurityPolicy::new("https://embeddings.infobip.com")
///     .frame_source("https://answers.example")
///     .to_string();
/// assert!(both.contains("frame-src https://embeddings.infobip.com https://answers.example;"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContentSecurityPolicy {
    frame_sources: Vec<String>,
    script_sources: Vec<String>,
    style_sources: Vec<String>,
    connect_sources: Vec<String>,
}

impl ContentSecurityPolicy {
    /// The policy for a page whose Moments frame lives at `frame_origin` (the origin of
    /// the iframe URL the companion returns, e.g. `https://embeddings.infobip.com`).
    pub fn new(frame_origin: impl Into<String>) -> Self {
        Self {
            frame_sources: vec![frame_origin.into()],
            script_sources: Vec::new(),
            style_sources: Vec::new(),
            connect_sources: Vec::new(),
        }
    }

    /// Allows the page's inline scripts that carry this nonce (leptos puts its nonce on
    /// its hydration scripts). `None` changes nothing, so a nonce that may be missing can
    /// be passed as it is.
    #[must_use]
    pub fn script_nonce(mut self, nonce: Option<String>) -> Self {
        if let Some(nonce) = nonce {
            self.script_sources.push(format!("'nonce-{nonce}'"));
        }
        self
    }

    /// Allows frames from one more origin: another product's frame (Answers' beside
    /// Moments'), when it does not share the first one's origin. An origin already
    /// allowed is not listed twice.
    #[must_use]
    pub fn frame_source(mut self, source: impl Into<String>) -> Self {
        let source = source.into();
        if !self.frame_sources.contains(&source) {
            self.frame_sources.push(source);
        }
        self
    }

    /// Allows one more script source: an inline script's `'sha256-…'` hash, or an origin.
    #[must_use]
    pub fn script_source(mut self, source: impl Into<String>) -> Self {
        self.script_sources.push(source.into());
        self
    }

    /// Allows one more style source, e.g. the component's server-rendered stylesheet by
    /// its hash (`moments_embed::STYLESHEET_CSP_SOURCE`).
    #[must_use]
    pub fn style_source(mut self, source: impl Into<String>) -> Self {
        self.style_sources.push(source.into());
        self
    }

    /// Allows fetches to one more origin: the session endpoint's, when it is not the
    /// page's own.
    #[must_use]
    pub fn connect_source(mut self, source: impl Into<String>) -> Self {
        self.connect_sources.push(source.into());
        self
    }
}

impl fmt::Display for ContentSecurityPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list =
            |sources: &[String]| -> String { sources.iter().map(|s| format!(" {s}")).collect() };
        write!(
            f,
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{}; style-src 'self'{}; \
             img-src 'self' data:; connect-src 'self'{}; frame-src {}; \
             frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'",
            list(&self.script_sources),
            list(&self.style_sources),
            list(&self.connect_sources),
            self.frame_sources.join(" "),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_base_policy_allows_the_frame_origin_and_nothing_inline() {
        let policy = ContentSecurityPolicy::new("https://f.test").to_string();
        assert_eq!(
            policy,
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
             img-src 'self' data:; connect-src 'self'; frame-src https://f.test; \
             frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
        );
        assert!(!policy.contains("unsafe-inline"));
    }

    #[test]
    fn sources_are_added_to_their_directive() {
        let policy = ContentSecurityPolicy::new("https://f.test")
            .script_nonce(Some("abc".into()))
            .script_nonce(None)
            .script_source("'sha256-s='")
            .style_source("'sha256-c='")
            .connect_source("https://api.test")
            .to_string();
        assert!(
            policy.contains("script-src 'self' 'wasm-unsafe-eval' 'nonce-abc' 'sha256-s=';"),
            "{policy}"
        );
        assert!(policy.contains("style-src 'self' 'sha256-c=';"), "{policy}");
        assert!(
            policy.contains("connect-src 'self' https://api.test;"),
            "{policy}"
        );
    }

    #[test]
    fn each_frame_origin_is_allowed_once() {
        let policy = ContentSecurityPolicy::new("https://f.test")
            .frame_source("https://answers.test")
            .frame_source("https://f.test")
            .to_string();
        assert!(
            policy.contains("; frame-src https://f.test https://answers.test; "),
            "{policy}"
        );
        assert_eq!(
            ContentSecurityPolicy::new("https://f.test").frame_source("https://f.test"),
            ContentSecurityPolicy::new("https://f.test"),
            "the same origin twice is the policy of one"
        );
    }
}
