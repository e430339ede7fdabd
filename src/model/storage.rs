//! Files on disk, shared by templates and sessions: RON text, atomic writes, and errors that
//! name the file, line and column.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use serde::de::DeserializeOwned;

/// A file that could not be read, parsed, checked or written.
#[derive(Debug)]
pub enum FileError {
    /// Reading or writing failed.
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
    /// The text is not valid RON for what was expected.
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column (in characters) of the problem.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// The file parsed but its content is not acceptable (e.g. an unknown version).
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A value could not be turned into RON.
    Serialize(String),
}

impl FileError {
    /// The file the error is about, if any.
    pub fn path(&self) -> Option<&Path> {
        match self {
            FileError::Io { path, .. }
            | FileError::Parse { path, .. }
            | FileError::Invalid { path, .. } => Some(path),
            FileError::Serialize(_) => None,
        }
    }

    /// The 1-based line and column of a parse error.
    pub fn line_column(&self) -> Option<(usize, usize)> {
        match self {
            FileError::Parse { line, column, .. } => Some((*line, *column)),
            _ => None,
        }
    }
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            FileError::Parse {
                path,
                line,
                column,
                message,
            } => write!(f, "{}:{line}:{column}: {message}", path.display()),
            FileError::Invalid { path, message } => write!(f, "{}: {message}", path.display()),
            FileError::Serialize(message) => write!(f, "cannot write RON: {message}"),
        }
    }
}

impl std::error::Error for FileError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            FileError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Writes `bytes` to `path` so that readers see either the old file or the new one, never
/// half of it: a temporary file beside the target (same directory, unique name) is written
/// and fsynced, renamed over the target, and the directory is fsynced (best effort, unix).
/// On failure the old file is left as it was and the temporary file is removed.
///
/// A symbolic link is written through: the link is followed to its final target, the
/// temporary file is made beside that target and renamed onto it, so the link stays a link.
/// The new file keeps the permissions of the file it replaces; a new file is created
/// readable and writable by its owner only (0600 on unix), as it may hold private headers.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    static SEQUENCE: AtomicU64 = AtomicU64::new(0);
    let target = resolve_links(path)?;
    let path = target.as_path();
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let file_name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} is not a file name", path.display()),
        )
    })?;
    let existing = match fs::metadata(path) {
        Ok(metadata) => Some(metadata.permissions()),
        Err(error) if error.kind() == io::ErrorKind::NotFound => None,
        Err(error) => return Err(error),
    };
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(file_name);
    temp_name.push(format!(
        ".{}.{}.tmp",
        std::process::id(),
        SEQUENCE.fetch_add(1, Ordering::Relaxed)
    ));
    let temp = dir.join(temp_name);
    let written = (|| {
        let mut file = create_private(&temp)?;
        if let Some(permissions) = existing {
            // Set on the open file, so the umask plays no part.
            file.set_permissions(permissions)?;
        }
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&temp, path)
    })();
    if let Err(error) = written {
        let _ = fs::remove_file(&temp);
        return Err(error);
    }
    sync_dir(dir);
    Ok(())
}

/// How many symbolic links [`resolve_links`] follows before it gives up (as the kernel's
/// `ELOOP`).
const MAX_LINKS: usize = 40;

/// `path` with every symbolic link at its end followed (a relative link is read from the
/// link's directory). A link to a file that does not exist yet resolves to that file's
/// path, so saving through a dangling link creates its target.
fn resolve_links(path: &Path) -> io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match fs::symlink_metadata(&current) {
            Ok(metadata) if metadata.file_type().is_symlink() => {
                let link = fs::read_link(&current)?;
                current = match current.parent() {
                    Some(parent) if link.is_relative() => parent.join(link),
                    _ => link,
                };
            }
            Ok(_) => return Ok(current),
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(current),
            Err(error) => return Err(error),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("{}: too many levels of symbolic links", path.display()),
    ))
}

/// Creates `path`, which must not exist, readable and writable by its owner only.
#[cfg(unix)]
fn create_private(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

/// Creates `path`, which must not exist.
#[cfg(not(unix))]
fn create_private(path: &Path) -> io::Result<File> {
    OpenOptions::new().write(true).create_new(true).open(path)
}

/// Keeps `bytes`, the content of `path` that could not be read, beside it as
/// `NAME.broken-YYYYMMDD-HHMMSS` (created private, see [`write_atomic`]), so that saving
/// over `path` loses nothing. When such a copy with the same bytes exists already, that
/// copy is returned and no other is made. Returns the copy's path.
pub fn keep_broken_copy(path: &Path, bytes: &[u8]) -> io::Result<PathBuf> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let file_name = path
        .file_name()
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{} is not a file name", path.display()),
            )
        })?
        .to_string_lossy()
        .into_owned();
    let prefix = format!("{file_name}.broken-");
    for entry in fs::read_dir(dir)?.flatten() {
        let same_name = entry.file_name().to_string_lossy().starts_with(&prefix);
        let same_size = entry
            .metadata()
            .is_ok_and(|m| m.len() == bytes.len() as u64);
        if same_name && same_size && fs::read(entry.path()).is_ok_and(|old| old == bytes) {
            return Ok(entry.path());
        }
    }
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S").to_string();
    let mut copy = dir.join(format!("{prefix}{stamp}"));
    let mut n = 2;
    while fs::symlink_metadata(&copy).is_ok() {
        copy = dir.join(format!("{prefix}{stamp}-{n}"));
        n += 1;
    }
    write_atomic(&copy, bytes)?;
    Ok(copy)
}

#[cfg(unix)]
fn sync_dir(dir: &Path) {
    if let Ok(dir) = File::open(dir) {
        let _ = dir.sync_all();
    }
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) {}

/// The pretty RON configuration: four-space indents, no struct names, one field per line,
/// and strings as written (a JSON body with quotes becomes a raw string `r#"{"a":1}"#`, a
/// multi-line body keeps its line breaks) so the file reads like what is sent.
fn pretty_config() -> ron::ser::PrettyConfig {
    ron::ser::PrettyConfig::new()
        .struct_names(false)
        .escape_strings(false)
        .indentor("    ")
        .separate_tuple_members(false)
        .enumerate_arrays(false)
}

/// `value` as readable RON text (ending with a newline).
pub fn to_ron<T: Serialize>(value: &T) -> Result<String, FileError> {
    let mut text = ron::ser::to_string_pretty(value, pretty_config())
        .map_err(|e| FileError::Serialize(e.to_string()))?;
    text.push('\n');
    Ok(text)
}

/// Parses RON `text` that came from `path` (used only in the error, which names the file,
/// line and column).
pub fn from_ron<T: DeserializeOwned>(path: &Path, text: &str) -> Result<T, FileError> {
    ron::Options::default()
        .from_str(text)
        .map_err(|e| FileError::Parse {
            path: path.to_owned(),
            line: e.span.start.line,
            column: e.span.start.col,
            message: e.code.to_string(),
        })
}

/// Reads and parses a RON file. An unreadable file is a [`FileError::Io`] naming it.
pub fn load_ron<T: DeserializeOwned>(path: &Path) -> Result<T, FileError> {
    let text = fs::read_to_string(path).map_err(|source| FileError::Io {
        path: path.to_owned(),
        source,
    })?;
    from_ron(path, &text)
}

/// Writes `value` as RON to `path`, atomically ([`write_atomic`]).
pub fn save_ron<T: Serialize>(path: &Path, value: &T) -> Result<(), FileError> {
    let text = to_ron(value)?;
    write_atomic(path, text.as_bytes()).map_err(|source| FileError::Io {
        path: path.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Doc {
        version: u32,
        names: Vec<String>,
    }

    #[test]
    fn atomic_write_replaces_content_and_leaves_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.ron");
        write_atomic(&path, b"first").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"first");
        write_atomic(&path, b"second, longer").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second, longer");
        write_atomic(&path, b"3").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"3");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["a.ron"]);
    }

    #[test]
    fn a_failing_write_leaves_the_old_file_intact() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("keep.ron");
        fs::write(&old, b"old content").unwrap();
        // The parent of the target is a file, so the temporary file cannot be created.
        let bad = old.join("child.ron");
        assert!(write_atomic(&bad, b"new").is_err());
        assert_eq!(fs::read(&old).unwrap(), b"old content");
        // Renaming over a directory fails after the temporary file was written; it is
        // cleaned up and the directory is untouched.
        let target = dir.path().join("dir.ron");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("inside"), b"x").unwrap();
        assert!(write_atomic(&target, b"new").is_err());
        assert!(target.is_dir());
        let mut names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        assert_eq!(names, ["dir.ron", "keep.ron"]);
    }

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt as _;
        fs::metadata(path).unwrap().permissions().mode() & 0o7777
    }

    #[cfg(unix)]
    #[test]
    fn saving_keeps_the_mode_and_new_files_are_private() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let new = dir.path().join("new.ron");
        write_atomic(&new, b"new").unwrap();
        assert_eq!(mode(&new), 0o600, "a new file is for its owner only");
        for kept in [0o600, 0o640, 0o644, 0o400] {
            let path = dir.path().join(format!("{kept:o}.ron"));
            fs::write(&path, b"old").unwrap();
            fs::set_permissions(&path, fs::Permissions::from_mode(kept)).unwrap();
            write_atomic(&path, b"saved").unwrap();
            assert_eq!(fs::read(&path).unwrap(), b"saved");
            assert_eq!(mode(&path), kept, "mode {kept:o} kept");
        }
    }

    #[cfg(unix)]
    #[test]
    fn saving_writes_through_symbolic_links() {
        use std::os::unix::fs::{PermissionsExt as _, symlink};
        let links = tempfile::tempdir().unwrap();
        let targets = tempfile::tempdir().unwrap();
        let target = targets.path().join("real.ron");
        fs::write(&target, b"old").unwrap();
        fs::set_permissions(&target, fs::Permissions::from_mode(0o600)).unwrap();
        // An absolute link, and a relative link to that link.
        let link = links.path().join("link.ron");
        symlink(&target, &link).unwrap();
        let chained = links.path().join("chained.ron");
        symlink("link.ron", &chained).unwrap();
        write_atomic(&link, b"through the link").unwrap();
        write_atomic(&chained, b"through two links").unwrap();
        for path in [&link, &chained] {
            assert!(
                fs::symlink_metadata(path).unwrap().file_type().is_symlink(),
                "{} is still a link",
                path.display()
            );
        }
        assert_eq!(fs::read(&target).unwrap(), b"through two links");
        assert_eq!(mode(&target), 0o600);
        let names = |dir: &Path| {
            let mut names: Vec<_> = fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect();
            names.sort();
            names
        };
        assert_eq!(names(links.path()), ["chained.ron", "link.ron"]);
        assert_eq!(names(targets.path()), ["real.ron"]);
        // A link whose target does not exist yet: the target is created, private.
        let dangling = links.path().join("dangling.ron");
        let later = targets.path().join("later.ron");
        symlink(&later, &dangling).unwrap();
        write_atomic(&dangling, b"created").unwrap();
        assert!(
            fs::symlink_metadata(&dangling)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read(&later).unwrap(), b"created");
        assert_eq!(mode(&later), 0o600);
        // A loop of links is an error, not a hang.
        let a = links.path().join("a.ron");
        let b = links.path().join("b.ron");
        symlink(&b, &a).unwrap();
        symlink(&a, &b).unwrap();
        assert!(write_atomic(&a, b"x").is_err());
    }

    #[test]
    fn broken_files_are_copied_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("templates.ron");
        fs::write(&path, b"(broken").unwrap();
        let copy = keep_broken_copy(&path, b"(broken").unwrap();
        assert_eq!(copy.parent(), Some(dir.path()));
        let name = copy.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with("templates.ron.broken-"), "{name}");
        assert_eq!(fs::read(&copy).unwrap(), b"(broken");
        assert_eq!(keep_broken_copy(&path, b"(broken").unwrap(), copy);
        let other = keep_broken_copy(&path, b"(other").unwrap();
        assert_ne!(other, copy);
        assert_eq!(fs::read(&other).unwrap(), b"(other");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 3);
    }

    #[test]
    fn ron_round_trip_is_readable() {
        let doc = Doc {
            version: 1,
            names: vec![
                "a".into(),
                "b \"quoted\" \\ back\"#slash\"##".into(),
                "lines\n\ttabbed\r\nend\u{0}é✓".into(),
                String::new(),
            ],
        };
        let text = to_ron(&doc).unwrap();
        assert!(!text.contains("Doc"), "no struct names: {text}");
        assert!(text.contains("version: 1,"), "{text}");
        let back: Doc = from_ron(Path::new("x.ron"), &text).unwrap();
        assert_eq!(back, doc);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("doc.ron");
        save_ron(&path, &doc).unwrap();
        assert_eq!(load_ron::<Doc>(&path).unwrap(), doc);
    }

    #[test]
    fn parse_errors_name_file_line_and_column() {
        let text = "(\n    version: 1,\n    names: [\"a\" \"b\"],\n)\n";
        let error = from_ron::<Doc>(Path::new("templates.ron"), text).unwrap_err();
        let (line, column) = error.line_column().unwrap();
        assert_eq!(line, 3);
        assert!(column > 10, "column {column}");
        let message = error.to_string();
        assert!(
            message.starts_with(&format!("templates.ron:3:{column}: ")),
            "{message}"
        );
        let missing = from_ron::<Doc>(Path::new("t.ron"), "(version: 1)").unwrap_err();
        assert!(missing.to_string().contains("names"), "{missing}");
    }

    #[test]
    fn unreadable_files_name_the_path() {
        let error = load_ron::<Doc>(Path::new("/no/such/dir/file.ron")).unwrap_err();
        assert!(matches!(error, FileError::Io { .. }));
        assert!(
            error.to_string().starts_with("/no/such/dir/file.ron: "),
            "{error}"
        );
    }
}
