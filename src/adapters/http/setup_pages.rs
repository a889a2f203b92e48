//! `GET /setup/org` and `GET /setup/personal`.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Serialize;

use super::HttpState;
use crate::app::setup::{AppLink, SetupPage};
use crate::app::wiring::Wiring;
use crate::domain::setup::{AppKind, SetupOutcome};

#[derive(Serialize)]
struct AppView<'a> {
    name: &'a str,
    install_url: Option<&'a str>,
}

impl<'a> From<&'a AppLink> for AppView<'a> {
    fn from(app: &'a AppLink) -> Self {
        Self {
            name: &app.name,
            install_url: app.install_url.as_deref(),
        }
    }
}

#[derive(Serialize)]
struct SetupView<'a> {
    outcome: &'static str,
    heading: &'static str,
    login: Option<&'a str>,
    expected: &'static str,
    actual: &'static str,
    runs_on: &'a str,
    this_app: AppView<'a>,
    other_app: AppView<'a>,
}

fn describe(account_type: &str) -> &'static str {
    if account_type == "Organization" {
        "an organization"
    } else {
        "a personal account"
    }
}

fn view(page: &SetupPage) -> SetupView<'_> {
    let (heading, login, actual) = match &page.outcome {
        SetupOutcome::Missing => ("Missing installation id", None, ""),
        SetupOutcome::WrongApp => ("Installation not found for this app", None, ""),
        SetupOutcome::UpstreamError => ("Something went wrong", None, ""),
        SetupOutcome::InstalledOk { login } => ("All set", Some(login.as_str()), ""),
        SetupOutcome::WrongType {
            login,
            account_type,
        } => (
            "This App is for another kind of account",
            Some(login.as_str()),
            describe(account_type),
        ),
    };
    SetupView {
        outcome: page.outcome.name(),
        heading,
        login,
        expected: if page.page == AppKind::Org {
            "organizations"
        } else {
            "personal accounts"
        },
        actual,
        runs_on: &page.runs_on,
        this_app: (&page.this_app).into(),
        other_app: (&page.other_app).into(),
    }
}

async fn render<W: Wiring>(
    state: &HttpState<W>,
    page: AppKind,
    query: &HashMap<String, String>,
) -> HttpResponse {
    let page = state
        .setup
        .page(page, query.get("installation_id").map(String::as_str))
        .await;
    state
        .pages
        .render(status(&page.outcome), "setup.html", &view(&page))
}

/// Each outcome's status: the page is an answer to GitHub's redirect.
fn status(outcome: &SetupOutcome) -> StatusCode {
    match outcome {
        SetupOutcome::InstalledOk { .. } => StatusCode::OK,
        SetupOutcome::Missing | SetupOutcome::WrongType { .. } => StatusCode::BAD_REQUEST,
        SetupOutcome::WrongApp => StatusCode::NOT_FOUND,
        SetupOutcome::UpstreamError => StatusCode::BAD_GATEWAY,
    }
}

/// `GET /setup/org`
pub async fn org<W: Wiring>(
    query: web::Query<HashMap<String, String>>,
    state: web::Data<HttpState<W>>,
) -> HttpResponse {
    render(&state, AppKind::Org, &query).await
}

/// `GET /setup/personal`
pub async fn personal<W: Wiring>(
    query: web::Query<HashMap<String, String>>,
    state: web::Data<HttpState<W>>,
) -> HttpResponse {
    render(&state, AppKind::Personal, &query).await
}
