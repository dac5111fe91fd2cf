"""Runs a notebook top to bottom in a fresh Jupyter kernel for `nblift verify`.

Usage: python run_notebook.py NOTEBOOK CWD SUPPORT VALUES
    SUPPORT is the package's `_nblift.py`: a last cell, added here, loads it in the kernel
    and writes the fingerprints of the kernel's namespace to VALUES with the package's own
    code. Prints one JSON object: {"stdout", "results": [{cell, kind, text, mime}],
    "error": null | "the failing cell's error", "fingerprint_error": null | "…"}. Exit 0 when this script worked, even if the
    notebook failed; 2 when Jupyter is missing.
"""

import json
import os
import re
import sys

try:
    import nbclient
    import nbformat
    from nbclient.exceptions import CellExecutionError
except ImportError as missing:
    print(f"nbclient is missing ({missing}): pip install nbclient ipykernel", file=sys.stderr)
    raise SystemExit(2) from None

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

FINGERPRINT = """\
def _nblift_fingerprint():
    import importlib.util
    spec = importlib.util.spec_from_file_location("_nblift_support", {support!r})
    support = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(support)
    support.write_values({values!r}, dict(globals()))
_nblift_fingerprint()
del _nblift_fingerprint
"""


def main(notebook_path, cwd, support, values):
    with open(notebook_path, encoding="utf-8-sig") as file:
        notebook = nbformat.read(file, as_version=4)
    cells = len(notebook.cells)
    notebook.cells.append(
        nbformat.v4.new_code_cell(FINGERPRINT.format(support=support, values=values))
    )
    error = None
    # A kernel that dies while starting (a busy machine) is started again, twice at most.
    for _ in range(3):
        client = nbclient.NotebookClient(
            notebook, kernel_name="python3", timeout=600, resources={"metadata": {"path": cwd}}
        )
        try:
            client.execute()
            error = None
            break
        except CellExecutionError as failed:
            error = ANSI.sub("", str(failed))
            break
        except Exception as failed:  # noqa: BLE001 - a dead kernel, a timeout: all reported
            error = f"{type(failed).__name__}: {failed}"
            if "before replying to kernel_info" not in error:
                break
    # The last cell is ours: its failure is verify's, not the notebook's.
    ours = notebook.cells[-1].get("outputs", [])
    fingerprint_error = None
    if any(output.get("output_type") == "error" for output in ours):
        fingerprint_error, error = error, None
    ran = notebook.cells[:cells]
    stdout = "".join(
        "".join(output.get("text", ""))
        for cell in ran
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "stream" and output.get("name") == "stdout"
    )
    results = [
        {
            "cell": index,
            "kind": output["output_type"],
            "text": "".join(output.get("data", {}).get("text/plain", "")),
            "mime": sorted(output.get("data", {})),
        }
        for index, cell in enumerate(ran)
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") in ("execute_result", "display_data")
    ]
    print(
        json.dumps(
            {
                "stdout": stdout,
                "results": results,
                "error": error,
                "fingerprint_error": fingerprint_error,
            }
        )
    )


if __name__ == "__main__":
    main(*sys.argv[1:5])
