//! The component's parsers against generated input: never a panic, whatever they accept
//! keeps the promises the rest of the component relies on, and what is valid is
//! accepted as exactly what was sent (so a parser that refuses everything fails here).

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use moments_embed::MomentsError;
use moments_embed::parse::{
    FrameSignal, MAX_FRAME_MESSAGE_BYTES, MAX_REPORTED_HEIGHT, parse_error_response,
    parse_frame_message, parse_grant,
};
use moments_fuzz::{
    backend_body, check, frame_message, valid_error, valid_frame_message, valid_grant,
};
use proptest::prelude::*;
use serde_json::{Value, json};
use std::time::Duration;

#[test]
fn frame_messages_are_accepted_only_when_well_formed() {
    check("frame messages", frame_message(), |message| {
        let kind = message.get("type").and_then(Value::as_str);
        match parse_frame_message(&message) {
            None => {}
            Some(FrameSignal::Ready) => prop_assert_eq!(kind, Some("moments:ready")),
            Some(FrameSignal::SessionExpired) => {
                prop_assert_eq!(kind, Some("moments:session-expired"));
            }
            Some(FrameSignal::Resize(height)) => {
                prop_assert_eq!(kind, Some("moments:resize"));
                prop_assert!(
                    height.is_finite() && (0.0..=MAX_REPORTED_HEIGHT).contains(&height),
                    "{}",
                    height
                );
            }
            Some(FrameSignal::Event { name, data }) => {
                prop_assert_eq!(kind, Some("moments:event"));
                prop_assert!(!name.is_empty() && name.len() <= 100);
                prop_assert!(
                    name.chars()
                        .all(|c| c.is_ascii_alphanumeric() || ".:_-".contains(c)),
                    "{}",
                    name
                );
                prop_assert!(data.len() <= MAX_FRAME_MESSAGE_BYTES);
                prop_assert!(
                    serde_json::from_str::<Value>(&data).is_ok(),
                    "data is JSON text: {}",
                    data
                );
            }
            Some(FrameSignal::Refused { message: text, .. }) => {
                prop_assert_eq!(kind, Some("moments:error"));
                prop_assert_eq!(
                    message.get("code").and_then(Value::as_str),
                    Some("invalid_request_uri")
                );
                prop_assert!(text.chars().count() <= 500);
            }
        }
        Ok(())
    });
}

#[test]
fn valid_frame_messages_parse_to_exactly_what_was_sent() {
    check(
        "valid frame messages",
        valid_frame_message(),
        |(message, expected)| {
            prop_assert_eq!(parse_frame_message(&message), Some(expected), "{}", message);
            Ok(())
        },
    );
}

#[test]
fn backend_answers_become_a_safe_grant_or_a_typed_error() {
    check(
        "backend answers",
        (100_u16..600, backend_body()),
        |(status, body)| {
            if (200..300).contains(&status) {
                match parse_grant(&body) {
                    Ok(grant) => {
                        let url = grant.iframe_url.to_ascii_lowercase();
                        prop_assert!(
                            url.starts_with("https://") || url.starts_with("http://"),
                            "{}",
                            grant.iframe_url
                        );
                        prop_assert!(!grant.request_uri.is_empty());
                        prop_assert!((1..=600).contains(&grant.expires_in.as_secs()));
                    }
                    Err(error) => prop_assert_eq!(error.kind(), "malformed_response"),
                }
            } else {
                match parse_error_response(status, Some(&body)) {
                    MomentsError::Http {
                        status: got,
                        message,
                        ..
                    } => {
                        prop_assert_eq!(got, status);
                        prop_assert!(!message.is_empty() && message.chars().count() <= 500);
                    }
                    other => prop_assert!(false, "not an http error: {:?}", other),
                }
            }
            Ok(())
        },
    );
}

#[test]
fn valid_answers_parse_to_exactly_what_was_sent() {
    check(
        "valid grants",
        valid_grant(),
        |(request_uri, expires_in, iframe_url)| {
            let body = json!({
                "request_uri": request_uri,
                "expires_in": expires_in,
                "iframe_url": iframe_url,
            });
            let grant = parse_grant(&body).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(&grant.request_uri, &request_uri);
            prop_assert_eq!(&grant.iframe_url, &iframe_url);
            prop_assert_eq!(grant.expires_in, Duration::from_secs(u64::from(expires_in)));
            Ok(())
        },
    );
    check(
        "valid error bodies",
        (400_u16..600, valid_error()),
        |(status, (code, message, retryable))| {
            let body = json!({ "error": { "code": code.as_str(), "message": message, "retryable": retryable } });
            prop_assert_eq!(
                parse_error_response(status, Some(&body)),
                MomentsError::Http {
                    status,
                    code: Some(code),
                    message,
                    retryable
                }
            );
            Ok(())
        },
    );
}

#[test]
fn raw_answer_text_never_panics() {
    check(
        "raw answer text",
        (100_u16..600, "\\PC{0,200}"),
        |(status, text)| {
            // The browser's JSON.parse stands in as serde_json here; whatever it yields (or
            // fails to yield) goes through the same parsers.
            let body = serde_json::from_str::<Value>(&text).ok();
            if (200..300).contains(&status) {
                if let Some(body) = &body {
                    let _ = parse_grant(body);
                }
            } else {
                let _ = parse_error_response(status, body.as_ref());
            }
            Ok(())
        },
    );
}
