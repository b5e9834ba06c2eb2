//! The wizard's HTML: the shell every page shares, the gallery and the five steps
//! (the use-case list and analytics are in [`super::manage_views`]).
//! Everything interpolated is escaped. `data-test` attributes are a stable contract for
//! end-to-end tests.

use super::steps::STEPS;
use super::templates::{PLACEHOLDERS, SEGMENTS, TEMPLATES, Template, reach, segment_label};
use crate::pages::escape;
use std::collections::BTreeMap;
use std::fmt::Write;

/// What every wizard page knows about where it is.
pub(crate) struct Context<'a> {
    pub(crate) session: &'a str,
    pub(crate) tenant: String,
    pub(crate) embedding: String,
    pub(crate) use_cases: usize,
    pub(crate) tenant_seed: u64,
}

impl Context<'_> {
    pub(crate) fn url(&self, rest: &str) -> String {
        format!("/wizard/{}{rest}", self.session)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tab {
    Templates,
    Manage,
}

/// Header, tabs, and `main`.
pub(crate) fn shell(ctx: &Context<'_>, tab: Tab, main: &str) -> String {
    let active = |t: Tab| if t == tab { " tab--active" } else { "" };
    format!(
        r#"<header class="top"><div class="brand">Moments <span>Campaign wizard</span></div>
<div class="tenant">Workspace: {tenant} · embedding {embedding}</div></header>
<nav class="tabs" aria-label="Moments">
<a class="tab{t1}" data-test="nav-templates" href="{gallery}">Use-case templates</a>
<a class="tab{t2}" data-test="nav-manage" href="{manage}">My use cases <span class="count">{count}</span></a>
</nav>
<main>{main}</main>"#,
        tenant = escape(&ctx.tenant),
        embedding = escape(&ctx.embedding),
        t1 = active(Tab::Templates),
        t2 = active(Tab::Manage),
        gallery = ctx.url(""),
        manage = ctx.url("/use-cases"),
        count = ctx.use_cases,
    )
}

fn chips(channels: &[&str]) -> String {
    channels
        .iter()
        .map(|c| format!(r#"<span class="chip">{}</span>"#, escape(c)))
        .collect()
}

fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .collect::<String>()
        .to_uppercase()
}

/// The gallery of templates.
pub(crate) fn gallery(ctx: &Context<'_>) -> String {
    let mut cards = String::new();
    for t in TEMPLATES {
        let _ = write!(
            cards,
            r#"<article class="card" data-test="template" data-template="{id}">
<div class="card__head"><span class="badge" style="background:{colour}">{initials}</span><span class="category">{category}</span></div>
<h2>{name}</h2><p class="tagline">{tagline}</p><p class="muted">{description}</p>
<div class="chips">{chips}</div>
<a class="button" data-test="template-open" href="{href}">Set up</a></article>"#,
            id = t.id,
            colour = t.colour,
            initials = escape(&initials(t.name)),
            category = escape(t.category),
            name = escape(t.name),
            tagline = escape(t.tagline),
            description = escape(t.description),
            chips = chips(t.channels),
            href = ctx.url(&format!("/activate/{}/1", t.id)),
        );
    }
    shell(
        ctx,
        Tab::Templates,
        &format!(
            r#"<h1>Use-case templates</h1>
<p class="lead">Ready-made customer journeys. Pick one, set it up in five steps, and it starts working for you.</p>
<div class="grid">{cards}</div>"#
        ),
    )
}

pub(crate) fn journey(t: &Template) -> String {
    let steps: String = t
        .journey
        .iter()
        .map(|s| format!("<li>{}</li>", escape(s)))
        .collect();
    format!(
        r#"<aside class="journey"><h3>How it works</h3><ol>{steps}</ol>
<p class="muted small">The journey is fixed by the template; you choose who, how and when.</p></aside>"#
    )
}

fn field_error(problems: &[(&'static str, String)], field: &str) -> String {
    problems
        .iter()
        .filter(|(f, _)| *f == field)
        .map(|(_, m)| format!(r#"<p class="field-error">{}</p>"#, escape(m)))
        .collect()
}

fn select(name: &str, options: &[(String, String)], current: &str) -> String {
    let mut html = format!(r#"<select name="{name}" id="{name}" data-test="field-{name}">"#);
    for (value, label) in options {
        let selected = if value == current { " selected" } else { "" };
        let _ = write!(
            html,
            r#"<option value="{}"{selected}>{}</option>"#,
            escape(value),
            escape(label)
        );
    }
    html.push_str("</select>");
    html
}

fn input(name: &str, kind: &str, value: &str, extra: &str) -> String {
    format!(
        r#"<input type="{kind}" name="{name}" id="{name}" data-test="field-{name}" value="{}" {extra}>"#,
        escape(value)
    )
}

/// One activation step: its fields (with what was entered and what to fix), the
/// stepper, and the template's fixed journey beside it.
pub(crate) fn step_page(
    ctx: &Context<'_>,
    t: &Template,
    step: usize,
    values: &BTreeMap<String, String>,
    problems: &[(&'static str, String)],
) -> String {
    let value = |f: &str| values.get(f).map_or("", String::as_str);
    let error = |f: &str| field_error(problems, f);
    let body = match step {
        1 => {
            let options: Vec<(String, String)> = SEGMENTS
                .iter()
                .map(|(id, label, _)| {
                    (
                        (*id).to_owned(),
                        format!("{label} (about {} customers)", reach(id, ctx.tenant_seed)),
                    )
                })
                .collect();
            format!(
                r#"<label for="segment">Who receives it</label>{}{}
<label for="exclude_days">Skip customers contacted in the last … days</label>{}{}"#,
                select("segment", &options, value("segment")),
                error("segment"),
                input(
                    "exclude_days",
                    "number",
                    value("exclude_days"),
                    r#"min="0" max="90""#
                ),
                error("exclude_days"),
            )
        }
        2 => {
            let options: Vec<(String, String)> = t
                .channels
                .iter()
                .map(|c| ((*c).to_owned(), (*c).to_owned()))
                .collect();
            format!(
                r#"<label for="channel">Channel</label>{}{}
<label for="sender">Sender</label>{}<p class="hint" id="sender-hint">An SMS or Viber sender ID (3–11 letters or digits), a WhatsApp number (+14155550123) or an email address.</p>{}"#,
                select("channel", &options, value("channel")),
                error("channel"),
                input("sender", "text", value("sender"), r#"autocomplete="off""#),
                error("sender"),
            )
        }
        3 => {
            let chips: String = PLACEHOLDERS
                .iter()
                .map(|(k, _)| format!(r#"<button type="button" class="chip chip--button" data-placeholder="{k}">{{{{{k}}}}}</button>"#))
                .collect();
            let required: Vec<String> = t.required.iter().map(|r| format!("{{{{{r}}}}}")).collect();
            format!(
                r#"<label for="message">Message</label>
<textarea name="message" id="message" data-test="field-message" rows="5" maxlength="1000">{}</textarea>{}
<p class="hint">Placeholders are filled in per customer. This use case needs {}. <span id="count" aria-live="polite"></span></p>
<div class="chips">{chips}</div>
<div class="preview"><div class="preview__label">Preview</div><div class="bubble" id="preview"></div></div>"#,
                escape(value("message")),
                error("message"),
                escape(&required.join(" and ")),
            )
        }
        4 => format!(
            r#"<label for="start_date">Start on</label>{}{}
<div class="row"><div><label for="window_from">Send between</label>{}</div><div><label for="window_to">and</label>{}</div></div>{}{}
<p class="hint">In each customer's local time.</p>
<label for="frequency_cap">At most … messages per customer per week</label>{}{}"#,
            input("start_date", "date", value("start_date"), ""),
            error("start_date"),
            input("window_from", "time", value("window_from"), ""),
            input("window_to", "time", value("window_to"), ""),
            error("window_from"),
            error("window_to"),
            input(
                "frequency_cap",
                "number",
                value("frequency_cap"),
                r#"min="1" max="10""#
            ),
            error("frequency_cap"),
        ),
        _ => format!(
            r#"<dl class="review">
<dt>Template</dt><dd>{}</dd>
<dt>Audience</dt><dd>{} (about {} customers), skipping those contacted in the last {} days</dd>
<dt>Channel</dt><dd>{} from <code>{}</code></dd>
<dt>Message</dt><dd class="bubble">{}</dd>
<dt>Schedule</dt><dd>From {}, between {} and {}, at most {} a week</dd></dl>
<label for="name">Name this use case</label>{}{}"#,
            escape(t.name),
            escape(segment_label(value("segment"))),
            reach(value("segment"), ctx.tenant_seed),
            escape(value("exclude_days")),
            escape(value("channel")),
            escape(value("sender")),
            escape(value("message")),
            escape(value("start_date")),
            escape(value("window_from")),
            escape(value("window_to")),
            escape(value("frequency_cap")),
            input("name", "text", value("name"), r#"maxlength="80""#),
            error("name"),
        ),
    };
    let stepper: String = STEPS
        .iter()
        .enumerate()
        .map(|(i, title)| {
            let n = i + 1;
            let state = match n.cmp(&step) {
                std::cmp::Ordering::Less => "done",
                std::cmp::Ordering::Equal => "current",
                std::cmp::Ordering::Greater => "todo",
            };
            let aria = if n == step { r#" aria-current="step""# } else { "" };
            format!(r#"<li class="stepper__item stepper__item--{state}"{aria}><span>{n}</span>{title}</li>"#)
        })
        .collect();
    let summary = if problems.is_empty() {
        String::new()
    } else {
        let items: String = problems
            .iter()
            .map(|(_, m)| format!("<li>{}</li>", escape(m)))
            .collect();
        format!(
            r#"<div class="validation" data-test="validation" role="alert"><strong>Please fix this first:</strong><ul>{items}</ul></div>"#
        )
    };
    let back = if step == 1 {
        ctx.url("")
    } else {
        ctx.url(&format!("/activate/{}/{}", t.id, step - 1))
    };
    let submit = if step == STEPS.len() {
        r#"<button class="button" data-test="wizard-activate" type="submit">Activate use case</button>"#
    } else {
        r#"<button class="button" data-test="wizard-next" type="submit">Next</button>"#
    };
    let main = format!(
        r#"<div class="crumbs"><a href="{gallery}">Templates</a> / {name}</div>
<h1>Set up: {name}</h1>
<ol class="stepper">{stepper}</ol>
<div class="layout">
<section class="panel" data-test="wizard-step" data-step="{step}">
<h2>{number}. {title}</h2>{summary}
<form method="post" novalidate>{body}
<div class="actions"><a class="button button--ghost" data-test="wizard-back" href="{back}">Back</a>{submit}</div>
</form></section>{journey}</div>"#,
        gallery = ctx.url(""),
        name = escape(t.name),
        number = step,
        title = STEPS.get(step - 1).copied().unwrap_or(""),
        journey = journey(t),
    );
    shell(ctx, Tab::Templates, &main)
}
