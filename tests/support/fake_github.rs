//! A fake of GitHub on loopback (wiremock). The App delivery log: each
//! App's attempts listed newest first in cursor pages with a `Link`
//! header, a redelivery accepted with 202 and then really delivered to
//! ghfe (signed, with the same GUID) by a courier task, which records the
//! new attempt with ghfe's answer. Installation tokens, minted for the App
//! that owns the installation, expiring. The jobs API: known jobs, 404s,
//! 403s, `ETag`s and a rate limit per installation. App endpoints need a
//! JWT that the App's public key verifies and whose `iss` is a known App;
//! the jobs API a live installation token; others get 401.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use ghfe::adapters::http::signature::sign;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{json, Value};
use wiremock::{Request, Respond, ResponseTemplate};

use super::app::SECRET;
use super::fixtures;

pub const ORG_APP: i64 = 1111;
pub const PERSONAL_APP: i64 = 2222;
/// Attempt ids start past 2^53, as GitHub's have.
const FIRST_ID: u64 = 9_007_199_254_740_993;

/// One delivery attempt as GitHub keeps it.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub id: u64,
    pub app: i64,
    pub guid: String,
    pub event: String,
    pub payload: Vec<u8>,
    pub delivered_at: DateTime<Utc>,
    pub status_code: u16,
}

#[derive(Debug, Default)]
struct State {
    attempts: Vec<Attempt>,
    next_id: u64,
    page_size: usize,
    /// Where redeliveries go; none: they stay queued.
    ghfe: Option<String>,
    queued: Vec<Attempt>,
    /// Attempt ids whose redelivery GitHub refuses (422).
    refused: HashSet<u64>,
    /// Redeliveries accepted before the rate limit answers.
    redeliveries_left: Option<usize>,
    list_calls: usize,
    redeliver_calls: usize,
    /// Jobs GitHub knows (their JSON), or `None` for a 403.
    jobs: HashMap<i64, Option<Value>>,
    /// Installations of the personal App (the others are the org App's).
    personal: HashSet<i64>,
    token_lifetime: TimeDelta,
    tokens: HashMap<String, (i64, DateTime<Utc>)>,
    minted: usize,
    job_calls: usize,
    not_modified: usize,
    /// Requests left per installation, of 5000.
    quota: HashMap<i64, u64>,
}

/// The fake, shared by its server, its courier and the test.
#[derive(Clone)]
pub struct FakeGithub {
    state: Arc<Mutex<State>>,
    pub server: Arc<wiremock::MockServer>,
}

impl FakeGithub {
    /// Starts the server and its courier.
    pub async fn start() -> Self {
        let server = Arc::new(wiremock::MockServer::start().await);
        let state = Arc::new(Mutex::new(State {
            next_id: FIRST_ID,
            page_size: 100,
            token_lifetime: TimeDelta::hours(1),
            ..State::default()
        }));
        let fake = Self { state, server };
        wiremock::Mock::given(wiremock::matchers::any())
            .respond_with(Responder(fake.clone_state()))
            .mount(&fake.server)
            .await;
        tokio::spawn(courier(fake.clone_state()));
        fake
    }

    fn clone_state(&self) -> Arc<Mutex<State>> {
        self.state.clone()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// Lists at most `size` attempts per page (GitHub: the `per_page` asked).
    pub fn page_size(&self, size: usize) {
        self.state().page_size = size;
    }

    /// Sends redeliveries to ghfe at `address` from now on.
    pub fn deliver_to(&self, address: &str) {
        self.state().ghfe = Some(address.to_owned());
    }

    /// GitHub records an attempt of `guid` that ghfe answered `status_code`
    /// (0: no answer), `age` ago; returns its id.
    pub fn attempted(
        &self,
        app: i64,
        guid: &str,
        event: &str,
        payload: Vec<u8>,
        age: TimeDelta,
        status_code: u16,
    ) -> u64 {
        let mut state = self.state();
        let id = state.next_id;
        state.next_id += 1;
        state.attempts.push(Attempt {
            id,
            app,
            guid: guid.into(),
            event: event.into(),
            payload,
            delivered_at: Utc::now() - age,
            status_code,
        });
        id
    }

    /// A failed `workflow_job` attempt of job `job_id` (a queued fixture).
    pub fn failed_job(&self, app: i64, guid: &str, job_id: i64, age: TimeDelta) -> u64 {
        let payload = fixtures::body(&fixtures::job(
            "workflow_job.queued.json",
            job_id,
            &["ubuntu-latest"],
        ));
        self.attempted(app, guid, "workflow_job", payload, age, 503)
    }

    /// GitHub answers 422 to a redelivery of attempt `id`.
    pub fn refuse(&self, id: u64) {
        self.state().refused.insert(id);
    }

    /// After `count` more accepted redeliveries, GitHub's rate limit answers.
    pub fn rate_limit_after(&self, count: usize) {
        self.state().redeliveries_left = Some(count);
    }

    pub fn attempts_of(&self, guid: &str) -> Vec<Attempt> {
        self.state()
            .attempts
            .iter()
            .filter(|a| a.guid == guid)
            .cloned()
            .collect()
    }

    /// (list requests, redelivery requests) so far.
    pub fn calls(&self) -> (usize, usize) {
        let state = self.state();
        (state.list_calls, state.redeliver_calls)
    }

    /// GitHub's view of job `id`: `status`, `conclusion`, …; `None`: 403.
    pub fn job(&self, id: i64, job: Option<Value>) {
        self.state().jobs.insert(id, job);
    }

    /// GitHub forgets job `id` (404).
    pub fn forget_job(&self, id: i64) {
        self.state().jobs.remove(&id);
    }

    /// Tokens minted from now on expire after `lifetime`.
    pub fn token_lifetime(&self, lifetime: TimeDelta) {
        self.state().token_lifetime = lifetime;
    }

    /// Installation `id` belongs to the personal App.
    pub fn personal_installation(&self, id: i64) {
        self.state().personal.insert(id);
    }

    /// Requests left to installation `id` this hour.
    pub fn quota(&self, id: i64, left: u64) {
        self.state().quota.insert(id, left);
    }

    /// (tokens minted, job requests, of which answered 304).
    pub fn job_calls(&self) -> (usize, usize, usize) {
        let state = self.state();
        (state.minted, state.job_calls, state.not_modified)
    }

    /// Redeliveries accepted but not yet delivered.
    pub fn queued(&self) -> usize {
        self.state().queued.len()
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

struct Responder(Arc<Mutex<State>>);

impl Respond for Responder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let path = request.url.path();
        if path.starts_with("/repos/") {
            return jobs_api(&mut lock(&self.0), request);
        }
        let Some(app) = verified_app(request) else {
            return ResponseTemplate::new(401)
                .set_body_json(json!({"message": "A JSON web token could not be decoded"}));
        };
        let mut state = lock(&self.0);
        if let Some(installation) = path
            .strip_prefix("/app/installations/")
            .and_then(|rest| rest.strip_suffix("/access_tokens"))
            .and_then(|id| id.parse::<i64>().ok())
        {
            return mint(&mut state, app, installation);
        }
        if request.method.as_str() == "GET" && path == "/app/hook/deliveries" {
            state.list_calls += 1;
            return page(&state, app, request);
        }
        let id = path
            .strip_prefix("/app/hook/deliveries/")
            .and_then(|rest| rest.strip_suffix("/attempts"))
            .and_then(|id| id.parse::<u64>().ok());
        let (Some(id), "POST") = (id, request.method.as_str()) else {
            return ResponseTemplate::new(404).set_body_json(json!({"message": "Not Found"}));
        };
        state.redeliver_calls += 1;
        if state.redeliveries_left == Some(0) {
            return ResponseTemplate::new(403)
                .insert_header("x-ratelimit-remaining", "0")
                .set_body_json(json!({"message": "API rate limit exceeded"}));
        }
        if state.refused.contains(&id) {
            return ResponseTemplate::new(422)
                .set_body_json(json!({"message": "Validation Failed"}));
        }
        let Some(attempt) = state
            .attempts
            .iter()
            .find(|a| a.id == id && a.app == app)
            .cloned()
        else {
            return ResponseTemplate::new(404).set_body_json(json!({"message": "Not Found"}));
        };
        if let Some(left) = &mut state.redeliveries_left {
            *left -= 1;
        }
        state.queued.push(attempt);
        ResponseTemplate::new(202).set_body_json(json!({}))
    }
}

/// An installation token, for the App that owns the installation.
fn mint(state: &mut State, app: i64, installation: i64) -> ResponseTemplate {
    let owner = if state.personal.contains(&installation) {
        PERSONAL_APP
    } else {
        ORG_APP
    };
    if owner != app {
        return ResponseTemplate::new(404).set_body_json(json!({"message": "Not Found"}));
    }
    state.minted += 1;
    let token = format!("ghs_{}_{}", installation, state.minted);
    let expires = Utc::now() + state.token_lifetime;
    state.tokens.insert(token.clone(), (installation, expires));
    ResponseTemplate::new(201)
        .set_body_json(json!({"token": token, "expires_at": expires.to_rfc3339()}))
}

/// `GET /repos/{owner}/{repo}/actions/jobs/{id}` with a live token.
fn jobs_api(state: &mut State, request: &Request) -> ResponseTemplate {
    let token = request
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    let live = state
        .tokens
        .get(token)
        .filter(|(_, expires)| *expires > Utc::now())
        .map(|(installation, _)| *installation);
    let Some(installation) = live else {
        return ResponseTemplate::new(401).set_body_json(json!({"message": "Bad credentials"}));
    };
    state.job_calls += 1;
    let id = request
        .url
        .path()
        .rsplit('/')
        .next()
        .and_then(|id| id.parse::<i64>().ok())
        .unwrap_or(0);
    let known = state.jobs.get(&id).cloned();
    let etag = match &known {
        Some(Some(job)) => Some(format!("\"{:x}\"", fnv(&job.to_string()))),
        _ => None,
    };
    let asked = request
        .headers
        .get("if-none-match")
        .and_then(|v| v.to_str().ok());
    let unchanged = etag.is_some() && asked == etag.as_deref();
    let left = state.quota.entry(installation).or_insert(5000);
    if !unchanged {
        *left = left.saturating_sub(1);
    }
    let quota = left.to_string();
    let response = match known {
        _ if unchanged => {
            state.not_modified += 1;
            ResponseTemplate::new(304)
        }
        Some(Some(job)) => ResponseTemplate::new(200)
            .set_body_json(job)
            .insert_header("etag", etag.unwrap_or_default().as_str()),
        Some(None) => ResponseTemplate::new(403)
            .set_body_json(json!({"message": "Resource not accessible by integration"})),
        None => ResponseTemplate::new(404).set_body_json(json!({"message": "Not Found"})),
    };
    response
        .insert_header("x-ratelimit-remaining", quota.as_str())
        .insert_header("x-ratelimit-limit", "5000")
}

/// A stable hash for `ETag`s (FNV-1a).
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The App whose key signed the request's JWT, if one did.
fn verified_app(request: &Request) -> Option<i64> {
    let token = request
        .headers
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")?;
    let public = fixtures::bytes("app-public-key.pem");
    let key = DecodingKey::from_rsa_pem(&public).ok()?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_required_spec_claims(&["exp", "iat", "iss"]);
    let claims = jsonwebtoken::decode::<Value>(token, &key, &validation)
        .ok()?
        .claims;
    let app: i64 = claims["iss"].as_str()?.parse().ok()?;
    [ORG_APP, PERSONAL_APP].contains(&app).then_some(app)
}

/// The page the cursor points to: attempts newest first.
fn page(state: &State, app: i64, request: &Request) -> ResponseTemplate {
    let start: usize = request
        .url
        .query_pairs()
        .find(|(key, _)| key == "cursor")
        .and_then(|(_, value)| value.strip_prefix("v1_")?.parse().ok())
        .unwrap_or(0);
    let mut mine: Vec<&Attempt> = state.attempts.iter().filter(|a| a.app == app).collect();
    mine.sort_by_key(|a| std::cmp::Reverse((a.delivered_at, a.id)));
    let end = (start + state.page_size).min(mine.len());
    let listed: Vec<Value> = mine[start.min(end)..end]
        .iter()
        .map(|a| {
            json!({
                "id": a.id, "guid": a.guid, "delivered_at": a.delivered_at.to_rfc3339(),
                "redelivery": false, "duration": 0.1, "status": "", "status_code": a.status_code,
                "event": a.event, "action": "queued", "installation_id": 1, "repository_id": 1,
            })
        })
        .collect();
    let mut response = ResponseTemplate::new(200).set_body_json(listed);
    if end < mine.len() {
        let link = format!(
            "<{}://{}/app/hook/deliveries?per_page=100&cursor=v1_{end}>; rel=\"next\"",
            request.url.scheme(),
            request.url.authority()
        );
        response = response.insert_header("link", link.as_str());
    }
    response
}

/// Delivers each accepted redelivery to ghfe and records the attempt.
async fn courier(state: Arc<Mutex<State>>) {
    let http = reqwest::Client::new();
    loop {
        tokio::time::sleep(Duration::from_millis(10)).await;
        let (target, queued) = {
            let mut state = lock(&state);
            match state.ghfe.clone() {
                Some(target) => (target, std::mem::take(&mut state.queued)),
                None => continue,
            }
        };
        for attempt in queued {
            let status_code = http
                .post(format!("{target}/"))
                .header("X-GitHub-Event", &attempt.event)
                .header("X-GitHub-Delivery", &attempt.guid)
                .header(
                    "X-GitHub-Hook-Installation-Target-Id",
                    attempt.app.to_string(),
                )
                .header("X-Hub-Signature-256", sign(&attempt.payload, SECRET))
                .header("Content-Type", "application/json")
                .body(attempt.payload.clone())
                .send()
                .await
                .map_or(0, |response| response.status().as_u16());
            let mut state = lock(&state);
            let id = state.next_id;
            state.next_id += 1;
            state.attempts.push(Attempt {
                id,
                delivered_at: Utc::now(),
                status_code,
                ..attempt
            });
        }
    }
}
