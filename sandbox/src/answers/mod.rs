//! The chatbot builder: what a platform's user sees inside the Answers frame.
//!
//! Server-rendered pages with a little plain JS, as the wizard: the tenant's chatbots
//! with publish/unpublish/delete, a form that creates one (a name, a greeting, two or
//! three intents with sample phrases and an answer; validated here, with a message per
//! field), and one chatbot's page with a chat to try it. Every page reports user actions
//! to the host as `moments:event` messages and polls its session, so an expired session
//! is announced within about two seconds.
//!
//! | route | what |
//! |---|---|
//! | `GET /answers/{s}` | the chatbots (`main h1`: `Chatbots`) |
//! | `GET`/`POST /answers/{s}/new` | the new-chatbot form (`main h1`: `New chatbot`) / create one |
//! | `GET /answers/{s}/chatbots/{id}` | one chatbot; `?say=…` tries it |
//! | `POST /answers/{s}/chatbots/{id}/{publish,unpublish,delete}` | change one |
//! | `GET /answers/{s}/api/session`, `POST /answers/{s}/api/storage-access` | what every app in the frame has ([`FrameApp`](crate::frame_app::FrameApp)) |
//!
//! Events (`moments:event` names, data `{"id":"bot-1"}`): `chatbot.created`,
//! `chatbot.published`, `chatbot.unpublished`, `chatbot.deleted`, `chatbot.opened`, and
//! `chatbot.tested` (data `{"id", "intent"}`, the intent that answered or `null`).

pub(crate) mod model;
mod views;

use crate::AppState;
use crate::frame_app::ANSWERS;
use crate::pages::{self, escape};
use crate::store::Session;
use axum::Router;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use model::{Chatbot, MAX_CHATBOTS, Status};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use views::Context;

const STYLE: &str = include_str!("answers.css");
const SCRIPT: &str = include_str!("answers.js");

/// The builder's routes (state: the sandbox), with what every app in the frame has.
pub(crate) fn router(state: AppState) -> Router<AppState> {
    let pages = Router::new()
        .route("/answers/{session}", get(list))
        .route("/answers/{session}/new", get(new_form).post(create))
        .route("/answers/{session}/chatbots/{id}", get(show))
        .route("/answers/{session}/chatbots/{id}/{action}", post(change));
    ANSWERS.serve(pages, state)
}

/// A builder page: the shared shell, the builder's style and script, and its events.
fn render(
    session_id: &str,
    session: &Session,
    title: &str,
    body: &str,
    events: &[Value],
    status: StatusCode,
) -> Response {
    let config = ANSWERS.page_config(session_id, session, events);
    let body = format!(
        "<style>{}{STYLE}</style>{body}<script>{SCRIPT}</script>",
        pages::UI_STYLE
    );
    pages::page(status, title, &body, &config)
}

fn context<'a>(state: &AppState, session_id: &'a str, session: &Session) -> Context<'a> {
    let chatbots = state.store().workspace(&session.tenant).chatbots.len();
    Context {
        session: session_id,
        tenant: session.tenant.label(),
        chatbots,
    }
}

fn not_found(state: &AppState, session_id: &str, session: &Session, what: &str) -> Response {
    let ctx = context(state, session_id, session);
    let body = views::shell(
        &ctx,
        views::Tab::Chatbots,
        &format!(
            r#"<div class="notice"><h1>Not found</h1><p>{}</p><p><a href="{}">Back to the chatbots</a></p></div>"#,
            escape(what),
            ctx.url("")
        ),
    );
    render(
        session_id,
        session,
        "Not found",
        &body,
        &[],
        StatusCode::NOT_FOUND,
    )
}

/// The event a redirect after a change announces (`?event=…&id=…`), and its sentence.
fn announced(query: &HashMap<String, String>) -> (Vec<Value>, Option<String>) {
    let id = query.get("id").map_or("", String::as_str);
    match query.get("event").map(String::as_str) {
        Some(
            event @ ("chatbot.created"
            | "chatbot.published"
            | "chatbot.unpublished"
            | "chatbot.deleted"),
        ) if !id.is_empty() && id.len() <= 20 => {
            let verb = event.trim_start_matches("chatbot.");
            (
                vec![json!({ "name": event, "data": { "id": id } })],
                Some(format!("Chatbot {id} {verb}.")),
            )
        }
        _ => (Vec::new(), None),
    }
}

async fn list(
    State(state): State<AppState>,
    Path(session_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let session = match ANSWERS.live(&state, &session_id) {
        Ok(session) => session,
        Err(ended) => return *ended,
    };
    let chatbots = state.store().workspace(&session.tenant).chatbots.clone();
    let (events, flash) = announced(&query);
    let ctx = context(&state, &session_id, &session);
    let body = views::list_page(&ctx, &chatbots, flash.as_deref());
    render(
        &session_id,
        &session,
        "Chatbots",
        &body,
        &events,
        StatusCode::OK,
    )
}

async fn new_form(State(state): State<AppState>, Path(session_id): Path<String>) -> Response {
    let session = match ANSWERS.live(&state, &session_id) {
        Ok(session) => session,
        Err(ended) => return *ended,
    };
    let ctx = context(&state, &session_id, &session);
    let body = views::new_page(&ctx, &model::example(), &[]);
    render(
        &session_id,
        &session,
        "New chatbot",
        &body,
        &[],
        StatusCode::OK,
    )
}

async fn create(
    State(state): State<AppState>,
    Path(session_id): Path<String>,
    // A form that cannot be read counts as empty: validation then says what is missing.
    form: Result<Form<BTreeMap<String, String>>, FormRejection>,
) -> Response {
    let session = match ANSWERS.live(&state, &session_id) {
        Ok(session) => session,
        Err(ended) => return *ended,
    };
    let values = model::form_values(&form.map(|Form(f)| f).unwrap_or_default());
    let mut store = state.store();
    let workspace = store.workspace(&session.tenant);
    let taken: Vec<String> = workspace.chatbots.iter().map(|b| b.name.clone()).collect();
    let problems = match model::validate(&values, &taken) {
        Ok(_) if workspace.chatbots.len() >= MAX_CHATBOTS => vec![(
            "name".to_owned(),
            format!("You already have {MAX_CHATBOTS} chatbots; delete one first."),
        )],
        Ok(new) => {
            let id = format!("bot-{}", workspace.next_chatbot);
            workspace.next_chatbot += 1;
            workspace.chatbots.push(Chatbot {
                id: id.clone(),
                name: new.name,
                greeting: new.greeting,
                intents: new.intents,
                status: Status::Draft,
            });
            store.stats.chatbots_created += 1;
            drop(store);
            return Redirect::to(
                &ANSWERS.url(&session_id, &format!("?event=chatbot.created&id={id}")),
            )
            .into_response();
        }
        Err(problems) => problems,
    };
    drop(store);
    let ctx = context(&state, &session_id, &session);
    let body = views::new_page(&ctx, &values, &problems);
    render(
        &session_id,
        &session,
        "New chatbot",
        &body,
        &[],
        StatusCode::UNPROCESSABLE_ENTITY,
    )
}

async fn show(
    State(state): State<AppState>,
    Path((session_id, id)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let session = match ANSWERS.live(&state, &session_id) {
        Ok(session) => session,
        Err(ended) => return *ended,
    };
    let found = state
        .store()
        .workspace(&session.tenant)
        .chatbot_mut(&id)
        .cloned();
    let Some(bot) = found else {
        return not_found(
            &state,
            &session_id,
            &session,
            "There is no such chatbot in this workspace.",
        );
    };
    let said = query
        .get("say")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(|s| s.chars().take(200).collect::<String>());
    let event = match &said {
        Some(said) => json!({
            "name": "chatbot.tested",
            "data": { "id": bot.id, "intent": bot.reply(said).map(|i| i.name.clone()) },
        }),
        None => json!({ "name": "chatbot.opened", "data": { "id": bot.id } }),
    };
    let (mut events, flash) = announced(&query);
    events.push(event);
    let ctx = context(&state, &session_id, &session);
    let body = views::chatbot_page(&ctx, &bot, said.as_deref(), flash.as_deref());
    render(
        &session_id,
        &session,
        &bot.name,
        &body,
        &events,
        StatusCode::OK,
    )
}

async fn change(
    State(state): State<AppState>,
    Path((session_id, id, action)): Path<(String, String, String)>,
) -> Response {
    let session = match ANSWERS.live(&state, &session_id) {
        Ok(session) => session,
        Err(ended) => return *ended,
    };
    let mut store = state.store();
    let workspace = store.workspace(&session.tenant);
    let done = match action.as_str() {
        "delete" => {
            let before = workspace.chatbots.len();
            workspace.chatbots.retain(|bot| bot.id != id);
            (workspace.chatbots.len() < before).then_some("deleted")
        }
        "publish" | "unpublish" => workspace.chatbot_mut(&id).map(|bot| {
            let (status, verb) = if action == "publish" {
                (Status::Published, "published")
            } else {
                (Status::Draft, "unpublished")
            };
            bot.status = status;
            verb
        }),
        _ => None,
    };
    drop(store);
    match done {
        Some(verb) => {
            Redirect::to(&ANSWERS.url(&session_id, &format!("?event=chatbot.{verb}&id={id}")))
                .into_response()
        }
        None => not_found(
            &state,
            &session_id,
            &session,
            "There is no such chatbot, or no such action.",
        ),
    }
}
