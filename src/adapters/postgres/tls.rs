//! TLS to PostgreSQL with libpq's `sslmode` meanings, so an operator's
//! `POSTGRES_URL` works unchanged:
//!
//! | sslmode | TLS | certificate |
//! |---|---|---|
//! | `disable` | never | — |
//! | `allow`, `prefer` (default) | when the server offers it | not verified |
//! | `require` | always | not verified |
//! | `verify-ca`, `verify-full` | always | verified against `sslrootcert`, else the system's roots; the host name too |
//!
//! tokio-postgres knows only the first three modes, so `sslmode` and
//! `sslrootcert` are taken out of the URL here and applied to its config.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres::config::SslMode as WireMode;
use tokio_postgres_rustls::MakeRustlsConnect;

/// A connection string taken apart: what tokio-postgres understands, and
/// the TLS to use (`None`: plain TCP).
#[derive(Clone)]
pub struct Target {
    pub config: tokio_postgres::Config,
    pub tls: Option<MakeRustlsConnect>,
}

/// Parses `url` (URL or `key=value` form) and prepares its TLS.
pub fn target(url: &str) -> Result<Target, String> {
    let (rest, mode, root) = split_tls_params(url);
    let mut config: tokio_postgres::Config = rest
        .parse()
        .map_err(|e| format!("not a PostgreSQL connection string: {e}"))?;
    let (wire, verify) = match mode.as_deref().unwrap_or("prefer") {
        "disable" => {
            config.ssl_mode(WireMode::Disable);
            return Ok(Target { config, tls: None });
        }
        "allow" | "prefer" => (WireMode::Prefer, false),
        "require" => (WireMode::Require, false),
        "verify-ca" | "verify-full" => (WireMode::Require, true),
        other => return Err(format!("unknown sslmode {other:?}")),
    };
    config.ssl_mode(wire);
    let client = if verify {
        verifying(root.as_deref())?
    } else {
        unverified()
    };
    Ok(Target {
        config,
        tls: Some(MakeRustlsConnect::new(client)),
    })
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

fn builder() -> rustls::ConfigBuilder<ClientConfig, rustls::WantsVerifier> {
    ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("the default provider supports the default versions")
}

fn verifying(root: Option<&str>) -> Result<ClientConfig, String> {
    let mut roots = RootCertStore::empty();
    match root {
        Some(path) => {
            for cert in CertificateDer::pem_file_iter(path)
                .map_err(|e| format!("sslrootcert {path}: {e}"))?
            {
                let cert = cert.map_err(|e| format!("sslrootcert {path}: {e}"))?;
                roots
                    .add(cert)
                    .map_err(|e| format!("sslrootcert {path}: {e}"))?;
            }
        }
        None => {
            roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        }
    }
    if roots.is_empty() {
        return Err(
            "sslmode verify-ca/verify-full found no root certificate (set sslrootcert)".into(),
        );
    }
    Ok(builder()
        .with_root_certificates(roots)
        .with_no_client_auth())
}

fn unverified() -> ClientConfig {
    builder()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Unverified(provider())))
        .with_no_client_auth()
}

/// libpq's `prefer`/`require`: the session is encrypted, the certificate
/// is not checked (handshake signatures still are).
#[derive(Debug)]
struct Unverified(Arc<CryptoProvider>);

impl ServerCertVerifier for Unverified {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `url` without `sslmode` and `sslrootcert`, and their values.
fn split_tls_params(url: &str) -> (String, Option<String>, Option<String>) {
    let (mut mode, mut root) = (None, None);
    let mut keep = |pair: &str| match pair.split_once('=') {
        Some(("sslmode", value)) => {
            mode = Some(percent_decode(value));
            false
        }
        Some(("sslrootcert", value)) => {
            root = Some(percent_decode(value));
            false
        }
        _ => true,
    };
    let rest = if url.contains("://") {
        match url.split_once('?') {
            Some((base, query)) => {
                let kept: Vec<&str> = query.split('&').filter(|pair| keep(pair)).collect();
                if kept.is_empty() {
                    base.to_owned()
                } else {
                    format!("{base}?{}", kept.join("&"))
                }
            }
            None => url.to_owned(),
        }
    } else {
        url.split_whitespace()
            .filter(|pair| keep(pair))
            .collect::<Vec<_>>()
            .join(" ")
    };
    (rest, mode, root)
}

fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                decoded.push(byte);
                i += 3;
            }
            (byte, _) => {
                decoded.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_parameters_are_taken_out_of_both_url_forms() {
        let cases = [
            ("postgres://u@h/db", ("postgres://u@h/db", None, None)),
            (
                "postgres://u@h/db?sslmode=verify-full&application_name=x&sslrootcert=%2Fetc%2Fca.pem",
                ("postgres://u@h/db?application_name=x", Some("verify-full"), Some("/etc/ca.pem")),
            ),
            ("postgres://u@h/db?sslmode=require", ("postgres://u@h/db", Some("require"), None)),
            ("host=h user=u sslmode=disable dbname=d", ("host=h user=u dbname=d", Some("disable"), None)),
        ];
        for (url, (rest, mode, root)) in cases {
            let split = split_tls_params(url);
            assert_eq!(
                (split.0.as_str(), split.1.as_deref(), split.2.as_deref()),
                (rest, mode, root),
                "{url}"
            );
        }
    }

    #[test]
    fn each_sslmode_sets_the_wire_mode_and_tls() {
        let cases = [
            ("", Some(WireMode::Prefer), true),
            ("?sslmode=disable", Some(WireMode::Disable), false),
            ("?sslmode=allow", Some(WireMode::Prefer), true),
            ("?sslmode=prefer", Some(WireMode::Prefer), true),
            ("?sslmode=require", Some(WireMode::Require), true),
        ];
        for (query, wire, tls) in cases {
            let target = target(&format!("postgres://u@h/db{query}")).unwrap();
            assert_eq!(Some(target.config.get_ssl_mode()), wire, "{query}");
            assert_eq!(target.tls.is_some(), tls, "{query}");
        }
    }

    #[test]
    fn bad_modes_and_missing_roots_are_explained() {
        let error = |url: &str| target(url).err().unwrap_or_default();
        assert_eq!(
            error("postgres://h/db?sslmode=sometimes"),
            "unknown sslmode \"sometimes\""
        );
        assert!(
            error("postgres://h/db?sslmode=verify-full&sslrootcert=/nonexistent.pem")
                .starts_with("sslrootcert")
        );
        assert!(error("mysql://h/db").starts_with("not a PostgreSQL connection string"));
    }
}
