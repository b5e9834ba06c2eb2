//! The HTML of what a tenant has activated: the use-case list, with its controls, and
//! one use case's analytics. Everything interpolated is escaped; `data-test` attributes
//! are a stable contract for end-to-end tests.

use super::analytics::{self, Day};
use super::model::{Status, UseCase};
use super::templates::{reach, segment_label, template};
use super::views::{Context, Tab, journey, shell};
use crate::pages::escape;
use std::fmt::Write;

/// The activated use cases, with their controls.
pub(crate) fn use_cases_page(
    ctx: &Context<'_>,
    use_cases: &[UseCase],
    flash: Option<&str>,
) -> String {
    let flash = flash
        .map(|f| format!(r#"<div class="flash" role="status">{}</div>"#, escape(f)))
        .unwrap_or_default();
    let body = if use_cases.is_empty() {
        format!(
            r#"<div class="empty"><p>No use cases yet.</p><a class="button" href="{}">Browse templates</a></div>"#,
            ctx.url("")
        )
    } else {
        let mut rows = String::new();
        for u in use_cases {
            let t = template(u.template);
            let paused = u.status == Status::Paused;
            let seed = analytics::use_case_seed(ctx.tenant_seed, &u.id);
            let sent = analytics::totals(&analytics::series(
                seed,
                reach(u.value("segment"), ctx.tenant_seed),
                paused,
            ))
            .sent;
            let (toggle, label) = if paused {
                ("resume", "Resume")
            } else {
                ("pause", "Pause")
            };
            let _ = write!(
                rows,
                r#"<tr data-test="use-case" data-id="{id}" data-status="{status}">
<td><strong>{name}</strong><div class="muted small">{template} · {channel}</div></td>
<td><span class="pill pill--{status}">{status_label}</span></td>
<td class="num">{sent}</td>
<td><div class="row-actions">
<a class="button button--small button--ghost" data-test="use-case-analytics" href="{analytics}">Analytics</a>
<form method="post" action="{toggle_url}"><button class="button button--small button--ghost" data-test="use-case-{toggle}">{label}</button></form>
<form method="post" action="{deactivate}"><button class="button button--small button--danger" data-test="use-case-deactivate">Deactivate</button></form>
</div></td></tr>"#,
                id = escape(&u.id),
                status = u.status.as_str(),
                name = escape(u.value("name")),
                template = escape(t.map_or("", |t| t.name)),
                channel = escape(u.value("channel")),
                status_label = if paused { "Paused" } else { "Active" },
                analytics = ctx.url(&format!("/use-cases/{}", u.id)),
                toggle_url = ctx.url(&format!("/use-cases/{}/{toggle}", u.id)),
                deactivate = ctx.url(&format!("/use-cases/{}/deactivate", u.id)),
            );
        }
        format!(
            r#"<table class="list"><thead><tr><th>Use case</th><th>Status</th><th class="num">Sent (14 days)</th><th><span class="sr-only">Actions</span></th></tr></thead><tbody>{rows}</tbody></table>"#
        )
    };
    shell(
        ctx,
        Tab::Manage,
        &format!(
            r#"<h1>My use cases</h1><p class="lead">What is running for your customers. Pausing stops new messages; the journey resumes where it was.</p>{flash}{body}"#
        ),
    )
}

/// One use case's performance.
pub(crate) fn analytics_page(ctx: &Context<'_>, u: &UseCase, days: &[Day]) -> String {
    let t = template(u.template);
    let total = analytics::totals(days);
    let kpi = |label: &str, value: String, note: String| {
        format!(
            r#"<div class="kpi"><div class="kpi__label">{label}</div><div class="kpi__value">{value}</div><div class="muted small">{note}</div></div>"#
        )
    };
    let kpis = [
        kpi("Sent", total.sent.to_string(), "last 14 days".into()),
        kpi(
            "Delivered",
            analytics::percent(total.delivered, total.sent),
            format!("{} messages", total.delivered),
        ),
        kpi(
            "Clicked",
            analytics::percent(total.clicked, total.delivered),
            format!("{} customers", total.clicked),
        ),
        kpi(
            "Converted",
            analytics::percent(total.converted, total.clicked),
            format!("{} orders", total.converted),
        ),
    ]
    .concat();
    let paused = u.status == Status::Paused;
    let main = format!(
        r#"<div class="crumbs"><a href="{manage}">My use cases</a> / {name}</div>
<h1>{name} <span class="pill pill--{status}">{status_label}</span></h1>
<p class="lead">{template} · {channel} · {audience}</p>
<div class="layout"><section class="panel" data-test="analytics">
<div class="kpis">{kpis}</div>
<div class="legend"><span class="key key--sent">Sent</span><span class="key key--delivered">Delivered</span><span class="key key--clicked">Clicked</span><span class="key key--converted">Converted</span></div>
{chart}</section>{journey}</div>"#,
        manage = ctx.url("/use-cases"),
        name = escape(u.value("name")),
        status = u.status.as_str(),
        status_label = if paused { "Paused" } else { "Active" },
        template = escape(t.map_or("", |t| t.name)),
        channel = escape(u.value("channel")),
        audience = escape(segment_label(u.value("segment"))),
        chart = analytics::chart_svg(days),
        journey = t.map(journey).unwrap_or_default(),
    );
    shell(ctx, Tab::Manage, &main)
}
