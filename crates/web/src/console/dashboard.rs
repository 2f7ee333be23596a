//! The dashboard: the last 24 hours of sign-ins as a server-made SVG chart,
//! the top reasons for rejection, locked users, failing messages, devices online.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use countersign_domain::model::audit::AuditCount;
use countersign_domain::model::messages::MessageStatus;
use countersign_domain::ports::diagnostics::{Diagnostics, Finding, Status};
use countersign_domain::{Clock, UserQuery};
use minijinja::context;

use super::guard::{Staff, Visitor};
use super::page::{base, failure, render, when};
use super::ConsoleState;

const HOURS: i64 = 24;

/// How long the dashboard reuses a `doctor` run.
const DOCTOR_FOR: std::time::Duration = std::time::Duration::from_secs(120);

/// The last `doctor` findings that are not PASS, and when they were found.
#[derive(Default)]
pub struct DoctorCache(tokio::sync::Mutex<Option<(std::time::Instant, Vec<Finding>)>>);

impl DoctorCache {
    async fn not_passing(&self, diagnostics: &dyn Diagnostics) -> Vec<Finding> {
        let mut held = self.0.lock().await;
        if let Some((at, findings)) = held.as_ref() {
            if at.elapsed() < DOCTOR_FOR {
                return findings.clone();
            }
        }
        let findings: Vec<Finding> = diagnostics
            .run()
            .await
            .into_iter()
            .filter(|f| f.status != Status::Pass)
            .collect();
        *held = Some((std::time::Instant::now(), findings.clone()));
        findings
    }
}

pub async fn show(State(state): State<ConsoleState>, _staff: Staff, visitor: Visitor) -> Response {
    match gather(&state, &visitor).await {
        Ok(response) => response,
        Err(e) => failure(e),
    }
}

async fn gather(
    state: &ConsoleState,
    visitor: &Visitor,
) -> Result<Response, countersign_domain::DomainError> {
    let now = countersign_domain::SystemClock.now();
    let first_hour = (now / 3600 - (HOURS - 1)) * 3600;
    let counts = state.audit.counts(first_hour).await?;
    let locked = state
        .accounts
        .list_users(UserQuery {
            limit: 20,
            locked_at: Some(now),
            ..UserQuery::default()
        })
        .await?;
    let failing = state
        .outbox
        .list(Some(MessageStatus::Failed), 1000)
        .await?
        .len();
    let (accepted, rejected) = totals(&counts);
    let doctor: Vec<_> = state
        .doctor_cache
        .not_passing(state.diagnostics.as_ref())
        .await
        .iter()
        .map(|f| context! { check => f.check.clone(), status => f.status.label(), message => f.message.clone() })
        .collect();
    let locked: Vec<_> = locked
        .iter()
        .map(|u| context! { username => u.username.clone(), locked_until => u.locked_until.map(when) })
        .collect();
    let reasons: Vec<_> = top_reasons(&counts, 8)
        .into_iter()
        .map(|(reason, count)| context! { reason => reason, count => count })
        .collect();
    let ctx = context! {
        title => "Dashboard", chart => chart_svg(&counts, first_hour), accepted => accepted,
        rejected => rejected, reasons => reasons, locked => locked, failing => failing,
        online => state.hub.open_streams(), doctor => doctor, ..base(state, visitor, "dashboard")
    };
    Ok(render(StatusCode::OK, "dashboard.html", ctx))
}

fn totals(counts: &[AuditCount]) -> (i64, i64) {
    let sum = |result: &str| {
        counts
            .iter()
            .filter(|c| c.result == result)
            .map(|c| c.count)
            .sum()
    };
    (sum("accepted"), sum("rejected"))
}

fn top_reasons(counts: &[AuditCount], n: usize) -> Vec<(String, i64)> {
    let mut by_reason: HashMap<&str, i64> = HashMap::new();
    for c in counts.iter().filter(|c| c.result == "rejected") {
        *by_reason
            .entry(c.reason.as_deref().unwrap_or("unknown"))
            .or_default() += c.count;
    }
    let mut list: Vec<(String, i64)> = by_reason
        .into_iter()
        .map(|(r, n)| (r.to_string(), n))
        .collect();
    list.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    list.truncate(n);
    list
}

/// Stacked bars per hour (accepted below, rejected on top), with a y scale.
pub fn chart_svg(counts: &[AuditCount], first_hour: i64) -> String {
    let mut hours = vec![(0i64, 0i64); HOURS as usize];
    for c in counts {
        let slot = (c.hour - first_hour) / 3600;
        if let Some(bar) = usize::try_from(slot).ok().and_then(|s| hours.get_mut(s)) {
            match c.result.as_str() {
                "accepted" => bar.0 += c.count,
                "rejected" => bar.1 += c.count,
                _ => {}
            }
        }
    }
    let peak = hours.iter().map(|(a, r)| a + r).max().unwrap_or(0).max(1);
    let (width, height, left, bottom) = (720.0, 220.0, 44.0, 24.0);
    let plot_h = height - bottom - 8.0;
    let slot_w = (width - left) / HOURS as f64;
    let mut svg = format!(
        r#"<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-labelledby="chart-title" xmlns="http://www.w3.org/2000/svg"><title id="chart-title">Sign-ins per hour in the last 24 hours: peak {peak} in one hour</title>"#
    );
    for tick in [0, peak / 2, peak] {
        let y = 8.0 + plot_h - plot_h * tick as f64 / peak as f64;
        svg.push_str(&format!(
            r##"<line x1="{left}" x2="{width}" y1="{y:.1}" y2="{y:.1}" stroke="#d9dee5"/><text x="{:.1}" y="{:.1}" font-size="11" text-anchor="end" fill="#5b6675">{tick}</text>"##,
            left - 6.0,
            y + 4.0
        ));
    }
    for (i, (accepted, rejected)) in hours.iter().enumerate() {
        let x = left + i as f64 * slot_w + 2.0;
        let w = slot_w - 4.0;
        let a_h = plot_h * *accepted as f64 / peak as f64;
        let r_h = plot_h * *rejected as f64 / peak as f64;
        let base_y = 8.0 + plot_h;
        let hour = when(first_hour + i as i64 * 3600);
        let label = hour.get(11..16).unwrap_or("");
        svg.push_str(&format!(
            r##"<g class="bar" data-accepted="{accepted}" data-rejected="{rejected}"><title>{label}: {accepted} accepted, {rejected} rejected</title><rect x="{x:.1}" y="{:.1}" width="{w:.1}" height="{a_h:.1}" fill="#1d7a46"/><rect x="{x:.1}" y="{:.1}" width="{w:.1}" height="{r_h:.1}" fill="#b3261e"/></g>"##,
            base_y - a_h,
            base_y - a_h - r_h
        ));
        if i % 4 == 0 {
            svg.push_str(&format!(
                r##"<text x="{:.1}" y="{:.1}" font-size="11" fill="#5b6675">{label}</text>"##,
                x,
                height - 6.0
            ));
        }
    }
    svg.push_str("</svg>");
    svg
}
