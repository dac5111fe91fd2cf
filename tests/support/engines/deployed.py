"""Runs a package's export as its engine deploys it, each step in a process of its own.

    python deployed.py ENGINE PACKAGE MODE [OVERRIDES_JSON]

ENGINE and MODE:
  dagster  multiprocess   `execute_job` of the reconstructable job on a persistent instance:
                          Dagster's multiprocess executor runs each op in a new process and
                          passes values through its pickle `fs_io_manager`.
  kedro    parallel       `ParallelRunner` with the values kept as files (`catalog(store=…)`).
  kedro    node-by-node   one new process per node, in page order, each a session of its
                          own on the same stored catalog (`python -m PACKAGE --engine kedro
                          --store DIR --node NAME`).
  prefect  process-pool   the flow with `ProcessPoolTaskRunner`: tasks run in worker
                          processes, none of them the flow's.
  airflow  task-by-task   one DAG run, made first (`airflow dags trigger`), then each task
                          in page order with `airflow tasks test` in a process of its own,
                          each with its own temporary folder and a fresh copy of the working
                          folder; the artifact store is an S3 bucket that moto's server
                          serves on 127.0.0.1, so no two tasks share a disk.

Prints what the steps print; the engines' own messages go to stderr.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile


def dagster(package: str, overrides: dict) -> None:
    import dagster as dg

    module = importlib.import_module(f"{package}.dagster_job")
    config = {"ops": {"notebook_parameters": {"config": overrides}}}
    with tempfile.TemporaryDirectory() as home:
        instance = dg.DagsterInstance.local_temp(home)
        result = dg.execute_job(
            dg.reconstructable(module.pipeline), instance=instance, run_config=config
        )
        # Every op in a process of its own: the run says which executor ran it.
        if not result.success:
            raise SystemExit(f"dagster run failed: {result.dagster_run.status}")


def kedro_parallel(package: str, overrides: dict) -> None:
    # First: the module points Kedro's logging at stderr before Kedro is imported.
    module = importlib.import_module(f"{package}.kedro_pipeline")
    from kedro.runner import ParallelRunner

    with tempfile.TemporaryDirectory() as store:
        ParallelRunner(max_workers=2).run(
            module.create_pipeline(), module.catalog(store, **overrides)
        )


def kedro_node_by_node(package: str, overrides: dict) -> None:
    module = importlib.import_module(f"{package}.kedro_pipeline")
    options = [text for name, value in overrides.items() for text in (f"--{name}", str(value))]
    with tempfile.TemporaryDirectory() as store:
        for node in module.create_pipeline().nodes:
            subprocess.run(
                [sys.executable, "-m", package, "--engine", "kedro", "--store", store]
                + ["--node", node.name, *options],
                check=True,
            )


def prefect(package: str, overrides: dict) -> None:
    from prefect.task_runners import ProcessPoolTaskRunner

    module = importlib.import_module(f"{package}.prefect_flow")
    runner = ProcessPoolTaskRunner(max_workers=2)
    module.pipeline.with_options(task_runner=runner)(**overrides)


def airflow_task_by_task(package: str, overrides: dict) -> None:
    import boto3
    from moto.server import ThreadedMotoServer

    # The server's request log would bury the engine's messages.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    home = tempfile.mkdtemp(prefix="airflow-home-")
    dag = importlib.util.find_spec(f"{package}.airflow_dag").origin
    # The store's credentials and address, for this process (the bucket) and the tasks.
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ENDPOINT_URL=f"http://{host}:{port}",
    )
    env = {
        **os.environ,
        f"{package.upper()}_ARTIFACTS": "s3://artifacts/runs",
        "AIRFLOW_HOME": home,
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
        "AIRFLOW__CORE__DAGS_FOLDER": dag,
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        # Its warnings (and the notebook's, which a kernel shows on stderr) are logged to stdout.
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "ERROR",
    }
    try:
        boto3.client("s3").create_bucket(Bucket="artifacts")
        run = "deployed"
        # The database, the DAG and its run are made here, in this process (Airflow's CLI
        # takes seconds to start): only the tasks need processes of their own.
        os.environ.update(env)
        from airflow.cli import cli_parser

        parser = cli_parser.get_parser()
        with contextlib.redirect_stdout(sys.stderr):
            for arguments in [
                ["db", "migrate"],
                ["dags", "reserialize"],
                ["dags", "trigger", package, "--run-id", run, "--conf", json.dumps(overrides)],
            ]:
                parsed = parser.parse_args(arguments)
                parsed.func(parsed)
        airflow = os.path.join(os.path.dirname(sys.executable), "airflow")
        tasks = ["notebook_parameters", *(t.name for t in _tasks(package)), "delete-run-values"]
        for task in tasks:
            with tempfile.TemporaryDirectory() as scratch:
                work = shutil.copytree(os.getcwd(), os.path.join(scratch, "work"))
                # A task's prints are its stdout.
                subprocess.run(
                    [airflow, "tasks", "test", package, task, run],
                    env={**env, "TMPDIR": scratch},
                    cwd=work,
                    check=True,
                )
        left = boto3.client("s3").list_objects_v2(
            Bucket="artifacts"
        )
        if left.get("KeyCount"):
            raise SystemExit(f"the run's values were not deleted: {left['Contents']}")
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)


def _tasks(package: str):
    return importlib.import_module(f"{package}.flow").TASKS


MODES = {
    ("dagster", "multiprocess"): dagster,
    ("kedro", "parallel"): kedro_parallel,
    ("kedro", "node-by-node"): kedro_node_by_node,
    ("prefect", "process-pool"): prefect,
    ("airflow", "task-by-task"): airflow_task_by_task,
}


def main() -> None:
    engine, package, mode = sys.argv[1:4]
    overrides = json.loads(sys.argv[4]) if len(sys.argv) > 4 else {}
    # Each process prints its lines as they come, so they interleave in page order.
    os.environ["PYTHONUNBUFFERED"] = "1"
    sys.stdout.reconfigure(line_buffering=True)
    MODES[(engine, mode)](package, overrides)


if __name__ == "__main__":
    main()
