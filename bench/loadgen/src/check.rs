//! What the database says afterwards, and when the scheduler was woken.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde::Serialize;
use tokio_postgres::{AsyncMessage, Client, NoTls};

use crate::requests::Action;
use crate::run::Answer;

/// Notification arrival times, recorded on a thread of their own so the
/// load does not delay them.
#[derive(Debug, Clone, Default)]
pub struct Wakeups(Arc<Mutex<Vec<Instant>>>);

impl Wakeups {
    /// Starts listening on `channel`; returns once `LISTEN` is in place.
    pub fn listen(url: &str, channel: &str) -> anyhow::Result<Self> {
        let wakeups = Self::default();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (url, channel, times) = (url.to_owned(), channel.to_owned(), wakeups.0.clone());
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let (client, mut connection) = match tokio_postgres::connect(&url, NoTls).await {
                    Ok(pair) => pair,
                    Err(error) => return drop(ready_tx.send(Err(error.to_string()))),
                };
                let mut messages =
                    futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
                let statement = format!("LISTEN {channel}");
                let listen = client.batch_execute(&statement);
                let mut listen = std::pin::pin!(listen);
                // Drive the connection until LISTEN is acknowledged.
                loop {
                    tokio::select! {
                        result = &mut listen => {
                            drop(ready_tx.send(result.map_err(|e| e.to_string())));
                            break;
                        }
                        _ = messages.next() => {}
                    }
                }
                while let Some(Ok(message)) = messages.next().await {
                    if let AsyncMessage::Notification(_) = message {
                        times.lock().expect("wakeups").push(Instant::now());
                    }
                }
            });
        });
        ready_rx.recv()?.map_err(anyhow::Error::msg)?;
        Ok(wakeups)
    }

    /// Delay from each answer to the next notification; an answer the
    /// notification arrived before counts as 0. Returns delays and misses.
    pub fn delays(&self, answers: &[&Answer]) -> (Vec<Duration>, usize) {
        let mut times = self.0.lock().expect("wakeups").clone();
        times.sort();
        let first_after = |t: Instant| times.get(times.partition_point(|n| *n < t)).copied();
        let mut delays = Vec::with_capacity(answers.len());
        let mut missed = 0;
        for answer in answers {
            match (first_after(answer.answered_at), first_after(answer.sent_at)) {
                (Some(next), _) => delays.push(next - answer.answered_at),
                (None, Some(_)) => delays.push(Duration::ZERO),
                (None, None) => missed += 1,
            }
        }
        (delays, missed)
    }
}

/// The database check of one run.
#[derive(Debug, Default, Serialize)]
pub struct Check {
    /// Deliveries answered 2xx (distinct delivery ids).
    pub acknowledged: usize,
    /// 2xx deliveries without their event row.
    pub lost_events: usize,
    /// Delivery ids with more than one event row.
    pub duplicated_events: usize,
    /// 2xx routed `queued` deliveries whose job has no row.
    pub lost_jobs: usize,
    /// Rejected deliveries (bad signature) that left an event row.
    pub rows_for_rejected: usize,
    /// Jobs whose routed `completed` was acknowledged but are not completed.
    pub wrong_status: usize,
}

pub async fn database(url: &str, schema: &str, answers: &[Answer]) -> anyhow::Result<Check> {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
    tokio::spawn(connection);
    client
        .batch_execute(&format!("SET search_path TO {schema}"))
        .await?;
    let ok = |a: &&Answer| a.status.is_some_and(|s| (200..300).contains(&s));
    let acknowledged: HashSet<&str> = answers
        .iter()
        .filter(ok)
        .map(|a| a.request.delivery_id.as_str())
        .collect();
    let rejected: Vec<String> = answers
        .iter()
        .filter(|a| a.request.bad_signature)
        .map(|a| a.request.delivery_id.clone())
        .collect();
    let routed = |action| {
        answers
            .iter()
            .filter(ok)
            .filter(move |a| a.request.action == action && !a.request.ignored)
            .map(|a| a.request.job_id)
            .collect::<HashSet<i64>>()
    };
    let (queued, completed) = (routed(Action::Queued), routed(Action::Completed));

    let ids: Vec<String> = acknowledged.iter().map(|id| (*id).to_owned()).collect();
    let counts = event_counts(&client, &ids).await?;
    let jobs: Vec<i64> = queued.iter().copied().collect();
    let found = client
        .query_one("SELECT count(*) FROM jobs WHERE job_id = ANY($1)", &[&jobs])
        .await?
        .get::<_, i64>(0);
    let done: Vec<i64> = completed.iter().copied().collect();
    let completed_rows = client
        .query_one(
            "SELECT count(*) FROM jobs WHERE job_id = ANY($1) AND status = 'completed'",
            &[&done],
        )
        .await?
        .get::<_, i64>(0);
    Ok(Check {
        acknowledged: acknowledged.len(),
        lost_events: ids.iter().filter(|id| !counts.contains_key(*id)).count(),
        duplicated_events: counts.values().filter(|n| **n > 1).count(),
        lost_jobs: jobs.len() - usize::try_from(found)?,
        rows_for_rejected: event_counts(&client, &rejected).await?.len(),
        wrong_status: done.len() - usize::try_from(completed_rows)?,
    })
}

async fn event_counts(client: &Client, ids: &[String]) -> anyhow::Result<HashMap<String, i64>> {
    let rows = client
        .query(
            "SELECT delivery_id, count(*) FROM installation_events WHERE delivery_id = ANY($1) GROUP BY delivery_id",
            &[&ids],
        )
        .await?;
    Ok(rows.iter().map(|row| (row.get(0), row.get(1))).collect())
}
