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
    ]
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
    let mut checked = 0;
    for (method, path, least) in table(id) {
        let anonymous = app.send(request(method.clone(), &path)).await.status();
        let expected = if least.is_some() { StatusCode::UNAUTHORIZED } else { StatusCode::OK };
        assert_eq!(anonymous, expected, "{method} {path} without credentials");
        for (caller, role, (name, value)) in &callers {
            let status = app.send(request(method.clone(), &path).header(name, value)).await.status();
            let allowed = least.is_none_or(|least| *role >= least);
            if allowed {
                assert!(status.is_success(), "{method} {path} as {caller}: {status}");
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
    let table = table(7);
    for route in routes {
        let pattern = route.replace("{id}", "7");
        assert!(table.iter().any(|(_, path, _)| path.split('?').next() == Some(pattern.as_str())), "{route} has no line in the role table");
    }
}
