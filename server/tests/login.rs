//! Login and logout through the Leptos server functions (`/api/fn/login`, `/api/fn/logout`).

mod support;

use axum::http::{Method, StatusCode, header};
use support::{TestApp, body_json, request};

fn server_fn(path: &str) -> axum::http::request::Builder {
    request(Method::POST, path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded").header(header::ACCEPT, "application/json")
}

fn login_request(_username: &str, _password: &str) -> axum::http::request::Builder {
    server_fn("/api/fn/login")
}

fn form(username: &str, password: &str) -> String {
    format!("username={username}&password={password}")
}

#[tokio::test]
async fn login_sets_a_strict_http_only_cookie_that_authenticates() {
    let app = TestApp::new();
    app.create_user("alice", "correct-horse", app::model::Role::Analyst);
    let response = app.send_body(login_request("alice", "correct-horse"), form("alice", "correct-horse")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response.headers()[header::SET_COOKIE].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("wafscope_session="), "{cookie}");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attribute), "{attribute} missing: {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP: no Secure flag: {cookie}");
    let body = body_json(response).await;
    assert_eq!(body["signed_in"]["username"], "alice", "{body}");
    assert_eq!(body["signed_in"]["role"], "analyst", "{body}");

    let session_cookie = cookie.split(';').next().unwrap().to_owned();
    let status = app.send(request(Method::GET, "/api/v1/status").header(header::COOKIE, &session_cookie)).await;
    assert_eq!(status.status(), StatusCode::OK);
    let whoami = app.send_body(server_fn("/api/fn/current_user").header(header::COOKIE, &session_cookie), String::new()).await;
    assert_eq!(body_json(whoami).await["username"], "alice");

    let logout = app
        .send_body(
            request(Method::POST, "/api/fn/logout")
                .header(header::COOKIE, &session_cookie)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::ACCEPT, "application/json"),
            String::new(),
        )
        .await;
    assert_eq!(logout.status(), StatusCode::OK);
    assert!(logout.headers()[header::SET_COOKIE].to_str().unwrap().contains("Max-Age=0"));
    let after = app.send(request(Method::GET, "/api/v1/status").header(header::COOKIE, &session_cookie)).await;
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED, "the session is gone server-side");
    let whoami = app.send_body(server_fn("/api/fn/current_user").header(header::COOKIE, &session_cookie), String::new()).await;
    assert_eq!(whoami.status(), StatusCode::OK);
    assert!(body_json(whoami).await.is_null());
}

#[tokio::test]
async fn wrong_password_is_refused_without_a_cookie() {
    let app = TestApp::new();
    app.create_user("alice", "correct-horse", app::model::Role::Viewer);
    for (user, password) in [("alice", "wrong-horse"), ("mallory", "correct-horse")] {
        let response = app.send_body(login_request(user, password), form(user, password)).await;
        assert_eq!(response.status(), StatusCode::OK, "a refusal is an answer, not an HTTP error");
        assert!(response.headers().get(header::SET_COOKIE).is_none());
        assert_eq!(body_json(response).await["refused"], "wrong username or password");
    }
}

#[tokio::test]
async fn repeated_failures_are_rate_limited_even_with_the_right_password() {
    let app = TestApp::new();
    app.create_user("bob", "correct-horse", app::model::Role::Viewer);
    for _ in 0..server::auth::rate_limit::LOGIN_LIMITS.per_name_at_client {
        let response = app.send_body(login_request("bob", "guess"), form("bob", "guess")).await;
        assert_eq!(body_json(response).await["refused"], "wrong username or password");
    }
    let response = app.send_body(login_request("bob", "correct-horse"), form("bob", "correct-horse")).await;
    assert!(response.headers().get(header::SET_COOKIE).is_none());
    let refusal = body_json(response).await["refused"].as_str().unwrap_or_default().to_owned();
    assert!(refusal.starts_with("too many failed sign-ins"), "{refusal}");
}

#[tokio::test]
async fn parallel_guesses_take_their_slots_before_hashing_and_cannot_lock_the_user_out_elsewhere() {
    let app = TestApp::new();
    app.create_user("admin", "correct-horse", app::model::Role::Admin);
    let mut guesses = tokio::task::JoinSet::new();
    for index in 0..12 {
        let request = login_request("admin", "guess").body(axum::body::Body::from(form("admin", &format!("guess{index}")))).unwrap();
        let router = server::router(app.state.clone());
        guesses.spawn(async move {
            use tower::ServiceExt;
            let request = {
                let (mut parts, body) = request.into_parts();
                parts.extensions.insert(axum::extract::ConnectInfo("192.0.2.66:1234".parse::<std::net::SocketAddr>().unwrap()));
                axum::http::Request::from_parts(parts, body)
            };
            body_json(router.oneshot(request).await.unwrap()).await["refused"].as_str().unwrap_or_default().to_owned()
        });
    }
    let refusals = guesses.join_all().await;
    let checked = refusals.iter().filter(|refusal| *refusal == "wrong username or password").count();
    assert_eq!(checked, server::auth::rate_limit::LOGIN_LIMITS.per_name_at_client, "only the allowed guesses reach the hash: {refusals:?}");
    assert!(refusals.iter().all(|refusal| refusal == "wrong username or password" || refusal.starts_with("too many failed sign-ins")), "{refusals:?}");

    // the real admin, from another address: slowed down, not locked out
    let started = std::time::Instant::now();
    let response = app.send_body(support::from(login_request("admin", "correct-horse"), "198.51.100.7:5555"), form("admin", "correct-horse")).await;
    assert_eq!(body_json(response).await["signed_in"]["username"], "admin");
    assert!(started.elapsed() >= std::time::Duration::from_millis(250 * 5), "the failures slowed the sign-in down");
}

#[tokio::test]
async fn state_changes_from_another_origin_are_refused_even_with_a_session() {
    let app = TestApp::new();
    app.create_user("root", "correct-horse", app::model::Role::Admin);
    app.create_sensor("web-01");
    let signed_in = app
        .send_body(
            login_request("root", "correct-horse").header(header::ORIGIN, "http://console.test:8886").header(header::HOST, "console.test:8886"),
            form("root", "correct-horse"),
        )
        .await;
    let cookie = signed_in.headers()[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_owned();
    // another port of the same host is same-site: SameSite=Strict sends the cookie along
    for (origin, fetch_site) in [(Some("http://console.test:9999"), None), (Some("null"), None), (None, Some("same-site")), (None, Some("cross-site"))] {
        let mut attack = server_fn("/api/fn/sensor_remove").header(header::HOST, "console.test:8886").header(header::COOKIE, &cookie);
        if let Some(origin) = origin {
            attack = attack.header(header::ORIGIN, origin);
        }
        if let Some(site) = fetch_site {
            attack = attack.header("sec-fetch-site", site);
        }
        let response = app.send_body(attack, "name=web-01".to_owned()).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{origin:?} {fetch_site:?}");
        assert!(app.state.store.get_sensor("web-01").unwrap().is_some(), "the sensor is still there");
        let preserve = app
            .send(
                request(Method::POST, "/api/v1/preserve?sensor=web-01")
                    .header(header::HOST, "console.test:8886")
                    .header(header::COOKIE, &cookie)
                    .header(header::ORIGIN, "http://console.test:9999"),
            )
            .await;
        assert_eq!(preserve.status(), StatusCode::FORBIDDEN);
    }
    // the console's own page may
    let own = server_fn("/api/fn/sensor_remove")
        .header(header::HOST, "console.test:8886")
        .header(header::COOKIE, &cookie)
        .header(header::ORIGIN, "http://console.test:8886");
    let response = app.send_body(own, "name=web-01".to_owned()).await;
    assert_eq!(response.status(), StatusCode::OK, "{}", support::body_text(response).await);
    assert!(app.state.store.get_sensor("web-01").unwrap().is_none());
}
