//! Fact blocks (pure): what the dashboard counts of each event, dictionary-encoded in blocks
//! of up to [`BLOCK_EVENTS`] events in id order, and the evaluation of `/api/v1/stats`
//! filters over them.
//!
//! Why blocks and not counters: counters keyed by (minute, dimension, value) need one row per
//! distinct value per minute, and with a long tail of client IPs and paths that was most of the
//! data dir (53 % at 100 000 events) and most of the writer's flush; rule- or IP-filtered
//! counters would multiply it again. A block stores each distinct string once and each event
//! as a few varints (about 10–20 bytes compressed), so any filter of the stats API is answered
//! by decoding the blocks of its window, and a block whose dictionary lacks the filtered
//! value costs a few lookups.

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
            last_id: facts.last().map_or(0, |fact| fact.id),
            min_minute: facts.iter().map(|fact| fact.minute).min().unwrap_or(0),
            max_minute: facts.iter().map(|fact| fact.minute).max().unwrap_or(0),
            events: facts.len() as u32,
        }
    }
}

/// One event of a decoded block: dictionary codes instead of strings.
#[derive(Debug, Clone, Copy)]
struct Row {
    id: u64,
    minute: u64,
    action: Action,
    codes: [u32; STRINGS],
    status: Option<u16>,
    severity: Option<Severity>,
    score: Option<u32>,
    /// Range of the block's `row_rules`.
    rules: (u32, u32),
}

/// A decoded block.
#[derive(Debug, Default)]
pub struct Block {
    strings: [Vec<String>; STRINGS],
    rules: Vec<u32>,
    rows: Vec<Row>,
    /// Rule codes of every row, concatenated.
    row_rules: Vec<u32>,
}

const ACTION_BITS: u8 = 0b11;
const HAS_STATUS: u8 = 1 << 2;
const HAS_SEVERITY: u8 = 1 << 3;
const HAS_SCORE: u8 = 1 << 4;

/// Encodes `facts` (ids ascending) as one block.
pub fn encode_block(facts: &[Fact]) -> Vec<u8> {
    let mut dictionaries: [HashMap<&str, u32>; STRINGS] = Default::default();
    let mut ordered: [Vec<&str>; STRINGS] = Default::default();
    let mut rule_codes: HashMap<u32, u32> = HashMap::new();
    let mut rules: Vec<u32> = Vec::new();
    let mut rows = Vec::with_capacity(facts.len() * 16);
    let mut previous_id = 0u64;
    let mut previous_minute = 0u64;
    for fact in facts {
        put_varint(&mut rows, fact.id.wrapping_sub(previous_id));
        put_varint(&mut rows, zigzag(fact.minute.wrapping_sub(previous_minute) as i64));
        previous_id = fact.id;
        previous_minute = fact.minute;
        let mut flags = match fact.action {
            Action::Blocked => 0,
            Action::Detected => 1,
            Action::Passed => 2,
        };
        flags |= if fact.status.is_some() { HAS_STATUS } else { 0 };
        flags |= if fact.severity.is_some() { HAS_SEVERITY } else { 0 };
        flags |= if fact.score.is_some() { HAS_SCORE } else { 0 };
        rows.push(flags);
        for (dimension, value) in fact.strings().into_iter().enumerate() {
            let next = dictionaries[dimension].len() as u32;
            let code = *dictionaries[dimension].entry(value).or_insert_with(|| {
                ordered[dimension].push(value);
                next
            });
            put_varint(&mut rows, u64::from(code));
        }
        if let Some(status) = fact.status {
            put_varint(&mut rows, u64::from(status));
        }
        if let Some(severity) = fact.severity {
            rows.push(severity.as_u8());
        }
        if let Some(score) = fact.score {
            put_varint(&mut rows, u64::from(score));
        }
        put_varint(&mut rows, fact.rules.len() as u64);
        for rule in &fact.rules {
            let next = rules.len() as u32;
            let code = *rule_codes.entry(*rule).or_insert_with(|| {
                rules.push(*rule);
                next
            });
            put_varint(&mut rows, u64::from(code));
        }
    }
    let mut body = Vec::with_capacity(rows.len() + 4096);
    put_varint(&mut body, facts.len() as u64);
    for values in &ordered {
        put_varint(&mut body, values.len() as u64);
        for value in values {
            put_varint(&mut body, value.len() as u64);
            body.extend_from_slice(value.as_bytes());
        }
    }
    put_varint(&mut body, rules.len() as u64);
    for rule in &rules {
        put_varint(&mut body, u64::from(*rule));
    }
    body.extend_from_slice(&rows);
    let mut block = vec![FORMAT];
    put_varint(&mut block, body.len() as u64);
    block.extend_from_slice(&zstd::bulk::compress(&body, ZSTD_LEVEL).expect("compressing to memory"));
    block
}

/// Largest decompressed block accepted (a block of [`BLOCK_EVENTS`] is far smaller).
const MAX_BODY_BYTES: u64 = 256 << 20;

impl Block {
    pub fn decode(bytes: &[u8]) -> Result<Block, BlockError> {
        let (&format, mut rest) = bytes.split_first().ok_or(BlockError("empty"))?;
        if format != FORMAT {
            return Err(BlockError("unknown format"));
        }
        let length = take_varint(&mut rest)?;
        if length > MAX_BODY_BYTES {
            return Err(BlockError("too large"));
        }
        let body = zstd::bulk::decompress(rest, length as usize).map_err(|_| BlockError("does not decompress"))?;
        let mut input = body.as_slice();
        let count = take_count(&mut input)?;
        let mut block = Block::default();
        for values in &mut block.strings {
            let entries = take_count(&mut input)?;
            values.reserve(entries);
            for _ in 0..entries {
                let length = take_count(&mut input)?;
                let bytes = take_bytes(&mut input, length)?;
                values.push(String::from_utf8(bytes.to_vec()).map_err(|_| BlockError("a value is not UTF-8"))?);
            }
        }
        let rules = take_count(&mut input)?;
        for _ in 0..rules {
            block.rules.push(u32::try_from(take_varint(&mut input)?).map_err(|_| BlockError("rule id"))?);
        }
        block.rows.reserve(count);
        let (mut id, mut minute) = (0u64, 0u64);
        for _ in 0..count {
            id = id.wrapping_add(take_varint(&mut input)?);
            minute = minute.wrapping_add(unzigzag(take_varint(&mut input)?) as u64);
            let flags = *take_bytes(&mut input, 1)?.first().expect("one byte");
            let action = match flags & ACTION_BITS {
                0 => Action::Blocked,
                1 => Action::Detected,
                2 => Action::Passed,
                _ => return Err(BlockError("action")),
            };
            let mut codes = [0u32; STRINGS];
            for (dimension, code) in codes.iter_mut().enumerate() {
                *code = take_code(&mut input, block.strings[dimension].len())?;
            }
            let status = if flags & HAS_STATUS != 0 { Some(u16::try_from(take_varint(&mut input)?).map_err(|_| BlockError("status"))?) } else { None };
            let severity = if flags & HAS_SEVERITY != 0 {
                let number = take_bytes(&mut input, 1)?[0];
                Some(Severity::from_number(i64::from(number)).ok_or(BlockError("severity"))?)
            } else {
                None
            };
            let score = if flags & HAS_SCORE != 0 { Some(u32::try_from(take_varint(&mut input)?).map_err(|_| BlockError("score"))?) } else { None };
            let start = block.row_rules.len() as u32;
            for _ in 0..take_count(&mut input)? {
                let code = take_code(&mut input, block.rules.len())?;
                block.row_rules.push(code);
            }
            block.rows.push(Row { id, minute, action, codes, status, severity, score, rules: (start, block.row_rules.len() as u32) });
        }
        if !input.is_empty() {
            return Err(BlockError("trailing bytes"));
        }
        Ok(block)
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn ids(&self) -> impl Iterator<Item = u64> + '_ {
        self.rows.iter().map(|row| row.id)
    }

    /// The facts again (to rewrite the block).
    pub fn facts(&self) -> Vec<Fact> {
        self.rows
            .iter()
            .map(|row| {
                let string = |dimension: usize| self.strings[dimension][row.codes[dimension] as usize].clone();
                Fact {
                    id: row.id,
                    minute: row.minute,
                    action: row.action,
                    sensor: string(SENSOR),
                    host: string(HOST),
                    path: string(PATH),
                    client_ip: string(IP),
                    method: string(METHOD),
                    status: row.status,
                    severity: row.severity,
                    score: row.score,
                    rules: self.row_rules[row.rules.0 as usize..row.rules.1 as usize].iter().map(|code| self.rules[*code as usize]).collect(),
                }
            })
            .collect()
    }
}

/// A stats filter evaluated over blocks: the filter's conditions (its `from`/`to` must be the
/// window, whole minutes) and the preserved ids when it filters on `preserved`.
pub struct FactQuery<'a> {
    pub filter: &'a EventFilter,
    pub from_minute: u64,
    pub to_minute: u64,
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
        let pass_strings: [Option<Vec<bool>>; STRINGS] = [
            pass_values(&block.strings[SENSOR], filter.sensor.as_ref(), |value, wanted| value == wanted),
            pass_values(&block.strings[HOST], filter.host.as_ref(), |value, wanted| value.eq_ignore_ascii_case(wanted)),
            pass_values(&block.strings[PATH], filter.path.as_ref(), |value, wanted| value.starts_with(wanted.as_str())),
            pass_values(&block.strings[IP], filter.ip.as_ref(), |value, network| parse_client_ip(value).is_some_and(|address| network.contains(&address))),
            pass_values(&block.strings[METHOD], filter.method.as_ref(), |value, wanted| value.eq_ignore_ascii_case(wanted)),
        ];
        // the rule's code in this block, if the filter names one and the block has it
        let rule_code = filter.rule.as_ref().map(|condition| (block.rules.iter().position(|rule| *rule == condition.value).map(|code| code as u32), condition.negated));
        if let Some((None, false)) = rule_code {
            return;
        }
        if pass_strings.iter().flatten().any(|pass| !pass.contains(&true)) {
            return;
        }
        let mut strings: [Vec<ActionCounts>; STRINGS] = std::array::from_fn(|dimension| vec![ActionCounts::default(); block.strings[dimension].len()]);
        let mut rules = vec![ActionCounts::default(); block.rules.len()];
        let mut statuses: HashMap<Option<u16>, ActionCounts> = HashMap::new();
        let mut severities = [ActionCounts::default(); 9];
        let mut scores: HashMap<Option<u32>, ActionCounts> = HashMap::new();
        let mut minute_run: Option<(u64, ActionCounts)> = None;
        for row in &block.rows {
            if row.minute < self.from_minute || row.minute >= self.to_minute {
                continue;
            }
            if !pass_strings.iter().zip(row.codes).all(|(pass, code)| pass.as_ref().is_none_or(|pass| pass[code as usize])) {
                continue;
            }
            let row_rules = &block.row_rules[row.rules.0 as usize..row.rules.1 as usize];
            if let Some((code, negated)) = rule_code
                && code.is_some_and(|code| row_rules.contains(&code)) == negated
            {
                continue;
            }
            if !passes(filter.severity.as_ref(), |wanted| row.severity == Some(*wanted))
                || !passes(filter.status.as_ref(), |wanted| row.status == Some(*wanted))
                || !passes(filter.action.as_ref(), |wanted| row.action == *wanted)
                || !passes(filter.score.as_ref(), |wanted| wanted.selects(row.score))
            {
                continue;
            }
            if let (Some(wanted), Some(preserved)) = (filter.preserved, self.preserved)
                && preserved.contains(&row.id) != wanted
            {
                continue;
            }
            let counts = ActionCounts::of(row.action);
            match &mut minute_run {
                Some((minute, run)) if *minute == row.minute => run.add(&counts),
                _ => {
                    if let Some((minute, run)) = minute_run.take() {
                        accumulator.add_minute(minute, &run);
                    }
                    minute_run = Some((row.minute, counts));
                }
            }
            for (dimension, code) in row.codes.iter().enumerate() {
                strings[dimension][*code as usize].add(&counts);
            }
            for code in row_rules {
                rules[*code as usize].add(&counts);
            }
            statuses.entry(row.status).or_default().add(&counts);
            severities[row.severity.map_or(8, |severity| usize::from(severity.as_u8()))].add(&counts);
            scores.entry(row.score).or_default().add(&counts);
        }
        if let Some((minute, run)) = minute_run {
            accumulator.add_minute(minute, &run);
        }
        let counted = [(SENSOR, Dimension::Sensor), (HOST, Dimension::Host), (PATH, Dimension::Path), (IP, Dimension::ClientIp)];
        for (index, dimension) in counted {
            for (code, counts) in strings[index].iter().enumerate().filter(|(_, counts)| counts.total > 0) {
                accumulator.add_value(dimension as u8, block.strings[index][code].as_bytes(), counts);
            }
        }
        for (code, counts) in rules.iter().enumerate().filter(|(_, counts)| counts.total > 0) {
            accumulator.add_value(Dimension::Rule as u8, block.rules[code].to_string().as_bytes(), counts);
        }
        for (status, counts) in &statuses {
            accumulator.add_value(Dimension::Status as u8, stats::status_value(*status).as_bytes(), counts);
        }
        for (index, counts) in severities.iter().enumerate().filter(|(_, counts)| counts.total > 0) {
            let severity = Severity::from_number(index as i64);
            accumulator.add_value(Dimension::Severity as u8, stats::severity_value(severity).as_bytes(), counts);
        }
        for (score, counts) in &scores {
            accumulator.add_value(Dimension::Score as u8, stats::score_value(*score).as_bytes(), counts);
        }
    }
}

/// Whether each dictionary value passes `condition` (`None` when not filtered on).
fn pass_values<T>(values: &[String], condition: Option<&Condition<T>>, holds: impl Fn(&str, &T) -> bool) -> Option<Vec<bool>> {
    condition.map(|condition| values.iter().map(|value| condition.test(holds(value, &condition.value))).collect())
}

fn passes<T>(condition: Option<&Condition<T>>, holds: impl Fn(&T) -> bool) -> bool {
    condition.is_none_or(|condition| condition.test(holds(&condition.value)))
}

fn put_varint(output: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        output.push(value as u8 | 0x80);
        value >>= 7;
    }
    output.push(value as u8);
}

fn take_varint(input: &mut &[u8]) -> Result<u64, BlockError> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = input.split_first().ok_or(BlockError("truncated"))?;
        *input = rest;
        value |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return Ok(value);
        }
    }
    Err(BlockError("varint too long"))
}

fn take_count(input: &mut &[u8]) -> Result<usize, BlockError> {
    let count = take_varint(input)?;
    // a count can never exceed the bytes left (each item takes at least one)
    usize::try_from(count).ok().filter(|count| *count <= input.len()).ok_or(BlockError("count"))
}

fn take_code(input: &mut &[u8], entries: usize) -> Result<u32, BlockError> {
    let code = take_varint(input)?;
    u32::try_from(code).ok().filter(|code| (*code as usize) < entries).ok_or(BlockError("code out of its dictionary"))
}

fn take_bytes<'a>(input: &mut &'a [u8], length: usize) -> Result<&'a [u8], BlockError> {
    if input.len() < length {
        return Err(BlockError("truncated"));
    }
    let (bytes, rest) = input.split_at(length);
    *input = rest;
    Ok(bytes)
}

fn zigzag(value: i64) -> u64 {
    ((value << 1) ^ (value >> 63)) as u64
}

fn unzigzag(value: u64) -> i64 {
    ((value >> 1) as i64) ^ -((value & 1) as i64)
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
        assert_eq!(block.ids().collect::<Vec<_>>(), facts.iter().map(|fact| fact.id).collect::<Vec<_>>());
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
        // a body that decompresses but lies about its codes
        let mut body = Vec::new();
        put_varint(&mut body, 1);
        for _ in 0..STRINGS {
            put_varint(&mut body, 0);
        }
        put_varint(&mut body, 0);
        body.extend_from_slice(&[1, 0, 2, 5, 5, 5, 5, 5, 0]);
        let mut block = vec![FORMAT];
        put_varint(&mut block, body.len() as u64);
        block.extend_from_slice(&zstd::bulk::compress(&body, 1).unwrap());
        assert!(Block::decode(&block).is_err());
    }

    /// The block answer for `params` equals adding the same events one by one.
    fn agree(params: &[(&str, &str)]) {
        let facts = sample();
        let map: HashMap<String, String> = params.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect();
        let filter = EventFilter::from_params(&map).unwrap();
        let preserved: HashSet<u64> = facts.iter().map(|fact| fact.id).filter(|id| id % 5 == 0).collect();
        let (from, to) = (29_000_010, 29_000_040);
        let query = FactQuery { filter: &filter, from_minute: from, to_minute: to, preserved: Some(&preserved) };
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

    #[test]
    fn varints_and_zigzag_round_trip() {
        for value in [0u64, 1, 127, 128, 300, u32::MAX as u64, u64::MAX] {
            let mut bytes = Vec::new();
            put_varint(&mut bytes, value);
            assert_eq!(take_varint(&mut bytes.as_slice()).unwrap(), value);
        }
        for value in [0i64, -1, 1, -1440, i64::MIN, i64::MAX] {
            assert_eq!(unzigzag(zigzag(value)), value);
        }
    }
}
