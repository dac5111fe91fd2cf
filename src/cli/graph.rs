//! `nblift graph`: the steps' dataflow graph of the package a conversion would write.

use std::path::Path;

use crate::cli::Outcome;
use crate::cli::convert::prepare;
use crate::cli::render::to_stdout;
use crate::emit::graph;
use crate::lift::Split;

pub fn graph(path: &Path, split: Split, dot: bool) -> Outcome {
    let prepared = prepare(path, None);
    match prepared.plan(split, false) {
        Ok((plan, _)) => {
            to_stdout(&if dot {
                graph::dot(&plan)
            } else {
                graph::mermaid(&plan)
            });
            Outcome::Success
        }
        // Refused or failed: the reasons, as `check` shows them.
        Err(rendered) => {
            rendered.print();
            rendered.outcome()
        }
    }
}
