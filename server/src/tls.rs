//! TLS for the listener: PEM files, or a self-signed certificate kept in `<data dir>/tls/`.
//! ALPN offers only `http/1.1` (mlogc would switch to HTTP/2 and send header values that a
//! strict HTTP/2 stack rejects).

use crate::config::TlsMode;
use anyhow::Context;
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::Arc;

/// The acceptor for `mode`, and the certificate's SHA-256 fingerprint for the operator.
pub fn acceptor(mode: &TlsMode, data_dir: &Path) -> anyhow::Result<Option<(tokio_rustls::TlsAcceptor, String)>> {
    let (cert_pem, key_pem) = match mode {
        TlsMode::Off => return Ok(None),
        TlsMode::Files { cert, key } => (
            std::fs::read(cert).with_context(|| format!("reading TLS certificate {}", cert.display()))?,
            std::fs::read(key).with_context(|| format!("reading TLS key {}", key.display()))?,
        ),
        TlsMode::SelfSigned => self_signed(data_dir)?,
    };
    let certificates: Vec<_> = rustls_pemfile::certs(&mut cert_pem.as_slice()).collect::<Result<_, _>>().context("parsing the TLS certificate PEM")?;
    anyhow::ensure!(!certificates.is_empty(), "the TLS certificate file has no certificate");
    let key = rustls_pemfile::private_key(&mut key_pem.as_slice()).context("parsing the TLS key PEM")?.context("the TLS key file has no private key")?;
    let fingerprint = fingerprint(certificates[0].as_ref());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_no_client_auth()
        .with_single_cert(certificates, key)
        .context("the TLS certificate and key do not fit together")?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Some((tokio_rustls::TlsAcceptor::from(Arc::new(config)), fingerprint)))
}

/// SHA-256 of a DER certificate as colon-separated upper-case hex (what browsers show).
pub fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der).iter().map(|byte| format!("{byte:02X}")).collect::<Vec<_>>().join(":")
}

/// Loads `<data dir>/tls/self-signed.{crt,key}`, creating them on first use.
fn self_signed(data_dir: &Path) -> anyhow::Result<(Vec<u8>, Vec<u8>)> {
    let directory = data_dir.join("tls");
    let cert_path = directory.join("self-signed.crt");
    let key_path = directory.join("self-signed.key");
    if cert_path.exists() && key_path.exists() {
        return Ok((std::fs::read(&cert_path)?, std::fs::read(&key_path)?));
    }
    crate::private::create_dir(&directory).with_context(|| format!("creating {}", directory.display()))?;
    let mut names = vec!["localhost".to_owned(), "127.0.0.1".to_owned(), "::1".to_owned()];
    if let Ok(hostname) = std::fs::read_to_string("/etc/hostname") {
        let hostname = hostname.trim();
        if !hostname.is_empty() {
            names.push(hostname.to_owned());
        }
    }
    let certified = rcgen::generate_simple_self_signed(names).context("generating a self-signed certificate")?;
    let cert_pem = certified.cert.pem().into_bytes();
    let key_pem = certified.key_pair.serialize_pem().into_bytes();
    crate::private::write_file(&key_path, &key_pem).with_context(|| format!("writing {}", key_path.display()))?;
    crate::private::write_file(&cert_path, &cert_pem).with_context(|| format!("writing {}", cert_path.display()))?;
    Ok((cert_pem, key_pem))
}
