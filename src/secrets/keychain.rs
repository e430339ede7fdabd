//! The OS keychain, through the keyring ecosystem: one store per process, entries under
//! service [`super::SERVICE`] with the secret's name as the account. Every call is blocking
//! I/O (D-Bus, Security framework, Credential Manager): run it off the UI thread.

use std::fmt;
use std::sync::Arc;

use keyring_core::{CredentialStore, Entry, Error};

use super::{SERVICE, platform};

/// Why the keychain could not do what was asked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeychainError {
    /// There is no keychain to use (a headless machine, no Secret Service on D-Bus, locked).
    #[error("no keychain is available: {0}")]
    Unavailable(String),
    /// The keychain has no secret of this name.
    #[error("the keychain has no secret {0}")]
    NotFound(String),
    /// The keychain refused or failed.
    #[error("the keychain failed: {0}")]
    Failed(String),
}

/// An open keychain.
#[derive(Clone)]
pub struct Keychain {
    store: Arc<CredentialStore>,
}

impl fmt::Debug for Keychain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Keychain")
    }
}

impl Keychain {
    /// Opens the platform's keychain; [`KeychainError::Unavailable`] says why there is none.
    pub fn open() -> Result<Keychain, KeychainError> {
        platform::open_store()
            .map(|store| Keychain { store })
            .map_err(|error| KeychainError::Unavailable(describe(&error)))
    }

    /// The value of secret `name`.
    pub fn get(&self, name: &str) -> Result<String, KeychainError> {
        self.entry(name)?
            .get_password()
            .map_err(|error| classify(name, &error))
    }

    /// Stores `value` as secret `name` (replacing an older value).
    pub fn set(&self, name: &str, value: &str) -> Result<(), KeychainError> {
        self.entry(name)?
            .set_password(value)
            .map_err(|error| classify(name, &error))
    }

    /// Deletes secret `name`.
    pub fn delete(&self, name: &str) -> Result<(), KeychainError> {
        self.entry(name)?
            .delete_credential()
            .map_err(|error| classify(name, &error))
    }

    fn entry(&self, name: &str) -> Result<Entry, KeychainError> {
        Entry::new_in_store(&self.store, SERVICE, name).map_err(|error| classify(name, &error))
    }
}

/// The keychain's error in the terms of [`KeychainError`].
fn classify(name: &str, error: &Error) -> KeychainError {
    match error {
        Error::NoEntry => KeychainError::NotFound(name.to_owned()),
        Error::NoStorageAccess(_) | Error::NoDefaultStore => {
            KeychainError::Unavailable(describe(error))
        }
        _ => KeychainError::Failed(describe(error)),
    }
}

/// One line about a keychain error, with the platform's own words when it gave some.
fn describe(error: &Error) -> String {
    let text = match error {
        Error::PlatformFailure(inner) | Error::NoStorageAccess(inner) => inner.to_string(),
        Error::Ambiguous(entries) => format!("{} entries match", entries.len()),
        // Never the bytes of a value that could not be read.
        Error::BadEncoding(_) => "the stored value is not UTF-8 text".to_owned(),
        Error::BadDataFormat(_, inner) => format!("the stored value is malformed: {inner}"),
        other => other.to_string(),
    };
    text.lines().next().unwrap_or_default().trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_say_what_happened_without_values() {
        let not_found = classify("TOKEN", &Error::NoEntry);
        assert_eq!(not_found.to_string(), "the keychain has no secret TOKEN");
        let locked = classify(
            "TOKEN",
            &Error::NoStorageAccess("the collection is locked".into()),
        );
        assert_eq!(
            locked.to_string(),
            "no keychain is available: the collection is locked"
        );
        let bad = classify("TOKEN", &Error::BadEncoding(b"s3cret\xff".to_vec()));
        assert!(!bad.to_string().contains("s3cret"), "{bad}");
    }
}
