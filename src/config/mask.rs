//! Serialising secrets for `check-config`: set or not, never the value.

use secrecy::{ExposeSecret, SecretString};
use serde::Serializer;

const MASK: &str = "********";

#[allow(clippy::ref_option)]
pub fn secret<S: Serializer>(
    value: &Option<SecretString>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(_) => serializer.serialize_str(MASK),
        None => serializer.serialize_none(),
    }
}

pub fn secrets<S: Serializer>(values: &[SecretString], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(values.iter().map(|_| MASK))
}

/// A database URL with its password masked.
#[allow(clippy::ref_option)]
pub fn url<S: Serializer>(value: &Option<SecretString>, serializer: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(url) => serializer.serialize_str(&redact_url(url.expose_secret())),
        None => serializer.serialize_none(),
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:********@host/db`;
/// key=value strings lose their `password=` value.
pub fn redact_url(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://") {
        let (authority, tail) = rest
            .split_once('/')
            .map_or((rest, None), |(a, t)| (a, Some(t)));
        let authority = match authority.rsplit_once('@') {
            Some((userinfo, host)) => match userinfo.split_once(':') {
                Some((user, _)) => format!("{user}:{MASK}@{host}"),
                None => format!("{userinfo}@{host}"),
            },
            None => authority.to_owned(),
        };
        let tail = tail
            .map(|t| format!("/{}", redact_query_password(t)))
            .unwrap_or_default();
        return format!("{scheme}://{authority}{tail}");
    }
    url.split_whitespace()
        .map(|pair| {
            if pair.starts_with("password=") {
                format!("password={MASK}")
            } else {
                pair.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn redact_query_password(tail: &str) -> String {
    let Some((path, query)) = tail.split_once('?') else {
        return tail.to_owned();
    };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| {
            if pair.starts_with("password=") {
                format!("password={MASK}")
            } else {
                pair.to_owned()
            }
        })
        .collect();
    format!("{path}?{}", query.join("&"))
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_never_survive_redaction() {
        let cases = [
            (
                "postgres://ghfe:s3cret@db:5432/ghfe",
                "postgres://ghfe:********@db:5432/ghfe",
            ),
            (
                "postgres://ghfe@db/ghfe?password=s3cret&sslmode=require",
                "postgres://ghfe@db/ghfe?password=********&sslmode=require",
            ),
            ("postgresql://u:p@ss@host", "postgresql://u:********@host"),
            (
                "host=db user=ghfe password=s3cret",
                "host=db user=ghfe password=********",
            ),
            ("postgres://db/ghfe", "postgres://db/ghfe"),
        ];
        for (url, expected) in cases {
            assert_eq!(redact_url(url), expected);
        }
    }
}
