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

use crate::filter::{parse_client_ip, Condition, EventFilter};
use crate::stats::{self, ActionCounts, Dimension, StatsAccumulator};
use app::model::{Action, EventSummary, Severity};
use std::collections::{HashMap, HashSet};

/// Most events in one block.
pub const BLOCK_EVENTS: usize = 4096;
/// First byte of an encoded block.
const FORMAT: u8 = 1;
const ZSTD_LEVEL: i32 = 3;

/// The string dimensions of a fact, in block order.
const SENSOR: usize = 0;
const HOST: usize = 1;
const PATH: usize = 2;
const IP: usize = 3;
const METHOD: usize = 4;
const STRINGS: usize = 5;

/// What stats need of one event.
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// The distinct strings of one dimension of a block, in one allocation.
#[derive(Debug, Default)]
struct Strings {
    text: String,
    /// Value `code` is `text[offsets[code]..offsets[code + 1]]`.
    offsets: Vec<u32>,
}

impl Strings {
    fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    fn get(&self, code: usize) -> &str {
        &self.text[self.offsets[code] as usize..self.offsets[code + 1] as usize]
    }

    fn iter(&self) -> impl Iterator<Item = &str> {
        self.offsets.windows(2).map(|pair| &self.text[pair[0] as usize..pair[1] as usize])
    }
}

/// A decoded block: its dictionaries and one column per field, rows sorted by (minute, id).
#[derive(Debug, Default)]
pub struct Block {
    /// Each dimension's values: `strings[d].get(code)`.
    strings: [Strings; STRINGS],
    /// Status and score values (`NONE_VALUE` = the event had none).
    statuses: Vec<u32>,
    scores: Vec<u32>,
    rules: Vec<u32>,
    minutes: Vec<u64>,
    actions: Vec<Action>,
    /// Syslog number, or `NO_SEVERITY`.
    severities: Vec<u8>,
    codes: [Vec<u32>; STRINGS],
    status_codes: Vec<u32>,
    score_codes: Vec<u32>,
    /// Row `i`'s rule codes are `rule_codes[rule_starts[i]..rule_starts[i + 1]]`.
    rule_starts: Vec<u32>,
    rule_codes: Vec<u32>,
    ids: Vec<u64>,
}

const NONE_VALUE: u32 = u32::MAX;
const NO_SEVERITY: u8 = u8::MAX;

/// Appends to `output` the code of `value` in `dictionary` (adding it when new).
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
/// a window is a contiguous range of every block, zstd over the whole.
pub fn encode_block(facts: &[Fact]) -> Vec<u8> {
    let mut order: Vec<&Fact> = facts.iter().collect();
    order.sort_by_key(|fact| (fact.minute, fact.id));
    let mut dictionaries: [HashMap<&str, u32>; STRINGS] = Default::default();
    let mut ordered: [Vec<&str>; STRINGS] = Default::default();
    let (mut status_codes, mut statuses) = (HashMap::new(), Vec::new());
    let (mut score_codes, mut scores) = (HashMap::new(), Vec::new());
    let (mut rule_dictionary, mut rules) = (HashMap::new(), Vec::new());
    let base = order.first().map_or(0, |fact| fact.minute);
    let rows = order.len();
    let mut minutes = Vec::with_capacity(rows);
    let mut actions = Vec::with_capacity(rows);
    let mut severities = Vec::with_capacity(rows);
    let mut codes: [Vec<u32>; STRINGS] = Default::default();
    let (mut row_statuses, mut row_scores) = (Vec::with_capacity(rows), Vec::with_capacity(rows));
    let mut rule_starts = Vec::with_capacity(rows + 1);
    let mut rule_codes = Vec::new();
    let mut ids = Vec::with_capacity(rows);
    let first_id = order.iter().map(|fact| fact.id).min().unwrap_or(0);
    for fact in &order {
        // (a block spans far less than 8 000 years of minutes)
        minutes.push(u32::try_from(fact.minute - base).unwrap_or(u32::MAX));
        actions.push(match fact.action {
            Action::Blocked => 0u8,
            Action::Detected => 1,
            Action::Passed => 2,
        });
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
    let mut body = Vec::with_capacity(rows * 64 + 4096);
    body.extend_from_slice(&(rows as u32).to_le_bytes());
    body.extend_from_slice(&base.to_le_bytes());
    body.extend_from_slice(&first_id.to_le_bytes());
    for values in &ordered {
        let mut offsets = Vec::with_capacity(values.len() + 1);
        let mut end = 0u32;
        offsets.push(0);
        for value in values {
            end += value.len() as u32;
            offsets.push(end);
        }
        put_u32s(&mut body, &offsets);
        for value in values {
            body.extend_from_slice(value.as_bytes());
        }
    }
    put_u32s(&mut body, &statuses);
    put_u32s(&mut body, &scores);
    put_u32s(&mut body, &rules);
    put_u32s(&mut body, &minutes);
    body.extend_from_slice(&actions);
    body.extend_from_slice(&severities);
    for column in &codes {
        put_u32s(&mut body, column);
    }
    put_u32s(&mut body, &row_statuses);
    put_u32s(&mut body, &row_scores);
    put_u32s(&mut body, &rule_starts);
    put_u32s(&mut body, &rule_codes);
    put_column(&mut body, ids.iter().copied());
    let mut block = vec![FORMAT];
    block.extend_from_slice(&(body.len() as u64).to_le_bytes());
    block.extend_from_slice(&zstd::bulk::compress(&body, ZSTD_LEVEL).expect("compressing to memory"));
    block
}

/// Largest decompressed block accepted (a block of [`BLOCK_EVENTS`] is far smaller).
const MAX_BODY_BYTES: u64 = 256 << 20;

/// Reads a block body front to back.
struct Reader<'a>(&'a [u8]);

/// The values of a column 1, 2 or 4 bytes wide.
fn widen(width: usize, bytes: &[u8]) -> Vec<u32> {
    match width {
        1 => bytes.iter().map(|byte| u32::from(*byte)).collect(),
        2 => bytes.chunks_exact(2).map(|chunk| u32::from(u16::from_le_bytes([chunk[0], chunk[1]]))).collect(),
        _ => bytes.chunks_exact(4).map(|chunk| u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]])).collect(),
    }
}

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

    /// A column written by `put_column`: its width and bytes.
    fn raw_column(&mut self) -> Result<(usize, &'a [u8]), BlockError> {
        let count = self.u32()? as usize;
        let width = usize::from(self.bytes(1)?[0]);
        if ![1, 2, 4, 8].contains(&width) {
            return Err(BlockError("column width"));
        }
        Ok((width, self.bytes(count.checked_mul(width).ok_or(BlockError("count"))?)?))
    }

    fn column(&mut self) -> Result<Vec<u64>, BlockError> {
        let (width, bytes) = self.raw_column()?;
        Ok(match width {
            8 => bytes.chunks_exact(8).map(|chunk| u64::from_le_bytes(chunk.try_into().expect("8 bytes"))).collect(),
            _ => widen(width, bytes).into_iter().map(u64::from).collect(),
        })
    }

    /// A column of values that fit 32 bits.
    fn u32s(&mut self) -> Result<Vec<u32>, BlockError> {
        let (width, bytes) = self.raw_column()?;
        if width == 8 {
            return Err(BlockError("value over 32 bits"));
        }
        Ok(widen(width, bytes))
    }

    /// A column of exactly `rows` codes below `entries`.
    fn codes(&mut self, rows: usize, entries: usize) -> Result<Vec<u32>, BlockError> {
        let codes = self.u32s()?;
        if codes.len() != rows || codes.iter().any(|code| *code as usize >= entries) {
            return Err(BlockError("a code column does not fit its dictionary"));
        }
        Ok(codes)
    }
}

impl Block {
    pub fn decode(bytes: &[u8]) -> Result<Block, BlockError> {
        let (&format, rest) = bytes.split_first().ok_or(BlockError("empty"))?;
        if format != FORMAT {
            return Err(BlockError("unknown format"));
        }
        let mut header = Reader(rest);
        let length = header.u64()?;
        if length > MAX_BODY_BYTES {
            return Err(BlockError("too large"));
        }
        let body = zstd::bulk::decompress(header.0, length as usize).map_err(|_| BlockError("does not decompress"))?;
        let mut input = Reader(&body);
        let rows = input.u32()? as usize;
        let base = input.u64()?;
        let first_id = input.u64()?;
        let mut block = Block::default();
        for values in &mut block.strings {
            let offsets = input.u32s()?;
            if offsets.first() != Some(&0) || offsets.windows(2).any(|pair| pair[0] > pair[1]) {
                return Err(BlockError("dictionary offsets"));
            }
            let text = input.bytes(*offsets.last().expect("not empty") as usize)?;
            let text = std::str::from_utf8(text).map_err(|_| BlockError("a value is not UTF-8"))?;
            if offsets.iter().any(|offset| !text.is_char_boundary(*offset as usize)) {
                return Err(BlockError("dictionary offsets"));
            }
            *values = Strings { text: text.to_owned(), offsets };
        }
        block.statuses = input.u32s()?;
        block.scores = input.u32s()?;
        block.rules = input.u32s()?;
        if block.statuses.iter().any(|status| *status != NONE_VALUE && *status > u32::from(u16::MAX)) {
            return Err(BlockError("status"));
        }
        let minutes = input.u32s()?;
        if minutes.len() != rows || minutes.windows(2).any(|pair| pair[0] > pair[1]) {
            return Err(BlockError("minutes"));
        }
        block.minutes = minutes.into_iter().map(|minute| base.saturating_add(u64::from(minute))).collect();
        block.actions = input
            .bytes(rows)?
            .iter()
            .map(|action| match action {
                0 => Ok(Action::Blocked),
                1 => Ok(Action::Detected),
                2 => Ok(Action::Passed),
                _ => Err(BlockError("action")),
            })
            .collect::<Result<_, _>>()?;
        block.severities = input.bytes(rows)?.to_vec();
        if block.severities.iter().any(|severity| *severity > 7 && *severity != NO_SEVERITY) {
            return Err(BlockError("severity"));
        }
        for dimension in 0..STRINGS {
            block.codes[dimension] = input.codes(rows, block.strings[dimension].len())?;
        }
        block.status_codes = input.codes(rows, block.statuses.len())?;
        block.score_codes = input.codes(rows, block.scores.len())?;
        block.rule_starts = input.u32s()?;
        block.rule_codes = input.u32s()?;
        if block.rule_starts.len() != rows + 1
            || block.rule_starts.first() != Some(&0)
            || block.rule_starts.windows(2).any(|pair| pair[0] > pair[1])
            || block.rule_starts.last().copied() != Some(block.rule_codes.len() as u32)
            || block.rule_codes.iter().any(|code| *code as usize >= block.rules.len())
        {
            return Err(BlockError("rule columns"));
        }
        let ids = input.column()?;
        if ids.len() != rows {
            return Err(BlockError("ids"));
        }
        block.ids = ids.into_iter().map(|id| first_id.saturating_add(id)).collect();
        if !input.0.is_empty() {
            return Err(BlockError("trailing bytes"));
        }
        Ok(block)
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The ids, in the block's order (by minute).
    pub fn ids(&self) -> impl Iterator<Item = u64> + '_ {
        self.ids.iter().copied()
    }

    fn row_rules(&self, row: usize) -> &[u32] {
        &self.rule_codes[self.rule_starts[row] as usize..self.rule_starts[row + 1] as usize]
    }

    /// The facts again, ids ascending (to rewrite the block).
    pub fn facts(&self) -> Vec<Fact> {
        let mut facts: Vec<Fact> = (0..self.len())
            .map(|row| {
                let string = |dimension: usize| self.strings[dimension].get(self.codes[dimension][row] as usize).to_owned();
                let status = self.statuses[self.status_codes[row] as usize];
                let score = self.scores[self.score_codes[row] as usize];
                Fact {
                    id: self.ids[row],
                    minute: self.minutes[row],
                    action: self.actions[row],
                    sensor: string(SENSOR),
                    host: string(HOST),
                    path: string(PATH),
                    client_ip: string(IP),
                    method: string(METHOD),
                    status: (status != NONE_VALUE).then_some(status as u16),
                    severity: Severity::from_number(i64::from(self.severities[row])),
                    score: (score != NONE_VALUE).then_some(score),
                    rules: self.row_rules(row).iter().map(|code| self.rules[*code as usize]).collect(),
                }
            })
            .collect();
        facts.sort_by_key(|fact| fact.id);
        facts
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
    /// Whether blocks can answer `filter`: every condition but a `path` prefix with a `?` or
    /// longer than a counted path could hold (those compare the whole URI).
    pub fn supports(filter: &EventFilter) -> bool {
        filter.path.as_ref().is_none_or(|condition| !condition.value.contains('?') && condition.value.len() + 3 < stats::MAX_PATH_BYTES)
    }

    /// Adds the events of `block` that pass to `accumulator`.
    pub fn accumulate(&self, block: &Block, accumulator: &mut StatsAccumulator) {
        let filter = self.filter;
        // the window is a range of rows (sorted by minute)
        let first = block.minutes.partition_point(|minute| *minute < self.from_minute);
        let end = block.minutes.partition_point(|minute| *minute < self.to_minute);
        if first >= end {
            return;
        }
        let pass_strings: [Option<Vec<bool>>; STRINGS] = [
            pass_values(&block.strings[SENSOR], filter.sensor.as_ref(), |value, wanted| value == wanted),
            pass_values(&block.strings[HOST], filter.host.as_ref(), |value, wanted| value.eq_ignore_ascii_case(wanted)),
            pass_values(&block.strings[PATH], filter.path.as_ref(), |value, wanted| value.starts_with(wanted.as_str())),
            pass_values(&block.strings[IP], filter.ip.as_ref(), |value, network| parse_client_ip(value).is_some_and(|address| network.contains(&address))),
            pass_values(&block.strings[METHOD], filter.method.as_ref(), |value, wanted| value.eq_ignore_ascii_case(wanted)),
        ];
        if pass_strings.iter().flatten().any(|pass| !pass.contains(&true)) {
            return;
        }
        let pass_status = filter.status.as_ref().map(|condition| block.statuses.iter().map(|status| condition.test(*status == u32::from(condition.value))).collect::<Vec<bool>>());
        let pass_score = filter
            .score
            .as_ref()
            .map(|condition| block.scores.iter().map(|score| condition.test(condition.value.selects((*score != NONE_VALUE).then_some(*score)))).collect::<Vec<bool>>());
        // the rule's code in this block, if the filter names one and the block has it
        let rule_code = filter.rule.as_ref().map(|condition| (block.rules.iter().position(|rule| *rule == condition.value).map(|code| code as u32), condition.negated));
        if let Some((None, false)) = rule_code {
            return;
        }
        let severity_wanted = filter.severity.as_ref().map(|condition| (condition.value.as_u8(), condition.negated));
        let action_wanted = filter.action.as_ref().map(|condition| (condition.value, condition.negated));
        let mut strings: [Vec<ActionCounts>; STRINGS] = std::array::from_fn(|dimension| vec![ActionCounts::default(); block.strings[dimension].len()]);
        let mut rules = vec![ActionCounts::default(); block.rules.len()];
        let mut statuses = vec![ActionCounts::default(); block.statuses.len()];
        let mut scores = vec![ActionCounts::default(); block.scores.len()];
        let mut severities = [ActionCounts::default(); 9];
        let mut minute_run: Option<(u64, ActionCounts)> = None;
        let bin = self.bin_minutes.max(1);
        'rows: for row in first..end {
            for (dimension, pass) in pass_strings.iter().enumerate() {
                if let Some(pass) = pass
                    && !pass[block.codes[dimension][row] as usize]
                {
                    continue 'rows;
                }
            }
            if pass_status.as_ref().is_some_and(|pass| !pass[block.status_codes[row] as usize]) || pass_score.as_ref().is_some_and(|pass| !pass[block.score_codes[row] as usize]) {
                continue;
            }
            let row_rules = block.row_rules(row);
            if let Some((code, negated)) = rule_code
                && code.is_some_and(|code| row_rules.contains(&code)) == negated
            {
                continue;
            }
            if severity_wanted.is_some_and(|(wanted, negated)| (block.severities[row] == wanted) == negated) || action_wanted.is_some_and(|(wanted, negated)| (block.actions[row] == wanted) == negated) {
                continue;
            }
            if let (Some(wanted), Some(preserved)) = (filter.preserved, self.preserved)
                && preserved.contains(&block.ids[row]) != wanted
            {
                continue;
            }
            let counts = ActionCounts::of(block.actions[row]);
            let minute = self.from_minute + (block.minutes[row] - self.from_minute) / bin * bin;
            match &mut minute_run {
                Some((known, run)) if *known == minute => run.add(&counts),
                _ => {
                    if let Some((known, run)) = minute_run.take() {
                        accumulator.add_minute(known, &run);
                    }
                    minute_run = Some((minute, counts));
                }
            }
            for (dimension, column) in block.codes.iter().enumerate() {
                strings[dimension][column[row] as usize].add(&counts);
            }
            for code in row_rules {
                rules[*code as usize].add(&counts);
            }
            statuses[block.status_codes[row] as usize].add(&counts);
            scores[block.score_codes[row] as usize].add(&counts);
            let severity = block.severities[row];
            severities[if severity == NO_SEVERITY { 8 } else { usize::from(severity) }].add(&counts);
        }
        if let Some((minute, run)) = minute_run {
            accumulator.add_minute(minute, &run);
        }
        let counted = [(SENSOR, Dimension::Sensor), (HOST, Dimension::Host), (PATH, Dimension::Path), (IP, Dimension::ClientIp)];
        for (index, dimension) in counted {
            for (code, counts) in strings[index].iter().enumerate().filter(|(_, counts)| counts.total > 0) {
                accumulator.add_value(dimension as u8, block.strings[index].get(code).as_bytes(), counts);
            }
        }
        for (code, counts) in rules.iter().enumerate().filter(|(_, counts)| counts.total > 0) {
            accumulator.add_value(Dimension::Rule as u8, block.rules[code].to_string().as_bytes(), counts);
        }
        for (code, counts) in statuses.iter().enumerate().filter(|(_, counts)| counts.total > 0) {
            let status = block.statuses[code];
            accumulator.add_value(Dimension::Status as u8, stats::status_value((status != NONE_VALUE).then_some(status as u16)).as_bytes(), counts);
        }
        for (index, counts) in severities.iter().enumerate().filter(|(_, counts)| counts.total > 0) {
            let severity = Severity::from_number(index as i64);
            accumulator.add_value(Dimension::Severity as u8, stats::severity_value(severity).as_bytes(), counts);
        }
        for (code, counts) in scores.iter().enumerate().filter(|(_, counts)| counts.total > 0) {
            let score = block.scores[code];
            accumulator.add_value(Dimension::Score as u8, stats::score_value((score != NONE_VALUE).then_some(score)).as_bytes(), counts);
        }
    }
}

/// Whether each dictionary value passes `condition` (`None` when not filtered on).
fn pass_values<T>(values: &Strings, condition: Option<&Condition<T>>, holds: impl Fn(&str, &T) -> bool) -> Option<Vec<bool>> {
    condition.map(|condition| values.iter().map(|value| condition.test(holds(value, &condition.value))).collect())
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
            status: (id % 2 == 0).then_some(403),
            severity: (id % 3 == 0).then_some(Severity::Critical),
            score: (id % 4 == 0).then_some(id as u32),
            rules: rules.to_vec(),
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
        let block = Block::decode(&encode_block(&facts)).unwrap();
        assert_eq!(block.facts(), facts);
        let mut ids: Vec<u64> = block.ids().collect();
        ids.sort();
        assert_eq!(ids, facts.iter().map(|fact| fact.id).collect::<Vec<_>>());
        let span = Span::of(&facts);
        assert_eq!(Span::decode(&span.encode()).unwrap(), span);
        assert_eq!((span.min_minute, span.max_minute, span.events), (29_000_000, 29_000_049, 300));
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
        // a body that decompresses but lies: every byte changed in turn is an error or a block
        // that can be counted, never a panic
        let body = zstd::bulk::decompress(&encoded[9..], 1 << 20).unwrap();
        let filter = EventFilter::from_params(&HashMap::from([("rule".to_owned(), "942100".to_owned())])).unwrap();
        let query = FactQuery { filter: &filter, from_minute: 0, to_minute: u64::MAX, bin_minutes: 1, preserved: None };
        let mut undamaged = 0;
        for at in (0..body.len()).step_by(7) {
            let mut damaged = body.clone();
            damaged[at] ^= 0xA5;
            let mut block = vec![FORMAT];
            block.extend_from_slice(&(damaged.len() as u64).to_le_bytes());
            block.extend_from_slice(&zstd::bulk::compress(&damaged, 1).unwrap());
            if let Ok(block) = Block::decode(&block) {
                undamaged += 1;
                query.accumulate(&block, &mut StatsAccumulator::default());
                let _ = block.facts();
            }
        }
        assert!(undamaged < body.len() / 7, "most damage is noticed");
    }

    /// The block answer for `params` equals adding the same events one by one.
    fn agree(params: &[(&str, &str)]) {
        let facts = sample();
        let map: HashMap<String, String> = params.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect();
        let filter = EventFilter::from_params(&map).unwrap();
        let preserved: HashSet<u64> = facts.iter().map(|fact| fact.id).filter(|id| id % 5 == 0).collect();
        let (from, to) = (29_000_010, 29_000_040);
        let query = FactQuery { filter: &filter, from_minute: from, to_minute: to, bin_minutes: 5, preserved: Some(&preserved) };
        let mut from_block = StatsAccumulator::default();
        // two blocks, as the store would have them
        for half in facts.chunks(150) {
            query.accumulate(&Block::decode(&encode_block(half)).unwrap(), &mut from_block);
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
