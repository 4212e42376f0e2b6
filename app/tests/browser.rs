//! Component tests in a real browser (headless chromium through wasm-bindgen-test-runner):
//! `cargo xtask test` runs them with WASM_BINDGEN_USE_BROWSER=1.
#![cfg(all(target_arch = "wasm32", feature = "ui"))]

use app::model::ServerStatus;
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
    };
    let _handle = leptos::mount::mount_to(parent.clone(), move || view! { <StatusTable status=status.clone()/> });
    let text = parent.text_content().unwrap();
    assert!(text.contains("9.9.9"), "{text}");
    assert!(text.contains("1d 2h 3m 4s"), "{text}");
    assert!(text.contains("1.5 KiB"), "{text}");
    assert!(text.contains("127.0.0.1:8886 (TLS)"), "{text}");
    assert!(text.contains("/var/lib/<script>alert(1)</script>"), "markup in data stays text: {text}");
    assert_eq!(parent.query_selector_all("script").unwrap().length(), 0, "no element was created from data");
    assert_eq!(parent.query_selector_all("tr").unwrap().length(), 5);
}
