//! Queries of the delivery log behind `/api/webhooks/*`: which
//! rows `events` lists, and the window `statistics` counts over.

use crate::domain::ids::{EntityId, EventId};

/// Rows `events` lists unless told otherwise.
pub const DEFAULT_LIMIT: u64 = 100;
/// The most rows one `events` answer holds; a larger `limit` is lowered to it.
pub const MAX_LIMIT: u64 = 1000;
/// `statistics`' window unless told otherwise.
pub const DEFAULT_HOURS: u32 = 24;
/// The widest `statistics` window, 30 days.
pub const MAX_HOURS: u32 = 720;

/// A parameter that could not be read: 400 `Invalid <name>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Invalid {0}")]
pub struct InvalidApiParameter(pub &'static str);

/// Which delivery-log rows to list, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventQuery {
    /// `owner/name`, compared exactly.
    pub repository: Option<String>,
    /// An event name: `workflow_job` matches `workflow_job` and every
    /// `workflow_job.<action>`; `workflow_job.queued` matches only itself.
    pub event: Option<String>,
    /// An outcome code, compared exactly.
    pub outcome: Option<String>,
    pub entity_id: Option<EntityId>,
    /// The account's login, compared exactly.
    pub account: Option<String>,
    /// Keyset paging: only rows older than this one (by id).
    pub before: Option<EventId>,
    pub limit: u64,
    pub offset: u64,
}

/// What a listed row is matched on.
#[derive(Debug, Clone, Copy)]
pub struct EventFacts<'a> {
    pub repository: Option<&'a str>,
    pub event: &'a str,
    pub outcome: &'a str,
    pub entity_id: Option<EntityId>,
    pub entity_name: Option<&'a str>,
}

/// Longest accepted text filter; longer is no name GitHub gives.
const MAX_TEXT: usize = 200;

fn text_filter(
    value: Option<&str>,
    name: &'static str,
) -> Result<Option<String>, InvalidApiParameter> {
    match value {
        None | Some("") => Ok(None),
        Some(value) if value.len() > MAX_TEXT || value.chars().any(char::is_control) => {
            Err(InvalidApiParameter(name))
        }
        Some(value) => Ok(Some(value.to_owned())),
    }
}

fn number(value: Option<&str>, name: &'static str) -> Result<Option<u64>, InvalidApiParameter> {
    value
        .filter(|value| !value.is_empty())
        .map(|value| value.parse::<u64>().map_err(|_| InvalidApiParameter(name)))
        .transpose()
}

impl EventQuery {
    /// Reads the parameters; `get` returns a parameter's raw value.
    pub fn parse<'a>(get: impl Fn(&str) -> Option<&'a str>) -> Result<Self, InvalidApiParameter> {
        let entity_id = number(get("entity_id"), "entity_id")?
            .map(|id| i64::try_from(id).ok().filter(|id| *id > 0))
            .map(|id| id.map(EntityId).ok_or(InvalidApiParameter("entity_id")))
            .transpose()?;
        let limit = match number(get("limit"), "limit")? {
            None => DEFAULT_LIMIT,
            Some(0) => return Err(InvalidApiParameter("limit")),
            Some(limit) => limit.min(MAX_LIMIT),
        };
        let offset = number(get("offset"), "offset")?.unwrap_or(0);
        if i64::try_from(offset).is_err() {
            return Err(InvalidApiParameter("offset"));
        }
        let before = number(get("before"), "before")?
            .map(|id| {
                i64::try_from(id)
                    .ok()
                    .filter(|id| *id > 0)
                    .map(EventId)
                    .ok_or(InvalidApiParameter("before"))
            })
            .transpose()?;
        Ok(Self {
            repository: text_filter(get("repository"), "repository")?,
            event: text_filter(get("event"), "event")?,
            outcome: text_filter(get("outcome"), "outcome")?,
            entity_id,
            account: text_filter(get("account"), "account")?,
            before,
            limit,
            offset,
        })
    }

    /// Whether a row with these facts is one this query lists.
    pub fn matches(&self, row: EventFacts<'_>) -> bool {
        let event_matches = self.event.as_deref().is_none_or(|wanted| {
            row.event == wanted
                || row
                    .event
                    .strip_prefix(wanted)
                    .is_some_and(|rest| rest.starts_with('.'))
        });
        event_matches
            && self
                .repository
                .as_deref()
                .is_none_or(|wanted| row.repository == Some(wanted))
            && self
                .outcome
                .as_deref()
                .is_none_or(|wanted| row.outcome == wanted)
            && self
                .entity_id
                .is_none_or(|wanted| row.entity_id == Some(wanted))
            && self
                .account
                .as_deref()
                .is_none_or(|wanted| row.entity_name == Some(wanted))
    }
}

/// The `statistics` window in hours.
///
/// # Errors
/// `Invalid hours` unless a whole number from 1 to [`MAX_HOURS`].
pub fn statistics_hours(value: Option<&str>) -> Result<u32, InvalidApiParameter> {
    match value.filter(|value| !value.is_empty()) {
        None => Ok(DEFAULT_HOURS),
        Some(value) => value
            .parse::<u32>()
            .ok()
            .filter(|hours| (1..=MAX_HOURS).contains(hours))
            .ok_or(InvalidApiParameter("hours")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(pairs: &[(&str, &str)]) -> Result<EventQuery, String> {
        EventQuery::parse(|name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| *value)
        })
        .map_err(|e| e.to_string())
    }

    fn facts(event: &str) -> EventFacts<'_> {
        EventFacts {
            repository: Some("octo/app"),
            event,
            outcome: "job_queued",
            entity_id: Some(EntityId(7)),
            entity_name: Some("octo"),
        }
    }

    #[test]
    fn defaults_list_the_newest_hundred() {
        let query = parse(&[]).unwrap();
        assert_eq!((query.limit, query.offset), (DEFAULT_LIMIT, 0));
        assert!(query.matches(facts("ping")));
    }

    #[test]
    fn parameters_are_read_and_empty_ones_ignored() {
        let query = parse(&[
            ("repository", "octo/app"),
            ("event", ""),
            ("outcome", "job_queued"),
            ("entity_id", "7"),
            ("limit", "5"),
            ("offset", "10"),
        ])
        .unwrap();
        assert_eq!(query.repository.as_deref(), Some("octo/app"));
        assert_eq!(query.event, None);
        assert_eq!(query.entity_id, Some(EntityId(7)));
        assert_eq!((query.limit, query.offset), (5, 10));
    }

    #[test]
    fn a_limit_above_the_maximum_is_lowered_to_it() {
        assert_eq!(parse(&[("limit", "5000")]).unwrap().limit, MAX_LIMIT);
    }

    #[test]
    fn bad_parameters_are_named() {
        for (name, value) in [
            ("limit", "0"),
            ("limit", "-1"),
            ("limit", "ten"),
            ("offset", "-5"),
            ("offset", "99999999999999999999"),
            ("offset", "18446744073709551615"),
            ("entity_id", "0"),
            ("entity_id", "x"),
            ("entity_id", "9223372036854775808"),
            ("before", "0"),
            ("before", "x"),
            ("before", "9223372036854775808"),
            ("event", "workflow_job\n"),
        ] {
            assert_eq!(
                parse(&[(name, value)]),
                Err(format!("Invalid {name}")),
                "{name}={value}"
            );
        }
        let long = "a".repeat(MAX_TEXT + 1);
        assert_eq!(
            parse(&[("repository", &long)]),
            Err("Invalid repository".into())
        );
    }

    #[test]
    fn an_event_name_matches_itself_and_its_actions_only() {
        let query = parse(&[("event", "workflow_job")]).unwrap();
        assert!(query.matches(facts("workflow_job")));
        assert!(query.matches(facts("workflow_job.queued")));
        assert!(!query.matches(facts("workflow_jobs")));
        assert!(!query.matches(facts("workflow_run.completed")));
        let exact = parse(&[("event", "workflow_job.queued")]).unwrap();
        assert!(exact.matches(facts("workflow_job.queued")));
        assert!(!exact.matches(facts("workflow_job.completed")));
    }

    #[test]
    fn every_filter_must_hold() {
        let row = facts("workflow_job.queued");
        for (pairs, expected) in [
            (vec![("repository", "octo/app")], true),
            (vec![("repository", "octo/other")], false),
            (vec![("outcome", "job_queued")], true),
            (vec![("outcome", "duplicate")], false),
            (vec![("entity_id", "7")], true),
            (vec![("entity_id", "8")], false),
            (vec![("entity_id", "7"), ("outcome", "duplicate")], false),
            (vec![("account", "octo")], true),
            (vec![("account", "Octo")], false),
        ] {
            assert_eq!(parse(&pairs).unwrap().matches(row), expected, "{pairs:?}");
        }
        let no_repository = EventFacts {
            repository: None,
            ..row
        };
        assert!(!parse(&[("repository", "octo/app")])
            .unwrap()
            .matches(no_repository));
    }

    #[test]
    fn hours_default_to_a_day_within_thirty_days() {
        assert_eq!(statistics_hours(None), Ok(24));
        assert_eq!(statistics_hours(Some("1")), Ok(1));
        assert_eq!(statistics_hours(Some("720")), Ok(720));
        for bad in ["0", "721", "-1", "1.5", "day"] {
            assert_eq!(
                statistics_hours(Some(bad)),
                Err(InvalidApiParameter("hours")),
                "{bad}"
            );
        }
    }
}
