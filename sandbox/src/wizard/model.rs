//! What the wizard remembers per tenant (activated use cases, kept in the tenant's
//! [`Workspace`](crate::store::Workspace)) and per session (the draft being filled in,
//! step by step).

use std::collections::BTreeMap;

/// Most use cases one tenant may have; activation beyond says so.
pub(crate) const MAX_USE_CASES: usize = 50;

/// Whether an activated use case is sending.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    Active,
    Paused,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Paused => "paused",
        }
    }
}

/// An activated use case: a template with the values the user chose.
#[derive(Clone, Debug)]
pub(crate) struct UseCase {
    /// `uc-<n>`, unique within the tenant.
    pub(crate) id: String,
    /// The template it was made from.
    pub(crate) template: &'static str,
    /// The values of every wizard field.
    pub(crate) values: BTreeMap<String, String>,
    pub(crate) status: Status,
}

impl UseCase {
    /// A field's value, or `""`.
    pub(crate) fn value(&self, field: &str) -> &str {
        self.values.get(field).map_or("", String::as_str)
    }
}

/// The wizard in progress for one session.
#[derive(Clone, Debug, Default)]
pub(crate) struct Draft {
    /// The template being set up.
    pub(crate) template: Option<String>,
    /// Every field filled in so far.
    pub(crate) values: BTreeMap<String, String>,
}
