//! TLS for `wss://`: trusted roots (the system's, or bundled ones when the system has none),
//! an extra CA file, an exactly pinned certificate, optionally no verification (the client
//! certificate is presented in every case); and TLS failures said in plain words.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};

use super::config::TlsOptions;
use super::tls_pin::{PinMismatch, PinnedCertificates};

/// The system's trusted roots, loaded once; webpki's bundled roots when the system has none.
fn default_roots() -> &'static RootCertStore {
    static ROOTS: OnceLock<RootCertStore> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let mut roots = RootCertStore::empty();
        let native = rustls_native_certs::load_native_certs();
        let (added, _ignored) = roots.add_parsable_certificates(native.certs);
        if added == 0 {
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        }
        roots
    })
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Why the TLS settings cannot be turned into a client configuration.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The crypto provider offers no protocol version rustls accepts.
    #[error("{0}")]
    Protocols(rustls::Error),
    /// The client certificate and key were read but rustls refuses them.
    #[error("the client certificate cannot be used: {0}")]
    ClientCertificate(rustls::Error),
    /// The usual verification cannot be built from the trusted roots.
    #[error("cannot set up certificate verification: {0}")]
    Verifier(rustls::client::VerifierBuilderError),
    /// A PEM file cannot be opened or read.
    #[error("cannot read {what} {}: {source}", .path.display())]
    Unreadable {
        /// What the file is (`CA file`, `client certificate`, …).
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// What reading it said.
        source: pem::Error,
    },
    /// A PEM file holds something that is not a valid certificate.
    #[error("{what} {} is not valid PEM: {source}", .path.display())]
    NotPem {
        /// What the file is.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// What parsing it said.
        source: pem::Error,
    },
    /// A PEM file holds no certificate at all.
    #[error("{what} {} holds no certificate", .path.display())]
    NoCertificate {
        /// What the file is.
        what: &'static str,
        /// The file.
        path: PathBuf,
    },
    /// The CA file's certificates cannot serve as trust anchors.
    #[error("CA file {} holds no usable certificate", .0.display())]
    NoUsableCa(PathBuf),
    /// The client key file holds no private key rustls can read.
    #[error("cannot read a private key from {}: {source}", .path.display())]
    Key {
        /// The key file.
        path: PathBuf,
        /// What reading it said.
        source: pem::Error,
    },
}

/// Builds the client configuration for `options`; an unreadable or empty CA or pinned
/// certificate file is an error.
pub(crate) fn client_config(options: &TlsOptions) -> Result<Arc<ClientConfig>, TlsError> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Protocols)?
        .dangerous()
        .with_custom_certificate_verifier(server_verifier(options)?);
    // The client certificate goes with every kind of verification: a test server with a
    // self-signed certificate may well ask for one.
    let config = match (&options.client_cert, &options.client_key) {
        (Some(cert), Some(key)) => {
            let (chain, key) = client_identity(cert, key)?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(TlsError::ClientCertificate)?
        }
        _ => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

/// Who judges the server's certificate: nobody (`accept_invalid_certs`), the pinned file
/// alone, or the trusted roots plus the CA file (whose own certificates count as pinned).
fn server_verifier(options: &TlsOptions) -> Result<Arc<dyn ServerCertVerifier>, TlsError> {
    if options.accept_invalid_certs {
        return Ok(Arc::new(AcceptAnyCertificate(provider())));
    }
    if let Some(path) = &options.pinned_cert {
        let pinned = read_certificates(path, "pinned certificate file")?;
        return Ok(Arc::new(PinnedCertificates::new(
            pinned,
            path.clone(),
            None,
            provider(),
        )));
    }
    let mut roots = default_roots().clone();
    let Some(path) = &options.ca_file else {
        return web_pki(roots);
    };
    let certs = read_certificates(path, "CA file")?;
    let (added, _) = roots.add_parsable_certificates(certs.iter().cloned());
    if added == 0 {
        return Err(TlsError::NoUsableCa(path.clone()));
    }
    Ok(Arc::new(PinnedCertificates::new(
        certs,
        path.clone(),
        Some(web_pki(roots)?),
        provider(),
    )))
}

/// The usual verification: a chain to one of `roots`, valid now, for the host name.
fn web_pki(roots: RootCertStore) -> Result<Arc<dyn ServerCertVerifier>, TlsError> {
    let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider())
        .build()
        .map_err(TlsError::Verifier)?;
    Ok(verifier)
}

/// Every certificate in the PEM file at `path` (`what` names the file in errors); none at
/// all is an error.
fn read_certificates(
    path: &Path,
    what: &'static str,
) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|source| TlsError::Unreadable {
            what,
            path: path.to_owned(),
            source,
        })?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| TlsError::NotPem {
            what,
            path: path.to_owned(),
            source,
        })?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate {
            what,
            path: path.to_owned(),
        });
    }
    Ok(certs)
}

/// Reads a client certificate chain and its private key from PEM files.
fn client_identity(
    cert: &Path,
    key: &Path,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), TlsError> {
    let chain = read_certificates(cert, "client certificate")?;
    let key = PrivateKeyDer::from_pem_file(key).map_err(|source| TlsError::Key {
        path: key.to_owned(),
        source,
    })?;
    Ok((chain, key))
}

/// Whether an I/O error carries a TLS failure.
pub(crate) fn is_tls_error(error: &std::io::Error) -> bool {
    error
        .get_ref()
        .is_some_and(|e| e.downcast_ref::<rustls::Error>().is_some())
}

/// Says a TLS failure in plain words, from the I/O error the TLS stream returned.
pub(crate) fn describe_tls_error(error: &std::io::Error) -> String {
    let Some(tls) = error
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>())
    else {
        return format!("TLS handshake failed: {error}");
    };
    match tls {
        rustls::Error::InvalidCertificate(cert) => {
            format!("TLS handshake failed: {}", describe_certificate_error(cert))
        }
        rustls::Error::AlertReceived(alert) => match alert {
            rustls::AlertDescription::CertificateRequired => {
                "TLS handshake failed: the server requires a client certificate".to_owned()
            }
            rustls::AlertDescription::BadCertificate
            | rustls::AlertDescription::UnknownCA
            | rustls::AlertDescription::CertificateUnknown => {
                "TLS handshake failed: the server rejected our client certificate".to_owned()
            }
            other => format!("TLS handshake failed: the server sent alert {other:?}"),
        },
        other => format!("TLS handshake failed: {other}"),
    }
}

/// What to do about a certificate that is not trusted, for both faces.
const TRUST_HINTS: &str = "pass the CA that issued it (--ca FILE, or Extra CA file in the \
     request section), or pin the server's very certificate (--pin-cert FILE, or Pinned \
     certificate); turning verification off (--insecure) is for test servers only";

/// Why the server's certificate was refused, and what to do, in plain words.
fn describe_certificate_error(error: &CertificateError) -> String {
    match error {
        CertificateError::Expired => {
            "the server's certificate has expired; the server needs a new one".to_owned()
        }
        CertificateError::ExpiredContext { not_after, .. } => format!(
            "the server's certificate has expired (on {}); the server needs a new one",
            date(*not_after)
        ),
        CertificateError::NotValidYet => {
            "the server's certificate is not valid yet (check this computer's clock)".to_owned()
        }
        CertificateError::NotValidYetContext { not_before, .. } => format!(
            "the server's certificate is not valid yet (not before {}; check this computer's clock)",
            date(*not_before)
        ),
        CertificateError::UnknownIssuer => format!(
            "the server's certificate was issued by an unknown authority (self-signed or a \
             private CA): {TRUST_HINTS}"
        ),
        CertificateError::NotValidForName => {
            "the server's certificate is not valid for this host name".to_owned()
        }
        CertificateError::NotValidForNameContext {
            expected,
            presented,
        } => {
            let names = if presented.is_empty() {
                "no names".to_owned()
            } else {
                presented.join(", ")
            };
            format!(
                "the server's certificate is not valid for this host name ({}); it names {names}. \
                 Connect with one of those names, or pin the certificate (--pin-cert FILE)",
                expected.to_str()
            )
        }
        CertificateError::Revoked => "the server's certificate has been revoked".to_owned(),
        CertificateError::BadSignature => {
            "the server's certificate has a bad signature (altered, or not signed by the issuer it names)"
                .to_owned()
        }
        #[allow(deprecated)]
        CertificateError::UnsupportedSignatureAlgorithm
        | CertificateError::UnsupportedSignatureAlgorithmContext { .. }
        | CertificateError::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => {
            "the server's certificate is signed with an algorithm that is not supported".to_owned()
        }
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            "the server's certificate is not meant for a TLS server (its extended key usage lacks serverAuth)"
                .to_owned()
        }
        CertificateError::BadEncoding => {
            "the server's certificate cannot be parsed (it is not valid DER)".to_owned()
        }
        CertificateError::Other(other) => {
            if let Some(mismatch) = other.0.downcast_ref::<PinMismatch>() {
                mismatch.to_string()
            } else if let Some(webpki::Error::CaUsedAsEndEntity) =
                other.0.downcast_ref::<webpki::Error>()
            {
                "the server's certificate is a CA certificate (CA:TRUE, as a plain `openssl req \
                 -x509` makes), which a server may not use as its own: to trust exactly this \
                 certificate, pin it (--pin-cert FILE, or --ca FILE holding exactly the server's \
                 certificate; in the window, Pinned certificate), or give the server a \
                 certificate without CA:TRUE"
                    .to_owned()
            } else {
                format!("the server's certificate is invalid: {other}")
            }
        }
        other => format!("the server's certificate is invalid: {other:?}"),
    }
}

/// A certificate date as `2020-01-01 00:00 UTC`.
fn date(time: UnixTime) -> String {
    i64::try_from(time.as_secs())
        .ok()
        .and_then(|secs| chrono::DateTime::from_timestamp(secs, 0))
        .map_or_else(
            || format!("{} s after 1970", time.as_secs()),
            |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
        )
}

/// Accepts any certificate; signatures are still checked so the handshake is well formed.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
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
        rustls::crypto::verify_tls12_signature(
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
        rustls::crypto::verify_tls13_signature(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unusable_files_are_typed_errors_that_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "").unwrap();
        let options = TlsOptions {
            ca_file: Some(empty.clone()),
            ..TlsOptions::default()
        };
        let error = client_config(&options).err().unwrap();
        assert!(matches!(
            error,
            TlsError::NoCertificate {
                what: "CA file",
                ..
            }
        ));
        let expected = format!("CA file {} holds no certificate", empty.display());
        assert_eq!(error.to_string(), expected);

        let missing = dir.path().join("missing.pem");
        let options = TlsOptions {
            client_cert: Some(missing.clone()),
            client_key: Some(missing.clone()),
            ..TlsOptions::default()
        };
        let error = client_config(&options).err().unwrap();
        assert!(matches!(
            error,
            TlsError::Unreadable {
                what: "client certificate",
                ..
            }
        ));
        let text = error.to_string();
        let start = format!("cannot read client certificate {}: ", missing.display());
        assert!(text.starts_with(&start), "{text}");
    }
}
