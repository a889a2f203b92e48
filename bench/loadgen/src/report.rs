//! The suite's JSON lines → `bench/results/<date>.json`, an SVG chart and
//! a summary with the issue's targets.

use std::fmt::Write as _;
use std::path::PathBuf;

use serde_json::{json, Value};

use crate::targets;

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// JSON lines written by `run` and by bench/run.sh for pgbench.
    #[arg(long)]
    lines: PathBuf,
    #[arg(long)]
    out: PathBuf,
    #[arg(long)]
    svg: PathBuf,
    #[arg(long)]
    rss_idle_kb: u64,
    #[arg(long)]
    rss_peak_kb: u64,
    /// Free text about the machine, for the record.
    #[arg(long, default_value = "")]
    machine: String,
}

const CONCURRENCIES: [u64; 4] = [1, 8, 32, 64];

/// The sweep's run (round 0) of one series point.
fn find<'a>(
    runs: &'a [Value],
    kind: &str,
    scenario: &str,
    concurrency: u64,
    notify: Option<bool>,
) -> Option<&'a Value> {
    runs.iter().find(|run| {
        targets::round(run) == 0
            && run["kind"] == kind
            && run["scenario"] == scenario
            && run["concurrency"] == concurrency
            && notify.is_none_or(|n| run["notify"] == n)
    })
}

fn rate(run: Option<&Value>) -> Option<f64> {
    let run = run?;
    run["throughput_rps"]
        .as_f64()
        .or_else(|| run["deliveries_per_s"].as_f64())
}

pub fn write(args: &ReportArgs) -> anyhow::Result<()> {
    let runs: Vec<Value> = std::fs::read_to_string(&args.lines)?
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    let targets = targets::evaluate(&runs, args.rss_idle_kb, args.rss_peak_kb);
    let results = json!({
        "machine": args.machine,
        "rss_kb": { "idle": args.rss_idle_kb, "peak": args.rss_peak_kb },
        "targets": targets,
        "runs": runs,
    });
    std::fs::write(&args.out, serde_json::to_string_pretty(&results)? + "\n")?;
    std::fs::write(&args.svg, chart(&runs))?;
    print!("{}", summary(&runs, &targets));
    Ok(())
}

fn summary(runs: &[Value], targets: &[Value]) -> String {
    let mut text = String::from("scenario   c  ceiling(no notify)  ceiling(notify)  ghfe      ratio  ghfe p99 ms  wake p99 ms\n");
    for scenario in ["queued", "lifecycle"] {
        for c in CONCURRENCIES {
            let plain = rate(find(runs, "ceiling", scenario, c, Some(false)));
            let notify = rate(find(runs, "ceiling", scenario, c, Some(true)));
            let ghfe = find(runs, "ghfe", scenario, c, None);
            let fmt = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.0}"));
            let ratio = rate(ghfe)
                .zip(plain)
                .map_or_else(|| "-".to_owned(), |(g, p)| format!("{:.2}", g / p));
            let p99 = ghfe
                .and_then(|g| g["latency_ms"]["p99"].as_f64())
                .map_or_else(|| "-".into(), |v| format!("{v:.1}"));
            let wake = ghfe
                .and_then(|g| g["wake_ms"]["p99"].as_f64())
                .map_or_else(|| "-".into(), |v| format!("{v:.1}"));
            let _ = writeln!(
                text,
                "{scenario:<9} {c:>3}  {:>18}  {:>15}  {:>6}  {ratio:>6}  {p99:>11}  {wake:>11}",
                fmt(plain),
                fmt(notify),
                fmt(rate(ghfe))
            );
        }
    }
    for t in targets {
        let mut value = t["value"]
            .as_f64()
            .map_or_else(|| "-".to_owned(), |v| format!("{v:.2}"));
        if let Some(rounds) = t["rounds"].as_array().filter(|r| r.len() > 1) {
            let each: Vec<String> = rounds
                .iter()
                .filter_map(Value::as_f64)
                .map(|v| format!("{v:.2}"))
                .collect();
            let _ = write!(value, " (median of {})", each.join(", "));
        }
        let _ = writeln!(
            text,
            "{} {}: {value}",
            if t["met"] == true { "MET " } else { "MISS" },
            t["target"].as_str().unwrap_or("")
        );
    }
    text
}

/// How a chart panel reads a value from a run.
type Metric = fn(&Value) -> Option<f64>;

/// The chart's series: label, run kind, notify flag, scenario, colour.
const SERIES: [(&str, &str, Option<bool>, &str, &str); 6] = [
    ("ghfe queued", "ghfe", None, "queued", "#1f6feb"),
    (
        "ceiling queued",
        "ceiling",
        Some(false),
        "queued",
        "#8c959f",
    ),
    (
        "ceiling queued + NOTIFY",
        "ceiling",
        Some(true),
        "queued",
        "#d1242f",
    ),
    ("ghfe lifecycle", "ghfe", None, "lifecycle", "#1a7f37"),
    (
        "ceiling lifecycle",
        "ceiling",
        Some(false),
        "lifecycle",
        "#bf8700",
    ),
    (
        "ceiling lifecycle + NOTIFY",
        "ceiling",
        Some(true),
        "lifecycle",
        "#8250df",
    ),
];

const WIDTH: f64 = 460.0;
const HEIGHT: f64 = 300.0;
const PAD: f64 = 50.0;

fn dash(kind: &str) -> &'static str {
    if kind == "ceiling" {
        r#" stroke-dasharray="5,3""#
    } else {
        ""
    }
}

/// Throughput and p99 latency against concurrency, ghfe beside the ceiling.
fn chart(runs: &[Value]) -> String {
    let throughput: Metric = |run| rate(Some(run));
    let latency: Metric = |run| {
        run["latency_ms"]["p99"]
            .as_f64()
            .or_else(|| run["latency_avg_ms"].as_f64())
    };
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" font-family="sans-serif" font-size="11">"#,
        WIDTH * 2.0,
        HEIGHT + 90.0
    );
    svg.push_str(r#"<rect width="100%" height="100%" fill="white"/>"#);
    panel(&mut svg, runs, 0.0, "Deliveries per second", throughput);
    panel(
        &mut svg,
        runs,
        WIDTH,
        "Latency, ms (ghfe p99; ceiling mean)",
        latency,
    );
    for (i, (name, kind, _, _, color)) in SERIES.iter().enumerate() {
        let (x, y) = (
            50.0 + (i % 3) as f64 * 300.0,
            HEIGHT + 45.0 + (i / 3) as f64 * 18.0,
        );
        let _ = write!(
            svg,
            r#"<line x1="{x}" y1="{y}" x2="{}" y2="{y}" stroke="{color}" stroke-width="2"{}/><text x="{}" y="{}">{name}</text>"#,
            x + 24.0,
            dash(kind),
            x + 30.0,
            y + 4.0
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// One panel: axes, ticks and a line per series.
fn panel(svg: &mut String, runs: &[Value], left: f64, title: &str, value: Metric) {
    let max = runs.iter().filter_map(value).fold(1.0_f64, f64::max) * 1.1;
    let x = |i: usize| left + PAD + i as f64 * (WIDTH - 2.0 * PAD) / 3.0;
    let y = |v: f64| HEIGHT - PAD + 20.0 - v / max * (HEIGHT - 2.0 * PAD);
    let _ = write!(
        svg,
        r#"<text x="{}" y="18" font-size="13" font-weight="bold">{title}</text>"#,
        left + PAD
    );
    let _ = write!(
        svg,
        r##"<line x1="{0}" y1="{1}" x2="{2}" y2="{1}" stroke="#444"/><line x1="{0}" y1="{1}" x2="{0}" y2="{3}" stroke="#444"/>"##,
        x(0) - 10.0,
        y(0.0),
        x(3) + 10.0,
        y(max)
    );
    for step in 0..=4 {
        let v = max / 4.0 * f64::from(step);
        let _ = write!(
            svg,
            r#"<text x="{}" y="{}" text-anchor="end">{v:.0}</text>"#,
            x(0) - 14.0,
            y(v) + 4.0
        );
    }
    for (i, c) in CONCURRENCIES.iter().enumerate() {
        let _ = write!(
            svg,
            r#"<text x="{}" y="{}" text-anchor="middle">{c}</text>"#,
            x(i),
            y(0.0) + 16.0
        );
    }
    let middle = x(0) + (x(3) - x(0)) / 2.0;
    let _ = write!(
        svg,
        r#"<text x="{middle}" y="{}" text-anchor="middle">concurrency</text>"#,
        y(0.0) + 32.0
    );
    for (_, kind, notify, scenario, color) in SERIES {
        let points: Vec<String> = CONCURRENCIES
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                Some(format!(
                    "{:.1},{:.1}",
                    x(i),
                    y(value(find(runs, kind, scenario, *c, notify)?)?)
                ))
            })
            .collect();
        let _ = write!(
            svg,
            r#"<polyline fill="none" stroke="{color}" stroke-width="2"{} points="{}"/>"#,
            dash(kind),
            points.join(" ")
        );
    }
}
