//! [`Product`]: which of Infobip's embeddable products a frame opens.
//!
//! Infobip's *Embeddable customer engagement* products share one mechanism: the host's
//! backend pushes an authorization request (`POST /embeddable/1/auth/par`,
//! `Authorization: App <key>`) and the frame spends the `request_uri` it gets back. They
//! differ in the scopes asked for, in whether an `embedding_id` is sent, and in where
//! their frame lives.
//!
//! | | Moments | Answers |
//! |---|---|---|
//! | what the frame is | the Campaign wizard | the chatbot builder |
//! | PAR `scopes` | `flow:manage`, `flow:read`, `flow:use` (documented) | `answers:manage`, `voice-message:manage` (documented) |
//! | PAR `embedding_id` | required (documented) | not sent: Infobip's Answers call has none (documented) |
//! | frame URL | `https://embeddings.infobip.com/authorize?request_uri=…` (documented) | **assumed** the same; Infobip documents an "Answers iFrame component" fed the request URI, not its address |
//!
//! The API key needs `account-management:manage` besides the product's scopes, for
//! either product (documented).

use serde::{Deserialize, Serialize};
use std::fmt;

/// One of Infobip's embeddable products: what a configured embedding opens.
///
/// A server chooses it per embedding; a browser never does (it names an embedding, and
/// the scopes follow from the server's configuration).
///
/// ## Usage
/// ```
/// use moments_protocol::Product;
///
/// assert_eq!(Product::default(), Product::Moments);
/// assert_eq!(Product::Answers.scopes(), ["answers:manage", "voice-message:manage"]);
/// assert!(!Product::Answers.sends_embedding_id());
/// assert_eq!(Product::from_wire("answers"), Some(Product::Answers));
/// assert_eq!(serde_json::to_string(&Product::Moments).unwrap(), r#""moments""#);
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Product {
    /// Embeddable Moments: the Campaign wizard (activate use-case templates, manage them,
    /// read their analytics).
    #[default]
    Moments,
    /// Embeddable Answers: the chatbot builder.
    Answers,
}

impl Product {
    /// Every product, in wire order.
    pub const ALL: [Self; 2] = [Self::Moments, Self::Answers];

    /// The wire name: `"moments"` or `"answers"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Moments => "moments",
            Self::Answers => "answers",
        }
    }

    /// The product named `name` on the wire, if there is one (exact, lower case).
    pub fn from_wire(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|product| product.as_str() == name)
    }

    /// What people call it: `"Moments"` or `"Answers"`.
    pub const fn label(self) -> &'static str {
        match self {
            Self::Moments => "Moments",
            Self::Answers => "Answers",
        }
    }

    /// The scopes a PAR call for this product asks for, as Infobip documents them. The
    /// API key must hold them, and `account-management:manage` too.
    pub const fn scopes(self) -> &'static [&'static str] {
        match self {
            Self::Moments => &["flow:manage", "flow:read", "flow:use"],
            Self::Answers => &["answers:manage", "voice-message:manage"],
        }
    }

    /// Whether a PAR call for this product carries an `embedding_id`: Moments' does (it
    /// names the wizard set up for the account), Answers' has no such field.
    pub const fn sends_embedding_id(self) -> bool {
        match self {
            Self::Moments => true,
            Self::Answers => false,
        }
    }
}

impl fmt::Display for Product {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_serde_names() {
        for product in Product::ALL {
            let json = serde_json::to_value(product).unwrap();
            assert_eq!(json, product.as_str());
            assert_eq!(serde_json::from_value::<Product>(json).unwrap(), product);
            assert_eq!(Product::from_wire(product.as_str()), Some(product));
        }
        assert_eq!(Product::from_wire("Answers"), None);
        assert_eq!(Product::from_wire(""), None);
    }

    #[test]
    fn scopes_are_infobips_and_never_shared() {
        assert_eq!(
            Product::Moments.scopes(),
            ["flow:manage", "flow:read", "flow:use"]
        );
        assert_eq!(
            Product::Answers.scopes(),
            ["answers:manage", "voice-message:manage"]
        );
        assert!(
            Product::Moments
                .scopes()
                .iter()
                .all(|scope| !Product::Answers.scopes().contains(scope)),
            "a scope tells the product"
        );
        assert!(Product::Moments.sends_embedding_id());
        assert!(!Product::Answers.sends_embedding_id());
    }
}
