//! The dashboard's charts, drawn as plain SVG (timeline, score histogram) and HTML bar lists
//! (top lists) from a `StatsAnswer`. Geometry and labels come from [`crate::chart_math`], links
//! from [`crate::dashboard`]; every value from an event is a text node or an attribute value.

pub mod bar_list;
pub mod histogram;
pub mod timeline;

use crate::chart_math::{CountAxis, count_label, stack};
use crate::dashboard::events_href_with;
use crate::filters::{Condition, Field, Filter};
use crate::format::action_label;
use crate::model::{Action, ActionCounts};
use leptos::prelude::*;
use leptos_router::components::A;

/// Actions in stacking order (bottom-up), as the legend lists them.
pub const ACTIONS: [Action; 3] = [Action::Blocked, Action::Detected, Action::Passed];

/// A number for an SVG attribute (one decimal is plenty at these sizes).
pub(crate) fn unit(value: f64) -> String {
    format!("{value:.1}")
}

/// The geometry of an SVG chart: its `viewBox` size and the margins around the plot area
/// (axis labels live in the margins).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Frame {
    pub width: f64,
    pub height: f64,
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub bottom: f64,
}

impl Frame {
    pub const fn plot_width(&self) -> f64 {
        self.width - self.left - self.right
    }

    pub const fn plot_height(&self) -> f64 {
        self.height - self.top - self.bottom
    }

    /// The y of a zero count: the bottom of the plot.
    pub const fn baseline(&self) -> f64 {
        self.top + self.plot_height()
    }

    /// The y of `count` on `axis`.
    pub fn y(&self, axis: &CountAxis, count: u64) -> f64 {
        self.baseline() - axis.scale(count, self.plot_height())
    }

    pub fn view_box(&self) -> String {
        format!("0 0 {} {}", self.width, self.height)
    }

    /// Horizontal gridlines at the axis' ticks with their count labels left of the plot, and
    /// the baseline.
    pub fn count_grid(&self, axis: &CountAxis) -> impl IntoView + use<> {
        let frame = *self;
        let lines = axis
            .ticks
            .iter()
            .map(|&tick| {
                let at = frame.y(axis, tick);
                view! {
                    <line class="grid" x1=unit(frame.left) x2=unit(frame.left + frame.plot_width()) y1=unit(at) y2=unit(at)/>
                    <text class="tick-label" x=unit(frame.left - 6.0) y=unit(at + 3.5) text-anchor="end">{count_label(tick)}</text>
                }
            })
            .collect_view();
        view! {
            <g class="axis">{lines}</g>
            <line class="baseline" x1=unit(frame.left) x2=unit(frame.left + frame.plot_width()) y1=unit(frame.baseline()) y2=unit(frame.baseline())/>
        }
    }

    /// One bar of `counts` stacked by action (bottom-up in [`ACTIONS`] order), `width` wide at `x`.
    pub fn stacked_bar(&self, axis: &CountAxis, counts: &ActionCounts, x: f64, width: f64) -> impl IntoView + use<> {
        let frame = *self;
        stack(counts)
            .into_iter()
            .map(|segment| {
                let (top, bottom) = (frame.y(axis, segment.start + segment.count), frame.y(axis, segment.start));
                view! {
                    <rect class=format!("seg fill-{}", action_label(segment.action)) x=unit(x) y=unit(top) width=unit(width) height=unit(bottom - top)/>
                }
            })
            .collect_view()
    }
}

/// `12 events: 8 blocked · 3 detected · 1 passed`.
pub(crate) fn counts_text(counts: &ActionCounts) -> String {
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
