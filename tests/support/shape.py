"""Measure the shape of generated packages: is the output a refactoring a reviewer would keep?

The measures are those of the refactoring-shape issue, read from the package's own files:
- a notebook's code cells are those with a line a step could hold (not only blanks,
  comments, IPython syntax or imports);
- the steps are the functions `pipeline.run` calls (`_steps.NAME(...)`), in call order;
- a step's length counts its lines without the docstring;
- a dead return is a name bound from a step call that no later step call receives, leaving
  out the names `run()` returns when it returns 5 or fewer;
- plumbing is a `_nblift.` call in `steps.py` other than `close_figures()`, a `global`
  statement, or `getattr(_steps, ...)` in `pipeline.py`;
- a step mutates an argument when it calls a mutating method on it (`x.append(...)`), assigns
  to an item or attribute of it, deletes an item of it, or passes `inplace=True` to a method of
  it; it counts when a later step call receives that argument before a call rebinds it, and
  the step does not return it.

Usage: python shape.py JOBS.json, where JOBS.json is a JSON list of [notebook, package_dir]
pairs. Prints one JSON object per job, one per line, in job order.
"""

import ast
import json
import pathlib
import re
import sys

# Methods that change their receiver (lists, dicts, sets); a pandas method only with
# `inplace=True`.
MUTATING_METHODS = {
    "append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse", "update",
    "add", "discard", "setdefault", "popitem",
}
GENERIC = re.compile(r"step_\d+")
SMALL_RESULT = 5


def code_cells(notebook):
    try:
        data = json.loads(pathlib.Path(notebook).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 0
    cells = data.get("cells")
    if cells is None:  # nbformat 3
        cells = [c for ws in data.get("worksheets", []) for c in ws.get("cells", [])]
    return sum(
        1 for c in cells
        if c.get("cell_type") == "code" and holds_step_code(c.get("source") or c.get("input") or "")
    )


def holds_step_code(source):
    """Whether a cell has a line a step could hold: not blank (an exercise notebook's empty
    cells), not a comment, not IPython syntax (`%magic`, `!cmd`), not an import (which goes to
    the module's top)."""
    text = "".join(source) if isinstance(source, list) else source
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", "%", "!")):
            continue
        if line.startswith("import ") or (line.startswith("from ") and " import " in line):
            continue
        return True
    return False


def step_calls(run):
    """(step name, bound names, received names) per `_steps.NAME(...)` call in `run`."""
    calls = []
    for statement in ast.walk(run):
        if isinstance(statement, (ast.Assign, ast.Expr)):
            value = statement.value
            if isinstance(value, ast.Await):
                value = value.value
            if not (
                isinstance(value, ast.Call)
                and isinstance(value.func, ast.Attribute)
                and isinstance(value.func.value, ast.Name)
                and value.func.value.id == "_steps"
            ):
                continue
            bound = []
            if isinstance(statement, ast.Assign):
                for target in statement.targets:
                    bound.extend(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
            received = {
                n.id
                for argument in [*value.args, *(k.value for k in value.keywords)]
                for n in ast.walk(argument)
                if isinstance(n, ast.Name)
            }
            calls.append((statement.lineno, value.func.attr, bound, received))
    calls.sort()
    return [(name, bound, received) for _, name, bound, received in calls]


def read_before_rebound(calls):
    """The names a call of `calls` receives before any call rebinds them: the values a changed
    argument would reach."""
    read, rebound = set(), set()
    for _, bound, received in calls:
        read |= received - rebound
        rebound |= set(bound) - received
    return read


def run_result(run):
    for node in ast.walk(run):
        if isinstance(node, ast.Return) and isinstance(node.value, ast.Dict):
            return [k.value for k in node.value.keys if isinstance(k, ast.Constant)]
    return []


def length(function):
    lines = function.end_lineno - function.lineno + 1
    body = function.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        if isinstance(body[0].value.value, str):
            lines -= body[0].end_lineno - body[0].lineno + 1
    return lines


def root_name(node):
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def mutated_parameters(function):
    parameters = {a.arg for a in [*function.args.args, *function.args.kwonlyargs]}
    mutated = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            if isinstance(owner, ast.Name) and owner.id in parameters:
                inplace = any(
                    k.arg == "inplace" and isinstance(k.value, ast.Constant) and k.value.value
                    for k in node.keywords
                )
                if inplace or node.func.attr in MUTATING_METHODS:
                    mutated.add(owner.id)
        targets = []
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        elif isinstance(node, ast.Delete):
            targets = node.targets
        for target in targets:
            if isinstance(target, (ast.Subscript, ast.Attribute)):
                name = root_name(target)
                if name in parameters:
                    mutated.add(name)
    return mutated


def returned_names(function):
    names = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Return) and node.value is not None:
            names.update(n.id for n in ast.walk(node.value) if isinstance(n, ast.Name))
    return names


def measure(notebook, package):
    package = pathlib.Path(package)
    source = package / "src"
    inner = next((p for p in sorted(source.iterdir()) if p.is_dir()), None) if source.is_dir() else None
    shape = {
        "code_cells": code_cells(notebook), "steps": 0, "long_steps": 0, "longest_step": 0,
        "bound": 0, "dead": 0, "run_returns": 0, "generic_names": 0, "wordy_names": 0,
        "noqa": 0, "noqa_f401": 0, "step_lines": 0, "plumbing": 0, "close_figures": 0,
        "mutating_steps": 0,
    }
    for path in package.rglob("*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if "# noqa" in line:
                shape["noqa"] += 1
                shape["noqa_f401"] += "F401" in line
    if inner is None or not (inner / "pipeline.py").is_file():
        return shape
    pipeline_text = (inner / "pipeline.py").read_text(encoding="utf-8")
    shape["plumbing"] += pipeline_text.count("getattr(_steps")
    run = next(
        (n for n in ast.parse(pipeline_text).body
         if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == "run"),
        None,
    )
    if run is None:
        return shape
    calls = step_calls(run)
    result = run_result(run)
    shape["run_returns"] = len(result)
    excused = set(result) if len(result) <= SMALL_RESULT else set()
    functions = {}
    if (inner / "steps.py").is_file():
        steps_text = (inner / "steps.py").read_text(encoding="utf-8")
        tree = ast.parse(steps_text)
        functions = {
            n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
        }
        for function in functions.values():
            for node in ast.walk(function):
                if isinstance(node, ast.Global):
                    shape["plumbing"] += 1
                elif (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "_nblift"
                ):
                    if node.func.attr == "close_figures":
                        shape["close_figures"] += 1
                    else:
                        shape["plumbing"] += 1
    shape["steps"] = len(calls)
    for position, (name, bound, _) in enumerate(calls):
        later = set().union(*(received for _, _, received in calls[position + 1:]))
        shape["bound"] += len(bound)
        shape["dead"] += sum(1 for b in bound if b not in later and b not in excused)
        shape["generic_names"] += bool(GENERIC.fullmatch(name))
        shape["wordy_names"] += len([w for w in name.split("_") if w]) > 5
        function = functions.get(name)
        if function is None:
            continue
        lines = length(function)
        shape["step_lines"] += lines
        shape["longest_step"] = max(shape["longest_step"], lines)
        shape["long_steps"] += lines > 80
        unreturned = mutated_parameters(function) - returned_names(function)
        if unreturned:
            shape["mutating_steps"] += bool(unreturned & read_before_rebound(calls[position + 1:]))
    return shape


def main(jobs_path):
    jobs = json.loads(pathlib.Path(jobs_path).read_text(encoding="utf-8"))
    for notebook, package in jobs:
        try:
            shape = measure(notebook, package)
        except (OSError, SyntaxError, ValueError) as error:
            shape = {"error": str(error)}
        print(json.dumps(shape, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
