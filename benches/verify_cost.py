"""What `nblift verify` costs beyond the two runs it compares.

Usage:
    python3 benches/verify_cost.py [--nblift PATH] [--python PY] [--runs N]

Two notebooks are written to a scratch folder and converted: one of 20 small cells, and one
holding a DataFrame of 1,000,000 rows. For each, best of N runs:

- the notebook alone in a fresh kernel (nbclient), and the package alone (`python -m PKG`);
- the package with `--values FILE` (the fingerprints of its final values) and `--results`;
- `nblift verify`, which runs the notebook (and fingerprints its namespace) beside the
  package, then compares.

The overhead is verify's wall time minus the longer of the two plain runs (they run side by
side). PY needs nbclient, ipykernel, pandas and numpy: the test suite's venv
(target/nblift-venv) has them. Standard library only; the report goes to stdout.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def notebook(cells):
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "language": "python"}},
        "cells": [
            {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
             "source": source}
            for source in cells
        ],
    }


TWENTY_CELLS = [f"value_{i} = {i} * 3\nprint('cell', {i}, value_{i})" for i in range(19)] + [
    "total = sum(value_0 + i for i in range(10))\nprint(total)"
]
MILLION_ROWS = [
    "import numpy as np\nimport pandas as pd",
    "rows = 1_000_000\nframe = pd.DataFrame({'a': np.arange(rows), 'b': np.arange(rows) * 0.5,"
    " 'c': np.arange(rows) % 7})",
    "frame['d'] = frame['a'] + frame['c']\nprint(frame.shape, int(frame['d'].sum()))",
]

KERNEL = """
import sys, nbclient, nbformat
nb = nbformat.read(sys.argv[1], as_version=4)
nbclient.NotebookClient(nb, kernel_name="python3").execute()
"""


def best(runs, command, **options):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, **options)
        times.append(time.perf_counter() - start)
        if done.returncode not in (0,):
            sys.exit(f"{' '.join(map(str, command))} failed:\n{done.stdout}{done.stderr}")
    return min(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--nblift", default=str(ROOT / "target/release/nblift"))
    parser.add_argument("--python", default=str(ROOT / "target/nblift-venv/bin/python"))
    parser.add_argument("--runs", type=int, default=3)
    arguments = parser.parse_args()
    python, nblift = arguments.python, arguments.nblift
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for name, cells in (("twenty_cells", TWENTY_CELLS), ("million_rows", MILLION_ROWS)):
            folder = Path(scratch) / name
            folder.mkdir()
            path = folder / f"{name}.ipynb"
            path.write_text(json.dumps(notebook(cells)))
            out = Path(scratch) / f"{name}-package"
            subprocess.run([nblift, "convert", path, "-o", out, "--force"], check=True,
                           capture_output=True)
            env = {**os.environ, "PYTHONPATH": str(out / "src"), "MPLBACKEND": "Agg"}
            kernel = best(arguments.runs, [python, "-c", KERNEL, path], cwd=folder)
            package = best(arguments.runs, [python, "-m", name], cwd=folder, env=env)
            values = Path(scratch) / "values.json"
            results = Path(scratch) / "results.json"
            fingerprinted = best(
                arguments.runs,
                [python, "-m", name, "--values", values, "--results", results],
                cwd=folder,
                env=env,
            )
            verify = best(arguments.runs, [nblift, "verify", path, out, "--python", python])
            rows.append((name, kernel, package, fingerprinted, verify))
            print(f"{name}: done", file=sys.stderr)
    print("| notebook | kernel run | package run | package with --values | nblift verify |"
          " overhead |")
    print("|---|---|---|---|---|---|")
    for name, kernel, package, fingerprinted, verify in rows:
        overhead = verify - max(kernel, package)
        print(f"| {name} | {kernel:.2f} s | {package:.2f} s | {fingerprinted:.2f} s |"
              f" {verify:.2f} s | {overhead:+.2f} s |")


if __name__ == "__main__":
    main()
