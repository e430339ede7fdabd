//! Secrets in the OS keychain: `{{secret.NAME}}` in any field that takes variables reads
//! the value stored under service `sockscope`, account `NAME` (Secret Service on Linux,
//! Keychain on macOS, Credential Manager on Windows), through the keyring ecosystem
//! (`keyring-core` and the platform's store crate).
//!
//! - [`keychain`]: the store itself (open, get, set, delete), off the UI thread only.
//! - [`index`]: keychains cannot list by service everywhere, so the names (never the
//!   values) are kept in `secret-names.ron` in the config directory.
//! - [`resolver`]: what an expansion asks: the keychain, or, where there is none and only
//!   when the user agreed, the environment variable `SOCKSCOPE_SECRET_<NAME>`.
//!
//! Secret names follow environment variable names: `[A-Za-z_][A-Za-z0-9_]*`. Every value a
//! secret gives is learned by the one redaction step (`model::redact::recording_env`), like
//! an `{{env.NAME}}` expansion, so it never reaches a file, a line or a copy.

pub mod index;
pub mod keychain;
mod platform;
pub mod resolver;

use std::path::PathBuf;

pub use keychain::{Keychain, KeychainError};
pub use resolver::{SecretError, SecretResolver};

/// The keychain service every secret is stored under.
pub const SERVICE: &str = "sockscope";

/// The prefix of the environment variable a secret falls back to where there is no
/// keychain (with the user's consent): `SOCKSCOPE_SECRET_<NAME>`.
pub const ENV_FALLBACK_PREFIX: &str = "SOCKSCOPE_SECRET_";

/// The environment variable that overrides the config directory (tests, portable set-ups).
pub const CONFIG_DIR_ENV: &str = "SOCKSCOPE_CONFIG_DIR";

/// Checks a secret's name: `[A-Za-z_][A-Za-z0-9_]*`, as an environment variable's.
pub fn check_name(name: &str) -> Result<(), String> {
    crate::format::variables::check_env_name(name).map_err(|_| {
        format!(
            "{name:?} is not a valid secret name (letters, digits and _, not starting with a digit)"
        )
    })
}

/// The environment variable a secret falls back to: `SOCKSCOPE_SECRET_<NAME>`.
pub fn fallback_env_name(name: &str) -> String {
    format!("{ENV_FALLBACK_PREFIX}{name}")
}

/// Sockscope's config directory: `$SOCKSCOPE_CONFIG_DIR`, else the user's config
/// directory's `sockscope` folder (`~/.config/sockscope` on Linux).
pub fn config_dir() -> Option<PathBuf> {
    match std::env::var_os(CONFIG_DIR_ENV) {
        Some(dir) if !dir.is_empty() => Some(PathBuf::from(dir)),
        _ => dirs::config_dir().map(|dir| dir.join("sockscope")),
    }
}
