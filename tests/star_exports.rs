//! Each entry of nblift's table of star-import exports (`src/lift/star_exports.rs`) is what
//! `from MODULE import *` binds in the pinned test environment: a name missing from the table
//! would keep a star import that could go, a name too many would import a name that is not
//! there.

// Runs real Python: the Python lane (`cargo test --features test-python`, or `--features full`).
#![cfg(feature = "test-python")]

mod support;

use std::process::Command;

use nblift::lift::star_exports::STAR_EXPORTS;

#[test]
fn every_table_entry_lists_what_its_star_import_binds() {
    const NAMES: &str = "import importlib, sys\n\
        module = importlib.import_module(sys.argv[1])\n\
        names = getattr(module, '__all__', None)\n\
        if names is None:\n\
        \x20   names = [n for n in dir(module) if not n.startswith('_')]\n\
        print('\\n'.join(sorted(set(names))))\n";
    assert!(!STAR_EXPORTS.is_empty());
    for (module, names) in STAR_EXPORTS {
        let output = Command::new(support::python())
            .args(["-c", NAMES, module])
            .output()
            .unwrap();
        let (stdout, stderr) = support::text(&output);
        assert!(output.status.success(), "{module}: {stderr}");
        let actual: Vec<&str> = stdout.lines().collect();
        assert_eq!(
            names.to_vec(),
            actual,
            "{module}: the table differs from the module"
        );
    }
}
