//! The notebooks of a batch (`convert DIR…`, `verify DIR…`) and their package names: one
//! rule for both, so that `verify` finds the package `convert` wrote for each notebook.

use std::collections::HashSet;
use std::path::PathBuf;

use walkdir::WalkDir;

/// The notebooks named or found under the folders named, in a stable order. Folders are
/// searched for `*.ipynb`, skipping hidden files and folders (`.ipynb_checkpoints`, `.git`).
/// A path that does not exist is kept, so that its failure is reported.
pub fn find_notebooks(inputs: &[PathBuf]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for input in inputs {
        if !input.is_dir() {
            found.push(input.clone());
            continue;
        }
        let walk = WalkDir::new(input)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|entry| entry.depth() == 0 || !is_hidden(entry.file_name()));
        // Unreadable entries are skipped: the walk reports what it can read.
        for entry in walk.flatten() {
            let path = entry.path();
            if entry.file_type().is_file() && path.extension().is_some_and(|e| e == "ipynb") {
                found.push(path.to_path_buf());
            }
        }
    }
    found
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_string_lossy().starts_with('.')
}

/// Package names made unique in input order (`name`, `name_2`, …), so the same inputs give
/// the same folders.
pub fn unique_names<'a>(names: impl Iterator<Item = &'a mut String>) {
    let mut taken = HashSet::new();
    for name in names {
        let base = name.clone();
        let mut suffix = 2;
        while !taken.insert(name.clone()) {
            *name = format!("{base}_{suffix}");
            suffix += 1;
        }
    }
}
