//! TLS on the listening side of `proxy` and `listen` (`--cert FILE --key FILE`): a
//! certificate chain and its private key from PEM files, made into a rustls server
//! configuration that accepted TCP connections are wrapped in before their handshake.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;

/// A server's TLS identity, ready to accept connections with.
#[derive(Clone, Debug)]
pub struct ListenTls {
    config: Arc<rustls::ServerConfig>,
}

impl ListenTls {
    /// Reads the certificate chain (`cert`, PEM, the server's own certificate first) and
    /// its private key (`key`, PEM: PKCS#8, PKCS#1 or SEC1) and checks that they belong
    /// together. The error is one sentence naming the file at fault.
    pub fn load(cert: &Path, key: &Path) -> Result<Self, String> {
        let chain = CertificateDer::pem_file_iter(cert)
            .map_err(|e| format!("cannot read the certificate {}: {e}", cert.display()))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("the certificate {} is not PEM: {e}", cert.display()))?;
        if chain.is_empty() {
            return Err(format!(
                "the certificate {} holds no CERTIFICATE block",
                cert.display()
            ));
        }
        let private = PrivateKeyDer::from_pem_file(key).map_err(|e| {
            format!(
                "cannot read a private key from {}: {e} (a PEM PRIVATE KEY block is needed)",
                key.display()
            )
        })?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_no_client_auth()
            .with_single_cert(chain, private)
            .map_err(|e| {
                format!(
                    "the certificate {} and the key {} cannot be used together: {e}",
                    cert.display(),
                    key.display()
                )
            })?;
        Ok(Self {
            config: Arc::new(config),
        })
    }

    /// Runs the TLS handshake on an accepted connection.
    pub async fn accept(&self, tcp: TcpStream) -> std::io::Result<TlsStream<TcpStream>> {
        tokio_rustls::TlsAcceptor::from(Arc::clone(&self.config))
            .accept(tcp)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_that_are_not_a_certificate_and_key_are_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "").unwrap();
        let missing = dir.path().join("missing.pem");
        let error = ListenTls::load(&missing, &empty).unwrap_err();
        assert!(error.contains("missing.pem"), "{error}");
        let error = ListenTls::load(&empty, &empty).unwrap_err();
        assert!(error.contains("no CERTIFICATE"), "{error}");
    }
}
