//! The dashboard's charts, drawn as plain SVG (timeline, score histogram) and HTML bar lists
//! (top lists) from a `StatsAnswer`. Geometry and labels come from [`crate::chart_math`], links
//! from [`crate::dashboard`]; every value from an event is a text node or an attribute value.

pub mod bar_list;
pub mod histogram;
pub mod timeline;

use crate::dashboard::events_href_with;
use crate::filters::{Condition, Field, Filter};
use crate::format::action_label;
use crate::model::Action;
use leptos::prelude::*;
use leptos_router::components::A;

/// Actions in stacking order (bottom-up), as the legend lists them.
pub const ACTIONS: [Action; 3] = [Action::Blocked, Action::Detected, Action::Passed];

/// A number for an SVG attribute (one decimal is plenty at these sizes).
pub(crate) fn unit(value: f64) -> String {
    format!("{value:.1}")
}

/// Horizontal gridlines with their count labels left of the plot, at `y(tick)`.
pub(crate) fn count_grid(ticks: &[u64], y: &dyn Fn(u64) -> f64, left: f64, plot_width: f64) -> impl IntoView + use<> {
    ticks
        .iter()
        .map(|&tick| {
            let at = unit(y(tick));
            view! {
                <line class="grid" x1=unit(left) x2=unit(left + plot_width) y1=at.clone() y2=at/>
                <text class="tick-label" x=unit(left - 6.0) y=unit(y(tick) + 3.5) text-anchor="end">{crate::chart_math::count_label(tick)}</text>
            }
        })
        .collect_view()
}

/// `12 events: 8 blocked · 3 detected · 1 passed`.
pub(crate) fn counts_text(counts: &crate::model::ActionCounts) -> String {
    use crate::format::format_count;
    format!(
        "{} events: {} blocked · {} detected · {} passed",
        format_count(counts.total),
        format_count(counts.blocked),
        format_count(counts.detected),
        format_count(counts.passed)
    )
}

/// The colour key of the stacks; each entry opens Events with that action added.
#[component]
pub fn ActionLegend(filter: Filter) -> impl IntoView {
    let items = ACTIONS.map(|action| {
        let label = action_label(action);
        let href = events_href_with(&filter, Condition::new(Field::Action, label));
        view! {
            <A href=href attr:class="legend-item" attr:title=format!("open the {label} events in Events")>
                <span class=format!("swatch fill-{label}") aria-hidden="true"></span>
                {label}
            </A>
        }
    });
    view! { <span class="legend" data-testid="chart-legend">{items.into_iter().collect_view()}</span> }
}
