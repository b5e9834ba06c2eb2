//! The chatbot builder's HTML: the shell every page shares, the list, the new-chatbot
//! form and one chatbot with its "try it" chat. Everything interpolated is escaped;
//! `data-test` attributes and the `main h1` of each page are a stable contract for
//! end-to-end tests.

use super::model::{Chatbot, INTENTS, Problem, REQUIRED_INTENTS, Status, intent_field};
use crate::frame_app::ANSWERS;
use crate::pages::escape;
use std::collections::BTreeMap;
use std::fmt::Write;

/// What every builder page knows about where it is.
pub(crate) struct Context<'a> {
    pub(crate) session: &'a str,
    pub(crate) tenant: String,
    pub(crate) chatbots: usize,
}

impl Context<'_> {
    pub(crate) fn url(&self, rest: &str) -> String {
        ANSWERS.url(self.session, rest)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tab {
    Chatbots,
    New,
}

/// Header, tabs, and `main`.
pub(crate) fn shell(ctx: &Context<'_>, tab: Tab, main: &str) -> String {
    let active = |t: Tab| if t == tab { " tab--active" } else { "" };
    format!(
        r#"<header class="top"><div class="brand">Answers <span>Chatbot builder</span></div>
<div class="tenant">Workspace: {tenant}</div></header>
<nav class="tabs" aria-label="Answers">
<a class="tab{t1}" data-test="nav-chatbots" href="{list}">Chatbots <span class="count">{count}</span></a>
<a class="tab{t2}" data-test="nav-new" href="{new}">New chatbot</a>
</nav>
<main>{main}</main>"#,
        tenant = escape(&ctx.tenant),
        t1 = active(Tab::Chatbots),
        t2 = active(Tab::New),
        list = ctx.url(""),
        new = ctx.url("/new"),
        count = ctx.chatbots,
    )
}

/// Publish or unpublish, and delete: the controls of one chatbot.
fn controls(ctx: &Context<'_>, bot: &Chatbot) -> String {
    let (toggle, label) = match bot.status {
        Status::Draft => ("publish", "Publish"),
        Status::Published => ("unpublish", "Unpublish"),
    };
    format!(
        r#"<div class="row-actions">
<form method="post" action="{toggle_url}"><button class="button button--small{ghost}" data-test="chatbot-{toggle}">{label}</button></form>
<form method="post" action="{delete}"><button class="button button--small button--danger" data-test="chatbot-delete">Delete</button></form>
</div>"#,
        toggle_url = ctx.url(&format!("/chatbots/{}/{toggle}", bot.id)),
        ghost = if toggle == "publish" {
            ""
        } else {
            " button--ghost"
        },
        delete = ctx.url(&format!("/chatbots/{}/delete", bot.id)),
    )
}

/// The landing page: the tenant's chatbots, with their controls.
pub(crate) fn list_page(ctx: &Context<'_>, chatbots: &[Chatbot], flash: Option<&str>) -> String {
    let flash = flash
        .map(|f| format!(r#"<div class="flash" role="status">{}</div>"#, escape(f)))
        .unwrap_or_default();
    let body = if chatbots.is_empty() {
        format!(
            r#"<div class="empty" data-test="chatbots-empty"><p>No chatbots yet.</p><a class="button" data-test="chatbot-new" href="{}">New chatbot</a></div>"#,
            ctx.url("/new")
        )
    } else {
        let mut rows = String::new();
        for bot in chatbots {
            let _ = write!(
                rows,
                r#"<tr data-test="chatbot" data-id="{id}" data-status="{status}">
<td><a data-test="chatbot-open" href="{open}"><strong>{name}</strong></a><div class="muted small">{intents} intents · {phrases} sample phrases</div></td>
<td><span class="pill pill--{status}">{status_label}</span></td>
<td>{controls}</td></tr>"#,
                id = escape(&bot.id),
                status = bot.status.as_str(),
                open = ctx.url(&format!("/chatbots/{}", bot.id)),
                name = escape(&bot.name),
                intents = bot.intents.len(),
                phrases = bot.intents.iter().map(|i| i.phrases.len()).sum::<usize>(),
                status_label = bot.status.label(),
                controls = controls(ctx, bot),
            );
        }
        format!(
            r#"<p><a class="button" data-test="chatbot-new" href="{new}">New chatbot</a></p>
<table class="list"><thead><tr><th>Chatbot</th><th>Status</th><th><span class="sr-only">Actions</span></th></tr></thead><tbody>{rows}</tbody></table>"#,
            new = ctx.url("/new"),
        )
    };
    shell(
        ctx,
        Tab::Chatbots,
        &format!(
            r#"<h1>Chatbots</h1><p class="lead">Chatbots answer your customers' questions. Build one from a few intents, try it, and publish it to put it to work.</p>{flash}{body}"#
        ),
    )
}

fn field_error(problems: &[Problem], field: &str) -> String {
    problems
        .iter()
        .filter(|(f, _)| f == field)
        .map(|(_, m)| format!(r#"<p class="field-error">{}</p>"#, escape(m)))
        .collect()
}

fn input(name: &str, value: &str, extra: &str) -> String {
    format!(
        r#"<input type="text" name="{name}" id="{name}" data-test="field-{name}" value="{}" {extra}>"#,
        escape(value)
    )
}

fn textarea(name: &str, value: &str, rows: u8, extra: &str) -> String {
    format!(
        r#"<textarea name="{name}" id="{name}" data-test="field-{name}" rows="{rows}" {extra}>{}</textarea>"#,
        escape(value)
    )
}

/// The new-chatbot form, with what was entered and what to fix.
pub(crate) fn new_page(
    ctx: &Context<'_>,
    values: &BTreeMap<String, String>,
    problems: &[Problem],
) -> String {
    let value = |f: &str| values.get(f).map_or("", String::as_str);
    let error = |f: &str| field_error(problems, f);
    let mut intents = String::new();
    for n in 1..=INTENTS {
        let field = |part: &str| intent_field(n, part);
        let optional = if n > REQUIRED_INTENTS {
            r#" <span class="muted small">(optional)</span>"#
        } else {
            ""
        };
        let _ = write!(
            intents,
            r#"<fieldset class="intent" data-test="intent" data-intent="{n}"><legend>Intent {n}{optional}</legend>
<label for="{name}">Name</label>{name_input}{name_error}
<label for="{phrases}">Sample phrases, one per line</label>{phrases_input}<p class="hint" data-phrase-count="{phrases}"></p>{phrases_error}
<label for="{answer}">Answer</label>{answer_input}{answer_error}
</fieldset>"#,
            name = field("name"),
            name_input = input(&field("name"), value(&field("name")), r#"maxlength="40""#),
            name_error = error(&field("name")),
            phrases = field("phrases"),
            phrases_input = textarea(&field("phrases"), value(&field("phrases")), 4, ""),
            phrases_error = error(&field("phrases")),
            answer = field("answer"),
            answer_input = textarea(
                &field("answer"),
                value(&field("answer")),
                3,
                r#"maxlength="500""#
            ),
            answer_error = error(&field("answer")),
        );
    }
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
    let main = format!(
        r#"<div class="crumbs"><a href="{list}">Chatbots</a> / New chatbot</div>
<h1>New chatbot</h1>
<p class="lead">Name it, say how it greets, and teach it at least {REQUIRED_INTENTS} intents: what customers ask, how they say it, and what it answers.</p>
<section class="panel">{summary}
<form method="post" data-test="chatbot-form" novalidate>
<label for="name">Name</label>{name}{name_error}
<label for="greeting">Greeting</label>{greeting}{greeting_error}
<div class="intents">{intents}</div>
<div class="actions"><a class="button button--ghost" data-test="chatbot-cancel" href="{list}">Cancel</a><button class="button" data-test="chatbot-create" type="submit">Create chatbot</button></div>
</form></section>"#,
        list = ctx.url(""),
        name = input(
            "name",
            value("name"),
            r#"maxlength="60" placeholder="e.g. Store assistant" autocomplete="off""#
        ),
        name_error = error("name"),
        greeting = textarea("greeting", value("greeting"), 2, r#"maxlength="300""#),
        greeting_error = error("greeting"),
    );
    shell(ctx, Tab::New, &main)
}

/// One chatbot: its intents, its controls, and a chat to try it (`said`, when the
/// person has said something, and the intent that answered).
pub(crate) fn chatbot_page(
    ctx: &Context<'_>,
    bot: &Chatbot,
    said: Option<&str>,
    flash: Option<&str>,
) -> String {
    let mut intents = String::new();
    for intent in &bot.intents {
        let phrases: String = intent
            .phrases
            .iter()
            .map(|p| format!(r#"<span class="chip">{}</span>"#, escape(p)))
            .collect();
        let _ = write!(
            intents,
            r#"<div class="intent-view" data-test="chatbot-intent"><h3>{}</h3><div class="chips">{phrases}</div><div class="bubble bubble--bot">{}</div></div>"#,
            escape(&intent.name),
            escape(&intent.answer),
        );
    }
    let exchange = said.map_or_else(String::new, |said| {
        let (intent, answer) = match bot.reply(said) {
            Some(intent) => (intent.name.as_str(), intent.answer.as_str()),
            None => (
                "",
                "Sorry, I did not get that. Could you say it another way?",
            ),
        };
        format!(
            r#"<div class="bubble bubble--user">{}</div><div class="bubble bubble--bot" data-test="chatbot-reply" data-intent="{}">{}</div>"#,
            escape(said),
            escape(intent),
            escape(answer),
        )
    });
    let flash = flash
        .map(|f| format!(r#"<div class="flash" role="status">{}</div>"#, escape(f)))
        .unwrap_or_default();
    let main = format!(
        r#"<div class="crumbs"><a href="{list}">Chatbots</a> / {name}</div>
<h1>{name} <span class="pill pill--{status}" data-test="chatbot-status">{status_label}</span></h1>
<p class="lead">{count} intents. Published chatbots answer your customers; drafts only answer you, here.</p>{flash}
{controls}
<div class="layout layout--chat"><section class="panel" data-test="chatbot-detail" data-id="{id}" data-status="{status}">
<h2>Intents</h2>{intents}</section>
<aside class="panel" data-test="chatbot-try"><h2>Try it</h2>
<div class="chat"><div class="bubble bubble--bot">{greeting}</div>{exchange}</div>
<form method="get" action="{self_url}"><label for="say">Say something</label>{say}<div class="actions"><span></span><button class="button" data-test="chatbot-send" type="submit">Send</button></div></form>
</aside></div>"#,
        list = ctx.url(""),
        name = escape(&bot.name),
        status = bot.status.as_str(),
        status_label = bot.status.label(),
        count = bot.intents.len(),
        controls = controls(ctx, bot),
        id = escape(&bot.id),
        greeting = escape(&bot.greeting),
        self_url = ctx.url(&format!("/chatbots/{}", bot.id)),
        say = input("say", "", r#"maxlength="200" autocomplete="off""#),
    );
    shell(ctx, Tab::Chatbots, &main)
}
