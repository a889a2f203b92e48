//! Demand as the pages read it: live demand (jobs) beside supply (the
//! scheduler's workers), grouped by entity and label set, and the history
//! of jobs.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};

use crate::domain::history::HistoryQuery;
use crate::domain::job::JobStatus;
use crate::ports::{DemandLog, HistoryPage, IgnoredJob, JobListing, StoreError, WorkerListing};

/// Ignored job deliveries listed at most.
const IGNORED_SHOWN: i64 = 50;

/// What `/usage` shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage {
    pub totals: Totals,
    pub groups: Vec<UsageGroup>,
    pub ignored: Vec<IgnoredJob>,
}

/// The whole fleet's demand and supply.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    pub jobs_pending: usize,
    pub jobs_running: usize,
    pub pods_starting: usize,
    pub pods_running: usize,
    pub pods_failed: usize,
    pub oldest_pending_seconds: Option<i64>,
}

impl Totals {
    fn of(groups: &[UsageGroup]) -> Self {
        groups.iter().fold(Self::default(), |total, group| Self {
            jobs_pending: total.jobs_pending + group.jobs_pending,
            jobs_running: total.jobs_running + group.jobs_running,
            pods_starting: total.pods_starting + group.workers_pending,
            pods_running: total.pods_running + group.workers_running,
            pods_failed: total.pods_failed + group.workers_failed,
            oldest_pending_seconds: total
                .oldest_pending_seconds
                .max(group.oldest_pending_seconds),
        })
    }
}

/// Reads demand and supply for `/usage`, `/history` and `/stats`.
#[derive(Debug, Clone)]
pub struct Demand<S> {
    pub(super) store: S,
}

impl<S: DemandLog> Demand<S> {
    pub fn new(store: S) -> Self {
        Self { store }
    }

    /// Active jobs and workers, grouped, ages as of `now`.
    /// The fleet now: groups, totals, and the job deliveries no rule
    /// matched in the last day.
    pub async fn usage(&self, now: DateTime<Utc>) -> Result<Usage, StoreError> {
        let day = now - TimeDelta::days(1);
        let jobs = self.store.active_jobs().await?;
        let workers = self.store.active_workers(day).await?;
        let ignored = self.store.ignored_jobs(day, IGNORED_SHOWN).await?;
        let groups = group(jobs, workers, now);
        Ok(Usage {
            totals: Totals::of(&groups),
            groups,
            ignored,
        })
    }

    pub async fn history(&self, query: &HistoryQuery) -> Result<HistoryPage, StoreError> {
        self.store.history(query).await
    }
}

/// One entity's demand and supply for one label set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageGroup {
    pub entity_id: Option<i64>,
    pub entity_name: String,
    pub entity_type: String,
    pub labels: Vec<String>,
    pub pools: Vec<String>,
    pub jobs_pending: usize,
    pub jobs_running: usize,
    /// How long the oldest pending job has waited.
    pub oldest_pending_seconds: Option<i64>,
    pub workers_pending: usize,
    pub workers_running: usize,
    /// Workers that failed in the last day.
    pub workers_failed: usize,
    /// The group's jobs, oldest first.
    pub jobs: Vec<UsageJob>,
    /// The group's runner pods, oldest first.
    pub workers: Vec<UsageWorker>,
}

/// A runner pod of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageWorker {
    pub pod_name: String,
    pub node: Option<String>,
    pub status: &'static str,
    pub age_seconds: i64,
    /// The scheduler's `failure_info`, as `key: value` text.
    pub failure: Option<String>,
    /// The active job the pod serves, when its row names the pod.
    pub job_id: Option<i64>,
    pub job_url: Option<String>,
}

/// One job of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageJob {
    pub job_id: i64,
    pub status: &'static str,
    pub repo_full_name: String,
    pub pool: String,
    pub html_url: Option<String>,
    pub age_seconds: i64,
}

type Key = (Option<i64>, Vec<String>);

/// Groups active jobs and workers; entities sorted by name, then labels.
pub fn group(
    jobs: Vec<JobListing>,
    workers: Vec<WorkerListing>,
    now: DateTime<Utc>,
) -> Vec<UsageGroup> {
    let mut groups: BTreeMap<Key, UsageGroup> = BTreeMap::new();
    let served: BTreeMap<String, (i64, Option<String>)> = jobs
        .iter()
        .filter_map(|job| {
            let pod = job.k8s_pod.clone()?;
            Some((pod, (job.job_id.0, job.html_url.clone())))
        })
        .collect();
    let new_group = |key: &Key, name: &str, kind: &str| UsageGroup {
        entity_id: key.0,
        entity_name: name.to_owned(),
        entity_type: kind.to_owned(),
        labels: key.1.clone(),
        pools: Vec::new(),
        jobs_pending: 0,
        jobs_running: 0,
        oldest_pending_seconds: None,
        workers_pending: 0,
        workers_running: 0,
        workers_failed: 0,
        jobs: Vec::new(),
        workers: Vec::new(),
    };
    for job in jobs {
        let key = (
            Some(job.entity.id.0),
            job.labels.iter().map(str::to_owned).collect(),
        );
        let group = groups
            .entry(key.clone())
            .or_insert_with(|| new_group(&key, &job.entity.name, &job.entity.kind));
        let age = (now - job.created_at).num_seconds().max(0);
        if job.status == JobStatus::Pending {
            group.jobs_pending += 1;
            group.oldest_pending_seconds = Some(
                group
                    .oldest_pending_seconds
                    .map_or(age, |oldest| oldest.max(age)),
            );
        } else {
            group.jobs_running += 1;
        }
        add_pool(&mut group.pools, &job.k8s_pool);
        group.jobs.push(UsageJob {
            job_id: job.job_id.0,
            status: job.status.as_str(),
            repo_full_name: job.repo_full_name,
            pool: job.k8s_pool,
            html_url: job.html_url,
            age_seconds: age,
        });
    }
    for worker in workers {
        let key = (
            worker.entity_id.map(|id| id.0),
            worker.labels.iter().map(str::to_owned).collect(),
        );
        let name = worker.entity_name.as_deref().unwrap_or("(unknown)");
        let group = groups.entry(key.clone()).or_insert_with(|| {
            new_group(
                &key,
                name,
                worker.entity_type.as_deref().unwrap_or_default(),
            )
        });
        match worker.status {
            JobStatus::Pending => group.workers_pending += 1,
            JobStatus::Failed => group.workers_failed += 1,
            _ => group.workers_running += 1,
        }
        if let Some(pool) = &worker.k8s_pool {
            add_pool(&mut group.pools, pool);
        }
        let (job_id, job_url) = served
            .get(&worker.pod_name)
            .cloned()
            .map_or((None, None), |(id, url)| (Some(id), url));
        group.workers.push(UsageWorker {
            job_id,
            job_url,
            pod_name: worker.pod_name,
            node: worker.k8s_node,
            status: worker.status.as_str(),
            age_seconds: (now - worker.created_at).num_seconds().max(0),
            failure: worker.failure_info.as_ref().map(readable),
        });
    }
    let mut groups: Vec<UsageGroup> = groups.into_values().collect();
    groups.sort_by(|a, b| {
        (a.entity_name.to_lowercase(), &a.labels).cmp(&(b.entity_name.to_lowercase(), &b.labels))
    });
    groups
}

/// `failure_info` for people: an object as `key: value; …`, a string as
/// itself, anything else as JSON; at most 300 characters.
fn readable(info: &serde_json::Value) -> String {
    let text = match info {
        serde_json::Value::String(text) => text.clone(),
        serde_json::Value::Object(fields) => fields
            .iter()
            .map(|(key, value)| match value {
                serde_json::Value::String(text) => format!("{key}: {text}"),
                other => format!("{key}: {other}"),
            })
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    };
    let mut short: String = text.chars().take(300).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}

fn add_pool(pools: &mut Vec<String>, pool: &str) {
    if !pools.iter().any(|known| known == pool) {
        pools.push(pool.to_owned());
        pools.sort();
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;
    use crate::domain::delivery::Entity;
    use crate::domain::ids::{EntityId, JobId};

    fn job(
        id: i64,
        owner: i64,
        name: &str,
        labels: &[&str],
        status: JobStatus,
        age: i64,
        now: DateTime<Utc>,
    ) -> JobListing {
        JobListing {
            job_id: JobId(id),
            status,
            entity: Entity {
                kind: "Organization".into(),
                id: EntityId(owner),
                name: name.into(),
            },
            repo_full_name: format!("{name}/repo"),
            labels: labels.iter().collect(),
            k8s_pool: "pool-a".into(),
            k8s_image: "img".into(),
            k8s_pod: Some(format!("pod-{id}")),
            html_url: Some(format!("https://github.com/{name}/repo/job/{id}")),
            job_name: None,
            job_conclusion: None,
            created_at: now - TimeDelta::seconds(age),
            github_created_at: None,
            started_at: None,
            completed_at: None,
        }
    }

    #[test]
    fn jobs_and_workers_group_by_entity_and_labels() {
        let now = Utc::now();
        let jobs = vec![
            job(1, 10, "zeta", &["riscv"], JobStatus::Pending, 30, now),
            job(2, 10, "zeta", &["riscv"], JobStatus::Pending, 90, now),
            job(3, 10, "zeta", &["riscv"], JobStatus::Running, 200, now),
            job(4, 20, "Alpha", &["riscv"], JobStatus::Pending, 5, now),
            job(5, 10, "zeta", &["riscv", "big"], JobStatus::Running, 5, now),
        ];
        let workers = vec![WorkerListing {
            pod_name: "pod-1".into(),
            status: JobStatus::Running,
            entity_id: Some(EntityId(10)),
            entity_name: Some("zeta".into()),
            entity_type: Some("Organization".into()),
            labels: ["RISCV"].into_iter().collect(),
            k8s_pool: Some("pool-b".into()),
            k8s_node: Some("node-1".into()),
            failure_info: None,
            created_at: now,
        }];
        let groups = group(jobs, workers, now);
        let summary: Vec<_> = groups
            .iter()
            .map(|g| {
                (
                    g.entity_name.as_str(),
                    g.labels.join(","),
                    g.jobs_pending,
                    g.jobs_running,
                    g.workers_running,
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("Alpha", "riscv".into(), 1, 0, 0),
                ("zeta", "big,riscv".into(), 0, 1, 0),
                ("zeta", "riscv".into(), 2, 1, 1)
            ]
        );
        let zeta = &groups[2];
        assert_eq!(zeta.oldest_pending_seconds, Some(90));
        assert_eq!(zeta.pools, ["pool-a", "pool-b"]);
        assert_eq!(
            zeta.jobs.iter().map(|j| j.job_id).collect::<Vec<_>>(),
            [1, 2, 3]
        );
    }

    #[test]
    fn failed_workers_count_apart_and_say_why() {
        let now = Utc::now();
        let worker = |pod: &str, status, info: Option<serde_json::Value>| WorkerListing {
            pod_name: pod.into(),
            status,
            entity_id: Some(EntityId(10)),
            entity_name: Some("zeta".into()),
            entity_type: Some("Organization".into()),
            labels: ["riscv"].into_iter().collect(),
            k8s_pool: Some("pool".into()),
            k8s_node: None,
            failure_info: info,
            created_at: now - TimeDelta::seconds(60),
        };
        let groups = group(
            vec![],
            vec![
                worker("ok", JobStatus::Running, None),
                worker(
                    "bad",
                    JobStatus::Failed,
                    Some(serde_json::json!({"reason": "ImagePullBackOff", "exit_code": 1})),
                ),
                worker(
                    "odd",
                    JobStatus::Failed,
                    Some(serde_json::json!("OOMKilled")),
                ),
            ],
            now,
        );
        let totals = Totals::of(&groups);
        assert_eq!((totals.pods_running, totals.pods_failed), (1, 2));
        let failures: Vec<_> = groups[0]
            .workers
            .iter()
            .map(|w| w.failure.clone())
            .collect();
        assert_eq!(
            failures,
            [
                None,
                Some("exit_code: 1; reason: ImagePullBackOff".into()),
                Some("OOMKilled".into())
            ]
        );
        assert_eq!(
            readable(&serde_json::json!("x".repeat(400)))
                .chars()
                .count(),
            301
        );
    }

    #[test]
    fn nothing_active_is_no_groups() {
        assert!(group(vec![], vec![], Utc::now()).is_empty());
    }
}
