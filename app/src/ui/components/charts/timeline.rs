//! Events over time: one bar per bin of the answer (`bin_seconds`), stacked blocked / detected /
//! passed, with count gridlines and time ticks in the browser's zone. A bin's tooltip gives its
//! span and counts; a click opens Events for that span (`from`/`to`) with the dashboard's filters.

use super::{Frame, counts_text, unit};
use crate::chart_math::{CountAxis, TimeScale, bar_span, span_label, time_ticks};
use crate::dashboard::{bin_end, bin_href};
use crate::filters::Filter;
use crate::model::StatsAnswer;
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::use_navigate;
use std::sync::Arc;

const FRAME: Frame = Frame { width: 800.0, height: 230.0, left: 44.0, right: 12.0, top: 10.0, bottom: 24.0 };

#[component]
pub fn Timeline(answer: Arc<StatsAnswer>, filter: Filter, offset_minutes: i32) -> impl IntoView {
    let navigate = use_navigate();
    let scale = TimeScale { from: answer.from, to: answer.to };
    let axis = CountAxis::new(answer.timeline.iter().map(|bin| bin.counts.total).max().unwrap_or(0), 5);
    let grid = FRAME.count_grid(&axis);
    let x_of = |at: i64| FRAME.left + scale.x(at, FRAME.plot_width());

    let time_axis = time_ticks(answer.from, answer.to, offset_minutes, 8)
        .into_iter()
        .map(|tick| {
            let x = x_of(tick.at);
            let anchor = if x - FRAME.left < 18.0 {
                "start"
            } else if FRAME.left + FRAME.plot_width() - x < 18.0 {
                "end"
            } else {
                "middle"
            };
            view! {
                <line class="tick" x1=unit(x) x2=unit(x) y1=unit(FRAME.baseline()) y2=unit(FRAME.baseline() + 4.0)/>
                <text class="tick-label time-tick" x=unit(x) y=unit(FRAME.height - 8.0) text-anchor=anchor>{tick.label}</text>
            }
        })
        .collect_view();

    let bins = answer
        .timeline
        .iter()
        .filter(|bin| bin.counts.total > 0)
        .map(|bin| {
            let end = bin_end(&answer, bin.start);
            let (x0, x1) = (x_of(bin.start), x_of(end));
            let (x, width) = bar_span(x0, x1, 0.2, 40.0);
            let href = bin_href(&filter, bin.start, end);
            let title = format!("{}\n{}\nclick to open them in Events", span_label(bin.start, end, offset_minutes), counts_text(&bin.counts));
            let segments = FRAME.stacked_bar(&axis, &bin.counts, x, width);
            let navigate = navigate.clone();
            let target = href.clone();
            let label = title.clone();
            view! {
                <g class="bin" data-testid="timeline-bin" data-href=href role="link" aria-label=label
                    on:click=move |_| navigate(&target, NavigateOptions::default())>
                    <title>{title}</title>
                    <rect class="hit" x=unit(x0) y=unit(FRAME.top) width=unit((x1 - x0).max(width)) height=unit(FRAME.plot_height())/>
                    {segments}
                </g>
            }
        })
        .collect_view();

    view! {
        <svg class="chart timeline" data-testid="timeline" viewBox=FRAME.view_box() role="img"
            aria-label=format!("events over time, bins of {} minutes", answer.bin_seconds / 60)>
            {grid}
            <g class="axis">{time_axis}</g>
            <g class="bars">{bins}</g>
        </svg>
    }
}
