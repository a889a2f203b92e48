//! `/history` parameters and pages: a date window given as
//! `YYYY-MM-DD` or `-Nd` (N days ago), a 0-based page and a page size, and
//! GitHub-style links between pages.

use chrono::{DateTime, Days, NaiveDate, Utc};

use super::job::JobStatus;

/// A validated history query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryQuery {
    /// Jobs created at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Jobs created before this instant (the day after `end`).
    pub until: Option<DateTime<Utc>>,
    pub page: u64,
    pub per_page: u64,
    pub filters: HistoryFilters,
}

/// What `/history` narrows to, each compared exactly.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryFilters {
    /// The owner's login.
    pub account: Option<String>,
    /// `owner/name`.
    pub repository: Option<String>,
    pub pool: Option<String>,
    pub status: Option<JobStatus>,
    pub conclusion: Option<String>,
}

/// Longest accepted text filter.
const MAX_FILTER: usize = 200;

impl HistoryFilters {
    /// Reads the filters; `get` returns a non-empty parameter's value.
    pub fn parse<'a>(get: impl Fn(&str) -> Option<&'a str>) -> Result<Self, InvalidParameter> {
        let text = |name: &'static str| match get(name) {
            Some(value) if value.len() > MAX_FILTER || value.chars().any(char::is_control) => {
                Err(InvalidParameter {
                    name,
                    expected: "expected a name of at most 200 characters",
                })
            }
            value => Ok(value.map(str::to_owned)),
        };
        let status = get("status")
            .map(|value| {
                JobStatus::parse(value).ok_or(InvalidParameter {
                    name: "status",
                    expected: "expected pending, running, completed or failed",
                })
            })
            .transpose()?;
        Ok(Self {
            account: text("account")?,
            repository: text("repository")?,
            pool: text("pool")?,
            status,
            conclusion: text("conclusion")?,
        })
    }
}

/// A parameter that could not be read: `invalid parameter <name>, <why>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidParameter {
    pub name: &'static str,
    pub expected: &'static str,
}

impl std::fmt::Display for InvalidParameter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid parameter {}, {}", self.name, self.expected)
    }
}

const DATE: &str = "expected YYYY-MM-DD or -Nd (N days ago)";

/// A day: `YYYY-MM-DD`, or `-Nd` counted back from `today`.
fn day(value: &str, today: NaiveDate, name: &'static str) -> Result<NaiveDate, InvalidParameter> {
    let invalid = InvalidParameter {
        name,
        expected: DATE,
    };
    if let Some(days) = value.strip_prefix('-').and_then(|v| v.strip_suffix('d')) {
        let days: u64 = days.parse().map_err(|_| invalid.clone())?;
        return today.checked_sub_days(Days::new(days)).ok_or(invalid);
    }
    NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| invalid)
}

fn midnight(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc()
}

impl HistoryQuery {
    /// Reads the raw parameters; `today` anchors `-Nd`.
    pub fn parse(
        start: Option<&str>,
        end: Option<&str>,
        page: Option<&str>,
        per_page: Option<&str>,
        (default_per_page, max_per_page): (u64, u64),
        today: NaiveDate,
    ) -> Result<Self, InvalidParameter> {
        let from = start.map(|value| day(value, today, "start")).transpose()?;
        let last = end.map(|value| day(value, today, "end")).transpose()?;
        if let (Some(from), Some(last)) = (from, last) {
            if last < from {
                return Err(InvalidParameter {
                    name: "end",
                    expected: "expected a day on or after start",
                });
            }
        }
        let page = match page {
            None => 0,
            Some(value) => value.parse().map_err(|_| InvalidParameter {
                name: "page",
                expected: "expected a page number from 0",
            })?,
        };
        let per_page = match per_page {
            None => default_per_page,
            Some(value) => value
                .parse()
                .ok()
                .filter(|n| (1..=max_per_page).contains(n))
                .ok_or(InvalidParameter {
                    name: "per_page",
                    expected: "expected a page size from 1 to the configured maximum",
                })?,
        };
        Ok(Self {
            from: from.map(midnight),
            until: last
                .and_then(|day| day.checked_add_days(Days::new(1)))
                .map(midnight),
            page,
            per_page,
            filters: HistoryFilters::default(),
        })
    }

    /// Rows to skip.
    pub fn offset(&self) -> u64 {
        self.page.saturating_mul(self.per_page)
    }
}

/// The pages a `Link` header names, for `total` rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageLinks {
    pub first: u64,
    pub prev: Option<u64>,
    pub next: Option<u64>,
    pub last: u64,
}

impl PageLinks {
    pub fn new(page: u64, per_page: u64, total: u64) -> Self {
        let last = total.div_ceil(per_page.max(1)).saturating_sub(1);
        Self {
            first: 0,
            prev: page.checked_sub(1).map(|p| p.min(last)),
            next: (page < last).then_some(page + 1),
            last,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: (u64, u64) = (100, 1000);

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
    }

    fn parse(
        start: Option<&str>,
        end: Option<&str>,
        page: Option<&str>,
        per: Option<&str>,
    ) -> Result<HistoryQuery, String> {
        HistoryQuery::parse(start, end, page, per, LIMITS, today()).map_err(|e| e.to_string())
    }

    #[test]
    fn dates_are_days_or_days_ago_and_end_is_inclusive() {
        let query = parse(Some("-7d"), Some("2026-11-21"), None, None).unwrap();
        assert_eq!(
            query.from.unwrap().to_rfc3339(),
            "2026-11-15T00:00:00+00:00"
        );
        assert_eq!(
            query.until.unwrap().to_rfc3339(),
            "2026-11-22T00:00:00+00:00"
        );
        assert_eq!((query.page, query.per_page, query.offset()), (0, 100, 0));
        assert_eq!(
            parse(Some("-0d"), None, Some("3"), Some("20"))
                .unwrap()
                .offset(),
            60
        );
    }

    #[test]
    fn filters_are_names_and_a_known_status() {
        let params = [("account", "acme"), ("status", "completed"), ("pool", "")];
        let get = |name: &str| {
            params
                .iter()
                .find(|(n, v)| *n == name && !v.is_empty())
                .map(|(_, v)| *v)
        };
        let filters = HistoryFilters::parse(get).unwrap();
        assert_eq!(filters.account.as_deref(), Some("acme"));
        assert_eq!(filters.status, Some(JobStatus::Completed));
        assert_eq!(filters.pool, None);
        let bad = |name: &'static str, value: &'static str| {
            HistoryFilters::parse(move |n: &str| (n == name).then_some(value))
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            bad("status", "done"),
            "invalid parameter status, expected pending, running, completed or failed"
        );
        assert_eq!(
            bad("repository", "a\nb"),
            "invalid parameter repository, expected a name of at most 200 characters"
        );
    }

    #[test]
    fn bad_parameters_are_named() {
        let cases = [
            (
                Some("yesterday"),
                None,
                None,
                None,
                "invalid parameter start, expected YYYY-MM-DD or -Nd (N days ago)",
            ),
            (
                None,
                Some("2026-13-01"),
                None,
                None,
                "invalid parameter end, expected YYYY-MM-DD or -Nd (N days ago)",
            ),
            (
                Some("-xd"),
                None,
                None,
                None,
                "invalid parameter start, expected YYYY-MM-DD or -Nd (N days ago)",
            ),
            (
                Some("2026-11-20"),
                Some("2026-11-19"),
                None,
                None,
                "invalid parameter end, expected a day on or after start",
            ),
            (
                None,
                None,
                Some("-1"),
                None,
                "invalid parameter page, expected a page number from 0",
            ),
            (
                None,
                None,
                Some("one"),
                None,
                "invalid parameter page, expected a page number from 0",
            ),
            (
                None,
                None,
                None,
                Some("0"),
                "invalid parameter per_page, expected a page size from 1 to the configured maximum",
            ),
            (
                None,
                None,
                None,
                Some("1001"),
                "invalid parameter per_page, expected a page size from 1 to the configured maximum",
            ),
        ];
        for (start, end, page, per, message) in cases {
            assert_eq!(parse(start, end, page, per).unwrap_err(), message);
        }
    }

    #[test]
    fn links_name_first_previous_next_and_last_pages() {
        assert_eq!(
            PageLinks::new(0, 10, 25),
            PageLinks {
                first: 0,
                prev: None,
                next: Some(1),
                last: 2
            }
        );
        assert_eq!(
            PageLinks::new(1, 10, 25),
            PageLinks {
                first: 0,
                prev: Some(0),
                next: Some(2),
                last: 2
            }
        );
        assert_eq!(
            PageLinks::new(2, 10, 25),
            PageLinks {
                first: 0,
                prev: Some(1),
                next: None,
                last: 2
            }
        );
        assert_eq!(
            PageLinks::new(0, 10, 0),
            PageLinks {
                first: 0,
                prev: None,
                next: None,
                last: 0
            }
        );
        assert_eq!(
            PageLinks::new(9, 10, 25),
            PageLinks {
                first: 0,
                prev: Some(2),
                next: None,
                last: 2
            }
        );
    }
}
