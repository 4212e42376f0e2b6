//! The console's frame: side navigation (with a badge while sensors are silent), signed-in
//! user and logout, and the storage health banner above every page.

use super::CurrentSession;
use super::components::health_banner::HealthBanner;
use super::components::icons::{Icon, IconSvg};
use super::components::saved_views::{SavedViewsNav, ViewList};
use super::components::sensor_strip::{SensorFeed, SilentBadge};
use crate::actions::Logout;
use leptos::prelude::*;
use leptos_router::components::A;

/// Side navigation plus the page area; `children` is the routed page.
#[component]
pub fn Shell(children: Children) -> impl IntoView {
    let CurrentSession(session) = expect_context::<CurrentSession>();
    SensorFeed::provide();
    ViewList::provide();
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
                    <li><A href="/live" attr:data-testid="nav-live"><span class="nav-icon"><IconSvg icon=Icon::Live/></span>"Live"</A></li>
                    <li><A href="/events" attr:data-testid="nav-events"><span class="nav-icon"><IconSvg icon=Icon::Events/></span>"Events"</A></li>
                    <li><A href="/dashboard" attr:data-testid="nav-dashboard"><span class="nav-icon"><IconSvg icon=Icon::Dashboard/></span>"Dashboard"</A></li>
                    <li><A href="/tuning" attr:data-testid="nav-tuning"><span class="nav-icon"><IconSvg icon=Icon::Filter/></span>"Tuning"</A></li>
                    <li><A href="/sensors" attr:data-testid="nav-sensors"><span class="nav-icon"><IconSvg icon=Icon::Sensors/></span>"Sensors"<SilentBadge/></A></li>
                    <li><A href="/status" attr:data-testid="nav-status"><span class="nav-icon"><IconSvg icon=Icon::Status/></span>"Status"</A></li>
                </ul>
                <SavedViewsNav/>
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
            <main class="page"><HealthBanner/>{children()}</main>
        </div>
    }
}
