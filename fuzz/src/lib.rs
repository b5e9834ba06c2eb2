//! Generators shared by the fuzz properties in `tests/`.
//!
//! Inputs are built to get *past* the first checks: mostly near-valid shapes with one
//! thing wrong (a field of the wrong type, a missing field, an odd number, a hostile
//! string), mixed with arbitrary JSON, so the deep branches of each parser run too.
//!
//! `MOMENTS_FUZZ_CASES` sets the number of cases per property (default 10,000, which
//! `make test` runs; `make soak` runs a million).

use moments_protocol::frame;
use proptest::prelude::*;
use serde_json::{Map, Number, Value, json};

/// The frame message types of our protocol.
const MESSAGE_TYPES: [&str; 5] = [
    frame::READY,
    frame::RESIZE,
    frame::SESSION_EXPIRED,
    frame::EVENT,
    frame::ERROR,
];

/// Cases per property: `MOMENTS_FUZZ_CASES`, or 10,000.
pub fn cases() -> u32 {
    std::env::var("MOMENTS_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
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
