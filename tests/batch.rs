//! Several notebooks at once (`convert DIR…`, `check DIR…`) and `graph`: what is found, where
//! each package goes, what is printed, and the exit code, which is the worst outcome.

mod support;

use std::fs;
use std::path::Path;

/// A folder of notebooks copied from the fixtures: `(path in the folder, fixture)`.
fn folder_of(notebooks: &[(&str, &str)]) -> tempfile::TempDir {
    let folder = tempfile::tempdir().unwrap();
    for (path, fixture) in notebooks {
        let target = folder.path().join(path);
        fs::create_dir_all(target.parent().unwrap()).unwrap();
        fs::copy(support::fixtures().join(fixture), target).unwrap();
    }
    folder
}

fn run(args: &[&str], inputs: &[&Path], output: Option<&Path>) -> (i32, String, String) {
    let mut command = support::nblift();
    command.args(args).args(inputs);
    if let Some(output) = output {
        command.arg("-o").arg(output);
    }
    let result = command.output().unwrap();
    let (stdout, stderr) = support::text(&result);
    (result.status.code().unwrap(), stdout, stderr)
}

const EXAMPLE: &str = "example/sales_report.ipynb";
const REFUSED: &str = "bad/use_before_definition.ipynb";

#[test]
fn a_folder_converts_into_one_package_per_notebook_skipping_hidden_folders() {
    let inputs = folder_of(&[
        ("report.ipynb", EXAMPLE),
        // The same file name twice: the second package gets a suffix.
        ("archive/report.ipynb", EXAMPLE),
        ("broken.ipynb", REFUSED),
        (".ipynb_checkpoints/report-checkpoint.ipynb", EXAMPLE),
        (".hidden/other.ipynb", EXAMPLE),
    ]);
    let before: Vec<Vec<u8>> = support::notebooks_under(inputs.path())
        .iter()
        .map(|p| fs::read(p).unwrap())
        .collect();
    let out = tempfile::tempdir().unwrap();
    let output = out.path().join("packages");
    let (code, _, stderr) = run(&["convert"], &[inputs.path()], Some(&output));

    assert_eq!(code, 1, "a refusal makes the batch exit 1:\n{stderr}");
    let mut packages: Vec<String> = fs::read_dir(&output)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    packages.sort();
    assert_eq!(packages, ["report", "report_2"]);
    for package in &packages {
        let module = output.join(package).join("src").join(package);
        assert!(module.join("steps.py").is_file(), "{package} is complete");
        assert!(
            module.join("__main__.py").is_file(),
            "{package} is complete"
        );
    }
    assert!(
        stderr.contains("broken.ipynb:cell 2:1:7: error[NB301]"),
        "the refusal is shown with its location:\n{stderr}"
    );
    assert!(
        stderr.contains("3 notebooks: 2 converted, 1 refused (NB301 ×1)"),
        "the summary counts outcomes and reasons:\n{stderr}"
    );
    let after: Vec<Vec<u8>> = support::notebooks_under(inputs.path())
        .iter()
        .map(|p| fs::read(p).unwrap())
        .collect();
    assert_eq!(before, after, "the notebooks are left as they were");
}

#[test]
fn json_gives_one_object_per_notebook() {
    let inputs = folder_of(&[("a.ipynb", EXAMPLE), ("b.ipynb", REFUSED)]);
    let out = tempfile::tempdir().unwrap();
    let (code, stdout, _) = run(
        &["convert", "--format", "json"],
        &[inputs.path()],
        Some(&out.path().join("o")),
    );
    assert_eq!(code, 1);
    let reports: Vec<serde_json::Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let statuses: Vec<(&str, &str)> = reports
        .iter()
        .map(|r| {
            let notebook = r["notebook"].as_str().unwrap();
            let name = notebook.rsplit('/').next().unwrap();
            (name, r["status"].as_str().unwrap())
        })
        .collect();
    assert_eq!(statuses, [("a.ipynb", "converted"), ("b.ipynb", "refused")]);
    assert_eq!(reports[1]["diagnostics"][0]["code"], "NB301");
}

#[test]
fn existing_packages_are_kept_without_force_and_the_worst_outcome_is_the_exit_code() {
    let inputs = folder_of(&[("a.ipynb", EXAMPLE), ("b.ipynb", EXAMPLE)]);
    let out = tempfile::tempdir().unwrap();
    let output = out.path().join("o");
    assert_eq!(run(&["convert"], &[inputs.path()], Some(&output)).0, 0);
    let marker = output.join("a").join("mine.txt");
    fs::write(&marker, "kept").unwrap();

    let (code, _, stderr) = run(&["convert"], &[inputs.path()], Some(&output));
    assert_eq!(code, 2, "an existing package is a failure without --force");
    assert!(stderr.contains("pass `--force`"), "{stderr}");
    assert!(marker.is_file(), "nothing is overwritten without --force");

    let (code, _, _) = run(&["convert", "--force"], &[inputs.path()], Some(&output));
    assert_eq!(code, 0);
    assert!(!marker.exists(), "--force replaces the package");
}

#[test]
fn several_notebooks_named_one_by_one_are_a_batch_and_name_is_refused() {
    let inputs = folder_of(&[("a.ipynb", EXAMPLE), ("b.ipynb", EXAMPLE)]);
    let a = inputs.path().join("a.ipynb");
    let b = inputs.path().join("b.ipynb");
    let out = tempfile::tempdir().unwrap();
    let (code, _, _) = run(&["convert"], &[&a, &b], Some(out.path()));
    assert_eq!(code, 0);
    assert!(out.path().join("a/src/a/steps.py").is_file());
    assert!(out.path().join("b/src/b/steps.py").is_file());

    let (code, _, stderr) = run(&["convert", "--name", "x"], &[&a, &b], Some(out.path()));
    assert_eq!(code, 2);
    assert!(stderr.contains("`--name` names one package"), "{stderr}");
}

#[test]
fn check_walks_folders_and_fails_on_errors() {
    let clean = folder_of(&[("one.ipynb", EXAMPLE), ("sub/two.ipynb", EXAMPLE)]);
    let (code, stdout, stderr) = run(&["check"], &[clean.path()], None);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.is_empty(),
        "check writes nothing on stdout: {stdout}"
    );
    assert!(stderr.contains("2 notebooks: 2 clean"), "{stderr}");
    assert_eq!(
        fs::read_dir(clean.path()).unwrap().count(),
        2,
        "check writes nothing"
    );

    let mixed = folder_of(&[("one.ipynb", EXAMPLE), ("two.ipynb", REFUSED)]);
    let (code, _, stderr) = run(&["check"], &[mixed.path()], None);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("two.ipynb:cell 2:1:7: error[NB301]"),
        "{stderr}"
    );
    assert!(
        stderr.contains("2 notebooks: 1 clean, 1 with errors (NB301 ×1)"),
        "{stderr}"
    );
}

#[test]
fn graph_draws_the_steps_and_the_names_they_hand_on() {
    let notebook = support::fixtures().join(EXAMPLE);
    // The example's sections: `load` reads the rows, `clean` filters them with `min_units`,
    // `summarise` totals them and `report` prints the top `top_n`.
    let (code, mermaid, _) = run(&["graph"], &[&notebook], None);
    assert_eq!(code, 0);
    assert!(mermaid.starts_with("flowchart TD\n"), "{mermaid}");
    for line in [
        "step_load[load]",
        "step_load -->|rows| step_clean",
        "step_clean -->|rows| step_summarise",
        "step_summarise -->|totals| step_report",
        "parameters -->|min_units| step_clean",
    ] {
        assert!(mermaid.contains(line), "{line} in:\n{mermaid}");
    }

    let (code, dot, _) = run(&["graph", "--format", "dot"], &[&notebook], None);
    assert_eq!(code, 0);
    assert!(dot.starts_with("digraph {"), "{dot}");
    assert!(dot.contains("[ label = \"summarise\" ]"), "{dot}");
    assert!(dot.contains("[ label = \"totals\" ]"), "{dot}");

    let (code, _, stderr) = run(&["graph"], &[&support::fixtures().join(REFUSED)], None);
    assert_eq!(code, 1, "no graph for a refused notebook");
    assert!(stderr.contains("error[NB301]"), "{stderr}");
}

#[test]
fn a_folder_without_notebooks_is_a_usage_failure() {
    let empty = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run(&["convert"], &[empty.path()], Some(&out.path().join("o")));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("error: no notebook found in"), "{stderr}");
    let (code, _, _) = run(&["check"], &[empty.path()], None);
    assert_eq!(code, 2);
}

#[test]
fn an_output_that_is_a_file_fails_every_notebook_and_writes_nothing() {
    let inputs = folder_of(&[("a.ipynb", EXAMPLE), ("b.ipynb", EXAMPLE)]);
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("o");
    fs::write(&file, "not a folder").unwrap();
    let (code, _, stderr) = run(&["convert"], &[inputs.path()], Some(&file));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("2 notebooks: 2 failed"), "{stderr}");
    assert_eq!(fs::read_to_string(&file).unwrap(), "not a folder");
}
