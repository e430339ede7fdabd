//! Exact certificate pinning: a server is accepted when its certificate is byte for byte one
//! the user gave (`--pin-cert FILE`, or a `--ca FILE` that holds the server's own
//! certificate), whatever its CA flag, host names or dates; otherwise an optional fallback
//! verifier (the CA chain) decides. The handshake signature is always checked, so the
//! server must hold the certificate's private key.

use std::path::PathBuf;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, OtherError, SignatureScheme};

/// The server presented a certificate that is none of the pinned ones.
#[derive(Debug, thiserror::Error)]
#[error(
    "the server's certificate is not the one pinned in {file}: it presented another \
     certificate (SHA-256 fingerprint {fingerprint}); if the server's certificate was \
     replaced on purpose, pin the new one, otherwise something stands between you and the server"
)]
pub(crate) struct PinMismatch {
    /// The pinned file, as the user named it.
    pub file: String,
    /// The presented certificate's SHA-256, as `openssl x509 -fingerprint -sha256` prints it.
    pub fingerprint: String,
}

/// Accepts the pinned certificates exactly; anything else goes to `fallback`, or is refused
/// with [`PinMismatch`] when there is none.
#[derive(Debug)]
pub(crate) struct PinnedCertificates {
    pinned: Vec<CertificateDer<'static>>,
    file: PathBuf,
    fallback: Option<Arc<dyn ServerCertVerifier>>,
    provider: Arc<CryptoProvider>,
}

impl PinnedCertificates {
    /// Pins `pinned` (read from `file`); `fallback` judges every other certificate.
    pub(crate) fn new(
        pinned: Vec<CertificateDer<'static>>,
        file: PathBuf,
        fallback: Option<Arc<dyn ServerCertVerifier>>,
        provider: Arc<CryptoProvider>,
    ) -> Self {
        Self {
            pinned,
            file,
            fallback,
            provider,
        }
    }
}

/// `AB:CD:…`: the SHA-256 of `der` in upper-case hex pairs.
pub(crate) fn fingerprint(der: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, der);
    digest
        .as_ref()
        .iter()
        .map(|byte| format!("{byte:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

impl ServerCertVerifier for PinnedCertificates {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if self
            .pinned
            .iter()
            .any(|pinned| pinned.as_ref() == end_entity.as_ref())
        {
            return Ok(ServerCertVerified::assertion());
        }
        match &self.fallback {
            Some(fallback) => fallback.verify_server_cert(
                end_entity,
                intermediates,
                server_name,
                ocsp_response,
                now,
            ),
            None => Err(rustls::Error::InvalidCertificate(CertificateError::Other(
                OtherError(Arc::new(PinMismatch {
                    file: self.file.display().to_string(),
                    fingerprint: fingerprint(end_entity.as_ref()),
                })),
            ))),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_read_as_openssl_prints_them() {
        // SHA-256 of the empty input.
        assert_eq!(
            fingerprint(b""),
            "E3:B0:C4:42:98:FC:1C:14:9A:FB:F4:C8:99:6F:B9:24:27:AE:41:E4:64:9B:93:4C:A4:95:99:1B:78:52:B8:55"
        );
    }
}
