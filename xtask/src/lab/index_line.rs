//! ModSecurity 2's Concurrent index line, matched exactly like mlogc 2.9.7 does: its PCRE
//! pattern (`logline_pattern` in `mlogc/mlogc.c`) re-implemented as a tiny backtracking
//! matcher, so `lab expected` leaves out the lines mlogc itself would reject.
//!
//! ```text
//! ^(\S+)\ (\S+)\ (\S+)\ (\S+)\ \[([^:]+):(\d+:\d+:\d+(?:[.]\d+)?)\ ([^\]]+)\]\ "(.*)"\ (\d+)\ (\S+)\ "(.*)"\ "(.*)"\ (\S+)\ "(.*)"\ /?(\S+)\ (\d+)\ (\d+)\ (\S+)(.*)$
//! ```

/// The fields of an index line that the lab uses.
#[derive(Debug, PartialEq, Eq)]
pub struct IndexLine {
    pub unique_id: String,
    pub status: u16,
    /// Entry file, relative to the storage dir, without the leading `/`.
    pub path: String,
    pub size: u64,
    pub hash: String,
}

#[derive(Clone, Copy)]
enum Class {
    NonSpace,
    Digit,
    Any,
    NotColon,
    NotBracket,
}

impl Class {
    fn matches(self, byte: u8) -> bool {
        match self {
            Class::NonSpace => !matches!(byte, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c),
            Class::Digit => byte.is_ascii_digit(),
            Class::Any => byte != b'\n',
            Class::NotColon => byte != b':',
            Class::NotBracket => byte != b']',
        }
    }
}

#[derive(Clone, Copy)]
enum Node {
    Lit(u8),
    /// an optional literal (greedy)
    OptLit(u8),
    /// `class+` (min 1) or `class*` (min 0), greedy
    Run(Class, usize),
    /// `(?:[.]\d+)?`
    OptFraction,
    Open(usize),
    Close(usize),
}

/// Number of capture groups of mlogc's pattern.
const GROUPS: usize = 19;
/// Backtracking steps before giving up (PCRE's match limit makes mlogc reject such lines too).
const STEP_LIMIT: u32 = 1_000_000;

fn pattern() -> Vec<Node> {
    use Class::*;
    use Node::*;
    let mut nodes = Vec::new();
    let mut group = 0;
    let mut capture = |nodes: &mut Vec<Node>, inner: &[Node]| {
        group += 1;
        nodes.push(Open(group));
        nodes.extend_from_slice(inner);
        nodes.push(Close(group));
    };
    let lits = |nodes: &mut Vec<Node>, text: &str| nodes.extend(text.bytes().map(Lit));
    for _ in 0..4 {
        capture(&mut nodes, &[Run(NonSpace, 1)]);
        lits(&mut nodes, " ");
    }
    lits(&mut nodes, "[");
    capture(&mut nodes, &[Run(NotColon, 1)]);
    lits(&mut nodes, ":");
    capture(&mut nodes, &[Run(Digit, 1), Lit(b':'), Run(Digit, 1), Lit(b':'), Run(Digit, 1), OptFraction]);
    lits(&mut nodes, " ");
    capture(&mut nodes, &[Run(NotBracket, 1)]);
    lits(&mut nodes, "] \"");
    capture(&mut nodes, &[Run(Any, 0)]);
    lits(&mut nodes, "\" ");
    capture(&mut nodes, &[Run(Digit, 1)]);
    lits(&mut nodes, " ");
    capture(&mut nodes, &[Run(NonSpace, 1)]);
    lits(&mut nodes, " \"");
    capture(&mut nodes, &[Run(Any, 0)]);
    lits(&mut nodes, "\" \"");
    capture(&mut nodes, &[Run(Any, 0)]);
    lits(&mut nodes, "\" ");
    capture(&mut nodes, &[Run(NonSpace, 1)]);
    lits(&mut nodes, " \"");
    capture(&mut nodes, &[Run(Any, 0)]);
    lits(&mut nodes, "\" ");
    nodes.push(OptLit(b'/'));
    capture(&mut nodes, &[Run(NonSpace, 1)]);
    lits(&mut nodes, " ");
    capture(&mut nodes, &[Run(Digit, 1)]);
    lits(&mut nodes, " ");
    capture(&mut nodes, &[Run(Digit, 1)]);
    lits(&mut nodes, " ");
    capture(&mut nodes, &[Run(NonSpace, 1)]);
    capture(&mut nodes, &[Run(Any, 0)]);
    debug_assert_eq!(group, GROUPS);
    nodes
}

struct Matcher<'a> {
    nodes: Vec<Node>,
    text: &'a [u8],
    caps: [(usize, usize); GROUPS + 1],
    steps: u32,
}

impl Matcher<'_> {
    fn at(&mut self, node: usize, pos: usize) -> bool {
        self.steps += 1;
        if self.steps > STEP_LIMIT {
            return false;
        }
        let Some(&current) = self.nodes.get(node) else { return pos == self.text.len() };
        match current {
            Node::Lit(byte) => self.text.get(pos) == Some(&byte) && self.at(node + 1, pos + 1),
            Node::OptLit(byte) => (self.text.get(pos) == Some(&byte) && self.at(node + 1, pos + 1)) || self.at(node + 1, pos),
            Node::Run(class, min) => {
                let longest = self.text[pos..].iter().take_while(|byte| class.matches(**byte)).count();
                (min..=longest).rev().any(|length| self.at(node + 1, pos + length))
            }
            Node::OptFraction => {
                if self.text.get(pos) == Some(&b'.') {
                    let digits = self.text[pos + 1..].iter().take_while(|byte| byte.is_ascii_digit()).count();
                    if (1..=digits).rev().any(|length| self.at(node + 1, pos + 1 + length)) {
                        return true;
                    }
                }
                self.at(node + 1, pos)
            }
            Node::Open(group) => {
                let saved = self.caps[group];
                self.caps[group].0 = pos;
                self.at(node + 1, pos) || {
                    self.caps[group] = saved;
                    false
                }
            }
            Node::Close(group) => {
                let saved = self.caps[group];
                self.caps[group].1 = pos;
                self.at(node + 1, pos) || {
                    self.caps[group] = saved;
                    false
                }
            }
        }
    }

    fn group(&self, index: usize) -> String {
        let (start, end) = self.caps[index];
        String::from_utf8_lossy(&self.text[start..end]).into_owned()
    }
}

/// The line's fields when mlogc 2.9.7's pattern matches it (`line` without its `\n`).
pub fn parse(line: &[u8]) -> Option<IndexLine> {
    let mut matcher = Matcher { nodes: pattern(), text: line, caps: [(0, 0); GROUPS + 1], steps: 0 };
    if !matcher.at(0, 0) {
        return None;
    }
    Some(IndexLine {
        unique_id: matcher.group(13),
        status: matcher.group(9).parse().ok()?,
        path: matcher.group(15),
        size: matcher.group(17).parse().ok()?,
        hash: matcher.group(18),
    })
}

/// The entry file named by a line mlogc rejects (found from the end: `path 0 size md5:...`).
pub fn rejected_path(line: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(line);
    let words: Vec<&str> = text.split(' ').filter(|word| !word.is_empty()).collect();
    let hash_at = words.iter().rposition(|word| word.starts_with("md5:"))?;
    words.get(hash_at.checked_sub(3)?).map(|path| path.trim_start_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::{parse, rejected_path};

    const LINE: &str = "::1 ::1 - - [24/Nov/2026:21:35:07.579239 --0500] \"GET /index.html HTTP/1.1\" 200 12 \"-\" \"-\" \
                        awZJW8dT1qBBltRHCwVe2AAAAEQ \"-\" /www-data/20261124/20261124-2135/20261124-213507-awZJW8dT1qBBltRHCwVe2AAAAEQ \
                        0 1336 md5:5bedb30fe3e381be1fb079a9266fc0fe ";

    #[test]
    fn parses_a_real_line() {
        let line = parse(LINE.as_bytes()).expect("matches");
        assert_eq!(line.unique_id, "awZJW8dT1qBBltRHCwVe2AAAAEQ");
        assert_eq!(line.status, 200);
        assert_eq!(line.path, "www-data/20261124/20261124-2135/20261124-213507-awZJW8dT1qBBltRHCwVe2AAAAEQ");
        assert_eq!(line.size, 1336);
        assert_eq!(line.hash, "md5:5bedb30fe3e381be1fb079a9266fc0fe");
    }

    #[test]
    fn quotes_inside_the_request_line_backtrack() {
        let line = LINE.replace("GET /index.html", "GET /?q=\\\"a\\\" \"b\" c");
        assert_eq!(parse(line.as_bytes()).expect("matches").unique_id, "awZJW8dT1qBBltRHCwVe2AAAAEQ");
    }

    #[test]
    fn rejects_what_mlogc_rejects() {
        // a Host header with a space shifts the fields
        let spaced = format!("www example {LINE}");
        assert!(parse(spaced.as_bytes()).is_none());
        assert_eq!(rejected_path(spaced.as_bytes()).unwrap(), "www-data/20261124/20261124-2135/20261124-213507-awZJW8dT1qBBltRHCwVe2AAAAEQ");
        // libmodsecurity 3's index line (no local-user field, float size)
        let v3 = "localhost 127.0.0.1 - [25/Nov/2026:03:30:01 +0000] \"GET / HTTP/1.1\" 403 0 - \"-\" 1795 - /x/y 0 1144.000000 md5:ab";
        assert!(parse(v3.as_bytes()).is_none());
        // status "-" (mlogc-batch-load)
        assert!(parse(LINE.replace(" 200 12 ", " - 12 ").as_bytes()).is_none());
    }

    #[test]
    fn every_fixture_index_line_matches() {
        let path = crate::process::root().join("fixtures/corpus/concurrent-native/index.log");
        let Ok(text) = std::fs::read(&path) else { return };
        let lines: Vec<&[u8]> = text.split(|byte| *byte == b'\n').filter(|line| !line.is_empty()).collect();
        assert!(!lines.is_empty());
        for line in lines {
            assert!(parse(line).is_some(), "{}", String::from_utf8_lossy(line));
        }
    }
}
