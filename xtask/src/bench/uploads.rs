//! The uploads the benchmark replays: mlogc's captured PUTs (`fixtures/corpus/mlogc-captured/
//! NNNNNN.body` + `.json`), each rewritten to a fresh unique id of the same length in the body
//! and in `X-ForensicLog-Summary`, with the MD5 (summary and `X-Content-Hash`) recomputed.

use super::md5;
use crate::lab::index_line;
use crate::lab::json::Json;
use std::path::Path;

/// One captured upload.
pub struct Fixture {
    pub body: Vec<u8>,
    /// the `X-ForensicLog-Summary` value mlogc sent (with its trailing space)
    pub summary: String,
    pub unique_id: String,
    pub md5: String,
}

/// One upload ready to send.
pub struct Upload {
    pub body: Vec<u8>,
    pub summary: String,
    /// `md5:<hex> ` as mlogc sends it (trailing space included)
    pub content_hash: String,
    /// the entry's (rewritten) unique id
    pub unique_id: String,
}

/// Loads every `NNNNNN.body` with its `.json` from `dir`, in name order.
pub fn load(dir: &Path) -> Result<Vec<Fixture>, String> {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .map_err(|error| format!("{}: {error}", dir.display()))?
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "body"))
        .collect();
    names.sort();
    let mut fixtures = Vec::new();
    for path in names {
        let body = std::fs::read(&path).map_err(|error| format!("{}: {error}", path.display()))?;
        let meta_path = path.with_extension("json");
        let meta = std::fs::read_to_string(&meta_path).map_err(|error| format!("{}: {error}", meta_path.display()))?;
        let meta = Json::parse(&meta).map_err(|error| format!("{}: {error}", meta_path.display()))?;
        let headers = meta.get("headers").and_then(Json::as_array).ok_or_else(|| format!("{}: no headers", meta_path.display()))?;
        let header = |name: &str| {
            headers.iter().find_map(|pair| {
                let pair = pair.as_array()?;
                pair.first()?.as_str()?.eq_ignore_ascii_case(name).then(|| pair.get(1)?.as_str().map(str::to_owned))?
            })
        };
        let summary = header("X-ForensicLog-Summary").ok_or_else(|| format!("{}: no X-ForensicLog-Summary", meta_path.display()))?;
        let content_hash = header("X-Content-Hash").unwrap_or_default();
        let line = index_line::parse(summary.as_bytes()).ok_or_else(|| format!("{}: summary does not parse", meta_path.display()))?;
        let md5 = md5::hex(&body);
        if !content_hash.contains(&md5) || line.hash != format!("md5:{md5}") {
            return Err(format!("{}: the body's MD5 {md5} is not the recorded X-Content-Hash {content_hash:?}", path.display()));
        }
        fixtures.push(Fixture { body, summary, unique_id: line.unique_id, md5 });
    }
    if fixtures.is_empty() {
        return Err(format!("no fixtures (*.body + *.json) in {}", dir.display()));
    }
    Ok(fixtures)
}

/// Upload number `sequence` of a replay: the fixtures round-robin, each with a fresh unique id.
pub fn replay(fixtures: &[Fixture], sequence: u64) -> Upload {
    fixtures[(sequence % fixtures.len() as u64) as usize].rewrite(sequence)
}

/// Replaces every occurrence of `from` by `to` (same length) in place.
fn replace_all(haystack: &mut [u8], from: &[u8], to: &[u8]) {
    debug_assert_eq!(from.len(), to.len());
    let mut at = 0;
    while at + from.len() <= haystack.len() {
        if &haystack[at..at + from.len()] == from {
            haystack[at..at + from.len()].copy_from_slice(to);
            at += from.len();
        } else {
            at += 1;
        }
    }
}

/// An id of `length` characters unique for `sequence` (digits, like the tail of mod_unique_id's).
fn new_id(length: usize, sequence: u64) -> String {
    let digits = length.saturating_sub(5).max(1);
    format!("bench{sequence:0>digits$}")
}

impl Fixture {
    /// This upload as a new event: unique id number `sequence`, lengths unchanged.
    pub fn rewrite(&self, sequence: u64) -> Upload {
        let id = new_id(self.unique_id.len(), sequence);
        let mut body = self.body.clone();
        let mut summary = self.summary.clone().into_bytes();
        if id.len() == self.unique_id.len() {
            replace_all(&mut body, self.unique_id.as_bytes(), id.as_bytes());
            replace_all(&mut summary, self.unique_id.as_bytes(), id.as_bytes());
        }
        let md5 = md5::hex(&body);
        replace_all(&mut summary, self.md5.as_bytes(), md5.as_bytes());
        Upload { body, summary: String::from_utf8_lossy(&summary).into_owned(), content_hash: format!("md5:{md5} "), unique_id: id }
    }
}

#[cfg(test)]
mod tests {
    use super::{load, new_id};
    use crate::bench::md5;
    use crate::lab::index_line;

    #[test]
    fn rewritten_uploads_are_consistent() {
        assert_eq!(new_id(27, 42), "bench0000000000000000000042");
        let dir = crate::process::root().join("fixtures/corpus/mlogc-captured");
        if !dir.is_dir() {
            return;
        }
        let fixtures = load(&dir).unwrap();
        let fixture = &fixtures[0];
        let upload = fixture.rewrite(7);
        let line = index_line::parse(upload.summary.as_bytes()).unwrap();
        assert_eq!(line.unique_id, new_id(fixture.unique_id.len(), 7));
        assert_eq!(upload.unique_id, line.unique_id);
        assert!(line.path.ends_with(&line.unique_id));
        assert_eq!(line.size as usize, upload.body.len());
        assert_eq!(line.hash, format!("md5:{}", md5::hex(&upload.body)));
        assert_eq!(upload.content_hash, format!("{} ", line.hash));
        let body = String::from_utf8_lossy(&upload.body);
        assert!(body.contains(&line.unique_id) && !body.contains(&fixture.unique_id));
    }
}
