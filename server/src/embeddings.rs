//! [`Embeddings`]: the allowlist of embeddings the browser may ask for, by name.

use crate::config_error::ConfigError;
use crate::par_client::EmbeddingId;
use std::collections::BTreeMap;

/// The allowlist of embeddings the browser may ask for, by name.
///
/// The browser sends a name (`{"embedding":"campaigns"}`) or nothing (the default);
/// only the server knows Infobip's `embedding_id`s.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Embeddings {
    default: String,
    by_name: BTreeMap<String, EmbeddingId>,
}

/// The name the single embedding gets when configured as a bare id.
pub const DEFAULT_EMBEDDING_NAME: &str = "default";

impl Embeddings {
    /// One embedding, named [`DEFAULT_EMBEDDING_NAME`].
    pub fn single(id: EmbeddingId) -> Self {
        Self {
            default: DEFAULT_EMBEDDING_NAME.to_owned(),
            by_name: BTreeMap::from([(DEFAULT_EMBEDDING_NAME.to_owned(), id)]),
        }
    }

    /// Several named embeddings; `default` must be one of them. Names are what the
    /// browser sends: 1 to 64 of `a-z A-Z 0-9 - _ .`.
    ///
    /// ```
    /// use moments_par::{EmbeddingId, Embeddings};
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
    /// # Ok::<(), moments_par::ConfigError>(())
    /// ```
    pub fn named(
        default: impl Into<String>,
        by_name: BTreeMap<String, EmbeddingId>,
    ) -> Result<Self, ConfigError> {
        let default = default.into();
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

    /// The id for `name`, if allowed.
    pub fn get(&self, name: &str) -> Option<&EmbeddingId> {
        self.by_name.get(name)
    }

    /// Every allowed name.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.by_name.keys().map(String::as_str)
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
}
