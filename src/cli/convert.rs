//! The `convert` and `check` commands: flags in, the library driver (`crate::compile`), the
//! report out.

use std::path::{Path, PathBuf};

use crate::cli::render::{Rendered, Report, Status, to_stderr};
use crate::cli::{Format, Outcome, batch, interrupt};
use crate::compile::{
    self, Disk, NotConverted, NotPlanned, OutputError, Prepared, Request, write_atomically,
};
use crate::emit;
use crate::lift::Observed;
use crate::lift::Split;

pub struct Settings {
    pub inputs: Vec<PathBuf>,
    pub output: PathBuf,
    pub name: Option<String>,
    pub split: Split,
    /// Orchestrator modules to add beside the plain pipeline.
    pub exports: Vec<emit::Engine>,
    /// `--template-dir`: the user's templates over the embedded ones.
    pub templates: Option<emit::UserTemplates>,
    pub force: bool,
    pub dry_run: bool,
    pub format: Format,
    /// `--verify` with `--export`: the Python that runs the package once, after it is
    /// written, as an engine runs its tasks (see [`carry_what_a_run_finds`]).
    pub tries_crossings_with: Option<PathBuf>,
}

/// `nblift check`: the front end alone, over every notebook found.
pub fn check(inputs: &[PathBuf], format: Format) -> Outcome {
    batch::run(inputs, format, |path| {
        let front = match compile::read(path, &Disk::around(path)) {
            Ok(front) => front,
            Err(message) => return Rendered::failure(path, &message, format),
        };
        let report = Report::new(path, front.located());
        report.diagnostics(format, report.status())
    })
}

/// `nblift convert`: one notebook into OUT, or several into OUT/<package>/ each.
pub fn run(settings: &Settings) -> Outcome {
    interrupt::install();
    if let [path] = settings.inputs.as_slice()
        && !path.is_dir()
    {
        let prepared = compile::prepare(path, settings.name.as_deref());
        let mut rendered = finish(
            prepared,
            &settings.output,
            settings,
            &Observed::default(),
            settings.force,
        );
        if let Some(python) = &settings.tries_crossings_with
            && rendered.outcome() == Outcome::Success
            && !settings.dry_run
        {
            match carry_what_a_run_finds(path, python, settings) {
                Ok(carried) => rendered = carried.unwrap_or(rendered),
                // The exports may lose values between tasks: the conversion does not pass.
                Err(message) => {
                    rendered.print();
                    to_stderr(&format!(
                        "nblift: error: the exports' tasks were not tried as an engine runs them: {message}"
                    ));
                    return Outcome::Failure;
                }
            }
        }
        rendered.print();
        return rendered.outcome();
    }
    if settings.name.is_some() {
        to_stderr("error: `--name` names one package; it cannot be used with several notebooks");
        return Outcome::Failure;
    }
    batch::convert_all(settings)
}

/// The report of a notebook that has no plan.
pub fn not_planned(path: &Path, why: NotPlanned, format: Format) -> Rendered {
    match why {
        NotPlanned::Unreadable(message) => Rendered::failure(path, &message, format),
        NotPlanned::Refused(located) => {
            let report = Report::new(path, located);
            report.diagnostics(format, report.status())
        }
        NotPlanned::Misnamed(message, located) => {
            Report::new(path, located).failed(&message, format)
        }
    }
}

/// Runs the package just written in `settings.output` once, its tasks as an engine runs
/// them: every value a later task takes is tried with cloudpickle, and the values handed on
/// past each task are looked at for objects they share. When some value cannot be carried,
/// or names share objects, converts again over what was just written: the steps such a value
/// passes between run as one task, and names that share objects travel together (notes say
/// so); that conversion's report replaces the first. `None` when the run found nothing;
/// `Err` when the run failed (the package, or `python` without cloudpickle).
fn carry_what_a_run_finds(
    path: &Path,
    python: &Path,
    settings: &Settings,
) -> Result<Option<Rendered>, String> {
    let observed = crate::verify::crossings::observed(path, &settings.output, python)?;
    if observed.is_empty() {
        return Ok(None);
    }
    let prepared = compile::prepare(path, settings.name.as_deref());
    // Over the package this conversion has just written.
    let force = true;
    Ok(Some(finish(
        prepared,
        &settings.output,
        settings,
        &observed,
        force,
    )))
}

/// Convert one prepared notebook and write it as the package folder `output` (over what is
/// there with `force`), with what a run of the package found that the code does not show.
pub fn finish(
    prepared: Prepared,
    output: &Path,
    settings: &Settings,
    observed: &Observed,
    force: bool,
) -> Rendered {
    let path = prepared.path.clone();
    let request = Request {
        split: settings.split,
        exports: &settings.exports,
        templates: settings.templates.as_ref(),
        observed,
    };
    let conversion = match compile::convert(prepared, output, &request) {
        Ok(conversion) => conversion,
        Err(NotConverted::NotPlanned(why)) => return not_planned(&path, why, settings.format),
        Err(NotConverted::Render(message, located)) => {
            return Report::new(&path, located).failed(&message, settings.format);
        }
    };
    let report = Report::new(&path, conversion.located);
    let (package, files) = (&conversion.package, &conversion.files);
    if settings.dry_run {
        return report.conversion(settings.format, output, package, files, true);
    }
    match write_atomically(output, files, force, &interrupt::requested) {
        Ok(()) => report.conversion(settings.format, output, package, files, false),
        Err(OutputError::Interrupted) => report.diagnostics(settings.format, Status::Interrupted),
        Err(OutputError::Io(message)) => report.failed(&message, settings.format),
    }
}
