//! CRS anomaly scores, read from the `msg` of the blocking-evaluation and correlation rules.

/// Returns the number right after `marker` in `text`.
fn number_after(text: &str, marker: &str) -> Option<u32> {
    let start = memchr::memmem::find(text.as_bytes(), marker.as_bytes())? + marker.len();
    let rest = text.as_bytes().get(start..)?;
    let digits = rest.iter().take_while(|byte| byte.is_ascii_digit()).count();
    crate::bytes::parse_decimal(rest.get(..digits)?)
}

/// Returns the (inbound, outbound) CRS anomaly scores a rule `msg` reports.
///
/// Seen in the corpus: 949110 `Inbound Anomaly Score Exceeded (Total Score: 5)`, 980130
/// `Inbound Anomaly Score Exceeded (Total Inbound Score: 5 - SQLI=5,…)`, 959100 `Outbound
/// Anomaly Score Exceeded (Total Score: 4)`, 980140 `Outbound Anomaly Score Exceeded (score 4):
/// …`. CRS 4's 980170 `Anomaly Scores: (Inbound Scores: blocking=5, …) - (Outbound Scores:
/// blocking=0, …)` is understood too.
pub fn anomaly_scores(msg: &str) -> (Option<u32>, Option<u32>) {
    // every form names an `Inbound`/`Outbound` score: most messages are ruled out by one search
    if memchr::memmem::find(msg.as_bytes(), b"bound ").is_none() {
        return (None, None);
    }
    let mut inbound = None;
    let mut outbound = None;
    let contains = |marker: &str| memchr::memmem::find(msg.as_bytes(), marker.as_bytes()).is_some();
    if contains("Inbound Anomaly Score Exceeded") {
        inbound = number_after(msg, "Total Score: ").or_else(|| number_after(msg, "Total Inbound Score: ")).or_else(|| number_after(msg, "(score "));
    }
    if contains("Outbound Anomaly Score Exceeded") {
        outbound = number_after(msg, "Total Score: ").or_else(|| number_after(msg, "Total Outbound Score: ")).or_else(|| number_after(msg, "(score "));
    }
    if let Some(score) = number_after(msg, "Inbound Scores: blocking=") {
        inbound = Some(score);
    }
    if let Some(score) = number_after(msg, "Outbound Scores: blocking=") {
        outbound = Some(score);
    }
    (inbound, outbound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores() {
        assert_eq!(anomaly_scores("Inbound Anomaly Score Exceeded (Total Score: 15)"), (Some(15), None));
        assert_eq!(
            anomaly_scores("Inbound Anomaly Score Exceeded (Total Inbound Score: 5 - SQLI=5,XSS=0): individual paranoia level scores: 5, 0, 0, 0"),
            (Some(5), None)
        );
        assert_eq!(anomaly_scores("Outbound Anomaly Score Exceeded (score 4): individual paranoia level scores: 4, 0, 0, 0"), (None, Some(4)));
        assert_eq!(
            anomaly_scores(
                "Anomaly Scores: (Inbound Scores: blocking=10, detection=10, per_pl=10-0-0-0, threshold=5) - (Outbound Scores: blocking=0, detection=0)"
            ),
            (Some(10), Some(0))
        );
        assert_eq!(anomaly_scores("SQL Injection Attack Detected via libinjection"), (None, None));
    }
}
