"""Write each notebook as one Python script, as IPython runs it: every code cell, in page
order, with IPython syntax turned into the Python IPython itself executes.

Used by the corpus runner and the equivalence tests to lint the notebook itself (`ruff check`
on the script) so that a finding the notebook already has is told apart from one the
conversion introduced. Beside each script, `NAME.in_function.py` holds the same code as the
body of one function: there a name the notebook binds at top level and never reads is the
unused local (F841), the unused unpacked name (RUF059) or the unused redefinition (F811) it
becomes inside its step: the notebook's own finding made visible, not one the conversion
introduced. The same twin ends with one small function per dead store of the notebook (a
name bound again before it is read), where ruff sees the unused local the first binding
becomes in its step.

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


# Cell magics whose body is Python the cell runs: IPython's transform hides it in a string.
TIMED = ("%%time", "%%timeit")


def script(path):
    """The script IPython runs, and its twin for the function body, where the body of a
    timing cell magic is code (the package runs it once, as code)."""
    notebook = nbformat.read(path, as_version=4)
    manager = TransformerManager()
    parts, function_parts = [], []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        try:
            part = manager.transform_cell(cell.source)
        except Exception:  # noqa: BLE001 - an untransformable cell is left out, as a comment
            part = "".join(f"# {line}\n" for line in cell.source.splitlines())
        parts.append(part)
        first, _, body = cell.source.partition("\n")
        timed = first.split()[:1] and first.split()[0] in TIMED
        if timed and has_statements(body):
            function_parts.append(body + "\n")
            continue
        untimed = "\n".join(timed_statement(line) for line in cell.source.split("\n"))
        if untimed == cell.source:
            # Most cells time nothing: their twin is the script's part, transformed once.
            function_parts.append(part)
            continue
        try:
            function_parts.append(manager.transform_cell(untimed))
        except Exception:  # noqa: BLE001 - as above
            function_parts.append(part)
    return "\n".join(parts), "\n".join(function_parts)


def timed_statement(line):
    """`%time stmt` or `%timeit -n 1 stmt` as the statement it runs (once, in the package)."""
    stripped = line.lstrip()
    words = stripped.split()
    if not words or words[0] not in ("%time", "%timeit"):
        return line
    rest = words[1:]
    while rest and rest[0].startswith("-"):
        option = rest.pop(0)
        if option in ("-n", "-r", "-p") and rest:
            rest.pop(0)
    return line[: len(line) - len(stripped)] + " ".join(rest)


class _Bindings(ast.NodeVisitor):
    """The module-level names a statement reads and binds, in the order they happen (a value
    before the names it is bound to), with whether each binding unpacks a tuple; names read
    inside nested functions, classes and comprehensions count as reads."""

    def __init__(self):
        self.events = []  # ("read", name) or ("bind", name, unpacked)
        self._unpacking = 0
        self._nested = 0
        # The names local to the nested functions being visited: reading one is no read of
        # the module's name.
        self._locals = []

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Load):
            if not any(node.id in scope for scope in self._locals):
                self.events.append(("read", node.id))
        elif isinstance(node.ctx, ast.Store) and not self._nested:
            self.events.append(("bind", node.id, self._unpacking > 0))

    def _unpack(self, node):
        self._unpacking += 1
        self.generic_visit(node)
        self._unpacking -= 1

    visit_Tuple = visit_List = _unpack

    def visit_Assign(self, node):
        self.visit(node.value)
        # `a, b = 1, 2` is plain assignment to ruff (F841), `a, b = f()` unpacking (RUF059).
        literal = isinstance(node.value, (ast.Tuple, ast.List))
        for target in node.targets:
            if literal and isinstance(target, (ast.Tuple, ast.List)):
                self.generic_visit(target)
            else:
                self.visit(target)

    def visit_AugAssign(self, node):
        self.visit(node.value)
        self.visit(node.target)

    def visit_AnnAssign(self, node):
        if node.value is not None:
            self.visit(node.value)
        self.visit(node.target)

    def visit_For(self, node):
        self.visit(node.iter)
        self.visit(node.target)
        for child in [*node.body, *node.orelse]:
            self.visit(child)

    visit_AsyncFor = visit_For

    def visit_withitem(self, node):
        self.visit(node.context_expr)
        if node.optional_vars is not None:
            self.visit(node.optional_vars)

    def _nested_scope(self, node):
        self._nested += 1
        self.generic_visit(node)
        self._nested -= 1

    def _function(self, node):
        arguments = node.args
        local = {
            a.arg
            for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs,
                      arguments.vararg, arguments.kwarg]
            if a is not None
        }
        body = node.body if isinstance(node.body, list) else [node.body]
        declared = {
            name
            for statement in body for child in ast.walk(statement)
            if isinstance(child, (ast.Global, ast.Nonlocal)) for name in child.names
        }
        local |= {
            child.id
            for statement in body for child in ast.walk(statement)
            if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store)
        } - declared
        # Defaults and decorators are evaluated where the function is defined.
        for outer in [*arguments.defaults, *arguments.kw_defaults, *getattr(node, "decorator_list", [])]:
            if outer is not None:
                self.visit(outer)
        self._locals.append(local)
        self._nested += 1
        for statement in body:
            self.visit(statement)
        self._nested -= 1
        self._locals.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function
    visit_ClassDef = _nested_scope
    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _nested_scope


def dead_stores(text):
    """The notebook's dead stores: each module-level binding of a name that is bound again
    before anything reads it, or that nothing reads after though something read the name
    before, with whether it unpacks a tuple (or `"definition"`: a function or class defined
    again before anything reads it). Its first value is never
    read: in the step that binds it, apart from the step that binds it again, it is an unused
    local (F841) or unpacked name (RUF059), the notebook's own dead store made visible; one
    function over the whole notebook does not show it, as the name is read somewhere in it."""
    try:
        module = ast.parse(text)
    except SyntaxError:
        return []
    unread, dead, ever_read = {}, [], set()
    # Definitions not read since: one defined again before a read is a redefinition of an
    # unused name (F811), which ruff misses at module level in some files (one with a
    # `super()` call in a method, for one) but finds in the step that holds both.
    unread_definitions = set()
    for statement in module.body:
        bindings = _Bindings()
        bindings.visit(statement)
        for event in bindings.events:
            if event[0] == "read":
                unread.pop(event[1], None)
                unread_definitions.discard(event[1])
                ever_read.add(event[1])
                continue
            _, name, unpacked = event
            if name in unread:
                dead.append((name, unread[name]))
            unread[name] = unpacked
            unread_definitions.discard(name)
        # A definition binds its name too: an unread value it replaces was dead (`f, ax =
        # plt.subplots()` before `def f()`). Nothing flags a definition left unread itself.
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if statement.name in unread:
                dead.append((statement.name, unread.pop(statement.name)))
            if statement.name in unread_definitions:
                dead.append((statement.name, "definition"))
            unread_definitions.add(statement.name)
    # A last binding nothing reads after, of a name read before it: dead too, where the one
    # function's earlier read hides it.
    dead.extend((name, unpacked) for name, unpacked in unread.items() if name in ever_read)
    return dead


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
            text, function_text = script(notebook_path)
        except Exception as error:  # noqa: BLE001 - one unreadable notebook must not stop the rest
            text = function_text = f"# could not read the notebook: {error}\n"
        with open(script_path, "w", encoding="utf-8") as file:
            file.write(text)
        # `async`: a notebook may await at top level. `pass` only where the body would be
        # empty: a trailing one would be a finding of its own (PIE790).
        body = textwrap.indent(function_text, "    ")
        if not has_statements(function_text):
            body += "\n    pass"
        in_function = "async def _notebook():\n" + body + "\n"
        for index, (name, unpacked) in enumerate(dead_stores(function_text)):
            if unpacked == "definition":
                store = f"def {name}():\n        pass\n\n    def {name}():\n        pass"
            elif unpacked:
                store = f"{name}, _ = divmod(0, 1)"
            else:
                store = f"{name} = None"
            in_function += f"\n\nasync def _dead_store_{index}():\n    {store}\n"
        pathlib.Path(script_path).with_suffix(".in_function.py").write_text(
            in_function, encoding="utf-8"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
