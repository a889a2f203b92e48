//! `GET /stats` and `GET /stats.json`: runner use per account and week, and
//! queue-time percentiles per pool and day, as charts with a table each.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use chrono::{NaiveDate, Utc};
use serde::Serialize;

use super::bearer::PageReader;
use super::charts::{self, group_digits, Chart, Series, Unit};
use super::error::HttpError;
use super::pages::age;
use super::HttpState;
use crate::app::stats::Stats;
use crate::app::wiring::Wiring;
use crate::domain::stats::{AccountSeries, Percentiles, PoolSeries, StatsQuery};

#[derive(Serialize)]
struct StatsView {
    weeks: u32,
    days: u32,
    week_labels: Vec<String>,
    accounts: Vec<AccountView>,
    minutes_chart: Chart,
    jobs_chart: Chart,
    day_labels: Vec<String>,
    pools: Vec<PoolView>,
}

#[derive(Serialize)]
struct AccountView {
    name: String,
    /// How many accounts "other accounts" sums; 1 otherwise.
    accounts: usize,
    class: String,
    minutes: Vec<String>,
    jobs: Vec<String>,
    total_minutes: String,
    total_jobs: String,
}

#[derive(Serialize)]
struct PoolView {
    pool: String,
    chart: Chart,
    days: Vec<PoolDayView>,
}

#[derive(Serialize)]
struct PoolDayView {
    day: String,
    jobs: String,
    p50: String,
    p90: String,
    p99: String,
}

/// Whole minutes, rounded.
fn minutes(seconds: u64) -> u64 {
    (seconds + 30) / 60
}

/// A chart value; exact below 2^53, far beyond any count shown here.
#[allow(clippy::cast_precision_loss)]
fn value(n: u64) -> f64 {
    n as f64
}

fn count(n: u64) -> String {
    group_digits(i64::try_from(n).unwrap_or(i64::MAX))
}

#[allow(clippy::trivially_copy_pass_by_ref)] // as `Iterator::map` hands it
fn short_day(day: &NaiveDate) -> String {
    day.format("%b %-d").to_string()
}

fn stats_view(stats: &Stats, query: StatsQuery) -> StatsView {
    let week_labels: Vec<String> = stats.usage.weeks.iter().map(short_day).collect();
    let series = |pick: fn(&AccountSeries) -> Vec<f64>| -> Vec<Series<f64>> {
        let accounts = stats.usage.accounts.iter().enumerate();
        accounts
            .map(|(i, account)| Series {
                name: account.name.clone(),
                class: account_class(i, account),
                values: pick(account),
            })
            .collect()
    };
    let jobs = |account: &AccountSeries| account.jobs.iter().copied().map(value).collect();
    let runner_minutes = |account: &AccountSeries| {
        let weekly = account.runner_seconds.iter().copied().map(minutes);
        weekly.map(value).collect()
    };
    let day_labels: Vec<String> = stats.queue.days.iter().map(short_day).collect();
    StatsView {
        weeks: query.weeks,
        days: query.days,
        minutes_chart: charts::stacked_bars(&week_labels, &series(runner_minutes), Unit::Count),
        jobs_chart: charts::stacked_bars(&week_labels, &series(jobs), Unit::Count),
        week_labels,
        accounts: stats
            .usage
            .accounts
            .iter()
            .enumerate()
            .map(|(i, account)| AccountView {
                name: account.name.clone(),
                accounts: account.accounts,
                class: account_class(i, account),
                minutes: account
                    .runner_seconds
                    .iter()
                    .map(|s| count(minutes(*s)))
                    .collect(),
                jobs: account.jobs.iter().copied().map(count).collect(),
                // The sum of the rounded weeks, as the table shows them.
                total_minutes: count(account.runner_seconds.iter().map(|s| minutes(*s)).sum()),
                total_jobs: count(account.jobs.iter().sum()),
            })
            .collect(),
        pools: stats
            .queue
            .pools
            .iter()
            .map(|pool| pool_view(pool, &stats.queue.days, &day_labels))
            .collect(),
        day_labels,
    }
}

/// A wait in words, or nothing for a day without jobs.
fn wait(p: Option<&Percentiles>, pick: fn(&Percentiles) -> f64) -> String {
    // Queue times are whole seconds far below i64::MAX.
    #[allow(clippy::cast_possible_truncation)]
    p.map(|p| age(pick(p).round() as i64)).unwrap_or_default()
}

fn pool_view(pool: &PoolSeries, days: &[NaiveDate], day_labels: &[String]) -> PoolView {
    let percentile = |name: &str, pick: fn(&Percentiles) -> f64| Series {
        name: name.to_owned(),
        class: name.to_owned(),
        values: pool
            .percentiles
            .iter()
            .map(|p| p.as_ref().map(pick))
            .collect(),
    };
    let lines = [
        percentile("p50", |p| p.p50),
        percentile("p90", |p| p.p90),
        percentile("p99", |p| p.p99),
    ];
    PoolView {
        pool: pool.pool.clone(),
        chart: charts::lines(day_labels, &lines, Unit::Seconds),
        days: days
            .iter()
            .zip(pool.jobs.iter().zip(&pool.percentiles))
            .map(|(day, (jobs, p))| PoolDayView {
                day: short_day(day),
                jobs: count(*jobs),
                p50: wait(p.as_ref(), |p| p.p50),
                p90: wait(p.as_ref(), |p| p.p90),
                p99: wait(p.as_ref(), |p| p.p99),
            })
            .collect(),
    }
}

/// `s0`…: one colour per named account; the summed rest is grey.
fn account_class(index: usize, account: &AccountSeries) -> String {
    if account.accounts > 1 {
        "other".to_owned()
    } else {
        format!("s{index}")
    }
}

async fn load<W: Wiring>(
    http: &HttpState<W>,
    params: &HashMap<String, String>,
) -> Result<(Stats, StatsQuery), HttpError> {
    let get = |name: &str| {
        params
            .get(name)
            .map(String::as_str)
            .filter(|value| !value.is_empty())
    };
    let query = StatsQuery::parse(get("weeks"), get("days"))
        .map_err(|invalid| HttpError::bad_request(invalid.to_string()))?;
    let found = http.demand.stats(query, Utc::now().date_naive()).await?;
    Ok((found, query))
}

/// `GET /stats`
pub async fn html<W: Wiring>(
    state: web::Data<HttpState<W>>,
    params: web::Query<HashMap<String, String>>,
    _reader: PageReader,
) -> Result<HttpResponse, HttpError> {
    let (found, query) = load(&state, &params).await?;
    let view = stats_view(&found, query);
    Ok(state.pages.render(StatusCode::OK, "stats.html", &view))
}

#[derive(Serialize)]
struct AccountJson<'a> {
    name: &'a str,
    accounts: usize,
    jobs: &'a [u64],
    runner_seconds: &'a [u64],
}

#[derive(Serialize)]
struct PoolJson<'a> {
    pool: &'a str,
    jobs: &'a [u64],
    p50: Vec<Option<f64>>,
    p90: Vec<Option<f64>>,
    p99: Vec<Option<f64>>,
}

/// `GET /stats.json`: the same numbers, seconds unrounded.
pub async fn json<W: Wiring>(
    state: web::Data<HttpState<W>>,
    params: web::Query<HashMap<String, String>>,
    _reader: PageReader,
) -> Result<HttpResponse, HttpError> {
    let (found, _) = load(&state, &params).await?;
    let pick = |pool: &PoolSeries, f: fn(&Percentiles) -> f64| {
        pool.percentiles.iter().map(|p| p.as_ref().map(f)).collect()
    };
    let body = serde_json::json!({
        "weeks": found.usage.weeks.iter().map(NaiveDate::to_string).collect::<Vec<_>>(),
        "accounts": found.usage.accounts.iter().map(|a| AccountJson {
            name: &a.name, accounts: a.accounts, jobs: &a.jobs, runner_seconds: &a.runner_seconds,
        }).collect::<Vec<_>>(),
        "days": found.queue.days.iter().map(NaiveDate::to_string).collect::<Vec<_>>(),
        "pools": found.queue.pools.iter().map(|p| PoolJson {
            pool: &p.pool, jobs: &p.jobs, p50: pick(p, |x| x.p50), p90: pick(p, |x| x.p90), p99: pick(p, |x| x.p99),
        }).collect::<Vec<_>>(),
    });
    Ok(HttpResponse::Ok().json(body))
}
