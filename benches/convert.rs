//! `cargo bench`: the in-process cost of converting each notebook of `../shared/corpus`,
//! stage by stage, against the floor of only reading, JSON-parsing and Python-parsing it.
//!
//! Per-process timings, the whole-corpus batch, synthetic notebooks up to 100,000 cells and
//! the comparison with soorgeon and nbconvert are in `benches/compare.py`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nblift::analysis::analyze;
use nblift::emit::{self, Source};
use nblift::lift::{self, Options, Split};
use nblift::notebook::load_notebook;
use rustpython_parser::{Mode, parse};
use serde_json::Value;

/// Each notebook is converted this many times; the fastest run counts, as usual for
/// in-process timings (the others measure the machine's noise).
const RUNS: usize = 5;

#[derive(Default, Clone, Copy)]
struct Stages {
    load: Duration,
    analyze: Duration,
    lift: Duration,
    emit: Duration,
}

impl Stages {
    fn total(&self) -> Duration {
        self.load + self.analyze + self.lift + self.emit
    }
}

fn main() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/notebooks");
    let notebooks = notebooks_under(&corpus);
    if notebooks.is_empty() {
        eprintln!(
            "no notebooks under {}: nothing to measure",
            corpus.display()
        );
        return;
    }
    let mut totals = Vec::new();
    let mut floors = Vec::new();
    let mut sum = Stages::default();
    let mut slowest = (Duration::ZERO, PathBuf::new());
    for path in &notebooks {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let Some(stages) = (0..RUNS)
            .filter_map(|_| convert(&text))
            .min_by_key(Stages::total)
        else {
            continue;
        };
        let floor = (0..RUNS)
            .map(|_| parse_floor(&text))
            .min()
            .unwrap_or_default();
        sum.load += stages.load;
        sum.analyze += stages.analyze;
        sum.lift += stages.lift;
        sum.emit += stages.emit;
        if stages.total() > slowest.0 {
            slowest = (stages.total(), path.clone());
        }
        totals.push(stages.total());
        floors.push(floor);
    }
    let converted = totals.len();
    let total: Duration = totals.iter().sum();
    let floor: Duration = floors.iter().sum();
    totals.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "nblift in-process conversion, {converted} converted notebooks of {}",
        notebooks.len()
    );
    println!();
    println!("| measure | value |");
    println!("|---|---|");
    println!(
        "| median per notebook | {:.2} ms |",
        ms(percentile(&totals, 50))
    );
    println!(
        "| p90 per notebook | {:.2} ms |",
        ms(percentile(&totals, 90))
    );
    println!(
        "| max per notebook | {:.2} ms ({}) |",
        ms(slowest.0),
        file_name(&slowest.1)
    );
    println!("| all, one thread | {:.0} ms |", ms(total));
    println!(
        "| read + JSON + Python parse (floor), one thread | {:.0} ms |",
        ms(floor)
    );
    println!(
        "| ratio to the floor | {:.2}× |",
        total.as_secs_f64() / floor.as_secs_f64()
    );
    println!();
    println!("| stage | share |");
    println!("|---|---|");
    for (stage, time) in [
        ("load (JSON, nbformat)", sum.load),
        ("analyze (IPython syntax, parse, dataflow)", sum.analyze),
        ("lift (imports, definitions, steps)", sum.lift),
        ("emit (templates)", sum.emit),
    ] {
        println!(
            "| {stage} | {:.0}% |",
            100.0 * time.as_secs_f64() / total.as_secs_f64()
        );
    }
}

/// Every stage of `nblift convert` but writing; `None` when the notebook is refused.
fn convert(text: &str) -> Option<Stages> {
    let start = Instant::now();
    let notebook = load_notebook(text).ok()?;
    let loaded = Instant::now();
    let (analysis, diagnostics) = analyze(&notebook);
    if nblift::diagnostic::has_errors(&diagnostics) {
        return None;
    }
    let analyzed = Instant::now();
    let options = Options {
        package: "bench".to_owned(),
        split: Split::Sections,
        local_modules: Default::default(),
        observed: Default::default(),
    };
    let (plan, _) = lift::plan(&notebook, &analysis, &options);
    let lifted = Instant::now();
    let source = Source {
        notebook_file: "bench.ipynb".to_owned(),
        notebook_dir: ".".to_owned(),
        known_problems: Vec::new(),
    };
    let files = emit::render(plan, &source, &[], None).ok()?;
    let emitted = Instant::now();
    std::hint::black_box(files);
    Some(Stages {
        load: loaded - start,
        analyze: analyzed - loaded,
        lift: lifted - analyzed,
        emit: emitted - lifted,
    })
}

/// What any tool must do: parse the JSON and every code cell as Python (errors ignored).
fn parse_floor(text: &str) -> Duration {
    let start = Instant::now();
    if let Ok(json) = serde_json::from_str::<Value>(text) {
        let cells = json["cells"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        for cell in cells.iter().filter(|c| c["cell_type"] == "code") {
            let source = match &cell["source"] {
                Value::Array(lines) => lines.iter().filter_map(Value::as_str).collect(),
                Value::String(source) => source.clone(),
                _ => String::new(),
            };
            let _ = std::hint::black_box(parse(&source, Mode::Module, "<cell>"));
        }
    }
    start.elapsed()
}

fn percentile(sorted: &[Duration], percent: usize) -> Duration {
    sorted[(sorted.len() - 1) * percent / 100]
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn notebooks_under(folder: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = walkdir::WalkDir::new(folder)
        .into_iter()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "ipynb"))
        .map(|e| e.into_path())
        .collect();
    found.sort();
    found
}
