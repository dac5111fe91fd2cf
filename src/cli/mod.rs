//! The command line: flags are parsed once into checked settings, each command drives the
//! stages, and this module (with `render.rs`) is the only code that prints.

mod convert;
mod output;
mod render;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::lift::Split;

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
    /// Convert a notebook into a package.
    Convert(ConvertArgs),
    /// Report diagnostics only; nothing is written. Exit 1 on errors.
    Check(CheckArgs),
}

#[derive(clap::Args)]
struct ConvertArgs {
    /// The notebook to convert.
    notebook: PathBuf,
    /// The folder to write the package into.
    #[arg(short, long)]
    output: PathBuf,
    /// The package name (default: derived from the notebook's file name).
    #[arg(long)]
    name: Option<String>,
    /// How cells are grouped into steps.
    #[arg(long, value_enum, default_value_t = SplitArg::Sections)]
    split: SplitArg,
    /// Replace an existing, non-empty output folder.
    #[arg(long)]
    force: bool,
    /// Show what would be written, write nothing.
    #[arg(long)]
    dry_run: bool,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

#[derive(clap::Args)]
struct CheckArgs {
    /// The notebooks to check.
    #[arg(required = true)]
    notebooks: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

#[derive(Clone, Copy, ValueEnum)]
enum SplitArg {
    Sections,
    Cells,
    Tags,
    Single,
}

impl From<SplitArg> for Split {
    fn from(split: SplitArg) -> Split {
        match split {
            SplitArg::Sections => Split::Sections,
            SplitArg::Cells => Split::Cells,
            SplitArg::Tags => Split::Tags,
            SplitArg::Single => Split::Single,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Human,
    Json,
}

/// How a command ended, mapped to the exit code once, here.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum Outcome {
    Success,
    /// Diagnostics of error severity.
    Errors,
    /// The tool itself failed: I/O, usage.
    Failure,
}

impl From<Outcome> for ExitCode {
    fn from(outcome: Outcome) -> ExitCode {
        ExitCode::from(match outcome {
            Outcome::Success => 0,
            Outcome::Errors => 1,
            Outcome::Failure => 2,
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
        Command::Convert(args) => convert::convert(&convert::Settings {
            notebook: args.notebook,
            output: args.output,
            name: args.name,
            split: args.split.into(),
            force: args.force,
            dry_run: args.dry_run,
            json: args.format == Format::Json,
        }),
        Command::Check(args) => args
            .notebooks
            .iter()
            .map(|notebook| convert::check(notebook, args.format == Format::Json))
            .max()
            .unwrap_or(Outcome::Success),
    };
    outcome.into()
}
