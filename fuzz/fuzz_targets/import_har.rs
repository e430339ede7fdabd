//! A HAR file of any content is either imported or an error naming the file.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use sockscope::model::har;

fuzz_target!(|text: &str| {
    let _ = har::import(Path::new("fuzz.har"), text);
});
