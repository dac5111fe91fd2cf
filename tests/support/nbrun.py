"""Run Jupyter notebooks top to bottom in fresh kernels, for nblift's equivalence tests.

Usage:
    python nbrun.py JOBS.json
        JOBS.json is a JSON list of jobs:
            {"notebook": PATH, "cwd": DIR, "params": {"name": "python literal source", ...}}
        ("params" is optional). Prints a JSON list to stdout, one result per job, in order:
            {"notebook": PATH, "stdout": "...", "results": [{cell, kind, text, mime}, ...],
             "error": null | "error text (first 2000 chars, colours stripped)"}
        Exit 0 when this script worked, even if some notebooks failed; 2 on usage errors.

    python nbrun.py --one NOTEBOOK CWD
        Runs one notebook and prints its raw stdout text. Exit 1 if it errored (error on stderr).

Each notebook runs in its own fresh "python3" kernel via nbclient (timeout 60 s per cell,
MPLBACKEND=Agg), with the working directory CWD. "stdout" is the text of every stdout
stream output of every code cell, concatenated in order (also when a later cell failed).
Params follow papermill: one cell of `name = <source>` lines is inserted right after the
first cell tagged "parameters", or at the top when there is none. Jobs run in a pool of
min(2, len(jobs)) worker processes; one failing notebook never stops the others.
"""

import json
import os
import re
import sys
from concurrent.futures import ProcessPoolExecutor

import nbclient
import nbformat
from nbclient.exceptions import CellExecutionError

os.environ["MPLBACKEND"] = "Agg"  # inherited by the kernels started below
# Quiets debugpy's start-up note on stderr.
os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")

ERROR_CHARS = 2000
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")  # colour codes in tracebacks


def inject_params(nb, params):
    """Insert a code cell assigning each param, papermill style."""
    source = "\n".join(f"{name} = {value}" for name, value in params.items())
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"]})
    index = next(
        (
            i + 1
            for i, c in enumerate(nb.cells)
            if "parameters" in c.get("metadata", {}).get("tags", [])
        ),
        0,
    )
    nb.cells.insert(index, cell)


def collected_stdout(nb):
    return "".join(
        "".join(out.get("text", ""))
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "stream" and out.get("name") == "stdout"
    )


def collected_results(nb):
    """What the cells showed besides stdout, as the corpus records it: {cell, kind, text, mime}."""
    return [
        {
            "cell": index,
            "kind": out["output_type"],
            "text": "".join(out.get("data", {}).get("text/plain", "")),
            "mime": sorted(out.get("data", {})),
        }
        for index, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") in ("execute_result", "display_data")
    ]


# A kernel that dies while starting (a busy machine) is not the notebook's failure: the job
# runs again, at most this many times in all.
ATTEMPTS = 3
STARTUP_FAILURES = ("Kernel died before replying to kernel_info", "Kernel didn't respond")


def run_job(job):
    """Run one job; never raises. Returns {"notebook", "stdout", "results", "error"}."""
    for attempt in range(1, ATTEMPTS + 1):
        result = run_once(job)
        error = result["error"] or ""
        if attempt == ATTEMPTS or not any(failure in error for failure in STARTUP_FAILURES):
            return result
    return result


def run_once(job):
    """One run of a job in a fresh kernel."""
    path = job.get("notebook")
    nb = None
    error = None
    try:
        # `utf-8-sig`: a notebook saved with a byte order mark reads as nblift reads it.
        with open(path, encoding="utf-8-sig") as f:
            nb = nbformat.read(f, as_version=4)
        if job.get("params"):
            inject_params(nb, job["params"])
        client = nbclient.NotebookClient(
            nb,
            kernel_name="python3",
            timeout=60,
            resources={"metadata": {"path": job.get("cwd") or "."}},
            allow_errors=False,
        )
        client.execute()
    except Exception as exc:  # noqa: BLE001 - cell errors, timeouts, dead kernels, bad files: all reported
        text = (
            str(exc)
            if isinstance(exc, CellExecutionError)
            else f"{type(exc).__name__}: {exc}"
        )
        error = ANSI.sub("", text)[:ERROR_CHARS]
    return {
        "notebook": path,
        "stdout": collected_stdout(nb) if nb is not None else "",
        "results": collected_results(nb) if nb is not None else [],
        "error": error,
    }


def usage(message):
    print(f"nbrun.py: {message}\n{__doc__}", file=sys.stderr)
    return 2


def load_jobs(jobs_path):
    with open(jobs_path, encoding="utf-8") as f:
        jobs = json.load(f)
    if not isinstance(jobs, list):
        raise TypeError("JOBS.json must hold a JSON list")
    for job in jobs:
        if (
            not isinstance(job, dict)
            or not isinstance(job.get("notebook"), str)
            or not isinstance(job.get("cwd"), str)
        ):
            raise TypeError(f'each job needs string "notebook" and "cwd": {job!r}')
        params = job.get("params")
        if params is not None and not (
            isinstance(params, dict)
            and all(isinstance(v, str) for v in params.values())
        ):
            raise TypeError(
                f'"params" must map names to Python source strings: {job!r}'
            )
    return jobs


def main(argv):
    if len(argv) == 3 and argv[0] == "--one":
        result = run_job({"notebook": argv[1], "cwd": argv[2]})
        sys.stdout.write(result["stdout"])
        if result["error"]:
            print(result["error"], file=sys.stderr)
            return 1
        return 0
    if len(argv) != 1 or argv[0].startswith("-"):
        return usage("expected JOBS.json, or --one NOTEBOOK CWD")
    try:
        jobs = load_jobs(argv[0])
    except (OSError, ValueError, TypeError) as exc:
        return usage(str(exc))

    # Keep our stdout for the JSON alone: workers and kernels get stderr as their fd 1.
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    sys.stdout.flush()
    os.dup2(2, 1)
    results = []
    if jobs:
        with ProcessPoolExecutor(max_workers=min(2, len(jobs))) as pool:
            futures = [pool.submit(run_job, job) for job in jobs]
            for job, future in zip(jobs, futures):
                try:
                    results.append(future.result())
                except Exception as exc:  # noqa: BLE001 - a worker process died
                    results.append(
                        {
                            "notebook": job["notebook"],
                            "stdout": "",
                            "error": f"{type(exc).__name__}: {exc}"[:ERROR_CHARS],
                        }
                    )
    json.dump(results, out)
    out.write("\n")
    out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
