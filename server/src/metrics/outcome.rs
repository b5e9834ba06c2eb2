//! The outcomes a call to Infobip can have: the values of the `outcome` label, declared
//! here, where they are counted. The PAR client maps its errors onto them
//! ([`ParError::outcome`](crate::par_client::ParError::outcome)), so the arrow points one
//! way: the client knows the metrics' words, the metrics know nothing of the client.

/// Declares [`UpstreamOutcome`] from one list: each outcome and its label, written once.
macro_rules! outcomes {
    ($($(#[doc = $doc:literal])* $variant:ident = $label:literal;)*) => {
        /// How one call to Infobip ended: the `outcome` label of
        /// `moments_par_upstream_attempts_total`. A type, so a count cannot name an
        /// outcome the metrics do not know.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(crate) enum UpstreamOutcome {
            $($(#[doc = $doc])* $variant,)*
        }

        impl UpstreamOutcome {
            /// Every outcome, in the order the metrics list them.
            pub(crate) const ALL: [Self; [$(Self::$variant),*].len()] = [$(Self::$variant),*];

            /// The label value.
            pub(crate) const fn label(self) -> &'static str {
                match self { $(Self::$variant => $label,)* }
            }
        }
    };
}

outcomes! {
    /// A grant.
    Ok = "ok";
    /// 401/403: the key.
    Auth = "auth";
    /// Another 4xx.
    Rejected = "rejected";
    /// 429.
    RateLimited = "rate_limited";
    /// 5xx, a timeout, no connection.
    Unavailable = "unavailable";
    /// A 2xx that is not a grant.
    BadResponse = "bad_response";
}
