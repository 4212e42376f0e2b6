//! Fact blocks (pure): what the dashboard counts of each event, dictionary-encoded in blocks
//! of up to [`BLOCK_EVENTS`] events (consecutive ids; within a block, columns sorted by
//! minute), and the evaluation of `/api/v1/stats`
//! filters over them.
//!
//! Why blocks and not counters: counters keyed by (minute, dimension, value) need one row per
//! distinct value per minute, and with a long tail of client IPs and paths that was most of the
//! data dir (53 % at 100 000 events) and most of the writer's flush; rule- or IP-filtered
//! counters would multiply it again. A block stores each distinct string once and each event
//! as a few fixed-width codes (about 10–20 bytes compressed), so any filter of the stats API is answered
//! by decoding the blocks of its window, and a block whose dictionary lacks the filtered
//! value costs a few lookups. Columns of fixed-width codes and rows sorted by minute make a
//! window a contiguous range of rows and counting a few array increments per event.

use crate::filter::{Condition, EventFilter, parse_client_ip};
use crate::stats::{self, ActionCounts, Dimension, StatsAccumulator};
use app::model::{Action, Alert, EventSummary, Severity};
use std::collections::{HashMap, HashSet};

mod tuning;

/// Most events in one block.
pub const BLOCK_EVENTS: usize = 4096;
/// First byte of an encoded block: 3 adds each event's alerts (rule, matched variable,
/// severity) and inbound threshold, for tuning; 2 is read too (its alerts are unknown).
const FORMAT: u8 = 3;
const FORMAT_WITHOUT_ALERTS: u8 = 2;

/// The string dimensions of a fact, in block order.
const SENSOR: usize = 0;
const HOST: usize = 1;
const PATH: usize = 2;
const IP: usize = 3;
const METHOD: usize = 4;
const STRINGS: usize = 5;

/// What stats need of one event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fact {
    pub id: u64,
    /// Minute of the event's time (else of its arrival), as `stats` counts it.
    pub minute: u64,
    pub action: Action,
    pub sensor: String,
    /// Lowercased.
    pub host: String,
    /// The URI up to `?`, cut like the path dimension.
    pub path: String,
    pub client_ip: String,
    pub method: String,
    pub status: Option<u16>,
    pub severity: Option<Severity>,
    pub score: Option<u32>,
    /// Distinct rule ids, first seen first.
    pub rules: Vec<u32>,
    /// Every alert (`None`: unknown, as for a summary written before schema 5 and not
    /// completed yet, or a format 2 block).
    pub alerts: Option<Vec<Alert>>,
    pub threshold: Option<u32>,
}

impl Fact {
    /// The fact of `summary` (its `id` as it is; the writer sets it when it assigns ids).
    pub fn of(summary: &EventSummary) -> Fact {
        let mut rules: Vec<u32> = Vec::with_capacity(summary.rule_ids.len());
        for rule in &summary.rule_ids {
            if !rules.contains(rule) {
                rules.push(*rule);
            }
        }
        Fact {
            id: summary.id,
            minute: stats::minute_of(summary),
            action: summary.action,
            sensor: summary.sensor.clone(),
            host: summary.host.to_ascii_lowercase(),
            path: stats::path_of(&summary.uri).to_owned(),
            client_ip: summary.client_ip.clone(),
            method: summary.method.clone(),
            status: summary.status,
            severity: summary.max_severity,
            score: summary.anomaly_score,
            rules,
            // a summary with rules but no alerts predates schema 5 (its upgrade completes it)
            alerts: (!summary.alerts.is_empty() || summary.rule_ids.is_empty()).then(|| summary.alerts.clone()),
            threshold: summary.inbound_threshold,
        }
    }

    fn strings(&self) -> [&str; STRINGS] {
        [&self.sensor, &self.host, &self.path, &self.client_ip, &self.method]
    }
}

/// A block that does not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("fact block: {0}")]
pub struct BlockError(&'static str);

/// What a block's key row says about it without decoding it (`FACT_SPANS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub last_id: u64,
    pub min_minute: u64,
    pub max_minute: u64,
    pub events: u32,
}

impl Span {
    pub fn encode(&self) -> [u8; 28] {
        let mut bytes = [0u8; 28];
        bytes[..8].copy_from_slice(&self.last_id.to_le_bytes());
        bytes[8..16].copy_from_slice(&self.min_minute.to_le_bytes());
        bytes[16..24].copy_from_slice(&self.max_minute.to_le_bytes());
        bytes[24..].copy_from_slice(&self.events.to_le_bytes());
        bytes
    }

    pub fn decode(bytes: &[u8]) -> Result<Span, BlockError> {
        let bytes: &[u8; 28] = bytes.try_into().map_err(|_| BlockError("span is not 28 bytes"))?;
        let u64_at = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
        Ok(Span { last_id: u64_at(0), min_minute: u64_at(8), max_minute: u64_at(16), events: u32::from_le_bytes(bytes[24..].try_into().expect("4 bytes")) })
    }

    /// Whether events of minutes `[from, to)` may be in the block.
    pub fn overlaps(&self, from: u64, to: u64) -> bool {
        self.min_minute < to && self.max_minute >= from
    }

    /// The span of `facts` (not empty, ids ascending).
    pub fn of(facts: &[Fact]) -> Span {
        Span {
            last_id: facts.iter().map(|fact| fact.id).max().unwrap_or(0),
            min_minute: facts.iter().map(|fact| fact.minute).min().unwrap_or(0),
            max_minute: facts.iter().map(|fact| fact.minute).max().unwrap_or(0),
            events: facts.len() as u32,
        }
    }
}

/// A column of a block: `len` values of `width` bytes each, read in place.
#[derive(Debug, Clone, Copy, Default)]
struct Column<'a> {
    width: usize,
    bytes: &'a [u8],
}

impl Column<'_> {
    #[inline]
    fn len(&self) -> usize {
        self.bytes.len().checked_div(self.width).unwrap_or(0)
    }

    /// Value `index`; `index` must be below `len()` (checked by the callers' loops).
    #[inline(always)]
    fn get(&self, index: usize) -> u64 {
        let at = index * self.width;
        let bytes = self.bytes;
        match self.width {
            1 => u64::from(bytes[at]),
            2 => u64::from(u16::from_le_bytes([bytes[at], bytes[at + 1]])),
            4 => u64::from(u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])),
            _ => u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes")),
        }
    }

    /// Value `index` as an index (a code or an offset).
    #[inline(always)]
    fn index(&self, index: usize) -> usize {
        usize::try_from(self.get(index)).unwrap_or(usize::MAX)
    }
}

/// The distinct strings of one dimension of a block, read in place. Offsets and UTF-8 are
/// checked per value when it is read, not for the whole dictionary at decode (that was a fifth
/// of a 24 h answer: every block's dictionaries are read by every query, most values never).
#[derive(Debug, Clone, Copy, Default)]
struct Strings<'a> {
    text: &'a [u8],
    /// Value `code` is `text[offsets[code]..offsets[code + 1]]`.
    offsets: Column<'a>,
}

impl<'a> Strings<'a> {
    #[inline]
    fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Value `code`'s bytes (`None` when the code or its offsets are damaged).
    #[inline]
    fn bytes(&self, code: usize) -> Option<&'a [u8]> {
        if code >= self.len() {
            return None;
        }
        self.text.get(self.offsets.index(code)..self.offsets.index(code + 1))
    }

    /// Value `code` (`None` when damaged or not UTF-8).
    fn get(&self, code: usize) -> Option<&'a str> {
        std::str::from_utf8(self.bytes(code)?).ok()
    }
}

/// A block read in place from its stored bytes: dictionaries and one column per field, rows
/// sorted by (minute, id). Nothing is copied or decompressed: a query touches only the rows of
/// its window. Codes are checked where they are used, so a damaged block skips rows, never
/// panics.
#[derive(Debug, Default)]
pub struct Block<'a> {
    rows: usize,
    strings: [Strings<'a>; STRINGS],
    /// Status and score values (`NONE_VALUE` = the event had none).
    statuses: Column<'a>,
    scores: Column<'a>,
    rules: Column<'a>,
    base_minute: u64,
    minutes: Column<'a>,
    actions: &'a [u8],
    /// Syslog number, or `NO_SEVERITY`.
    severities: &'a [u8],
    codes: [Column<'a>; STRINGS],
    status_codes: Column<'a>,
    score_codes: Column<'a>,
    /// Row `i`'s rule codes are `rule_codes[rule_starts[i]..rule_starts[i + 1]]`.
    rule_starts: Column<'a>,
    rule_codes: Column<'a>,
    first_id: u64,
    ids: Column<'a>,
    /// What the block's events add up to (`encode_block` counts them once).
    totals: Totals<'a>,
    /// The alert section (format 3; empty and not `known` for format 2).
    alerts: AlertColumns<'a>,
}

/// Counts of each dictionary value and of each minute over a whole block: an unfiltered
/// window that holds the block whole reads these instead of its rows. Columns of total,
/// blocked and detected (passed is the rest), one entry per dictionary code or minute.
#[derive(Debug, Default)]
struct Totals<'a> {
    strings: [[Column<'a>; 3]; STRINGS],
    statuses: [Column<'a>; 3],
    scores: [Column<'a>; 3],
    rules: [Column<'a>; 3],
    severities: [Column<'a>; 3],
    /// Distinct minutes (offsets from the block's first), ascending, and their counts.
    minutes: Column<'a>,
    minute_counts: [Column<'a>; 3],
}

/// Counts being added up for `Totals`: total, blocked, detected.
fn count_into(counts: &mut Vec<[u64; 3]>, code: u32, action: Action) {
    let code = code as usize;
    if counts.len() <= code {
        counts.resize(code + 1, [0; 3]);
    }
    counts[code][0] += 1;
    match action {
        Action::Blocked => counts[code][1] += 1,
        Action::Detected => counts[code][2] += 1,
        Action::Passed => {}
    }
}

fn put_counts(output: &mut Vec<u8>, counts: &[[u64; 3]]) {
    for part in 0..3 {
        put_column(output, counts.iter().map(|counts| counts[part]));
    }
}

const NONE_VALUE: u32 = u32::MAX;
const NO_SEVERITY: u8 = u8::MAX;

/// The stored byte of an action, and back (`None`: a damaged byte).
fn action_code(action: Action) -> u8 {
    match action {
        Action::Blocked => 0,
        Action::Detected => 1,
        Action::Passed => 2,
    }
}

fn action_of(code: u8) -> Option<Action> {
    match code {
        0 => Some(Action::Blocked),
        1 => Some(Action::Detected),
        2 => Some(Action::Passed),
        _ => None,
    }
}

/// Adds counts to the timeline one bin at a time: rows come sorted by minute, so a bin's
/// counts are added up here and reach the accumulator once per bin and block.
struct BinRun {
    from_minute: u64,
    bin_minutes: u64,
    run: Option<(u64, ActionCounts)>,
}

impl BinRun {
    fn new(query: &FactQuery) -> BinRun {
        BinRun { from_minute: query.from_minute, bin_minutes: query.bin_minutes.max(1), run: None }
    }

    fn add(&mut self, minute: u64, counts: &ActionCounts, accumulator: &mut StatsAccumulator) {
        let start = self.from_minute + minute.saturating_sub(self.from_minute) / self.bin_minutes * self.bin_minutes;
        match &mut self.run {
            Some((known, run)) if *known == start => run.add(counts),
            _ => {
                self.finish(accumulator);
                self.run = Some((start, *counts));
            }
        }
    }

    fn finish(&mut self, accumulator: &mut StatsAccumulator) {
        if let Some((start, run)) = self.run.take() {
            accumulator.add_minute(start, &run);
        }
    }
}

/// The code of `value` in `dictionary` (added when new).
fn code_of<T: std::hash::Hash + Eq + Copy>(dictionary: &mut HashMap<T, u32>, ordered: &mut Vec<T>, value: T) -> u32 {
    let next = ordered.len() as u32;
    *dictionary.entry(value).or_insert_with(|| {
        ordered.push(value);
        next
    })
}

/// A length-prefixed column in the narrowest of 1, 2, 4 or 8 bytes per value that fits all.
fn put_column(output: &mut Vec<u8>, values: impl Iterator<Item = u64> + Clone) {
    let (count, largest) = values.clone().fold((0u32, 0u64), |(count, largest), value| (count + 1, largest.max(value)));
    let width: usize = match largest {
        0..=0xff => 1,
        0x100..=0xffff => 2,
        0x1_0000..=0xffff_ffff => 4,
        _ => 8,
    };
    output.extend_from_slice(&count.to_le_bytes());
    output.push(width as u8);
    for value in values {
        output.extend_from_slice(&value.to_le_bytes()[..width]);
    }
}

fn put_u32s(output: &mut Vec<u8>, values: &[u32]) {
    put_column(output, values.iter().map(|value| u64::from(*value)));
}

/// Encodes `facts` as one block: columns of fixed-width values, rows sorted by (minute, id) so
/// a window is a contiguous range of every block. Not compressed: at about 50 bytes per event
/// a block is under 1 % of the raw uploads it describes, and reading it in place is what keeps
/// a million-event window fast.
pub fn encode_block(facts: &[Fact]) -> Vec<u8> {
    let mut order: Vec<&Fact> = facts.iter().collect();
    order.sort_by_key(|fact| (fact.minute, fact.id));
    let mut dictionaries: [HashMap<&str, u32>; STRINGS] = Default::default();
    let mut ordered: [Vec<&str>; STRINGS] = Default::default();
    let (mut status_codes, mut statuses) = (HashMap::new(), Vec::new());
    let (mut score_codes, mut scores) = (HashMap::new(), Vec::new());
    let (mut rule_dictionary, mut rules) = (HashMap::new(), Vec::new());
    let base = order.first().map_or(0, |fact| fact.minute);
    let first_id = order.iter().map(|fact| fact.id).min().unwrap_or(0);
    let rows = order.len();
    let mut minutes = Vec::with_capacity(rows);
    let mut actions = Vec::with_capacity(rows);
    let mut severities = Vec::with_capacity(rows);
    let mut codes: [Vec<u32>; STRINGS] = Default::default();
    let (mut row_statuses, mut row_scores) = (Vec::with_capacity(rows), Vec::with_capacity(rows));
    let mut rule_starts = Vec::with_capacity(rows + 1);
    let mut rule_codes = Vec::new();
    let mut ids = Vec::with_capacity(rows);
    for fact in &order {
        minutes.push(fact.minute - base);
        actions.push(action_code(fact.action));
        severities.push(fact.severity.map_or(NO_SEVERITY, Severity::as_u8));
        for (dimension, value) in fact.strings().into_iter().enumerate() {
            codes[dimension].push(code_of(&mut dictionaries[dimension], &mut ordered[dimension], value));
        }
        row_statuses.push(code_of(&mut status_codes, &mut statuses, fact.status.map_or(NONE_VALUE, u32::from)));
        row_scores.push(code_of(&mut score_codes, &mut scores, fact.score.unwrap_or(NONE_VALUE)));
        rule_starts.push(rule_codes.len() as u32);
        for rule in &fact.rules {
            rule_codes.push(code_of(&mut rule_dictionary, &mut rules, *rule));
        }
        ids.push(fact.id - first_id);
    }
    rule_starts.push(rule_codes.len() as u32);
    // the block's totals, per dictionary code and per minute
    let mut string_totals: [Vec<[u64; 3]>; STRINGS] = Default::default();
    let (mut status_totals, mut score_totals, mut rule_totals, mut severity_totals) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut minute_offsets, mut minute_totals): (Vec<u64>, Vec<[u64; 3]>) = (Vec::new(), Vec::new());
    for (row, fact) in order.iter().enumerate() {
        for (dimension, column) in codes.iter().enumerate() {
            count_into(&mut string_totals[dimension], column[row], fact.action);
        }
        count_into(&mut status_totals, row_statuses[row], fact.action);
        count_into(&mut score_totals, row_scores[row], fact.action);
        for code in &rule_codes[rule_starts[row] as usize..rule_starts[row + 1] as usize] {
            count_into(&mut rule_totals, *code, fact.action);
        }
        count_into(&mut severity_totals, u32::from(severities[row].min(8)), fact.action);
        if minute_offsets.last() != Some(&minutes[row]) {
            minute_offsets.push(minutes[row]);
            minute_totals.push([0; 3]);
        }
        let last = minute_totals.len() - 1;
        count_into(&mut minute_totals, last as u32, fact.action);
    }
    severity_totals.resize(9, [0; 3]);
    let mut block = Vec::with_capacity(rows * 48 + 4096);
    block.push(FORMAT);
    block.extend_from_slice(&(rows as u32).to_le_bytes());
    block.extend_from_slice(&base.to_le_bytes());
    block.extend_from_slice(&first_id.to_le_bytes());
    for values in &ordered {
        put_strings(&mut block, values);
    }
    put_u32s(&mut block, &statuses);
    put_u32s(&mut block, &scores);
    put_u32s(&mut block, &rules);
    put_column(&mut block, minutes.iter().copied());
    block.extend_from_slice(&actions);
    block.extend_from_slice(&severities);
    for column in &codes {
        put_u32s(&mut block, column);
    }
    put_u32s(&mut block, &row_statuses);
    put_u32s(&mut block, &row_scores);
    put_u32s(&mut block, &rule_starts);
    put_u32s(&mut block, &rule_codes);
    put_column(&mut block, ids.iter().copied());
    for totals in &string_totals {
        put_counts(&mut block, totals);
    }
    put_counts(&mut block, &status_totals);
    put_counts(&mut block, &score_totals);
    put_counts(&mut block, &rule_totals);
    put_counts(&mut block, &severity_totals);
    put_column(&mut block, minute_offsets.iter().copied());
    put_counts(&mut block, &minute_totals);
    put_alerts(&mut block, &order);
    block
}

/// The alert section of a format 3 block: whether every fact's alerts are known, the
/// variables' dictionary, per row the range of its alerts, their rule ids, variable codes and
/// severities, and the rows' inbound thresholds.
fn put_alerts(block: &mut Vec<u8>, order: &[&Fact]) {
    let known = order.iter().all(|fact| fact.alerts.is_some());
    block.push(u8::from(known));
    let (mut variable_codes, mut variables) = (HashMap::new(), Vec::new());
    let mut starts = Vec::with_capacity(order.len() + 1);
    let (mut rules, mut codes, mut severities) = (Vec::new(), Vec::new(), Vec::new());
    for fact in order {
        starts.push(rules.len() as u32);
        for alert in fact.alerts.iter().flatten() {
            rules.push(alert.rule_id);
            codes.push(code_of(&mut variable_codes, &mut variables, alert.variable.as_str()));
            severities.push(alert.severity.map_or(NO_SEVERITY, Severity::as_u8));
        }
    }
    starts.push(rules.len() as u32);
    put_strings(block, &variables);
    put_u32s(block, &starts);
    put_u32s(block, &rules);
    put_u32s(block, &codes);
    block.extend_from_slice(&(severities.len() as u32).to_le_bytes());
    block.extend_from_slice(&severities);
    put_column(block, order.iter().map(|fact| u64::from(fact.threshold.unwrap_or(NONE_VALUE))));
}

/// A dictionary: the offsets column, then the values' bytes.
fn put_strings(block: &mut Vec<u8>, values: &[&str]) {
    let mut offsets = Vec::with_capacity(values.len() + 1);
    let mut end = 0u64;
    offsets.push(0);
    for value in values {
        end += value.len() as u64;
        offsets.push(end);
    }
    put_column(block, offsets.into_iter());
    for value in values {
        block.extend_from_slice(value.as_bytes());
    }
}

/// A format 3 block's alert section.
#[derive(Debug, Default)]
struct AlertColumns<'a> {
    /// The columns hold every event's alerts (every fact's were known when it was written).
    known: bool,
    variables: Strings<'a>,
    /// Row `i`'s alerts are `starts[i]..starts[i + 1]` of `rules`, `codes` and `severities`.
    starts: Column<'a>,
    rules: Column<'a>,
    /// Codes into `variables`.
    codes: Column<'a>,
    /// Syslog number, or `NO_SEVERITY`.
    severities: &'a [u8],
    /// Inbound thresholds (`NONE_VALUE`: none shown).
    thresholds: Column<'a>,
}

/// Reads a block front to back.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn bytes(&mut self, length: usize) -> Result<&'a [u8], BlockError> {
        if self.0.len() < length {
            return Err(BlockError("truncated"));
        }
        let (bytes, rest) = self.0.split_at(length);
        self.0 = rest;
        Ok(bytes)
    }

    fn u32(&mut self) -> Result<u32, BlockError> {
        Ok(u32::from_le_bytes(self.bytes(4)?.try_into().expect("4 bytes")))
    }

    fn u64(&mut self) -> Result<u64, BlockError> {
        Ok(u64::from_le_bytes(self.bytes(8)?.try_into().expect("8 bytes")))
    }

    /// A column written by `put_column`.
    fn column(&mut self) -> Result<Column<'a>, BlockError> {
        let count = self.u32()? as usize;
        let width = usize::from(self.bytes(1)?[0]);
        if ![1, 2, 4, 8].contains(&width) {
            return Err(BlockError("column width"));
        }
        Ok(Column { width, bytes: self.bytes(count.checked_mul(width).ok_or(BlockError("count"))?)? })
    }

    /// A dictionary written by `put_strings`.
    fn strings(&mut self) -> Result<Strings<'a>, BlockError> {
        let offsets = self.column()?;
        let count = offsets.len();
        if count == 0 || offsets.get(0) != 0 {
            return Err(BlockError("dictionary offsets"));
        }
        let text = self.bytes(offsets.index(count - 1))?;
        Ok(Strings { text, offsets })
    }

    /// Total, blocked and detected columns of exactly `entries` values.
    fn counts(&mut self, entries: usize) -> Result<[Column<'a>; 3], BlockError> {
        Ok([self.rows(entries)?, self.rows(entries)?, self.rows(entries)?])
    }

    /// A column of exactly `rows` values.
    fn rows(&mut self, rows: usize) -> Result<Column<'a>, BlockError> {
        let column = self.column()?;
        if column.len() != rows {
            return Err(BlockError("a column's length is not the block's"));
        }
        Ok(column)
    }
}

impl<'a> Block<'a> {
    /// Reads the block's layout (O(dictionary size); the rows are read by queries).
    pub fn decode(bytes: &'a [u8]) -> Result<Block<'a>, BlockError> {
        let (&format, rest) = bytes.split_first().ok_or(BlockError("empty"))?;
        if format != FORMAT && format != FORMAT_WITHOUT_ALERTS {
            return Err(BlockError("unknown format"));
        }
        let mut input = Reader(rest);
        let rows = input.u32()? as usize;
        let base_minute = input.u64()?;
        let first_id = input.u64()?;
        let mut strings: [Strings<'a>; STRINGS] = Default::default();
        for values in &mut strings {
            *values = input.strings()?;
        }
        let statuses = input.column()?;
        let scores = input.column()?;
        let rules = input.column()?;
        let minutes = input.rows(rows)?;
        let actions = input.bytes(rows)?;
        let severities = input.bytes(rows)?;
        let mut codes: [Column<'a>; STRINGS] = Default::default();
        for column in &mut codes {
            *column = input.rows(rows)?;
        }
        let status_codes = input.rows(rows)?;
        let score_codes = input.rows(rows)?;
        let rule_starts = input.rows(rows + 1)?;
        let rule_codes = input.column()?;
        let ids = input.rows(rows)?;
        let mut totals = Totals::default();
        for (dimension, counts) in totals.strings.iter_mut().enumerate() {
            *counts = input.counts(strings[dimension].len())?;
        }
        totals.statuses = input.counts(statuses.len())?;
        totals.scores = input.counts(scores.len())?;
        totals.rules = input.counts(rules.len())?;
        totals.severities = input.counts(9)?;
        totals.minutes = input.column()?;
        totals.minute_counts = input.counts(totals.minutes.len())?;
        let mut alerts = AlertColumns::default();
        if format == FORMAT {
            alerts.known = input.bytes(1)?[0] == 1;
            alerts.variables = input.strings()?;
            alerts.starts = input.rows(rows + 1)?;
            alerts.rules = input.column()?;
            alerts.codes = input.rows(alerts.rules.len())?;
            let count = input.u32()? as usize;
            if count != alerts.rules.len() {
                return Err(BlockError("alert severities"));
            }
            alerts.severities = input.bytes(count)?;
            alerts.thresholds = input.rows(rows)?;
        }
        if !input.0.is_empty() {
            return Err(BlockError("trailing bytes"));
        }
        Ok(Block {
            rows,
            strings,
            statuses,
            scores,
            rules,
            base_minute,
            minutes,
            actions,
            severities,
            codes,
            status_codes,
            score_codes,
            rule_starts,
            rule_codes,
            first_id,
            ids,
            totals,
            alerts,
        })
    }

    #[inline]
    fn minute(&self, row: usize) -> u64 {
        self.base_minute.saturating_add(self.minutes.get(row))
    }

    /// Row `row`'s rule codes (empty when damaged).
    #[inline]
    fn row_rules(&self, row: usize) -> std::ops::Range<usize> {
        let (start, end) = (self.rule_starts.index(row), self.rule_starts.index(row + 1));
        if start <= end && end <= self.rule_codes.len() { start..end } else { 0..0 }
    }

    fn status(&self, code: usize) -> Option<Option<u16>> {
        (code < self.statuses.len()).then(|| u16::try_from(self.statuses.get(code)).ok())
    }

    fn score(&self, code: usize) -> Option<Option<u32>> {
        (code < self.scores.len()).then(|| u32::try_from(self.scores.get(code)).ok().filter(|score| *score != NONE_VALUE))
    }

    /// The facts again, ids ascending (to rewrite the block); an error when a code is damaged.
    pub fn facts(&self) -> Result<Vec<Fact>, BlockError> {
        const DAMAGED: BlockError = BlockError("a code outside its dictionary");
        let mut facts = Vec::with_capacity(self.rows);
        for row in 0..self.rows {
            let string = |dimension: usize| self.strings[dimension].get(self.codes[dimension].index(row)).map(str::to_owned).ok_or(DAMAGED);
            let action = action_of(self.actions[row]).ok_or(BlockError("action"))?;
            let mut rules = Vec::new();
            for at in self.row_rules(row) {
                let code = self.rule_codes.index(at);
                rules.push(u32::try_from(if code < self.rules.len() { self.rules.get(code) } else { return Err(DAMAGED) }).map_err(|_| BlockError("rule id"))?);
            }
            facts.push(Fact {
                id: self.first_id.wrapping_add(self.ids.get(row)),
                minute: self.minute(row),
                action,
                sensor: string(SENSOR)?,
                host: string(HOST)?,
                path: string(PATH)?,
                client_ip: string(IP)?,
                method: string(METHOD)?,
                status: self.status(self.status_codes.index(row)).ok_or(DAMAGED)?,
                severity: Severity::from_number(i64::from(self.severities[row])),
                score: self.score(self.score_codes.index(row)).ok_or(DAMAGED)?,
                rules,
                alerts: if self.alerts.known { Some(self.row_alerts(row).ok_or(DAMAGED)?) } else { None },
                threshold: self.threshold(row),
            });
        }
        facts.sort_by_key(|fact| fact.id);
        Ok(facts)
    }
}

/// A stats filter evaluated over blocks: the filter's conditions (its `from`/`to` must be the
/// window, whole minutes) and the preserved ids when it filters on `preserved`.
pub struct FactQuery<'a> {
    pub filter: &'a EventFilter,
    pub from_minute: u64,
    pub to_minute: u64,
    /// The timeline's bin width: minutes are counted at the start of their bin (one timeline
    /// entry per bin and block instead of one per minute).
    pub bin_minutes: u64,
    pub preserved: Option<&'a HashSet<u64>>,
}

impl FactQuery<'_> {
    /// Whether blocks can answer `filter`: every condition but triage (`state`, `tag`), the
    /// matched `variable` and a
    /// `path` prefix with a `?` or longer than a counted path could hold (those compare the
    /// whole URI).
    pub fn supports(filter: &EventFilter) -> bool {
        // triage changes after the fact: blocks do not hold it
        filter.state.is_none()
            && filter.tag.is_none()
            && filter.variable.is_none()
            && filter.path.as_ref().is_none_or(|condition| !condition.value.contains('?') && condition.value.len() + 3 < stats::MAX_PATH_BYTES)
    }

    /// Adds the events of `block` that pass to `accumulator`.
    pub fn accumulate(&self, block: &Block, accumulator: &mut StatsAccumulator) {
        let filter = self.filter;
        // the window is a range of rows (sorted by minute)
        let first = partition_point(block.rows, |row| block.minute(row) < self.from_minute);
        let end = partition_point(block.rows, |row| block.minute(row) < self.to_minute);
        if first >= end {
            return;
        }
        let window_only = *filter == EventFilter { from: filter.from, to: filter.to, ..EventFilter::default() };
        // unfiltered, and most of the block in the window: its totals less the rows outside
        if window_only && first + (block.rows - end) < end - first {
            self.accumulate_totals(block, first..end, accumulator);
            return;
        }
        let Some(rows) = RowFilter::new(self, block) else { return };
        let mut strings: [Vec<ActionCounts>; STRINGS] = std::array::from_fn(|dimension| vec![ActionCounts::default(); block.strings[dimension].len()]);
        let mut rules = vec![ActionCounts::default(); block.rules.len()];
        let mut statuses = vec![ActionCounts::default(); block.statuses.len()];
        let mut scores = vec![ActionCounts::default(); block.scores.len()];
        let mut severities = [ActionCounts::default(); 9];
        let mut bins = BinRun::new(self);
        for row in first..end {
            let Some(Passed { codes, status, score, action, severity, rules: row_rules }) = rows.passes(row) else { continue };
            let counts = ActionCounts::of(action);
            bins.add(block.minute(row), &counts, accumulator);
            for (dimension, code) in codes.into_iter().enumerate() {
                strings[dimension][code].add(&counts);
            }
            for at in row_rules {
                if let Some(counted) = rules.get_mut(block.rule_codes.index(at)) {
                    counted.add(&counts);
                }
            }
            statuses[status].add(&counts);
            scores[score].add(&counts);
            severities[if severity > 7 { 8 } else { usize::from(severity) }].add(&counts);
        }
        bins.finish(accumulator);
        add_code_counts(block, &CodeCounts { strings, rules, statuses, scores, severities: severities.to_vec() }, accumulator);
    }
}

/// A row that passed a [`RowFilter`], with its codes.
struct Passed {
    codes: [usize; STRINGS],
    status: usize,
    score: usize,
    action: Action,
    severity: u8,
    rules: std::ops::Range<usize>,
}

/// A query's conditions resolved against one block's dictionaries: string conditions once per
/// dictionary entry, then each row is a few table lookups.
struct RowFilter<'q, 'b> {
    query: &'q FactQuery<'q>,
    block: &'b Block<'b>,
    pass_strings: [Option<Vec<bool>>; STRINGS],
    pass_status: Option<Vec<bool>>,
    pass_score: Option<Vec<bool>>,
    rule_code: Option<(Option<usize>, bool)>,
    severity_wanted: Option<(u8, bool)>,
    action_wanted: Option<(Action, bool)>,
}

impl<'q, 'b> RowFilter<'q, 'b> {
    /// `None` when no row of the block can pass (a wanted value or rule is not in it).
    fn new(query: &'q FactQuery<'q>, block: &'b Block<'b>) -> Option<RowFilter<'q, 'b>> {
        let filter = query.filter;
        let pass_strings: [Option<Vec<bool>>; STRINGS] = [
            pass_values(&block.strings[SENSOR], filter.sensor.as_ref(), |value, wanted| value == wanted),
            pass_values(&block.strings[HOST], filter.host.as_ref(), |value, wanted| value.eq_ignore_ascii_case(wanted)),
            pass_values(&block.strings[PATH], filter.path.as_ref(), |value, wanted| value.starts_with(wanted.as_str())),
            pass_values(&block.strings[IP], filter.ip.as_ref(), |value, network| parse_client_ip(value).is_some_and(|address| network.contains(&address))),
            pass_values(&block.strings[METHOD], filter.method.as_ref(), |value, wanted| value.eq_ignore_ascii_case(wanted)),
        ];
        if pass_strings.iter().flatten().any(|pass| !pass.contains(&true)) {
            return None;
        }
        let pass_status = filter.status.as_ref().map(|condition| {
            (0..block.statuses.len()).map(|code| condition.test(block.statuses.get(code) == u64::from(condition.value))).collect::<Vec<bool>>()
        });
        let pass_score = filter
            .score
            .as_ref()
            .map(|condition| (0..block.scores.len()).map(|code| condition.test(condition.value.selects(block.score(code).flatten()))).collect::<Vec<bool>>());
        // the rule's code in this block, if the filter names one and the block has it
        let rule_code =
            filter.rule.as_ref().map(|condition| ((0..block.rules.len()).find(|code| block.rules.get(*code) == u64::from(condition.value)), condition.negated));
        if let Some((None, false)) = rule_code {
            return None;
        }
        let severity_wanted = filter.severity.as_ref().map(|condition| (condition.value.as_u8(), condition.negated));
        let action_wanted = filter.action.as_ref().map(|condition| (condition.value, condition.negated));
        Some(RowFilter { query, block, pass_strings, pass_status, pass_score, rule_code, severity_wanted, action_wanted })
    }

    /// Row `row` with its codes, if it passes (damaged codes never pass).
    fn passes(&self, row: usize) -> Option<Passed> {
        let block = self.block;
        let mut codes = [0usize; STRINGS];
        for (dimension, code) in codes.iter_mut().enumerate() {
            *code = block.codes[dimension].index(row);
            if *code >= block.strings[dimension].len() || self.pass_strings[dimension].as_ref().is_some_and(|pass| !pass[*code]) {
                return None;
            }
        }
        let (status, score) = (block.status_codes.index(row), block.score_codes.index(row));
        if status >= block.statuses.len() || score >= block.scores.len() {
            return None;
        }
        if self.pass_status.as_ref().is_some_and(|pass| !pass[status]) || self.pass_score.as_ref().is_some_and(|pass| !pass[score]) {
            return None;
        }
        let rules = block.row_rules(row);
        if let Some((code, negated)) = self.rule_code
            && code.is_some_and(|code| rules.clone().any(|at| block.rule_codes.index(at) == code)) == negated
        {
            return None;
        }
        let action = action_of(block.actions[row])?;
        let severity = block.severities[row];
        if self.severity_wanted.is_some_and(|(wanted, negated)| (severity == wanted) == negated)
            || self.action_wanted.is_some_and(|(wanted, negated)| (action == wanted) == negated)
        {
            return None;
        }
        if let (Some(wanted), Some(preserved)) = (self.query.filter.preserved, self.query.preserved)
            && preserved.contains(&block.first_id.wrapping_add(block.ids.get(row))) != wanted
        {
            return None;
        }
        Some(Passed { codes, status, score, action, severity, rules })
    }
}

impl FactQuery<'_> {
    /// Adds the rows `inside` of a block (the unfiltered window's) from the block's totals, less
    /// the rows outside: cheaper than counting the rows when few are outside.
    fn accumulate_totals(&self, block: &Block, inside: std::ops::Range<usize>, accumulator: &mut StatsAccumulator) {
        let counts_at = |columns: &[Column; 3], index: usize| {
            let (total, blocked, detected) = (columns[0].get(index), columns[1].get(index), columns[2].get(index));
            ActionCounts { total, blocked, detected, passed: total.saturating_sub(blocked).saturating_sub(detected) }
        };
        let totals_of = |columns: &[Column; 3], entries: usize| (0..entries).map(|index| counts_at(columns, index)).collect::<Vec<ActionCounts>>();
        let mut strings: [Vec<ActionCounts>; STRINGS] =
            std::array::from_fn(|dimension| totals_of(&block.totals.strings[dimension], block.strings[dimension].len()));
        let mut rules = totals_of(&block.totals.rules, block.rules.len());
        let mut statuses = totals_of(&block.totals.statuses, block.statuses.len());
        let mut scores = totals_of(&block.totals.scores, block.scores.len());
        let mut severities = totals_of(&block.totals.severities, 9);
        let take = |counts: &mut Vec<ActionCounts>, code: usize, gone: &ActionCounts| {
            if let Some(counts) = counts.get_mut(code) {
                counts.subtract(gone);
            }
        };
        for row in (0..inside.start).chain(inside.end..block.rows) {
            // (a damaged action byte was counted as passed in the totals)
            let action = action_of(block.actions[row]).unwrap_or(Action::Passed);
            let gone = ActionCounts::of(action);
            for (dimension, counts) in strings.iter_mut().enumerate() {
                take(counts, block.codes[dimension].index(row), &gone);
            }
            for at in block.row_rules(row) {
                take(&mut rules, block.rule_codes.index(at), &gone);
            }
            take(&mut statuses, block.status_codes.index(row), &gone);
            take(&mut scores, block.score_codes.index(row), &gone);
            take(&mut severities, usize::from(block.severities[row].min(8)), &gone);
        }
        let mut bins = BinRun::new(self);
        for index in 0..block.totals.minutes.len() {
            let minute = block.base_minute.saturating_add(block.totals.minutes.get(index));
            if minute < self.from_minute || minute >= self.to_minute {
                continue;
            }
            bins.add(minute, &counts_at(&block.totals.minute_counts, index), accumulator);
        }
        bins.finish(accumulator);
        add_code_counts(block, &CodeCounts { strings, rules, statuses, scores, severities }, accumulator);
    }
}

/// What the counted rows of one block add up to, per dictionary code.
struct CodeCounts {
    strings: [Vec<ActionCounts>; STRINGS],
    rules: Vec<ActionCounts>,
    statuses: Vec<ActionCounts>,
    scores: Vec<ActionCounts>,
    /// By syslog number, 8 = none.
    severities: Vec<ActionCounts>,
}

/// `value` in decimal, written into `buffer` (a rule id's key without allocating).
fn decimal(mut value: u64, buffer: &mut [u8; 20]) -> &[u8] {
    let mut start = buffer.len();
    loop {
        start -= 1;
        buffer[start] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            return &buffer[start..];
        }
    }
}

/// The codes that counted something, and their counts.
fn counted(values: &[ActionCounts]) -> impl Iterator<Item = (usize, &ActionCounts)> {
    values.iter().enumerate().filter(|(_, counts)| counts.total > 0)
}

/// Adds `counts` to `accumulator` under the values the codes stand for.
fn add_code_counts(block: &Block, counts: &CodeCounts, accumulator: &mut StatsAccumulator) {
    let dimensions = [(SENSOR, Dimension::Sensor), (HOST, Dimension::Host), (PATH, Dimension::Path), (IP, Dimension::ClientIp)];
    for (index, dimension) in dimensions {
        for (code, counts) in counted(&counts.strings[index]) {
            if let Some(value) = block.strings[index].bytes(code) {
                accumulator.add_value(dimension as u8, value, counts);
            }
        }
    }
    let mut digits = [0u8; 20];
    for (code, counts) in counted(&counts.rules) {
        accumulator.add_value(Dimension::Rule as u8, decimal(block.rules.get(code), &mut digits), counts);
    }
    for (code, counts) in counted(&counts.statuses) {
        accumulator.add_value(Dimension::Status as u8, stats::status_value(block.status(code).flatten()).as_bytes(), counts);
    }
    for (code, counts) in counted(&counts.scores) {
        accumulator.add_value(Dimension::Score as u8, stats::score_value(block.score(code).flatten()).as_bytes(), counts);
    }
    for (index, counts) in counted(&counts.severities) {
        accumulator.add_value(Dimension::Severity as u8, stats::severity_value(Severity::from_number(index as i64)).as_bytes(), counts);
    }
}

/// The first of `0..rows` for which `below` is false (`below` holds for a prefix).
fn partition_point(rows: usize, below: impl Fn(usize) -> bool) -> usize {
    let (mut low, mut high) = (0, rows);
    while low < high {
        let middle = low + (high - low) / 2;
        if below(middle) {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    low
}

/// Per code of `values`, whether `condition` passes it (`None` when not filtered on; a damaged
/// value never passes).
fn pass_values<T>(values: &Strings<'_>, condition: Option<&Condition<T>>, holds: impl Fn(&str, &T) -> bool) -> Option<Vec<bool>> {
    condition.map(|condition| (0..values.len()).map(|code| values.get(code).is_some_and(|value| condition.test(holds(value, &condition.value)))).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fact(id: u64, minute: u64, sensor: &str, ip: &str, rules: &[u32], action: Action) -> Fact {
        Fact {
            id,
            minute,
            action,
            sensor: sensor.to_owned(),
            host: "shop.example".to_owned(),
            path: format!("/p/{}", id % 3),
            client_ip: ip.to_owned(),
            method: "GET".to_owned(),
            status: id.is_multiple_of(2).then_some(403),
            severity: id.is_multiple_of(3).then_some(Severity::Critical),
            score: id.is_multiple_of(4).then_some(id as u32),
            rules: rules.to_vec(),
            alerts: Some(
                rules.iter().map(|rule| Alert { rule_id: *rule, variable: format!("ARGS:v{}", id % 4), severity: Some(Severity::Critical) }).collect(),
            ),
            threshold: id.is_multiple_of(4).then_some(5),
        }
    }

    fn sample() -> Vec<Fact> {
        (0..300u64)
            .map(|index| {
                let ip = format!("10.0.{}.{}", index % 7, index % 5);
                let rules: Vec<u32> = if index % 2 == 0 { vec![942100, 949110] } else { vec![] };
                let action = [Action::Blocked, Action::Detected, Action::Passed][(index % 3) as usize];
                // minutes go back and forth (imports of old logs)
                fact(1_000_000 + index * 997, 29_000_000 + (index * 37) % 50, if index % 4 == 0 { "web-02" } else { "web-01" }, &ip, &rules, action)
            })
            .collect()
    }

    #[test]
    fn blocks_round_trip() {
        let facts = sample();
        let encoded = encode_block(&facts);
        let block = Block::decode(&encoded).unwrap();
        assert_eq!(block.facts().unwrap(), facts);
        let span = Span::of(&facts);
        assert_eq!(Span::decode(&span.encode()).unwrap(), span);
        assert_eq!((span.min_minute, span.max_minute, span.events), (29_000_000, 29_000_049, 300));
    }

    #[test]
    fn decimal_keys() {
        let mut buffer = [0u8; 20];
        for value in [0, 7, 942100, u64::MAX] {
            assert_eq!(decimal(value, &mut buffer), value.to_string().as_bytes());
        }
    }

    #[test]
    fn damaged_blocks_are_errors_not_panics() {
        let encoded = encode_block(&sample());
        for cut in [0, 1, 2, encoded.len() / 2, encoded.len() - 1] {
            assert!(Block::decode(&encoded[..cut]).is_err(), "cut at {cut}");
        }
        let mut flipped = encoded.clone();
        flipped[0] = 9;
        assert!(Block::decode(&flipped).is_err());
        // every byte changed in turn is an error or a block that can be counted and read
        // back (perhaps wrongly), never a panic
        let filter = EventFilter::from_params(&HashMap::from([("rule".to_owned(), "942100".to_owned())])).unwrap();
        let query = FactQuery { filter: &filter, from_minute: 0, to_minute: u64::MAX, bin_minutes: 1, preserved: None };
        for at in (0..encoded.len()).step_by(3) {
            for change in [0xA5u8, 0xFF] {
                let mut damaged = encoded.clone();
                damaged[at] ^= change;
                if let Ok(block) = Block::decode(&damaged) {
                    query.accumulate(&block, &mut StatsAccumulator::default());
                    let _ = block.facts();
                }
            }
        }
    }

    /// The block answer for `params` equals adding the same events one by one.
    fn agree(params: &[(&str, &str)]) {
        agree_within(params, 29_000_010, 29_000_040);
        // a window that holds every block whole (unfiltered: read from the blocks' totals), and
        // one that leaves a few rows of each block out (totals less those rows)
        agree_within(params, 28_999_000, 29_001_000);
        agree_within(params, 29_000_003, 29_000_048);
    }

    fn agree_within(params: &[(&str, &str)], from: u64, to: u64) {
        let facts = sample();
        let map: HashMap<String, String> = params.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect();
        let filter = EventFilter::from_params(&map).unwrap();
        let preserved: HashSet<u64> = facts.iter().map(|fact| fact.id).filter(|id| id % 5 == 0).collect();
        let query = FactQuery { filter: &filter, from_minute: from, to_minute: to, bin_minutes: 5, preserved: Some(&preserved) };
        let mut from_block = StatsAccumulator::default();
        // two blocks, as the store would have them
        for half in facts.chunks(150) {
            let encoded = encode_block(half);
            query.accumulate(&Block::decode(&encoded).unwrap(), &mut from_block);
        }
        let mut one_by_one = StatsAccumulator::default();
        let mut selected = 0;
        for fact in &facts {
            let summary = summary_of(fact, preserved.contains(&fact.id));
            let mut windowed = filter.clone();
            windowed.from = Some(from as i64 * 60_000_000);
            windowed.to = Some(to as i64 * 60_000_000);
            if windowed.matches(&summary) {
                selected += 1;
                one_by_one.add_event(&summary, fact.minute);
            }
        }
        let (a, b) = (from_block.finish(from, to, 5, 100, "facts", true), one_by_one.finish(from, to, 5, 100, "facts", true));
        assert_eq!(a, b, "{params:?}");
        assert_eq!(a.totals.total, selected, "{params:?}");
    }

    fn summary_of(fact: &Fact, preserved: bool) -> EventSummary {
        EventSummary {
            id: fact.id,
            received_at: fact.id as i64,
            time: Some(fact.minute as i64 * 60_000_000 + 5),
            sensor: fact.sensor.clone(),
            unique_id: fact.id.to_string(),
            client_ip: fact.client_ip.clone(),
            host: fact.host.to_uppercase(),
            method: fact.method.to_lowercase(),
            uri: format!("{}?q=1", fact.path),
            status: fact.status,
            action: fact.action,
            rule_ids: fact.rules.clone(),
            max_severity: fact.severity,
            anomaly_score: fact.score,
            top_rule: None,
            top_message: None,
            parse_ok: true,
            format: Default::default(),
            warning_count: 0,
            hash_mismatch: false,
            revision: 0,
            preserved,
            alerts: fact.alerts.clone().unwrap_or_default(),
            inbound_threshold: fact.threshold,
            state: Default::default(),
            tags: Vec::new(),
            covered_by: None,
        }
    }

    #[test]
    fn every_filter_agrees_with_the_event_filter() {
        agree(&[]);
        agree(&[("sensor", "web-02")]);
        agree(&[("sensor", "!web-02")]);
        agree(&[("host", "SHOP.example")]);
        agree(&[("ip", "10.0.3.0/24")]);
        agree(&[("ip", "!10.0.3.4")]);
        agree(&[("rule", "942100")]);
        agree(&[("rule", "!942100")]);
        agree(&[("rule", "920350")]);
        agree(&[("rule", "!920350"), ("action", "blocked")]);
        agree(&[("status", "403"), ("severity", "critical")]);
        agree(&[("score", "8-100")]);
        agree(&[("score", "none")]);
        agree(&[("method", "get"), ("path", "/p/1")]);
        agree(&[("path", "!/p/2")]);
        agree(&[("preserved", "yes")]);
        agree(&[("preserved", "no"), ("sensor", "web-01")]);
        agree(&[("sensor", "nobody")]);
    }

    #[test]
    fn long_or_query_paths_are_left_to_the_scan() {
        let filter = |path: &str| EventFilter::from_params(&HashMap::from([("path".to_owned(), path.to_owned())])).unwrap();
        assert!(FactQuery::supports(&filter("/login")));
        assert!(!FactQuery::supports(&filter("/login?user=")));
        assert!(!FactQuery::supports(&filter(&format!("/{}", "a".repeat(300)))));
    }
}
