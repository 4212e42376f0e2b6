//! The inbound anomaly score per event as a histogram stacked by action (one bar per score, or
//! per round range when there are many; events without a score last).
//!
//! The events API has no score filter, so a bar opens Events with the dashboard's filters and
//! window only (its tooltip says so).

use super::{count_grid, counts_text, unit};
use crate::chart_math::{bands, score_buckets, stack, CountAxis};
use crate::dashboard::events_href;
use crate::filters::Filter;
use crate::format::action_label;
use crate::model::TopEntry;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use leptos_router::NavigateOptions;

const WIDTH: f64 = 400.0;
const HEIGHT: f64 = 230.0;
const LEFT: f64 = 40.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 24.0;
const PLOT_WIDTH: f64 = WIDTH - LEFT - RIGHT;
const PLOT_HEIGHT: f64 = HEIGHT - TOP - BOTTOM;
const BASELINE: f64 = TOP + PLOT_HEIGHT;
/// Most bars (labels of ranges such as `10–19` still fit below each).
pub const MAX_BARS: usize = 12;

#[component]
pub fn ScoreHistogram(scores: Vec<TopEntry>, filter: Filter) -> impl IntoView {
    let navigate = use_navigate();
    let buckets = score_buckets(&scores, MAX_BARS);
    let axis = CountAxis::new(buckets.iter().map(|bucket| bucket.counts.total).max().unwrap_or(0), 5);
    let y = |count: u64| BASELINE - axis.scale(count, PLOT_HEIGHT);
    let href = events_href(&filter);

    let grid = count_grid(&axis.ticks, &y, LEFT, PLOT_WIDTH);

    let slots = bands(buckets.len(), PLOT_WIDTH);
    let bars = buckets
        .into_iter()
        .zip(slots)
        .map(|(bucket, (slot_x, slot_width))| {
            let x0 = LEFT + slot_x;
            let width = (slot_width * 0.7).min(36.0);
            let x = x0 + (slot_width - width) / 2.0;
            let what = if bucket.low.is_none() { "no anomaly score".to_owned() } else { format!("score {}", bucket.label) };
            let title = format!("{what}\n{}\nEvents has no score filter: a click opens all events of this view", counts_text(&bucket.counts));
            let segments = stack(&bucket.counts)
                .into_iter()
                .map(|segment| {
                    let (top, bottom) = (y(segment.start + segment.count), y(segment.start));
                    view! {
                        <rect class=format!("seg fill-{}", action_label(segment.action)) x=unit(x) y=unit(top) width=unit(width) height=unit(bottom - top)/>
                    }
                })
                .collect_view();
            let open = {
                let navigate = navigate.clone();
                let target = href.clone();
                move || navigate(&target, NavigateOptions::default())
            };
            let open_by_key = open.clone();
            let (score, label) = (bucket.label.clone(), title.clone());
            view! {
                <g class="bin" data-testid="histogram-bar" data-score=score role="link" tabindex="0" aria-label=label
                    on:click=move |_| open()
                    on:keydown=move |event: web_sys::KeyboardEvent| if event.key() == "Enter" { open_by_key() }>
                    <title>{title}</title>
                    <rect class="hit" x=unit(x0) y=unit(TOP) width=unit(slot_width) height=unit(PLOT_HEIGHT)/>
                    {segments}
                    <text class="tick-label" x=unit(x0 + slot_width / 2.0) y=unit(HEIGHT - 8.0) text-anchor="middle">{bucket.label}</text>
                </g>
            }
        })
        .collect_view();

    view! {
        <svg class="chart histogram" data-testid="histogram" viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label="events by inbound anomaly score">
            <g class="axis">{grid}</g>
            <line class="baseline" x1=unit(LEFT) x2=unit(LEFT + PLOT_WIDTH) y1=unit(BASELINE) y2=unit(BASELINE)/>
            <g class="bars">{bars}</g>
        </svg>
    }
}
