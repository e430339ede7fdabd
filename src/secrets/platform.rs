//! The platform's credential store: the Secret Service (pure Rust, over D-Bus) on Linux, the
//! Keychain on macOS, the Credential Manager on Windows; elsewhere none.

use std::sync::Arc;

use keyring_core::{CredentialStore, Error};

/// Opens the platform's store (on Linux this connects to the session bus and opens a
/// Secret Service session: blocking I/O).
#[cfg(target_os = "linux")]
pub fn open_store() -> Result<Arc<CredentialStore>, Error> {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none_or(|address| address.is_empty()) {
        // zbus would guess a socket path; say plainly that there is no session bus.
        return Err(Error::NoStorageAccess(
            "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set), so no Secret Service"
                .into(),
        ));
    }
    let store: Arc<CredentialStore> = zbus_secret_service_keyring_store::Store::new()?;
    Ok(store)
}

/// Opens the platform's store.
#[cfg(target_os = "macos")]
pub fn open_store() -> Result<Arc<CredentialStore>, Error> {
    let store: Arc<CredentialStore> = apple_native_keyring_store::keychain::Store::new()?;
    Ok(store)
}

/// Opens the platform's store.
#[cfg(target_os = "windows")]
pub fn open_store() -> Result<Arc<CredentialStore>, Error> {
    let store: Arc<CredentialStore> = windows_native_keyring_store::Store::new()?;
    Ok(store)
}

/// No store on this platform.
#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
pub fn open_store() -> Result<Arc<CredentialStore>, Error> {
    Err(Error::NotSupportedByStore(
        "Sockscope knows no keychain on this operating system".into(),
    ))
}
