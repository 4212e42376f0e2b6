//! The soak's verdict: what was stored and delivered against what was acknowledged, the
//! retention purge, the kills, and the server's figures against the flatness budget.

use super::{Clients, Settings, TOLERANCE, Timeline, check, samples, seed};
use crate::lab::json::Json;
use crate::lab::{Console, Sensor, Wafscope};
use crate::process::TaskResult;
use samples::Sample;
use std::collections::HashSet;
use std::sync::atomic::Ordering;

/// A figure of the server: its name and how to read it off a sample.
type Figure = (&'static str, fn(&Sample) -> u64);

/// Whether old events remain: `Some(0)` once the purge is through.
pub fn old_events_left(console: &mut Wafscope) -> Option<usize> {
    let (status, body) = console.get(&format!("/api/v1/events?sensor={}&limit=1", seed::AGED_SENSOR)).ok()?;
    let text = String::from_utf8_lossy(&body);
    let page = Json::parse(&text).ok()?;
    (status == 200).then(|| page.get("events").and_then(Json::as_array).map_or(0, <[_]>::len))
}

/// Prints the figures and checks the budgets.
pub fn report(settings: &Settings, console: &mut Wafscope, sensors: &[Sensor], clients: &Clients, timeline: &Timeline) -> TaskResult {
    let mut failed: Vec<String> = Vec::new();
    let acked = clients.ingest.acked();
    let mut all_acked = HashSet::new();
    let mut all_stored = HashSet::new();
    let mut totals = check::Stored::default();
    for (index, sensor) in sensors.iter().enumerate() {
        let ids = console.stored_ids(sensor)?;
        let verdict = check::stored(&acked[index], &ids);
        println!(
            "{}: {} acknowledged, {} stored, {} lost, {} duplicated, {} stored without an answer",
            sensor.name, verdict.acked, verdict.stored, verdict.lost, verdict.duplicated, verdict.unacknowledged
        );
        totals.acked += verdict.acked;
        totals.stored += verdict.stored;
        totals.lost += verdict.lost;
        totals.duplicated += verdict.duplicated;
        all_acked.extend(acked[index].iter().cloned());
        all_stored.extend(ids);
    }
    if totals.lost > 0 || totals.duplicated > 0 {
        failed.push(format!("{} lost, {} duplicated", totals.lost, totals.duplicated));
    }
    let ingest = &clients.ingest;
    println!(
        "uploads: {} sent, {} acknowledged, {} acknowledged after a retry, {} acknowledged ones resent (answered 200), {} in doubt at the stop; failed tries: {:?}",
        ingest.sent.load(Ordering::Relaxed),
        totals.acked,
        ingest.retried.load(Ordering::Relaxed),
        ingest.resent.load(Ordering::Relaxed),
        ingest.in_doubt.load(Ordering::Relaxed),
        ingest.failures()
    );
    if let Some((kind, count)) = ingest.failures().into_iter().find(|(kind, _)| kind.starts_with("status")) {
        failed.push(format!("uploads answered {kind} ({count} times)"));
    }
    for (number, client) in clients.live.iter().enumerate() {
        let verdict = check::delivered(&all_acked, &all_stored, &client.seen());
        println!(
            "live client {}: {} connects, {} resyncs, {} ended, {} stats events; {} acknowledged events missing, {} repeated, {} not stored; failures {:?}",
            number + 1,
            client.connects.load(Ordering::Relaxed),
            client.resyncs.load(Ordering::Relaxed),
            client.ended.load(Ordering::Relaxed),
            client.stats_events.load(Ordering::Relaxed),
            verdict.missing,
            verdict.repeated,
            verdict.phantom,
            client.failures()
        );
        if verdict != check::Delivered::default() || client.ended.load(Ordering::Relaxed) > 0 {
            failed.push(format!("live client {} did not receive every event exactly once", number + 1));
        }
    }
    let (p50, p99) = clients.queries.percentiles();
    println!("queries: {} answered 200, p50 {p50:.1} ms, p99 {p99:.1} ms; failures {:?}", clients.queries.answered(), clients.queries.failures());
    if clients.queries.errors() > 0 {
        failed.push(format!("{} queries answered other than 200", clients.queries.errors()));
    }
    let old_left = old_events_left(console);
    match timeline.purged_at {
        Some(at) if settings.old_events > 0 => println!("retention: {} old events purged by {at:.1} s", settings.old_events),
        _ if settings.old_events == 0 => {}
        _ => failed.push(format!("old events remain at the end ({old_left:?} on the first page)")),
    }
    let restarts = &timeline.restarts;
    println!(
        "kills: {} (SIGKILL, restart listening after {:.2} s at most, {:.2} s on average)",
        restarts.len(),
        restarts.iter().copied().fold(0.0, f64::max),
        restarts.iter().sum::<f64>() / restarts.len().max(1) as f64
    );
    let total = settings.total.as_secs_f64();
    let peaks: Vec<String> = samples::peak_rss_per_life(&timeline.samples).iter().map(|kib| format!("{:.1}", *kib as f64 / 1024.0)).collect();
    println!("peak RSS per server life (MiB): {}", peaks.join(", "));
    let figures: [Figure; 3] = [("RSS MiB", |sample| sample.rss_kib), ("open fds", |sample| sample.fds), ("threads", |sample| sample.threads)];
    let ((early_from, early_to), (late_from, late_to)) = samples::windows(total);
    for (name, value) in figures {
        match samples::flatness(&timeline.samples, total, TOLERANCE, value) {
            Some(verdict) => {
                println!(
                    "{name}: mean {:.1} over {early_from:.0}-{early_to:.0} s, {:.1} over {late_from:.0}-{late_to:.0} s: ratio {:.3} ({})",
                    shown(name, verdict.early),
                    shown(name, verdict.late),
                    verdict.ratio,
                    if verdict.flat { "flat" } else { "GROWING" }
                );
                if !verdict.flat && name != "threads" {
                    failed.push(format!("{name} grew {:.0} % between the windows", (verdict.ratio - 1.0) * 100.0));
                }
            }
            None => failed.push(format!("no {name} samples in the comparison windows")),
        }
    }
    if failed.is_empty() {
        println!("soak: ok");
        Ok(())
    } else {
        Err(format!("soak budgets failed: {}", failed.join("; ")))
    }
}

/// A figure's value as printed (RSS in MiB, the rest as counted).
fn shown(name: &str, value: f64) -> f64 {
    if name.starts_with("RSS") { value / 1024.0 } else { value }
}
