//! The Leptos CSR application: session gate, layout and the route tree (all routes live here).

mod api;
mod clock;
pub mod components;
mod keys;
mod layout;
pub mod pages;

use crate::model::SessionInfo;
use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

pub use api::ApiFailure;

/// The signed-in user, or `None` before login; provided as context to every page.
#[derive(Clone, Copy)]
pub struct CurrentSession(pub RwSignal<Option<SessionInfo>>);

/// Root component: asks the server who we are, then shows the login page or the console.
#[component]
pub fn App() -> impl IntoView {
    let session = RwSignal::new(None::<SessionInfo>);
    provide_context(CurrentSession(session));
    let checked = RwSignal::new(false);
    leptos::task::spawn_local(async move {
        if let Ok(Some(info)) = crate::actions::current_user().await {
            session.set(Some(info));
        }
        checked.set(true);
    });

    view! {
        <Show when=move || checked.get() fallback=|| view! { <div class="boot">"Loading…"</div> }>
            <Show
                when=move || session.with(Option::is_some)
                fallback=move || view! { <pages::login::LoginPage/> }
            >
                <Router>
                    <layout::Shell>
                        <Routes fallback=|| view! { <pages::not_found::NotFoundPage/> }>
                            <Route path=path!("/") view=pages::live::LivePage/>
                            <Route path=path!("/live") view=pages::live::LivePage/>
                            <Route path=path!("/events") view=pages::events::EventsPage/>
                            <Route path=path!("/events/:id") view=pages::event::EventPage/>
                            <Route path=path!("/dashboard") view=pages::dashboard::DashboardPage/>
                            <Route path=path!("/tuning") view=pages::tuning::TuningPage/>
                            <Route path=path!("/sensors") view=pages::sensors::SensorsPage/>
                            <Route path=path!("/status") view=pages::status::StatusPage/>
                        </Routes>
                    </layout::Shell>
                </Router>
            </Show>
        </Show>
    }
}
