//! A workspace file (`workspace.ron`, read at start) of any content is either a workspace
//! or an error naming the file; one that parsed is written and read back the same.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use sockscope::model::workspace::Workspace;

fuzz_target!(|text: &str| {
    let path = Path::new("fuzz.workspace.ron");
    let Ok(workspace) = Workspace::parse(path, text) else {
        return;
    };
    let written = workspace.to_text().expect("a workspace serializes");
    let back = Workspace::parse(path, &written).expect("a written workspace parses");
    assert_eq!(
        back.to_text().expect("serializes again"),
        written,
        "a written workspace reads back the same"
    );
});
