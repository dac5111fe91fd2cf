"""Runs a notebook top to bottom in a fresh Jupyter kernel for `nblift verify`.

Usage: python run_notebook.py NOTEBOOK CWD SUPPORT VALUES [TRACE_PLAN TRACE]
    SUPPORT is the package's `_nblift_verify.py`: a last cell, added here, loads it in the kernel
    and writes the fingerprints of the kernel's namespace to VALUES with the package's own
    code. TRACE_PLAN, a JSON list of {cell, names}, asks for the fingerprints of those names
    right after those cells, written to TRACE (see `--trace` in `_nblift_verify.py`); they are taken
    by code run outside the notebook's history, so execution counts, `Out` and `_` stay as
    in a plain run. Prints one JSON object: {"stdout", "results": [{cell, kind, text, mime}],
    "error": null | "the failing cell's error", "error_cell": null | its index,
    "cell_stdout": [[index, text]], "fingerprint_error": null | "…"}. Exit 0 when this script worked, even if the
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


TRACE = """\
def _nblift_trace():
    import sys
    support = sys.modules.get("_nblift_support")
    if support is None:
        import importlib.util
        spec = importlib.util.spec_from_file_location("_nblift_support", {support!r})
        support = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(support)
        sys.modules["_nblift_support"] = support
    support.{call}
_nblift_trace()
del _nblift_trace
"""


class TracingClient(nbclient.NotebookClient):
    """Runs, after some cells, code of its own that the kernel keeps out of its history."""

    after = {}

    async def async_execute_cell(self, cell, cell_index, execution_count=None, **options):
        cell = await super().async_execute_cell(cell, cell_index, execution_count, **options)
        code = self.after.get(cell_index)
        if code is not None:
            executed = self.code_cells_executed
            ours = nbformat.v4.new_code_cell(code)
            await super().async_execute_cell(ours, cell_index, store_history=False)
            # nbclient stores the cell it ran at its index: the notebook's cell, with the
            # outputs read from it below, goes back in its place.
            self.nb.cells[cell_index] = cell
            self.code_cells_executed = executed
            if any(output.get("output_type") == "error" for output in ours.outputs):
                raise RuntimeError("tracing failed: " + ANSI.sub("", str(ours.outputs)))
        return cell


def main(notebook_path, cwd, support, values, trace_plan=None, trace=None):
    with open(notebook_path, encoding="utf-8-sig") as file:
        notebook = nbformat.read(file, as_version=4)
    cells = len(notebook.cells)
    after = {}
    if trace_plan is not None:
        with open(trace_plan, encoding="utf-8") as file:
            for entry in json.load(file):
                call = f"trace_names({entry['cell']!r}, globals(), {entry['names']!r})"
                after[entry["cell"]] = TRACE.format(support=support, call=call)
        # The trace is written by the last cell, once the notebook has run.
        after[cells] = TRACE.format(support=support, call=f"write_trace({trace!r})")
    notebook.cells.append(
        nbformat.v4.new_code_cell(FINGERPRINT.format(support=support, values=values))
    )
    error = None
    # A kernel that dies while starting (a busy machine) is started again, twice at most.
    for _ in range(3):
        client = TracingClient(
            notebook, kernel_name="python3", timeout=600, resources={"metadata": {"path": cwd}}
        )
        client.after = after
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
    error_cell = next(
        (
            index
            for index, cell in enumerate(ran)
            if any(output.get("output_type") == "error" for output in cell.get("outputs", []))
        ),
        None,
    )
    # Each cell's own stdout, to find saved outputs a fresh run no longer prints.
    cell_stdout = [
        [index, text]
        for index, cell in enumerate(ran)
        if cell.cell_type == "code" and cell.source.strip()
        for text in [
            "".join(
                "".join(output.get("text", ""))
                for output in cell.get("outputs", [])
                if output.get("output_type") == "stream" and output.get("name") == "stdout"
            )
        ]
    ]
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
                "error_cell": error_cell,
                "cell_stdout": cell_stdout,
                "fingerprint_error": fingerprint_error,
            }
        )
    )


if __name__ == "__main__":
    main(*sys.argv[1:7])
