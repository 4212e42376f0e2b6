//! Shown for client routes the console does not have.

use leptos::prelude::*;
use leptos_router::components::A;

/// A short explanation and a way back.
#[component]
pub fn NotFoundPage() -> impl IntoView {
    view! {
        <section class="empty-state">
            <h1>"No such page"</h1>
            <p>"This address is not part of the console. " <A href="/live">"Go to Live"</A></p>
        </section>
    }
}
