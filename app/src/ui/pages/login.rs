//! The sign-in form (a Leptos server function, so the password never touches the JSON API).

use crate::actions::Login;
use crate::model::LoginOutcome;
use crate::ui::CurrentSession;
use leptos::prelude::*;

/// Username and password form; on success it stores the session in context.
#[component]
pub fn LoginPage() -> impl IntoView {
    let CurrentSession(session) = expect_context::<CurrentSession>();
    let login = ServerAction::<Login>::new();
    let error = RwSignal::new(None::<String>);
    Effect::new(move |_| match login.value().get() {
        Some(Ok(LoginOutcome::SignedIn(info))) => {
            error.set(None);
            session.set(Some(info));
        }
        Some(Ok(LoginOutcome::Refused(reason))) => error.set(Some(reason)),
        Some(Err(failure)) => error.set(Some(format!("sign-in failed: {failure}"))),
        None => {}
    });

    view! {
        <main class="login">
            <ActionForm action=login attr:class="login-card">
                <h1>"wafscope"</h1>
                <p class="muted">"Sign in to the console"</p>
                <label>
                    "Username"
                    <input type="text" name="username" autocomplete="username" required autofocus/>
                </label>
                <label>
                    "Password"
                    <input type="password" name="password" autocomplete="current-password" required/>
                </label>
                <Show when=move || error.with(Option::is_some)>
                    <p class="error" role="alert" data-testid="login-error">{move || error.get()}</p>
                </Show>
                <button class="button primary" type="submit" disabled=move || login.pending().get()>
                    "Sign in"
                </button>
            </ActionForm>
        </main>
    }
}
