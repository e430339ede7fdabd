//! A template file of any content (the library `templates.ron`, or `--template
//! FILE.ron:NAME`) is either templates or an error naming the file. Templates that parsed
//! are written back and read again unchanged (a saved library must load), and merging two
//! windows' versions of them never panics and never repeats a name.
#![no_main]

use std::collections::HashSet;
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use sockscope::model::storage;
use sockscope::model::template::TemplateFile;
use sockscope::model::template_merge;

fuzz_target!(|text: &str| {
    let path = Path::new("fuzz.templates.ron");
    let Ok(file) = TemplateFile::parse(path, text) else {
        return;
    };
    let written = storage::to_ron(&file).expect("templates serialize");
    let back = TemplateFile::parse(path, &written).expect("a written library parses");
    assert_eq!(back, file, "a written library reads back the same");

    let all = &file.templates;
    let base = &all[..all.len() / 2];
    let ours: Vec<_> = all.iter().rev().cloned().collect();
    let theirs = &all[all.len() / 3..];
    let merged = template_merge::merge(base, &ours, theirs);
    let mut names = HashSet::new();
    for template in &merged.templates {
        assert!(names.insert(&template.name), "{:?} twice", template.name);
    }
    let _ = merged.summary();
});
