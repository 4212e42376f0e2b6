//! The inbound anomaly score per event as a histogram stacked by action (one bar per score, or
//! per round range when there are many; events without a score last). A bar opens Events with
//! the dashboard's filters and a `score` filter for its score, range or `none`; when the
//! dashboard already filters by score (one condition per field), with its filters as they are.

use super::{Frame, counts_text, unit};
use crate::chart_math::{CountAxis, bands, score_buckets};
use crate::dashboard::{events_href, events_href_with};
use crate::filters::{Condition, Field, Filter};
use crate::model::TopEntry;
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::use_navigate;

const FRAME: Frame = Frame { width: 400.0, height: 230.0, left: 40.0, right: 8.0, top: 10.0, bottom: 24.0 };
/// Most bars (labels of ranges such as `10–19` still fit below each).
pub const MAX_BARS: usize = 12;

#[component]
pub fn ScoreHistogram(scores: Vec<TopEntry>, filter: Filter) -> impl IntoView {
    let navigate = use_navigate();
    let buckets = score_buckets(&scores, MAX_BARS);
    let axis = CountAxis::new(buckets.iter().map(|bucket| bucket.counts.total).max().unwrap_or(0), 5);
    let grid = FRAME.count_grid(&axis);
    let scored = filter.conditions.iter().any(|condition| condition.field == Field::Score);

    let slots = bands(buckets.len(), FRAME.plot_width());
    let bars = buckets
        .into_iter()
        .zip(slots)
        .map(|(bucket, (slot_x, slot_width))| {
            let x0 = FRAME.left + slot_x;
            let width = (slot_width * 0.7).min(36.0);
            let x = x0 + (slot_width - width) / 2.0;
            let what = if bucket.low.is_none() { "no anomaly score".to_owned() } else { format!("score {}", bucket.label) };
            let (href, click) = if scored {
                (events_href(&filter), "the view already filters by score: a click opens all its events")
            } else {
                (events_href_with(&filter, Condition::new(Field::Score, bucket.filter_value())), "click to open them in Events")
            };
            let title = format!("{what}\n{}\n{click}", counts_text(&bucket.counts));
            let segments = FRAME.stacked_bar(&axis, &bucket.counts, x, width);
            let open = {
                let navigate = navigate.clone();
                let target = href.clone();
                move || navigate(&target, NavigateOptions::default())
            };
            let open_by_key = open.clone();
            let (score, label) = (bucket.label.clone(), title.clone());
            view! {
                <g class="bin" data-testid="histogram-bar" data-score=score data-href=href role="link" tabindex="0" aria-label=label
                    on:click=move |_| open()
                    on:keydown=move |event: web_sys::KeyboardEvent| if event.key() == "Enter" { open_by_key() }>
                    <title>{title}</title>
                    <rect class="hit" x=unit(x0) y=unit(FRAME.top) width=unit(slot_width) height=unit(FRAME.plot_height())/>
                    {segments}
                    <text class="tick-label" x=unit(x0 + slot_width / 2.0) y=unit(FRAME.height - 8.0) text-anchor="middle">{bucket.label}</text>
                </g>
            }
        })
        .collect_view();

    view! {
        <svg class="chart histogram" data-testid="histogram" viewBox=FRAME.view_box() role="img" aria-label="events by inbound anomaly score">
            {grid}
            <g class="bars">{bars}</g>
        </svg>
    }
}
