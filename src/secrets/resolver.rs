//! What a `{{secret.NAME}}` expansion reads, for the faces that may block (the command
//! line, `replay`): the keychain, opened once when the first secret is asked for; where
//! there is no keychain, and only when the user agreed, the environment variable
//! `SOCKSCOPE_SECRET_<NAME>`. Each value is read once per run. The window reads secrets on
//! a background thread into its own cache instead (`app::secret_cache`).

use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;

use super::keychain::{Keychain, KeychainError};
use super::{check_name, fallback_env_name};
use crate::format::variables::SECRET_PREFIX;

/// Why a secret could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// The name is not `[A-Za-z_][A-Za-z0-9_]*`.
    #[error("{0}")]
    InvalidName(String),
    /// The keychain has no secret of this name.
    #[error("secret {name} is not in the keychain (store it with: sockscope secret set {name})")]
    NotFound {
        /// The secret's name.
        name: String,
    },
    /// There is no keychain, and the environment may not be read instead.
    #[error(
        "secret {name}: {why}; reading the environment variable {} instead needs your consent",
        fallback_env_name(name)
    )]
    NoKeychain {
        /// The secret's name.
        name: String,
        /// Why there is no keychain.
        why: String,
    },
    /// There is no keychain, and the agreed environment variable is not set.
    #[error(
        "secret {name}: {why}, and the environment variable {} is not set",
        fallback_env_name(name)
    )]
    FallbackUnset {
        /// The secret's name.
        name: String,
        /// Why there is no keychain.
        why: String,
    },
    /// The keychain failed.
    #[error("secret {name}: {why}")]
    Failed {
        /// The secret's name.
        name: String,
        /// What the keychain said.
        why: String,
    },
}

impl SecretError {
    /// True when the error is that there is no keychain and the fallback was not allowed.
    pub fn needs_fallback_consent(&self) -> bool {
        matches!(self, SecretError::NoKeychain { .. })
    }
}

/// Looks up an environment variable (for the fallback).
pub type EnvLookup = Box<dyn Fn(&str) -> Option<String>>;

/// Opens the keychain.
pub type OpenKeychain = Box<dyn Fn() -> Result<Keychain, KeychainError>>;

/// Reads secrets for one run, each at most once.
pub struct SecretResolver {
    /// The user agreed to read `SOCKSCOPE_SECRET_<NAME>` where there is no keychain.
    env_fallback: bool,
    /// Opens the keychain (injectable: tests use a machine without one).
    open: OpenKeychain,
    /// Reads the environment for the fallback.
    env: EnvLookup,
    keychain: OnceCell<Result<Keychain, KeychainError>>,
    read: RefCell<HashMap<String, Result<String, SecretError>>>,
}

impl SecretResolver {
    /// A resolver on the real keychain and environment; `env_fallback`: the user agreed to
    /// read `SOCKSCOPE_SECRET_<NAME>` where there is no keychain.
    pub fn new(env_fallback: bool) -> Self {
        Self::with(
            env_fallback,
            Box::new(Keychain::open),
            Box::new(crate::format::variables::process_env),
        )
    }

    /// A resolver with the keychain opened by `open` and the environment read by `env`.
    pub fn with(env_fallback: bool, open: OpenKeychain, env: EnvLookup) -> Self {
        Self {
            env_fallback,
            open,
            env,
            keychain: OnceCell::new(),
            read: RefCell::new(HashMap::new()),
        }
    }

    /// The value of secret `name` (blocking: it may talk to the keychain).
    pub fn get(&self, name: &str) -> Result<String, SecretError> {
        if let Some(known) = self.read.borrow().get(name) {
            return known.clone();
        }
        let result = self.read_secret(name);
        self.read
            .borrow_mut()
            .insert(name.to_owned(), result.clone());
        result
    }

    fn read_secret(&self, name: &str) -> Result<String, SecretError> {
        check_name(name).map_err(SecretError::InvalidName)?;
        let keychain = self.keychain.get_or_init(|| (self.open)());
        let why = match keychain {
            Ok(keychain) => match keychain.get(name) {
                Ok(value) => return Ok(value),
                Err(KeychainError::Unavailable(why)) => why,
                Err(KeychainError::NotFound(_)) => {
                    return Err(SecretError::NotFound {
                        name: name.to_owned(),
                    });
                }
                Err(KeychainError::Failed(why)) => {
                    return Err(SecretError::Failed {
                        name: name.to_owned(),
                        why,
                    });
                }
            },
            Err(error) => error.to_string(),
        };
        let name = name.to_owned();
        if !self.env_fallback {
            return Err(SecretError::NoKeychain { name, why });
        }
        (self.env)(&fallback_env_name(&name)).ok_or(SecretError::FallbackUnset { name, why })
    }

    /// The first secret that could not be read, for a message better than "not available".
    pub fn first_failure(&self) -> Option<SecretError> {
        let read = self.read.borrow();
        let mut failures: Vec<_> = read
            .iter()
            .filter_map(|(name, result)| result.as_ref().err().map(|error| (name, error)))
            .collect();
        failures.sort_by(|a, b| a.0.cmp(b.0));
        failures.first().map(|(_, error)| (*error).clone())
    }

    /// A lookup for `VarContext::env`: `secret.NAME` reads secret `NAME` (`None` when it
    /// cannot be read: [`SecretResolver::first_failure`] says why), any other name goes to
    /// `env`.
    pub fn lookup<'a>(
        &'a self,
        env: &'a dyn Fn(&str) -> Option<String>,
    ) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| match name.strip_prefix(SECRET_PREFIX) {
            Some(secret) => self.get(secret).ok(),
            None => env(name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_keychain() -> Result<Keychain, KeychainError> {
        Err(KeychainError::Unavailable(
            "no D-Bus session bus".to_owned(),
        ))
    }

    fn env(name: &str) -> Option<String> {
        (name == "SOCKSCOPE_SECRET_TOKEN").then(|| "from-env-0123".to_owned())
    }

    #[test]
    fn without_a_keychain_the_environment_is_read_only_with_consent() {
        let refused = SecretResolver::with(false, Box::new(no_keychain), Box::new(env));
        let error = refused.get("TOKEN").unwrap_err();
        assert!(error.needs_fallback_consent());
        assert_eq!(
            error.to_string(),
            "secret TOKEN: no keychain is available: no D-Bus session bus; reading the \
             environment variable SOCKSCOPE_SECRET_TOKEN instead needs your consent"
        );
        let lookup_env = |_: &str| None;
        let lookup = refused.lookup(&lookup_env);
        assert_eq!(lookup("secret.TOKEN"), None);
        assert_eq!(refused.first_failure(), Some(error));

        let agreed = SecretResolver::with(true, Box::new(no_keychain), Box::new(env));
        assert_eq!(agreed.get("TOKEN").unwrap(), "from-env-0123");
        let unset = agreed.get("OTHER").unwrap_err();
        assert!(
            unset
                .to_string()
                .contains("SOCKSCOPE_SECRET_OTHER is not set"),
            "{unset}"
        );
        assert!(agreed.get("1bad").is_err());
    }

    #[test]
    fn other_names_go_to_the_environment_lookup() {
        let resolver = SecretResolver::with(true, Box::new(no_keychain), Box::new(env));
        let plain = |name: &str| (name == "HOME").then(|| "/home/ada".to_owned());
        let lookup = resolver.lookup(&plain);
        assert_eq!(lookup("HOME").as_deref(), Some("/home/ada"));
        assert_eq!(lookup("secret.TOKEN").as_deref(), Some("from-env-0123"));
        assert_eq!(lookup("SOCKSCOPE_SECRET_TOKEN"), None);
    }
}
