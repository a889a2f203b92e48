//! The staging proxy's HTTP client: the delivery's bytes and
//! GitHub headers, posted to `staging.url` with a timeout below GitHub's
//! 10 s.

use std::time::Duration;

use crate::ports::{ForwardError, Forwardable, Relayed, StagingForwarder};

/// Posts deliveries to the staging deployment.
#[derive(Debug, Clone)]
pub struct StagingClient {
    http: reqwest::Client,
    url: String,
}

impl StagingClient {
    pub fn new(url: &str, timeout: Duration) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            http,
            url: url.to_owned(),
        })
    }
}

impl StagingForwarder for StagingClient {
    async fn forward(&self, delivery: &Forwardable) -> Result<Relayed, ForwardError> {
        let mut request = self.http.post(&self.url).body(delivery.body.to_vec());
        for (name, value) in &delivery.headers {
            request = request.header(name, value);
        }
        let response = request
            .send()
            .await
            .map_err(|e| ForwardError(e.to_string()))?;
        let status = response.status().as_u16();
        let body = response
            .text()
            .await
            .map_err(|e| ForwardError(e.to_string()))?;
        Ok(Relayed { status, body })
    }
}
