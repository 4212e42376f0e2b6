//! Saved views: the navigation's list (the user's own and the shared ones, each a link to
//! Events with its filter) and the Events page's "Save view" (admins may share it).

use crate::filters::with_query;
use crate::model::{Role, SavedView, ViewRequest};
use crate::ui::CurrentSession;
use crate::ui::api;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;

/// The views as the navigation knows them; asked again after a save or a delete.
#[derive(Clone, Copy)]
pub struct ViewList {
    views: RwSignal<Vec<SavedView>>,
}

impl ViewList {
    /// Provides the list to the pages below and loads it.
    pub fn provide() -> ViewList {
        let list = ViewList { views: RwSignal::new(Vec::new()) };
        provide_context(list);
        list.reload();
        list
    }

    pub fn reload(self) {
        spawn_local(async move {
            if let Ok(views) = api::triage::list_views().await {
                self.views.set(views);
            }
        });
    }
}

/// The navigation's list of views.
#[component]
pub fn SavedViewsNav() -> impl IntoView {
    let list = expect_context::<ViewList>();
    let CurrentSession(session) = expect_context::<CurrentSession>();
    let me = move || session.with(|info| info.as_ref().map(|info| (info.username.clone(), info.role)));
    view! {
        <Show when=move || list.views.with(|views| !views.is_empty())>
            <div class="nav-section muted small">"Views"</div>
            <ul class="nav views" data-testid="saved-views">
                {move || list.views.get().into_iter().map(|view| {
                    let id = view.id;
                    let removable = me().is_some_and(|(user, role)| user == view.owner || role >= Role::Admin);
                    view! {
                        <li>
                            <A href=with_query("/events", &view.query) attr:data-testid="saved-view" attr:title=view.query.clone()>
                                {view.name.clone()}{view.shared.then_some(" ·shared")}
                            </A>
                            {removable.then(|| view! {
                                <button type="button" class="bare small" title="delete this view" data-testid="saved-view-delete"
                                    on:click=move |_| spawn_local(async move { if api::triage::delete_view(id).await.is_ok() { list.reload(); } })>"×"</button>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
        </Show>
    }
}

/// "Save view" for the Events page: the filter's URL query under a name.
#[component]
pub fn SaveView(query: Callback<(), String>) -> impl IntoView {
    let list = expect_context::<ViewList>();
    let CurrentSession(session) = expect_context::<CurrentSession>();
    let admin = session.with_untracked(|info| info.as_ref().is_some_and(|info| info.role >= Role::Admin));
    let open = RwSignal::new(false);
    let name = RwSignal::new(String::new());
    let shared = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let save = move || {
        let request = ViewRequest { name: name.get_untracked(), query: query.run(()), shared: shared.get_untracked() };
        if let Some(problem) = request.problem() {
            error.set(Some(problem));
            return;
        }
        spawn_local(async move {
            match api::triage::create_view(&request).await {
                Ok(_) => {
                    open.set(false);
                    name.set(String::new());
                    error.set(None);
                    list.reload();
                }
                Err(failure) => error.set(Some(failure.to_string())),
            }
        });
    };
    view! {
        <button type="button" class="button small" data-testid="save-view" on:click=move |_| open.update(|open| *open = !*open)>"Save view"</button>
        <Show when=move || open.get()>
            <form class="confirm-inline" data-testid="save-view-form" on:submit=move |event| { event.prevent_default(); save(); }>
                <input type="text" placeholder="name" data-testid="save-view-name" prop:value=move || name.get() on:input=move |event| name.set(event_target_value(&event))/>
                {admin.then(|| view! { <label class="small"><input type="checkbox" data-testid="save-view-shared" on:change=move |event| shared.set(event_target_checked(&event))/>" shared"</label> })}
                <button type="submit" class="button small primary" data-testid="save-view-save">"Save"</button>
            </form>
        </Show>
        <Show when=move || error.with(Option::is_some)><span class="error small" role="alert">{move || error.get()}</span></Show>
    }
}
