//! Any query string: the events-API filter grammar accepts or refuses it, never panics; an
//! accepted filter can be evaluated.
#![no_main]

use std::collections::HashMap;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(query) = std::str::from_utf8(data) else { return };
    let params: HashMap<String, String> =
        query.split('&').filter_map(|pair| pair.split_once('=')).map(|(name, value)| (name.to_owned(), value.to_owned())).collect();
    if let Ok(filter) = server::filter::EventFilter::from_params(&params) {
        let _ = filter.matches(app_summary());
        let _ = filter.index_hint();
    }
});

/// One event to evaluate filters against (as the events API serialises it).
fn app_summary() -> &'static app::model::EventSummary {
    static SUMMARY: std::sync::LazyLock<app::model::EventSummary> = std::sync::LazyLock::new(|| {
        serde_json::from_str(
            r#"{"id":1,"received_at":1795574107000000,"time":1795574107552557,"sensor":"web-01","unique_id":"u","client_ip":"10.1.2.3",
            "host":"Shop.Example.com","method":"GET","uri":"/search?q=1","status":403,"action":"blocked","rule_ids":[942100,949110],
            "max_severity":"critical","anomaly_score":5,"top_rule":942100,"top_message":null,"parse_ok":true,"format":"mod_sec2_native",
            "warning_count":0,"hash_mismatch":false,"revision":0,"preserved":false}"#,
        )
        .expect("a valid summary")
    });
    &SUMMARY
}
