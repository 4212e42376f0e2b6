//! Component tests in a real browser (headless chromium through wasm-bindgen-test-runner):
//! `cargo xtask test` runs them with WASM_BINDGEN_USE_BROWSER=1.
#![cfg(all(target_arch = "wasm32", feature = "ui"))]

use app::model::{ServerStatus, StorageStatus};
use app::ui::pages::status::StatusTable;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn container() -> web_sys::HtmlElement {
    let document = web_sys::window().unwrap().document().unwrap();
    let element = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&element).unwrap();
    element.unchecked_into()
}

#[wasm_bindgen_test]
fn status_table_shows_every_field_as_text() {
    let parent = container();
    let status = ServerStatus {
        version: "9.9.9".into(),
        uptime_seconds: 93_784,
        data_dir: "/var/lib/<script>alert(1)</script>".into(),
        data_dir_bytes: 1536,
        listen: "127.0.0.1:8886".into(),
        tls: true,
        storage: StorageStatus {
            file_bytes: 16 * 1024 * 1024,
            budget_bytes: Some(64 * 1024 * 1024),
            retain_days: Some(30),
            events: 34_218,
            preserved: 12,
            oldest_received_at: Some(1_795_576_972_882_185),
            bytes_per_event: Some(2_560),
            events_last_day: 4_000,
            days_in_budget: Some(41.7),
            problem: Some("disk full <b>x</b>".into()),
        },
    };
    let _handle = leptos::mount::mount_to(parent.clone(), move || view! { <StatusTable status=status.clone()/> });
    let text = parent.text_content().unwrap();
    assert!(text.contains("9.9.9"), "{text}");
    assert!(text.contains("1d 2h 3m 4s"), "{text}");
    assert!(text.contains("1.5 KiB"), "{text}");
    assert!(text.contains("127.0.0.1:8886 (TLS)"), "{text}");
    assert!(text.contains("/var/lib/<script>alert(1)</script>"), "markup in data stays text: {text}");
    assert_eq!(parent.query_selector_all("script").unwrap().length(), 0, "no element was created from data");
    assert_eq!(parent.query_selector_all("[data-testid=status-table] tr").unwrap().length(), 5);
    let storage = parent.query_selector("[data-testid=storage-table]").unwrap().unwrap().text_content().unwrap();
    for expected in ["16.0 MiB", "64 MiB", "25.0 %", "30 days", "34,218", "Preserved12", "2.5 KiB", "Events last 24 h4,000", "41 days at the last day's rate"] {
        assert!(storage.contains(expected), "{expected} missing from {storage}");
    }
    assert!(storage.contains("2026-11-2"), "oldest event kept as a date: {storage}");
    assert_eq!(parent.query_selector_all("[data-testid=storage-table] tr").unwrap().length(), 10);
    assert!(text.contains("disk full <b>x</b>"), "the problem is text: {text}");
    assert_eq!(parent.query_selector_all("b").unwrap().length(), 0);
}

#[wasm_bindgen_test]
fn health_notice_shows_the_reason_as_text() {
    use app::model::Health;
    use app::ui::components::health_banner::HealthNotice;
    let parent = container();
    let health = Health {
        status: "unavailable".into(),
        version: "9.9.9".into(),
        reason: Some("no space left on device <img src=x onerror=alert(1)>".into()),
        since: Some((js_sys::Date::now() * 1000.0) as i64 - 3 * 60_000_000),
        writer_restarts: 0,
    };
    let _handle = leptos::mount::mount_to(parent.clone(), move || view! { <HealthNotice health=health.clone()/> });
    let banner = parent.query_selector("[role=alert][data-testid=health-banner]").unwrap().expect("an alert");
    let text = banner.text_content().unwrap();
    assert!(text.contains("Storage is not taking uploads: no space left on device <img src=x onerror=alert(1)>"), "{text}");
    assert!(text.contains("(since 3 min ago)"), "{text}");
    assert_eq!(parent.query_selector_all("img").unwrap().length(), 0, "the reason is text");
}

#[wasm_bindgen_test]
fn status_table_without_budget_or_retention() {
    let parent = container();
    let status = ServerStatus {
        version: "1".into(),
        uptime_seconds: 1,
        data_dir: "d".into(),
        data_dir_bytes: 1,
        listen: "l".into(),
        tls: false,
        storage: StorageStatus { file_bytes: 4096, ..StorageStatus::default() },
    };
    let _handle = leptos::mount::mount_to(parent.clone(), move || view! { <StatusTable status=status.clone()/> });
    let storage = parent.query_selector("[data-testid=storage-table]").unwrap().unwrap().text_content().unwrap();
    assert!(storage.contains("none") && storage.contains("forever"), "{storage}");
    assert!(parent.query_selector("[data-testid=storage-problem]").unwrap().is_none());
}

mod events {
    use super::container;
    use app::filters::Condition;
    use app::model::{Action, AuditEvent, EventDetail, EventSummary, Format, RuleMessage, Severity};
    use app::ui::components::body_view::BodyView;
    use app::ui::components::event_table::{EventRow, RowActions};
    use app::ui::pages::event::EventDetailView;
    use leptos::prelude::*;
    use leptos_router::components::Router;
    use std::sync::{Arc, Mutex};
    use wafscope_parse::Body;
    use wasm_bindgen::JsCast;
    use wasm_bindgen_test::*;

    const SCRIPT: &str = "<script>alert(1)</script>";
    const IMG: &str = "<img src=x onerror=alert(2)>";
    const SVG: &str = "<svg onload=alert(3)>";
    const TEMPLATE: &str = "{{constructor.constructor('alert(4)')()}}";

    fn summary() -> EventSummary {
        EventSummary {
            id: 1_795_576_972_913_255,
            received_at: 1_795_576_972_913_255,
            time: Some(1_795_576_972_882_185),
            sensor: format!("web-01{SVG}"),
            unique_id: "awZUjJcoj9eS2jw-PvIXVwAAAAA".into(),
            client_ip: "2001:db8::7".into(),
            host: format!("shop.example.com{IMG}"),
            method: "GET".into(),
            uri: format!("/search?q={SCRIPT}&t={TEMPLATE}"),
            status: Some(403),
            action: Action::Blocked,
            rule_ids: vec![941100, 941110, 949110],
            max_severity: Some(Severity::Critical),
            anomaly_score: Some(15),
            top_rule: Some(941100),
            top_message: Some(format!("XSS Attack Detected via libinjection {SCRIPT}")),
            parse_ok: true,
            format: Format::ModSec2Native,
            warning_count: 0,
            hash_mismatch: false,
            revision: 0,
            preserved: false,
            alerts: Vec::new(),
            inbound_threshold: None,
            state: Default::default(),
            tags: Vec::new(),
            covered_by: None,
        }
    }

    fn no_markup_from_data(parent: &web_sys::HtmlElement) {
        for tag in ["script", "img", "svg:not(.sparkline):not(.icon)", "iframe", "object"] {
            assert_eq!(parent.query_selector_all(tag).unwrap().length(), 0, "a <{tag}> element was created from data");
        }
        let links = parent.query_selector_all("a[href]").unwrap();
        for index in 0..links.length() {
            let link: web_sys::Element = links.item(index).unwrap().unchecked_into();
            let href = link.get_attribute("href").unwrap();
            assert!(href.starts_with('/') && !href.starts_with("//"), "only same-origin routes: {href}");
            assert!(!href.contains('<') && !href.contains(' '), "query values are encoded: {href}");
        }
    }

    #[wasm_bindgen_test]
    fn row_shows_payloads_as_text_and_filters_on_click() {
        let parent = container();
        let clicked = Arc::new(Mutex::new(Vec::<Condition>::new()));
        let opened = Arc::new(Mutex::new(Vec::<u64>::new()));
        let (clicked_in, opened_in) = (clicked.clone(), opened.clone());
        let _handle = leptos::mount::mount_to(parent.clone(), move || {
            let actions = RowActions {
                on_filter: Callback::new(move |condition| clicked_in.lock().unwrap().push(condition)),
                on_open: Callback::new(move |id| opened_in.lock().unwrap().push(id)),
            };
            view! { <Router><table><tbody><EventRow event=Arc::new(summary()) href="/events/1?rule=941100".to_owned() actions/></tbody></table></Router> }
        });
        let text = parent.text_content().unwrap();
        for payload in [SCRIPT, IMG, SVG, TEMPLATE] {
            assert!(text.contains(payload), "{payload} missing from {text}");
        }
        assert!(text.contains("941100") && text.contains("+2") && text.contains("CRITICAL") && text.contains("blocked"), "{text}");
        assert!(text.contains("2001:db8::7") && text.contains("403") && text.contains("15"), "{text}");
        no_markup_from_data(&parent);

        let ip: web_sys::HtmlElement = parent.query_selector("td.col-ip button").unwrap().unwrap().unchecked_into();
        ip.click();
        let rule: web_sys::HtmlElement = parent.query_selector("td.col-rule button").unwrap().unwrap().unchecked_into();
        rule.click();
        let chips: Vec<String> = clicked.lock().unwrap().iter().map(Condition::chip_text).collect();
        assert_eq!(chips, vec!["ip:2001:db8::7".to_owned(), "rule:941100".to_owned()]);
        assert!(opened.lock().unwrap().is_empty(), "a value click does not open the event");
        let uri: web_sys::HtmlElement = parent.query_selector("td.col-uri").unwrap().unwrap().unchecked_into();
        uri.click();
        assert_eq!(*opened.lock().unwrap(), vec![summary().id]);
        assert!(parent.query_selector("[data-testid=preserved-badge]").unwrap().is_none(), "no badge unless preserved");
    }

    #[wasm_bindgen_test]
    fn preserved_row_has_a_badge_that_filters() {
        let parent = container();
        let clicked = Arc::new(Mutex::new(Vec::<Condition>::new()));
        let clicked_in = clicked.clone();
        let _handle = leptos::mount::mount_to(parent.clone(), move || {
            let actions = RowActions { on_filter: Callback::new(move |condition| clicked_in.lock().unwrap().push(condition)), on_open: Callback::new(|_| {}) };
            let event = Arc::new(EventSummary { preserved: true, ..summary() });
            view! { <Router><table><tbody><EventRow event href="/events/1".to_owned() actions/></tbody></table></Router> }
        });
        let badge: web_sys::HtmlElement = parent.query_selector("[data-testid=preserved-badge]").unwrap().unwrap().unchecked_into();
        assert_eq!(badge.text_content().unwrap(), "preserved");
        badge.click();
        let chips: Vec<String> = clicked.lock().unwrap().iter().map(Condition::chip_text).collect();
        assert_eq!(chips, vec!["preserved:yes".to_owned()]);
    }

    /// Lets the reactive system run the effects a click scheduled.
    async fn tick() {
        let promise = js_sys::Promise::new(&mut |resolve, _| {
            web_sys::window().unwrap().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 10).unwrap();
        });
        wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
    }

    #[wasm_bindgen_test]
    async fn body_view_opens_binary_in_hex_and_toggles() {
        let parent = container();
        let bytes = b"\x00\xffPK<script>x</script>".to_vec();
        let _handle = leptos::mount::mount_to(parent.clone(), move || view! { <BodyView bytes=bytes.clone()/> });
        let hex: web_sys::HtmlElement = parent.query_selector("[data-testid=hexdump]").unwrap().unwrap().unchecked_into();
        let hex_text = hex.text_content().unwrap();
        assert!(hex_text.contains("00 ff 50 4b 3c 73"), "{hex_text}");
        assert!(hex_text.contains("..PK<script>x</s"), "ASCII column keeps markup as text: {hex_text}");
        let text_wrap = parent.query_selector(".body-text-wrap").unwrap().unwrap();
        assert!(text_wrap.class_list().contains("hidden"), "binary opens in hex");
        let buttons = parent.query_selector_all(".segmented button").unwrap();
        let text_button: web_sys::HtmlElement = buttons.item(0).unwrap().unchecked_into();
        text_button.click();
        tick().await;
        assert!(!text_wrap.class_list().contains("hidden"), "Text shows the text view");
        assert_eq!(parent.query_selector_all("script").unwrap().length(), 0);

        let printable = container();
        let _second = leptos::mount::mount_to(printable.clone(), || view! { <BodyView bytes=format!("q={SCRIPT}").into_bytes()/> });
        let text_wrap = printable.query_selector(".body-text-wrap").unwrap().unwrap();
        assert!(!text_wrap.class_list().contains("hidden"), "printable bytes open as text");
        assert!(printable.text_content().unwrap().contains(&format!("q={SCRIPT}")));
    }

    #[wasm_bindgen_test]
    fn event_detail_links_rules_and_keeps_payloads_as_text() {
        let parent = container();
        let message = RuleMessage {
            rule_id: Some(941100),
            message: format!("XSS Attack Detected via libinjection {IMG}"),
            data: format!("Matched Data: XSS data found within ARGS:q: {SCRIPT}"),
            severity: Some(Severity::Critical),
            tags: vec!["attack-xss".into(), "paranoia-level/1".into(), SVG.into()],
            paranoia_level: Some(1),
            matched_var: Some("ARGS:q".into()),
            ..RuleMessage::default()
        };
        let event = AuditEvent {
            unique_id: "awZUjJcoj9eS2jw-PvIXVwAAAAA".into(),
            time_us: Some(1_795_576_972_882_185),
            utc_offset_minutes: Some(60),
            client_ip: "2001:db8::7".into(),
            client_port: Some(51532),
            host: "shop.example.com".into(),
            method: "POST".into(),
            uri: format!("/search?q={SCRIPT}"),
            protocol: "HTTP/1.1".into(),
            request_headers: vec![("User-Agent".into(), format!("javascript:alert(5) {TEMPLATE}"))],
            request_body: Some(Body(format!("comment={SVG}").into_bytes())),
            status: Some(403),
            response_headers: vec![("X-Echo".into(), IMG.into())],
            response_body: Some(Body(vec![0, 1, 2, 0xff])),
            messages: vec![message],
            phase: Some(2),
            action: Action::Blocked,
            inbound_score: Some(10),
            ..AuditEvent::default()
        };
        let detail = EventDetail {
            summary: summary(),
            event,
            warnings: vec![format!("odd line {SCRIPT}")],
            raw_size: 1234,
            md5: "00".repeat(16),
            triage: app::model::TriageDetail {
                note: format!("note {IMG}"),
                history: vec![app::model::TriageRecord { at: 1, user: format!("ana{SVG}"), added_tags: vec!["blog".into()], ..Default::default() }],
            },
        };
        let _handle = leptos::mount::mount_to(parent.clone(), move || view! { <Router><EventDetailView detail=detail.clone()/></Router> });
        let text = parent.text_content().unwrap();
        for payload in [SCRIPT, IMG, SVG, TEMPLATE, "javascript:alert(5)"] {
            assert!(text.contains(payload), "{payload} missing");
        }
        assert!(text.contains("Blocked 403 (phase 2)"), "{text}");
        assert!(text.contains("2026-11-25 04:22:52.882 +01:00") && text.contains("2026-11-25 03:22:52.882 UTC"), "{text}");
        let rule = parent.query_selector("[data-testid=rule-id]").unwrap().unwrap();
        assert_eq!(rule.get_attribute("href").as_deref(), Some("/events?rule=941100"));
        assert!(parent.query_selector("[data-testid=response-body] [data-testid=hexdump]").unwrap().is_some());
        // the triage panel, read-only without a signed-in analyst: note and history as text
        let note = parent.query_selector("[data-testid=triage-note]").unwrap().unwrap();
        assert_eq!(note.text_content().unwrap(), format!("note {IMG}"));
        assert!(parent.query_selector("[data-testid=triage-history]").unwrap().unwrap().text_content().unwrap().contains(&format!("ana{SVG}: +blog")));
        assert!(parent.query_selector("[data-testid=triage-save]").unwrap().is_none());
        // the tunable alert links to its similar events and its draft; the scoring rule does not
        let drafts = parent.query_selector_all("[data-testid=draft-exclusion]").unwrap();
        assert!(drafts.length() >= 1);
        no_markup_from_data(&parent);
    }
}
