//! Which of an App's recent deliveries to send again. GitHub never retries
//! a failed delivery; ghfe reads each App's delivery attempts and asks for
//! a new attempt of every delivery (GUID) that no attempt delivered and
//! that ghfe has no record of.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, TimeDelta, Utc};

/// One attempt GitHub made to deliver a webhook, as its delivery log
/// lists it. A redelivery is a new attempt with the same GUID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// GitHub's id of this attempt (a 64-bit integer).
    pub id: u64,
    /// The delivery's GUID (`X-GitHub-Delivery`), shared by its attempts.
    pub guid: String,
    pub delivered_at: DateTime<Utc>,
    /// The HTTP status ghfe answered; 0 when there was no answer.
    pub status_code: u16,
}

impl Attempt {
    fn delivered(&self) -> bool {
        (200..300).contains(&self.status_code)
    }
}

/// What ghfe remembers of its own redeliveries of one GUID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tries {
    pub count: u32,
    pub last_at: DateTime<Utc>,
    /// GitHub refused a redelivery of it (400 or 422): never asked again.
    pub gave_up: bool,
}

/// The limits of one run.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Redeliveries asked for in one run, at most.
    pub max_per_run: usize,
    /// Redeliveries of one GUID, at most, over all runs.
    pub max_tries: u32,
    /// An attempt younger than this may still be in flight: not yet.
    pub settle: TimeDelta,
    /// The pause after the first redelivery of a GUID; it doubles with
    /// each try up to `max_backoff`.
    pub first_backoff: TimeDelta,
    pub max_backoff: TimeDelta,
}

/// What becomes of one GUID in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Verdict {
    /// An attempt got a 2xx.
    Delivered,
    /// ghfe's delivery log holds it (the answer may have been lost).
    Recorded,
    /// Tried as often as allowed, or refused by GitHub.
    GaveUp,
    /// Its newest attempt is too young, or its last redelivery too recent.
    Later,
    /// Over the run's limit: the next run.
    Deferred,
    /// Asked for again in this run.
    Redeliver,
}

impl Verdict {
    /// Whether a later run must still look at it.
    pub fn unresolved(self) -> bool {
        matches!(self, Self::Later | Self::Deferred | Self::Redeliver)
    }
}

/// One GUID's verdict, and the attempt to redeliver (its newest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub guid: String,
    pub newest: Attempt,
    pub verdict: Verdict,
}

/// Decides every GUID among `attempts`, oldest delivery first; at most
/// `policy.max_per_run` are redelivered.
#[allow(clippy::implicit_hasher)] // the callers' sets and maps are std's
pub fn plan(
    attempts: &[Attempt],
    recorded: &HashSet<String>,
    tries: &HashMap<String, Tries>,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Vec<Decision> {
    let mut by_guid: BTreeMap<&str, Vec<&Attempt>> = BTreeMap::new();
    for attempt in attempts {
        by_guid.entry(&attempt.guid).or_default().push(attempt);
    }
    let mut decisions: Vec<Decision> = by_guid
        .into_iter()
        .filter_map(|(guid, group)| {
            let newest = group.iter().max_by_key(|a| (a.delivered_at, a.id))?;
            let verdict = if group.iter().any(|a| a.delivered()) {
                Verdict::Delivered
            } else if recorded.contains(guid) {
                Verdict::Recorded
            } else {
                undelivered(newest, tries.get(guid), now, policy)
            };
            Some(Decision {
                guid: guid.to_owned(),
                newest: (*newest).clone(),
                verdict,
            })
        })
        .collect();
    decisions.sort_by_key(|d| (d.newest.delivered_at, d.newest.id));
    let mut left = policy.max_per_run;
    for decision in &mut decisions {
        if decision.verdict == Verdict::Redeliver {
            if left == 0 {
                decision.verdict = Verdict::Deferred;
            } else {
                left -= 1;
            }
        }
    }
    decisions
}

fn undelivered(
    newest: &Attempt,
    tries: Option<&Tries>,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Verdict {
    if now - newest.delivered_at < policy.settle {
        return Verdict::Later;
    }
    let Some(tries) = tries else {
        return Verdict::Redeliver;
    };
    if tries.gave_up || tries.count >= policy.max_tries {
        Verdict::GaveUp
    } else if now - tries.last_at < backoff(tries.count, policy) {
        Verdict::Later
    } else {
        Verdict::Redeliver
    }
}

/// The pause after the `count`th redelivery of a GUID.
fn backoff(count: u32, policy: &Policy) -> TimeDelta {
    let factor = 1i32 << count.saturating_sub(1).min(16);
    (policy.first_backoff * factor).min(policy.max_backoff)
}

/// Where the next run's scan may stop: no later than this run's start, and
/// never past the newest attempt of a GUID still unresolved, so that one
/// is seen again.
pub fn next_checkpoint(started: DateTime<Utc>, decisions: &[Decision]) -> DateTime<Utc> {
    decisions
        .iter()
        .filter(|d| d.verdict.unresolved())
        .map(|d| d.newest.delivered_at)
        .min()
        .map_or(started, |oldest| oldest.min(started))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds_ago: i64) -> DateTime<Utc> {
        now() - TimeDelta::seconds(seconds_ago)
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    fn attempt(id: u64, guid: &str, seconds_ago: i64, status_code: u16) -> Attempt {
        Attempt {
            id,
            guid: guid.into(),
            delivered_at: at(seconds_ago),
            status_code,
        }
    }

    fn policy() -> Policy {
        Policy {
            max_per_run: 10,
            max_tries: 3,
            settle: TimeDelta::seconds(30),
            first_backoff: TimeDelta::seconds(120),
            max_backoff: TimeDelta::seconds(600),
        }
    }

    fn verdicts(decisions: &[Decision]) -> Vec<(&str, Verdict)> {
        decisions
            .iter()
            .map(|d| (d.guid.as_str(), d.verdict))
            .collect()
    }

    #[test]
    fn a_guid_is_done_once_any_attempt_was_delivered_or_ghfe_recorded_it() {
        let attempts = [
            attempt(1, "failed-then-ok", 900, 503),
            attempt(2, "failed-then-ok", 800, 200),
            attempt(3, "recorded", 700, 0),
            attempt(4, "failed", 600, 503),
        ];
        let recorded = HashSet::from(["recorded".to_owned()]);
        let decisions = plan(&attempts, &recorded, &HashMap::new(), now(), &policy());
        assert_eq!(
            verdicts(&decisions),
            [
                ("failed-then-ok", Verdict::Delivered),
                ("recorded", Verdict::Recorded),
                ("failed", Verdict::Redeliver)
            ]
        );
    }

    #[test]
    fn the_newest_attempt_is_redelivered_and_a_young_one_waits() {
        let attempts = [
            attempt(10, "twice", 900, 500),
            attempt(u64::MAX - 1, "twice", 100, 502),
            attempt(12, "young", 10, 503),
        ];
        let decisions = plan(
            &attempts,
            &HashSet::new(),
            &HashMap::new(),
            now(),
            &policy(),
        );
        assert_eq!(decisions[0].newest.id, u64::MAX - 1);
        assert_eq!(
            verdicts(&decisions),
            [("twice", Verdict::Redeliver), ("young", Verdict::Later)]
        );
    }

    #[test]
    fn tries_back_off_and_end() {
        let tries = |count, seconds_ago, gave_up| Tries {
            count,
            last_at: at(seconds_ago),
            gave_up,
        };
        let attempts = [
            attempt(1, "backing-off", 60, 503),
            attempt(2, "backed-off", 300, 503),
            attempt(3, "refused", 900, 503),
            attempt(4, "used-up", 900, 503),
        ];
        let known = HashMap::from([
            // The second try waits 240 s after the first.
            ("backing-off".to_owned(), tries(2, 200, false)),
            ("backed-off".to_owned(), tries(2, 250, false)),
            ("refused".to_owned(), tries(1, 900, true)),
            ("used-up".to_owned(), tries(3, 900, false)),
        ]);
        let decisions = plan(&attempts, &HashSet::new(), &known, now(), &policy());
        let mut got = verdicts(&decisions);
        got.sort();
        assert_eq!(
            got,
            [
                ("backed-off", Verdict::Redeliver),
                ("backing-off", Verdict::Later),
                ("refused", Verdict::GaveUp),
                ("used-up", Verdict::GaveUp)
            ]
        );
    }

    #[test]
    fn a_run_redelivers_the_oldest_first_up_to_its_limit() {
        let attempts: Vec<Attempt> = (0..5)
            .map(|n| attempt(n, &format!("g{n}"), 1000 - i64::try_from(n).unwrap(), 503))
            .collect();
        let limited = Policy {
            max_per_run: 2,
            ..policy()
        };
        let decisions = plan(&attempts, &HashSet::new(), &HashMap::new(), now(), &limited);
        assert_eq!(
            verdicts(&decisions),
            [
                ("g0", Verdict::Redeliver),
                ("g1", Verdict::Redeliver),
                ("g2", Verdict::Deferred),
                ("g3", Verdict::Deferred),
                ("g4", Verdict::Deferred)
            ]
        );
    }

    #[test]
    fn the_checkpoint_never_passes_an_unresolved_guid() {
        let attempts = [
            attempt(1, "done", 2000, 200),
            attempt(2, "open", 1000, 503),
            attempt(3, "later", 500, 503),
        ];
        let decisions = plan(
            &attempts,
            &HashSet::new(),
            &HashMap::new(),
            now(),
            &policy(),
        );
        assert_eq!(next_checkpoint(now(), &decisions), at(1000));
        let resolved = plan(
            &attempts[..1],
            &HashSet::new(),
            &HashMap::new(),
            now(),
            &policy(),
        );
        assert_eq!(next_checkpoint(now(), &resolved), now());
    }
}
