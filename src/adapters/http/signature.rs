//! `X-Hub-Signature-256` verification.
//!
//! The HMAC is computed over the exact bytes received, for every configured
//! secret (rotation), and compared in constant time. A computed signature
//! is never returned, logged or echoed.

use constant_time_eq::constant_time_eq;
use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

/// The `X-Hub-Signature-256` value GitHub sends for `body` under `secret`.
///
/// # Panics
/// Never: HMAC-SHA256 accepts keys of any length.
pub fn sign(body: &[u8], secret: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Whether `header` is the signature of `body` under any of `secrets`.
/// Every secret is tried, so the time taken does not say which matched.
pub fn verify(body: &[u8], header: &[u8], secrets: &[SecretString]) -> bool {
    secrets.iter().fold(false, |matched, secret| {
        matched | constant_time_eq(sign(body, secret.expose_secret()).as_bytes(), header)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets(list: &[&str]) -> Vec<SecretString> {
        list.iter().map(|s| SecretString::from(*s)).collect()
    }

    #[test]
    fn github_documented_example_signature() {
        // From GitHub's "Validating webhook deliveries" documentation.
        assert_eq!(
            sign(b"Hello, World!", "It's a Secret to Everybody"),
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        );
    }

    #[test]
    fn any_configured_secret_verifies() {
        let header = sign(b"{}", "new");
        assert!(verify(b"{}", header.as_bytes(), &secrets(&["old", "new"])));
        assert!(!verify(b"{}", header.as_bytes(), &secrets(&["old"])));
        assert!(!verify(b"{}", header.as_bytes(), &[]));
    }

    #[test]
    fn altered_bytes_case_or_prefix_fail() {
        let header = sign(b"{\"a\":1}", "s");
        let all = secrets(&["s"]);
        assert!(!verify(b"{\"a\": 1}", header.as_bytes(), &all));
        assert!(!verify(
            b"{\"a\":1}",
            header.to_uppercase().as_bytes(),
            &all
        ));
        assert!(!verify(
            b"{\"a\":1}",
            header.trim_start_matches("sha256=").as_bytes(),
            &all
        ));
    }
}
