//! Background jobs for the window. Blocking work (reading a file to send, looking up its
//! size, saving the template library) and waiting (the file dialog) run on the app's tokio
//! runtime; each result comes back over a channel that `App::logic` drains, tagged with the
//! tab it belongs to. The wake callback asks for a frame after each result is sent.

use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::action::Draft;
use super::proto_schema::SchemaInputs;
use crate::engine::WakeFn;
use crate::format::decode::{ProtoSchema, SchemaError};
use crate::model::decode_settings::DecodeSettings;

/// A file dialog that ends without a file sooner than this was never shown: there is no
/// dialog to show (no desktop portal), so the window asks for the path itself. A person can
/// hardly see and cancel a dialog this fast, and a missing portal answers within it even on
/// a busy machine. Of the two mistakes, taking a quick cancel for no dialog only offers a
/// path to type; the other leaves the user with no way to give a file, so the longer of
/// the two cut-offs the window had (700 ms, not 400 ms) is kept.
pub const NO_DIALOG_WITHIN: Duration = Duration::from_millis(700);

/// A file's name and size, shown before it is sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileInfo {
    /// The file name (the last part of the path).
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
}

/// Why the file of a File body cannot be sent.
#[derive(Clone, Debug, thiserror::Error)]
pub enum FileSendError {
    /// It could not be looked up or read.
    #[error("cannot read {}: {source}", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: Arc<std::io::Error>,
    },
    /// It is a directory or a device, not a file.
    #[error("{} is not a file", path.display())]
    NotAFile {
        /// The path.
        path: PathBuf,
    },
}

impl FileSendError {
    fn unreadable(path: &std::path::Path, source: std::io::Error) -> Self {
        FileSendError::Unreadable {
            path: path.to_owned(),
            source: Arc::new(source),
        }
    }
}

/// A finished background job.
#[derive(Debug)]
pub enum JobDone {
    /// The size of the file at `path` was looked up for tab `tab`.
    FileChecked {
        /// The tab's id.
        tab: u64,
        /// The file, as looked up.
        path: PathBuf,
        /// Its name and size, or why it cannot be sent.
        result: Result<FileInfo, FileSendError>,
    },
    /// The file of a File send was read for tab `tab`.
    FileRead {
        /// The tab's id.
        tab: u64,
        /// The message as the user wrote it (for the history).
        draft: Draft,
        /// The file's bytes, or why it could not be read.
        result: Result<Bytes, FileSendError>,
    },
    /// The file dialog of tab `tab` ended.
    FilePicked {
        /// The tab's id.
        tab: u64,
        /// The chosen file; `None` when cancelled or when no dialog is available.
        path: Option<PathBuf>,
        /// How long the dialog was open: `None` at once means there is no dialog.
        open_for: Duration,
    },
    /// The `.proto` file dialog of tab `tab` ended.
    ProtoPicked {
        /// The tab's id.
        tab: u64,
        /// The chosen file; `None` when cancelled or when no dialog is available.
        path: Option<PathBuf>,
        /// How long the dialog was open: `None` at once means there is no dialog.
        open_for: Duration,
    },
    /// The `.proto` files of tab `tab` were compiled (compile number `seq`).
    SchemaCompiled {
        /// The tab's id.
        tab: u64,
        /// The compile's number ([`super::proto_schema::SchemaState::wanted`]).
        seq: u64,
        /// The schema (`None` without files), or why the files do not compile.
        result: Result<Option<ProtoSchema>, SchemaError>,
    },
    /// A save of the template library finished.
    LibrarySaved {
        /// The save's sequence number (later saves have larger ones).
        seq: u64,
        /// What was written (`None`: skipped, a newer save was written first), or why
        /// nothing was.
        result: Result<
            Option<super::templates_panel::library::LibraryWrite>,
            super::templates_panel::library::LibraryWriteError,
        >,
    },
}

/// Runs jobs on a runtime and hands their results back to the UI thread.
pub struct Background<T> {
    runtime: tokio::runtime::Handle,
    sender: mpsc::Sender<T>,
    receiver: mpsc::Receiver<T>,
    wake: WakeFn,
}

impl<T: Send + 'static> Background<T> {
    /// Jobs on `runtime`; `wake` is called after each result is ready.
    pub fn new(runtime: tokio::runtime::Handle, wake: WakeFn) -> Self {
        let (sender, receiver) = mpsc::channel();
        Self {
            runtime,
            sender,
            receiver,
            wake,
        }
    }

    /// The runtime jobs run on, and the callback that wakes the window.
    pub fn runtime_and_wake(&self) -> (&tokio::runtime::Handle, &WakeFn) {
        (&self.runtime, &self.wake)
    }

    /// Runs blocking `job` on the runtime's blocking pool.
    pub fn spawn_blocking(&self, job: impl FnOnce() -> T + Send + 'static) {
        let sender = self.sender.clone();
        let wake = self.wake.clone();
        self.runtime.spawn_blocking(move || {
            // The app may be gone already; then nobody needs the result.
            if sender.send(job()).is_ok() {
                wake();
            }
        });
    }

    /// Runs the future `job` on the runtime.
    pub fn spawn(&self, job: impl Future<Output = T> + Send + 'static) {
        let sender = self.sender.clone();
        let wake = self.wake.clone();
        self.runtime.spawn(async move {
            if sender.send(job.await).is_ok() {
                wake();
            }
        });
    }

    /// The next finished job, if any; never blocks.
    pub fn try_recv(&self) -> Option<T> {
        self.receiver.try_recv().ok()
    }
}

impl Background<JobDone> {
    /// Looks up the name and size of the file at `path` for tab `tab`.
    pub fn check_file(&self, tab: u64, path: PathBuf) {
        self.spawn_blocking(move || {
            let result = file_info(&path);
            JobDone::FileChecked { tab, path, result }
        });
    }

    /// Reads the file at `path` to send it as `draft` from tab `tab`.
    pub fn read_file(&self, tab: u64, path: PathBuf, draft: Draft) {
        self.spawn_blocking(move || {
            let result = std::fs::read(&path)
                .map(Bytes::from)
                .map_err(|e| FileSendError::unreadable(&path, e));
            JobDone::FileRead { tab, draft, result }
        });
    }

    /// Opens the native file dialog for tab `tab` without blocking the window.
    pub fn pick_file(&self, tab: u64) {
        self.spawn(async move {
            let started = Instant::now();
            let picked = rfd::AsyncFileDialog::new()
                .set_title("Choose a file to send")
                .pick_file()
                .await;
            JobDone::FilePicked {
                tab,
                path: picked.map(|handle| handle.path().to_owned()),
                open_for: started.elapsed(),
            }
        });
    }
}

impl Background<JobDone> {
    /// Opens the native file dialog for a `.proto` file of tab `tab`.
    pub fn pick_proto(&self, tab: u64) {
        self.spawn(async move {
            let started = Instant::now();
            let picked = rfd::AsyncFileDialog::new()
                .set_title("Choose a .proto file")
                .add_filter("Protobuf schema", &["proto"])
                .pick_file()
                .await;
            JobDone::ProtoPicked {
                tab,
                path: picked.map(|handle| handle.path().to_owned()),
                open_for: started.elapsed(),
            }
        });
    }

    /// Compiles the `.proto` files `inputs` of tab `tab` (compile number `seq`). Each must
    /// be a regular file of at most [`MAX_PROTO_FILE`] bytes: a session file names them, and
    /// must not make the window read a device or a huge file.
    pub fn compile_schema(&self, tab: u64, seq: u64, inputs: SchemaInputs) {
        self.spawn_blocking(move || {
            let checked = inputs
                .files
                .iter()
                .try_for_each(|path| check_proto_file(path));
            let settings = DecodeSettings {
                proto_files: inputs.files,
                proto_paths: inputs.paths,
                ..DecodeSettings::default()
            };
            JobDone::SchemaCompiled {
                tab,
                seq,
                result: checked.and_then(|()| settings.compile_schema()),
            }
        });
    }
}

/// The largest `.proto` file a schema compile reads.
pub const MAX_PROTO_FILE: u64 = 16 << 20;

/// Refuses a `.proto` path that is not a regular file of at most [`MAX_PROTO_FILE`] bytes.
fn check_proto_file(path: &std::path::Path) -> Result<(), SchemaError> {
    let refuse = |why: String| Err(SchemaError::Compile(format!("{}: {why}", path.display())));
    match std::fs::metadata(path) {
        Err(error) => refuse(format!("cannot read it: {error}")),
        Ok(meta) if !meta.is_file() => refuse("not a regular file".into()),
        Ok(meta) if meta.len() > MAX_PROTO_FILE => refuse(format!(
            "{} bytes; a .proto file may have at most {MAX_PROTO_FILE}",
            meta.len()
        )),
        Ok(_) => Ok(()),
    }
}

/// The name and size of a regular file, or why it cannot be sent.
pub fn file_info(path: &std::path::Path) -> Result<FileInfo, FileSendError> {
    let metadata = std::fs::metadata(path).map_err(|e| FileSendError::unreadable(path, e))?;
    if !metadata.is_file() {
        return Err(FileSendError::NotAFile {
            path: path.to_owned(),
        });
    }
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    Ok(FileInfo {
        name,
        size: metadata.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn results_come_back_and_wake() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let woken = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&woken);
        let wake: WakeFn = Arc::new(move || {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        let jobs: Background<u32> = Background::new(runtime.handle().clone(), wake);
        jobs.spawn_blocking(|| 1);
        jobs.spawn(async { 2 });
        let mut got = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(5);
        while got.len() < 2 && Instant::now() < deadline {
            match jobs.try_recv() {
                Some(value) => got.push(value),
                None => std::thread::sleep(Duration::from_millis(5)),
            }
        }
        got.sort_unstable();
        assert_eq!(got, [1, 2]);
        assert_eq!(woken.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn proto_files_must_be_regular_and_small() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.proto");
        std::fs::write(&path, "syntax = \"proto3\";").unwrap();
        assert!(check_proto_file(&path).is_ok());
        let not_file = check_proto_file(dir.path()).unwrap_err().to_string();
        assert!(not_file.ends_with(": not a regular file"), "{not_file}");
        let missing = check_proto_file(&dir.path().join("b.proto"))
            .unwrap_err()
            .to_string();
        assert!(missing.contains("b.proto: cannot read it: "), "{missing}");
        let big = dir.path().join("big.proto");
        std::fs::File::create(&big)
            .unwrap()
            .set_len(MAX_PROTO_FILE + 1)
            .unwrap();
        let too_big = check_proto_file(&big).unwrap_err().to_string();
        assert!(too_big.contains("at most 16777216"), "{too_big}");
        #[cfg(unix)]
        {
            let device = check_proto_file(std::path::Path::new("/dev/zero"));
            assert!(device.is_err(), "a device is not read");
        }
    }

    #[test]
    fn file_info_names_and_sizes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("payload.bin");
        std::fs::write(&path, [1u8, 2, 3]).unwrap();
        assert_eq!(
            file_info(&path).unwrap(),
            FileInfo {
                name: "payload.bin".into(),
                size: 3
            }
        );
        assert!(
            file_info(dir.path())
                .unwrap_err()
                .to_string()
                .ends_with("is not a file")
        );
        assert!(
            file_info(&dir.path().join("missing"))
                .unwrap_err()
                .to_string()
                .starts_with("cannot read ")
        );
    }
}
