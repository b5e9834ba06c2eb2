//! Setting values the command line and the environment spell as text: durations, rates,
//! `name=id` pairs (and what an embedding opens), header names, proxies, URLs, numbers. One parser per kind, used by
//! clap for the binary and by [`Config::from_env`](crate::Config::from_env) alike, so
//! both accept the same text and refuse it with the same message.

use crate::embeddings::Embedding;
use crate::par_client::EmbeddingId;
use crate::rate_limit::RateLimit;
use crate::trusted_proxies::TrustedProxies;
use http::HeaderName;
use moments_protocol::Product;
use secrecy::SecretString;
use std::convert::Infallible;
use std::str::FromStr;
use std::time::Duration;
use url::Url;

/// One `name=id` (or `name=answers`) entry of `--embeddings`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamedEmbedding {
    /// The name the browser sends.
    pub name: String,
    /// What it opens: a Moments embedding by Infobip's id, or Answers.
    pub embedding: Embedding,
}

/// `--rate-limit`: a rate, or off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateSetting(pub Option<(u32, Duration)>);

impl RateSetting {
    /// The limit with `burst`, unless off.
    pub fn with_burst(self, burst: u32) -> Option<RateLimit> {
        self.0.map(|(requests, per)| RateLimit {
            requests,
            per,
            burst,
        })
    }
}

/// `--healthz-path` and its kind: a path, or off.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpsPath(pub Option<String>);

/// Text taken as it is.
#[allow(clippy::unnecessary_wraps)] // a parser's signature
pub(crate) fn text(raw: &str) -> Result<String, Infallible> {
    Ok(raw.to_owned())
}

/// A whole number: a count, a size.
pub(crate) fn number<T: FromStr>(raw: &str) -> Result<T, String> {
    raw.trim()
        .parse()
        .map_err(|_| format!("`{raw}` is not a whole number (or is too large)"))
}

/// `true` or `false` (also `1`/`0`, `yes`/`no`, `on`/`off`).
#[cfg(feature = "redis")] // the only switch among the settings
pub(crate) fn flag(raw: &str) -> Result<bool, String> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(format!("`{raw}` is not true or false")),
    }
}

/// An absolute URL.
pub(crate) fn url(raw: &str) -> Result<Url, String> {
    Url::parse(raw.trim()).map_err(|e| format!("`{raw}` is not a URL ({e})"))
}

/// `/metrics`, or `off`. Whether the path is a plain one is checked with the rest of
/// the config ([`crate::Config::validate`]), so the message is the same for the library.
#[allow(clippy::unnecessary_wraps)] // a parser's signature
pub(crate) fn ops_path(raw: &str) -> Result<OpsPath, Infallible> {
    let raw = raw.trim();
    Ok(OpsPath(
        (!raw.eq_ignore_ascii_case("off")).then(|| raw.to_owned()),
    ))
}

/// `500ms`, `2s`, `1m`, `1h`; a bare number is seconds.
pub(crate) fn duration(raw: &str) -> Result<Duration, String> {
    let raw = raw.trim();
    let split = raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len());
    let (number, unit) = raw.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{raw}` is not a duration; write e.g. 500ms, 2s or 1m"))?;
    let duration = match unit.trim() {
        "ms" => Duration::from_millis(number),
        "" | "s" => Duration::from_secs(number),
        "m" | "min" => Duration::from_secs(number.saturating_mul(60)),
        "h" => Duration::from_secs(number.saturating_mul(3600)),
        other => {
            return Err(format!(
                "unknown unit `{other}` in `{raw}`; use ms, s, m or h"
            ));
        }
    };
    Ok(duration)
}

/// `open` or `closed`.
#[cfg(feature = "redis")]
pub(crate) fn store_failure(raw: &str) -> Result<crate::StoreFailure, String> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "open" => Ok(crate::StoreFailure::Open),
        "closed" => Ok(crate::StoreFailure::Closed),
        other => Err(format!(
            "`{other}`: open (serve unlimited) or closed (refuse)"
        )),
    }
}

/// `60/min`, `5/s`, `1000/h`, or `off`.
pub(crate) fn rate(raw: &str) -> Result<RateSetting, String> {
    let raw = raw.trim();
    if raw.eq_ignore_ascii_case("off") {
        return Ok(RateSetting(None));
    }
    let usage = || format!("`{raw}` is not a rate; write e.g. 60/min, 5/s, 1000/h, or off");
    let (count, per) = raw.split_once('/').ok_or_else(usage)?;
    let count: u32 = count.trim().parse().map_err(|_| usage())?;
    let per = match per.trim() {
        "s" | "sec" => Duration::from_secs(1),
        "m" | "min" => Duration::from_secs(60),
        "h" | "hour" => Duration::from_secs(3600),
        _ => return Err(usage()),
    };
    if count == 0 {
        return Err(format!(
            "`{raw}`: a rate of 0 refuses everything; use `off` to turn the limit off"
        ));
    }
    Ok(RateSetting(Some((count, per))))
}

/// `campaigns=42`, `chatbot=answers`.
pub(crate) fn named_embedding(raw: &str) -> Result<NamedEmbedding, String> {
    let usage = || format!("`{raw}` is not name=id (e.g. campaigns=42, or chatbot=answers)");
    let (name, value) = raw.split_once('=').ok_or_else(usage)?;
    let name = name.trim();
    if name.is_empty() || value.trim().is_empty() {
        return Err(usage());
    }
    let embedding = embedding(value).map_err(|problem| format!("`{raw}`: {problem}"))?;
    Ok(NamedEmbedding {
        name: name.to_owned(),
        embedding,
    })
}

/// What an embedding opens, as the options and the tenants file write it: an id (`42`,
/// `wizard-a`) or `moments:<id>` for Moments, `answers` for Answers (which has no id).
/// An id with a `:` in it is written with its product: `moments:a:b`.
pub(crate) fn embedding(raw: &str) -> Result<Embedding, String> {
    let raw = raw.trim();
    let (product, id) = match raw.split_once(':') {
        Some((product, id)) => (Some(product.trim()), Some(id)),
        None if raw.eq_ignore_ascii_case(Product::Answers.as_str()) => {
            (Some(Product::Answers.as_str()), None)
        }
        None if raw.eq_ignore_ascii_case(Product::Moments.as_str()) => {
            (Some(Product::Moments.as_str()), None)
        }
        None => (None, Some(raw)),
    };
    let product = match product {
        None => Product::Moments,
        Some(word) => Product::from_wire(&word.to_ascii_lowercase()).ok_or_else(|| {
            format!("unknown product `{word}`: write an id (42), moments:<id>, or answers")
        })?,
    };
    match (product, id.and_then(EmbeddingId::parse)) {
        (Product::Moments, Some(id)) => Ok(Embedding::Moments(id)),
        (Product::Moments, None) => Err(
            "a Moments embedding needs its id (from your Infobip account manager): write 42 or moments:42".to_owned(),
        ),
        (Product::Answers, None) if id.is_none_or(|id| id.trim().is_empty()) => {
            Ok(Embedding::Answers)
        }
        (Product::Answers, _) => Err(
            "an Answers embedding has no id (Infobip's Answers PAR call takes none): write answers".to_owned(),
        ),
    }
}

/// One entry of `--trusted-proxies`, checked here so that the error names the bad one.
/// An empty entry (`""`, a trailing comma) is kept empty and skipped later, as an empty
/// allowed origin is.
pub(crate) fn trusted_proxy(raw: &str) -> Result<String, String> {
    let entry = raw.trim();
    if entry.is_empty() {
        return Ok(String::new());
    }
    TrustedProxies::parse([entry])
        .map(|_| entry.to_owned())
        .map_err(|error| error.to_string())
}

/// An HTTP header name (`x-org`).
pub(crate) fn header_name(raw: &str) -> Result<HeaderName, String> {
    HeaderName::from_bytes(raw.trim().as_bytes())
        .map_err(|_| format!("`{raw}` is not a valid HTTP header name"))
}

/// Wraps the key at once, so no `Debug` of what holds it can show it.
#[allow(clippy::unnecessary_wraps)] // a parser's signature
pub(crate) fn secret(raw: &str) -> Result<SecretString, Infallible> {
    Ok(SecretString::from(raw.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_need_a_known_unit() {
        assert_eq!(duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(duration("3"), Ok(Duration::from_secs(3)));
        assert_eq!(duration("1m"), Ok(Duration::from_secs(60)));
        assert!(duration("2 weeks").unwrap_err().contains("unknown unit"));
        assert!(duration("fast").unwrap_err().contains("500ms"));
    }

    #[test]
    fn rates_read_like_rates() {
        assert_eq!(
            rate("60/min"),
            Ok(RateSetting(Some((60, Duration::from_secs(60)))))
        );
        assert_eq!(
            rate("5/s"),
            Ok(RateSetting(Some((5, Duration::from_secs(1)))))
        );
        assert_eq!(rate("OFF"), Ok(RateSetting(None)));
        assert!(rate("0/s").unwrap_err().contains("use `off`"));
        assert!(rate("60").is_err());
        assert!(rate("60/day").is_err());
    }

    #[test]
    fn embeddings_are_name_equals_id() {
        assert_eq!(
            named_embedding("campaigns=42"),
            Ok(NamedEmbedding {
                name: "campaigns".into(),
                embedding: Embedding::Moments(EmbeddingId::Number(42))
            })
        );
        assert!(named_embedding("campaigns").is_err());
        assert!(named_embedding("=42").is_err());
        assert!(named_embedding("a=").is_err());
        assert!(header_name("x-org").is_ok());
        assert!(header_name("x org").is_err());
    }

    #[test]
    fn an_embedding_names_its_product_or_is_a_moments_id() {
        let moments = |id: &str| Ok(Embedding::Moments(EmbeddingId::parse(id).unwrap()));
        assert_eq!(embedding("42"), moments("42"));
        assert_eq!(embedding(" wizard-a "), moments("wizard-a"));
        assert_eq!(embedding("moments:42"), moments("42"));
        assert_eq!(embedding("Moments: a:b "), moments("a:b"));
        assert_eq!(embedding("answers"), Ok(Embedding::Answers));
        assert_eq!(embedding(" ANSWERS "), Ok(Embedding::Answers));
        assert_eq!(embedding("answers:"), Ok(Embedding::Answers));
        for (raw, says) in [
            ("answers:42", "an Answers embedding has no id"),
            ("moments", "a Moments embedding needs its id"),
            ("moments: ", "a Moments embedding needs its id"),
            ("chat:42", "unknown product `chat`"),
        ] {
            let error = embedding(raw).unwrap_err();
            assert!(error.contains(says), "{raw}: {error}");
        }
        assert_eq!(
            named_embedding("chatbot=answers"),
            Ok(NamedEmbedding {
                name: "chatbot".into(),
                embedding: Embedding::Answers
            })
        );
        let error = named_embedding("chatbot=answers:7").unwrap_err();
        assert!(
            error.starts_with("`chatbot=answers:7`: an Answers embedding has no id"),
            "{error}"
        );
    }

    #[test]
    fn numbers_flags_and_urls() {
        assert_eq!(number::<u32>(" 20 "), Ok(20));
        assert!(number::<u32>("-1").unwrap_err().contains("whole number"));
        assert!(number::<usize>("4k").is_err());
        #[cfg(feature = "redis")]
        {
            assert_eq!(flag("TRUE"), Ok(true));
            assert_eq!(flag("0"), Ok(false));
            assert!(flag("maybe").is_err());
        }
        assert!(url("https://x.test").is_ok());
        assert!(url("x.test").unwrap_err().contains("not a URL"));
    }

    #[test]
    fn an_empty_proxy_entry_is_skipped_not_refused() {
        assert_eq!(trusted_proxy(""), Ok(String::new()));
        assert_eq!(trusted_proxy("  "), Ok(String::new()));
        assert_eq!(trusted_proxy(" 10.0.0.0/8 "), Ok("10.0.0.0/8".to_owned()));
        assert!(
            trusted_proxy("proxy.internal")
                .unwrap_err()
                .contains("`proxy.internal`")
        );
    }
}
