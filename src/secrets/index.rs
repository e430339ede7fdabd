//! The names of the secrets Sockscope stored (never their values), because not every
//! keychain can list the entries of one service: `secret-names.ron` in the config
//! directory, written atomically (0600), sorted, each name once.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::model::storage::{self, FileError};

/// The index file's name in the config directory.
pub const INDEX_FILE: &str = "secret-names.ron";

/// The file's contents.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
struct IndexFile {
    version: u32,
    names: Vec<String>,
}

/// The names of the stored secrets, and where they are kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameIndex {
    path: PathBuf,
    names: Vec<String>,
}

impl NameIndex {
    /// The index in `config_dir` (an absent file is an empty index).
    pub fn load(config_dir: &Path) -> Result<NameIndex, FileError> {
        let path = config_dir.join(INDEX_FILE);
        let names = match std::fs::metadata(&path) {
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            _ => storage::load_ron::<IndexFile>(&path)?.names,
        };
        let mut index = NameIndex { path, names };
        index.tidy();
        Ok(index)
    }

    /// The names, sorted.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// True when `name` is listed.
    pub fn contains(&self, name: &str) -> bool {
        self.names.iter().any(|known| known == name)
    }

    /// Lists `name` and writes the file (creating the directory).
    pub fn add(&mut self, name: &str) -> Result<(), FileError> {
        if self.contains(name) {
            return Ok(());
        }
        self.names.push(name.to_owned());
        self.tidy();
        self.save()
    }

    /// Forgets `name` and writes the file.
    pub fn remove(&mut self, name: &str) -> Result<(), FileError> {
        if !self.contains(name) {
            return Ok(());
        }
        self.names.retain(|known| known != name);
        self.save()
    }

    fn tidy(&mut self) {
        self.names.sort();
        self.names.dedup();
    }

    fn save(&self) -> Result<(), FileError> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| FileError::Io {
                path: dir.to_owned(),
                source,
            })?;
        }
        let file = IndexFile {
            version: 1,
            names: self.names.clone(),
        };
        storage::save_ron(&self.path, &file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_kept_sorted_once_and_survive_a_reload() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("nested");
        let mut index = NameIndex::load(&config).unwrap();
        assert!(index.names().is_empty());
        index.add("ZETA").unwrap();
        index.add("ALPHA").unwrap();
        index.add("ZETA").unwrap();
        let again = NameIndex::load(&config).unwrap();
        assert_eq!(again.names(), ["ALPHA", "ZETA"]);
        index.remove("ZETA").unwrap();
        assert_eq!(NameIndex::load(&config).unwrap().names(), ["ALPHA"]);
        let text = std::fs::read_to_string(config.join(INDEX_FILE)).unwrap();
        assert!(
            text.contains("ALPHA") && text.contains("version: 1"),
            "{text}"
        );
    }
}
