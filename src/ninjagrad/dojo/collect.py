"""Collecting a learner's gradients: run their backward lines and read what they made.

The backward lines are run one statement at a time, so one line that raises does not hide
the others. Then each gradient is computed a second time from the *correct* upstream
gradients (every other graded name set to the reference before each statement): if that
copy is right, the learner's line is right and its value is wrong only because of what it
was given (``inherits``).

This module runs inside the grader's child process (``child``) and, for the Python and
Jupyter API, in the learner's own process; it never grades, it only collects.
"""

import ast
import contextlib
import copy
import io
import traceback
import warnings
from dataclasses import dataclass

import numpy as np


@dataclass
class Answer:
    """What the learner's code produced for one graded line.

    ``state`` is "value", "missing" (never assigned, or still ``...``) or "error";
    ``recomputed`` the value the same code gives from the correct inputs (None when it
    could not be recomputed), ``recompute_error`` the message when that raised.
    """

    state: str
    value: object = None
    line: int = None
    message: str = None
    recomputed: object = None
    recompute_error: str = None
    note: str = None

    def __repr__(self):
        return f"Answer({self.state!r}, line={self.line})"


class Collected:
    """Every Answer by row name, notes about the file, and a fatal error (the file could
    not be run at all) if any."""

    def __init__(self, answers=None, notes=None, fatal=None):
        self.answers = answers or {}
        self.notes = notes or []
        self.fatal = fatal

    def __repr__(self):
        return f"Collected({len(self.answers)} answers, fatal={self.fatal!r})"


def to_array(value, what):
    """A learner's gradient as a float numpy array; TypeError naming what it was."""
    from ninjagrad.check.compare import as_array

    if value is Ellipsis:
        raise TypeError(f"{what} is still ...")
    try:
        a = as_array(value, what)
    except TypeError:
        raise TypeError(f"{what} is a {type(value).__name__}, not a Tensor, an array or a "
                        "number") from None
    if not (np.issubdtype(a.dtype, np.number) or a.dtype == np.bool_):
        raise TypeError(f"{what} holds {a.dtype} values, not numbers")
    if np.iscomplexobj(a):
        raise TypeError(f"{what} is complex")
    return a.astype(np.float64)


def error_line(exc, filename):
    """The line of ``filename`` where ``exc`` was raised (the innermost frame in it)."""
    line = getattr(exc, "lineno", None) if isinstance(exc, SyntaxError) else None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == filename:
            line = frame.lineno
    return line


def describe(exc):
    return f"{type(exc).__name__}: {exc}"


# ---------------------------------------------------------------------------------------
# Which names a statement writes and reads.


def _base_name(node):
    while isinstance(node, (ast.Subscript, ast.Attribute, ast.Starred)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def written_names(stmt):
    """Names a statement assigns or changes in place (``x = ``, ``x[i] += ``, ``for x``,
    ``x.index_add_(...)``, ``np.add.at(x, ...)``)."""
    names = set()
    for node in ast.walk(stmt):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.Subscript, ast.Attribute)) and isinstance(node.ctx, ast.Store):
            names.add(_base_name(node))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr.endswith("_") and not node.func.attr.startswith("_"):
                names.add(_base_name(node.func.value))  # in-place method: x.add_(...)
            elif node.func.attr == "at" and node.args:
                names.add(_base_name(node.args[0]))  # np.add.at(x, ...)
    names.discard(None)
    return names


def read_names(stmt):
    return {node.id for node in ast.walk(stmt) if isinstance(node, ast.Name)}


def has_loop(stmts):
    """The first line of a Python loop or comprehension among ``stmts``, or None."""
    loops = (ast.For, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
    for stmt in stmts:
        for node in ast.walk(stmt):
            if isinstance(node, loops):
                return node.lineno
    return None


def is_blank(stmt):
    """``...`` alone, or ``x = ...``: a blank not filled yet."""
    value = getattr(stmt, "value", None)
    return (isinstance(stmt, (ast.Expr, ast.Assign)) and isinstance(value, ast.Constant)
            and value.value is Ellipsis)


# ---------------------------------------------------------------------------------------
# Running backward lines.


def _tensor_like(ns, name, fallback):
    """A function turning a numpy array into the learner's kind of tensor: the type of
    the forward value ``name`` (for dX, X), else of ``fallback``."""
    sample = ns.get(name, fallback)
    module = type(sample).__module__.split(".")[0]
    if module == "torch":
        import torch

        return lambda a: torch.tensor(a)
    if module == "ninjagrad":
        import ninjagrad

        return lambda a: ninjagrad.tensor(a)
    return lambda a: np.array(a)


def _frozen(value):
    """A copy of a gradient as a numpy array (anything else as it is: ``...``, a str)."""
    try:
        return np.array(to_array(value, "value"))
    except TypeError:
        return value


class LineRunner:
    """Runs backward statements in a namespace and re-runs them with correct inputs.

    ``lines`` are the exercise's ``Line``s (``var`` is the learner's name, ``dX``);
    ``statements`` the AST statements of the backward part, in order; ``filename`` the
    name they were compiled under (for line numbers in errors).
    """

    def __init__(self, ns, statements, lines, filename):
        self.ns = ns
        self.statements = statements
        self.lines = lines
        self.filename = filename
        self.vars = {line.var for line in lines}
        self.codes = [compile(ast.Module([s], []), filename, "exec") for s in statements]
        self.writes = [written_names(s) for s in statements]
        self.reads = [read_names(s) for s in statements]
        self.snapshot = self._snapshot()

    def _snapshot(self):
        """Copies of the forward values, restored before each re-run: a backward line that
        changes a forward tensor in place must not poison the next re-run."""
        keep = {}
        for k, v in self.ns.items():
            if hasattr(v, "shape") and hasattr(v, "dtype") and k not in self.vars:
                try:
                    keep[k] = copy.deepcopy(v)
                except Exception:  # noqa: BLE001 - an uncopyable object is left as it is
                    pass
        return keep

    def _run(self, i, ns):
        exec(self.codes[i], ns)  # noqa: S102 - the learner's own code, in a child process

    def run(self):
        """Run every statement once; returns {var: (line, exception)} for lines that raised.

        Each gradient's value is kept as it was right after its own last line
        (``self.values``): a later line that changes it in place (``dcounts = dprobs;
        dcounts *= ...`` changes dprobs too) must not make a right line look wrong."""
        errors = {}
        self.values, self.changed_later = {}, set()
        for i, stmt in enumerate(self.statements):
            try:
                self._run(i, self.ns)
            except Exception as exc:  # noqa: BLE001 - the learner's error, reported per line
                for var in self.writes[i] & self.vars:
                    errors.setdefault(var, (error_line(exc, self.filename) or stmt.lineno, exc))
                if not self.writes[i] & self.vars:
                    errors.setdefault(None, (error_line(exc, self.filename) or stmt.lineno,
                                             exc))
            for var in self.writes[i] & self.vars:
                if var in self.ns:
                    self.values[var] = _frozen(self.ns[var])
        for var, kept in self.values.items():
            now = _frozen(self.ns.get(var))
            if isinstance(kept, np.ndarray) and not (
                    isinstance(now, np.ndarray) and now.shape == kept.shape
                    and np.array_equal(now, kept, equal_nan=True)):
                self.changed_later.add(var)
        return errors

    def changed_forward(self):
        """Forward values the backward lines changed in place (a classic aliasing slip)."""
        changed = []
        for k, before in self.snapshot.items():
            after = self.ns.get(k)
            try:
                a, b = to_array(before, k), to_array(after, k)
            except TypeError:
                continue
            if a.shape != b.shape or not np.array_equal(a, b, equal_nan=True):
                changed.append(k)
        return changed

    def recompute(self, var, reference, names):
        """``var`` computed by the learner's statements from the correct gradients.

        ``reference`` maps each var to its correct numpy value; ``names`` maps var -> the
        forward name whose tensor type the reference is given in.
        """
        ns = dict(self.ns)
        for k, v in self.snapshot.items():
            ns[k] = copy.deepcopy(v)
        mine = self.ns.get(var)  # the learner's kind of tensor, when no forward value says
        fallback = mine if hasattr(mine, "shape") else next(iter(self.snapshot.values()), None)
        for i in range(len(self.statements)):
            writes = self.writes[i]
            if writes & self.vars and var not in writes:
                continue  # another gradient's line: its correct value is given instead
            for other in (self.reads[i] & self.vars) - {var}:
                if other in reference:
                    ns[other] = _tensor_like(ns, names[other], fallback)(reference[other])
            try:
                self._run(i, ns)
            except Exception:
                if var in writes:
                    raise  # this gradient's own line fails even from correct inputs
                # (a helper line that fails is reported from the first run, not here)
        return ns.get(var, None)


def collect_lines(ns, statements, lines, filename, reference):
    """Run the backward ``statements`` in ``ns`` and collect one Answer per line.

    ``reference`` maps row names to correct gradients (numpy), used to recompute each
    line from correct inputs.
    """
    runner = LineRunner(ns, statements, lines, filename)
    blank_lines = {}
    for stmt in statements:
        if is_blank(stmt):
            for var in written_names(stmt):
                blank_lines[var] = stmt.lineno
    errors = runner.run()
    names = {line.var: line.name for line in lines}
    by_name = {line.name: line for line in lines}
    ref_by_var = {line.var: reference[line.name] for line in lines if line.name in reference}
    answers, notes = {}, []
    last_write = {}
    for stmt, writes in zip(statements, runner.writes, strict=True):
        for var in writes:
            last_write[var] = stmt.lineno
    for line in lines:
        var = line.var
        if var in errors:
            lineno, exc = errors[var]
            answer = Answer("error", line=lineno, message=describe(exc))
        elif runner.values.get(var, Ellipsis) is Ellipsis:
            where = blank_lines.get(var)
            answer = Answer("missing", line=where,
                            message=f"{var} is still ..." if where else f"no line assigns {var}")
        else:
            try:
                answer = Answer("value", to_array(runner.values[var], var),
                                line=last_write.get(var))
            except TypeError as exc:
                answer = Answer("error", line=last_write.get(var), message=str(exc))
        dep_vars = {v for v in (by_name[d].var for d in line.deps if d in by_name)}
        together = any(var in w and w & dep_vars for w in runner.writes)
        if answer.state != "missing" and not together:
            # (a statement that makes this gradient and its inputs at once, say a call of
            # the learner's own backward function, cannot be fed correct inputs)
            try:
                value = runner.recompute(var, ref_by_var, names)
                answer.recomputed = to_array(value, var) if value is not None else None
            except Exception as exc:  # noqa: BLE001 - still wrong with the right inputs
                answer.recompute_error = describe(exc)
        mine = [s for s, w in zip(statements, runner.writes, strict=True) if var in w]
        loop = has_loop(mine)
        if loop is not None:
            answer.note = f"loop at line {loop}"
        answers[line.name] = answer
    if None in errors:
        lineno, exc = errors[None]
        notes.append(f"line {lineno} raised {describe(exc)}")
    for var in sorted(runner.changed_later):
        notes.append(f"a later line changed {var} in place after it was computed (a "
                     "gradient that aliases it? use .clone()); graded as its own line left it")
    for name in runner.changed_forward():
        notes.append(f"your backward lines changed the forward value {name!r} in place "
                     "(a gradient that aliases it? use .clone())")
    return Collected(answers, notes)


def split_backward(tree, lines):
    """(forward statements, backward statements) of a module: the backward part starts at
    the first statement that writes a graded name."""
    names = {line.var for line in lines}
    for i, stmt in enumerate(tree.body):
        if written_names(stmt) & names:
            return tree.body[:i], tree.body[i:]
    return tree.body, []


def find_function(tree, name):
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef) and stmt.name == name:
            return stmt
    return None


def run_module(statements, ns, filename):
    """Run module statements; returns (line, exception) if they raised, else None."""
    try:
        exec(compile(ast.Module(list(statements), []), filename, "exec"), ns)  # noqa: S102
    except Exception as exc:  # noqa: BLE001 - reported to the learner with its line
        return error_line(exc, filename), exc
    except SystemExit as exc:
        return None, RuntimeError(f"the file called exit({exc.code})")
    return None


@contextlib.contextmanager
def quiet():
    """Silence the learner's prints and their code's warnings while grading (their output
    is not the grader's; a nan they make is diagnosed in the table)."""
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings(), \
            np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield
