//! Who may do what, route by route: every read and action of the HTTP API with no credentials,
//! and with a bearer token and a session of each role (viewer < analyst < admin). A route
//! added to the router without a line here fails `every_api_route_is_in_the_table`.

mod support;

use app::model::Role;
use axum::http::{Method, StatusCode, header};
use support::uploads::{basic, captured_uploads, put};
use support::{TestApp, body_json, request};

/// (method, path, least role; `None` = no credentials needed).
fn table(id: u64) -> Vec<(Method, String, Option<Role>)> {
    let viewer = Some(Role::Viewer);
    let analyst = Some(Role::Analyst);
    let admin = Some(Role::Admin);
    vec![
        (Method::GET, "/api/v1/health".into(), None),
        (Method::GET, "/api/v1/status".into(), viewer),
        (Method::GET, "/api/v1/storage".into(), viewer),
        (Method::GET, "/api/v1/session".into(), viewer),
        (Method::GET, "/api/v1/events".into(), viewer),
        (Method::GET, format!("/api/v1/events/{id}"), viewer),
        (Method::GET, format!("/api/v1/events/{id}/raw"), viewer),
        (Method::GET, "/api/v1/stats".into(), viewer),
        (Method::GET, "/api/v1/sensors".into(), viewer),
        (Method::GET, "/api/v1/live?stats_only=1".into(), viewer),
        (Method::POST, format!("/api/v1/events/{id}/preserve"), analyst),
        (Method::DELETE, format!("/api/v1/events/{id}/preserve"), analyst),
        (Method::POST, "/api/v1/preserve?sensor=web-01".into(), analyst),
        (Method::DELETE, "/api/v1/preserve?sensor=web-01".into(), analyst),
        (Method::POST, format!("/api/v1/events/{id}/triage"), analyst),
        (Method::POST, "/api/v1/triage".into(), analyst),
        (Method::GET, "/api/v1/triage/jobs".into(), viewer),
        (Method::GET, "/api/v1/triage/jobs/1".into(), viewer),
        (Method::GET, "/api/v1/views".into(), viewer),
        (Method::POST, "/api/v1/views".into(), viewer),
        (Method::PUT, "/api/v1/views/1".into(), admin),
        // (each request deletes or approves something another user made just before: `fresh`)
        (Method::DELETE, "/api/v1/views/{fresh_view}".into(), admin),
        (Method::GET, "/api/v1/tuning".into(), viewer),
        (Method::GET, "/api/v1/tuning/draft?rule=942100&variable=ARGS:q&path=/search".into(), viewer),
        (Method::GET, "/api/v1/tuning/what-if".into(), viewer),
        (Method::GET, "/api/v1/exclusions".into(), viewer),
        (Method::POST, "/api/v1/exclusions".into(), analyst),
        (Method::GET, "/api/v1/exclusions.conf?placement=before".into(), viewer),
        (Method::DELETE, "/api/v1/exclusions/{fresh_exclusion}".into(), admin),
        (Method::POST, "/api/v1/exclusions/{fresh_exclusion}/approve".into(), admin),
    ]
}

/// The JSON body a request of the table sends (`None`: none).
fn body_of(method: &Method, path: &str, id: u64) -> Option<String> {
    let path = path.split('?').next().unwrap_or(path);
    match (method.as_str(), path) {
        ("POST", "/api/v1/triage") => Some(format!(r#"{{"ids":[{id}],"add_tags":["role-check"]}}"#)),
        ("POST", path) if path.ends_with("/triage") => Some(r#"{"state":"reviewed"}"#.to_owned()),
        ("POST" | "PUT", "/api/v1/views") | ("PUT", _) if path.starts_with("/api/v1/views") => {
            Some(r#"{"name":"role check","query":"rule=942100"}"#.to_owned())
        }
        ("POST", "/api/v1/exclusions") => Some(EXCLUSION.to_owned()),
        _ => None,
    }
}

async fn send_with(app: &TestApp, builder: axum::http::request::Builder, body: Option<String>) -> axum::http::Response<axum::body::Body> {
    match body {
        Some(body) => app.send_body(builder.header(header::CONTENT_TYPE, "application/json"), body).await,
        None => app.send(builder).await,
    }
}

const EXCLUSION: &str = r#"{"spec":{"rule_id":942100,"form":"runtime","variable":"ARGS:q","path":"/search"},"comment":"role check"}"#;

/// Something another user made just now, for one request of the table that changes it.
async fn fresh(app: &TestApp, path: &str) -> String {
    if path.contains("{fresh_view}") {
        return path.replace("{fresh_view}", &fresh_view(app).await.to_string());
    }
    if path.contains("{fresh_exclusion}") {
        let author = app.create_token(&format!("author-{}", rand_suffix()), Role::Analyst);
        let create = request(Method::POST, "/api/v1/exclusions")
            .header(header::AUTHORIZATION, format!("Bearer {author}"))
            .header(header::CONTENT_TYPE, "application/json");
        let id = body_json(app.send_body(create, EXCLUSION.to_owned()).await).await["id"].as_u64().unwrap();
        return path.replace("{fresh_exclusion}", &id.to_string());
    }
    path.to_owned()
}

/// A new view of another user, for one DELETE of the table.
async fn fresh_view(app: &TestApp) -> u64 {
    let owner = app.create_token(&format!("owner-{}", rand_suffix()), Role::Viewer);
    let create =
        request(Method::POST, "/api/v1/views").header(header::AUTHORIZATION, format!("Bearer {owner}")).header(header::CONTENT_TYPE, "application/json");
    body_json(app.send_body(create, r#"{"name":"doomed","query":"rule=1"}"#.to_owned()).await).await["id"].as_u64().unwrap()
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// What the table's requests need to exist first: a finished triage job 1, and views 1 and 2
/// owned by another user.
async fn prepare(app: &TestApp, id: u64) {
    let owner = app.create_token("owner-token", Role::Viewer);
    let with = |method: Method, path: &str| {
        request(method, path).header(header::AUTHORIZATION, format!("Bearer {owner}")).header(header::CONTENT_TYPE, "application/json")
    };
    for _ in 0..2 {
        let response = app.send_body(with(Method::POST, "/api/v1/views"), r#"{"name":"owned","query":"rule=1"}"#.to_owned()).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    let analyst = app.create_token("job-token", Role::Analyst);
    let job = request(Method::POST, &format!("/api/v1/triage?rule=949110&from={}", id.saturating_sub(1)))
        .header(header::AUTHORIZATION, format!("Bearer {analyst}"))
        .header(header::CONTENT_TYPE, "application/json");
    assert_eq!(app.send_body(job, r#"{"add_tags":["job"]}"#.to_owned()).await.status(), StatusCode::ACCEPTED);
    let done = |app: &TestApp| app.state.triage_jobs.get(1).is_some_and(|job| job.done);
    for _ in 0..200 {
        if done(app) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the bulk job did not finish");
}

async fn sign_in(app: &TestApp, username: &str) -> String {
    let login =
        request(Method::POST, "/api/fn/login").header(header::CONTENT_TYPE, "application/x-www-form-urlencoded").header(header::ACCEPT, "application/json");
    let response = app.send_body(login, format!("username={username}&password=role-password-1")).await;
    let cookie = response.headers()[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_owned();
    assert!(body_json(response).await["signed_in"].is_object(), "{username} signed in");
    cookie
}

#[tokio::test]
async fn every_route_admits_exactly_the_roles_it_documents() {
    let app = TestApp::new();
    let (password, _) = app.create_sensor("web-01");
    assert_eq!(put(&app, &basic("web-01", &password), &captured_uploads("mlogc-captured")[0]).await.status(), StatusCode::OK);
    let id = app.state.store.last_event_id().unwrap();
    let mut callers: Vec<(String, Role, (header::HeaderName, String))> = Vec::new();
    for role in [Role::Viewer, Role::Analyst, Role::Admin] {
        let name = format!("{role:?}").to_lowercase();
        callers.push((format!("{name} token"), role, (header::AUTHORIZATION, format!("Bearer {}", app.create_token(&format!("{name}-token"), role)))));
        app.create_user(&name, "role-password-1", role);
        callers.push((format!("{name} session"), role, (header::COOKIE, sign_in(&app, &name).await)));
    }
    prepare(&app, id).await;
    let mut checked = 0;
    for (method, path, least) in table(id) {
        let body = body_of(&method, &path, id);
        let template = path.clone();
        let path = fresh(&app, &template).await;
        let anonymous = send_with(&app, request(method.clone(), &path), body.clone()).await.status();
        let expected = if least.is_some() { StatusCode::UNAUTHORIZED } else { StatusCode::OK };
        assert_eq!(anonymous, expected, "{method} {path} without credentials");
        for (caller, role, (name, value)) in &callers {
            let path = if template.contains("{fresh") { fresh(&app, &template).await } else { path.clone() };
            let status = send_with(&app, request(method.clone(), &path).header(name, value), body.clone()).await.status();
            let allowed = least.is_none_or(|least| *role >= least);
            if allowed {
                assert!(status.is_success(), "{method} {path} as {caller}: {status} (body {body:?})");
            } else {
                assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path} as {caller}");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, table(id).len() * 6);
}

#[test]
fn every_api_route_is_in_the_table() {
    // the router's /api/v1 routes, read from its source: a new one must be added above
    let source = include_str!("../src/http/mod.rs");
    let routes: Vec<&str> = source
        .lines()
        .filter_map(|line| line.trim().strip_prefix(".route(\""))
        .filter_map(|rest| rest.split('"').next())
        .filter(|path| path.starts_with("/api/v1/"))
        .collect();
    assert!(routes.len() >= 10, "{routes:?}");
    // a path parameter matches any number or placeholder
    let shape = |path: &str| -> Vec<String> {
        path.split('?')
            .next()
            .unwrap_or_default()
            .split('/')
            .map(|segment| if segment.starts_with('{') || segment.bytes().all(|b| b.is_ascii_digit()) { "*".to_owned() } else { segment.to_owned() })
            .collect()
    };
    let table = table(7);
    for route in routes {
        assert!(table.iter().any(|(_, path, _)| shape(path) == shape(route)), "{route} has no line in the role table");
    }
}
