//! `nblift graph`: the steps' dataflow graph of the package a conversion would write.

use std::path::Path;

use crate::cli::convert::not_planned;
use crate::cli::render::to_stdout;
use crate::cli::{Format, Outcome};
use crate::compile::prepare;
use crate::emit::graph;
use crate::lift::Split;

pub fn graph(path: &Path, split: Split, dot: bool) -> Outcome {
    let prepared = prepare(path, None);
    match prepared.plan(split) {
        Ok((plan, _)) => {
            to_stdout(&if dot {
                graph::dot(&plan)
            } else {
                graph::mermaid(&plan)
            });
            Outcome::Success
        }
        // Refused or failed: the reasons, as `check` shows them.
        Err(why) => {
            let rendered = not_planned(path, why, Format::Human);
            rendered.print();
            rendered.outcome()
        }
    }
}
