//! Byte-slice primitives shared by the parsers: searching, trimming, line splitting and
//! lossy decoding. Everything works on `&[u8]` so no input can split a UTF-8 character.

/// Returns the lossy UTF-8 decoding of `bytes` as an owned string.
pub fn lossy(bytes: &[u8]) -> String {
    // valid UTF-8 (nearly every line) takes std's fast validation, not the lossy decoder's
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// Returns the position of the first occurrence of `needle` in `haystack`.
pub fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(haystack, needle)
}

/// Returns the position of the first occurrence of `needle` at or after `from`.
pub fn find_from(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack.get(from..).and_then(|tail| find(tail, needle)).map(|position| position + from)
}

/// Returns `bytes` without leading and trailing ASCII whitespace.
pub fn trim(bytes: &[u8]) -> &[u8] {
    trim_end(trim_start(bytes))
}

/// Returns `bytes` without leading ASCII whitespace.
pub fn trim_start(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|byte| !byte.is_ascii_whitespace()).unwrap_or(bytes.len());
    bytes.get(start..).unwrap_or_default()
}

/// Returns `bytes` without trailing ASCII whitespace.
pub fn trim_end(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().rposition(|byte| !byte.is_ascii_whitespace()).map_or(0, |position| position + 1);
    bytes.get(..end).unwrap_or_default()
}

/// Returns `line` without one trailing `\r`.
pub fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Returns `bytes[start..end]`, clamped to the slice so it never panics.
pub fn slice(bytes: &[u8], start: usize, end: usize) -> &[u8] {
    let end = end.min(bytes.len());
    bytes.get(start.min(end)..end).unwrap_or_default()
}

/// Returns the lines of `bytes` split on LF, with their start offsets. A final empty line
/// after a trailing LF is included, like `str::split`.
pub fn lines_with_offsets(bytes: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    let mut offset = 0;
    lines(bytes).map(move |line| {
        let start = offset;
        offset += line.len() + 1;
        (start, line)
    })
}

/// Returns the lines of `bytes` split on LF (a final empty line after a trailing LF included,
/// like `split`), found with `memchr` rather than byte by byte.
pub fn lines(bytes: &[u8]) -> Lines<'_> {
    Lines { rest: Some(bytes) }
}

/// The iterator of [`lines`].
pub struct Lines<'a> {
    rest: Option<&'a [u8]>,
}

impl<'a> Iterator for Lines<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let rest = self.rest?;
        match memchr::memchr(b'\n', rest) {
            Some(end) => {
                self.rest = rest.get(end + 1..);
                rest.get(..end)
            }
            None => self.rest.take(),
        }
    }
}

/// Returns `true` if `bytes` starts with `prefix`, ignoring ASCII case.
pub fn starts_with_ignore_case(bytes: &[u8], prefix: &[u8]) -> bool {
    bytes.get(..prefix.len()).is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

/// Parses an unsigned decimal number made only of ASCII digits (no sign, no spaces).
pub fn parse_decimal<T: std::str::FromStr>(bytes: &[u8]) -> Option<T> {
    if bytes.is_empty() || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(bytes).ok()?.parse().ok()
}

/// Parses a number from text, accepting surrounding whitespace and a `.000000` style
/// fraction of zeros (libmodsecurity prints sizes as doubles).
pub fn parse_integer_text<T: std::str::FromStr>(text: &str) -> Option<T> {
    let text = text.trim();
    let integral = match text.split_once('.') {
        Some((integral, fraction)) if fraction.bytes().all(|byte| byte == b'0') => integral,
        Some(_) => return None,
        None => text,
    };
    parse_decimal(integral.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn searching_and_trimming() {
        assert_eq!(find(b"abcabc", b"ca"), Some(2));
        assert_eq!(find_from(b"abcabc", b"ab", 1), Some(3));
        assert_eq!(find_from(b"abc", b"ab", 10), None);
        assert_eq!(trim(b"  x y \r\n"), b"x y");
        assert_eq!(trim(b"   "), b"");
        assert_eq!(slice(b"abc", 2, 10), b"c");
        assert_eq!(slice(b"abc", 5, 1), b"");
    }

    #[test]
    fn lines_keep_offsets() {
        let lines: Vec<_> = lines_with_offsets(b"a\nbc\n").collect();
        assert_eq!(lines, vec![(0, &b"a"[..]), (2, &b"bc"[..]), (5, &b""[..])]);
        for text in [&b""[..], b"\n", b"a", b"a\n\nb", b"\n\n"] {
            let split: Vec<&[u8]> = text.split(|byte| *byte == b'\n').collect();
            assert_eq!(super::lines(text).collect::<Vec<_>>(), split, "{text:?}");
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_decimal::<u16>(b"403"), Some(403));
        assert_eq!(parse_decimal::<u16>(b"-1"), None);
        assert_eq!(parse_decimal::<u16>(b"70000"), None);
        assert_eq!(parse_integer_text::<u64>("1144.000000"), Some(1144));
        assert_eq!(parse_integer_text::<u64>("11.5"), None);
    }
}
