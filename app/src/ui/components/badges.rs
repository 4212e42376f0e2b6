//! Shapes that carry meaning: action is a filled badge, severity a dot plus an uppercase label,
//! a rule id a neutral mono chip, a preserved event an outlined neutral badge.

use crate::format::{action_label, severity_tone};
use crate::model::{Action, Severity};
use leptos::prelude::*;

/// `blocked` / `detected` / `passed`, or a longer text such as `Blocked 403 (phase 2)`.
#[component]
pub fn ActionBadge(action: Action, #[prop(optional, into)] text: Option<String>) -> impl IntoView {
    let label = action_label(action);
    view! { <span class=format!("badge action-{label}")>{text.unwrap_or_else(|| label.to_owned())}</span> }
}

/// `● CRITICAL`; `—` when unknown.
#[component]
pub fn SeverityLabel(severity: Option<Severity>) -> impl IntoView {
    match severity {
        Some(severity) => view! {
            <span class=format!("sev sev-{}", severity_tone(severity))>
                <span class="dot" aria-hidden="true"></span>
                {severity.label().to_ascii_uppercase()}
            </span>
        }
        .into_any(),
        None => view! { <span class="muted">"—"</span> }.into_any(),
    }
}

/// `preserved`: retention keeps this event (an analyst marked it).
#[component]
pub fn PreservedBadge() -> impl IntoView {
    view! { <span class="badge preserved small" data-testid="preserved-badge" title="kept by retention until released">"preserved"</span> }
}
