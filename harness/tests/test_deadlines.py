"""Every deadline the suite uses is written in suite/deadlines.py, with the reason
for its size (issue 15): a literal timeout anywhere else in the suite, the
cases, the agent client or the bench is a deadline nobody sized on purpose.

Pacing (a poll interval, a pause between peeks) is not a deadline and may stay
where it is used; what is checked is every place a wait is bounded: a
timeout or deadline argument or default, the wait methods' positional
timeout, and `time.monotonic() + N`.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from netipc_conformance.suite import deadlines

PACKAGE = Path(deadlines.__file__).resolve().parents[1]
DEADLINES = PACKAGE / "suite" / "deadlines.py"
SCANNED = sorted(
    [
        *(PACKAGE / "suite").glob("*.py"),
        *(PACKAGE / "cases").glob("*.py"),
        PACKAGE / "runtime" / "agent.py",
        PACKAGE / "commands" / "bench.py",
    ]
)
# Keyword arguments and parameters that bound a wait.
BOUND = re.compile(r"(deadline|timeout|grace)", re.I)
# Methods whose positional number is a wait's bound (PeerProcess, the launcher).
WAITS = {
    "finish",
    "wait",
    "wait_event",
    "wait_line",
    "wait_for",
    "wait_for_exit",
    "next_event",
    "read_line",
    "read_all",
}


def _number(node: ast.AST) -> bool:
    if isinstance(node, ast.IfExp):  # `deadline if seen else 100`
        return _number(node.body) or _number(node.orelse)
    if isinstance(node, ast.UnaryOp):
        node = node.operand
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, (int, float))
        and not isinstance(node.value, bool)
        and node.value != 0  # "do not wait" needs no reason
    )


def _called(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def literal_deadlines(source: str) -> list[tuple[int, str]]:
    """(line, what) for every wait bounded by a literal number in source."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg and BOUND.search(keyword.arg) and _number(keyword.value):
                    found.append((node.lineno, f"{keyword.arg}={ast.unparse(keyword.value)}"))
            if _called(node) in WAITS:
                for arg in node.args:
                    if _number(arg):
                        found.append((node.lineno, f"{_called(node)}({ast.unparse(arg)})"))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            args = node.args
            positional = [*args.posonlyargs, *args.args]
            pairs = [
                *zip(
                    positional[len(positional) - len(args.defaults) :], args.defaults, strict=True
                ),
                *(
                    (a, d)
                    for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)
                    if d is not None
                ),
            ]
            for arg, default in pairs:
                if BOUND.search(arg.arg) and _number(default):
                    found.append((node.lineno, f"{node.name}({arg.arg}={ast.unparse(default)})"))
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            clock = next(
                (s for s in (node.left, node.right) if isinstance(s, ast.Call)),
                None,
            )
            other = node.right if clock is node.left else node.left
            if clock is not None and _called(clock) == "monotonic" and _number(other):
                found.append((node.lineno, ast.unparse(node)))
    return found


def test_the_checker_sees_each_kind_of_literal_deadline():
    source = """
import time
def f(p, agent, deadline_ms=5000):
    p.finish(2)
    agent.read(1, deadline_ms=100)
    agent.read(1, deadline_ms=d if seen else 100)
    p.process.wait(timeout=3.5)
    end = time.monotonic() + 10
    p.finish(deadlines.EXITED_S)
    agent.read(1, deadline_ms=deadlines.IO_MS)
    time.sleep(0.01)
    p.finish(0)
"""
    assert [what for _, what in literal_deadlines(source)] == [
        "f(deadline_ms=5000)",
        "finish(2)",
        "deadline_ms=100",
        "deadline_ms=d if seen else 100",
        "timeout=3.5",
        "time.monotonic() + 10",
    ]


@pytest.mark.parametrize("path", SCANNED, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_literal_deadline_outside_deadlines_py(path):
    if path == DEADLINES:
        pytest.skip("the one place deadlines are written")
    found = literal_deadlines(path.read_text(encoding="utf-8"))
    assert not found, (
        f"{path.relative_to(PACKAGE)}: literal deadlines {found}; "
        "name them in suite/deadlines.py with the reason for their size"
    )


def test_every_deadline_says_why_it_has_its_size():
    """Each constant of deadlines.py sits under a comment: alone, or in a group of
    constants (no blank line between) that one comment explains."""
    lines = DEADLINES.read_text(encoding="utf-8").splitlines()
    tree = ast.parse("\n".join(lines))
    constants = [
        node
        for node in tree.body
        if isinstance(node, ast.Assign)
        and all(isinstance(t, ast.Name) and t.id.isupper() for t in node.targets)
    ]
    assert len(constants) >= 20, "fewer deadlines than the suite uses"
    unexplained = []
    for node in constants:
        row = node.lineno - 2  # the line above, 0-based
        while row >= 0 and re.match(r"[A-Z_]+ = ", lines[row]):
            row -= 1  # a group under one comment
        if row < 0 or not lines[row].startswith("#"):
            unexplained.append(node.targets[0].id)
    assert not unexplained, f"deadlines without a reason above them: {unexplained}"
