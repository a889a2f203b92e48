//! The HTML pages' templates (tera, compiled in from `templates/`; every
//! value is escaped) and the helpers the page handlers share.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use serde::Serialize;
use tera::{Context, Tera};

use super::error::text;

/// The compiled templates.
pub struct Pages {
    tera: Tera,
}

impl std::fmt::Debug for Pages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pages")
    }
}

impl Pages {
    /// Compiles the templates shipped in the binary.
    pub fn new() -> Result<Self, String> {
        let mut tera = Tera::new();
        tera.add_raw_templates([
            ("base.html", include_str!("../../../templates/base.html")),
            ("setup.html", include_str!("../../../templates/setup.html")),
            ("usage.html", include_str!("../../../templates/usage.html")),
            (
                "history.html",
                include_str!("../../../templates/history.html"),
            ),
            ("chart.html", include_str!("../../../templates/chart.html")),
            ("stats.html", include_str!("../../../templates/stats.html")),
            (
                "delivery.html",
                include_str!("../../../templates/delivery.html"),
            ),
            (
                "deliveries.html",
                include_str!("../../../templates/deliveries.html"),
            ),
        ])
        .map_err(|e| e.to_string())?;
        Ok(Self { tera })
    }

    /// Renders `template` with `view`; a rendering failure is a 500.
    pub fn render(
        &self,
        status: StatusCode,
        template: &str,
        view: &impl Serialize,
    ) -> HttpResponse {
        let rendered =
            Context::from_serialize(view).and_then(|context| self.tera.render(template, &context));
        match rendered {
            Ok(html) => HttpResponse::build(status)
                .content_type("text/html; charset=utf-8")
                .body(html),
            Err(error) => {
                tracing::error!(%error, template, "page rendering failed");
                text(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
            }
        }
    }
}

/// A URL from a payload as a link target: only `https://` and `http://`
/// ones (never `javascript:` or `data:`), so a link is at worst a wrong
/// page.
pub fn web_link(url: Option<String>) -> Option<String> {
    url.filter(|url| url.starts_with("https://") || url.starts_with("http://"))
}

/// `2h 5m`, `3m 20s`, `45s`: how long something has waited.
pub fn age(seconds: i64) -> String {
    let seconds = seconds.max(0);
    let (h, m, s) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m {s}s"),
        _ => format!("{h}h {m}m"),
    }
}

/// The query string of `params` with `name` set to `value` (in name
/// order, so links are stable).
pub fn query_with(
    params: &std::collections::HashMap<String, String>,
    name: &str,
    value: &str,
) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    let mut names: Vec<&String> = params.keys().filter(|key| *key != name).collect();
    names.sort();
    for key in names {
        query.append_pair(key, &params[key]);
    }
    query.append_pair(name, value);
    query.finish()
}

#[cfg(test)]
mod tests {
    use super::age;

    #[test]
    fn ages_read_naturally() {
        for (seconds, expected) in [
            (0, "0s"),
            (45, "45s"),
            (200, "3m 20s"),
            (7500, "2h 5m"),
            (-3, "0s"),
        ] {
            assert_eq!(age(seconds), expected);
        }
    }

    #[test]
    fn only_web_urls_become_links() {
        use super::web_link;
        for (url, kept) in [
            ("https://github.com/o/r/actions/runs/1/job/2", true),
            ("http://ghes.internal/o/r", true),
            ("javascript:alert(1)", false),
            (" https://github.com", false),
            ("data:text/html,x", false),
        ] {
            assert_eq!(web_link(Some(url.to_owned())).is_some(), kept, "{url}");
        }
        assert_eq!(web_link(None), None);
    }

    #[test]
    fn the_templates_compile() {
        super::Pages::new().unwrap();
    }
}
