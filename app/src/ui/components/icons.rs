//! Small static line icons (constant SVG, never built from data).

use leptos::prelude::*;

/// Which icon.
#[derive(Clone, Copy)]
pub enum Icon {
    Live,
    Events,
    Dashboard,
    Status,
    Sensors,
    Filter,
}

#[component]
pub fn IconSvg(icon: Icon) -> impl IntoView {
    let path = match icon {
        Icon::Live => "M8 6.5a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3M4.5 4.5a5 5 0 0 0 0 7M11.5 4.5a5 5 0 0 1 0 7M2.5 2.5a8 8 0 0 0 0 11M13.5 2.5a8 8 0 0 1 0 11",
        Icon::Events => "M2 4h1M2 8h1M2 12h1M5.5 4H14M5.5 8H14M5.5 12H14",
        Icon::Dashboard => "M2.5 2.5h4.5v6h-4.5zM9 2.5h4.5v3.5H9zM9 8h4.5v5.5H9zM2.5 10.5h4.5v3h-4.5z",
        Icon::Status => "M8 14.5a6.5 6.5 0 1 0 0-13 6.5 6.5 0 0 0 0 13M8 7v4.5M8 4.6v.2",
        Icon::Sensors => "M2.5 3h11v4h-11zM2.5 9h11v4h-11zM5 5h.2M5 11h.2",
        Icon::Filter => "M2 3h12L9.5 8.5V13l-3-1.5V8.5z",
    };
    view! {
        <svg class="icon" viewBox="0 0 16 16" fill="none" stroke="currentColor" stroke-width="1.4" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">
            <path d=path/>
        </svg>
    }
}
