//! A session file of any content is either a session or an error naming the file; loading
//! a parsed session's timelines never panics.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use sockscope::model::session::SessionFile;

fuzz_target!(|text: &str| {
    if let Ok(session) = SessionFile::parse(Path::new("fuzz.session.ron"), text) {
        for (i, tab) in session.tabs.iter().enumerate() {
            let _ = tab.to_timeline(&format!("tab {}", i + 1));
        }
    }
});
