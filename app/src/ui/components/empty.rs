//! Empty states that say what to do next.

use leptos::prelude::*;

/// Nothing stored yet: how to connect a sensor.
#[component]
pub fn NoEventsYet() -> impl IntoView {
    let origin = web_sys::window().and_then(|window| window.location().origin().ok()).unwrap_or_else(|| "https://THIS-CONSOLE:8886".to_owned());
    view! {
        <section class="empty-state" data-testid="no-events">
            <h2>"No event stored yet"</h2>
            <p>"wafscope shows what your ModSecurity sensors send. Register a sensor on the server:"</p>
            <pre class="mono code">"wafscope sensor add NAME --url " {origin}</pre>
            <p>
                "It generates the sensor's password (or reads one with " <code>"--password-stdin"</code>
                ") and prints the " <code>"mlogc.conf"</code>
                " fragment (ConsoleURI, SensorUsername, SensorPassword) to paste into the sensor's mlogc configuration, "
                "plus the ingest URL for libmodsecurity 3 and Coraza. Restart Apache so mlogc picks it up; "
                "new audit-log entries then appear here within a second."
            </p>
            <p class="muted">
                "Existing audit logs can be loaded with " <code>"wafscope import FILE…"</code> "."
            </p>
        </section>
    }
}

/// A filter that matches nothing.
#[component]
pub fn NoMatches() -> impl IntoView {
    view! {
        <section class="empty-state" data-testid="no-matches">
            <h2>"No events match these filters"</h2>
            <p>"Remove a chip, invert one with a click on its label, or widen the time range."</p>
        </section>
    }
}
