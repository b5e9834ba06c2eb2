//! [`Embeddings`]: the allowlist of embeddings the browser may ask for, by name, and
//! what each opens ([`Embedding`]).

use crate::config_error::ConfigError;
use moments_protocol::Product;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Infobip's `embedding_id`: documented as a number, accepted as a string too.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum EmbeddingId {
    /// A numeric id, sent as a JSON number.
    Number(u64),
    /// Any other id, sent as a JSON string.
    Text(String),
}

impl EmbeddingId {
    /// Digits become a number (as Infobip's examples send it); anything else stays text.
    ///
    /// ```
    /// use moments_par::EmbeddingId;
    /// assert_eq!(EmbeddingId::parse("42"), Some(EmbeddingId::Number(42)));
    /// assert_eq!(EmbeddingId::parse(" "), None);
    /// ```
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        if raw.is_empty() {
            return None;
        }
        Some(
            raw.parse::<u64>()
                .map_or_else(|_| Self::Text(raw.to_owned()), Self::Number),
        )
    }
}

impl fmt::Display for EmbeddingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Number(n) => write!(f, "{n}"),
            Self::Text(s) => f.write_str(s),
        }
    }
}

/// What one allowed embedding opens: a Moments Campaign wizard (by Infobip's
/// `embedding_id`), or the Answers chatbot builder (Infobip's Answers call names no
/// embedding). It fixes the scopes the PAR call asks for ([`Product::scopes`]), whether
/// an `embedding_id` is sent, and the frame URL the browser gets.
///
/// ```
/// use moments_par::{Embedding, EmbeddingId};
/// use moments_protocol::Product;
///
/// let campaigns = Embedding::from(EmbeddingId::Number(42));
/// assert_eq!(campaigns.product(), Product::Moments);
/// assert_eq!(campaigns, EmbeddingId::Number(42));
/// assert_eq!(Embedding::Answers.embedding_id(), None);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Embedding {
    /// Embeddable Moments: the Campaign wizard set up as this embedding.
    Moments(EmbeddingId),
    /// Embeddable Answers: the chatbot builder.
    Answers,
}

impl Embedding {
    /// The product it opens.
    pub fn product(&self) -> Product {
        match self {
            Self::Moments(_) => Product::Moments,
            Self::Answers => Product::Answers,
        }
    }

    /// The `embedding_id` the PAR call sends: Moments' id, none for Answers.
    pub fn embedding_id(&self) -> Option<&EmbeddingId> {
        match self {
            Self::Moments(id) => Some(id),
            Self::Answers => None,
        }
    }
}

impl From<EmbeddingId> for Embedding {
    /// A Moments embedding: an id is what Moments embeddings have.
    fn from(id: EmbeddingId) -> Self {
        Self::Moments(id)
    }
}

/// A Moments embedding equals its id; an Answers one equals no id.
impl PartialEq<EmbeddingId> for Embedding {
    fn eq(&self, id: &EmbeddingId) -> bool {
        self.embedding_id() == Some(id)
    }
}

/// As the options write it: the id (`42`) for Moments, `answers` for Answers.
impl fmt::Display for Embedding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Moments(id) => fmt::Display::fmt(id, f),
            Self::Answers => f.write_str(Product::Answers.as_str()),
        }
    }
}

/// The allowlist of embeddings the browser may ask for, by name.
///
/// The browser sends a name (`{"embedding":"campaigns"}`) or nothing (the default);
/// only the server knows what each name opens: Infobip's `embedding_id`s, and which
/// product (and so which scopes) each one is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Embeddings {
    default: String,
    by_name: BTreeMap<String, Embedding>,
}

/// The name the single embedding gets when configured as a bare id.
pub const DEFAULT_EMBEDDING_NAME: &str = "default";

impl Embeddings {
    /// One embedding, named [`DEFAULT_EMBEDDING_NAME`].
    pub fn single(id: EmbeddingId) -> Self {
        Self {
            default: DEFAULT_EMBEDDING_NAME.to_owned(),
            by_name: BTreeMap::from([(DEFAULT_EMBEDDING_NAME.to_owned(), id.into())]),
        }
    }

    /// Several named embeddings; `default` must be one of them. Names are what the
    /// browser sends: 1 to 64 of `a-z A-Z 0-9 - _ .`. Each is an [`Embedding`], or an
    /// [`EmbeddingId`] for a Moments one.
    ///
    /// ```
    /// use moments_par::{Embedding, EmbeddingId, Embeddings};
    /// use std::collections::BTreeMap;
    ///
    /// let embeddings = Embeddings::named(
    ///     "campaigns",
    ///     BTreeMap::from([
    ///         ("campaigns".to_owned(), EmbeddingId::Number(42)),
    ///         ("reminders".to_owned(), EmbeddingId::Number(43)),
    ///     ]),
    /// )?;
    /// assert_eq!(embeddings.get("reminders"), Some(&EmbeddingId::Number(43)));
    ///
    /// // Moments and Answers side by side.
    /// let both = Embeddings::named(
    ///     "campaigns",
    ///     BTreeMap::from([
    ///         ("campaigns".to_owned(), Embedding::Moments(EmbeddingId::Number(42))),
    ///         ("chatbot".to_owned(), Embedding::Answers),
    ///     ]),
    /// )?;
    /// assert_eq!(both.embedding("chatbot"), Some(&Embedding::Answers));
    /// # Ok::<(), moments_par::ConfigError>(())
    /// ```
    pub fn named<E: Into<Embedding>>(
        default: impl Into<String>,
        by_name: BTreeMap<String, E>,
    ) -> Result<Self, ConfigError> {
        let default = default.into();
        let by_name: BTreeMap<String, Embedding> = by_name
            .into_iter()
            .map(|(name, embedding)| (name, embedding.into()))
            .collect();
        if let Some(bad) = by_name.keys().find(|name| !is_valid_name(name)) {
            return Err(ConfigError::new(format!(
                "the embedding name `{bad}` is not usable: use 1 to 64 of a-z, A-Z, 0-9, `-`, `_`, `.`"
            )));
        }
        if !by_name.contains_key(&default) {
            return Err(ConfigError::new(format!(
                "the default embedding `{default}` is not in the embedding list ({})",
                by_name.keys().cloned().collect::<Vec<_>>().join(", ")
            )));
        }
        Ok(Self { default, by_name })
    }

    /// The name used when the browser names none.
    pub fn default_name(&self) -> &str {
        &self.default
    }

    /// What `name` opens, if allowed.
    pub fn embedding(&self, name: &str) -> Option<&Embedding> {
        self.by_name.get(name)
    }

    /// The Moments `embedding_id` of `name`, if allowed. `None` for an Answers embedding
    /// too, which has no id: [`embedding`](Self::embedding) tells the two apart.
    pub fn get(&self, name: &str) -> Option<&EmbeddingId> {
        self.by_name.get(name).and_then(Embedding::embedding_id)
    }

    /// Every allowed name.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.by_name.keys().map(String::as_str)
    }

    /// The products the allowed embeddings open, each once, Moments first.
    pub fn products(&self) -> impl Iterator<Item = Product> + '_ {
        Product::ALL
            .into_iter()
            .filter(|product| self.by_name.values().any(|e| e.product() == *product))
    }
}

fn is_valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_must_exist_and_names_must_be_plain() {
        let one = BTreeMap::from([("a".to_owned(), EmbeddingId::Number(1))]);
        assert!(Embeddings::named("a", one.clone()).is_ok());
        let error = Embeddings::named("b", one).unwrap_err().to_string();
        assert!(
            error.contains("`b` is not in the embedding list (a)"),
            "{error}"
        );
        let spaced = BTreeMap::from([("a b".to_owned(), EmbeddingId::Number(1))]);
        assert!(Embeddings::named("a b", spaced).is_err());
    }

    #[test]
    fn an_answers_embedding_is_allowed_but_has_no_id() {
        let both = Embeddings::named(
            "chatbot",
            BTreeMap::from([
                ("chatbot".to_owned(), Embedding::Answers),
                ("campaigns".to_owned(), EmbeddingId::Number(42).into()),
            ]),
        )
        .unwrap();
        assert_eq!(both.embedding("chatbot"), Some(&Embedding::Answers));
        assert_eq!(both.get("chatbot"), None, "no id to get");
        assert_eq!(both.get("campaigns"), Some(&EmbeddingId::Number(42)));
        assert_eq!(
            both.products().collect::<Vec<_>>(),
            [Product::Moments, Product::Answers]
        );
        assert_eq!(Embedding::Answers.to_string(), "answers");
        assert_eq!(Embedding::from(EmbeddingId::Number(7)).to_string(), "7");
        assert_ne!(Embedding::Answers, EmbeddingId::Text("answers".into()));
    }
}
