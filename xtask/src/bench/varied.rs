//! Varied events for `bench query`: the captured mlogc uploads with the event time spread over
//! a window, and the client IP, host and path drawn from skewed pools (a few heavy hitters and
//! a long tail, like real attack traffic), so indexes and counters see realistic cardinality.
//! Every number gives the same upload (a seeded generator), so runs are comparable.

use super::md5;
use super::uploads::{Fixture, Upload};

/// Distinct client addresses (about 1 in 20 is IPv6).
pub const CLIENTS: u64 = 20_000;
/// The virtual hosts the sensors protect.
pub const HOSTS: [&str; 12] = [
    "shop.example.com",
    "api.example.com",
    "www.example.com",
    "admin.example.com",
    "cdn.example.net",
    "auth.example.com",
    "blog.example.org",
    "intranet.example.local",
    "mail.example.com",
    "status.example.com",
    "pay.example.com",
    "legacy.example.com",
];
/// Path prefixes the fixtures' URIs are mounted under.
pub const PREFIXES: u64 = 40;

/// How the generated events vary.
pub struct Spread {
    /// the newest event time, µs since the epoch
    pub newest: i64,
    /// event times fall in `(newest - window, newest]`, µs
    pub window: i64,
}

/// A splitmix64 step: the generator behind every choice.
fn mix(mut value: u64) -> u64 {
    value = value.wrapping_add(0x9E37_79B9_7F4A_7C15);
    value = (value ^ (value >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    value = (value ^ (value >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    value ^ (value >> 31)
}

/// A number in `[0, 1)` from `seed`.
fn unit(seed: u64) -> f64 {
    (mix(seed) >> 11) as f64 / (1u64 << 53) as f64
}

/// An index in `[0, count)`, skewed: index `i` is about as likely as all of `(i, 2i]` together.
fn skewed(seed: u64, count: u64) -> u64 {
    ((count as f64).powf(unit(seed)) as u64).saturating_sub(1).min(count - 1)
}

/// The client address number `index` stands for.
pub fn client_ip(index: u64) -> String {
    let bits = mix(index ^ 0x00C1_1E47);
    if index % 20 == 7 {
        return format!("2001:db8:{:x}:{:x}::{:x}", (bits >> 48) & 0xffff, (bits >> 32) & 0xffff, bits & 0xffff);
    }
    let first = [198u64, 203, 45, 91, 185, 23, 104, 5][(bits % 8) as usize];
    format!("{first}.{}.{}.{}", (bits >> 8) & 0xff, (bits >> 16) & 0xff, 1 + (bits >> 24) % 254)
}

/// Upload number `sequence`: fixture `sequence % len` as a new event (unique id, time, client,
/// host and path of its own), with mlogc's summary line and MD5 to match.
pub fn upload(fixtures: &[Fixture], spread: &Spread, sequence: u64) -> Upload {
    let fixture = &fixtures[(sequence % fixtures.len() as u64) as usize];
    let seed = mix(sequence.wrapping_mul(0x2545_F491_4F6C_DD1D));
    let time = spread.newest - (unit(seed) * spread.window as f64) as i64;
    let client = client_ip(skewed(seed ^ 1, CLIENTS));
    let host = HOSTS[skewed(seed ^ 2, HOSTS.len() as u64) as usize];
    let prefix = format!("/app{}", skewed(seed ^ 3, PREFIXES));
    let unique_id = format!("q{sequence:0>26}");
    let text = String::from_utf8_lossy(&fixture.body).replace(&fixture.unique_id, &unique_id);
    let mut body = String::with_capacity(text.len() + 64);
    let mut section = ' ';
    let mut request_line = String::new();
    for line in text.split_inclusive('\n') {
        if let Some(letter) = section_letter(line) {
            section = letter;
            body.push_str(line);
            continue;
        }
        let content = line.trim_end_matches(['\r', '\n']);
        let ending = &line[content.len()..];
        match section {
            'A' if content.starts_with('[') => {
                // [time] unique-id client-ip client-port server-ip server-port
                let fields: Vec<&str> = content.rsplit_once(']').map_or(vec![], |(_, rest)| rest.split_whitespace().collect());
                let tail = fields.get(2..).map(|rest| rest.join(" ")).unwrap_or_default();
                body.push_str(&format!("[{}] {unique_id} {client} {tail}{ending}", native_time(time)));
                section = 'a';
                continue;
            }
            'B' if request_line.is_empty() && !content.is_empty() => {
                let mut parts = content.splitn(3, ' ');
                let (method, uri, protocol) = (parts.next().unwrap_or("GET"), parts.next().unwrap_or("/"), parts.next().unwrap_or("HTTP/1.1"));
                let uri = if uri.starts_with('/') { format!("{prefix}{uri}") } else { format!("{prefix}/{uri}") };
                request_line = format!("{method} {uri} {protocol}");
                body.push_str(&request_line);
                body.push_str(ending);
                continue;
            }
            'B' if content.to_ascii_lowercase().starts_with("host:") => {
                body.push_str(&format!("Host: {host}{ending}"));
                continue;
            }
            'H' if content.starts_with("Stopwatch: ") || content.starts_with("Stopwatch2: ") => {
                let (name, rest) = content.split_once(": ").unwrap_or_default();
                let rest = rest.split_once(' ').map_or("", |(_, rest)| rest);
                body.push_str(&format!("{name}: {time} {rest}{ending}"));
                continue;
            }
            _ => {}
        }
        body.push_str(line);
    }
    let body = body.into_bytes();
    let md5 = md5::hex(&body);
    let status = super::super::lab::index_line::parse(fixture.summary.as_bytes()).map_or(200, |line| line.status);
    let summary = format!(
        "{host} {client} - - [{}] \"{}\" {status} 0 \"-\" \"-\" {unique_id} \"-\" /bench/{unique_id} 0 {} md5:{md5} ",
        native_time(time),
        request_line.replace('"', "%22"),
        body.len()
    );
    Upload { body, summary, content_hash: format!("md5:{md5} "), unique_id }
}

/// `A` for a `--0a1b2c3d-A--` boundary line.
fn section_letter(line: &str) -> Option<char> {
    let inner = line.trim_end().strip_prefix("--")?.strip_suffix("--")?;
    let (boundary, letter) = inner.rsplit_once('-')?;
    let mut letters = letter.chars();
    let letter = letters.next().filter(|letter| letter.is_ascii_uppercase() && letters.next().is_none())?;
    boundary.chars().all(|c| c.is_ascii_hexdigit()).then_some(letter)
}

/// ModSecurity 2's section A time: `25/Nov/2026:03:22:52.882185 +0000`.
pub fn native_time(micros: i64) -> String {
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let seconds = micros.div_euclid(1_000_000);
    let (days, of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    format!(
        "{day:02}/{}/{year}:{:02}:{:02}:{:02}.{:06} +0000",
        MONTHS[(month - 1) as usize],
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60,
        micros.rem_euclid(1_000_000)
    )
}

/// (year, month 1-12, day 1-31) of a day count since 1970-01-01 (proleptic Gregorian).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let of_era = shifted.rem_euclid(146_097);
    let year_of_era = (of_era - of_era / 1460 + of_era / 36_524 - of_era / 146_096) / 365;
    let day_of_year = of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 };
    (year_of_era + era * 400 + i64::from(month <= 2), month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_modsecurity_2_dates() {
        assert_eq!(native_time(0), "01/Jan/1970:00:00:00.000000 +0000");
        // 2026-11-25T03:22:52.882185Z, the first captured upload's section A time
        assert_eq!(native_time(1_795_576_972_882_185), "25/Nov/2026:03:22:52.882185 +0000");
        assert_eq!(native_time(951_782_400_000_000), "29/Feb/2000:00:00:00.000000 +0000");
    }

    #[test]
    fn skew_gives_heavy_hitters_and_a_long_tail() {
        let picks: Vec<u64> = (0..20_000).map(|n| skewed(n, CLIENTS)).collect();
        let top = picks.iter().filter(|&&pick| pick == 0).count();
        let distinct = picks.iter().collect::<std::collections::HashSet<_>>().len();
        assert!(top > 500, "index 0 is a heavy hitter: {top}");
        assert!(distinct > 2_000, "and there is a long tail: {distinct}");
        assert!(picks.iter().all(|&pick| pick < CLIENTS));
    }

    #[test]
    fn uploads_carry_their_own_time_client_host_and_id() {
        let dir = crate::process::root().join("fixtures/corpus/mlogc-captured");
        let fixtures = super::super::uploads::load(&dir).unwrap();
        let spread = Spread { newest: 1_800_000_000_000_000, window: 7 * 86_400_000_000 };
        let upload = upload(&fixtures, &spread, 12);
        let body = String::from_utf8_lossy(&upload.body);
        let line = crate::lab::index_line::parse(upload.summary.as_bytes()).expect("mlogc would accept the summary");
        assert_eq!(line.unique_id, format!("q{:0>26}", 12));
        assert_eq!(line.size as usize, upload.body.len());
        assert_eq!(line.hash, format!("md5:{}", md5::hex(&upload.body)));
        assert!(body.contains(&format!("] {} ", line.unique_id)), "section A names the new id:\n{body}");
        assert!(!body.contains(&fixtures[12].unique_id), "the fixture's id is gone");
        let host = body.lines().find(|line| line.starts_with("Host: ")).unwrap();
        assert!(HOSTS.contains(&host.trim_start_matches("Host: ")), "{host}");
        assert!(body.contains(" /app"), "the path is mounted under a prefix");
        assert_eq!(upload.body, super::upload(&fixtures, &spread, 12).body, "deterministic");
        assert_ne!(upload.body, super::upload(&fixtures, &spread, 12 + fixtures.len() as u64).body, "same fixture, another event");
    }
}
