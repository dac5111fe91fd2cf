//! The command line on bad input and around the output folder: each case asserts the exit
//! code and the message, and that the notebook is left byte-identical.

mod support;

use std::fs;
use std::path::Path;

/// Converts `fixture` into a fresh folder; returns (exit code, stdout, stderr).
fn convert(fixture: &str, extra: &[&str]) -> (i32, String, String) {
    let notebook = support::fixtures().join(fixture);
    let before = fs::read(&notebook).unwrap();
    let out = tempfile::tempdir().unwrap();
    let output = support::nblift()
        .arg("convert")
        .arg(&notebook)
        .arg("-o")
        .arg(out.path().join("pkg"))
        .args(extra)
        .output()
        .unwrap();
    assert_eq!(
        fs::read(&notebook).unwrap(),
        before,
        "{fixture} was modified"
    );
    let (stdout, stderr) = support::text(&output);
    (output.status.code().unwrap(), stdout, stderr)
}

/// A refused notebook: exit 1, each expected line part in stderr, nothing written.
fn check_refused(fixture: &str, expected: &[&str]) {
    let (code, stdout, stderr) = convert(fixture, &[]);
    assert_eq!(code, 1, "{fixture}: exit code\n{stderr}");
    assert!(
        stdout.is_empty(),
        "{fixture}: nothing is written, nothing reported on stdout: {stdout}"
    );
    for part in expected {
        assert!(
            stderr.contains(part),
            "{fixture}: expected {part:?} in:\n{stderr}"
        );
    }
}

#[test]
fn invalid_json_is_located_by_line_and_column() {
    check_refused(
        "bad/invalid_json.ipynb",
        &["invalid_json.ipynb:5:9: error[NB001]: invalid notebook JSON: expected `:`"],
    );
}

#[test]
fn a_truncated_file_is_called_truncated() {
    check_refused(
        "bad/truncated.ipynb",
        &["truncated.ipynb:27:4: error[NB001]", "truncated?"],
    );
}

#[test]
fn missing_and_unsupported_nbformat_are_refused() {
    check_refused(
        "bad/missing_nbformat.ipynb",
        &["error[NB003]: the notebook has no `nbformat` version"],
    );
    check_refused(
        "bad/unsupported_nbformat.ipynb",
        &["error[NB003]: unsupported nbformat 5"],
    );
}

#[test]
fn an_r_kernel_is_refused() {
    check_refused(
        "bad/r_kernel.ipynb",
        &["error[NB004]: the notebook's kernel language is `R`, not Python"],
    );
}

#[test]
fn a_syntax_error_is_located_and_the_other_cells_are_still_analysed() {
    check_refused(
        "bad/syntax_error_cell.ipynb",
        &[
            "syntax_error_cell.ipynb:cell 3:1:12: error[NB201]: syntax error",
            "cell 4:1:7: error[NB302]: `undefined_name` is not defined",
        ],
    );
}

#[test]
fn use_before_definition_is_an_error_naming_both_cells() {
    check_refused(
        "bad/use_before_definition.ipynb",
        &[
            "cell 2:1:7: error[NB301]: `total` is used before it is defined (first defined in cell 3)",
            "help: ",
        ],
    );
}

#[test]
fn a_star_import_above_does_not_hide_a_use_before_definition() {
    check_refused(
        "bad/star_import_above_use_before_definition.ipynb",
        &[
            "cell 3:1:13: error[NB301]: `threshold` is used before it is defined (first defined in cell 4)",
        ],
    );
}

#[test]
fn a_literal_secret_is_a_warning_and_a_markup_token_is_not() {
    let (code, _, stderr) = convert("diagnostics/literal_api_key.ipynb", &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("cell 2:4:53: warning[NB505]: `api_key` is given a literal secret"),
        "{stderr}"
    );
    assert_eq!(stderr.matches("NB505").count(), 1, "{stderr}");
}

#[test]
fn how_the_exports_cut_tasks_is_said_only_when_there_are_exports() {
    let fixture = "engines/file_a_later_step_reads.ipynb";
    let note = "note[NB405]: step `write` writes `squares.csv` and step `read` reads it";
    let (code, _, plain) = convert(fixture, &[]);
    assert_eq!(code, 0, "{plain}");
    assert!(!plain.contains("NB405"), "{plain}");
    let (code, _, exported) = convert(fixture, &["--export", "kedro"]);
    assert_eq!(code, 0, "{exported}");
    assert!(exported.contains(note), "{exported}");
}

#[test]
fn python2_code_is_refused_as_python2() {
    check_refused(
        "bad/python2_print.ipynb",
        &["cell 2:1:1: error[NB202]: this cell is Python 2 code"],
    );
}

#[test]
fn json_format_reports_one_object() {
    let (code, stdout, _) = convert("bad/use_before_definition.ipynb", &["--format", "json"]);
    assert_eq!(code, 1);
    let report: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(report["status"], "refused");
    assert_eq!(report["diagnostics"][0]["code"], "NB301");
    assert_eq!(report["diagnostics"][0]["cell"], 2);
    assert_eq!(report["diagnostics"][0]["line"], 1);
    assert_eq!(report["diagnostics"][0]["column"], 7);
}

#[test]
fn warnings_do_not_stop_a_conversion() {
    let (code, stdout, stderr) = convert("diagnostics/star_import.ipynb", &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("warning[NB307]"), "{stderr}");
    assert!(stdout.contains("src/star_import/steps.py"), "{stdout}");
}

fn convert_into(output: &Path, extra: &[&str]) -> (i32, String) {
    let result = support::nblift()
        .arg("convert")
        .arg(support::fixtures().join("cells/sections.ipynb"))
        .arg("-o")
        .arg(output)
        .args(extra)
        .output()
        .unwrap();
    let (stdout, stderr) = support::text(&result);
    (result.status.code().unwrap(), format!("{stdout}{stderr}"))
}

#[test]
fn an_existing_output_is_kept_without_force_and_replaced_with_it() {
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("pkg");
    fs::create_dir(&target).unwrap();
    fs::write(target.join("mine.txt"), "keep me").unwrap();

    let (code, text) = convert_into(&target, &[]);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("already exists and is not empty; pass `--force`"),
        "{text}"
    );
    assert_eq!(
        fs::read_to_string(target.join("mine.txt")).unwrap(),
        "keep me"
    );

    let (code, text) = convert_into(&target, &["--force"]);
    assert_eq!(code, 0, "{text}");
    assert!(!target.join("mine.txt").exists());
    assert!(target.join("src/sections/steps.py").is_file());
    // Nothing is left behind in the parent but the package.
    let names: Vec<String> = fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["pkg".to_owned()]);
}

#[test]
fn an_output_that_is_a_file_is_refused() {
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("pkg");
    fs::write(&target, "a file").unwrap();
    let (code, text) = convert_into(&target, &["--force"]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("exists and is not a folder"), "{text}");
    assert_eq!(fs::read_to_string(&target).unwrap(), "a file");
}

#[test]
fn dry_run_lists_files_and_writes_nothing() {
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("pkg");
    let (code, text) = convert_into(&target, &["--dry-run"]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("would write package `sections`"), "{text}");
    assert!(text.contains("src/sections/pipeline.py"), "{text}");
    assert!(!target.exists());
}

#[test]
fn a_missing_notebook_and_a_bad_package_name_are_usage_errors() {
    let out = tempfile::tempdir().unwrap();
    let result = support::nblift()
        .args(["convert", "no/such.ipynb", "-o"])
        .arg(out.path().join("x"))
        .output()
        .unwrap();
    assert_eq!(result.status.code(), Some(2));
    assert!(
        support::text(&result)
            .1
            .contains("cannot read `no/such.ipynb`")
    );
    let (code, text) = convert_into(&out.path().join("y"), &["--name", "not-valid"]);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("`not-valid` is not a valid Python package name"),
        "{text}"
    );
}

#[test]
fn package_names_never_shadow_what_the_notebook_imports() {
    let out = tempfile::tempdir().unwrap();
    let notebook = out.path().join("json.ipynb");
    fs::copy(
        support::fixtures().join("imports/duplicate_imports_across_cells.ipynb"),
        &notebook,
    )
    .unwrap();
    let result = support::nblift()
        .arg("convert")
        .arg(&notebook)
        .arg("-o")
        .arg(out.path().join("o"))
        .output()
        .unwrap();
    let (stdout, stderr) = support::text(&result);
    assert!(
        stdout.contains("package `json_pipeline`"),
        "{stdout}{stderr}"
    );
}

#[test]
fn check_reports_without_writing() {
    let (code, _, stderr) = checked("bad/use_before_definition.ipynb");
    assert_eq!(code, Some(1));
    assert!(stderr.contains("error[NB301]"));
    let (code, _, _) = checked("cells/sections.ipynb");
    assert_eq!(code, Some(0));
}

#[test]
#[cfg_attr(
    not(feature = "test-python"),
    ignore = "runs Python: --features test-python"
)]
fn a_template_folder_replaces_built_in_templates_and_adds_files() {
    let templates = tempfile::tempdir().unwrap();
    let added = templates.path().join("src").join("{{package}}");
    fs::create_dir_all(&added).unwrap();
    fs::write(
        templates.path().join("README.md.hbs"),
        "# {{title}}, our way\n",
    )
    .unwrap();
    fs::write(
        added.join("list_steps.py.hbs"),
        "print([{{#each steps}}\"{{name}}\", {{/each}}])\n",
    )
    .unwrap();
    // `outputs` is given to user templates only (the built-in ones use `returned`).
    fs::write(
        added.join("list_outputs.py.hbs"),
        "print([{{#each outputs}}\"{{name}}\", {{/each}}])\n",
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let package = out.path().join("pkg");
    let status = support::nblift()
        .arg("convert")
        .arg(support::fixtures().join("example/sales_report.ipynb"))
        .arg("-o")
        .arg(&package)
        .arg("--template-dir")
        .arg(templates.path())
        .output()
        .unwrap();
    assert!(status.status.success(), "{:?}", support::text(&status));
    assert_eq!(
        fs::read_to_string(package.join("README.md")).unwrap(),
        "# Sales report, our way\n"
    );
    // The added module runs, and lists the steps the plain pipeline calls.
    let stdout = run_module(&package, "sales_report.list_steps");
    let pipeline = fs::read_to_string(package.join("src/sales_report/pipeline.py")).unwrap();
    let called: Vec<String> = pipeline
        .split("_steps.")
        .skip(1)
        .map(|rest| format!("'{}'", rest.split('(').next().unwrap()))
        .collect();
    assert_eq!(stdout.trim(), format!("[{}]", called.join(", ")));
    // The added module lists the names `run()` returns.
    let stdout = run_module(&package, "sales_report.list_outputs");
    let returned: Vec<String> = pipeline
        .split("return {")
        .nth(1)
        .unwrap()
        .lines()
        .filter_map(|line| line.trim().split_once(": "))
        .map(|(name, _)| name.replace('"', "'"))
        .collect();
    assert!(!returned.is_empty(), "{pipeline}");
    assert_eq!(stdout.trim(), format!("[{}]", returned.join(", ")));
}

/// The stdout of `python -m module` with the package's `src` on the path; it must succeed.
fn run_module(package: &std::path::Path, module: &str) -> String {
    let run = std::process::Command::new(support::python())
        .args(["-m", module])
        .env("PYTHONPATH", package.join("src"))
        .output()
        .unwrap();
    let (stdout, stderr) = support::text(&run);
    assert!(run.status.success(), "{stderr}");
    stdout
}

#[test]
fn an_invalid_template_is_named_with_exit_2() {
    let templates = tempfile::tempdir().unwrap();
    fs::write(templates.path().join("steps.py.hbs"), "{{#each steps}}").unwrap();
    let (code, stdout, stderr) = convert(
        "example/sales_report.ipynb",
        &["--template-dir", templates.path().to_str().unwrap()],
    );
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(stderr.contains("steps.py.hbs` is invalid"), "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
}

#[test]
fn a_file_one_step_writes_and_a_later_one_reads_is_noted_in_the_readme() {
    let out = tempfile::tempdir().unwrap();
    let package = out.path().join("pkg");
    let result = support::nblift()
        .arg("convert")
        .arg(support::fixtures().join("engines/file_written_then_read.ipynb"))
        .arg("-o")
        .arg(&package)
        .args(["--export", "kedro"])
        .output()
        .unwrap();
    assert!(result.status.success(), "{:?}", support::text(&result));
    let readme = fs::read_to_string(package.join("README.md")).unwrap();
    assert!(
        readme.contains("| `read` | `squares.csv` | `write` |"),
        "{readme}"
    );
    let catalog = fs::read_to_string(package.join("src/file_written_then_read/conf/catalog.yml"));
    assert!(catalog.unwrap().contains("#   squares.csv"));
}

#[test]
#[cfg_attr(
    not(feature = "test-python"),
    ignore = "runs Python: --features test-python"
)]
fn a_percent_script_converts_into_a_package_that_prints_what_the_script_prints() {
    let script = support::fixtures().join("formats/percent_script.py");
    let out = tempfile::tempdir().unwrap();
    let package = out.path().join("pkg");
    let converted = support::nblift()
        .arg("convert")
        .arg(&script)
        .arg("-o")
        .arg(&package)
        .output()
        .unwrap();
    assert!(
        converted.status.success(),
        "{:?}",
        support::text(&converted)
    );
    // Its markdown cells are headings: the steps are named after them.
    let steps = fs::read_to_string(package.join("src/percent_script/steps.py")).unwrap();
    assert!(
        steps.contains("def sales_by_product(") && steps.contains("def summary("),
        "{steps}"
    );
    let run = |args: &[&std::ffi::OsStr], pythonpath: &Path| {
        let output = std::process::Command::new(support::python())
            .args(args)
            .env("PYTHONPATH", pythonpath)
            .output()
            .unwrap();
        let (stdout, stderr) = support::text(&output);
        assert!(output.status.success(), "{stderr}");
        stdout
    };
    let from_package = run(
        &["-m".as_ref(), "percent_script".as_ref()],
        &package.join("src"),
    );
    let from_script = run(&[script.as_os_str()], out.path());
    assert!(from_script.contains("best"), "{from_script}");
    assert_eq!(from_package, from_script);
}

#[test]
fn a_percent_script_is_checked_and_drawn_with_the_file_lines() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("analysis.py");
    fs::write(
        &script,
        "# %%\nx = 1\n\n# %% [markdown]\n# Notes\n\n# %%\nprint(x, y)\n",
    )
    .unwrap();
    let output = support::nblift()
        .arg("check")
        .arg(&script)
        .output()
        .unwrap();
    let (_, stderr) = support::text(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    // `y` is on the file's line 8, column 10, in the third cell.
    let expected = format!("{}:cell 3:8:10: error[NB302]", script.display());
    assert!(stderr.contains(&expected), "{stderr}");
    // `graph` reads scripts too: `totals` flows from the first section to the second.
    let graph = support::nblift()
        .arg("graph")
        .arg(support::fixtures().join("formats/percent_script.py"))
        .output()
        .unwrap();
    let (stdout, _) = support::text(&graph);
    assert!(stdout.contains("-->|totals|"), "{stdout}");
}

#[test]
fn reproducibility_findings_are_located_and_a_name_error_guard_is_not_one() {
    let dir = tempfile::tempdir().unwrap();
    let notebook = dir.path().join("repro.ipynb");
    let cell = |source: &str, count: u32| {
        serde_json::json!({"cell_type": "code", "metadata": {}, "outputs": [],
                           "execution_count": count, "source": source})
    };
    let cells = serde_json::json!({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        cell("try:\n    x\nexcept NameError:\n    x = 1\nprint(x)", 1),
        cell("import numpy as np\nvalues = np.random.rand(3)", 2),
        cell("path = '/Users/ana/data.csv'\nwith open('missing.csv') as fh:\n    text = fh.read()", 6),
    ]});
    fs::write(&notebook, cells.to_string()).unwrap();
    let output = support::nblift()
        .arg("check")
        .arg(&notebook)
        .output()
        .unwrap();
    let (_, stderr) = support::text(&output);
    // Warnings and notes only: the check succeeds.
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let at = |place: &str, code: &str| format!("{}:{place}: {code}", notebook.display());
    for expected in [
        at(
            "cell 2:2:10",
            "warning[NB501]: `np.random.rand` draws random numbers without a seed",
        ),
        at(
            "cell 3:1:1",
            "note[NB504]: execution count jumps from 2 to 6",
        ),
        at(
            "cell 3:1:9",
            "warning[NB502]: `/Users/ana/data.csv` is a path on the author's machine",
        ),
        at(
            "cell 3:2:12",
            "warning[NB503]: `missing.csv` is read but does not exist",
        ),
    ] {
        assert!(
            stderr.contains(&expected),
            "expected {expected:?} in:\n{stderr}"
        );
    }
    assert!(
        !stderr.contains("NB30"),
        "the guarded `x` is no finding:\n{stderr}"
    );
}

/// The fixture converted into a new folder, which must succeed.
fn converted(fixture: &str) -> tempfile::TempDir {
    let out = tempfile::tempdir().unwrap();
    let output = support::nblift()
        .arg("convert")
        .arg(support::fixtures().join(fixture))
        .arg("-o")
        .arg(out.path())
        .arg("--force")
        .output()
        .unwrap();
    assert!(output.status.success(), "{fixture}: {output:?}");
    out
}

/// `nblift check` on the fixture: (exit code, stdout, stderr).
fn checked(fixture: &str) -> (Option<i32>, String, String) {
    let output = support::nblift()
        .arg("check")
        .arg(support::fixtures().join(fixture))
        .output()
        .unwrap();
    let (stdout, stderr) = support::text(&output);
    (output.status.code(), stdout, stderr)
}

#[test]
fn basemap_is_a_dependency_of_its_own_beside_matplotlib() {
    let out = converted("static/basemap_from_mpl_toolkits.ipynb");
    let pyproject = fs::read_to_string(out.path().join("pyproject.toml")).unwrap();
    assert!(
        pyproject.contains("dependencies = [\n    \"basemap\",\n    \"matplotlib\",\n]"),
        "{pyproject}"
    );
}

#[test]
fn a_cell_tagged_pipeline_parameters_gives_the_pipeline_its_parameters() {
    let out = converted("params/kale_pipeline_parameters.ipynb");
    let pipeline =
        fs::read_to_string(out.path().join("src/kale_pipeline_parameters/pipeline.py")).unwrap();
    assert!(
        pipeline.contains("def run(*, threshold: float = 0.5, label: str = \"scores\")"),
        "{pipeline}"
    );
}

#[test]
fn the_generated_readme_lists_the_notebooks_known_problems() {
    for (fixture, package, expected) in [
        ("diagnostics/star_import.ipynb", "star_import", "[NB307]"),
        (
            "diagnostics/shadowed_builtin.ipynb",
            "shadowed_builtin",
            "[NB306]",
        ),
    ] {
        let (_, _, checked) = checked(fixture);
        // The README says what `check` says, where `check` says it.
        let line = checked
            .lines()
            .find(|l| l.contains(expected))
            .unwrap_or_else(|| panic!("{fixture}: {checked}"));
        let (place, message) = line.split_once(&format!(": warning{expected}: ")).unwrap();
        let mut parts = place.rsplit(':');
        let (_column, line_number, cell) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        );
        let out = converted(fixture);
        let readme = fs::read_to_string(out.path().join("README.md")).unwrap();
        let code = &expected[1..expected.len() - 1];
        let item = format!("- {cell}, line {line_number}: {message} ({code})");
        assert!(
            readme.contains("## Known problems of the notebook"),
            "{readme}"
        );
        assert!(readme.contains(&item), "{package}: {item}\n{readme}");
    }
}

#[test]
fn kale_tags_name_steps_and_a_skip_cell_is_left_out_with_a_note() {
    let (code, stdout, stderr) =
        convert("split/kale_block_and_skip_tags.ipynb", &["--split", "tags"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains(
            "cell 3:1:1: note[NB403]: the cell is tagged `skip` (Kale): `--split tags` leaves it out of the package"
        ),
        "{stderr}"
    );
    assert!(stdout.contains("steps.py"), "{stdout}");
    // Under another split the cell is the notebook's like any other.
    let (code, _, stderr) = convert("split/kale_block_and_skip_tags.ipynb", &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("NB403"), "{stderr}");
}

#[test]
fn a_walrus_in_a_dict_set_fstring_or_dict_key_binds_a_local() {
    let (code, stdout, stderr) = checked("scoping/walrus_in_displays.ipynb");
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(
        !stderr.contains("NB308") && !stdout.contains("NB308"),
        "{stderr}"
    );
}

#[test]
fn a_diagnostic_in_a_dedented_cell_names_the_column_as_written() {
    let (code, stdout, stderr) = checked("bad/dedented_cell_column.ipynb");
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(
        stderr.contains("dedented_cell_column.ipynb:cell 2:2:11: error[NB302]"),
        "{stderr}"
    );
}
