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

/// The inbound anomaly threshold `message` shows: the operator parameter of a comparison with
/// the inbound score (CRS 3's 949110 `TX:anomaly_score`, 980130 `TX:inbound_anomaly_score`), or
/// CRS 4's `(Inbound Scores: …, threshold=5)`.
pub fn inbound_threshold(message: &crate::model::RuleMessage) -> Option<u32> {
    let inbound_variable = message
        .matched_var
        .as_deref()
        .is_some_and(|variable| variable.eq_ignore_ascii_case("TX:anomaly_score") || variable.eq_ignore_ascii_case("TX:inbound_anomaly_score"));
    if inbound_variable && message.threshold.is_some() {
        return message.threshold;
    }
    let inbound = message.message.split_once("(Outbound Scores").map_or(message.message.as_str(), |(inbound, _)| inbound);
    inbound.contains("Inbound Scores:").then(|| number_after(inbound, "threshold=")).flatten()
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

    #[test]
    fn thresholds() {
        use crate::model::RuleMessage;
        let compared = |variable: &str, threshold| RuleMessage { matched_var: Some(variable.into()), threshold, ..RuleMessage::default() };
        assert_eq!(inbound_threshold(&compared("TX:anomaly_score", Some(5))), Some(5));
        assert_eq!(inbound_threshold(&compared("TX:INBOUND_ANOMALY_SCORE", Some(7))), Some(7));
        assert_eq!(inbound_threshold(&compared("TX:outbound_anomaly_score", Some(4))), None);
        assert_eq!(inbound_threshold(&compared("ARGS:q", Some(3))), None);
        let crs4 = RuleMessage {
            message: "Anomaly Scores: (Inbound Scores: blocking=10, detection=10, per_pl=10-0-0-0, threshold=7) - (Outbound Scores: blocking=0, detection=0, per_pl=0-0-0-0, threshold=4)".into(),
            ..RuleMessage::default()
        };
        assert_eq!(inbound_threshold(&crs4), Some(7));
        assert_eq!(crate::h_messages::compared_threshold("Operator GE matched 5 at TX:anomaly_score."), Some(5));
        assert_eq!(
            crate::h_messages::compared_threshold("Matched \"Operator `Ge' with parameter `10' against variable `TX:ANOMALY_SCORE' (Value: `15' )"),
            Some(10)
        );
        assert_eq!(crate::h_messages::compared_threshold("Pattern match \"x\" at ARGS:q."), None);
    }
}
