//! Events over time: one bar per bin of the answer (`bin_seconds`), stacked blocked / detected /
//! passed, with count gridlines and time ticks in the browser's zone. A bin's tooltip gives its
//! span and counts; a click opens Events for that span (`from`/`to`) with the dashboard's filters.

use super::{count_grid, counts_text, unit};
use crate::chart_math::{bar_span, span_label, stack, time_ticks, CountAxis, TimeScale};
use crate::dashboard::{bin_end, bin_href};
use crate::filters::Filter;
use crate::format::action_label;
use crate::model::StatsAnswer;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use leptos_router::NavigateOptions;
use std::sync::Arc;

const WIDTH: f64 = 800.0;
const HEIGHT: f64 = 230.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 24.0;
const PLOT_WIDTH: f64 = WIDTH - LEFT - RIGHT;
const PLOT_HEIGHT: f64 = HEIGHT - TOP - BOTTOM;
const BASELINE: f64 = TOP + PLOT_HEIGHT;

#[component]
pub fn Timeline(answer: Arc<StatsAnswer>, filter: Filter, offset_minutes: i32) -> impl IntoView {
    let navigate = use_navigate();
    let scale = TimeScale { from: answer.from, to: answer.to };
    let axis = CountAxis::new(answer.timeline.iter().map(|bin| bin.counts.total).max().unwrap_or(0), 5);
    let y = |count: u64| BASELINE - axis.scale(count, PLOT_HEIGHT);

    let grid = count_grid(&axis.ticks, &y, LEFT, PLOT_WIDTH);

    let time_axis = time_ticks(answer.from, answer.to, offset_minutes, 8)
        .into_iter()
        .map(|tick| {
            let x = LEFT + scale.x(tick.at, PLOT_WIDTH);
            let anchor = if x - LEFT < 18.0 { "start" } else if LEFT + PLOT_WIDTH - x < 18.0 { "end" } else { "middle" };
            view! {
                <line class="tick" x1=unit(x) x2=unit(x) y1=unit(BASELINE) y2=unit(BASELINE + 4.0)/>
                <text class="tick-label time-tick" x=unit(x) y=unit(HEIGHT - 8.0) text-anchor=anchor>{tick.label}</text>
            }
        })
        .collect_view();

    let bins = answer
        .timeline
        .iter()
        .filter(|bin| bin.counts.total > 0)
        .map(|bin| {
            let end = bin_end(&answer, bin.start);
            let (x0, x1) = (LEFT + scale.x(bin.start, PLOT_WIDTH), LEFT + scale.x(end, PLOT_WIDTH));
            let (x, width) = bar_span(x0, x1, 0.2, 40.0);
            let href = bin_href(&filter, bin.start, end);
            let title = format!("{}\n{}\nclick to open them in Events", span_label(bin.start, end, offset_minutes), counts_text(&bin.counts));
            let segments = stack(&bin.counts)
                .into_iter()
                .map(|segment| {
                    let (top, bottom) = (y(segment.start + segment.count), y(segment.start));
                    view! {
                        <rect class=format!("seg fill-{}", action_label(segment.action)) x=unit(x) y=unit(top) width=unit(width) height=unit(bottom - top)/>
                    }
                })
                .collect_view();
            let navigate = navigate.clone();
            let target = href.clone();
            let label = title.clone();
            view! {
                <g class="bin" data-testid="timeline-bin" data-href=href role="link" aria-label=label
                    on:click=move |_| navigate(&target, NavigateOptions::default())>
                    <title>{title}</title>
                    <rect class="hit" x=unit(x0) y=unit(TOP) width=unit((x1 - x0).max(width)) height=unit(PLOT_HEIGHT)/>
                    {segments}
                </g>
            }
        })
        .collect_view();

    view! {
        <svg class="chart timeline" data-testid="timeline" viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img"
            aria-label=format!("events over time, bins of {} minutes", answer.bin_seconds / 60)>
            <g class="axis">{grid}</g>
            <line class="baseline" x1=unit(LEFT) x2=unit(LEFT + PLOT_WIDTH) y1=unit(BASELINE) y2=unit(BASELINE)/>
            <g class="axis">{time_axis}</g>
            <g class="bars">{bins}</g>
        </svg>
    }
}
