//! The Campaign wizard: what a platform's user sees inside the frame.
//!
//! Server-rendered pages with a little plain JS: a gallery of use-case templates, a
//! five-step activation wizard (each step a form post, validated here), the tenant's
//! activated use cases with pause/resume/deactivate, and per-use-case analytics. Every
//! page reports user actions to the host as `moments:event` messages and polls its
//! session, so an expired session is announced within about two seconds.
//!
//! | route | what |
//! |---|---|
//! | `GET /wizard/{s}` | the template gallery |
//! | `GET`/`POST /wizard/{s}/activate/{template}/{step}` | wizard step 1–5 |
//! | `GET /wizard/{s}/use-cases` | the tenant's use cases |
//! | `POST /wizard/{s}/use-cases/{id}/{pause,resume,deactivate}` | change one |
//! | `GET /wizard/{s}/use-cases/{id}` | its analytics |
//! | `GET /wizard/{s}/api/session`, `POST /wizard/{s}/api/storage-access` | what every app in the frame has ([`FrameApp`](crate::frame_app::FrameApp)) |

mod analytics;
mod manage_views;
pub(crate) mod model;
mod page;
mod steps;
mod templates;
mod views;

use crate::AppState;
use crate::frame_app::WIZARD;
use axum::Router;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use model::{MAX_USE_CASES, Status, UseCase};
use page::{context, live, not_found, render};
use serde_json::json;
use std::collections::{BTreeMap, HashMap};

/// The wizard's routes (state: the sandbox), with what every app in the frame has.
pub(crate) fn router(state: AppState) -> Router<AppState> {
    let pages = Router::new()
        .route("/wizard/{session}", get(gallery))
        .route(
            "/wizard/{session}/activate/{template}/{step}",
            get(show_step).post(submit_step),
        )
        .route("/wizard/{session}/use-cases", get(use_cases))
        .route("/wizard/{session}/use-cases/{id}", get(use_case_analytics))
        .route(
            "/wizard/{session}/use-cases/{id}/{action}",
            post(change_use_case),
        );
    WIZARD.serve(pages, state)
}

async fn gallery(State(state): State<AppState>, Path(session_id): Path<String>) -> Response {
    let session = match live(&state, &session_id) {
        Ok(session) => session,
        Err(ended) => return *ended,
    };
    let ctx = context(&state, &session_id, &session);
    render(
        &session_id,
        &session,
        "Campaign wizard",
        &views::gallery(&ctx),
        &[],
        StatusCode::OK,
    )
}

async fn show_step(
    State(state): State<AppState>,
    Path((session_id, template_id, step)): Path<(String, String, usize)>,
) -> Response {
    let session = match live(&state, &session_id) {
        Ok(session) => session,
        Err(ended) => return *ended,
    };
    let Some(template) = templates::template(&template_id) else {
        return not_found(&session_id, &session, "There is no such use-case template.");
    };
    if !(1..=steps::STEPS.len()).contains(&step) {
        return not_found(&session_id, &session, "There is no such step.");
    }
    let mut events = Vec::new();
    let values = {
        let mut store = state.store();
        let draft = store.draft(&session_id);
        if draft.template.as_deref() != Some(template.id) {
            if step != 1 {
                drop(store);
                return Redirect::to(&format!("/wizard/{session_id}/activate/{}/1", template.id))
                    .into_response();
            }
            draft.template = Some(template.id.to_owned());
            draft.values = steps::defaults(template, &steps::today());
            events.push(json!({ "name": "template.opened", "data": { "template": template.id } }));
        }
        draft.values.clone()
    };
    events
        .push(json!({ "name": "wizard.step", "data": { "template": template.id, "step": step } }));
    let ctx = context(&state, &session_id, &session);
    let body = views::step_page(&ctx, template, step, &values, &[]);
    render(
        &session_id,
        &session,
        template.name,
        &body,
        &events,
        StatusCode::OK,
    )
}

async fn submit_step(
    State(state): State<AppState>,
    Path((session_id, template_id, step)): Path<(String, String, usize)>,
    // A form that cannot be read counts as empty: validation then says what is missing.
    form: Result<Form<BTreeMap<String, String>>, FormRejection>,
) -> Response {
    let session = match live(&state, &session_id) {
        Ok(session) => session,
        Err(ended) => return *ended,
    };
    let Some(template) = templates::template(&template_id) else {
        return not_found(&session_id, &session, "There is no such use-case template.");
    };
    if !(1..=steps::STEPS.len()).contains(&step) {
        return not_found(&session_id, &session, "There is no such step.");
    }
    let form = form.map(|Form(f)| f).unwrap_or_default();
    let today = steps::today();
    let mut store = state.store();
    let draft = store.draft(&session_id);
    if draft.template.as_deref() != Some(template.id) {
        drop(store);
        return Redirect::to(&format!("/wizard/{session_id}/activate/{}/1", template.id))
            .into_response();
    }
    draft.values.extend(steps::step_values(step, &form));
    let values = draft.values.clone();
    let problems = steps::validate(step, template, &values, &today);
    if problems.is_empty() && step < steps::STEPS.len() {
        drop(store);
        return Redirect::to(&format!(
            "/wizard/{session_id}/activate/{}/{}",
            template.id,
            step + 1
        ))
        .into_response();
    }
    if problems.is_empty() {
        // Activation: every step again, so a crafted post cannot skip one.
        if let Some(first_bad) =
            (1..step).find(|s| !steps::validate(*s, template, &values, &today).is_empty())
        {
            drop(store);
            return Redirect::to(&format!(
                "/wizard/{session_id}/activate/{}/{first_bad}",
                template.id
            ))
            .into_response();
        }
        let workspace = store.workspace(&session.tenant);
        if workspace.use_cases.len() < MAX_USE_CASES {
            let id = format!("uc-{}", workspace.next_id);
            workspace.next_id += 1;
            workspace.use_cases.push(UseCase {
                id: id.clone(),
                template: template.id,
                values,
                status: Status::Active,
            });
            store.stats.use_cases_activated += 1;
            store.clear_draft(&session_id);
            drop(store);
            return Redirect::to(&format!(
                "/wizard/{session_id}/use-cases?event=use_case.activated&id={id}"
            ))
            .into_response();
        }
        let full = vec![(
            "name",
            format!("You already have {MAX_USE_CASES} use cases; deactivate one first."),
        )];
        drop(store);
        let ctx = context(&state, &session_id, &session);
        let body = views::step_page(&ctx, template, step, &values, &full);
        return render(
            &session_id,
            &session,
            template.name,
            &body,
            &[],
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    drop(store);
    let ctx = context(&state, &session_id, &session);
    let body = views::step_page(&ctx, template, step, &values, &problems);
    render(
        &session_id,
        &session,
        template.name,
        &body,
        &[],
        StatusCode::UNPROCESSABLE_ENTITY,
    )
}

async fn use_cases(
    State(state): State<AppState>,
    Path(session_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let session = match live(&state, &session_id) {
        Ok(session) => session,
        Err(ended) => return *ended,
    };
    let list = state.store().workspace(&session.tenant).use_cases.clone();
    let id = query.get("id").map_or("", String::as_str);
    let (events, flash) = match query.get("event").map(String::as_str) {
        Some(
            event @ ("use_case.activated"
            | "use_case.paused"
            | "use_case.resumed"
            | "use_case.deactivated"),
        ) if !id.is_empty() && id.len() <= 20 => {
            let verb = event.trim_start_matches("use_case.");
            (
                vec![json!({ "name": event, "data": { "id": id } })],
                Some(format!("Use case {id} {verb}.")),
            )
        }
        _ => (Vec::new(), None),
    };
    let ctx = context(&state, &session_id, &session);
    let body = manage_views::use_cases_page(&ctx, &list, flash.as_deref());
    render(
        &session_id,
        &session,
        "My use cases",
        &body,
        &events,
        StatusCode::OK,
    )
}

async fn change_use_case(
    State(state): State<AppState>,
    Path((session_id, id, action)): Path<(String, String, String)>,
) -> Response {
    let session = match live(&state, &session_id) {
        Ok(session) => session,
        Err(ended) => return *ended,
    };
    let mut store = state.store();
    let workspace = store.workspace(&session.tenant);
    let done = match action.as_str() {
        "deactivate" => {
            let before = workspace.use_cases.len();
            workspace.use_cases.retain(|u| u.id != id);
            (workspace.use_cases.len() < before).then_some("deactivated")
        }
        "pause" | "resume" => workspace.get_mut(&id).map(|u| {
            let (status, verb) = if action == "pause" {
                (Status::Paused, "paused")
            } else {
                (Status::Active, "resumed")
            };
            u.status = status;
            verb
        }),
        _ => None,
    };
    drop(store);
    match done {
        Some(verb) => Redirect::to(&format!(
            "/wizard/{session_id}/use-cases?event=use_case.{verb}&id={id}"
        ))
        .into_response(),
        None => not_found(
            &session_id,
            &session,
            "There is no such use case, or no such action.",
        ),
    }
}

async fn use_case_analytics(
    State(state): State<AppState>,
    Path((session_id, id)): Path<(String, String)>,
) -> Response {
    let session = match live(&state, &session_id) {
        Ok(session) => session,
        Err(ended) => return *ended,
    };
    let found = state
        .store()
        .workspace(&session.tenant)
        .get_mut(&id)
        .cloned();
    let Some(use_case) = found else {
        return not_found(
            &session_id,
            &session,
            "There is no such use case in this workspace.",
        );
    };
    let ctx = context(&state, &session_id, &session);
    let days = analytics::series(
        analytics::use_case_seed(ctx.tenant_seed, &use_case.id),
        templates::reach(use_case.value("segment"), ctx.tenant_seed),
        use_case.status == Status::Paused,
    );
    let body = manage_views::analytics_page(&ctx, &use_case, &days);
    let events = vec![json!({ "name": "analytics.opened", "data": { "id": use_case.id } })];
    render(
        &session_id,
        &session,
        "Analytics",
        &body,
        &events,
        StatusCode::OK,
    )
}
