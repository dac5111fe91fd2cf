//! "Lift cell into a function" (the editor's code action, `ide::lift_cell`) on every runnable
//! fixture: every code cell of the notebook is lifted in turn, the notebook analysed again
//! after each edit, and the edited notebook must print and show in a fresh kernel exactly
//! what the original does. The same over the corpus is `tests/lift_corpus.rs`.

// Runs real Python: the Python lane (`cargo test --features test-python`, or `--features full`).
#![cfg(feature = "test-python")]

mod support;

use std::path::Path;

use support::lift::{Pair, Stats, differences, pair};

#[test]
fn lifting_every_cell_keeps_what_each_fixture_prints_and_shows() {
    let mut stats = Stats::default();
    let pairs: Vec<Pair> = support::runnable_fixtures()
        .iter()
        .filter_map(|path| pair(path, path.parent().unwrap(), Path::new(""), &mut stats))
        .collect();
    let failures = differences(&pairs);
    eprintln!(
        "{} cells lifted in {} notebooks; not lifted: {:?}",
        stats.lifted,
        pairs.len(),
        stats.not_lifted
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(
        stats.lifted > 100,
        "only {} cells were lifted",
        stats.lifted
    );
}
