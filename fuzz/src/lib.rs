//! Generators shared by the fuzz properties in `tests/`.
//!
//! Inputs are built to get *past* the first checks: mostly near-valid shapes with one
//! thing wrong (a field of the wrong type, a missing field, an odd number, a hostile
//! string), mixed with arbitrary JSON, so the deep branches of each parser run too.
//!
//! `MOMENTS_FUZZ_CASES` sets the number of cases per property (default 10,000, which
//! `make test` runs; `make soak` runs a million).

// A test harness: failing loudly is its job.
#![allow(clippy::panic)]

use moments_protocol::frame;
use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestRunner};
use serde_json::{Map, Number, Value, json};
use std::sync::atomic::{AtomicU32, Ordering};

/// The frame message types of our protocol.
const MESSAGE_TYPES: [&str; 5] = [
    frame::READY,
    frame::RESIZE,
    frame::SESSION_EXPIRED,
    frame::EVENT,
    frame::ERROR,
];

/// Cases per property: `MOMENTS_FUZZ_CASES`, or 10,000. Zero, or anything that is not a
/// number, is refused: a property run on no input passes without testing anything.
pub fn cases() -> u32 {
    match std::env::var("MOMENTS_FUZZ_CASES") {
        Err(_) => 10_000,
        Ok(text) => match text.parse() {
            Ok(cases) if cases > 0 => cases,
            _ => panic!("MOMENTS_FUZZ_CASES={text:?}: it must be a number of cases, at least 1"),
        },
    }
}

/// Runs `property` on [`cases`] inputs drawn from `strategy` and fails on the first
/// counterexample (shrunk, with `name`), or if fewer cases ran than were asked for.
pub fn check<S: Strategy>(
    name: &str,
    strategy: S,
    property: impl Fn(S::Value) -> Result<(), TestCaseError>,
) {
    let cases = cases();
    let mut runner = TestRunner::new(ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let ran = AtomicU32::new(0);
    let outcome = runner.run(&strategy, |input| {
        ran.fetch_add(1, Ordering::Relaxed);
        property(input)
    });
    if let Err(failure) = outcome {
        panic!("{name}: {failure}");
    }
    let ran = ran.into_inner();
    assert!(ran >= cases, "{name}: only {ran} of {cases} cases ran");
}

/// Strings that tend to break parsers: empty, huge, control characters, markup, URLs of
/// every scheme, non-ASCII, and the protocol's own words.
pub fn hostile_string() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[ -~]{0,40}",
        "\\PC{0,40}",
        "[\\x00-\\x1f]{1,8}",
        Just("x".repeat(20_000)),
        prop::sample::select(
            [
                MESSAGE_TYPES.as_slice(),
                &[
                    "invalid_request_uri",
                    "unknown",
                    "reused",
                    "expired",
                    "https://embeddings.infobip.com/authorize?request_uri=urn%3Ax",
                    "http://127.0.0.1:1/a",
                    "javascript:alert(1)",
                    "data:text/html,x",
                    "//evil.example/x",
                    "https:///x",
                    "HTTPS://X/Y",
                    "https://x/a b",
                    "urn:ietf:params:oauth:request_uri:abc",
                    "upstream_auth",
                    "rate_limited",
                    "<script>alert(1)</script>",
                    "é✓𝄞",
                ]
            ]
            .concat()
        )
        .prop_map(str::to_owned),
    ]
}

/// Numbers including the edges: negative, zero, fractions, huge, and the largest floats.
pub fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1e6_f64..1e6).prop_map(|f| Number::from_f64(f).map_or(Value::Null, Value::Number)),
        prop::sample::select(vec![
            0.0,
            -0.0,
            0.5,
            1.0,
            60.0,
            600.0,
            601.0,
            1e300,
            -1e300,
            f64::MAX,
            f64::MIN_POSITIVE
        ])
        .prop_map(|f| Number::from_f64(f).map_or(Value::Null, Value::Number)),
    ]
}

/// Any JSON value, a few levels deep.
pub fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number(),
        hostile_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(hostile_string(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A value for a field: usually the right type, sometimes anything.
pub fn field(
    right: impl Strategy<Value = Value> + 'static,
) -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        6 => right.prop_map(Some),
        1 => Just(None),
        2 => any_json().prop_map(Some),
    ]
}

/// An object with these optional fields.
pub fn object(fields: Vec<(&'static str, Option<Value>)>) -> Value {
    let mut map = Map::new();
    for (key, value) in fields {
        if let Some(value) = value {
            map.insert(key.to_owned(), value);
        }
    }
    Value::Object(map)
}

/// A frame message: one of ours with its fields fuzzed, or anything at all.
pub fn frame_message() -> impl Strategy<Value = Value> {
    let kind = prop_oneof![
        prop::sample::select(MESSAGE_TYPES.as_slice()).prop_map(|s| json!(s)),
        hostile_string().prop_map(Value::String),
    ];
    let ours = (
        field(kind),
        field(number()),
        field(hostile_string().prop_map(Value::String)),
        field(any_json()),
        field(prop::sample::select(vec!["invalid_request_uri", "other"]).prop_map(|s| json!(s))),
        field(
            prop::sample::select(vec!["unknown", "reused", "expired", "bogus"])
                .prop_map(|s| json!(s)),
        ),
        field(hostile_string().prop_map(Value::String)),
    )
        .prop_map(|(kind, height, name, data, code, reason, message)| {
            object(vec![
                ("type", kind),
                ("height", height),
                ("name", name),
                ("data", data),
                ("code", code),
                ("reason", reason),
                ("message", message),
            ])
        });
    prop_oneof![4 => ours, 1 => any_json()]
}

/// A body from the session endpoint: a grant or an error of ours with fields fuzzed, or
/// anything at all.
pub fn backend_body() -> impl Strategy<Value = Value> {
    let string = || hostile_string().prop_map(Value::String);
    let grant =
        (field(string()), field(number()), field(string())).prop_map(|(uri, expires_in, url)| {
            object(vec![
                ("request_uri", uri),
                ("expires_in", expires_in),
                ("iframe_url", url),
            ])
        });
    let error = (field(string()), field(string()), field(any::<bool>().prop_map(Value::Bool)))
        .prop_map(|(code, message, retryable)| {
            json!({ "error": object(vec![("code", code), ("message", message), ("retryable", retryable)]) })
        });
    prop_oneof![3 => grant, 2 => error, 1 => any_json()]
}

/// A valid frame message of ours, every kind, with the signal it must parse to: the
/// accept branch of the parser on every case, not by luck.
pub fn valid_frame_message() -> impl Strategy<Value = (Value, moments_embed::FrameSignal)> {
    use moments_embed::FrameSignal;
    use moments_protocol::frame::AuthorizeFailure;
    let name = "[a-z][a-z0-9._:-]{0,40}";
    let data = prop_oneof![
        Just(None),
        any_json()
            .prop_filter("small enough to pass on", |v| v.to_string().len() <= 4096)
            .prop_map(Some),
    ];
    prop_oneof![
        Just((json!({ "type": frame::READY }), FrameSignal::Ready)),
        Just((
            json!({ "type": frame::SESSION_EXPIRED }),
            FrameSignal::SessionExpired
        )),
        (0_u32..=100_000).prop_map(|h| {
            (
                json!({ "type": frame::RESIZE, "height": h }),
                FrameSignal::Resize(f64::from(h)),
            )
        }),
        (0.0_f64..=100_000.0).prop_map(|h| {
            (
                json!({ "type": frame::RESIZE, "height": h }),
                FrameSignal::Resize(h),
            )
        }),
        (name, data).prop_map(|(name, data)| {
            let text = data
                .as_ref()
                .map_or_else(|| "null".to_owned(), Value::to_string);
            let mut message = json!({ "type": frame::EVENT, "name": name });
            if let Some(data) = data {
                message["data"] = data;
            }
            (message, FrameSignal::Event { name, data: text })
        }),
        (
            prop::sample::select(AuthorizeFailure::ALL.to_vec()),
            "[ -~]{0,200}"
        )
            .prop_map(|(reason, text)| {
                let message = json!({
                    "type": frame::ERROR,
                    "code": "invalid_request_uri",
                    "reason": reason.as_str(),
                    "message": text,
                });
                (
                    message,
                    FrameSignal::Refused {
                        reason,
                        message: text,
                    },
                )
            }),
    ]
}

/// A valid session grant as the companion sends it: `(request_uri, expires_in,
/// iframe_url)`, each within what the component accepts.
pub fn valid_grant() -> impl Strategy<Value = (String, u32, String)> {
    (
        "urn:ietf:params:oauth:request_uri:[a-f0-9]{8,96}",
        1_u32..=600,
        prop::sample::select(vec![
            "https://embeddings.infobip.com",
            "http://127.0.0.1:8788",
            "HTTPS://EMBED.EXAMPLE:8443",
        ]),
    )
        .prop_map(|(uri, expires_in, base)| {
            let url = format!("{base}/authorize?request_uri={}", uri.replace(':', "%3A"));
            (uri, expires_in, url)
        })
}

/// A valid error body of ours: `(code, message, retryable)`.
pub fn valid_error() -> impl Strategy<Value = (moments_protocol::ErrorCode, String, bool)> {
    (
        prop::sample::select(moments_protocol::ErrorCode::ALL.to_vec()),
        "[A-Za-z][ -~]{0,300}",
        any::<bool>(),
    )
}
