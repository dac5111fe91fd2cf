//! The command line: flags are parsed once into checked settings, each command drives the
//! stages, and this module (with `render.rs`) is the only code that prints.

mod batch;
pub(crate) mod convert;
mod graph;
mod interrupt;
pub(crate) mod render;
pub(crate) mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Parser, Subcommand, ValueEnum};

use crate::emit::{Engine, UserTemplates};
use crate::lift::Split;
use crate::named::Named;

/// Parses an option's values by their names in the library (`Named`), with their help.
fn named<T: Named + Send + Sync + Clone>() -> impl TypedValueParser<Value = T> {
    let values = T::ALL
        .iter()
        .map(|value| PossibleValue::new(value.name()).help(value.help()));
    PossibleValuesParser::new(values)
        .map(|name| T::parse(&name, "").expect("clap accepts only the names of `Named::ALL`"))
}

#[derive(Parser)]
#[command(
    name = "nblift",
    version,
    about = "Compile Jupyter notebooks into Python packages that do what the notebook does"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Convert notebooks into packages: one notebook into OUT, or several (and folders,
    /// searched for notebooks) into OUT/<package>/ each.
    Convert(ConvertArgs),
    /// Report diagnostics only; nothing is written. Exit 1 on errors.
    Check(CheckArgs),
    /// Print the dataflow graph of the package's steps, with the names on the edges.
    Graph(GraphArgs),
    /// Serve the Language Server Protocol on stdin/stdout, for editors: diagnostics on cells,
    /// "Lift cell into a function", "Convert notebook to package", hover, go to definition.
    Lsp,
    /// Run the notebook in a fresh Jupyter kernel and the package in OUT, and compare what
    /// they print, show and compute, value by value. Exit 0 equivalent, 1 differs, 3 the
    /// package failed, 4 the notebook fails.
    Verify(VerifyArgs),
}

#[derive(clap::Args)]
struct VerifyArgs {
    /// The notebook (`.ipynb`), or a folder of notebooks converted with `nblift convert DIR
    /// -o OUT`: each is verified against its package in OUT, in parallel.
    notebook: PathBuf,
    /// The package folder `nblift convert` wrote (for a folder: the folder of packages).
    output: PathBuf,
    /// The Python that runs both: it needs `nbclient` and `ipykernel`, and the packages the
    /// notebook imports.
    #[arg(long, default_value = "python3")]
    python: PathBuf,
    /// Run the notebook N times: values and output that differ between its own runs are
    /// listed as unstable and left out of the verdict.
    #[arg(long, value_name = "N", default_value_t = 1)]
    repeat: usize,
    /// Stop a run of the notebook or of the package after this many seconds: a package
    /// still running then has failed (exit 3).
    #[arg(long, value_name = "SECONDS", default_value_t = 600)]
    timeout: u64,
    /// Exit 1 unless everything was compared exactly: no unstable value or output, nothing
    /// the package does not keep.
    #[arg(long)]
    strict: bool,
    /// Leave these out of the comparison of data frames and CSV files (comma-separated).
    #[arg(long, value_enum, value_delimiter = ',')]
    ignore: Vec<Ignored>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

/// What `verify --ignore` can leave out.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Ignored {
    /// The order of a data frame's rows (and of a CSV file's).
    RowOrder,
    /// The order of a data frame's columns (and of a CSV file's).
    ColumnOrder,
    /// A data frame's or series' index.
    Index,
}

impl Ignored {
    fn settings(ignored: &[Ignored]) -> crate::verify::compare::Ignore {
        crate::verify::compare::Ignore {
            row_order: ignored.contains(&Ignored::RowOrder),
            column_order: ignored.contains(&Ignored::ColumnOrder),
            index: ignored.contains(&Ignored::Index),
        }
    }
}

#[derive(clap::Args)]
struct ConvertArgs {
    /// The notebooks (or percent scripts: `.py` files with `# %%` cells) to convert, or
    /// folders to search for notebooks.
    #[arg(required = true)]
    notebooks: Vec<PathBuf>,
    /// The folder to write the package into (for several notebooks: the folder that holds
    /// one package folder per notebook).
    #[arg(short, long)]
    output: PathBuf,
    /// The package name (default: derived from the notebook's file name). One notebook only.
    #[arg(long)]
    name: Option<String>,
    /// How cells are grouped into steps.
    #[arg(long, value_parser = named::<Split>(), default_value = "sections")]
    split: Split,
    /// Also export the pipeline to these orchestrators (comma-separated), each run by
    /// `python -m PKG --engine NAME`.
    #[arg(long, value_parser = named::<Engine>(), value_delimiter = ',')]
    export: Vec<Engine>,
    /// A folder of handlebars templates replacing the built-in ones of the same path and
    /// adding any others as files of every package (see the README).
    #[arg(long, value_name = "DIR")]
    template_dir: Option<PathBuf>,
    /// Replace an existing, non-empty output folder.
    #[arg(long)]
    force: bool,
    /// Show what would be written, write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Then run `nblift verify` on the notebook and the package written (one notebook).
    /// With `--export`, first run the package once as an engine runs its tasks: steps that a
    /// value cloudpickle cannot carry (or arrays that share memory) pass between are written
    /// as one task (NB405), and names found sharing objects travel together (NB407).
    #[arg(long, conflicts_with = "dry_run")]
    verify: bool,
    /// With `--verify`: the Python that runs both (see `nblift verify --help`).
    #[arg(long, default_value = "python3", requires = "verify")]
    python: PathBuf,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

#[derive(clap::Args)]
struct CheckArgs {
    /// The notebooks (or percent scripts) to check, or folders to search for notebooks.
    #[arg(required = true)]
    notebooks: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

#[derive(clap::Args)]
struct GraphArgs {
    /// The notebook (or percent script) whose steps to draw.
    notebook: PathBuf,
    /// How cells are grouped into steps.
    #[arg(long, value_parser = named::<Split>(), default_value = "sections")]
    split: Split,
    #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
    format: GraphFormat,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum GraphFormat {
    Mermaid,
    Dot,
}

/// How a command reports: lines for people, or one JSON object per notebook.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
}

/// How a command ended, mapped to the exit code once, here.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum Outcome {
    Success,
    /// Diagnostics of error severity: the notebook is refused.
    Refused,
    /// `verify`: the runs differ (or, with `--strict`, were compared only loosely).
    Differs,
    /// `verify`: the package did not run to the end.
    PackageFailed,
    /// `verify`: the notebook itself fails in a fresh kernel.
    NotebookFailed,
    /// The tool itself failed: I/O, usage.
    Failure,
    /// Ctrl-C: the work in progress was dropped, what was finished is whole.
    Interrupted,
}

impl From<Outcome> for ExitCode {
    fn from(outcome: Outcome) -> ExitCode {
        ExitCode::from(match outcome {
            Outcome::Success => 0,
            Outcome::Refused | Outcome::Differs => 1,
            Outcome::PackageFailed => 3,
            Outcome::NotebookFailed => 4,
            Outcome::Failure => 2,
            Outcome::Interrupted => 130,
        })
    }
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let code = if error.use_stderr() { 2 } else { 0 };
            let _ = error.print();
            return ExitCode::from(code);
        }
    };
    let outcome = match cli.command {
        Command::Convert(args) => {
            let templates = match args.template_dir.as_deref().map(UserTemplates::load) {
                None => None,
                Some(Ok(templates)) => Some(templates),
                Some(Err(message)) => {
                    eprintln!("nblift: error: {message}");
                    return Outcome::Failure.into();
                }
            };
            let verified = match (args.verify, args.notebooks.as_slice()) {
                (false, _) => None,
                (true, [notebook]) if !notebook.is_dir() => Some(notebook.clone()),
                (true, _) => {
                    eprintln!("nblift: error: `--verify` verifies one notebook");
                    return Outcome::Failure.into();
                }
            };
            let (output, format) = (args.output.clone(), args.format);
            let tries_crossings_with =
                (verified.is_some() && !args.export.is_empty()).then(|| args.python.clone());
            let converted = convert::run(&convert::Settings {
                inputs: args.notebooks,
                output: args.output,
                name: args.name,
                split: args.split,
                exports: {
                    let mut engines = args.export;
                    engines.sort();
                    engines.dedup();
                    engines
                },
                templates,
                force: args.force,
                dry_run: args.dry_run,
                format,
                tries_crossings_with,
            });
            match verified {
                Some(notebook) if converted == Outcome::Success => verify::run(
                    &crate::verify::Settings {
                        notebook: &notebook,
                        output: &output,
                        python: &args.python,
                        repeat: 1,
                        ignore: crate::verify::compare::Ignore::default(),
                        timeout: crate::verify::DEFAULT_TIMEOUT,
                        strictness: crate::verify::Strictness::WhereStable,
                        analysed: None,
                    },
                    format,
                ),
                _ => converted,
            }
        }
        Command::Check(args) => convert::check(&args.notebooks, args.format),
        Command::Graph(args) => {
            graph::graph(&args.notebook, args.split, args.format == GraphFormat::Dot)
        }
        Command::Lsp => {
            if crate::lsp::serve() {
                Outcome::Success
            } else {
                Outcome::Failure
            }
        }
        Command::Verify(args) => {
            let settings = crate::verify::Settings {
                notebook: &args.notebook,
                output: &args.output,
                python: &args.python,
                repeat: args.repeat,
                ignore: Ignored::settings(&args.ignore),
                timeout: std::time::Duration::from_secs(args.timeout),
                strictness: if args.strict {
                    crate::verify::Strictness::Exact
                } else {
                    crate::verify::Strictness::WhereStable
                },
                analysed: None,
            };
            let format = args.format;
            if args.notebook.is_dir() {
                interrupt::install();
                batch::verify_all(&settings, std::slice::from_ref(&args.notebook), format)
            } else {
                verify::run(&settings, format)
            }
        }
    };
    outcome.into()
}
