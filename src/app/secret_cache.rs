//! The window's keychain secrets. A `{{secret.NAME}}` is read from the OS keychain on the
//! runtime's blocking pool (never on the UI thread), kept in memory for the session, and
//! looked up from this cache when a tab connects or sends; the tab waits for a read under
//! way and goes on when it lands ([`SecretCache::generation`] changes). Storing a value
//! (the environments manager's "To keychain") runs there too, and its outcome is drained by
//! the app. Where there is no keychain, `SOCKSCOPE_SECRET_<NAME>` is read instead only
//! after the user ticked that consent in the environments manager.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::engine::WakeFn;
use crate::format::variables::SECRET_PREFIX;
use crate::secrets::index::NameIndex;
use crate::secrets::{Keychain, SecretError, SecretResolver};

/// What a tab's secrets came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Readiness {
    /// Every secret is in the cache.
    Ready,
    /// A read is under way: try again when [`SecretCache::generation`] changes.
    Reading,
    /// A secret cannot be read.
    Failed(SecretError),
}

/// A value the user asked to store in the keychain, and how that went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stored {
    /// The secret's name.
    pub name: String,
    /// Done, or why not.
    pub result: Result<(), String>,
}

/// A failed read is answered from the cache for this long (the tab that waited for it sees
/// the failure), then read again at the next connect or send: the user may have stored the
/// secret meanwhile.
pub const FAILURE_KEPT: Duration = Duration::from_secs(2);

#[derive(Default)]
struct Inner {
    read: HashMap<String, Result<String, SecretError>>,
    /// When each failed read landed.
    failed_at: HashMap<String, Instant>,
    reading: HashSet<String>,
    stored: Vec<Stored>,
    env_fallback: bool,
    generation: u64,
}

/// The secrets read so far, shared by the app and its tabs (cloning shares it).
#[derive(Clone, Default)]
pub struct SecretCache {
    inner: Arc<Mutex<Inner>>,
    /// Where the names index is kept (`None`: not kept, as in tests without a config dir).
    config_dir: Option<std::path::PathBuf>,
}

impl std::fmt::Debug for SecretCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the values.
        f.write_str("SecretCache")
    }
}

impl SecretCache {
    /// A cache that keeps the names index in `config_dir`.
    pub fn new(config_dir: Option<std::path::PathBuf>) -> Self {
        Self {
            inner: Arc::default(),
            config_dir,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A poisoned lock still holds consistent data (each write is one insert).
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// True when `other` shares this cache.
    pub fn same(&self, other: &SecretCache) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// Changes whenever a read or a store lands.
    pub fn generation(&self) -> u64 {
        self.lock().generation
    }

    /// Whether `SOCKSCOPE_SECRET_<NAME>` may be read where there is no keychain.
    pub fn env_fallback(&self) -> bool {
        self.lock().env_fallback
    }

    /// Allows or refuses the environment fallback; a change forgets the failed reads, so
    /// they are tried again.
    pub fn set_env_fallback(&self, allowed: bool) {
        let mut inner = self.lock();
        if inner.env_fallback != allowed {
            inner.env_fallback = allowed;
            inner.read.retain(|_, result| result.is_ok());
            inner.failed_at.clear();
            inner.generation += 1;
        }
    }

    /// A lookup for `VarContext::env` that answers `secret.NAME` from the cache (never
    /// blocking) and sends other names to `env`.
    pub fn lookup<'a>(
        &'a self,
        env: &'a dyn Fn(&str) -> Option<String>,
    ) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| match name.strip_prefix(SECRET_PREFIX) {
            Some(secret) => self.lock().read.get(secret).and_then(|r| r.clone().ok()),
            None => env(name),
        }
    }

    /// Whether the secrets `names` (without the prefix) are ready; starts reading those not
    /// read yet on `runtime`, waking the window when they land.
    pub fn ready(
        &self,
        names: &[String],
        runtime: &tokio::runtime::Handle,
        wake: &WakeFn,
    ) -> Readiness {
        let mut inner = self.lock();
        let now = Instant::now();
        let stale: Vec<String> = inner
            .failed_at
            .iter()
            .filter(|(_, at)| now.duration_since(**at) > FAILURE_KEPT)
            .map(|(name, _)| name.clone())
            .collect();
        for name in stale {
            inner.failed_at.remove(&name);
            inner.read.remove(&name);
        }
        let unread: Vec<String> = names
            .iter()
            .filter(|name| !inner.read.contains_key(*name) && !inner.reading.contains(*name))
            .cloned()
            .collect();
        for name in names {
            if let Some(Err(error)) = inner.read.get(name) {
                return Readiness::Failed(error.clone());
            }
        }
        if unread.is_empty() && names.iter().all(|name| inner.read.contains_key(name)) {
            return Readiness::Ready;
        }
        inner.reading.extend(unread.iter().cloned());
        let env_fallback = inner.env_fallback;
        drop(inner);
        if !unread.is_empty() {
            let cache = self.clone();
            let wake = Arc::clone(wake);
            runtime.spawn_blocking(move || {
                let resolver = SecretResolver::new(env_fallback);
                let results: Vec<_> = unread
                    .into_iter()
                    .map(|name| {
                        let result = resolver.get(&name);
                        (name, result)
                    })
                    .collect();
                let mut inner = cache.lock();
                for (name, result) in results {
                    inner.reading.remove(&name);
                    if result.is_err() {
                        inner.failed_at.insert(name.clone(), Instant::now());
                    } else {
                        inner.failed_at.remove(&name);
                    }
                    inner.read.insert(name, result);
                }
                inner.generation += 1;
                drop(inner);
                wake();
            });
        }
        Readiness::Reading
    }

    /// Stores `value` as secret `name` in the keychain (and its name in the index) on
    /// `runtime`; the outcome comes back through [`SecretCache::take_stored`].
    pub fn store(
        &self,
        name: String,
        value: String,
        runtime: &tokio::runtime::Handle,
        wake: &WakeFn,
    ) {
        let cache = self.clone();
        let wake = Arc::clone(wake);
        runtime.spawn_blocking(move || {
            let result = Keychain::open()
                .and_then(|keychain| keychain.set(&name, &value))
                .map_err(|error| error.to_string())
                .and_then(|()| match &cache.config_dir {
                    Some(dir) => NameIndex::load(dir)
                        .and_then(|mut index| index.add(&name))
                        .map_err(|error| format!("stored, but the names index: {error}")),
                    None => Ok(()),
                });
            let mut inner = cache.lock();
            if result.is_ok() {
                inner.failed_at.remove(&name);
                inner.read.insert(name.clone(), Ok(value));
            }
            inner.stored.push(Stored { name, result });
            inner.generation += 1;
            drop(inner);
            wake();
        });
    }

    /// The stores that finished since the last call.
    pub fn take_stored(&self) -> Vec<Stored> {
        std::mem::take(&mut self.lock().stored)
    }

    /// Puts a value in the cache as if read (tests, and values the user just stored).
    pub fn insert(&self, name: &str, value: &str) {
        let mut inner = self.lock();
        inner.read.insert(name.to_owned(), Ok(value.to_owned()));
        inner.generation += 1;
    }
}

/// The secret names (without the prefix) that `texts` reference as `{{secret.NAME}}`.
pub fn secret_names<'a>(texts: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for text in texts {
        for name in crate::format::variables::outside_names(text) {
            if let Some(secret) = name.strip_prefix(SECRET_PREFIX)
                && !names.iter().any(|known| known == secret)
            {
                names.push(secret.to_owned());
            }
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lookup_answers_secrets_from_the_cache_only() {
        let cache = SecretCache::default();
        let env = |name: &str| (name == "HOME").then(|| "/home/ada".to_owned());
        let lookup = cache.lookup(&env);
        assert_eq!(lookup("secret.TOKEN"), None);
        cache.insert("TOKEN", "kc-value-1234");
        assert_eq!(lookup("secret.TOKEN").as_deref(), Some("kc-value-1234"));
        assert_eq!(lookup("HOME").as_deref(), Some("/home/ada"));
        assert_eq!(
            secret_names(["{{secret.A}} {{env.B}}", "{{secret.A}}{{secret.C}}"]),
            ["A", "C"]
        );
    }
}
