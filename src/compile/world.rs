//! The notebook's surroundings, which the driver asks about instead of reading the disk
//! itself (typst's `World`, reduced): whether a file the notebook reads is there, and which
//! modules sit beside it. Every host answers the same way through [`Disk`]; a test or an
//! editor with unsaved files can answer otherwise.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

pub trait World {
    /// Whether `path`, as the notebook writes it (relative to its folder, or absolute), is
    /// there.
    fn file_exists(&self, path: &str) -> bool;
    /// Modules beside the notebook (`x.py`, packages), which its imports may mean.
    fn local_modules(&self) -> BTreeSet<String>;
}

/// No surroundings: an editor's notebook that is not saved yet. Every file it reads is
/// taken to be there (nothing is known to be missing), and no module is beside it.
pub struct Nowhere;

impl World for Nowhere {
    fn file_exists(&self, _path: &str) -> bool {
        true
    }

    fn local_modules(&self) -> BTreeSet<String> {
        BTreeSet::new()
    }
}

/// The notebook's folder on disk.
pub struct Disk {
    folder: PathBuf,
}

impl Disk {
    /// The surroundings of the notebook at `notebook`.
    pub fn around(notebook: &Path) -> Disk {
        let folder = notebook
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        Disk {
            folder: folder.to_path_buf(),
        }
    }
}

impl World for Disk {
    fn file_exists(&self, path: &str) -> bool {
        self.folder.join(path).exists()
    }

    fn local_modules(&self) -> BTreeSet<String> {
        let Ok(entries) = std::fs::read_dir(&self.folder) else {
            return BTreeSet::new();
        };
        entries
            .flatten()
            .filter_map(|entry| {
                let name = entry.file_name().to_str()?.to_owned();
                if let Some(module) = name.strip_suffix(".py") {
                    return Some(module.to_owned());
                }
                // The entry's type comes with the listing; only folders cost a look inside.
                let is_package = entry.file_type().is_ok_and(|t| t.is_dir())
                    && entry.path().join("__init__.py").is_file();
                is_package.then_some(name)
            })
            .collect()
    }
}
