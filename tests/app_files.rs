//! Files the window writes, as a user finds them: a template library that cannot be read
//! is kept beside itself and the panel says where; the workspace kept between runs is
//! saved through a symbolic link and keeps its file's mode.

mod support;

use std::collections::HashMap;
use std::fs;
use std::os::unix::fs::{PermissionsExt as _, symlink};
use std::path::{Path, PathBuf};

use eframe::{App as _, Storage as _};
use egui_kittest::kittest::Queryable as _;
use sockscope::app::{AppOptions, restore_workspace};
use sockscope::model::template::TemplateFile;
use sockscope::model::workspace::Workspace;
use support::window::{Window, has_label_containing, open, wait_for};

/// A window whose library lives in `config_dir` and whose workspace goes to `workspace`.
fn window(config_dir: &Path, workspace: Option<PathBuf>) -> Window {
    open(AppOptions {
        config_dir: Some(config_dir.to_owned()),
        workspace_file: workspace,
        ..AppOptions::default()
    })
}

/// The files in `dir` whose name contains `part`.
fn files_containing(dir: &Path, part: &str) -> Vec<PathBuf> {
    fs::read_dir(dir)
        .expect("read dir")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| {
            path.file_name()
                .is_some_and(|name| name.to_string_lossy().contains(part))
        })
        .collect()
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).expect("metadata").permissions().mode() & 0o7777
}

#[test]
fn a_broken_library_is_kept_beside_it_and_the_panel_says_where_and_why() {
    let config = tempfile::tempdir().expect("a temporary config dir");
    let library = config.path().join("templates.ron");
    let broken = "(version: 1, templates: [\n    (name: \"x\" body: 3),\n";
    fs::write(&library, broken).expect("write");
    fs::set_permissions(&library, fs::Permissions::from_mode(0o640)).expect("chmod");
    let mut harness = window(config.path(), None);
    harness.step();
    let copies = files_containing(config.path(), "templates.ron.broken-");
    assert_eq!(copies.len(), 1, "one copy of the broken file");
    assert_eq!(fs::read_to_string(&copies[0]).expect("read"), broken);
    let copy = copies[0].display().to_string();
    assert!(has_label_containing(
        &harness,
        "The library could not be read: "
    ));
    assert!(has_label_containing(&harness, "line 2, column"));
    assert!(has_label_containing(
        &harness,
        &format!("A copy of it was kept as {copy}")
    ));

    // The next change replaces the file; the copy stays, and the panel still says where.
    harness.get_by_label("Message").focus();
    harness.step();
    harness.get_by_label("Message").type_text("hello");
    harness.step();
    harness.get_by_label("Save as template…").click();
    harness.step();
    harness.step();
    harness.get_by_label("Template name").focus();
    harness.step();
    harness.get_by_label("Template name").type_text("greeting");
    harness.step();
    harness.get_by_label("Save template").click();
    wait_for(&mut harness, "the library file", |_| {
        TemplateFile::load(&library).is_ok_and(|file| file.find("greeting").is_some())
    });
    wait_for(&mut harness, "the note on the copy", |h| {
        has_label_containing(h, &format!("could not be read was kept as {copy}"))
    });
    assert_eq!(fs::read_to_string(&copies[0]).expect("read"), broken);
    assert_eq!(mode(&library), 0o640, "the library keeps its mode");
}

/// eframe's key-value storage, in memory.
#[derive(Default)]
struct Storage(HashMap<String, String>);

impl eframe::Storage for Storage {
    fn get_string(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }
    fn set_string(&mut self, key: &str, value: String) {
        self.0.insert(key.to_owned(), value);
    }
    fn remove_string(&mut self, key: &str) {
        self.0.remove(key);
    }
    fn flush(&mut self) {}
}

#[test]
fn the_workspace_is_saved_through_a_symlink_and_keeps_its_mode() {
    let config = tempfile::tempdir().expect("a temporary config dir");
    let elsewhere = tempfile::tempdir().expect("a temporary dir");
    let real = elsewhere.path().join("my-workspace.ron");
    fs::write(&real, "()\n").expect("write");
    fs::set_permissions(&real, fs::Permissions::from_mode(0o600)).expect("chmod");
    let link = config.path().join("workspace.ron");
    symlink(&real, &link).expect("symlink");

    let mut harness = window(config.path(), Some(link.clone()));
    harness.step();
    let mut storage = Storage::default();
    storage.set_string("sockscope-workspace", "(tabs: [], active: 0)".into());
    harness.state_mut().save(&mut storage);

    assert!(
        fs::symlink_metadata(&link)
            .expect("lstat")
            .file_type()
            .is_symlink()
    );
    assert_eq!(mode(&real), 0o600, "the mode is kept");
    let saved = Workspace::load(&real).expect("the workspace parses");
    assert_eq!(saved.tabs.len(), 1);
    assert!(
        saved.tabs[0].config.url.ends_with("/echo"),
        "{:?}",
        saved.tabs[0].config.url
    );
    assert_eq!(
        files_containing(elsewhere.path(), ".tmp"),
        Vec::<PathBuf>::new()
    );
    assert_eq!(
        storage.get_string("sockscope-workspace"),
        None,
        "the copy in eframe's file is removed"
    );
    let restored = restore_workspace(Some(&link), None).expect("restored");
    assert_eq!(restored.tabs.len(), 1);

    // A new workspace file is private.
    let fresh = config.path().join("data").join("workspace.ron");
    let mut harness = window(config.path(), Some(fresh.clone()));
    harness.step();
    harness.state_mut().save(&mut Storage::default());
    assert_eq!(mode(&fresh), 0o600);
}

#[test]
fn an_older_workspace_in_eframes_storage_is_still_restored() {
    let dir = tempfile::tempdir().expect("a temporary dir");
    let mut storage = Storage::default();
    storage.set_string(
        "sockscope-workspace",
        "(tabs: [], active: 3, recent: [\"/tmp/old.ron\"])".into(),
    );
    let restored = restore_workspace(Some(&dir.path().join("workspace.ron")), Some(&storage))
        .expect("restored from the older place");
    assert_eq!(restored.recent, [PathBuf::from("/tmp/old.ron")]);

    // A workspace file that cannot be parsed is kept beside it; the window starts afresh.
    let broken = dir.path().join("workspace.ron");
    fs::write(&broken, "(tabs: [").expect("write");
    assert!(restore_workspace(Some(&broken), Some(&storage)).is_none());
    assert_eq!(
        files_containing(dir.path(), "workspace.ron.broken-").len(),
        1
    );
}
