//! Deliveries prepared before the timed loop: bodies from ghfe's test
//! fixtures with a unique job id each, signed, with a fresh delivery GUID.

use std::path::Path;

use hmac::{Hmac, KeyInit, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

/// What a run sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scenario {
    /// One `queued` delivery per job.
    Queued,
    /// `queued`, `in_progress`, `completed` per job, in order.
    Lifecycle,
    /// Lifecycle plus 10 % duplicates, 5 % ignored labels, 1 % bad signatures.
    Mixed,
}

/// The label the shipped default rule routes.
const ROUTED_LABEL: &str = "ubuntu-24.04-riscv";

/// One prepared request and what its answer is checked against.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub bytes: Vec<u8>,
    pub job_id: i64,
    pub delivery_id: String,
    pub action: Action,
    /// A redelivery of an earlier request (same GUID).
    pub duplicate: bool,
    /// Signed with the wrong secret.
    pub bad_signature: bool,
    /// Labels no rule routes.
    pub ignored: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Queued,
    InProgress,
    Completed,
}

/// The three payload templates.
#[derive(Debug)]
pub struct Templates {
    queued: Value,
    in_progress: Value,
    completed: Value,
}

impl Templates {
    pub fn load(fixtures: &Path) -> anyhow::Result<Self> {
        let read = |name: &str| -> anyhow::Result<Value> {
            Ok(serde_json::from_slice(&std::fs::read(
                fixtures.join(name),
            )?)?)
        };
        Ok(Self {
            queued: read("workflow_job.queued.json")?,
            in_progress: read("workflow_job.in_progress.json")?,
            completed: read("workflow_job.completed.success.with-organization.json")?,
        })
    }

    fn body(&self, action: Action, job_id: i64, label: &str) -> Vec<u8> {
        let mut document = match action {
            Action::Queued => self.queued.clone(),
            Action::InProgress => self.in_progress.clone(),
            Action::Completed => self.completed.clone(),
        };
        document["workflow_job"]["id"] = json!(job_id);
        document["workflow_job"]["labels"] = json!([label]);
        serde_json::to_vec(&document).expect("serialisable")
    }
}

/// A small deterministic generator (xorshift64*), so runs are repeatable.
#[derive(Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    /// A number in `0..100`.
    pub fn percent(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % 100
    }
}

fn sign(body: &[u8], secret: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn request(body: &[u8], delivery: &str, signature: &str) -> Vec<u8> {
    let mut bytes = format!(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: GitHub-Hookshot/ghfe-loadgen\r\n\
         Content-Type: application/json\r\nX-GitHub-Event: workflow_job\r\n\
         X-GitHub-Delivery: {delivery}\r\nX-GitHub-Hook-Installation-Target-Id: 1\r\n\
         X-Hub-Signature-256: {signature}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// The requests of one job, in the order they must be sent.
pub fn job_requests(
    templates: &Templates,
    scenario: Scenario,
    job_id: i64,
    secret: &str,
    rng: &mut Rng,
) -> Vec<Prepared> {
    let actions: &[Action] = match scenario {
        Scenario::Queued => &[Action::Queued],
        Scenario::Lifecycle | Scenario::Mixed => {
            &[Action::Queued, Action::InProgress, Action::Completed]
        }
    };
    let mixed = scenario == Scenario::Mixed;
    let ignored = mixed && rng.percent() < 5;
    let label = if ignored {
        "ubuntu-latest"
    } else {
        ROUTED_LABEL
    };
    let mut out = Vec::with_capacity(actions.len() + 1);
    for &action in actions {
        let body = templates.body(action, job_id, label);
        let delivery_id = uuid::Uuid::new_v4().to_string();
        let bad_signature = mixed && rng.percent() < 1;
        let secret = if bad_signature {
            "not-the-secret"
        } else {
            secret
        };
        let prepared = Prepared {
            bytes: request(&body, &delivery_id, &sign(&body, secret)),
            job_id,
            delivery_id,
            action,
            duplicate: false,
            bad_signature,
            ignored,
        };
        let redeliver = mixed && rng.percent() < 10;
        out.push(prepared.clone());
        if redeliver {
            out.push(Prepared {
                duplicate: true,
                ..prepared
            });
        }
    }
    out
}
