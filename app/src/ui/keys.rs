//! Page keyboard shortcuts: which key presses are ours.

use wasm_bindgen::JsCast;
use web_sys::KeyboardEvent;

/// Whether a key press belongs to a form field or carries a modifier, so a page shortcut
/// (`j`, `k`, Enter, Space, `f`) must leave it alone.
pub fn not_for_shortcuts(event: &KeyboardEvent) -> bool {
    if event.ctrl_key() || event.meta_key() || event.alt_key() || event.default_prevented() {
        return true;
    }
    let Some(element) = event.target().and_then(|target| target.dyn_into::<web_sys::Element>().ok()) else { return false };
    let tag = element.tag_name().to_ascii_lowercase();
    matches!(tag.as_str(), "input" | "textarea" | "select" | "button" | "a") || element.has_attribute("contenteditable")
}
