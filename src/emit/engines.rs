//! The orchestrators a package can be exported to (`--export`). Each is a thin back end over
//! the same step plan: `flow.py` lists the steps as data, and one module per engine wires
//! them the engine's way, importing the step functions rather than copying them.

use std::path::Path;
use std::path::PathBuf;

use crate::named::Named;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Engine {
    Prefect,
    Airflow,
    Dagster,
    Kedro,
}

impl Named for Engine {
    const ALL: &'static [Engine] = &[
        Engine::Prefect,
        Engine::Airflow,
        Engine::Dagster,
        Engine::Kedro,
    ];

    /// The engine's name on the command line, its optional-dependency group, and the
    /// top-level module it installs (missing, the run stops with the `pip install` to type).
    fn name(self) -> &'static str {
        match self {
            Engine::Prefect => "prefect",
            Engine::Airflow => "airflow",
            Engine::Dagster => "dagster",
            Engine::Kedro => "kedro",
        }
    }

    fn help(self) -> &'static str {
        match self {
            Engine::Prefect => "A Prefect 3 flow (`prefect_flow.py`)",
            Engine::Airflow => "An Airflow 3 DAG (`airflow_dag.py`)",
            Engine::Dagster => "A Dagster job (`dagster_job.py`)",
            Engine::Kedro => "A Kedro pipeline (`kedro_pipeline.py`)",
        }
    }
}

impl Engine {
    /// The package module whose `run(**parameters)` runs the pipeline on the engine here.
    pub fn runner_module(self) -> &'static str {
        match self {
            Engine::Prefect => "prefect_flow",
            Engine::Airflow => "airflow_local",
            Engine::Dagster => "dagster_job",
            Engine::Kedro => "kedro_pipeline",
        }
    }

    /// The optional dependencies of the generated `pyproject.toml`: the engine, and what
    /// the export keeps values in files or hands them on with (cloudpickle, which `flow.py`
    /// may use too; fsspec for Airflow's store URL).
    pub fn requirements(self) -> &'static [&'static str] {
        match self {
            Engine::Prefect => &["prefect>=3,<4", "cloudpickle>=3"],
            Engine::Airflow => &["apache-airflow>=3,<4", "cloudpickle>=3", "fsspec"],
            Engine::Dagster => &["dagster>=1.9,<2", "cloudpickle>=3"],
            Engine::Kedro => &["kedro>=1,<2", "cloudpickle>=3"],
        }
    }

    /// (template, path) of every file the engine adds to the package folder `package`.
    pub fn files(self, package: &Path) -> Vec<(&'static str, PathBuf)> {
        match self {
            Engine::Prefect => vec![("engine_prefect", package.join("prefect_flow.py"))],
            Engine::Airflow => vec![
                ("engine_airflow", package.join("airflow_dag.py")),
                ("airflow_local", package.join("airflow_local.py")),
            ],
            Engine::Dagster => vec![("engine_dagster", package.join("dagster_job.py"))],
            Engine::Kedro => vec![
                ("engine_kedro", package.join("kedro_pipeline.py")),
                ("kedro_catalog", package.join("conf").join("catalog.yml")),
                (
                    "kedro_parameters",
                    package.join("conf").join("parameters.yml"),
                ),
            ],
        }
    }
}
