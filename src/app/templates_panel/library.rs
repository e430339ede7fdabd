//! The global template library: `templates.ron` in the user's config directory, loaded once
//! at start and saved atomically in the background after each change. A file that cannot
//! be read is reported and left untouched until the user changes the library.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::app::background::{Background, JobDone};
use crate::model::storage::FileError;
use crate::model::template::{Template, TemplateFile};

/// The library's file name inside the config directory.
pub const LIBRARY_FILE: &str = "templates.ron";

/// Where the examples that seed a new library come from (relative to the working directory).
pub const EXAMPLES_FILE: &str = "saved_sessions/templates.ron";

/// The library file in `config_dir`, or in the user's config directory
/// (`~/.config/sockscope/templates.ron` on Linux) when `config_dir` is `None`.
pub fn library_path(config_dir: Option<&Path>) -> Option<PathBuf> {
    match config_dir {
        Some(dir) => Some(dir.join(LIBRARY_FILE)),
        None => dirs::config_dir().map(|dir| dir.join("sockscope").join(LIBRARY_FILE)),
    }
}

/// The global template library.
pub struct Library {
    path: Option<PathBuf>,
    templates: Vec<Template>,
    /// Why the library could not be read or saved.
    problem: Option<String>,
    /// Something worth knowing (it was started from the examples).
    note: Option<String>,
    /// The sequence number of the last save written, shared with the save jobs.
    written: Arc<Mutex<u64>>,
    next_seq: u64,
    /// The newest save still running.
    pending: Option<u64>,
}

impl Library {
    /// Loads the library at `path` (blocking: called once, at start). With no file yet, it
    /// starts from the templates in `examples` when that file is readable, and saves them.
    /// A file that cannot be read leaves the library empty and is reported.
    pub fn open(path: Option<PathBuf>, examples: &Path, jobs: &Background<JobDone>) -> Self {
        let mut library = Self {
            path,
            templates: Vec::new(),
            problem: None,
            note: None,
            written: Arc::new(Mutex::new(0)),
            next_seq: 1,
            pending: None,
        };
        let Some(path) = library.path.clone() else {
            library.problem =
                Some("No config directory was found, so there is no global library.".into());
            return library;
        };
        match TemplateFile::load(&path) {
            Ok(file) => library.templates = file.templates,
            Err(FileError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                if let Ok(file) = TemplateFile::load(examples) {
                    library.templates = file.templates;
                    library.note = Some(format!(
                        "Started with the examples from {}.",
                        examples.display()
                    ));
                    library.save(jobs);
                }
            }
            Err(error) => {
                library.problem = Some(format!(
                    "The library could not be read: {error}. The file is left as it is until \
                     you change the library."
                ));
            }
        }
        library
    }

    /// The library's file, when there is a config directory.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// True when templates can be kept in the library.
    pub fn is_available(&self) -> bool {
        self.path.is_some()
    }

    /// The templates, in order.
    pub fn templates(&self) -> &[Template] {
        &self.templates
    }

    /// Why the library could not be read or saved, if it could not.
    pub fn problem(&self) -> Option<&str> {
        self.problem.as_deref()
    }

    /// A remark about the library (it was started from the examples).
    pub fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }

    /// True while a save is running.
    pub fn is_saving(&self) -> bool {
        self.pending.is_some()
    }

    /// Applies `edit` to the templates and, when it succeeds, saves the library in the
    /// background.
    pub fn change<R>(
        &mut self,
        jobs: &Background<JobDone>,
        edit: impl FnOnce(&mut Vec<Template>) -> Result<R, String>,
    ) -> Result<R, String> {
        if !self.is_available() {
            return Err("there is no global library (no config directory)".into());
        }
        let result = edit(&mut self.templates)?;
        self.note = None;
        self.save(jobs);
        Ok(result)
    }

    /// A background save finished.
    pub fn saved(&mut self, seq: u64, result: Result<(), String>) {
        if self.pending == Some(seq) {
            self.pending = None;
        }
        match result {
            Ok(()) => {
                if self.pending.is_none() {
                    self.problem = None;
                }
            }
            Err(error) => {
                self.problem = Some(format!("The library could not be saved: {error}"));
            }
        }
    }

    fn save(&mut self, jobs: &Background<JobDone>) {
        let Some(path) = self.path.clone() else {
            return;
        };
        let seq = self.next_seq;
        self.next_seq += 1;
        self.pending = Some(seq);
        let file = TemplateFile::new(self.templates.clone());
        let written = Arc::clone(&self.written);
        jobs.spawn_blocking(move || JobDone::LibrarySaved {
            seq,
            result: write_in_order(&path, &file, seq, &written),
        });
    }
}

/// Writes `file` unless a newer save (a larger `seq`) was written already, so saves that
/// finish out of order never put an older library on disk.
fn write_in_order(
    path: &Path,
    file: &TemplateFile,
    seq: u64,
    written: &Mutex<u64>,
) -> Result<(), String> {
    let mut last = written
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if *last > seq {
        return Ok(());
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    file.save(path).map_err(|e| e.to_string())?;
    *last = seq;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::template::MessageFormat;

    #[test]
    fn older_saves_never_overwrite_newer_ones() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested").join(LIBRARY_FILE);
        let written = Mutex::new(0);
        let new = TemplateFile::new(vec![Template::new("new", MessageFormat::Text, "")]);
        let old = TemplateFile::new(vec![Template::new("old", MessageFormat::Text, "")]);
        write_in_order(&path, &new, 2, &written).unwrap();
        write_in_order(&path, &old, 1, &written).unwrap();
        assert_eq!(TemplateFile::load(&path).unwrap(), new);
    }

    #[test]
    fn the_default_path_is_in_the_config_dir() {
        let dir = Path::new("/tmp/x");
        assert_eq!(
            library_path(Some(dir)).unwrap(),
            Path::new("/tmp/x/templates.ron")
        );
        if let Some(path) = library_path(None) {
            assert!(path.ends_with("sockscope/templates.ron"), "{path:?}");
        }
    }
}
