//! Sensors: every sensor's health from the console's `SensorFeed` (`GET /api/v1/sensors`,
//! asked again on opening and every 15 s); for admins also adding, rotating and removing
//! sensors (the `sensor_*` server functions), with new secrets shown once as the mlogc.conf
//! fragment and the v3/Coraza URL to copy.

use crate::actions::{SensorAdd, SensorRemove, SensorRotate};
use crate::format::{format_count, format_datetime_ms, format_skew, sensor_state};
use crate::model::{Role, SensorCredentials, SensorCredentialsOutcome, SensorHealth, SensorRefusal, SensorRemovalOutcome};
use crate::ui::CurrentSession;
use crate::ui::clock::local_offset_minutes;
use crate::ui::components::empty::NoEventsYet;
use crate::ui::components::sensor_strip::{ActivityBars, SensorFeed};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

#[component]
pub fn SensorsPage() -> impl IntoView {
    let feed = SensorFeed::expect();
    feed.refresh();
    let sensors = feed.list;
    let CurrentSession(session) = expect_context::<CurrentSession>();
    let is_admin = session.with_untracked(|info| info.as_ref().is_some_and(|info| info.role == Role::Admin));
    // the row controls find it in context; non-admins get neither the context nor the controls
    let admin = is_admin.then(|| SensorAdmin::new(feed));
    if let Some(admin) = admin {
        provide_context(admin);
    }
    view! {
        <header class="page-head">
            <h1>"Sensors"</h1>
            {admin.map(|admin| view! { <AddSensorForm admin/> })}
            <span class="spacer"></span>
            <button class="button" on:click=move |_| feed.refresh()>"Refresh"</button>
        </header>
        {admin.map(|admin| view! { <AdminPanel admin/> })}
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || sensors.get().map(|result| match result {
                Ok(list) if list.sensors.is_empty() => view! { <NoEventsYet/> }.into_any(),
                Ok(list) => view! { <SensorTable sensors=list.sensors/> }.into_any(),
                Err(failure) => view! { <p class="error" role="alert">{failure.to_string()}</p> }.into_any(),
            })}
        </Suspense>
    }
}

/// One row per sensor.
#[component]
pub fn SensorTable(sensors: Vec<SensorHealth>) -> impl IntoView {
    view! {
        <table class="events sensors" data-testid="sensor-table">
            <thead>
                <tr>
                    <th class="col-sensor-name">"Sensor"</th>
                    <th class="col-state">"State"</th>
                    <th class="col-seen">"Last seen"</th>
                    <th class="col-activity" title="events stored per minute over the last hour">"Last hour"</th>
                    <th class="num">"Total"</th>
                    <th class="num" title="uploads over the size cap, answered 409">"Rejected"</th>
                    <th class="num" title="uploads refused with 401 since the server started">"Auth failures"</th>
                    <th class="num" title="stored events whose entry had parse warnings">"Parse warnings"</th>
                    <th class="num" title="receive time minus event time of the newest event">"Clock skew"</th>
                    {use_context::<SensorAdmin>().map(|_| view! { <th class="col-sensor-actions"><span class="visually-hidden">"Actions"</span></th> })}
                </tr>
            </thead>
            <tbody>
                {sensors.into_iter().map(|sensor| view! { <SensorRow sensor/> }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn SensorRow(sensor: SensorHealth) -> impl IntoView {
    let (state, tone) = sensor_state(sensor.silent_minutes);
    let seen = sensor.last_seen.map(|micros| format_datetime_ms(micros, local_offset_minutes(micros))).unwrap_or_else(|| "—".to_owned());
    let skew = sensor.clock_skew_seconds.map(format_skew).unwrap_or_else(|| "—".to_owned());
    let name = sensor.name.clone();
    let controls = use_context::<SensorAdmin>().map(|admin| view! { <SensorControls admin name=sensor.name.clone()/> });
    view! {
        <tr data-testid="sensor-row" data-sensor=name>
            <td class="mono">{sensor.name}</td>
            <td><span class=format!("sensor-state {tone}") data-testid="sensor-state">{state}</span></td>
            <td class="mono">{seen}</td>
            <td><ActivityBars counts=sensor.events_per_minute/></td>
            <td class="mono num" data-testid="sensor-total">{format_count(sensor.events_total)}</td>
            <td class="mono num" data-testid="sensor-rejected">{format_count(sensor.rejected_uploads)}</td>
            <td class="mono num" data-testid="sensor-auth-failures">{format_count(sensor.auth_failures)}</td>
            <td class="mono num">{format_count(sensor.parse_warnings)}</td>
            <td class="mono num">{skew}</td>
            {controls}
        </tr>
    }
}

/// A change of a sensor that waits for the admin's confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Pending {
    Rotate(String),
    Remove(String),
}

/// Secrets just issued, shown until dismissed (they are never shown again).
#[derive(Clone, PartialEq)]
struct Issued {
    credentials: SensorCredentials,
    rotated: bool,
}

/// A line about the last change: a refusal or failure, or a notice.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Message {
    Error(String),
    Notice(String),
}

/// The admin's sensor changes: the three server actions and what the page shows about them.
#[derive(Clone, Copy)]
struct SensorAdmin {
    add: ServerAction<SensorAdd>,
    rotate: ServerAction<SensorRotate>,
    remove: ServerAction<SensorRemove>,
    pending: RwSignal<Option<Pending>>,
    issued: RwSignal<Option<Issued>>,
    message: RwSignal<Option<Message>>,
}

impl SensorAdmin {
    /// Creates the actions; every answer refreshes sensor health (the table, the badge).
    fn new(feed: SensorFeed) -> SensorAdmin {
        let CurrentSession(session) = expect_context::<CurrentSession>();
        let admin = SensorAdmin {
            add: ServerAction::new(),
            rotate: ServerAction::new(),
            remove: ServerAction::new(),
            pending: RwSignal::new(None),
            issued: RwSignal::new(None),
            message: RwSignal::new(None),
        };
        let refused = move |refusal: SensorRefusal| {
            if refusal == SensorRefusal::NotSignedIn {
                session.set(None);
            }
            admin.message.set(Some(Message::Error(refusal.to_string())));
        };
        let failed = move |what: &str, failure: ServerFnError| admin.message.set(Some(Message::Error(format!("{what} failed: {failure}"))));
        let credentials = move |rotated: bool, result: Result<SensorCredentialsOutcome, ServerFnError>| {
            match result {
                Ok(SensorCredentialsOutcome::Issued(credentials)) => {
                    admin.message.set(None);
                    admin.issued.set(Some(Issued { credentials, rotated }));
                }
                Ok(SensorCredentialsOutcome::Refused(refusal)) => refused(refusal),
                Err(failure) => failed(if rotated { "rotating the password" } else { "adding the sensor" }, failure),
            }
            feed.refresh();
        };
        Effect::new(move |_| {
            if let Some(result) = admin.add.value().get() {
                credentials(false, result);
            }
        });
        Effect::new(move |_| {
            if let Some(result) = admin.rotate.value().get() {
                credentials(true, result);
            }
        });
        Effect::new(move |_| {
            if let Some(result) = admin.remove.value().get() {
                match result {
                    Ok(SensorRemovalOutcome::Removed(name)) => admin
                        .message
                        .set(Some(Message::Notice(format!("Removed sensor {name}: its uploads are refused from now on; the events it sent stay stored.")))),
                    Ok(SensorRemovalOutcome::Refused(refusal)) => refused(refusal),
                    Err(failure) => failed("removing the sensor", failure),
                }
                feed.refresh();
            }
        });
        admin
    }

    fn busy(&self) -> bool {
        self.add.pending().get() || self.rotate.pending().get() || self.remove.pending().get()
    }

    /// Starts a change: the page forgets shown secrets and the last message first.
    fn start(&self) {
        self.issued.set(None);
        self.message.set(None);
        self.pending.set(None);
    }
}

/// The "Add sensor" form in the page head.
#[component]
fn AddSensorForm(admin: SensorAdmin) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let wanted = name.get_untracked().trim().to_owned();
        if wanted.is_empty() {
            return;
        }
        admin.start();
        admin.add.dispatch(SensorAdd { name: wanted });
    };
    Effect::new(move |_| {
        if let Some(Ok(SensorCredentialsOutcome::Issued(_))) = admin.add.value().get() {
            name.set(String::new());
        }
    });
    view! {
        <form class="sensor-add" data-testid="sensor-add" on:submit=submit>
            <label for="sensor-add-name" class="visually-hidden">"New sensor name"</label>
            <input
                id="sensor-add-name"
                class="mono"
                type="text"
                name="name"
                placeholder="new sensor name, e.g. web-01"
                title="1-64 letters, digits, '.', '_', '@' or '-'"
                autocomplete="off"
                spellcheck="false"
                maxlength="64"
                required
                prop:value=move || name.get()
                on:input=move |event| name.set(event_target_value(&event))
            />
            <button class="button primary" type="submit" disabled=move || admin.busy()>"Add sensor"</button>
        </form>
    }
}

/// The admin's current business above the table: a confirmation, new secrets, a message.
#[component]
fn AdminPanel(admin: SensorAdmin) -> impl IntoView {
    view! {
        {move || admin.message.get().map(|message| match message {
            Message::Error(text) => view! { <p class="error" role="alert" data-testid="sensor-error">{text}</p> }.into_any(),
            Message::Notice(text) => view! { <p class="muted" role="status" data-testid="sensor-notice">{text}</p> }.into_any(),
        })}
        {move || admin.pending.get().map(|pending| view! { <ConfirmChange admin pending/> })}
        {move || admin.issued.get().map(|issued| view! { <ShownOnce admin issued/> })}
    }
}

/// Per row: "Rotate password" and "Remove", each asking for confirmation first.
#[component]
fn SensorControls(admin: SensorAdmin, name: String) -> impl IntoView {
    let rotate_name = name.clone();
    let remove_name = name.clone();
    view! {
        <td class="sensor-actions">
            <button
                class="button small"
                data-testid="sensor-rotate"
                title="new password and ingest URL; the old ones stop working"
                disabled=move || admin.busy()
                on:click=move |_| {
                    admin.start();
                    admin.pending.set(Some(Pending::Rotate(rotate_name.clone())));
                }
            >
                "Rotate password"
            </button>
            <button
                class="button small"
                data-testid="sensor-remove"
                disabled=move || admin.busy()
                on:click=move |_| {
                    admin.start();
                    admin.pending.set(Some(Pending::Remove(remove_name.clone())));
                }
            >
                "Remove"
            </button>
        </td>
    }
}

/// Asks before a rotation or removal, saying what it does.
#[component]
fn ConfirmChange(admin: SensorAdmin, pending: Pending) -> impl IntoView {
    let (question, consequence, confirm_label) = match &pending {
        Pending::Rotate(name) => (
            format!("Rotate the password of sensor {name}?"),
            "Its current password and v3/Coraza URL stop working at once: the sensor's uploads are refused (401) until you put the new ones into its configuration.",
            "Rotate password",
        ),
        Pending::Remove(name) => (
            format!("Remove sensor {name}?"),
            "Its credentials are deleted, so its uploads are refused (401) from now on. The events it already sent stay stored and searchable by its name.",
            "Remove sensor",
        ),
    };
    let label = question.clone();
    let confirm = move |_| {
        admin.pending.set(None);
        match pending.clone() {
            Pending::Rotate(name) => {
                admin.rotate.dispatch(SensorRotate { name });
            }
            Pending::Remove(name) => {
                admin.remove.dispatch(SensorRemove { name });
            }
        }
    };
    view! {
        <section class="panel sensor-confirm" role="group" aria-label=label data-testid="sensor-confirm">
            <div class="pad">
                <p><strong>{question}</strong></p>
                <p class="muted">{consequence}</p>
                <p>
                    <button class="button primary" data-testid="sensor-confirm-yes" on:click=confirm>{confirm_label}</button>
                    " "
                    <button class="button" data-testid="sensor-confirm-no" on:click=move |_| admin.pending.set(None)>"Cancel"</button>
                </p>
            </div>
        </section>
    }
}

/// New secrets of a sensor, with copy buttons, until the admin dismisses them.
#[component]
fn ShownOnce(admin: SensorAdmin, issued: Issued) -> impl IntoView {
    let Issued { credentials, rotated } = issued;
    let heading = if rotated { format!("New password of sensor {}", credentials.name) } else { format!("Sensor {} added", credentials.name) };
    let what_changed = rotated.then_some(" Its old password and v3/Coraza URL no longer work.");
    view! {
        <section class="panel sensor-secrets" data-testid="sensor-credentials" data-sensor=credentials.name.clone()>
            <div class="panel-head">
                <h2>{heading}</h2>
                <span class="spacer"></span>
                <button class="button small" data-testid="sensor-credentials-done" on:click=move |_| admin.issued.set(None)>"Done"</button>
            </div>
            <div class="pad">
                <p class="tone-detected" role="status">
                    "The password is shown only once: copy what the sensor needs now. wafscope keeps only its hash; if it is lost, rotate the password."
                    {what_changed}
                </p>
                <CopyBlock
                    label="mlogc.conf"
                    hint="ModSecurity 2 through mlogc: put these lines into the sensor's mlogc.conf."
                    text=credentials.mlogc_fragment
                    testid="mlogc-fragment"
                />
                <CopyBlock
                    label="v3/Coraza URL"
                    hint="libmodsecurity 3 and Coraza: SecAuditLogType HTTPS, SecAuditLog <this URL>."
                    text=credentials.ingest_url
                    testid="ingest-url"
                />
                <p class="muted small">
                    "The addresses use the host this browser reached wafscope at; change it if the sensor reaches the console by another name."
                </p>
            </div>
        </section>
    }
}

/// A labelled `<pre>` with a Copy button (the clipboard when the browser allows it, else the
/// text is selected for Ctrl+C).
#[component]
fn CopyBlock(label: &'static str, hint: &'static str, text: String, testid: &'static str) -> impl IntoView {
    let block = NodeRef::<leptos::html::Pre>::new();
    let copied = RwSignal::new(None::<&'static str>);
    let to_copy = text.clone();
    let copy = move |_| {
        let to_copy = to_copy.clone();
        leptos::task::spawn_local(async move {
            let state = if write_clipboard(&to_copy).await {
                "Copied"
            } else {
                select_contents(block.get_untracked());
                "Selected: press Ctrl+C"
            };
            copied.set(Some(state));
        });
    };
    view! {
        <div class="copy-block">
            <div class="copy-head">
                <span class="label">{label}</span>
                <span class="muted small">{hint}</span>
                <button class="button small" data-testid=format!("copy-{testid}") on:click=copy>"Copy"</button>
                <span class="muted small" role="status">{move || copied.get()}</span>
            </div>
            <pre class="code" data-testid=testid node_ref=block>{text}</pre>
        </div>
    }
}

/// Writes `text` to the clipboard; false where the browser offers none (plain HTTP to
/// another host is not a secure context) or refuses.
async fn write_clipboard(text: &str) -> bool {
    let Some(window) = web_sys::window() else { return false };
    let navigator = window.navigator();
    let clipboard = js_sys::Reflect::get(&navigator, &wasm_bindgen::JsValue::from_str("clipboard")).unwrap_or(wasm_bindgen::JsValue::UNDEFINED);
    if clipboard.is_undefined() || clipboard.is_null() {
        return false;
    }
    let clipboard: web_sys::Clipboard = clipboard.unchecked_into();
    wasm_bindgen_futures::JsFuture::from(clipboard.write_text(text)).await.is_ok()
}

fn select_contents(element: Option<web_sys::HtmlPreElement>) {
    let selection = web_sys::window().and_then(|window| window.get_selection().ok().flatten());
    if let (Some(selection), Some(element)) = (selection, element) {
        let _ = selection.select_all_children(&element);
    }
}
