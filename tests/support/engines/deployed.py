"""Runs a package's export as its engine deploys it, each step in a process of its own.

    python deployed.py ENGINE PACKAGE MODE [OVERRIDES_JSON]

ENGINE and MODE:
  dagster  multiprocess   `execute_job` of the reconstructable job on a persistent instance:
                          Dagster's multiprocess executor runs each op in a new process and
                          passes values through its pickle `fs_io_manager`.
  kedro    parallel       `ParallelRunner` with the values kept as files (`catalog(store=…)`).
  kedro    node-by-node   one new process per node, in page order, each a session of its
                          own on the same stored catalog.
  prefect  process-pool   the flow with `ProcessPoolTaskRunner`: tasks run in worker
                          processes, none of them the flow's.

Prints what the steps print; the engines' own messages go to stderr.
"""

from __future__ import annotations

import importlib
import json
import os
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
    with tempfile.TemporaryDirectory() as store:
        for node in module.create_pipeline().nodes:
            script = (
                "import sys, json, importlib\n"
                f"module = importlib.import_module({package + '.kedro_pipeline'!r})\n"
                "from kedro.runner import SequentialRunner\n"
                "store, name, overrides = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])\n"
                "pipeline = module.create_pipeline().only_nodes(name)\n"
                "SequentialRunner().run(pipeline, module.catalog(store, **overrides))\n"
            )
            subprocess.run(
                [sys.executable, "-c", script, store, node.name, json.dumps(overrides)],
                check=True,
            )


def prefect(package: str, overrides: dict) -> None:
    from prefect.task_runners import ProcessPoolTaskRunner

    module = importlib.import_module(f"{package}.prefect_flow")
    runner = ProcessPoolTaskRunner(max_workers=2)
    module.pipeline.with_options(task_runner=runner)(**overrides)


MODES = {
    ("dagster", "multiprocess"): dagster,
    ("kedro", "parallel"): kedro_parallel,
    ("kedro", "node-by-node"): kedro_node_by_node,
    ("prefect", "process-pool"): prefect,
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
