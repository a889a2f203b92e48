//! The GitHub API as one of the two Apps: an RS256 App JWT
//! (`iat` now − 60 s, `exp` now + 9 min, `iss` the App id),
//! `GET {api_url}/app/installations/{id}` for the setup pages and the
//! delivery log for redelivery (`deliveries.rs`) and the jobs API for
//! reconciliation (`jobs.rs`).

mod deliveries;
mod jobs;

use std::time::Duration;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};

use crate::domain::ids::InstallationId;
use crate::domain::setup::{AppKind, Installation};
use crate::ports::{InstallationLookup, LookupError};

/// One App's credentials.
#[derive(Clone)]
pub struct AppCredentials {
    pub id: i64,
    key: EncodingKey,
}

impl std::fmt::Debug for AppCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppCredentials")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl AppCredentials {
    /// Parses a PEM private key (PKCS#1 or PKCS#8) and proves it signs.
    pub fn new(id: i64, pem: &str) -> Result<Self, String> {
        let key = EncodingKey::from_rsa_pem(pem.as_bytes())
            .map_err(|e| format!("not an RSA private key in PEM: {e}"))?;
        let credentials = Self { id, key };
        credentials
            .jwt(chrono::Utc::now().timestamp())
            .map_err(|e| format!("the key cannot sign: {e}"))?;
        Ok(credentials)
    }

    /// A JWT as GitHub expects from an App, issued at `now` (Unix seconds).
    fn jwt(&self, now: i64) -> Result<String, jsonwebtoken::errors::Error> {
        let claims = Claims {
            iat: now - 60,
            exp: now + 9 * 60,
            iss: self.id.to_string(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &self.key)
    }
}

#[derive(Debug, Serialize)]
struct Claims {
    iat: i64,
    exp: i64,
    iss: String,
}

#[derive(Debug, Deserialize)]
struct InstallationBody {
    account: Account,
    target_type: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Account {
    login: String,
    #[serde(rename = "type")]
    kind: Option<String>,
}

/// The GitHub client of the setup pages and of redelivery.
#[derive(Debug, Clone)]
pub struct GithubClient {
    http: reqwest::Client,
    api_url: String,
    org: Option<AppCredentials>,
    personal: Option<AppCredentials>,
    jobs: std::sync::Arc<jobs::JobCaches>,
}

impl GithubClient {
    pub fn new(
        api_url: &str,
        timeout: Duration,
        org: Option<AppCredentials>,
        personal: Option<AppCredentials>,
    ) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .user_agent(concat!("ghfe/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            http,
            api_url: api_url.trim_end_matches('/').to_owned(),
            org,
            personal,
            jobs: std::sync::Arc::default(),
        })
    }

    /// `request` authenticated as `app`, with GitHub's API headers.
    fn as_app(
        &self,
        app: AppKind,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::RequestBuilder, String> {
        let credentials = match app {
            AppKind::Org => self.org.as_ref(),
            AppKind::Personal => self.personal.as_ref(),
        }
        .ok_or_else(|| format!("the {app:?} App has no id or private key configured"))?;
        let jwt = credentials
            .jwt(chrono::Utc::now().timestamp())
            .map_err(|e| e.to_string())?;
        Ok(request
            .bearer_auth(jwt)
            .header("Accept", "application/vnd.github+json")
            .header("X-GitHub-Api-Version", "2022-11-28"))
    }
}

impl InstallationLookup for GithubClient {
    async fn installation(
        &self,
        app: AppKind,
        id: InstallationId,
    ) -> Result<Option<Installation>, LookupError> {
        let url = format!("{}/app/installations/{id}", self.api_url);
        let response = self
            .as_app(app, self.http.get(url))
            .map_err(LookupError)?
            .send()
            .await
            .map_err(|e| LookupError(e.to_string()))?;
        match response.status().as_u16() {
            404 => Ok(None),
            200 => {
                let text = response
                    .text()
                    .await
                    .map_err(|e| LookupError(e.to_string()))?;
                let body: InstallationBody =
                    serde_json::from_str(&text).map_err(|e| LookupError(e.to_string()))?;
                let account_type = body.target_type.or(body.account.kind).unwrap_or_default();
                Ok(Some(Installation {
                    login: body.account.login,
                    account_type,
                }))
            }
            status => Err(LookupError(format!("GitHub answered {status}"))),
        }
    }
}
