"""Write each notebook as one Python script, as IPython runs it: every code cell, in page
order, with IPython syntax turned into the Python IPython itself executes.

Used by the corpus runner and the equivalence tests to lint the notebook itself (`ruff check`
on the script) so that a finding the notebook already has is told apart from one the
conversion introduced. Beside each script, `NAME.in_function.py` holds the same code as the
body of one function: there a name the notebook binds at top level and never reads is the
unused local (F841), the unused unpacked name (RUF059) or the unused redefinition (F811) it
becomes inside its step: the notebook's own finding made visible, not one the conversion
introduced.

Usage: python notebook_script.py JOBS.json, where JOBS.json is a JSON list of
[notebook_path, script_path] pairs. Cells IPython cannot transform are written as comments.
"""

import ast
import json
import pathlib
import sys
import textwrap

import nbformat
from IPython.core.inputtransformer2 import TransformerManager


def script(path):
    notebook = nbformat.read(path, as_version=4)
    manager = TransformerManager()
    parts = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        try:
            parts.append(manager.transform_cell(cell.source))
        except Exception:  # noqa: BLE001 - an untransformable cell is left out, as a comment
            parts.append("".join(f"# {line}\n" for line in cell.source.splitlines()))
    return "\n".join(parts)


def has_statements(text):
    """Whether `text` holds a statement (not only comments), or does not parse at all."""
    try:
        return bool(ast.parse(text).body)
    except SyntaxError:
        return True


def main(jobs_path):
    with open(jobs_path, encoding="utf-8") as file:
        jobs = json.load(file)
    for notebook_path, script_path in jobs:
        try:
            text = script(notebook_path)
        except Exception as error:  # noqa: BLE001 - one unreadable notebook must not stop the rest
            text = f"# could not read the notebook: {error}\n"
        with open(script_path, "w", encoding="utf-8") as file:
            file.write(text)
        # `async`: a notebook may await at top level. `pass` only where the body would be
        # empty: a trailing one would be a finding of its own (PIE790).
        body = textwrap.indent(text, "    ")
        if not has_statements(text):
            body += "\n    pass"
        in_function = "async def _notebook():\n" + body + "\n"
        pathlib.Path(script_path).with_suffix(".in_function.py").write_text(
            in_function, encoding="utf-8"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
