//! The targets, read off a suite's runs.
//!
//! Throughput on a shared virtual machine drifts by tens of percent within
//! minutes, so one ceiling run and one ghfe run at c=32 can land on
//! different sides of a drift. bench/run.sh therefore measures the c=32
//! pairs in several rounds (the sweep is round 0), each pair back to back,
//! and a target is the median of the per-round figures.

use serde_json::{json, Value};

/// The round a run belongs to; the sweep's runs have none.
pub fn round(run: &Value) -> u64 {
    run["round"].as_u64().unwrap_or(0)
}

fn rate(run: &Value) -> Option<f64> {
    run["throughput_rps"]
        .as_f64()
        .or_else(|| run["deliveries_per_s"].as_f64())
}

/// `figure(ghfe, ceiling)` for each round that measured both at c=32.
fn per_round(
    runs: &[Value],
    scenario: &str,
    figure: impl Fn(&Value, &Value) -> Option<f64>,
) -> Vec<f64> {
    let at = |kind: &str, round_: u64| {
        runs.iter().find(|run| {
            run["kind"] == kind
                && run["scenario"] == scenario
                && run["concurrency"] == 32
                && round(run) == round_
                && (kind == "ghfe" || run["notify"] == false)
        })
    };
    let mut rounds: Vec<u64> = runs.iter().map(round).collect();
    rounds.sort_unstable();
    rounds.dedup();
    rounds
        .into_iter()
        .filter_map(|r| figure(at("ghfe", r)?, at("ceiling", r)?))
        .collect()
}

fn median(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some(f64::midpoint(sorted[n / 2 - 1], sorted[n / 2])),
    }
}

fn target(name: &str, rounds: &[f64], limit: f64, at_least: bool) -> Value {
    let value = median(rounds);
    let met = value.is_some_and(|v| if at_least { v >= limit } else { v <= limit });
    json!({ "target": name, "value": value, "rounds": rounds, "limit": limit, "met": met })
}

/// Lost, duplicated or wrong rows over every ghfe run.
fn bad_rows(runs: &[Value]) -> u64 {
    const KEYS: [&str; 5] = [
        "lost_events",
        "duplicated_events",
        "lost_jobs",
        "rows_for_rejected",
        "wrong_status",
    ];
    runs.iter()
        .filter(|run| run["kind"] == "ghfe")
        .flat_map(|run| {
            KEYS.iter()
                .map(|key| run["check"][key].as_u64().unwrap_or(0))
        })
        .sum()
}

pub fn evaluate(runs: &[Value], rss_idle_kb: u64, rss_peak_kb: u64) -> Vec<Value> {
    let ratio = |g: &Value, c: &Value| Some(rate(g)? / rate(c)?);
    let p99_to_mean = |g: &Value, c: &Value| {
        Some(g["latency_ms"]["p99"].as_f64()? / c["latency_avg_ms"].as_f64()?)
    };
    let wake_p99 = |g: &Value, _: &Value| g["wake_ms"]["p99"].as_f64();
    let mb = |kb: u64| kb as f64 / 1024.0;
    vec![
        target(
            "queued c=32: ghfe / no-notify ceiling ≥ 0.90",
            &per_round(runs, "queued", ratio),
            0.90,
            true,
        ),
        target(
            "queued c=32: wake-up p99 ≤ 50 ms",
            &per_round(runs, "queued", wake_p99),
            50.0,
            false,
        ),
        target(
            "queued c=32: ghfe p99 ≤ 3 × ceiling mean latency",
            &per_round(runs, "queued", p99_to_mean),
            3.0,
            false,
        ),
        target(
            "lifecycle c=32: ghfe / no-notify ceiling ≥ 0.85",
            &per_round(runs, "lifecycle", ratio),
            0.85,
            true,
        ),
        target(
            "resident memory idle ≤ 30 MB",
            &[mb(rss_idle_kb)],
            30.0,
            false,
        ),
        target(
            "resident memory under load ≤ 120 MB",
            &[mb(rss_peak_kb)],
            120.0,
            false,
        ),
        target(
            "lost or duplicated rows = 0",
            &[bad_rows(runs) as f64],
            0.0,
            false,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(round_: u64, ghfe: f64, ceiling: f64) -> [Value; 2] {
        [
            json!({"kind": "ghfe", "scenario": "queued", "concurrency": 32, "round": round_,
                   "throughput_rps": ghfe, "latency_ms": {"p99": 10.0}, "wake_ms": {"p99": 5.0}}),
            json!({"kind": "ceiling", "scenario": "queued", "concurrency": 32, "round": round_,
                   "notify": false, "deliveries_per_s": ceiling, "latency_avg_ms": 5.0}),
        ]
    }

    #[test]
    fn a_ratio_target_is_the_median_of_its_rounds() {
        let mut runs: Vec<Value> = [
            pair(0, 80.0, 100.0),
            pair(1, 95.0, 100.0),
            pair(2, 120.0, 100.0),
        ]
        .into_iter()
        .flatten()
        .collect();
        // A notify ceiling and another concurrency do not count.
        runs.push(
            json!({"kind": "ceiling", "scenario": "queued", "concurrency": 32,
                          "notify": true, "deliveries_per_s": 1.0}),
        );
        runs.push(
            json!({"kind": "ghfe", "scenario": "queued", "concurrency": 8,
                          "throughput_rps": 1.0}),
        );
        let targets = evaluate(&runs, 1024, 2048);
        assert_eq!(targets[0]["rounds"], json!([0.8, 0.95, 1.2]));
        assert_eq!(targets[0]["value"], json!(0.95));
        assert_eq!(targets[0]["met"], json!(true));
        assert_eq!(targets[2]["value"], json!(2.0));
        assert_eq!(targets[3]["value"], Value::Null, "no lifecycle runs");
        assert_eq!(targets[4]["value"], json!(1.0));
    }

    #[test]
    fn an_even_number_of_rounds_takes_the_middle_pair() {
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }
}
