"""Time nblift against soorgeon and nbconvert on real notebooks, and on synthetic ones.

Usage:
    python3 benches/compare.py [--sample N] [--nblift PATH] [--skip-soorgeon]
                               [--skip-cargo] [--sizes 100,1000,10000,100000]

Four measurements, written as a markdown report to stdout and target/bench-report.md:

0. `cargo bench --bench convert` (after `cargo build --release`): every corpus notebook
   converted in process, stage by stage, against the floor of reading, JSON-parsing and
   Python-parsing it.
1. Per notebook of ../shared/corpus (python kernel or none, parsed by Python 3.11), one
   process run each of `nblift convert`, `soorgeon refactor` and `jupyter nbconvert
   --to script`, each in a fresh scratch folder holding a copy of the notebook, since
   soorgeon and nbconvert write beside it and the corpus must stay untouched. Times
   include process start-up; nblift's in-process figures come from `cargo bench`.
2. The whole corpus folder converted by one `nblift convert DIR` (batch mode), best and
   median of three runs.
3. Synthetic notebooks of growing size: time and the child's peak RSS, to show that
   nblift grows linearly.

soorgeon and nbconvert come from a venv in target/bench-venv, made from
benches/requirements.txt on first use and remade when that file changes. Progress goes
to stderr. Standard library only, so the script runs before the venv exists.
"""

import argparse
import csv
import hashlib
import json
import math
import os
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"
REQUIREMENTS = REPO / "benches" / "requirements.txt"
VENV = REPO / "target" / "bench-venv"
VENV_MARKER = VENV / "requirements.sha256"
REPORT = REPO / "target" / "bench-report.md"

DEFAULT_SIZES = (100, 1_000, 10_000, 100_000)
TOOL_TIMEOUT_SECONDS = 60
BATCH_RUNS = 3
BATCH_TIMEOUT_SECONDS = 600
SYNTHETIC_RUNS = 3
SYNTHETIC_SPLITS = ("sections", "cells")  # the default split first
SLOWEST_SHOWN = 5
# Enough of a run's output to see its error, without holding every log in memory.
OUTPUT_TAIL_CHARS = 4000

# soorgeon (through ploomber-core) checks PyPI for a newer version and sends telemetry
# on every run: network round trips that would be timed as conversion work.
TOOL_ENVIRONMENT = os.environ | {
    "PLOOMBER_STATS_ENABLED": "false",
    "PLOOMBER_VERSION_CHECK_DISABLED": "1",
    "PLOOMBER_HOME_DIR": str(VENV / "ploomber-home"),
}

# soorgeon's refusals as (text in its output, reason), most specific first; the texts
# come from soorgeon's own error messages.
SOORGEON_FAILURES = (
    ("Only H1 headings are found", "only `#` headings, and it splits on `##`"),
    ("at least one markdown H2 heading", "no `##` heading to split on"),
    ("Star imports are not supported", "a star import"),
    ("using global variables", "a function reads a global variable"),
    ("could not find an earlier section", "a section reads a name no earlier one sets"),
    ("due to invalid syntax", "a syntax error (IPython syntax it does not translate)"),
    ("undefined name", "pyflakes finds an undefined name"),
    ("executes from top-to-bottom", "pyflakes finds another error"),
)


@dataclass(frozen=True)
class Notebook:
    path: Path
    code_cells: int


@dataclass(frozen=True)
class Run:
    seconds: float
    # The exit code, negative for a signal; None when the run timed out.
    status: int | None
    # The tail of stdout and stderr, to explain failures.
    output: str
    # CPU seconds, summed over the child's threads.
    user_seconds: float
    system_seconds: float


@dataclass(frozen=True)
class Tool:
    name: str
    # Given the notebook's copy and the scratch folder holding it, the command to time.
    command: Callable[[Path, Path], list[str]]


@dataclass(frozen=True)
class Measurement:
    seconds: float
    status: int
    peak_kib: int  # ru_maxrss of the child, which Linux reports in KiB


def main() -> int:
    args = parse_args()
    if args.skip_cargo and not args.nblift.is_file():
        sys.exit(f"error: no nblift binary at `{args.nblift}`")
    started = time.perf_counter()
    load_at_start = os.getloadavg()
    # First, while nothing else runs: the in-process figures, which also build the binary.
    in_process = [] if args.skip_cargo else cargo_bench()
    ensure_venv()

    eligible = select_notebooks()
    notebooks = evenly_spaced(eligible, args.sample or len(eligible))
    tools = comparison_tools(args.nblift, with_soorgeon=not args.skip_soorgeon)
    runs = compare_tools(notebooks, tools)
    batch = time_batch(args.nblift)
    synthetic = measure_synthetic(args.nblift, args.sizes)

    header = report_header(
        args.nblift, tools, (len(notebooks), len(eligible)), load_at_start, started
    )
    report = "\n".join(
        header
        + in_process
        + comparison_section(notebooks, runs)
        + batch_section(batch)
        + synthetic_section(synthetic)
        + targets_section(batch, synthetic)
    )
    REPORT.write_text(report + "\n")
    print(report)
    progress(f"report written to {REPORT}")
    return 0


def cargo_bench() -> list[str]:
    """`cargo bench` (benches/convert.rs): per notebook in-process times against the parse
    floor, as a report section. It builds the release binary the rest of the run times."""
    progress("cargo build --release && cargo bench --bench convert")
    subprocess.run(["cargo", "build", "--release"], cwd=REPO, check=True)
    bench = subprocess.run(
        ["cargo", "bench", "--bench", "convert"],
        cwd=REPO,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return [
        "",
        "## In process (`cargo bench --bench convert`)",
        "",
        bench.stdout.strip(),
    ]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sample",
        type=positive_int,
        metavar="N",
        help="time an evenly spaced sample of N notebooks (default: all eligible)",
    )
    parser.add_argument(
        "--nblift",
        type=Path,
        metavar="PATH",
        default=REPO / "target" / "release" / "nblift",
        help="the nblift binary to time (default: target/release/nblift)",
    )
    parser.add_argument(
        "--skip-soorgeon", action="store_true", help="time nblift and nbconvert only"
    )
    parser.add_argument(
        "--skip-cargo",
        action="store_true",
        help="neither build the release binary nor run `cargo bench` (in-process figures)",
    )
    parser.add_argument(
        "--sizes",
        type=size_list,
        metavar="N,N,...",
        default=DEFAULT_SIZES,
        help="code cells of each synthetic notebook, comma-separated",
    )
    return parser.parse_args()


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def size_list(text: str) -> tuple[int, ...]:
    return tuple(positive_int(part) for part in text.split(","))


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- the venv ---------------------------------------------------------------------


def ensure_venv() -> None:
    """Make target/bench-venv from benches/requirements.txt unless it is current."""
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if VENV_MARKER.is_file() and VENV_MARKER.read_text() == wanted:
        return
    progress(f"installing {REQUIREMENTS} into {VENV}")
    # --clear drops packages that an older requirements file installed.
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
    pip = [venv_tool("python"), "-m", "pip", "--disable-pip-version-check"]
    # pip's output goes to stderr so that stdout holds only the report.
    install = [*pip, "install", "-q", "-r", str(REQUIREMENTS)]
    subprocess.run(install, check=True, stdout=sys.stderr)
    VENV_MARKER.write_text(wanted)


def venv_tool(name: str) -> str:
    return str(VENV / "bin" / name)


# --- choosing notebooks -----------------------------------------------------------


def select_notebooks() -> list[Notebook]:
    """The corpus notebooks nblift is for: a python kernel (or none), Python 3 code."""
    with (CORPUS / "index.tsv").open(newline="") as index:
        rows = csv.DictReader(index, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [
            Notebook(CORPUS / row["path"], int(row["code_cells"]))
            for row in rows
            if row["kernel_language"] in ("python", "") and row["parse_ok"] == "1"
        ]


def evenly_spaced(notebooks: list[Notebook], count: int) -> list[Notebook]:
    if count >= len(notebooks):
        return notebooks
    return [notebooks[i * len(notebooks) // count] for i in range(count)]


# --- per-notebook comparison ------------------------------------------------------


def comparison_tools(nblift: Path, *, with_soorgeon: bool) -> list[Tool]:
    def nblift_command(notebook: Path, scratch: Path) -> list[str]:
        out = str(scratch / "out")
        return [str(nblift), "convert", str(notebook), "-o", out, "--force"]

    def soorgeon_command(notebook: Path, _scratch: Path) -> list[str]:
        return [venv_tool("soorgeon"), "refactor", notebook.name]

    def nbconvert_command(notebook: Path, scratch: Path) -> list[str]:
        jupyter, out = venv_tool("jupyter"), str(scratch / "out")
        return [
            jupyter,
            "nbconvert",
            "--to",
            "script",
            str(notebook),
            "--output-dir",
            out,
        ]

    tools = [Tool("nblift", nblift_command)]
    if with_soorgeon:
        tools.append(Tool("soorgeon", soorgeon_command))
    return [*tools, Tool("nbconvert", nbconvert_command)]


def compare_tools(notebooks: list[Notebook], tools: list[Tool]) -> dict[str, list[Run]]:
    """Each tool's run on each notebook, in notebook order.

    The tools take turns on each notebook, rather than one tool doing the whole list,
    so that other load on the machine falls on all of them alike.
    """
    runs: dict[str, list[Run]] = {tool.name: [] for tool in tools}
    for number, notebook in enumerate(notebooks, 1):
        progress(f"[{number}/{len(notebooks)}] {relative(notebook)}")
        for tool in tools:
            runs[tool.name].append(run_on_copy(tool, notebook.path))
    return runs


def run_on_copy(tool: Tool, notebook: Path) -> Run:
    # Only the .ipynb is copied: converting never reads the notebook's data files.
    with tempfile.TemporaryDirectory(prefix="nblift-bench-") as name:
        scratch = Path(name)
        copy = scratch / notebook.name
        shutil.copyfile(notebook, copy)
        return timed_run(tool.command(copy, scratch), scratch, TOOL_TIMEOUT_SECONDS)


def timed_run(command: list[str], cwd: Path, timeout: float) -> Run:
    # Children run one at a time, so the growth of RUSAGE_CHILDREN is this child's.
    usage_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    try:
        done = subprocess.run(
            command,
            check=False,  # a failing run is a result to report
            cwd=cwd,
            env=TOOL_ENVIRONMENT,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
        )
        status, output = done.returncode, (done.stdout + done.stderr)
    except subprocess.TimeoutExpired:
        status, output = None, f"timed out after {timeout} s"
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return Run(
        seconds,
        status,
        output[-OUTPUT_TAIL_CHARS:],
        usage.ru_utime - usage_before.ru_utime,
        usage.ru_stime - usage_before.ru_stime,
    )


def ran(run: Run) -> bool:
    """Whether nblift did its job: exit 1 is a notebook refused with diagnostics."""
    return run.status in (0, 1)


# --- whole corpus in one batch ----------------------------------------------------


def time_batch(nblift: Path) -> list[Run]:
    """Runs of `nblift convert CORPUS/notebooks`; only one if that one failed."""
    runs = []
    for number in range(1, BATCH_RUNS + 1):
        progress(f"batch run {number}/{BATCH_RUNS}")
        with tempfile.TemporaryDirectory(prefix="nblift-bench-batch-") as name:
            out = str(Path(name) / "out")
            command = [str(nblift), "convert", str(CORPUS / "notebooks"), "-o", out]
            runs.append(timed_run(command, Path(name), BATCH_TIMEOUT_SECONDS))
        if not ran(runs[-1]):
            break
    return runs


# --- synthetic notebooks ----------------------------------------------------------

# Code cells cycle through these; each sets `x_{i}` from the previous cell's `{prev}`,
# so the dataflow is a chain as long as the notebook.
CELL_TEMPLATES = (
    "import math\nimport os\n\nx_{i} = math.floor({prev} + 0.5)",
    "x_{i} = {prev} + 1",
    (
        'def step_{i}(value):\n    """Double the value, kept to three digits."""\n'
        "    return (2 * value) % 1000\n\n\nx_{i} = step_{i}({prev})"
    ),
    'print(f"step {i}: {{{prev}}}")\nx_{i} = {prev}',
    "values_{i} = [{prev} * k for k in range(3)]\nx_{i} = sum(values_{i}) % 1000",
)
CELLS_PER_SECTION = 10


def synthetic_notebook(code_cells: int) -> dict:
    """An nbformat 4.5 notebook of `code_cells` code cells, a `##` heading every ten."""
    cells = []
    for i in range(code_cells):
        if i % CELLS_PER_SECTION == 0:
            heading = (
                f"## Part {i // CELLS_PER_SECTION}\n\nThe next steps of the chain."
            )
            cells.append(notebook_cell("markdown", heading, len(cells)))
        prev = f"x_{i - 1}" if i else "0"
        source = CELL_TEMPLATES[i % len(CELL_TEMPLATES)].format(i=i, prev=prev)
        cells.append(notebook_cell("code", source, len(cells)))
    kernelspec = {"display_name": "Python 3", "language": "python", "name": "python3"}
    return {
        "cells": cells,
        "metadata": {"kernelspec": kernelspec, "language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def notebook_cell(cell_type: str, source: str, index: int) -> dict:
    cell = {
        "cell_type": cell_type,
        "id": f"cell-{index}",
        "metadata": {},
        "source": source.splitlines(keepends=True),
    }
    if cell_type == "code":
        cell |= {"execution_count": None, "outputs": []}
    return cell


def measure_synthetic(
    nblift: Path, sizes: tuple[int, ...]
) -> dict[tuple[int, str], Measurement]:
    """Per (code cells, split): the fastest of a few runs, and their highest peak."""
    results = {}
    with tempfile.TemporaryDirectory(prefix="nblift-bench-synthetic-") as name:
        scratch = Path(name)
        for code_cells in sizes:
            notebook = scratch / f"synthetic_{code_cells}.ipynb"
            write_synthetic_notebook(code_cells, notebook)
            for split in SYNTHETIC_SPLITS:
                progress(f"synthetic: {code_cells} code cells, --split {split}")
                convert = [str(nblift), "convert", str(notebook), "--split", split]
                command = [*convert, "-o", str(scratch / "out"), "--force"]
                runs = [measure_peak(command) for _ in range(SYNTHETIC_RUNS)]
                results[code_cells, split] = Measurement(
                    seconds=min(run.seconds for run in runs),
                    status=next((run.status for run in runs if run.status != 0), 0),
                    peak_kib=max(run.peak_kib for run in runs),
                )
    return results


def write_synthetic_notebook(code_cells: int, path: Path) -> None:
    """Writes the notebook from a child Python process. A child started with vfork, as
    subprocess starts nblift, reports the parent's high-water RSS as its own peak (Linux
    keeps the larger of the two across the exec), and a 100,000-cell notebook built in
    this process would raise that mark to some 250 MiB, hiding nblift's own figure."""
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import compare, json, pathlib; "
        "notebook = compare.synthetic_notebook(int(sys.argv[2])); "
        "pathlib.Path(sys.argv[3]).write_text(json.dumps(notebook, indent=1))"
    )
    directory = str(Path(__file__).resolve().parent)
    command = [sys.executable, "-c", code, directory, str(code_cells), str(path)]
    subprocess.run(command, check=True)


def measure_peak(command: list[str]) -> Measurement:
    # os.wait4 gives the rusage of this one child, where resource.getrusage would
    # report the largest of every child the script has waited for. Its peak counts the
    # child's life before the exec too, when it is still a copy of this Python process
    # (some 20 MiB, see write_synthetic_notebook): below that, the figure is this
    # script's size, not nblift's.
    start = time.perf_counter()
    child = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, wait_status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    # Telling Popen the exit code keeps it from waiting for the already reaped pid.
    child.returncode = os.waitstatus_to_exitcode(wait_status)
    return Measurement(seconds, child.returncode, usage.ru_maxrss)


# --- the report -------------------------------------------------------------------


def report_header(
    nblift: Path,
    tools: list[Tool],
    sampled_of_eligible: tuple[int, int],
    load_at_start: tuple[float, float, float],
    started: float,
) -> list[str]:
    command = shlex.join(["python3", "benches/compare.py", *sys.argv[1:]])
    load = " / ".join(f"{value:.2f}" for value in load_at_start)
    versions = ", ".join(f"`{tool_version(nblift, tool.name)}`" for tool in tools)
    sampled, eligible = sampled_of_eligible
    # The binary may be rebuilt between runs; its time says which build was measured.
    built = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(nblift.stat().st_mtime))
    machine = (
        f"nproc {len(os.sched_getaffinity(0))}, load average at start {load}"
        " (1 / 5 / 15 min); other work on the machine inflates every time below"
    )
    selection = (
        f"{sampled} of the {eligible} in `index.tsv` with a python kernel (or none)"
        " and `parse_ok` 1, evenly spaced"
    )
    return [
        "# nblift benchmark: comparison and scaling",
        "",
        f"- Reproduce: `{command}`",
        f"- Machine: {machine}",
        f"- Tools: {versions}",
        f"- nblift binary: `{nblift}`, built {built}",
        f"- Scratch folders under `{tempfile.gettempdir()}` (`TMPDIR` moves them)",
        f"- Notebooks: {selection}",
        f"- This run took {time.perf_counter() - started:.0f} s",
    ]


def tool_version(nblift: Path, name: str) -> str:
    command = {
        "nblift": [str(nblift), "--version"],
        "soorgeon": [venv_tool("soorgeon"), "--version"],
        "nbconvert": [venv_tool("jupyter"), "nbconvert", "--version"],
    }[name]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    version = done.stdout.strip()
    # `jupyter nbconvert --version` prints the bare number.
    return version if name in version else f"{name} {version}"


def comparison_section(
    notebooks: list[Notebook], runs: dict[str, list[Run]]
) -> list[str]:
    note = (
        "Each time is one process run, start-up included, as a user would see it."
        " soorgeon and nbconvert start Python and import their packages on every run,"
        " which is most of their time on a small notebook; nblift's in-process figures"
        " come from `cargo bench`. For nblift, exit 1 means it refused the notebook"
        " with diagnostics. Timed-out runs are left out of the times."
    )
    header = ["tool", "notebooks", "exit 0", "exit 1", "other exit", "timed out"]
    header += ["median ms", "p90 ms", "max ms"]
    rows = [
        [name, *status_counts(tool_runs), *time_stats(tool_runs)]
        for name, tool_runs in runs.items()
    ]
    lines = ["", "## Per notebook, one process each", "", note, ""]
    lines += markdown_table(header, rows)
    lines += ratio_section(runs)
    lines += nblift_crashes_section(notebooks, runs["nblift"])
    lines += slowest_section(notebooks, runs["nblift"])
    if "soorgeon" in runs:
        lines += soorgeon_failures_section(notebooks, runs["soorgeon"])
    return lines


def status_counts(runs: list[Run]) -> list[str]:
    statuses = Counter(run.status for run in runs)
    other = len(runs) - statuses[0] - statuses[1] - statuses[None]
    counts = (len(runs), statuses[0], statuses[1], other, statuses[None])
    return [str(count) for count in counts]


def time_stats(runs: list[Run]) -> list[str]:
    """Median, p90 and max milliseconds of the runs that finished."""
    seconds = [run.seconds for run in runs if run.status is not None]
    if not seconds:
        return ["–"] * 3
    stats = (statistics.median(seconds), percentile(seconds, 0.9), max(seconds))
    return [f"{value * 1000:.1f}" for value in stats]


def percentile(values: list[float], fraction: float) -> float:
    """Nearest rank: the smallest value with `fraction` of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]


def ratio_section(runs: dict[str, list[Run]]) -> list[str]:
    rows = []
    for name, tool_runs in runs.items():
        if name == "nblift":
            continue
        ratios = [
            other.seconds / nblift.seconds
            for other, nblift in zip(tool_runs, runs["nblift"], strict=True)
            if other.status == 0 and nblift.status == 0
        ]
        summary = ["–", "–"]
        if ratios:
            summary = [f"{statistics.median(ratios):.1f}×", f"{min(ratios):.1f}×"]
        rows.append([f"{name} / nblift", str(len(ratios)), *summary])
    return [
        "",
        "### Time ratios",
        "",
        "Per notebook, the other tool's time over nblift's, where both exited 0.",
        "",
        *markdown_table(["ratio", "notebooks", "median", "min"], rows),
    ]


def nblift_crashes_section(notebooks: list[Notebook], runs: list[Run]) -> list[str]:
    rows = [
        [f"`{relative(notebook)}`", exit_label(run), f"`{first_line(run.output)}`"]
        for notebook, run in zip(notebooks, runs, strict=True)
        if not ran(run)
    ]
    lines = ["", "### nblift crashes (exit other than 0 or 1, or timed out)", ""]
    if not rows:
        return [*lines, "None."]
    return lines + markdown_table(["notebook", "exit", "first line of output"], rows)


def slowest_section(notebooks: list[Notebook], runs: list[Run]) -> list[str]:
    by_time = sorted(
        zip(notebooks, runs, strict=True), key=lambda pair: -pair[1].seconds
    )
    rows = [
        [
            f"`{relative(notebook)}`",
            str(notebook.code_cells),
            f"{run.seconds * 1000:.1f}",
            exit_label(run),
        ]
        for notebook, run in by_time[:SLOWEST_SHOWN]
    ]
    return [
        "",
        "### Slowest notebooks for nblift",
        "",
        *markdown_table(["notebook", "code cells", "ms", "exit"], rows),
    ]


def soorgeon_failures_section(notebooks: list[Notebook], runs: list[Run]) -> list[str]:
    failed_by_reason: dict[str, list[Notebook]] = {}
    for notebook, run in zip(notebooks, runs, strict=True):
        if run.status != 0:
            failed_by_reason.setdefault(soorgeon_failure(run), []).append(notebook)
    most_first = sorted(failed_by_reason.items(), key=lambda item: -len(item[1]))
    rows = [
        [reason, str(len(failed)), f"`{relative(failed[0])}`"]
        for reason, failed in most_first
    ]
    note = (
        "soorgeon refuses what it cannot split safely: its sections come only from"
        " `##` headings, and its functions may not read globals."
    )
    return [
        "",
        "### Why soorgeon failed",
        "",
        note,
        "",
        *markdown_table(["reason", "notebooks", "first example"], rows),
    ]


def soorgeon_failure(run: Run) -> str:
    if run.status is None:
        return f"timed out after {TOOL_TIMEOUT_SECONDS} s"
    for text, reason in SOORGEON_FAILURES:
        if text in run.output:
            return reason
    return f"other: `{soorgeon_message(run.output)}`"


def soorgeon_message(output: str) -> str:
    """What soorgeon printed after "Error details:", or else its last line."""
    _, marker, details = output.rpartition("Error details:")
    if marker:
        return first_line(details)
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return (lines or ["(no output)"])[-1][:120]


def batch_section(runs: list[Run]) -> list[str]:
    folder = CORPUS / "notebooks"
    notebook_count = sum(1 for _ in folder.rglob("*.ipynb"))
    note = (
        f"`nblift convert {os.path.relpath(folder, REPO)} -o OUT`: all"
        f" {notebook_count} notebooks of the folder, whatever their kernel, in one"
        " process. user and sys: CPU seconds of the best run, summed over threads."
    )
    lines = ["", "## Whole corpus in one batch", "", note, ""]
    last = runs[-1]
    if last.status == 2:
        message = f"exit 2: `{first_line(last.output)}`"
        return [*lines, f"Batch mode not available ({message})."]
    if not ran(last):
        message = f"exit {exit_label(last)}: `{first_line(last.output)}`"
        return [*lines, f"Batch run failed ({message})."]
    best = min(runs, key=lambda run: run.seconds)
    row = [
        str(len(runs)),
        f"{best.seconds:.2f}",
        f"{statistics.median(run.seconds for run in runs):.2f}",
        f"{best.user_seconds:.2f}",
        f"{best.system_seconds:.2f}",
        exit_label(last),
    ]
    header = ["runs", "best s", "median s", "user s", "sys s", "exit"]
    return lines + markdown_table(header, [row])


def synthetic_section(results: dict[tuple[int, str], Measurement]) -> list[str]:
    note = (
        "Chains of code cells, each reading the previous cell's variable, cycling"
        " through an import, an assignment, a `def`, a `print` and a comprehension,"
        f" with a `##` heading every {CELLS_PER_SECTION} code cells. Best time of"
        f" {SYNTHETIC_RUNS} runs, highest peak RSS of the nblift process (which"
        " counts the ~20 MiB of the Python process it was forked from, so small"
        " notebooks show that floor)."
    )
    header = ["code cells", "split", "exit", "s", "µs per cell", "peak MiB"]
    rows = [
        [
            f"{code_cells:,}",
            split,
            str(measurement.status),
            f"{measurement.seconds:.3f}",
            f"{measurement.seconds / code_cells * 1e6:.1f}",
            f"{measurement.peak_kib / 1024:.1f}",
        ]
        for (code_cells, split), measurement in results.items()
    ]
    lines = ["", "## Synthetic notebooks", "", note, "", *markdown_table(header, rows)]
    growth = [
        f"`--split {split}` {ratio:.2f}×"
        for split in SYNTHETIC_SPLITS
        if (ratio := per_cell_growth(results, split)) is not None
    ]
    if growth:
        lines += ["", f"Time per cell at 10,000 cells over 1,000: {', '.join(growth)}."]
    return lines


def per_cell_growth(
    results: dict[tuple[int, str], Measurement], split: str
) -> float | None:
    small, large = results.get((1_000, split)), results.get((10_000, split))
    if small is None or large is None:
        return None
    return (large.seconds / 10_000) / (small.seconds / 1_000)


def targets_section(
    batch: list[Run], synthetic: dict[tuple[int, str], Measurement]
) -> list[str]:
    def worst(values: list[float]) -> float | None:
        return max(values, default=None)

    def at(code_cells: int) -> list[Measurement]:
        keys = [(code_cells, split) for split in SYNTHETIC_SPLITS]
        return [synthetic[key] for key in keys if key in synthetic]

    def peak_megabytes(split: str) -> float | None:
        measured = synthetic.get((100_000, split))
        return None if measured is None else measured.peak_kib * 1024 / 1e6

    growths = [per_cell_growth(synthetic, split) for split in SYNTHETIC_SPLITS]
    batch_best = min((run.seconds for run in batch if ran(run)), default=None)
    # (target, measured value or None, limit, format); the worst split counts, except for
    # memory, shown per split. The limit is 200 MB (10^6 bytes), some 191 MiB.
    memory = [
        (
            f"peak RSS at 100,000 cells < 200 MB, `--split {split}`",
            peak_megabytes(split),
            200.0,
            "{:.0f} MB",
        )
        for split in SYNTHETIC_SPLITS
    ]
    targets = [
        ("whole corpus in one batch < 3 s", batch_best, 3.0, "{:.2f} s"),
        (
            "10,000 cells < 0.5 s",
            worst([m.seconds for m in at(10_000)]),
            0.5,
            "{:.3f} s",
        ),
        *memory,
        (
            "per-cell time at 10k cells within 1.5× of 1k",
            worst([growth for growth in growths if growth is not None]),
            1.5,
            "{:.2f}×",
        ),
    ]
    rows = [
        [name, "not measured", "–"]
        if value is None
        else [name, shape.format(value), "yes" if value < limit else "no"]
        for name, value, limit, shape in targets
    ]
    header = ["target", "measured (worst split, unless named)", "met"]
    return ["", "## Targets", "", *markdown_table(header, rows)]


def markdown_table(header: list[str], rows: list[list[str]]) -> list[str]:
    return [
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *("| " + " | ".join(row) + " |" for row in rows),
    ]


def relative(notebook: Notebook) -> str:
    return str(notebook.path.relative_to(CORPUS / "notebooks"))


def exit_label(run: Run) -> str:
    return "timed out" if run.status is None else str(run.status)


def first_line(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return (lines or ["(no output)"])[0][:120]


if __name__ == "__main__":
    sys.exit(main())
