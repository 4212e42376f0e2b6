//! `GET /api/v1/stats`: the dashboard's numbers for a time window and the event filters.

use super::errors::ApiError;
use crate::auth::Principal;
use crate::facts::FactQuery;
use crate::filter::EventFilter;
use crate::state::AppState;
use crate::stats::{StatsAnswer, bin_minutes_for};
use axum::Json;
use axum::extract::{Query, State};
use std::collections::HashMap;

/// Window when `from` is not given: the last 24 hours before `to`.
pub const DEFAULT_WINDOW_MINUTES: u64 = 24 * 60;
/// Entries per top list by default, and at most.
pub const DEFAULT_TOP: usize = 10;
pub const MAX_TOP: usize = 100;
/// Longest window (a year of minutes; the timeline has at most a few hundred bins anyway).
pub const MAX_WINDOW_MINUTES: u64 = 366 * 24 * 60;
const MINUTE_US: i64 = 60_000_000;

/// The window of `filter` in whole minutes (`from` down, `to` up; without `from` the
/// [`DEFAULT_WINDOW_MINUTES`] before `to`, without `to` up to now), written back into the
/// filter; at most [`MAX_WINDOW_MINUTES`].
pub fn window(filter: &mut EventFilter) -> Result<(u64, u64), ApiError> {
    let to_minute = match filter.to {
        Some(to) => to.div_euclid(MINUTE_US) + i64::from(to.rem_euclid(MINUTE_US) != 0),
        None => crate::clock::unix_micros().div_euclid(MINUTE_US) + 1,
    };
    let from_minute = match filter.from {
        Some(from) => from.div_euclid(MINUTE_US),
        None => to_minute - DEFAULT_WINDOW_MINUTES as i64,
    };
    let (from_minute, to_minute) = (from_minute.max(0) as u64, to_minute.max(0) as u64);
    if from_minute >= to_minute {
        return Err(ApiError::BadRequest("from must be before to".to_owned()));
    }
    if to_minute - from_minute > MAX_WINDOW_MINUTES {
        return Err(ApiError::BadRequest("the window is longer than a year".to_owned()));
    }
    filter.from = Some(from_minute as i64 * MINUTE_US);
    filter.to = Some(to_minute as i64 * MINUTE_US);
    Ok((from_minute, to_minute))
}

/// `?from=&to=&top=&<filters of /api/v1/events>`. The window is widened to whole minutes (the
/// facts' resolution) and returned as `from`/`to`; the answer comes from the fact blocks of the
/// window (`source: "facts"`), or for a `path` the blocks cannot compare, from the events the
/// filter selects (`"scan"`).
pub async fn get_stats(
    State(state): State<AppState>,
    _principal: Principal,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<StatsAnswer>, ApiError> {
    let mut params = params;
    let top = match params.remove("top") {
        Some(text) => {
            text.parse::<usize>().ok().filter(|top| (1..=MAX_TOP).contains(top)).ok_or_else(|| ApiError::BadRequest(format!("top must be 1-{MAX_TOP}")))?
        }
        None => DEFAULT_TOP,
    };
    let mut filter = EventFilter::from_params(&params).map_err(|error| ApiError::BadRequest(error.to_string()))?;
    let (from_minute, to_minute) = window(&mut filter)?;
    let bins = bin_minutes_for(to_minute - from_minute);
    let answer = state
        .blocking(move |store| {
            if FactQuery::supports(&filter) {
                store.fact_stats(&filter, from_minute, to_minute, bins, top)
            } else {
                store.scan_stats(&filter, from_minute, to_minute, bins, top)
            }
        })
        .await?;
    Ok(Json(answer))
}
