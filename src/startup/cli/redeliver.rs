//! `ghfe redeliver [--dry-run] [--since DURATION]`: one redelivery run, as
//! the background loop makes it, with what it did printed.

use chrono::TimeDelta;

use super::super::healing::service;
use super::super::{github_client, pg_options};
use crate::adapters::postgres::PgStore;
use crate::app::redelivery::{app_label, AppRun, RunOptions, RunReport};
use crate::config::Settings;
use crate::domain::redelivery::Verdict;
use crate::ports::{error_chain, JobStore as _};

/// Runs once and prints the result.
pub async fn redeliver(settings: &Settings, options: RunOptions) -> anyhow::Result<()> {
    let (store, notifier) = PgStore::connect(&pg_options(settings)?)?;
    store
        .check()
        .await
        .map_err(|e| anyhow::anyhow!(error_chain(&e)))?;
    let service = service(settings, store.clone(), github_client(settings)?);
    if !service.has_apps() {
        anyhow::bail!("no App has both an id and a private key (github.apps.<org|personal>.id and .private_key)");
    }
    let report = service.run(options).await;
    drop((service, store));
    drop(notifier.await);
    match report.map_err(|e| anyhow::anyhow!(error_chain(&e)))? {
        RunReport::Skipped => {
            say!("another redelivery run holds the lock (another replica?): nothing done");
        }
        RunReport::Ran(runs) => runs.iter().for_each(|run| print(run, options.dry_run)),
    }
    Ok(())
}

fn print(run: &AppRun, dry_run: bool) {
    let scan = if run.rate_limited {
        "stopped by GitHub's rate limit"
    } else if run.truncated {
        "stopped early (page or time limit, or an error): the checkpoint stays"
    } else {
        "complete"
    };
    let asked = if dry_run {
        format!("{} would be redelivered", run.count(Verdict::Redeliver))
    } else {
        format!("{} redelivered, {} failed", run.redelivered, run.failed)
    };
    say!(
        "{} App: {} attempts listed, {} deliveries: {} already done, {asked}, {} gave up, {} later; scan {scan}",
        app_label(run.app),
        run.listed,
        run.decisions.len(),
        run.count(Verdict::Delivered) + run.count(Verdict::Recorded),
        run.count(Verdict::GaveUp),
        run.count(Verdict::Later) + run.count(Verdict::Deferred),
    );
    if let Some(error) = &run.error {
        say!("  GitHub: {error}");
    }
    let verb = if dry_run {
        "would redeliver"
    } else {
        "redelivered"
    };
    for decision in run
        .decisions
        .iter()
        .filter(|d| d.verdict == Verdict::Redeliver)
    {
        let attempt = &decision.newest;
        let answered = match attempt.status_code {
            0 => "no answer".to_owned(),
            code => format!("answered {code}"),
        };
        say!(
            "  {verb} {} (attempt {} at {}, {answered})",
            decision.guid,
            attempt.id,
            attempt.delivered_at.format("%Y-%m-%d %H:%M:%S UTC"),
        );
    }
}

/// `90s`, `15m`, `6h`, `2d` (or plain seconds).
pub fn parse_duration(text: &str) -> Result<TimeDelta, String> {
    let text = text.trim();
    let (number, unit) = text
        .find(|c: char| !c.is_ascii_digit())
        .map_or((text, "s"), |at| text.split_at(at));
    let count: i64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration like 90m, 6h or 2d"))?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("{text:?}: the unit must be s, m, h or d")),
    };
    count
        .checked_mul(seconds)
        .and_then(TimeDelta::try_seconds)
        .ok_or_else(|| format!("{text:?} is too long"))
}

#[cfg(test)]
mod tests {
    use super::parse_duration;
    use chrono::TimeDelta;

    #[test]
    fn durations_read_with_their_unit() {
        assert_eq!(parse_duration("90m"), Ok(TimeDelta::minutes(90)));
        assert_eq!(parse_duration("2d"), Ok(TimeDelta::days(2)));
        assert_eq!(parse_duration("45"), Ok(TimeDelta::seconds(45)));
        assert!(parse_duration("1w").is_err());
        assert!(parse_duration("h").is_err());
        assert!(parse_duration("99999999999999999d").is_err());
    }
}
