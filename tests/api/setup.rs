//! the setup pages against a fake GitHub (wiremock), each
//! outcome, the App JWT GitHub receives, and escaping.

use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::app::{spawn_app_with, TestApp};
use crate::support::fixtures;

const ORG_APP: i64 = 1111;
const PERSONAL_APP: i64 = 2222;

/// ghfe whose Apps are set up against `github`.
async fn app_against(github: &MockServer) -> TestApp {
    let key = String::from_utf8(fixtures::bytes("app-private-key.pkcs1.pem")).unwrap();
    let pkcs8 = String::from_utf8(fixtures::bytes("app-private-key.pkcs8.pem")).unwrap();
    let uri = github.uri();
    spawn_app_with(move |s| {
        s.github.api_url = uri;
        s.github.timeout_ms = 500;
        s.github.apps.org.id = Some(ORG_APP);
        s.github.apps.org.name = Some("RISC-V Runners".into());
        s.github.apps.org.install_url =
            Some("https://github.com/apps/runners-org/installations/new".into());
        s.github.apps.org.private_key = Some(key.into());
        s.github.apps.personal.id = Some(PERSONAL_APP);
        s.github.apps.personal.name = Some("RISC-V Runners (personal)".into());
        s.github.apps.personal.install_url =
            Some("https://github.com/apps/runners-personal/installations/new".into());
        s.github.apps.personal.private_key = Some(pkcs8.into());
    })
    .await
}

async fn installation(github: &MockServer, id: i64, response: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path(format!("/app/installations/{id}")))
        .respond_with(response)
        .mount(github)
        .await;
}

fn account(login: &str, kind: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "id": 1, "account": {"login": login, "id": 9, "type": kind}, "target_type": kind, "app_id": ORG_APP
    }))
}

#[tokio::test]
async fn a_missing_or_malformed_installation_id_is_a_400_page() {
    let github = MockServer::start().await;
    let app = app_against(&github).await;
    for query in [
        "",
        "?installation_id=",
        "?installation_id=abc",
        "?installation_id=-4",
    ] {
        let page = app.get(&format!("/setup/org{query}"), None).await;
        assert_eq!(page.status, 400, "{query}");
        assert!(page.text.contains("Missing installation id"), "{query}");
        assert_eq!(page.headers["content-type"], "text/html; charset=utf-8");
    }
    assert!(github.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn an_installation_of_the_right_kind_is_all_set() {
    let github = MockServer::start().await;
    installation(&github, 10, account("acme", "Organization")).await;
    installation(&github, 20, account("octocat", "User")).await;
    let app = app_against(&github).await;
    let org = app.get("/setup/org?installation_id=10", None).await;
    assert_eq!(org.status, 200);
    assert!(org.text.contains("All set, acme!"));
    assert!(org.text.contains("runs-on: ubuntu-24.04-riscv"));
    let personal = app.get("/setup/personal?installation_id=20", None).await;
    assert_eq!(personal.status, 200);
    assert!(personal.text.contains("All set, octocat!"));
}

#[tokio::test]
async fn an_app_on_the_wrong_kind_of_account_names_the_mistake_and_links_the_right_app() {
    let github = MockServer::start().await;
    installation(&github, 30, account("octocat", "User")).await;
    installation(&github, 31, account("acme", "Organization")).await;
    let app = app_against(&github).await;
    let org_on_user = app.get("/setup/org?installation_id=30", None).await;
    assert_eq!(org_on_user.status, 400);
    assert!(org_on_user
        .text
        .contains("is for organizations, but octocat is a personal account"));
    assert!(org_on_user
        .text
        .contains("https://github.com/apps/runners-personal/installations/new"));
    let personal_on_org = app.get("/setup/personal?installation_id=31", None).await;
    assert_eq!(personal_on_org.status, 400);
    assert!(personal_on_org
        .text
        .contains("is for personal accounts, but acme is an organization"));
    assert!(personal_on_org
        .text
        .contains("https://github.com/apps/runners-org/installations/new"));
}

#[tokio::test]
async fn an_installation_unknown_to_this_app_links_the_other_app() {
    let github = MockServer::start().await;
    installation(
        &github,
        40,
        ResponseTemplate::new(404).set_body_json(json!({"message": "Not Found"})),
    )
    .await;
    let app = app_against(&github).await;
    let page = app.get("/setup/personal?installation_id=40", None).await;
    assert_eq!(page.status, 404);
    assert!(page.text.contains("Installation not found for this app"));
    assert!(page
        .text
        .contains("https://github.com/apps/runners-org/installations/new"));
}

#[tokio::test]
async fn github_failures_and_timeouts_are_a_502_page() {
    let github = MockServer::start().await;
    installation(&github, 50, ResponseTemplate::new(500)).await;
    installation(
        &github,
        51,
        account("late", "Organization").set_delay(Duration::from_secs(3)),
    )
    .await;
    installation(
        &github,
        52,
        ResponseTemplate::new(200).set_body_string("not json"),
    )
    .await;
    let app = app_against(&github).await;
    for id in [50, 51, 52] {
        let page = app
            .get(&format!("/setup/org?installation_id={id}"), None)
            .await;
        assert_eq!(page.status, 502, "installation {id}");
        assert!(
            page.text.contains("Something went wrong"),
            "installation {id}"
        );
    }
}

#[tokio::test]
async fn github_receives_an_app_jwt_signed_with_the_pages_app_key() {
    let github = MockServer::start().await;
    installation(&github, 60, account("acme", "Organization")).await;
    installation(&github, 61, account("octocat", "User")).await;
    let app = app_against(&github).await;
    app.get("/setup/org?installation_id=60", None).await;
    app.get("/setup/personal?installation_id=61", None).await;
    let public = DecodingKey::from_rsa_pem(&fixtures::bytes("app-public-key.pem")).unwrap();
    let now = chrono::Utc::now().timestamp();
    let requests = github.received_requests().await.unwrap();
    let issuers: Vec<String> = requests
        .iter()
        .map(|request| {
            let bearer = request.headers["authorization"]
                .to_str()
                .unwrap()
                .strip_prefix("Bearer ")
                .unwrap()
                .to_owned();
            let mut validation = Validation::new(Algorithm::RS256);
            validation.set_required_spec_claims(&["exp", "iat", "iss"]);
            let claims: Value = jsonwebtoken::decode(&bearer, &public, &validation)
                .unwrap()
                .claims;
            let (iat, exp) = (
                claims["iat"].as_i64().unwrap(),
                claims["exp"].as_i64().unwrap(),
            );
            assert!((now - 60 - iat).abs() <= 5, "iat {iat} is not now - 60 s");
            assert!((now + 540 - exp).abs() <= 5, "exp {exp} is not now + 9 min");
            assert_eq!(request.headers["accept"], "application/vnd.github+json");
            claims["iss"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(issuers, [ORG_APP.to_string(), PERSONAL_APP.to_string()]);
}

#[tokio::test]
async fn values_from_github_are_escaped() {
    let github = MockServer::start().await;
    installation(
        &github,
        70,
        account("<script>alert(1)</script>", "Organization"),
    )
    .await;
    let app = app_against(&github).await;
    let page = app.get("/setup/org?installation_id=70", None).await;
    assert_eq!(page.status, 200);
    assert!(!page.text.contains("<script>alert(1)</script>"));
    assert!(page.text.contains("&lt;script&gt;"));
}
