//! A request or response body as text, or as a hex dump (automatic for binary bytes).
//! Bytes are never interpreted: text is a text node, hex is computed here.

use crate::format::{format_bytes, hex_dump, looks_binary};
use leptos::prelude::*;

/// Hex views longer than this show the start and point to the raw download.
pub const HEX_LIMIT: usize = 64 * 1024;

/// `bytes` with a Text/Hex toggle; opens in hex when they look binary.
#[component]
pub fn BodyView(bytes: Vec<u8>, #[prop(optional, into)] testid: String) -> impl IntoView {
    let binary = looks_binary(&bytes);
    let hex = RwSignal::new(binary);
    let size = bytes.len();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let shown = &bytes[..size.min(HEX_LIMIT)];
    let lines = hex_dump(shown);
    let truncated = size > HEX_LIMIT;
    let hex_view = view! {
        <div class="hexdump mono" data-testid="hexdump">
            {lines.into_iter().map(|line| view! {
                <div class="hex-line">
                    <span class="hex-offset">{line.offset}</span>
                    <span class="hex-bytes">{line.hex}</span>
                    <span class="hex-ascii">{line.ascii}</span>
                </div>
            }).collect_view()}
            {truncated.then(|| view! { <p class="muted">"first 64 KiB shown; the Raw download has every byte"</p> })}
        </div>
    };
    view! {
        <div class="body-view" data-testid=testid>
            <div class="body-head">
                <span class="label">"Body"</span>
                <span class="muted">{format_bytes(size as u64)}{binary.then_some(" · binary")}</span>
                <span class="segmented" role="group" aria-label="Body view">
                    <button type="button" class:active=move || !hex.get() aria-pressed=move || (!hex.get()).to_string() on:click=move |_| hex.set(false)>"Text"</button>
                    <button type="button" class:active=move || hex.get() aria-pressed=move || hex.get().to_string() on:click=move |_| hex.set(true)>"Hex"</button>
                </span>
            </div>
            <div class="body-text-wrap" class:hidden=move || hex.get()>
                <pre class="body-text mono" data-testid="body-text">{text}</pre>
            </div>
            <div class:hidden=move || !hex.get()>{hex_view}</div>
        </div>
    }
}
