//! The five activation steps: their fields, defaults, and validation with messages a
//! person can act on. The same rules run again at activation, so a crafted form post
//! cannot skip a step.

use super::templates::{PLACEHOLDERS, SEGMENTS, Template, default_sender};
use std::collections::BTreeMap;

/// The steps, in order (1-based in URLs).
pub(crate) const STEPS: [&str; 5] = [
    "Audience",
    "Channel and sender",
    "Message",
    "Schedule",
    "Review and activate",
];

/// The fields each step owns.
pub(crate) fn fields(step: usize) -> &'static [&'static str] {
    match step {
        1 => &["segment", "exclude_days"],
        2 => &["channel", "sender"],
        3 => &["message"],
        4 => &["start_date", "window_from", "window_to", "frequency_cap"],
        _ => &["name"],
    }
}

/// Every field filled with what the template suggests, so a person can click through.
pub(crate) fn defaults(template: &Template, today: &str) -> BTreeMap<String, String> {
    let channel = template.channels.first().copied().unwrap_or("SMS");
    [
        ("segment", template.audience),
        ("exclude_days", "7"),
        ("channel", channel),
        ("sender", default_sender(channel)),
        ("message", template.message),
        ("start_date", today),
        ("window_from", "09:00"),
        ("window_to", "21:00"),
        ("frequency_cap", "2"),
        ("name", template.name),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// The problems with `step`'s fields in `values`, as (field, message); empty when valid.
pub(crate) fn validate(
    step: usize,
    template: &Template,
    values: &BTreeMap<String, String>,
    today: &str,
) -> Vec<(&'static str, String)> {
    let get = |field: &str| values.get(field).map_or("", |v| v.trim());
    let mut problems = Vec::new();
    let mut fail = |field: &'static str, message: String| problems.push((field, message));
    match step {
        1 => {
            if !SEGMENTS.iter().any(|(id, _, _)| *id == get("segment")) {
                fail("segment", "Choose who receives the messages.".into());
            }
            if !get("exclude_days").parse::<u8>().is_ok_and(|d| d <= 90) {
                fail(
                    "exclude_days",
                    "Enter a number of days from 0 to 90.".into(),
                );
            }
        }
        2 => {
            let channel = get("channel");
            if !template.channels.contains(&channel) {
                fail(
                    "channel",
                    format!(
                        "Choose one of the channels this use case supports: {}.",
                        template.channels.join(", ")
                    ),
                );
            } else if let Err(message) = check_sender(channel, get("sender")) {
                fail("sender", message);
            }
        }
        3 => {
            if let Err(message) = check_message(template, get("message")) {
                fail("message", message);
            }
        }
        4 => {
            let date = get("start_date");
            if !is_date(date) {
                fail("start_date", "Enter the start date as YYYY-MM-DD.".into());
            } else if date < today {
                fail(
                    "start_date",
                    format!("Pick a start date from today ({today}) on."),
                );
            }
            let (from, to) = (get("window_from"), get("window_to"));
            if !is_time(from) || !is_time(to) {
                fail(
                    "window_from",
                    "Enter the sending window as HH:MM to HH:MM.".into(),
                );
            } else if from >= to {
                fail(
                    "window_to",
                    "The sending window must end after it starts.".into(),
                );
            }
            if !get("frequency_cap")
                .parse::<u8>()
                .is_ok_and(|n| (1..=10).contains(&n))
            {
                fail(
                    "frequency_cap",
                    "Allow 1 to 10 messages per customer per week.".into(),
                );
            }
        }
        _ => {
            let name = get("name");
            if name.is_empty() || name.chars().count() > 80 {
                fail(
                    "name",
                    "Give the use case a name of up to 80 characters.".into(),
                );
            }
        }
    }
    problems
}

fn check_sender(channel: &str, sender: &str) -> Result<(), String> {
    let ok = match channel {
        "WhatsApp" => sender.strip_prefix('+').is_some_and(|digits| {
            (8..=15).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit())
        }),
        "Email" => {
            sender.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            }) && !sender.contains(char::is_whitespace)
        }
        _ => {
            (3..=11).contains(&sender.len())
                && sender.chars().all(|c| c.is_ascii_alphanumeric())
                && sender.chars().any(|c| c.is_ascii_alphabetic())
        }
    };
    if ok {
        return Ok(());
    }
    Err(match channel {
        "WhatsApp" => {
            "A WhatsApp sender is a phone number in international format, e.g. +14155550123.".into()
        }
        "Email" => {
            "Enter the email address messages are sent from, e.g. hello@acme.example.".into()
        }
        other => format!(
            "An {other} sender is 3 to 11 letters or digits with at least one letter, e.g. AcmeStore."
        ),
    })
}

/// Checks a message: present, not too long, only known placeholders, and the ones this
/// template needs.
pub(crate) fn check_message(template: &Template, message: &str) -> Result<(), String> {
    if message.is_empty() {
        return Err("Write the message your customers receive.".into());
    }
    if message.chars().count() > 640 {
        return Err("Keep the message under 640 characters (4 SMS parts).".into());
    }
    let used = placeholders(message);
    if let Some(unknown) = used
        .iter()
        .find(|p| !PLACEHOLDERS.iter().any(|(k, _)| k == *p))
    {
        let known: Vec<String> = PLACEHOLDERS
            .iter()
            .map(|(k, _)| format!("{{{{{k}}}}}"))
            .collect();
        return Err(format!(
            "{{{{{unknown}}}}} is not a placeholder Moments can fill; use {}.",
            known.join(", ")
        ));
    }
    if let Some(missing) = template.required.iter().find(|r| !used.contains(*r)) {
        return Err(format!(
            "Keep {{{{{missing}}}}} in the message: this use case needs it."
        ));
    }
    Ok(())
}

/// The `{{name}}` placeholders in `message`, in order.
pub(crate) fn placeholders(message: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = message;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        found.push(after[..end].trim());
        rest = &after[end + 2..];
    }
    found
}

fn is_date(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    matches!(parts.as_slice(), [y, m, d]
        if y.len() == 4 && m.len() == 2 && d.len() == 2
        && y.parse::<u16>().is_ok()
        && m.parse::<u8>().is_ok_and(|m| (1..=12).contains(&m))
        && d.parse::<u8>().is_ok_and(|d| (1..=31).contains(&d)))
}

fn is_time(s: &str) -> bool {
    matches!(s.split_once(':'), Some((h, m))
        if h.len() == 2 && m.len() == 2
        && h.parse::<u8>().is_ok_and(|h| h < 24)
        && m.parse::<u8>().is_ok_and(|m| m < 60))
}

/// Today's date (UTC) as YYYY-MM-DD, from the system clock.
pub(crate) fn today() -> String {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400);
    let (y, m, d) = civil_from_days(i64::try_from(days).unwrap_or(0));
    format!("{y:04}-{m:02}-{d:02}")
}

/// Days since 1970-01-01 to a Gregorian date (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        y,
        u32::try_from(m).unwrap_or(1),
        u32::try_from(d).unwrap_or(1),
    )
}

/// Fields a step owns, from a submitted form, keeping only those.
pub(crate) fn step_values(
    step: usize,
    form: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    fields(step)
        .iter()
        .filter_map(|f| form.get(*f).map(|v| ((*f).to_owned(), v.trim().to_owned())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wizard::templates::template;

    fn cart() -> &'static Template {
        template("abandoned-cart").unwrap()
    }

    #[test]
    fn defaults_pass_every_step() {
        let values = defaults(cart(), "2026-11-25");
        for step in 1..=5 {
            assert!(
                validate(step, cart(), &values, "2026-11-25").is_empty(),
                "step {step}"
            );
        }
    }

    #[test]
    fn each_step_says_what_to_fix() {
        let mut values = defaults(cart(), "2026-11-25");
        values.insert("sender".into(), "x".into());
        assert!(
            validate(2, cart(), &values, "2026-11-25")[0]
                .1
                .contains("3 to 11")
        );
        values.insert("channel".into(), "WhatsApp".into());
        assert!(
            validate(2, cart(), &values, "2026-11-25")[0]
                .1
                .contains("international format")
        );
        values.insert("message".into(), "Hi {{first_name}}".into());
        assert!(
            validate(3, cart(), &values, "2026-11-25")[0]
                .1
                .contains("Keep {{cart_link}}")
        );
        values.insert("message".into(), "{{cart_link}} {{shoe_size}}".into());
        assert!(
            validate(3, cart(), &values, "2026-11-25")[0]
                .1
                .contains("{{shoe_size}} is not")
        );
        values.insert("start_date".into(), "2026-11-24".into());
        values.insert("window_to".into(), "08:00".into());
        let problems = validate(4, cart(), &values, "2026-11-25");
        assert_eq!(problems.len(), 2, "{problems:?}");
    }

    #[test]
    fn dates_come_from_days() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_417), (2025, 11, 25));
        assert!(is_date(&today()));
    }

    #[test]
    fn placeholders_are_found_in_order() {
        assert_eq!(placeholders("a {{x}} b {{ y }} {{z"), ["x", "y"]);
    }
}
