//! The timed loop: `concurrency` keep-alive connections, each sending its
//! own queue of prepared requests until the deadline.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use futures_util::future::join_all;

use crate::http::Connection;
use crate::requests::Prepared;

/// One answered (or failed) request.
#[derive(Debug)]
pub struct Answer {
    pub request: Prepared,
    /// `None` when the connection failed.
    pub status: Option<u16>,
    pub sent_at: Instant,
    pub answered_at: Instant,
}

/// Everything a run observed.
#[derive(Debug)]
pub struct Observed {
    pub answers: Vec<Answer>,
    /// Start of the measured window (after warm-up) and its end.
    pub window: (Instant, Instant),
    /// Some connection ran out of prepared requests before the deadline.
    pub exhausted: bool,
}

/// Runs every queue on its own connection until `warmup + duration` ends.
pub async fn run(
    address: &str,
    queues: Vec<VecDeque<Prepared>>,
    warmup: Duration,
    duration: Duration,
) -> Observed {
    let start = Instant::now();
    let window = (start + warmup, start + warmup + duration);
    let workers = queues
        .into_iter()
        .map(|queue| connection(address, queue, window.1));
    let mut answers = Vec::new();
    let mut exhausted = false;
    for (mut done, ran_out) in join_all(workers).await {
        answers.append(&mut done);
        exhausted |= ran_out;
    }
    Observed {
        answers,
        window,
        exhausted,
    }
}

async fn connection(
    address: &str,
    mut queue: VecDeque<Prepared>,
    deadline: Instant,
) -> (Vec<Answer>, bool) {
    let mut answers = Vec::with_capacity(queue.len());
    let mut conn = Connection::open(address).await.ok();
    while Instant::now() < deadline {
        let Some(request) = queue.pop_front() else {
            return (answers, true);
        };
        let sent_at = Instant::now();
        let status = match conn.as_mut() {
            Some(open) => open.exchange(&request.bytes).await.ok(),
            None => None,
        };
        if status.is_none() {
            // Reconnect for the next request; this one counts as failed.
            conn = Connection::open(address).await.ok();
        }
        answers.push(Answer {
            request,
            status,
            sent_at,
            answered_at: Instant::now(),
        });
    }
    (answers, false)
}
