//! A message size limit above what can be allocated (say, from a shared session file) is
//! clamped, and the request section says so.

mod support;

use egui_kittest::kittest::Queryable;
use sockscope::app::AppOptions;
use support::window::{has_label_containing, open};

#[test]
fn a_huge_message_limit_is_shown_clamped_in_the_request_section() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = open(AppOptions {
        config_dir: Some(dir.path().to_path_buf()),
        ..AppOptions::default()
    });
    harness.step();
    harness
        .state_mut()
        .tab_mut(0)
        .expect("a tab")
        .setup
        .config
        .max_message_size = 1 << 62;
    harness.get_by_label("Headers & connection").click();
    harness.step();
    harness.step();
    assert!(
        has_label_containing(
            &harness,
            "Max message 4611686018427387904 is above the ceiling of 1073741824 (1 GiB); \
             using 1073741824"
        ),
        "the request section says the limit is clamped"
    );
}
