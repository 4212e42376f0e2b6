//! The console's frame: side navigation, signed-in user and logout.

use super::CurrentSession;
use crate::actions::Logout;
use leptos::prelude::*;
use leptos_router::components::A;

/// Side navigation plus the page area; `children` is the routed page.
#[component]
pub fn Shell(children: Children) -> impl IntoView {
    let CurrentSession(session) = expect_context::<CurrentSession>();
    let logout = ServerAction::<Logout>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = logout.value().get() {
            session.set(None);
        }
    });
    let username = move || session.with(|s| s.as_ref().map(|s| s.username.clone()).unwrap_or_default());
    let role = move || session.with(|s| s.as_ref().map(|s| s.role.as_str()).unwrap_or_default());

    view! {
        <div class="shell">
            <nav class="sidebar" aria-label="Main">
                <div class="brand">
                    <span class="brand-mark" aria-hidden="true">"◎"</span>
                    <span class="brand-name">"wafscope"</span>
                </div>
                <ul class="nav">
                    <li><A href="/status">"Status"</A></li>
                </ul>
                <div class="sidebar-foot">
                    <div class="whoami">
                        <span class="user" data-testid="current-user">{username}</span>
                        <span class="role">{role}</span>
                    </div>
                    <button
                        class="button ghost"
                        data-testid="logout"
                        on:click=move |_| { logout.dispatch(Logout {}); }
                    >
                        "Log out"
                    </button>
                </div>
            </nav>
            <main class="page">{children()}</main>
        </div>
    }
}
