//! Writing the package atomically: everything goes into a temporary folder beside the output,
//! which is moved into place only when complete, so an error never leaves half a package.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use crate::emit::File;

pub enum OutputError {
    Io(String),
    /// Cancelled (Ctrl-C) before the package was moved into place; nothing was left behind.
    Interrupted,
}

/// `cancelled`: asked once every file is staged; `true` drops the package (Ctrl-C, say).
pub fn write_atomically(
    output: &Path,
    files: &[File],
    force: bool,
    cancelled: &dyn Fn() -> bool,
) -> Result<(), OutputError> {
    let fail = |what: &str, error: std::io::Error| OutputError::Io(format!("{what}: {error}"));
    if output.exists() {
        if !output.is_dir() {
            return Err(OutputError::Io(format!(
                "`{}` exists and is not a folder",
                output.display()
            )));
        }
        let non_empty = fs::read_dir(output)
            .map_err(|e| fail("cannot read the output folder", e))?
            .next()
            .is_some();
        if non_empty && !force {
            return Err(OutputError::Io(format!(
                "`{}` already exists and is not empty; pass `--force` to replace it",
                output.display()
            )));
        }
    }
    let parent = match output.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    fs::create_dir_all(parent)
        .map_err(|e| fail(&format!("cannot create `{}`", parent.display()), e))?;
    let staging = tempfile::Builder::new()
        .prefix(".nblift-")
        .tempdir_in(parent)
        .map_err(|e| fail(&format!("cannot write in `{}`", parent.display()), e))?;
    // Each folder once, parents first (a sorted set puts `a` before `a/b`).
    let folders: BTreeSet<&Path> = files
        .iter()
        .flat_map(|file| file.path.ancestors().skip(1))
        .filter(|folder| !folder.as_os_str().is_empty())
        .collect();
    for folder in folders {
        fs::create_dir(staging.path().join(folder))
            .map_err(|e| fail("cannot create a folder", e))?;
    }
    for file in files {
        let path = staging.path().join(&file.path);
        fs::write(&path, &file.contents)
            .map_err(|e| fail(&format!("cannot write `{}`", file.path.display()), e))?;
    }
    if cancelled() {
        // `staging` is dropped, and removed with it.
        return Err(OutputError::Interrupted);
    }
    if output.exists() {
        // Move the old folder aside first, so a failure leaves it intact.
        let old = tempfile::Builder::new()
            .prefix(".nblift-old-")
            .tempdir_in(parent)
            .map_err(|e| fail("cannot replace the output folder", e))?;
        let aside = old.path().join("previous");
        fs::rename(output, &aside).map_err(|e| fail("cannot replace the output folder", e))?;
        if let Err(error) = fs::rename(staging.path(), output) {
            if fs::rename(&aside, output).is_err() {
                // Never delete the old package: leave it where the user can find it.
                let kept = old.keep();
                return Err(OutputError::Io(format!(
                    "cannot move the package into place ({error}); the previous one is in `{}`",
                    kept.join("previous").display()
                )));
            }
            return Err(fail("cannot move the package into place", error));
        }
    } else {
        fs::rename(staging.path(), output)
            .map_err(|e| fail("cannot move the package into place", e))?;
    }
    // The staging folder has been moved; keep `TempDir` from deleting the new output.
    let _ = staging.keep();
    Ok(())
}
