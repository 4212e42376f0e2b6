//! Splitting an import file into entries: a Serial native log, a JSON-lines file (or
//! concatenated / pretty-printed JSON documents) or a single concurrent entry file.
//!
//! Native: an entry starts at an `A` boundary line and ends with the LF of its `Z` line.
//! Boundaries are not unique across entries (prefork children share `rand()` sequences), so
//! an `A` line starts a new entry when the current one is closed by `Z`, or repeats the
//! current boundary, or (after a truncated entry) is followed by a `[time]` header line.
//! JSON: every line that starts with `{` at column 0 starts an entry; following lines that
//! don't (pretty-printed documents) belong to it.
//!
//! Every byte of an entry is kept, its last line's LF (or CRLF) included: ModSecurity writes
//! each entry of a serial log exactly as it writes a concurrent entry file (what mlogc
//! uploads), so the same entry imported from either is the same bytes, with the md5
//! ModSecurity recorded for it. A file holding one entry (a concurrent entry file) is that
//! entry whole.

use std::ops::Range;

use crate::bytes::{lines_with_offsets, trim, trim_end, trim_start};
use crate::native::parse_boundary_line;

/// Returns the byte ranges of the entries in `file`, in order.
pub fn split_entries(file: &[u8]) -> Vec<Range<usize>> {
    let entries = split(file);
    if entries.len() == 1 {
        // one entry, the whole file: a Vec of one range is meant
        #[allow(clippy::single_range_in_vec_init)]
        return vec![0..file.len()];
    }
    entries
}

fn split(file: &[u8]) -> Vec<Range<usize>> {
    match trim_start(file).first() {
        None => Vec::new(),
        Some(b'{') => split_json(file),
        Some(b'-') => {
            let entries = split_native(file);
            if entries.is_empty() { whole(file) } else { entries }
        }
        Some(_) => whole(file),
    }
}

/// The whole file without surrounding whitespace, as one entry.
fn whole(file: &[u8]) -> Vec<Range<usize>> {
    let start = file.len() - trim_start(file).len();
    let end = trim_end(file).len();
    let mut entries = Vec::new();
    if start < end {
        entries.push(start..end);
    }
    entries
}

fn split_json(file: &[u8]) -> Vec<Range<usize>> {
    let mut entries: Vec<Range<usize>> = Vec::new();
    for (offset, line) in lines_with_offsets(file) {
        // through the line's LF (a CR before it is part of the line)
        let line_end = (offset + line.len() + 1).min(file.len());
        if line.first() == Some(&b'{') {
            entries.push(offset..line_end);
        } else if let Some(current) = entries.last_mut()
            && !trim(line).is_empty()
        {
            current.end = line_end;
        }
    }
    entries
}

fn split_native(file: &[u8]) -> Vec<Range<usize>> {
    let lines: Vec<(usize, &[u8])> = lines_with_offsets(file).collect();
    let mut entries: Vec<Range<usize>> = Vec::new();
    let mut current_boundary: Option<&[u8]> = None;
    let mut closed = true;
    for (index, &(offset, line)) in lines.iter().enumerate() {
        let Some(boundary) = parse_boundary_line(line) else {
            continue;
        };
        let same_boundary = current_boundary == Some(boundary.token);
        if boundary.letter == b'A' {
            let next_is_header = lines.get(index + 1).is_some_and(|(_, next)| next.first() == Some(&b'['));
            if closed || same_boundary || next_is_header {
                if let Some(open) = entries.last_mut().filter(|_| !closed) {
                    open.end = trim_end(crate::bytes::slice(file, 0, offset)).len().max(open.start);
                }
                entries.push(offset..file.len());
                current_boundary = Some(boundary.token);
                closed = false;
            }
        } else if boundary.letter == b'Z' && same_boundary && !closed {
            if let Some(open) = entries.last_mut() {
                open.end = (offset + line.len() + 1).min(file.len());
            }
            closed = true;
        }
    }
    if let Some(open) = entries.last_mut().filter(|_| !closed) {
        open.end = trim_end(crate::bytes::slice(file, 0, open.end)).len().max(open.start);
    }
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn native_entries_with_reused_boundaries() {
        let file = b"--aa-A--\n[t] 1\n--aa-Z--\n\n--aa-A--\n[t] 2\n--aa-C--\n--bb-A--\n--aa-Z--\n\n--cc-A--\n[t] 3\n";
        let ranges = split_entries(file);
        assert_eq!(ranges.len(), 3);
        assert_eq!(&file[ranges[0].clone()], b"--aa-A--\n[t] 1\n--aa-Z--\n");
        assert_eq!(&file[ranges[1].clone()], b"--aa-A--\n[t] 2\n--aa-C--\n--bb-A--\n--aa-Z--\n");
        assert_eq!(&file[ranges[2].clone()], b"--cc-A--\n[t] 3");
    }

    #[test]
    fn json_lines_and_pretty_documents() {
        let file = b"{\"a\":1}\n\n{\"b\":2}\r\n{\n  \"c\": 3\n}\n";
        let ranges = split_entries(file);
        let entries: Vec<&[u8]> = ranges.iter().map(|range| &file[range.clone()]).collect();
        assert_eq!(entries, vec![&b"{\"a\":1}\n"[..], b"{\"b\":2}\r\n", b"{\n  \"c\": 3\n}\n"]);
    }

    #[test]
    fn a_file_of_one_entry_is_that_entry_whole() {
        for file in [&b"{\"a\":1}\n"[..], b"\n{\"a\":1}\r\n\n", b"--aa-A--\n[t] 1\n--aa-Z--\n\n"] {
            assert_eq!(split_entries(file), vec![0..file.len()]);
        }
    }

    #[test]
    fn other_files() {
        assert!(split_entries(b"  \n ").is_empty());
        assert_eq!(split_entries(b" hello \n"), vec![0..8]);
        assert_eq!(split_entries(b"-- no boundary"), vec![0..14]);
    }
}
