//! The Apps' delivery logs: `GET /app/hook/deliveries`, newest first in
//! cursor pages (the cursor of the next page is in the `Link` header), and
//! `POST /app/hook/deliveries/{id}/attempts`. Attempt ids are 64-bit
//! integers, read as such (never through a float).

use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;
use reqwest::{StatusCode, Url};
use serde::Deserialize;

use crate::domain::redelivery::Attempt;
use crate::domain::setup::AppKind;
use crate::ports::{AttemptPage, DeliverySource, SourceError};

use super::GithubClient;

#[derive(Debug, Deserialize)]
struct AttemptBody {
    id: u64,
    guid: String,
    delivered_at: String,
    /// Absent or 0 when ghfe did not answer.
    #[serde(default)]
    status_code: Option<u16>,
}

impl DeliverySource for GithubClient {
    fn apps(&self) -> Vec<(AppKind, i64)> {
        [
            (AppKind::Org, &self.org),
            (AppKind::Personal, &self.personal),
        ]
        .into_iter()
        .filter_map(|(app, credentials)| credentials.as_ref().map(|c| (app, c.id)))
        .collect()
    }

    async fn attempts(
        &self,
        app: AppKind,
        cursor: Option<&str>,
    ) -> Result<AttemptPage, SourceError> {
        let mut url = format!("{}/app/hook/deliveries?per_page=100", self.api_url);
        if let Some(cursor) = cursor {
            url = format!("{url}&cursor={}", encode(cursor));
        }
        let response = self
            .as_app(app, self.http.get(url))
            .map_err(SourceError::Failed)?
            .send()
            .await
            .map_err(|e| SourceError::Failed(e.to_string()))?;
        let status = response.status();
        let next = next_cursor(response.headers());
        let headers = response.headers().clone();
        let text = response
            .text()
            .await
            .map_err(|e| SourceError::Failed(e.to_string()))?;
        if status != StatusCode::OK {
            return Err(refusal(status, &headers, &text));
        }
        let bodies: Vec<AttemptBody> = serde_json::from_str(&text)
            .map_err(|e| SourceError::Failed(format!("unusable delivery list: {e}")))?;
        let attempts = bodies
            .into_iter()
            .map(|body| {
                let delivered_at = DateTime::parse_from_rfc3339(&body.delivered_at)
                    .map_err(|e| SourceError::Failed(format!("unusable delivered_at: {e}")))?;
                Ok(Attempt {
                    id: body.id,
                    guid: body.guid,
                    delivered_at: delivered_at.with_timezone(&Utc),
                    status_code: body.status_code.unwrap_or(0),
                })
            })
            .collect::<Result<_, SourceError>>()?;
        Ok(AttemptPage { attempts, next })
    }

    async fn redeliver(&self, app: AppKind, id: u64) -> Result<(), SourceError> {
        let url = format!("{}/app/hook/deliveries/{id}/attempts", self.api_url);
        let response = self
            .as_app(app, self.http.post(url))
            .map_err(SourceError::Failed)?
            .send()
            .await
            .map_err(|e| SourceError::Failed(e.to_string()))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let headers = response.headers().clone();
        let text = response.text().await.unwrap_or_default();
        Err(refusal(status, &headers, &text))
    }
}

/// The `cursor` of the `rel="next"` link, if any.
fn next_cursor(headers: &HeaderMap) -> Option<String> {
    let link = headers.get("link")?.to_str().ok()?;
    let next = link.split(',').find(|part| part.contains("rel=\"next\""))?;
    let target = next.split_once('<')?.1.split_once('>')?.0;
    let url = Url::parse(target).ok()?;
    url.query_pairs()
        .find(|(key, _)| key == "cursor")
        .map(|(_, value)| value.into_owned())
}

/// What a failed answer means: GitHub's rate limits (429, or 403 with no
/// requests left or a `Retry-After`), a refusal (400, 422), or a failure.
pub(super) fn refusal(status: StatusCode, headers: &HeaderMap, body: &str) -> SourceError {
    let message = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_owned))
        .unwrap_or_default();
    let message: String = message.chars().take(200).collect();
    let said = format!("GitHub answered {}: {message}", status.as_u16());
    let exhausted = headers
        .get("x-ratelimit-remaining")
        .is_some_and(|left| left.as_bytes() == b"0");
    let limited = status == StatusCode::TOO_MANY_REQUESTS
        || (status == StatusCode::FORBIDDEN
            && (exhausted
                || headers.contains_key("retry-after")
                || message.contains("rate limit")));
    if limited {
        SourceError::RateLimited(said)
    } else if status == StatusCode::BAD_REQUEST || status == StatusCode::UNPROCESSABLE_ENTITY {
        SourceError::Refused(said)
    } else {
        SourceError::Failed(said)
    }
}

/// `cursor` as a query value.
fn encode(cursor: &str) -> String {
    url::form_urlencoded::byte_serialize(cursor.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_cursor_comes_from_the_link_header() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "link",
            "<https://api.github.com/app/hook/deliveries?per_page=100&cursor=v1_12077215967>; rel=\"next\", <https://api.github.com/app/hook/deliveries?per_page=100>; rel=\"first\""
                .parse()
                .unwrap(),
        );
        assert_eq!(next_cursor(&headers).as_deref(), Some("v1_12077215967"));
        headers.insert(
            "link",
            "<https://x/?per_page=100>; rel=\"first\"".parse().unwrap(),
        );
        assert_eq!(next_cursor(&headers), None);
    }

    #[test]
    fn rate_limits_refusals_and_failures_are_told_apart() {
        let mut limited = HeaderMap::new();
        limited.insert("x-ratelimit-remaining", "0".parse().unwrap());
        let none = HeaderMap::new();
        let secondary = r#"{"message":"You have exceeded a secondary rate limit"}"#;
        let kind = |error: SourceError| match error {
            SourceError::Refused(_) => "refused",
            SourceError::RateLimited(_) => "rate limited",
            SourceError::Failed(_) => "failed",
        };
        for (status, headers, body, expected) in [
            (StatusCode::FORBIDDEN, &limited, "", "rate limited"),
            (StatusCode::FORBIDDEN, &none, secondary, "rate limited"),
            (StatusCode::TOO_MANY_REQUESTS, &none, "", "rate limited"),
            (StatusCode::UNPROCESSABLE_ENTITY, &none, "", "refused"),
            (StatusCode::FORBIDDEN, &none, "", "failed"),
            (StatusCode::BAD_GATEWAY, &none, "", "failed"),
        ] {
            assert_eq!(
                kind(refusal(status, headers, body)),
                expected,
                "{status} {body}"
            );
        }
    }

    #[test]
    fn attempt_ids_past_two_to_the_53_are_kept_exactly() {
        let body = r#"[{"id": 9007199254740993, "guid": "g", "delivered_at": "2026-12-01T10:00:00Z", "status_code": 503, "status": "Invalid HTTP Response: 503"}]"#;
        let parsed: Vec<AttemptBody> = serde_json::from_str(body).unwrap();
        assert_eq!(parsed[0].id, 9_007_199_254_740_993);
    }
}
