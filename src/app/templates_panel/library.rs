//! The global template library: `templates.ron` in the user's config directory, loaded once
//! at start and saved atomically in the background after each change. A library that does
//! not exist yet starts as a copy of the built-in examples ([`EXAMPLES`]).
//!
//! A file that cannot be parsed is copied beside itself (`templates.ron.broken-…`) before
//! anything can replace it, and the panel says where. Several windows may share the file:
//! each save re-reads it under a lock and merges what another window wrote since this one
//! last read it ([`template_merge`]), so no window undoes another's changes.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::list::EditError;
use crate::app::background::{Background, JobDone};
use crate::model::storage::{FileError, keep_broken_copy, write_atomic};
use crate::model::template::{Template, TemplateFile};
use crate::model::template_merge::{self, Merged};

/// The library's file name inside the config directory.
pub const LIBRARY_FILE: &str = "templates.ron";

/// The example templates a new library starts with: the repository's
/// `saved_sessions/templates.ron`, built into the binary, so that a window started anywhere
/// (after `cargo install`, from any directory) has them.
pub const EXAMPLES: &str = include_str!("../../../saved_sessions/templates.ron");

/// The name [`EXAMPLES`] goes by in error messages.
const EXAMPLES_NAME: &str = "the built-in examples";

/// The library file in `config_dir`, or in the user's config directory
/// (`~/.config/sockscope/templates.ron` on Linux) when `config_dir` is `None`.
pub fn library_path(config_dir: Option<&Path>) -> Option<PathBuf> {
    match config_dir {
        Some(dir) => Some(dir.join(LIBRARY_FILE)),
        None => dirs::config_dir().map(|dir| dir.join("sockscope").join(LIBRARY_FILE)),
    }
}

/// What a background save of the library wrote.
#[derive(Debug)]
pub struct LibraryWrite {
    /// The templates the window asked to write.
    pub sent: Vec<Template>,
    /// The templates written: `sent` merged with what another window saved meanwhile.
    pub written: Vec<Template>,
    /// What the user should know about the merge (conflicts), if anything.
    pub conflicts: Option<String>,
    /// Where an unreadable file found on disk was kept before it was replaced.
    pub broken_copy: Option<PathBuf>,
}

/// Why a save of the library wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum LibraryWriteError {
    /// Its folder could not be made.
    #[error("{}: {source}", dir.display())]
    Folder {
        /// The folder.
        dir: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// The lock file beside it could not be taken.
    #[error("{}: cannot lock: {source}", path.display())]
    Lock {
        /// The library file.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// The file on disk could not be read, so another window's changes could not be merged.
    #[error("{}: {source}", path.display())]
    Read {
        /// The library file.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// The file on disk is broken and no copy of it could be kept: it was not replaced.
    #[error(
        "{} cannot be read ({why}) and no copy of it could be kept ({source}), so it was not \
         replaced",
        path.display()
    )]
    NotKept {
        /// The library file.
        path: PathBuf,
        /// Why it cannot be read.
        why: String,
        /// Why no copy could be kept.
        source: io::Error,
    },
    /// Writing failed.
    #[error(transparent)]
    Write(#[from] FileError),
}

/// The global template library.
pub struct Library {
    path: Option<PathBuf>,
    templates: Vec<Template>,
    /// The library as this window last read or wrote it: the base of the next merge.
    synced: Vec<Template>,
    /// The save whose result `synced` holds (0: the file as read at start).
    synced_seq: u64,
    /// Why the library could not be read or saved.
    problem: Option<String>,
    /// Something worth knowing (it was started from the examples, changes were merged).
    note: Option<String>,
    /// The sequence number of the last save written, shared with the save jobs.
    written: Arc<Mutex<u64>>,
    next_seq: u64,
    /// The newest save still running.
    pending: Option<u64>,
    /// Where the file that could not be read at start was copied.
    kept_copy: Option<PathBuf>,
}

/// The library file as found on disk.
enum OnDisk {
    /// There is no file yet.
    Missing,
    /// The file's templates.
    Templates(Vec<Template>),
    /// The file cannot be used: its bytes and why (with line and column when it is a
    /// syntax error).
    Broken { bytes: Vec<u8>, error: String },
}

/// Reads the library file. Only a file that cannot be read at all is an error.
fn read_library(path: &Path) -> io::Result<OnDisk> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(OnDisk::Missing),
        Err(error) => return Err(error),
    };
    let parsed = match std::str::from_utf8(&bytes) {
        Ok(text) => TemplateFile::parse(path, text).map_err(|error| match error {
            FileError::Parse {
                line,
                column,
                message,
                ..
            } => format!("line {line}, column {column}: {message}"),
            FileError::Invalid { message, .. } => message,
            other => other.to_string(),
        }),
        Err(error) => Err(format!(
            "it is not UTF-8 text (byte {})",
            error.valid_up_to() + 1
        )),
    };
    Ok(match parsed {
        Ok(file) => OnDisk::Templates(file.templates),
        Err(error) => OnDisk::Broken { bytes, error },
    })
}

impl Library {
    /// Loads the library at `path` (blocking: called once, at start). With no file yet, the
    /// built-in [`EXAMPLES`] are written as the library file and are its templates; a file
    /// that exists is never replaced here. A file that cannot be parsed is copied beside
    /// itself first and reported; the library then starts empty.
    pub fn open(path: Option<PathBuf>) -> Self {
        let mut library = Self {
            path,
            templates: Vec::new(),
            synced: Vec::new(),
            synced_seq: 0,
            problem: None,
            note: None,
            written: Arc::new(Mutex::new(0)),
            next_seq: 1,
            pending: None,
            kept_copy: None,
        };
        let Some(path) = library.path.clone() else {
            library.problem =
                Some("No config directory was found, so there is no global library.".into());
            return library;
        };
        let mut found = read_library(&path);
        if let Ok(OnDisk::Missing) = found {
            if library.start_from_examples(&path) {
                return library;
            }
            // Another window made the library meanwhile: take it as found.
            found = read_library(&path);
        }
        match found {
            Ok(OnDisk::Templates(templates)) => {
                library.synced = templates.clone();
                library.templates = templates;
            }
            Ok(OnDisk::Missing) => {}
            Ok(OnDisk::Broken { bytes, error }) => {
                let what = format!(
                    "The library could not be read: {}: {error}.",
                    path.display()
                );
                library.problem = Some(match keep_broken_copy(&path, &bytes) {
                    Ok(copy) => {
                        let text = format!(
                            "{what} A copy of it was kept as {}. The library starts empty, \
                             and your next change replaces the file.",
                            copy.display()
                        );
                        library.kept_copy = Some(copy);
                        text
                    }
                    Err(copy_error) => format!(
                        "{what} No copy of it could be kept ({copy_error}), so it is left \
                         as it is."
                    ),
                });
            }
            Err(error) => {
                library.problem = Some(format!(
                    "The library could not be read: {}: {error}.",
                    path.display()
                ));
            }
        }
        library
    }

    /// With no library file at `path`: writes the built-in examples there and takes their
    /// templates. False when another window made the file first (nothing is written then).
    fn start_from_examples(&mut self, path: &Path) -> bool {
        let examples = match TemplateFile::parse(Path::new(EXAMPLES_NAME), EXAMPLES) {
            Ok(file) => file.templates,
            Err(error) => {
                // Cannot happen with the text built in (a test parses it); never a panic.
                self.problem = Some(format!("The library could not start: {error}."));
                return true;
            }
        };
        match write_examples(path) {
            Ok(false) => return false,
            Ok(true) => {
                self.synced = examples.clone();
                self.note = Some("Started with the built-in examples.".into());
            }
            Err(error) => {
                self.problem = Some(format!(
                    "The library could not be saved: {}: {error}",
                    path.display()
                ));
            }
        }
        self.templates = examples;
        true
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

    /// A remark about the library (it was started from the examples, or changes from
    /// another window were merged).
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
        edit: impl FnOnce(&mut Vec<Template>) -> Result<R, EditError>,
    ) -> Result<R, EditError> {
        if !self.is_available() {
            return Err(EditError::NoLibrary);
        }
        let result = edit(&mut self.templates)?;
        self.note = None;
        self.save(jobs);
        Ok(result)
    }

    /// A background save finished. When it merged in changes from another window, they
    /// are taken into this window's templates too (keeping changes made since the save
    /// started).
    pub fn saved(&mut self, seq: u64, result: Result<Option<LibraryWrite>, LibraryWriteError>) {
        if self.pending == Some(seq) {
            self.pending = None;
        }
        match result {
            Ok(write) => {
                let mut notes = Vec::new();
                if let Some(write) = write {
                    if let Some(copy) = &write.broken_copy {
                        self.kept_copy = Some(copy.clone());
                    }
                    notes.extend(self.take_write(seq, write));
                }
                if self.pending.is_none() {
                    self.problem = None;
                    if let Some(copy) = self.kept_copy.take() {
                        notes.insert(
                            0,
                            format!(
                                "The library file that could not be read was kept as {}.",
                                copy.display()
                            ),
                        );
                    }
                }
                if !notes.is_empty() {
                    self.note = Some(notes.join(" "));
                }
            }
            Err(error) => {
                self.problem = Some(format!("The library could not be saved: {error}"));
            }
        }
    }

    /// Takes what a save wrote: merged changes from another window become this window's
    /// too. Returns what the user should be told.
    fn take_write(&mut self, seq: u64, write: LibraryWrite) -> Option<String> {
        let mut note = None;
        if write.written != write.sent {
            self.templates = if self.templates == write.sent {
                write.written.clone()
            } else {
                // Changed again since this save started: keep those changes too.
                template_merge::merge(&write.sent, &self.templates, &write.written).templates
            };
            note = Some(match &write.conflicts {
                Some(conflicts) => format!(
                    "The library was changed in another window; its changes were merged \
                     ({conflicts})."
                ),
                None => {
                    "The library was changed in another window; its changes were merged.".to_owned()
                }
            });
        }
        if seq > self.synced_seq {
            self.synced = write.written;
            self.synced_seq = seq;
        }
        note
    }

    fn save(&mut self, jobs: &Background<JobDone>) {
        let Some(path) = self.path.clone() else {
            return;
        };
        let seq = self.next_seq;
        self.next_seq += 1;
        self.pending = Some(seq);
        let base = self.synced.clone();
        let ours = self.templates.clone();
        let written = Arc::clone(&self.written);
        jobs.spawn_blocking(move || JobDone::LibrarySaved {
            seq,
            result: write_merged(&path, &base, ours, seq, &written),
        });
    }
}

/// The lock file beside the library (`.templates.ron.lock`), held while a window reads,
/// merges and writes the library, so two windows never write from the same old file.
fn lock_beside(path: &Path) -> io::Result<File> {
    let mut name = std::ffi::OsString::from(".");
    name.push(path.file_name().unwrap_or_default());
    name.push(".lock");
    let lock_path = path.with_file_name(name);
    let mut options = OpenOptions::new();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(&lock_path)?;
    file.lock()?;
    Ok(file)
}

/// Writes the built-in [`EXAMPLES`], as they are, as the library file at `path`, atomically
/// and private like every file ([`write_atomic`]), unless the file exists once the lock is
/// held (another window made it): false then, and nothing is written.
fn write_examples(path: &Path) -> io::Result<bool> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    let _lock = lock_beside(path)?;
    if path.try_exists()? {
        return Ok(false);
    }
    write_atomic(path, EXAMPLES.as_bytes())?;
    Ok(true)
}

/// Writes `ours` merged with what the file holds now (changed by another window since
/// this one read `base`), unless a newer save (a larger `seq`) was written already, so
/// saves that finish out of order never put an older library on disk. `Ok(None)`: skipped.
fn write_merged(
    path: &Path,
    base: &[Template],
    ours: Vec<Template>,
    seq: u64,
    written: &Mutex<u64>,
) -> Result<Option<LibraryWrite>, LibraryWriteError> {
    let mut last = written
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if *last > seq {
        return Ok(None);
    }
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(|source| LibraryWriteError::Folder {
            dir: dir.to_owned(),
            source,
        })?;
    }
    let _lock = lock_beside(path).map_err(|source| LibraryWriteError::Lock {
        path: path.to_owned(),
        source,
    })?;
    let mut broken_copy = None;
    let on_disk = read_library(path).map_err(|source| LibraryWriteError::Read {
        path: path.to_owned(),
        source,
    })?;
    let merged = match on_disk {
        OnDisk::Templates(theirs) => template_merge::merge(base, &ours, &theirs),
        OnDisk::Missing => Merged {
            templates: ours.clone(),
            ..Merged::default()
        },
        OnDisk::Broken { bytes, error } => {
            let copy =
                keep_broken_copy(path, &bytes).map_err(|source| LibraryWriteError::NotKept {
                    path: path.to_owned(),
                    why: error,
                    source,
                })?;
            broken_copy = Some(copy);
            Merged {
                templates: ours.clone(),
                ..Merged::default()
            }
        }
    };
    TemplateFile::new(merged.templates.clone()).save(path)?;
    *last = seq;
    Ok(Some(LibraryWrite {
        sent: ours,
        conflicts: merged.summary(),
        written: merged.templates,
        broken_copy,
    }))
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
        write_merged(&path, &[], new.templates.clone(), 2, &written).unwrap();
        assert!(
            write_merged(&path, &[], old.templates.clone(), 1, &written)
                .unwrap()
                .is_none()
        );
        assert_eq!(TemplateFile::load(&path).unwrap(), new);
    }

    /// A runtime for the save jobs and the jobs' queue.
    fn jobs() -> (tokio::runtime::Runtime, Background<JobDone>) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .build()
            .unwrap();
        let jobs = Background::new(runtime.handle().clone(), Arc::new(|| {}));
        (runtime, jobs)
    }

    /// Waits for `library`'s save to finish and hands it the result, as the app does.
    fn finish_save(library: &mut Library, jobs: &Background<JobDone>) {
        while library.is_saving() {
            match jobs.try_recv() {
                Some(JobDone::LibrarySaved { seq, result }) => library.saved(seq, result),
                Some(other) => panic!("unexpected job {other:?}"),
                None => std::thread::sleep(std::time::Duration::from_millis(5)),
            }
        }
    }

    fn text(name: &str, body: &str) -> Template {
        Template::new(name, MessageFormat::Text, body)
    }

    fn names(templates: &[Template]) -> Vec<(&str, &str)> {
        templates
            .iter()
            .map(|t| (t.name.as_str(), t.body.as_str()))
            .collect()
    }

    fn on_disk(path: &Path) -> Vec<Template> {
        TemplateFile::load(path).unwrap().templates
    }

    #[test]
    fn two_windows_on_one_library_keep_each_others_changes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LIBRARY_FILE);
        TemplateFile::new(vec![text("a", "1"), text("b", "2")])
            .save(&path)
            .unwrap();
        let (_runtime, jobs_a) = jobs();
        let (_runtime_b, jobs_b) = jobs();
        let mut window_a = Library::open(Some(path.clone()));
        let mut window_b = Library::open(Some(path.clone()));

        // A adds a template; B, which read the file before, adds one and deletes "a".
        window_a
            .change(&jobs_a, |list| {
                list.push(text("from A", "x"));
                Ok(())
            })
            .unwrap();
        finish_save(&mut window_a, &jobs_a);
        window_b
            .change(&jobs_b, |list| {
                list.retain(|t| t.name != "a");
                list.push(text("from B", "y"));
                Ok(())
            })
            .unwrap();
        finish_save(&mut window_b, &jobs_b);
        let expected = [("b", "2"), ("from A", "x"), ("from B", "y")];
        assert_eq!(names(&on_disk(&path)), expected);
        assert_eq!(names(window_b.templates()), expected);
        let note = window_b.note().unwrap();
        assert!(note.contains("changed in another window"), "{note}");
        assert_eq!(window_b.problem(), None);

        // A changes "b" without having seen B's save: B's template stays, "a" stays deleted.
        window_a
            .change(&jobs_a, |list| {
                list[1].body = "two".into();
                Ok(())
            })
            .unwrap();
        finish_save(&mut window_a, &jobs_a);
        let expected = [("b", "two"), ("from A", "x"), ("from B", "y")];
        assert_eq!(names(&on_disk(&path)), expected);
        assert_eq!(names(window_a.templates()), expected);

        // Both change "from A": the last writer wins, and says so.
        window_a
            .change(&jobs_a, |list| {
                list[1].body = "A's".into();
                Ok(())
            })
            .unwrap();
        finish_save(&mut window_a, &jobs_a);
        window_b
            .change(&jobs_b, |list| {
                list[1].body = "B's".into();
                Ok(())
            })
            .unwrap();
        finish_save(&mut window_b, &jobs_b);
        assert_eq!(on_disk(&path)[1].body, "B's");
        let note = window_b.note().unwrap();
        assert!(note.contains("your version of \"from A\""), "{note}");
    }

    #[test]
    fn a_broken_library_is_copied_before_it_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LIBRARY_FILE);
        let broken = "(version: 1, templates: [\n  (name: \"x\" ";
        std::fs::write(&path, broken).unwrap();
        let (_runtime, jobs) = jobs();
        let mut library = Library::open(Some(path.clone()));
        let problem = library.problem().unwrap().to_owned();
        assert!(problem.contains("line 2, column"), "{problem}");
        let copies: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().contains(".broken-"))
            .collect();
        assert_eq!(copies.len(), 1);
        assert!(
            problem.contains(&copies[0].display().to_string()),
            "{problem}"
        );
        assert_eq!(std::fs::read_to_string(&copies[0]).unwrap(), broken);
        library
            .change(&jobs, |list| {
                list.push(text("new", "n"));
                Ok(())
            })
            .unwrap();
        finish_save(&mut library, &jobs);
        assert_eq!(names(&on_disk(&path)), [("new", "n")]);
        assert_eq!(std::fs::read_to_string(&copies[0]).unwrap(), broken);
        assert_eq!(library.problem(), None);
        let note = library.note().unwrap();
        assert!(note.contains(&copies[0].display().to_string()), "{note}");
    }

    #[test]
    fn the_built_in_examples_parse() {
        let file = TemplateFile::parse(Path::new(EXAMPLES_NAME), EXAMPLES).unwrap();
        assert!(
            file.find("hello").is_some(),
            "{:?}",
            file.names().collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_new_library_starts_with_the_built_in_examples_and_writes_them() {
        // An empty config directory; nothing is read from the working directory.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sockscope").join(LIBRARY_FILE);
        let library = Library::open(Some(path.clone()));
        let examples = TemplateFile::parse(Path::new(EXAMPLES_NAME), EXAMPLES).unwrap();
        assert_eq!(library.templates(), examples.templates);
        assert!(library.templates().iter().any(|t| t.name == "hello"));
        assert_eq!(library.problem(), None);
        assert_eq!(library.note(), Some("Started with the built-in examples."));
        assert!(
            !library.is_saving(),
            "written at once, not by a background save"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), EXAMPLES);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }

        // Opened again, the file is the library: the same templates, no note.
        let again = Library::open(Some(path.clone()));
        assert_eq!(again.templates(), examples.templates);
        assert_eq!(again.note(), None);
    }

    #[test]
    fn an_existing_library_is_left_as_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LIBRARY_FILE);
        let mine =
            "// mine\n(version: 1, templates: [(name: \"mine\", format: Text, body: \"m\")])\n";
        let emptied = "(version: 1, templates: [])";
        for text in [mine, emptied] {
            std::fs::write(&path, text).unwrap();
            let library = Library::open(Some(path.clone()));
            let expected = TemplateFile::parse(&path, text).unwrap().templates;
            assert_eq!(library.templates(), expected);
            assert_eq!(library.note(), None);
            assert_eq!(library.problem(), None);
            assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
        }
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
