//! `ghfe-loadgen`: drives ghfe's webhook endpoint for the benchmark
//! (`make bench`, bench/run.sh) and assembles the report.
//!
//! `run` prepares every request before the timed loop (fixture bodies with
//! a unique job id, HMAC-signed, a fresh delivery GUID each), sends them on
//! keep-alive HTTP/1.1 connections, listens for the scheduler's wake-ups,
//! then checks the database and prints one JSON line.
//! `report` turns the JSON lines of a whole run into the results file and
//! the chart.

mod check;
mod http;
mod report;
mod requests;
mod run;
mod targets;

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::{Parser, Subcommand};
use hdrhistogram::Histogram;
use serde_json::json;

use requests::{Action, Rng, Scenario, Templates};

#[derive(Debug, Parser)]
#[command(name = "ghfe-loadgen", about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// One timed run against a running ghfe.
    Run(RunArgs),
    /// Build the results JSON and the chart from the JSON lines of a suite.
    Report(report::ReportArgs),
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// ghfe's address, `host:port`.
    #[arg(long, default_value = "127.0.0.1:18080")]
    address: String,
    #[arg(long)]
    secret: String,
    #[arg(long, value_enum)]
    scenario: Scenario,
    #[arg(long)]
    concurrency: usize,
    #[arg(long, default_value_t = 10.0)]
    duration_s: f64,
    #[arg(long, default_value_t = 1.0)]
    warmup_s: f64,
    /// Upper bound of the request rate, used to size the prepared requests.
    #[arg(long, default_value_t = 6000)]
    max_rate: usize,
    #[arg(long, default_value = "tests/fixtures")]
    fixtures: PathBuf,
    /// The database ghfe writes to (for the wake-up listener and the check).
    #[arg(long)]
    database_url: String,
    #[arg(long, default_value = "staging")]
    schema: String,
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Run(args) => run_command(&args),
        Command::Report(args) => report::write(&args),
    }
}

fn run_command(args: &RunArgs) -> anyhow::Result<()> {
    let templates = Templates::load(&args.fixtures)?;
    let per_job = if args.scenario == Scenario::Queued {
        1
    } else {
        3
    };
    let budget = (args.max_rate as f64 * (args.warmup_s + args.duration_s)) as usize;
    let base = i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH)?.as_micros())? * 1000;
    let mut queues = vec![VecDeque::new(); args.concurrency.max(1)];
    let mut rng = Rng::new(args.seed);
    for job in 0..budget.div_ceil(per_job) {
        let requests = requests::job_requests(
            &templates,
            args.scenario,
            base + i64::try_from(job)?,
            &args.secret,
            &mut rng,
        );
        queues[job % args.concurrency.max(1)].extend(requests);
    }

    let wakeups =
        check::Wakeups::listen(&args.database_url, &format!("{}_queue_event", args.schema))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (warmup, duration) = (
        Duration::from_secs_f64(args.warmup_s),
        Duration::from_secs_f64(args.duration_s),
    );
    let observed = runtime.block_on(run::run(&args.address, queues, warmup, duration));
    // Let the last wake-ups arrive.
    std::thread::sleep(Duration::from_millis(300));

    let (from, to) = observed.window;
    let measured: Vec<&run::Answer> = observed
        .answers
        .iter()
        .filter(|a| a.answered_at >= from && a.answered_at < to)
        .collect();
    let mut latency = Histogram::<u64>::new(3)?;
    let mut statuses: BTreeMap<String, usize> = BTreeMap::new();
    for answer in &measured {
        latency.record((answer.answered_at - answer.sent_at).as_micros().max(1) as u64)?;
        let status = answer
            .status
            .map_or_else(|| "failed".to_owned(), |s| s.to_string());
        *statuses.entry(status).or_default() += 1;
    }
    let woken: Vec<&run::Answer> = measured
        .iter()
        .copied()
        .filter(|a| a.status == Some(200) && a.request.action == Action::Queued)
        .filter(|a| !a.request.ignored && !a.request.duplicate)
        .collect();
    let (delays, missed) = wakeups.delays(&woken);
    let mut wake = Histogram::<u64>::new(3)?;
    for delay in delays {
        wake.record(delay.as_micros().max(1) as u64)?;
    }
    let check = runtime.block_on(check::database(
        &args.database_url,
        &args.schema,
        &observed.answers,
    ))?;
    let ms = |h: &Histogram<u64>, q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    let line = json!({
        "kind": "ghfe",
        "scenario": args.scenario,
        "concurrency": args.concurrency,
        "duration_s": args.duration_s,
        "requests": measured.len(),
        "throughput_rps": measured.len() as f64 / args.duration_s,
        "status": statuses,
        "latency_ms": {
            "mean": latency.mean() / 1000.0, "p50": ms(&latency, 0.5), "p90": ms(&latency, 0.9),
            "p99": ms(&latency, 0.99), "max": latency.max() as f64 / 1000.0,
        },
        "wake_ms": {
            "count": wake.len(), "missed": missed, "p50": ms(&wake, 0.5), "p99": ms(&wake, 0.99),
            "max": wake.max() as f64 / 1000.0,
        },
        "check": check,
        "exhausted": observed.exhausted,
    });
    println!("{line}");
    Ok(())
}
